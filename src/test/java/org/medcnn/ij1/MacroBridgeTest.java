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

	@Test
	void classifyMacroRunsInPlainImageJ(@TempDir Path tmp) throws Exception {
		Path xvfb = xvfbRun();
		Assumptions.assumeTrue(xvfb != null, "skipped: xvfb-run is not installed (apt-get install xvfb); .ci/run installs it");
		Path plugins = Files.createDirectories(tmp.resolve("plugins"));
		writeBridgeJar(plugins);
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
		String args = "input=[" + input + "] model=[" + Fixtures.tinyModel() + "] output=[" + out + "] device=cpu";
		List<String> cmd = List.of(xvfb.toString(), "-a", Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
			"-Dplugins.dir=" + tmp, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "ij.ImageJ",
			"-batch", Paths.get("macros/classify-stack.ijm").toAbsolutePath().toString(), args);
		ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
		Process p = pb.start();
		String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertTrue(p.waitFor(5, TimeUnit.MINUTES), "ImageJ finished");
		Path csv = out.resolve("in put.csv");
		assertTrue(Files.exists(csv), "macro wrote the CSV; ImageJ said:\n" + log);
		List<String> lines = Files.readAllLines(csv);
		assertEquals(4, lines.size(), "header + 3 slices");
		assertTrue(lines.get(1).contains(",bright,") && lines.get(2).contains(",dark,") && lines.get(3).contains(",bright,"), lines.toString());
		ImagePlus saved = IJ.openImage(out.resolve("in put.tif").toString());
		assertEquals(3, saved.getOverlay().size(), "one label per slice saved with the stack");
		assertTrue(log.contains("MedCNN: classified"), log);
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
