package org.medcnn.ij2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.ImagePlus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.testing.ChildProcess;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.Jpeg2000Samples;
import org.medcnn.testing.TinyImages;

/**
 * MedCNN in Fiji with Bio-Formats: the installed runtime of {@link ImageJ2RuntimeTest} (ImageJ2 + imagej-legacy,
 * {@code target/medcnn-fiji.zip} installed by {@code scripts/install-into-fiji.sh}) with Bio-Formats 8.0.0's jars in
 * {@code jars/}, as Fiji has them. One headless run of {@code bioformats.ijm}: Batch Classify Folder over a folder
 * of JPEG 2000 and uncompressed DICOM files and series, and a JPEG 2000 file no decoder can read; then Engine
 * Doctor. The pixels and HU of what Bio-Formats decoded are checked, in the TIFF the batch wrote, against the
 * independent decoding of {@link Jpeg2000Samples}. Skipped without {@code ../shared}. Tagged {@code runtime}.
 */
@Tag("runtime")
class ImageJ2BioFormatsTest {

	private static final Duration LIMIT = Duration.ofMinutes(4);

	@TempDir
	static Path tmp;

	private static Path fiji;

	/** Lays out a copy of the runtime as Fiji.app with Bio-Formats in its jars, and installs MedCNN into it. */
	private static void install() throws Exception {
		Path bioFormats = Fixtures.sharedOrSkip("imagej2/jars-bioformats");
		fiji = FijiInstall.install(tmp, bioFormats);
	}

	@AfterAll
	static void unlink() throws IOException {
		FijiInstall.unlink(fiji);
	}

	@Test
	void batchClassifyFolderReadsCompressedDicomThroughBioFormatsHeadless() throws Exception {
		install();
		Path samples = Fixtures.sharedOrSkip(Jpeg2000Samples.FOLDER);
		Path mrSeries = Fixtures.sharedOrSkip("data/reader-samples/dicom/mr-series-bbmri");
		Path ct = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-pydicom/CT_small.dcm");
		// The inputs: a JPEG 2000 series folder, a folder mixing it with an uncompressed series, a JPEG 2000 file, an
		// uncompressed CT file, and a JPEG 2000 file whose codestream is broken.
		Path in = Files.createDirectories(tmp.resolve("in put"));
		copyAll(samples, Files.createDirectories(in.resolve("cta")));
		copyAll(samples, Files.createDirectories(in.resolve("mixed")));
		copyAll(mrSeries, in.resolve("mixed"));
		Files.copy(samples.resolve("osirix-toutatix-100.dcm"), in.resolve("single-j2k.dcm"));
		Files.copy(ct, in.resolve("ct.dcm"));
		Path broken = Jpeg2000Samples.writeBroken(samples, in.resolve("broken-j2k.dcm"));
		Path out = tmp.resolve("out");

		List<String> cmd = List.of(fiji.resolve("run.sh").toString(), "--", "--headless", "-macro",
			RuntimeMacros.macros().resolve("bioformats.ijm").toString(), "input=[" + in + "] output=[" + out + "]");
		Map<String, String> env = new HashMap<>();
		env.put("JAVA_OPTS", Fixtures.cacheDirOption() + " -Djava.util.prefs.userRoot=" + tmp.resolve("prefs"));
		env.put("MEDCNN_MODELS", null);
		ChildProcess.Result r = ChildProcess.run(cmd, Files.createDirectories(tmp.resolve("cwd")), env, LIMIT);
		String output = r.output();
		assertFalse(r.timedOut(), "ImageJ2 did not end within " + LIMIT + "; it printed:\n" + output);
		List<String> checks = RuntimeMacros.checks(output);
		assertTrue(checks.contains("done"), "the macro ran to its end:\n" + output);

		// Engine Doctor says Bio-Formats is there, with its version.
		assertTrue(checks.stream().anyMatch(c -> c.startsWith("doctor bioformats=available, version 8.0.0 (")), String.join("\n", checks));

		// Each input's record names its reader.
		Path files = out.resolve("files");
		assertEquals("DICOM series: Bio-Formats 8.0.0 DICOM (2 files, JPEG 2000 (1.2.840.10008.1.2.4.91))", record(files, "cta").get("reader").getAsString());
		assertEquals("Bio-Formats 8.0.0 DICOM, JPEG 2000 (1.2.840.10008.1.2.4.91)", record(files, "single-j2k.dcm").get("reader").getAsString());
		assertEquals("ImageJ DICOM", record(files, "ct.dcm").get("reader").getAsString());
		JsonObject mixed = record(files, "mixed");
		assertEquals("DICOM series: ImageJ DICOM (6 files)", mixed.get("reader").getAsString());
		assertEquals(6, mixed.get("slices").getAsInt());
		assertTrue(mixed.get("warnings").toString().contains("the folder holds 2 series") && mixed.get("warnings").toString().contains("(2 slices)"),
			mixed.toString());

		// The JPEG 2000 series as the batch wrote it: slices in instance order, the decoded values, HU and spacing.
		ImagePlus cta = ij.IJ.openImage(files.resolve("cta.tif").toString());
		assertEquals(2, cta.getStackSize());
		Jpeg2000Samples.check(cta.getStack().getProcessor(1), cta.getCalibration(), Jpeg2000Samples.PIXELS_100, Jpeg2000Samples.SUM_100);
		Jpeg2000Samples.check(cta.getStack().getProcessor(2), cta.getCalibration(), Jpeg2000Samples.PIXELS_101, Jpeg2000Samples.SUM_101);
		assertEquals(0.48828125, cta.getCalibration().pixelWidth, 1e-6);
		assertEquals(1.0, cta.getCalibration().pixelDepth, 1e-6);
		assertEquals("mm", cta.getCalibration().getUnit());
		ImagePlus single = ij.IJ.openImage(files.resolve("single-j2k.dcm.tif").toString());
		Jpeg2000Samples.check(single.getProcessor(), single.getCalibration(), Jpeg2000Samples.PIXELS_100, Jpeg2000Samples.SUM_100);
		List<List<String>> rows = TinyImages.csv(files.resolve("cta.csv"));
		int label = rows.get(0).indexOf("slice_label");
		assertEquals(3, rows.size(), "header + 2 slices");
		assertTrue(rows.get(1).get(label).startsWith("osirix-toutatix-100.dcm #100") && rows.get(2).get(label).startsWith("osirix-toutatix-101.dcm #101"),
			rows.toString());

		// The file no decoder reads: one line in the log and in the errors file, and the batch went on.
		String line = broken + ": DICOM with compressed transfer syntax JPEG 2000 (1.2.840.10008.1.2.4.91): Bio-Formats 8.0.0 could not read it: ";
		assertEquals(1, RuntimeMacros.count(output, "Batch Classify Folder: " + line), output);
		String errors = Files.readString(out.resolve("errors-shard-0-of-1.csv"), StandardCharsets.UTF_8);
		assertTrue(errors.contains(line) && errors.lines().count() == 2, errors);
		assertFalse(output.contains("Exception"), output);
	}

	private static JsonObject record(Path files, String name) throws IOException {
		return JsonParser.parseString(Files.readString(files.resolve(name + ".json"), StandardCharsets.UTF_8)).getAsJsonObject();
	}

	private static void copyAll(Path from, Path to) throws IOException {
		try (Stream<Path> s = Files.list(from)) {
			for (Path f : s.toList()) Files.copy(f, to.resolve(f.getFileName()));
		}
	}
}
