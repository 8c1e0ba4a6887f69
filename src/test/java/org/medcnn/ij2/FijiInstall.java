package org.medcnn.ij2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.medcnn.testing.ChildProcess;
import org.medcnn.testing.Fixtures;

/**
 * A copy of {@code ../shared/imagej2} laid out as Fiji.app (its jars, and the jars Fiji ships beside them, linked
 * into {@code jars/}), with MedCNN installed into it by {@code scripts/install-into-fiji.sh} from the build's
 * {@code target/medcnn-fiji.zip}, exactly as a user installs it.
 */
final class FijiInstall {

	private FijiInstall() {}

	/**
	 * Lays out the runtime and installs MedCNN; skips the test when ../shared or the zip is missing.
	 *
	 * @param tmp the test's folder; Fiji.app is made in it
	 * @param extraJars further folders of jars to link into {@code jars/} (e.g. Bio-Formats)
	 * @return the Fiji.app folder
	 * @throws Exception if it cannot be laid out or the install fails
	 */
	static Path install(Path tmp, Path... extraJars) throws Exception {
		Path runtime = Fixtures.sharedOrSkip("imagej2");
		Path zip = Paths.get("target", "medcnn-fiji.zip").toAbsolutePath();
		Assumptions.assumeTrue(Files.isRegularFile(zip), "skipped: " + zip + " is missing; Maven makes it before the tests (mvn test)");
		Path fiji = Files.createDirectories(tmp.resolve("Fiji.app"));
		Path jars = Files.createDirectories(fiji.resolve("jars"));
		List<Path> dirs = new ArrayList<>(List.of(runtime.resolve("jars"), runtime.resolve("fiji-extras")));
		dirs.addAll(List.of(extraJars));
		for (Path dir : dirs) {
			try (Stream<Path> s = Files.list(dir)) {
				for (Path j : (Iterable<Path>) s::iterator) Files.createSymbolicLink(jars.resolve(j.getFileName()), j);
			}
		}
		Files.createSymbolicLink(fiji.resolve("launcher"), runtime.resolve("launcher"));
		Files.copy(runtime.resolve("run.sh"), fiji.resolve("run.sh"));
		ChildProcess.Result installed = ChildProcess.run(List.of("bash", Paths.get("scripts", "install-into-fiji.sh").toAbsolutePath().toString(),
			fiji.toString(), zip.toString()), tmp, Map.of(), Duration.ofMinutes(2));
		assertEquals(0, installed.exitCode(), "install-into-fiji.sh:\n" + installed.output());
		return fiji;
	}

	/**
	 * Removes the links into ../shared first, so that cleaning the test's folder never follows them.
	 *
	 * @param fiji the Fiji.app folder, or null when none was made
	 * @throws IOException if a link cannot be removed
	 */
	static void unlink(Path fiji) throws IOException {
		if (fiji == null || !Files.isDirectory(fiji.resolve("jars"))) return;
		try (Stream<Path> s = Files.list(fiji.resolve("jars"))) {
			for (Path p : (Iterable<Path>) s::iterator) if (Files.isSymbolicLink(p)) Files.delete(p);
		}
		Files.deleteIfExists(fiji.resolve("launcher"));
	}
}
