package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.testing.ChildProcess;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.Jpeg2000Samples;
import org.medcnn.testing.TinyImages;

/**
 * The command line with Bio-Formats: {@code bin/medcnn} puts the jars {@code MEDCNN_BIOFORMATS} names on the class
 * path, and the command line then reads a JPEG 2000 DICOM file (skipped without ../shared).
 */
class BioFormatsCliTest {

	@TempDir
	Path dir;

	/** Runs a copy of bin/medcnn in a fake checkout whose {@code java} prints its arguments, one per line. */
	private ChildProcess.Result launcher(String bioFormats) throws Exception {
		Path checkout = dir.resolve("checkout");
		if (!Files.exists(checkout)) {
			Files.createDirectories(checkout.resolve("bin"));
			Files.copy(Paths.get("bin", "medcnn"), checkout.resolve("bin").resolve("medcnn"));
			Files.createDirectories(checkout.resolve("target").resolve("lib"));
			Files.writeString(checkout.resolve("target").resolve("medcnn-0.1.0.jar"), "");
			Path fakeBin = Files.createDirectories(dir.resolve("fake-bin"));
			Path java = Files.writeString(fakeBin.resolve("java"), "#!/bin/sh\nfor a in \"$@\"; do echo \"ARG $a\"; done\n");
			Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
		}
		Map<String, String> env = new HashMap<>();
		env.put("PATH", dir.resolve("fake-bin") + File.pathSeparator + System.getenv("PATH"));
		env.put("MEDCNN_BIOFORMATS", bioFormats);
		return ChildProcess.run(List.of("bash", checkout.resolve("bin").resolve("medcnn").toString(), "doctor"), dir, env, Duration.ofMinutes(1));
	}

	private static String classPath(ChildProcess.Result r) {
		List<String> lines = r.output().lines().toList();
		int cp = lines.indexOf("ARG -cp");
		assertTrue(cp >= 0, r.output());
		return lines.get(cp + 1).substring(4);
	}

	@Test
	void binMedcnnPutsTheNamedBioFormatsAfterItsOwnJars() throws Exception {
		Path checkout = dir.resolve("checkout");
		// Unset: MedCNN's jars only.
		ChildProcess.Result plain = launcher(null);
		assertEquals(0, plain.exitCode(), plain.output());
		String own = classPath(plain);
		assertEquals(checkout.resolve("target/medcnn-0.1.0.jar") + ":" + checkout.resolve("target/lib") + "/*:" + checkout.resolve("target/cli-lib") + "/*", own);
		// A folder of jars (e.g. ../shared/imagej2/jars-bioformats): that folder, after them.
		Path jars = Files.createDirectories(dir.resolve("bf jars"));
		assertEquals(own + ":" + jars + "/*", classPath(launcher(jars.toString())));
		// A Fiji.app: its Bio-Formats folder, its plugins and its jars, in that order, after them.
		Path fiji = dir.resolve("Fiji.app");
		Files.createDirectories(fiji.resolve("jars").resolve("bio-formats"));
		Files.createDirectories(fiji.resolve("plugins"));
		assertEquals(own + ":" + fiji.resolve("jars/bio-formats") + "/*:" + fiji.resolve("plugins") + "/*:" + fiji.resolve("jars") + "/*",
			classPath(launcher(fiji.toString())));
		// Not a folder: one line, exit 2, nothing run.
		ChildProcess.Result bad = launcher(dir.resolve("nowhere").toString());
		assertEquals(2, bad.exitCode(), bad.output());
		assertTrue(bad.output().strip().equals("medcnn: MEDCNN_BIOFORMATS=" + dir.resolve("nowhere")
			+ " is not a folder; give a Fiji.app or a folder of Bio-Formats jars"), bad.output());
	}

	@Test
	void classifyReadsAJpeg2000DicomWithBioFormatsOnTheClassPath() throws Exception {
		Path jars = Fixtures.sharedOrSkip("imagej2/jars-bioformats");
		Path file = Fixtures.sharedOrSkip(Jpeg2000Samples.FOLDER).resolve("osirix-toutatix-101.dcm");
		Path out = dir.resolve("out");
		// A child JVM with the class path bin/medcnn makes with MEDCNN_BIOFORMATS=<that folder>.
		String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
		ChildProcess.Result r = ChildProcess.run(List.of(java, "-Dai.djl.offline=true", Fixtures.cacheDirOption(), "-Djava.awt.headless=true",
			"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path") + File.pathSeparator + jars + "/*",
			MedCnnCli.class.getName(), "classify", "--model", Paths.get("models", "lung-ct").toAbsolutePath().toString(), "--input", file.toString(),
			"--output", out.toString(), "--device", "cpu"), dir, Map.of(), Duration.ofMinutes(3));
		assertFalse(r.timedOut(), r.output());
		assertEquals(ExitCodes.OK, r.exitCode(), r.output());
		List<List<String>> rows = TinyImages.csv(out.resolve("osirix-toutatix-101.csv"));
		assertEquals(2, rows.size(), "header + 1 slice: " + rows);
		ij.ImagePlus tif = ij.IJ.openImage(out.resolve("osirix-toutatix-101.tif").toString());
		Jpeg2000Samples.check(tif.getProcessor(), tif.getCalibration(), Jpeg2000Samples.PIXELS_101, Jpeg2000Samples.SUM_101);
		assertFalse(Files.readString(out.resolve("osirix-toutatix-101.csv"), StandardCharsets.UTF_8).isEmpty());
	}
}
