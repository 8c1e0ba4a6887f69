package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Overlay;
import ij.io.FileSaver;
import ij.io.Opener;
import ij.process.ByteProcessor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.classify.ResultColumns;
import org.medcnn.core.model.Hashes;
import org.medcnn.ij.PredictionOverlays;
import org.medcnn.testing.Fixtures;

/** The command line end to end, in process, with stdout and stderr captured. */
class ClassifyCliTest {

	@TempDir
	Path dir;

	/** Exit code and what was printed. */
	record Result(int code, String out, String err) {
		List<String> errLines() {
			return err.lines().filter(l -> !l.isBlank()).toList();
		}
	}

	static Result cli(String... args) {
		StringWriter out = new StringWriter();
		StringWriter err = new StringWriter();
		int code = MedCnnCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
		return new Result(code, out.toString(), err.toString());
	}

	/** Writes a 3-slice 8-bit stack: bright (200), dark (10), bright. */
	private Path stack(String name) {
		ImageStack st = new ImageStack(40, 36);
		int[] values = {200, 10, 200};
		for (int i = 0; i < 3; i++) {
			ByteProcessor ip = new ByteProcessor(40, 36);
			ip.setValue(values[i]);
			ip.fill();
			st.addSlice("z" + (i + 1), ip);
		}
		Path file = dir.resolve(name);
		assertTrue(new FileSaver(new ImagePlus(name, st)).saveAsTiffStack(file.toString()));
		return file;
	}

	private String[] classify(Path input, Path out, String... extra) {
		List<String> a = new ArrayList<>(List.of("classify", "--model", Fixtures.tinyModel().toString(), "--input", input.toString(), "--output",
			out.toString(), "--device", "cpu"));
		a.addAll(List.of(extra));
		return a.toArray(String[]::new);
	}

	private static List<List<String>> csv(Path file) throws Exception {
		List<List<String>> rows = new ArrayList<>();
		// The tiny model's labels and values hold no commas, so a plain split is enough here.
		for (String line : Files.readAllLines(file)) rows.add(List.of(line.split(",", -1)));
		return rows;
	}

	@Test
	void classifyWritesCsvAndTiffWithOverlay() throws Exception {
		Path input = stack("x.tif");
		Path out = dir.resolve("outdir");
		Result r = cli(classify(input, out));
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertTrue(r.out().contains("3 slice(s) classified"), r.out());
		Path csv = out.resolve("x.csv");
		Path tif = out.resolve("x.tif");
		List<List<String>> rows = csv(csv);
		assertEquals(4, rows.size(), "header + 3 rows");
		List<String> header = ResultColumns.header(List.of("dark", "bright"));
		assertEquals(header, rows.get(0));
		int predicted = header.indexOf("predicted");
		int slice = header.indexOf("slice");
		int source = header.indexOf("source");
		String[] expected = {"bright", "dark", "bright"};
		for (int i = 0; i < 3; i++) {
			assertEquals(expected[i], rows.get(i + 1).get(predicted), "slice " + (i + 1));
			assertEquals(Integer.toString(i + 1), rows.get(i + 1).get(slice));
			assertEquals("x.tif", rows.get(i + 1).get(source));
			assertEquals("cpu", rows.get(i + 1).get(header.indexOf("device")));
		}
		ImagePlus back = new Opener().openImage(tif.toString());
		assertNotNull(back);
		assertEquals(3, back.getStackSize());
		assertEquals(200, back.getStack().getProcessor(1).get(0), "pixels unchanged");
		Overlay ov = back.getOverlay();
		assertNotNull(ov, "the TIFF keeps the overlay");
		assertEquals(3, ov.size());
		assertEquals(3, PredictionOverlays.count(ov));
		for (int i = 0; i < 3; i++) assertEquals(i + 1, ov.get(i).getPosition());
		assertEquals(List.of("x.csv", "x.tif"), listing(out), "no temporary files left");
	}

	@Test
	void uncertaintyAddsColumnsAndMarksUncertainSlices() throws Exception {
		Path input = stack("u.tif");
		Path out = dir.resolve("uncertain");
		// A threshold of 0 nats flags every slice whose samples are not all certain.
		Result r = cli(classify(input, out, "--uncertainty", "tta", "--uncertainty-passes", "4", "--uncertainty-seed", "3", "--uncertainty-threshold", "0"));
		assertEquals(ExitCodes.OK, r.code(), r.err());
		List<List<String>> rows = csv(out.resolve("u.csv"));
		List<String> header = ResultColumns.header(List.of("dark", "bright"), true);
		assertEquals(header, rows.get(0));
		int flagged = 0;
		for (int i = 1; i <= 3; i++) {
			double entropy = Double.parseDouble(rows.get(i).get(header.indexOf("entropy")));
			assertTrue(entropy >= 0, rows.get(i).toString());
			assertEquals(entropy > 0 ? "1" : "0", rows.get(i).get(header.indexOf("uncertain")));
			if (entropy > 0) flagged++;
		}
		assertTrue(r.out().contains("uncertainty tta: " + flagged + " of 3 slice(s) flagged uncertain"), r.out());
		Overlay ov = new Opener().openImage(out.resolve("u.tif").toString()).getOverlay();
		assertEquals(3 + flagged, PredictionOverlays.count(ov), "a frame for each uncertain slice");

		// ensemble needs several models; the message says what to do
		Result e = cli(classify(input, dir.resolve("e"), "--uncertainty", "ensemble"));
		assertEquals(ExitCodes.USAGE, e.code());
		assertTrue(e.err().contains("uncertainty=ensemble needs several models"), e.err());
		Result bad = cli(classify(input, dir.resolve("e"), "--uncertainty", "bayes"));
		assertEquals(ExitCodes.USAGE, bad.code());
		assertTrue(bad.err().contains("uncertainty 'bayes' is not one of [none, tta, mc_dropout, ensemble]"), bad.err());
	}

	@Test
	void refusesToOverwriteUnlessAsked() throws Exception {
		Path input = stack("x.tif");
		Path out = dir.resolve("outdir");
		assertEquals(ExitCodes.OK, cli(classify(input, out)).code());
		Path csv = out.resolve("x.csv");
		Path tif = out.resolve("x.tif");
		byte[] csvBytes = Files.readAllBytes(csv);
		byte[] tifBytes = Files.readAllBytes(tif);
		FileTime old = FileTime.fromMillis(1_000_000_000_000L);
		Files.setLastModifiedTime(csv, old);
		Files.setLastModifiedTime(tif, old);

		Result again = cli(classify(input, out));
		assertEquals(ExitCodes.OUTPUT, again.code());
		assertEquals(5, again.code());
		assertEquals(1, again.errLines().size(), again.err());
		assertTrue(again.err().contains("already exists") && again.err().contains("--overwrite"), again.err());
		assertArrayEquals(csvBytes, Files.readAllBytes(csv));
		assertArrayEquals(tifBytes, Files.readAllBytes(tif));
		assertEquals(old, Files.getLastModifiedTime(csv));
		assertEquals(old, Files.getLastModifiedTime(tif));

		Result forced = cli(classify(input, out, "--overwrite"));
		assertEquals(ExitCodes.OK, forced.code(), forced.err());
		assertFalse(old.equals(Files.getLastModifiedTime(csv)), "rewritten");
		assertEquals(4, csv(csv).size());
	}

	@Test
	void modelByIdFromModelsDir() throws Exception {
		Path models = Files.createDirectories(dir.resolve("models"));
		Fixtures.copyTinyModel(models);
		Path input = stack("scan.tiff");
		Path out = dir.resolve("o");
		Result r = cli("classify", "--model", "tiny-brightness", "--models-dir", models.toString(), "--input", input.toString(), "--output",
			out.toString(), "--device", "cpu", "--batch-size", "2", "--quiet");
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertEquals("", r.out(), "--quiet prints nothing");
		assertTrue(Files.exists(out.resolve("scan.csv")) && Files.exists(out.resolve("scan.tif")));
	}

	@Test
	void missingInputIsBadInput() {
		Path missing = dir.resolve("missing.tif");
		Result r = cli(classify(missing, dir.resolve("o")));
		assertEquals(ExitCodes.BAD_INPUT, r.code());
		assertEquals(3, r.code());
		assertTrue(r.err().contains(missing.toString()), r.err());
	}

	@Test
	void emptyFileIsBadInputWithOneLine() throws Exception {
		Path empty = Files.createFile(dir.resolve("empty.tif"));
		Result r = cli(classify(empty, dir.resolve("o")));
		assertEquals(3, r.code());
		assertEquals(1, r.errLines().size(), r.err());
		assertTrue(r.errLines().get(0).contains(empty.toString()) && r.errLines().get(0).contains("empty"), r.err());
		assertFalse(Files.exists(dir.resolve("o").resolve("empty.csv")));
	}

	@Test
	void unknownModelIdIsModelError() {
		Path input = stack("x.tif");
		Result r = cli("classify", "--model", "no-such-model", "--input", input.toString(), "--output", dir.resolve("o").toString(),
			"--device", "cpu");
		assertEquals(ExitCodes.MODEL, r.code());
		assertEquals(4, r.code());
		assertTrue(r.err().contains("no-such-model") && r.err().contains("not found"), r.err());
		assertEquals(1, r.errLines().size(), r.err());
	}

	@Test
	void damagedModelIsModelError() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		Files.write(pkg.resolve("head.bin"), new byte[] {9}, java.nio.file.StandardOpenOption.APPEND);
		Path input = stack("x.tif");
		Result r = cli("classify", "--model", pkg.toString(), "--input", input.toString(), "--output", dir.resolve("o").toString(), "--device", "cpu");
		assertEquals(4, r.code());
		assertTrue(r.err().contains(pkg.resolve("head.bin").toString()) && r.err().contains("sha256 mismatch"), r.err());
		assertFalse(Files.exists(dir.resolve("o").resolve("x.csv")), "no partial output");
	}

	@Test
	void singlePngSlice() throws Exception {
		java.awt.image.BufferedImage bi = new java.awt.image.BufferedImage(48, 40, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
		java.awt.image.WritableRaster raster = bi.getRaster();
		for (int y = 0; y < 40; y++) for (int x = 0; x < 48; x++) raster.setSample(x, y, 0, 15);
		Path png = dir.resolve("dark.png");
		assertTrue(javax.imageio.ImageIO.write(bi, "png", png.toFile()));
		Path out = dir.resolve("o");
		Result r = cli(classify(png, out));
		assertEquals(0, r.code(), r.err());
		List<List<String>> rows = csv(out.resolve("dark.csv"));
		assertEquals(2, rows.size());
		assertEquals("dark", rows.get(1).get(rows.get(0).indexOf("predicted")));
		ImagePlus back = new Opener().openImage(out.resolve("dark.tif").toString());
		assertEquals(1, back.getStackSize());
		assertEquals(1, PredictionOverlays.count(back.getOverlay()));
	}

	@Test
	void uncompressedCtDicom() throws Exception {
		Path ct = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-pydicom/CT_small.dcm");
		Path out = dir.resolve("o");
		Result r = cli(classify(ct, out));
		assertEquals(0, r.code(), r.err());
		List<List<String>> rows = csv(out.resolve("CT_small.csv"));
		assertEquals(2, rows.size());
		assertEquals("CT_small.dcm", rows.get(1).get(rows.get(0).indexOf("source")));
		assertTrue(Files.exists(out.resolve("CT_small.tif")));
	}

	@Test
	void badDeviceAndBatchSizeAreUsageErrors() {
		Path input = stack("x.tif");
		Result dev = cli("classify", "--model", Fixtures.tinyModel().toString(), "--input", input.toString(), "--output",
			dir.resolve("o").toString(), "--device", "quantum");
		assertEquals(ExitCodes.USAGE, dev.code());
		assertEquals(2, dev.code());
		assertTrue(dev.err().contains("quantum"), dev.err());
		Result zero = cli(classify(input, dir.resolve("o"), "--batch-size", "0"));
		assertEquals(2, zero.code());
		assertTrue(zero.err().contains("--batch-size"), zero.err());
		Result notNumber = cli(classify(input, dir.resolve("o"), "--batch-size", "many"));
		assertEquals(2, notNumber.code());
		assertEquals(2, cli("classify", "--input", input.toString()).code(), "missing required options");
		assertEquals(2, cli("frobnicate").code());
	}

	@Test
	void compressedDicomIsBadInput() {
		Path j2k = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-osirix-cta-jpeg2000/osirix-toutatix-100.dcm");
		Result r = cli(classify(j2k, dir.resolve("o")));
		assertEquals(3, r.code());
		assertEquals(1, r.errLines().size(), r.err());
		assertTrue(r.err().contains("JPEG 2000") && r.err().contains(j2k.toString()), r.err());
	}

	@Test
	void doctorListsModelsWithTheirState() throws Exception {
		Path models = Files.createDirectories(dir.resolve("models"));
		Fixtures.copyTinyModel(models);
		// A second, damaged copy under another folder name and id.
		Path broken = Files.createDirectories(models.resolve("broken"));
		Path good = models.resolve("tiny-brightness");
		for (String f : List.of("trunk.pt", "head.bin")) Files.copy(good.resolve(f), broken.resolve(f));
		Files.writeString(broken.resolve("model.json"), Files.readString(good.resolve("model.json")).replace("\"id\": \"tiny-brightness\"", "\"id\": \"broken-one\""));
		Files.write(broken.resolve("head.bin"), new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
		Result r = cli("doctor", "--models-dir", models.toString());
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("model.tiny-brightness: ok"), r.out());
		assertTrue(r.out().contains("model.broken-one: BROKEN") && r.out().contains("sha256 mismatch"), r.out());
		assertTrue(r.out().contains("ai.djl.offline: true"), r.out());
		assertTrue(r.out().contains(models.toString()), r.out());
		assertTrue(Hashes.sha256(good.resolve("model.json")).startsWith(r.out().replaceAll("(?s).*model.tiny-brightness: ok, hashes verified, sha256 (\\w+).*", "$1")));
	}

	@Test
	void baseNames() {
		assertEquals("x", org.medcnn.app.ClassifyTask.baseName(Paths.get("x.tif")));
		assertEquals("x", org.medcnn.app.ClassifyTask.baseName(Paths.get("/data/in/x.TIFF")));
		assertEquals("brain", org.medcnn.app.ClassifyTask.baseName(Paths.get("brain.nii.gz")));
		assertEquals("brain", org.medcnn.app.ClassifyTask.baseName(Paths.get("brain.nii")));
		assertEquals("cells", org.medcnn.app.ClassifyTask.baseName(Paths.get("cells.ome.tif")));
		assertEquals("cells", org.medcnn.app.ClassifyTask.baseName(Paths.get("cells.ome.tiff")));
		assertEquals("a.b", org.medcnn.app.ClassifyTask.baseName(Paths.get("a.b.png")));
		assertEquals("ct", org.medcnn.app.ClassifyTask.baseName(Paths.get("ct.dcm")));
		assertEquals("ct", org.medcnn.app.ClassifyTask.baseName(Paths.get("ct.dicom")));
		assertEquals("photo", org.medcnn.app.ClassifyTask.baseName(Paths.get("photo.jpeg")));
		assertEquals("photo", org.medcnn.app.ClassifyTask.baseName(Paths.get("photo.JPG")));
		assertEquals("MR.1.3.12.2", org.medcnn.app.ClassifyTask.baseName(Paths.get("MR.1.3.12.2")), "unknown extensions are kept");
		assertEquals("notes.txt", org.medcnn.app.ClassifyTask.baseName(Paths.get("notes.txt")));
		assertEquals(".tif", org.medcnn.app.ClassifyTask.baseName(Paths.get(".tif")), "never an empty name");
	}

	private static List<String> listing(Path d) throws Exception {
		try (Stream<Path> s = Files.list(d)) {
			return s.map(p -> p.getFileName().toString()).sorted().toList();
		}
	}
}
