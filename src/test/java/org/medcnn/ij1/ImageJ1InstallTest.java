package org.medcnn.ij1;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.ij2.RuntimeMacros;
import org.medcnn.testing.ChildProcess;
import org.medcnn.testing.Fixtures;

/**
 * MedCNN installed into plain ImageJ 1.x exactly as README.md says: {@code target/medcnn-imagej1.zip} unpacked into
 * the folder that holds {@code ij.jar} (here ImageJ 1.54p from Maven Central), then {@code java -jar ij.jar -batch}
 * under Xvfb runs the same macros as in Fiji, with no other class path. Before the bridge set its class loader,
 * this layout failed every command ("Class pool is empty") while the macro went on and exited 0. Skipped where
 * xvfb-run is missing ({@code .ci/run} installs it). Tagged {@code runtime}, with the ImageJ2 tests.
 */
@Tag("runtime")
class ImageJ1InstallTest {

	private static final Duration LIMIT = Duration.ofMinutes(3);

	@TempDir
	static Path tmp;

	private static Path imagej;
	private static Path xvfb;

	@BeforeAll
	static void install() throws IOException {
		xvfb = ChildProcess.onPath("xvfb-run");
		Assumptions.assumeTrue(xvfb != null, "skipped: xvfb-run is not installed (apt-get install xvfb xauth); .ci/run installs it");
		Path zip = Paths.get("target", "medcnn-imagej1.zip").toAbsolutePath();
		Assumptions.assumeTrue(Files.isRegularFile(zip), "skipped: " + zip + " is missing; Maven makes it before the tests (mvn test)");
		imagej = Files.createDirectories(tmp.resolve("ImageJ"));
		Files.copy(ijJar(), imagej.resolve("ij.jar"));
		try (InputStream is = Files.newInputStream(zip); ZipInputStream in = new ZipInputStream(is)) {
			for (ZipEntry e; (e = in.getNextEntry()) != null;) {
				Path to = imagej.resolve(e.getName()).normalize();
				assertTrue(to.startsWith(imagej), e.getName());
				if (e.isDirectory()) Files.createDirectories(to);
				else Files.copy(in, Files.createDirectories(to.getParent()).resolve(to.getFileName()));
			}
		}
	}

	/** ImageJ 1.x's jar from this build's class path (net.imagej:ij from Maven Central, as a user may take it). */
	private static Path ijJar() {
		for (String p : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
			if (Paths.get(p).getFileName().toString().matches("ij-1\\.\\d+[a-z]?\\.jar")) return Paths.get(p);
		}
		throw new IllegalStateException("no ij-1.x jar on the class path");
	}

	private static ChildProcess.Result batch(Path macro, String arg) throws Exception {
		List<String> cmd = List.of(xvfb.toString(), "-a", Paths.get(System.getProperty("java.home"), "bin", "java").toString(), Fixtures.cacheDirOption(),
			"-jar", "ij.jar", "-batch", macro.toString(), arg);
		Map<String, String> env = new java.util.HashMap<>();
		env.put("MEDCNN_MODELS", null);
		ChildProcess.Result r = ChildProcess.run(cmd, imagej, env, LIMIT);
		assertFalse(r.timedOut(), "ImageJ did not end within " + LIMIT + " (a dialog nobody closes?); it printed:\n" + r.output());
		return r;
	}

	@Test
	void theZipHoldsTheBridgeTheLibrariesAndTheModelsButNotImageJ() throws IOException {
		assertTrue(Files.isRegularFile(imagej.resolve("plugins/MedCNN_.jar")));
		try (var s = Files.list(imagej.resolve("plugins/jars"))) {
			List<String> jars = s.map(p -> p.getFileName().toString()).sorted().toList();
			assertTrue(jars.stream().anyMatch(j -> j.startsWith("medcnn-")) && jars.stream().anyMatch(j -> j.startsWith("scijava-common-")), jars.toString());
			assertFalse(jars.stream().anyMatch(j -> j.matches("ij-.*\\.jar")), "ImageJ itself is the user's ij.jar: " + jars);
		}
		assertTrue(Files.isRegularFile(imagej.resolve("plugins/models/brain-tumor-mri/model.json")));
	}

	@Test
	void everyCommandRunsFromTheSameMacrosAsInFiji() throws Exception {
		RuntimeMacros.Inputs in = RuntimeMacros.Inputs.make(tmp.resolve("in"));
		Path macros = RuntimeMacros.macros();
		ChildProcess.Result r = batch(macros.resolve("all-commands.ijm"), in.argument(null));
		RuntimeMacros.checkAllCommands(r.output(), in, imagej.resolve("plugins").resolve("models"), false);
		StringBuilder failures = new StringBuilder();
		for (Map.Entry<String, String> f : RuntimeMacros.FAILURES) {
			ChildProcess.Result fr = batch(macros.resolve("fails.ijm"), in.failArgument(f.getKey()));
			failures.append(fr.output());
		}
		RuntimeMacros.checkFailures(failures.toString());
	}

	@Test
	void theDialogChecksItsValuesAndRecordsWhatWasChanged() throws Exception {
		RuntimeMacros.Inputs in = RuntimeMacros.Inputs.make(tmp.resolve("dialog-in"));
		List<String> base = List.of(xvfb.toString(), "-a", Paths.get(System.getProperty("java.home"), "bin", "java").toString(), Fixtures.cacheDirOption(),
			"-cp", "ij.jar" + java.io.File.pathSeparator + Paths.get("target", "test-classes").toAbsolutePath(), BridgeDialogDriver.class.getName(),
			imagej.toString(), in.stack().toString());
		Map<String, String> env = new java.util.HashMap<>();
		env.put("MEDCNN_MODELS", null);
		List<String> bad = new java.util.ArrayList<>(base);
		bad.add("abc");
		ChildProcess.Result r = ChildProcess.run(bad, imagej, env, LIMIT);
		assertFalse(r.timedOut(), r.output());
		// From the menu a user is there: an error dialog, naming the field; nothing runs.
		assertTrue(r.output().contains("error: MedCNN Classify Slices: batch_size=abc is not a whole number"), r.output());
		assertFalse(r.output().contains("window: MedCNN Classification"), r.output());
		List<String> good = new java.util.ArrayList<>(base);
		good.add("4");
		r = ChildProcess.run(good, imagej, env, LIMIT);
		assertFalse(r.timedOut(), r.output());
		assertTrue(r.output().contains("window: MedCNN Classification"), r.output());
		// Keys are field names; fields left at their defaults (empty files too) are left out; an unticked box is explicit.
		assertTrue(r.output().contains("recorded: run(\"Classify Slices\", \"model=brain-tumor-mri batch_size=4 add_overlay=false uncertainty=none\");"),
			r.output());
	}
}
