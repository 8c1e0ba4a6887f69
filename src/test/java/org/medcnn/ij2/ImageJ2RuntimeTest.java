package org.medcnn.ij2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.testing.ChildProcess;
import org.medcnn.testing.Fixtures;

/**
 * MedCNN installed as a Fiji user installs it, in the real ImageJ2 + imagej-legacy 2.0.3 (the core of Fiji,
 * {@code ../shared/imagej2}): {@code scripts/install-into-fiji.sh} unpacks {@code target/medcnn-fiji.zip} (made by
 * the build before the tests) into a copy of that runtime, and every command then runs from there with no
 * other class path, through macros, headless and on screen under Xvfb; the dialogs are opened, captured and
 * recorded as a user clicking the menu would. Skipped with a message when {@code ../shared/imagej2} is absent, and
 * the on-screen parts when xvfb-run is missing ({@code .ci/run} installs it). Every run is under a time limit.
 * Tagged {@code runtime} ({@code -Dsurefire.excludedGroups=gpu,runtime} leaves it out).
 */
@Tag("runtime")
class ImageJ2RuntimeTest {

	private static final Duration LIMIT = Duration.ofMinutes(4);

	@TempDir
	static Path tmp;

	private static Path fiji;

	@BeforeAll
	static void install() throws Exception {
		fiji = FijiInstall.install(tmp);
	}

	@AfterAll
	static void unlink() throws IOException {
		FijiInstall.unlink(fiji);
	}

	/**
	 * Keeps the screenshots a run made in {@code target/imagej2-screens/}, to look at after the build.
	 *
	 * @param dir the folder with the PNGs
	 */
	private static void keepScreens(Path dir) throws IOException {
		Path keep = Files.createDirectories(Paths.get("target", "imagej2-screens"));
		try (Stream<Path> s = Files.list(dir)) {
			for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".png"))::iterator) {
				Files.copy(p, keep.resolve(p.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
			}
		}
	}

	/** The command line of run.sh, and its environment: the test's cache and preferences, never the user's. */
	private static ChildProcess.Result runtime(List<String> prefix, List<String> args, Map<String, String> more) throws Exception {
		List<String> cmd = new ArrayList<>(prefix);
		cmd.add(fiji.resolve("run.sh").toString());
		cmd.addAll(args);
		Map<String, String> env = new HashMap<>(more);
		env.put("JAVA_OPTS", Fixtures.cacheDirOption() + " -Djava.util.prefs.userRoot=" + tmp.resolve("prefs"));
		env.put("MEDCNN_MODELS", null);
		Path dir = Files.createDirectories(tmp.resolve("cwd"));
		return ChildProcess.run(cmd, dir, env, LIMIT);
	}

	/** The macro arguments of run.sh: all-commands.ijm, each failing macro, then (on screen) the Log saved. */
	private static List<String> macroArgs(RuntimeMacros.Inputs inputs, Path shots, Path log) {
		Path macros = RuntimeMacros.macros();
		List<String> a = new ArrayList<>(List.of("-macro", macros.resolve("all-commands.ijm").toString(), inputs.argument(shots)));
		for (Map.Entry<String, String> f : RuntimeMacros.FAILURES) {
			a.addAll(List.of("-macro", macros.resolve("fails.ijm").toString(), inputs.failArgument(f.getKey())));
		}
		if (log != null) a.addAll(List.of("-macro", macros.resolve("save-log.ijm").toString(), log.toString()));
		return a;
	}

	private static Path xvfbOrSkip() {
		Path xvfb = ChildProcess.onPath("xvfb-run");
		Assumptions.assumeTrue(xvfb != null, "skipped: xvfb-run is not installed (apt-get install xvfb xauth); .ci/run installs it");
		return xvfb;
	}

	@Test
	void noClassIsInTwoJarsOfTheInstalledFiji() throws IOException {
		Map<String, List<String>> where = new TreeMap<>();
		try (Stream<Path> s = Files.list(fiji.resolve("jars"))) {
			for (Path jar : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".jar"))::iterator) {
				try (InputStream is = Files.newInputStream(jar); ZipInputStream zip = new ZipInputStream(is)) {
					for (ZipEntry e; (e = zip.getNextEntry()) != null;) {
						String n = e.getName();
						if (!n.endsWith(".class") || n.endsWith("module-info.class") || n.startsWith("META-INF/")) continue;
						where.computeIfAbsent(n, k -> new ArrayList<>()).add(jar.getFileName().toString());
					}
				}
			}
		}
		List<String> dups = new ArrayList<>();
		where.forEach((cls, jars) -> { if (jars.size() > 1) dups.add(cls + " in " + jars); });
		assertTrue(where.size() > 10000, "read the classes of every jar: " + where.size());
		assertTrue(where.containsKey("org/medcnn/command/ClassifySlicesCommand.class") && where.containsKey("ai/djl/pytorch/engine/PtEngine.class"), "installed");
		assertEquals(List.of(), dups.subList(0, Math.min(20, dups.size())), dups.size() + " classes in two jars");
		// Exactly one flavour of the PyTorch natives, and never the plain ImageJ 1.x bridge.
		try (Stream<Path> s = Files.list(fiji.resolve("jars"))) {
			List<String> names = s.map(p -> p.getFileName().toString()).toList();
			assertEquals(1, names.stream().filter(n -> n.startsWith("pytorch-native-")).count(), names.toString());
			assertFalse(names.stream().anyMatch(n -> n.contains("-ij1") || n.equals("MedCNN_.jar")), names.toString());
		}
	}

	@Test
	void everyCommandRunsFromMacrosHeadless() throws Exception {
		RuntimeMacros.Inputs inputs = RuntimeMacros.Inputs.make(tmp.resolve("headless"));
		// Then the shipped macros, as a cluster job runs them (batch-folder twice: the second run resumes).
		Path shipped = Files.createDirectories(tmp.resolve("headless").resolve("shipped"));
		List<String> args = new ArrayList<>(macroArgs(inputs, null, null));
		String batch = "input=[" + inputs.batch() + "] output=[" + shipped.resolve("batch") + "] model=brain-tumor-mri device=cpu";
		for (String[] m : List.of(new String[] {"classify-stack.ijm", "input=[" + inputs.stack() + "] model=brain-tumor-mri device=cpu output=[" + shipped.resolve("classify") + "]"},
			new String[] {"saliency.ijm", "input=[" + inputs.stack() + "] model=brain-tumor-mri device=cpu output=[" + shipped.resolve("saliency") + "]"},
			new String[] {"batch-folder.ijm", batch}, new String[] {"batch-folder.ijm", batch + " resume"})) {
			args.addAll(List.of("-macro", Paths.get("macros", m[0]).toAbsolutePath().toString(), m[1]));
		}
		ChildProcess.Result r = runtime(List.of(), concat(List.of("--", "--headless"), args), Map.of());
		assertFalse(r.timedOut(), "ImageJ2 did not end within " + LIMIT + "; it printed:\n" + r.output());
		RuntimeMacros.checkAllCommands(r.output(), inputs, fiji.resolve("models"), true);
		RuntimeMacros.checkFailures(r.output());
		// Engine Doctor reports once (it was also printed as an ImageJ2 String output), and no output is left unhandled.
		assertEquals(1, RuntimeMacros.count(r.output(), "MedCNN engine doctor"), r.output());
		assertFalse(r.output().contains("Ignoring unsupported output"), r.output());
		assertFalse(r.output().contains("Exception"), r.output());

		// The shipped macros: their outputs, the heatmap stack saved as the heatmap (in Fiji headless it was the input
		// before), and a rerun of a batch shard that resumes (Fiji ignored the bare word "resume").
		assertEquals(13, Files.readAllLines(shipped.resolve("classify").resolve("stack.csv")).size(), "header + 12 slices");
		assertTrue(r.output().contains("MedCNN: classified " + inputs.stack() + " (12 slices)"), r.output());
		ij.ImagePlus heat = ij.IJ.openImage(shipped.resolve("saliency").resolve("stack_grad_cam_heatmap.tif").toString());
		assertEquals(32, heat.getBitDepth(), "the heatmap, not the input");
		assertEquals(12, heat.getStackSize());
		ij.ImagePlus over = ij.IJ.openImage(shipped.resolve("saliency").resolve("stack_grad_cam_overlay.tif").toString());
		assertEquals(8, over.getBitDepth(), "the input with the saliency overlay");
		assertTrue(over.getOverlay() != null && over.getOverlay().size() >= 24, "heatmap and region per slice");
		assertEquals(2, RuntimeMacros.count(r.output(), "MedCNN: batch shard 0 of 1 finished: 2 input(s), 0 failed"), r.output());
		assertTrue(Files.readString(shipped.resolve("batch").resolve("manifest-shard-0-of-1.json")).contains("\"resumed\""), "the rerun resumed");
	}

	@Test
	void everyCommandRunsFromMacrosOnScreen() throws Exception {
		Path xvfb = xvfbOrSkip();
		RuntimeMacros.Inputs inputs = RuntimeMacros.Inputs.make(tmp.resolve("gui"));
		Path shots = Files.createDirectories(tmp.resolve("shots"));
		Path log = tmp.resolve("gui-log.txt");
		ChildProcess.Result r = runtime(List.of(xvfb.toString(), "-a", "-s", "-screen 0 1600x1000x24"), concat(List.of("--gui", "--"), macroArgs(inputs, shots, log)),
			Map.of());
		assertFalse(r.timedOut(), "ImageJ2 did not end within " + LIMIT + " (a dialog nobody closes?); it printed:\n" + r.output());
		assertTrue(Files.exists(log), "the Log window was saved; ImageJ2 printed:\n" + r.output());
		String printed = Files.readString(log, StandardCharsets.UTF_8);
		RuntimeMacros.checkAllCommands(printed, inputs, fiji.resolve("models"), false);
		RuntimeMacros.checkFailures(printed);
		assertFalse(r.output().contains("Ignoring unsupported output"), r.output());
		for (String png : List.of("overlay.png", "heatmap.png", "saliency-overlay.png", "screen-table.png")) {
			assertTrue(Files.size(shots.resolve(png)) > 1000, png);
		}
		keepScreens(shots);
	}

	@Test
	void dialogsOfferTheInstalledModelsAndRecordCleanly() throws Exception {
		Path xvfb = xvfbOrSkip();
		RuntimeMacros.Inputs inputs = RuntimeMacros.Inputs.make(tmp.resolve("dialog-inputs"));
		Path out = tmp.resolve("dialogs");
		List<String> args = new ArrayList<>(List.of("--gui", "--classpath", Paths.get("target", "test-classes").toAbsolutePath().toString(), out.toString(),
			inputs.stack().toString()));
		args.addAll(List.of("ok:ClassifySlicesCommand", "ok:SaliencyMapsCommand", "cancel:SaliencySanityCheckCommand", "cancel:TrainClassifierCommand",
			"cancel:EvaluateClassifierCommand", "cancel:BatchClassifyFolderCommand", "cancel:MergeBatchResultsCommand", "ok:EngineDoctorCommand"));
		ChildProcess.Result r = runtime(List.of(xvfb.toString(), "-a", "-s", "-screen 0 1600x1000x24"), args, Map.of("MAIN", DialogDriver.class.getName()));
		assertFalse(r.timedOut(), "the dialogs did not close within " + LIMIT + "; ImageJ2 printed:\n" + r.output());
		String driver = Files.readString(out.resolve("driver.txt"), StandardCharsets.UTF_8);
		keepScreens(out);
		assertEquals(0, r.exitCode(), driver + "\n" + r.output());
		assertFalse(driver.contains("unexpected dialogs") || driver.contains("no dialog\n  finished canceled=true"), driver);
		// Accepted commands ran; cancelled ones were cancelled without an error dialog.
		assertTrue(driver.contains("command Classify Slices ok\n  dialog"), driver);
		assertTrue(driver.contains("command Merge Batch Results cancel\n  dialog"), driver);

		// The model is a choice of the installed models, and the dialog says what the chosen one is for.
		String classify = Files.readString(out.resolve("dialog-classify-slices.txt"), StandardCharsets.UTF_8);
		assertTrue(classify.contains("choice: brain-tumor-mri of [brain-tumor-mri, brain-tumor-mri-ensemble, lung-ct, lung-ct-ensemble]"), classify);
		assertTrue(classify.contains("Modality: MRI") && classify.contains("Classes: glioma, meningioma, notumor, pituitary") && classify.contains("Intended use:"),
			classify);
		for (String d : List.of("saliency-maps", "saliency-sanity-check", "evaluate-classifier", "batch-classify-folder")) {
			String text = Files.readString(out.resolve("dialog-" + d + ".txt"), StandardCharsets.UTF_8);
			assertTrue(text.contains("choice: brain-tumor-mri of [brain-tumor-mri,") && text.contains("Modality: MRI"), d + ":\n" + text);
		}

		// The recorder: keys are field names, no message, no empty or unset value.
		String recorded = Files.readString(out.resolve("recorder.txt"), StandardCharsets.UTF_8);
		assertTrue(recorded.contains("run(\"Classify Slices\", \"model=brain-tumor-mri device=auto batch_size=8 add_overlay=true uncertainty=none "
			+ "uncertainty_passes=8 uncertainty_seed=0 uncertainty_threshold=-1.0\");"), recorded);
		assertTrue(recorded.contains("run(\"Saliency Maps\", \"model=brain-tumor-mri device=auto method=grad_cam target=predicted "), recorded);
		assertTrue(recorded.contains("run(\"Engine Doctor\");"), recorded);
		assertFalse(recorded.contains("model_info") || recorded.contains("=[]") || recorded.contains("= ") || recorded.contains("Sanity"), recorded);
		// The windows of the accepted commands opened.
		assertTrue(driver.contains("window MedCNN Classification ") && driver.contains("window MedCNN Saliency Regions ")
			&& driver.contains("window stack.tif saliency (grad_cam) "), driver);
	}

	private static List<String> concat(List<String> a, List<String> b) {
		List<String> out = new ArrayList<>(a);
		out.addAll(b);
		return out;
	}
}
