package org.medcnn.ij1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.testing.Fixtures;

/**
 * Runs the shipped macro {@code macros/classify-stack.ijm} in real, plain ImageJ 1.x ({@code -batch},
 * under Xvfb because ImageJ 1.x builds AWT menus and refuses headless mode), through the bridge jar's
 * plugins.config, and checks what it writes. Skipped with a message where xvfb-run is missing
 * ({@code .ci/run} installs it).
 */
class MacroBridgeTest {

	static Path xvfbRun() {
		for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
			Path p = Paths.get(dir, "xvfb-run");
			if (Files.isExecutable(p)) return p;
		}
		return null;
	}

	/** The bridge jar as the build makes it: only plugins.config, named with an underscore as ImageJ requires. */
	static void writeBridgeJar(Path pluginsDir) throws IOException {
		try (OutputStream os = Files.newOutputStream(pluginsDir.resolve("MedCNN_.jar")); ZipOutputStream zip = new ZipOutputStream(os)) {
			zip.putNextEntry(new ZipEntry("plugins.config"));
			zip.write(Files.readAllBytes(Paths.get("src/main/ij1/plugins.config")));
			zip.closeEntry();
		}
	}

	/**
	 * Runs a macro in plain ImageJ 1.x ({@code -batch}) under Xvfb with the bridge jar in {@code dir/plugins}.
	 * A macro error opens a modal dialog that nobody closes, so ImageJ (and Xvfb) are killed after
	 * 5 minutes and the test fails with what ImageJ printed.
	 *
	 * @param xvfb the xvfb-run program
	 * @param dir the ImageJ folder (plugins.dir); plugins/MedCNN_.jar is written when missing
	 * @param macro the macro file
	 * @param args the macro's argument (getArgument())
	 * @return what ImageJ printed
	 * @throws Exception if ImageJ cannot be started or does not finish in time
	 */
	static String runMacro(Path xvfb, Path dir, Path macro, String args) throws Exception {
		Path plugins = Files.createDirectories(dir.resolve("plugins"));
		if (!Files.exists(plugins.resolve("MedCNN_.jar"))) writeBridgeJar(plugins);
		List<String> cmd = List.of(xvfb.toString(), "-a", Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
			"-Dplugins.dir=" + dir, "-Dai.djl.offline=true", Fixtures.cacheDirOption(), "-cp", System.getProperty("java.class.path"), "ij.ImageJ",
			"-batch", macro.toAbsolutePath().toString(), args);
		Path logFile = Files.createTempFile(dir, "imagej-", ".log");
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
		boolean finished = p.waitFor(5, TimeUnit.MINUTES);
		if (!finished) {
			p.descendants().forEach(ProcessHandle::destroyForcibly);
			p.destroyForcibly();
		}
		String log = Files.readString(logFile, StandardCharsets.UTF_8);
		assertTrue(finished, "ImageJ did not finish within 5 minutes (a macro error shows a dialog); it printed:\n" + log);
		return log;
	}

	@Test
	void classifyMacroRunsInPlainImageJ(@TempDir Path tmp) throws Exception {
		Path xvfb = xvfbRun();
		Assumptions.assumeTrue(xvfb != null, "skipped: xvfb-run is not installed (apt-get install xvfb); .ci/run installs it");
		ImageStack st = new ImageStack(32, 32);
		for (int i = 1; i <= 3; i++) {
			ByteProcessor ip = new ByteProcessor(32, 32);
			ip.setValue(i == 2 ? 10 : 200);
			ip.fill();
			st.addSlice("s" + i, ip);
		}
		Path input = tmp.resolve("in put.tif");
		IJ.saveAsTiff(new ImagePlus("in", st), input.toString());
		Path out = tmp.resolve("out");
		String args = "input=[" + input + "] model=[" + Fixtures.tinyModel() + "] output=[" + out + "] device=cpu uncertainty=tta";
		String log = runMacro(xvfb, tmp, Paths.get("macros/classify-stack.ijm"), args);
		Path csv = out.resolve("in put.csv");
		assertTrue(Files.exists(csv), "macro wrote the CSV; ImageJ said:\n" + log);
		List<String> lines = Files.readAllLines(csv);
		assertEquals(4, lines.size(), "header + 3 slices");
		assertTrue(lines.get(0).contains(",confidence,entropy,mutual_information,std_top,uncertain,"), "uncertainty columns: " + lines.get(0));
		assertTrue(lines.get(1).contains(",bright,") && lines.get(2).contains(",dark,") && lines.get(3).contains(",bright,"), lines.toString());
		ImagePlus saved = IJ.openImage(out.resolve("in put.tif").toString());
		assertEquals(3, saved.getOverlay().size(), "one label per slice saved with the stack; no uncertain frames: the tiny card has no flag threshold");
		assertTrue(log.contains("MedCNN: classified"), log);
	}

	@Test
	void saliencyMacroRunsInPlainImageJ(@TempDir Path tmp) throws Exception {
		Path xvfb = xvfbRun();
		Assumptions.assumeTrue(xvfb != null, "skipped: xvfb-run is not installed (apt-get install xvfb); .ci/run installs it");
		ImageStack st = new ImageStack(32, 32);
		for (int i = 1; i <= 2; i++) {
			ByteProcessor ip = new ByteProcessor(32, 32);
			ip.setValue(i == 2 ? 30 : 180);
			ip.fill();
			ip.setValue(250);
			ip.fillOval(4 + 10 * i, 8, 9, 9);
			st.addSlice("s" + i, ip);
		}
		Path input = tmp.resolve("sal.tif");
		IJ.saveAsTiff(new ImagePlus("sal", st), input.toString());
		Path out = tmp.resolve("out");
		String args = "input=[" + input + "] model=[" + Fixtures.tinyModel() + "] output=[" + out + "] method=grad_cam device=cpu";
		String log = runMacro(xvfb, tmp, Paths.get("macros/saliency.ijm"), args);
		Path heat = out.resolve("sal_grad_cam_heatmap.tif");
		assertTrue(Files.exists(heat), "macro wrote the heatmap; ImageJ said:\n" + log);
		ImagePlus h = IJ.openImage(heat.toString());
		assertEquals(32, h.getWidth());
		assertEquals(2, h.getStackSize(), "one map per slice");
		assertEquals(32, h.getBitDepth());
		ImagePlus o = IJ.openImage(out.resolve("sal_grad_cam_overlay.tif").toString());
		assertTrue(o.getOverlay() != null && o.getOverlay().size() >= 2, "heatmaps and regions on the input's overlay");
		List<String> regions = Files.readAllLines(out.resolve("sal_regions.csv"));
		assertTrue(regions.size() >= 2 && regions.get(1).startsWith("sal.tif,1,"), "header + the regions of the bright slice: " + regions);
		assertTrue(log.contains("MedCNN: saliency of"), log);
	}

	@Test
	void everyMenuEntryMapsToACommand() throws IOException {
		for (String line : Files.readAllLines(Paths.get("src/main/ij1/plugins.config"))) {
			if (line.isBlank() || line.startsWith("#")) continue;
			String label = line.substring(line.indexOf("(\"") + 2, line.lastIndexOf("\")"));
			assertTrue(MacroBridge.COMMANDS.containsKey(label), label);
			assertTrue(line.contains("\"" + label + "\""), "menu label equals the bridge argument: " + line);
		}
	}
}
