package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.measure.Calibration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TinyDicom;

class DicomSeriesTest {

	private static final String BBMRI = "data/reader-samples/dicom/mr-series-bbmri";
	private static final String J2K = "data/reader-samples/dicom/ct-osirix-cta-jpeg2000";

	@TempDir
	Path dir;

	private static void assertMessage(ImageReadException e, Path file, String... parts) {
		String m = e.getMessage();
		assertTrue(m.contains(file.toString()), "message names " + file + ": " + m);
		assertEquals(file, e.file());
		for (String p : parts) assertTrue(m.contains(p), "message contains '" + p + "': " + m);
	}

	private static void assertWarning(List<String> warnings, String... parts) {
		for (String w : warnings) {
			boolean all = true;
			for (String p : parts) all &= w.contains(p);
			if (all) return;
		}
		throw new AssertionError("no warning contains " + List.of(parts) + ": " + warnings);
	}

	private static List<Path> files(Path folder) throws Exception {
		try (var s = Files.list(folder)) {
			return s.sorted().toList();
		}
	}

	/** A value from ImageJ's DICOM header text ("gggg,eeee  Name: value"), read here independently of the reader. */
	private static String header(String info, String tag) {
		for (String line : info.split("\n")) {
			if (line.startsWith(tag)) return line.substring(line.indexOf(':') + 1).trim();
		}
		throw new AssertionError(tag + " not in header");
	}

	private static double[] numbers(String s) {
		String[] p = s.split("\\\\");
		double[] v = new double[p.length];
		for (int i = 0; i < p.length; i++) v[i] = Double.parseDouble(p[i].trim());
		return v;
	}

	private static int instance(ImagePlus imp, int slice) {
		String first = imp.getStack().getSliceLabel(slice).split("\n")[0];
		return Integer.parseInt(first.substring(first.indexOf('#') + 1));
	}

	private static short[] pixels(ImagePlus imp, int slice) {
		return (short[]) imp.getStack().getPixels(slice);
	}

	// -- Real series --

	@Test
	void bbmriSeriesIsInInstanceOrderWithSpacingFromPositions() throws Exception {
		Path folder = Fixtures.sharedOrSkip(BBMRI);
		DicomSeries series = DicomSeries.open(folder);
		ImagePlus imp = series.image();
		assertEquals(List.of(), series.warnings());
		assertNull(imp.getProperty(DicomSeries.WARNINGS_PROPERTY));
		assertEquals(6, imp.getStackSize());
		assertEquals(256, imp.getWidth());
		assertEquals(16, imp.getBitDepth());
		// Header values read from each file on its own, through ImageJ's single-file reader.
		List<Path> files = files(folder);
		Map<Integer, Path> byInstance = new java.util.TreeMap<>();
		Map<Integer, double[]> positions = new java.util.HashMap<>();
		double[] iop = null;
		double thickness = 0;
		for (Path f : files) {
			String info = ImageFiles.open(f).getInfoProperty();
			int n = Integer.parseInt(header(info, "0020,0013"));
			byInstance.put(n, f);
			positions.put(n, numbers(header(info, "0020,0032")));
			iop = numbers(header(info, "0020,0037"));
			thickness = Double.parseDouble(header(info, "0018,0050"));
		}
		assertEquals(List.of(63, 72, 81, 90, 99, 108), new ArrayList<>(byInstance.keySet()));
		double[] normal = {iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5], iop[0] * iop[4] - iop[1] * iop[3]};
		double previous = Double.NaN;
		double sign = 0;
		for (int s = 1; s <= 6; s++) {
			int n = instance(imp, s);
			assertEquals(new ArrayList<>(byInstance.keySet()).get(s - 1), n, "slice " + s + " in instance order");
			Path f = byInstance.get(n);
			assertTrue(imp.getStack().getSliceLabel(s).startsWith(f.getFileName() + " #" + n + "\n"), imp.getStack().getSliceLabel(s));
			assertArrayEquals((short[]) ImageFiles.open(f).getProcessor().getPixels(), pixels(imp, s), "pixels of " + f);
			double[] p = positions.get(n);
			double along = p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
			if (s > 1) {
				double step = along - previous;
				if (sign == 0) sign = Math.signum(step);
				assertEquals(sign, Math.signum(step), "instance order is also position order");
				assertEquals(9.0, Math.abs(step), 1e-3, "successive slices lie 9 mm apart");
			}
			previous = along;
		}
		// Every 9th slice of a 1 mm series: spacing 9 x the 1 mm slice thickness in the headers.
		assertEquals(1.0, thickness);
		Calibration cal = imp.getCalibration();
		assertEquals(9 * thickness, cal.pixelDepth, 1e-3);
		assertEquals(1.0, cal.pixelWidth);
		assertEquals(1.0, cal.pixelHeight);
		assertEquals("mm", cal.getUnit());
		assertEquals(header(ImageFiles.open(files.get(0)).getInfoProperty(), "0020,000E"), series.seriesInstanceUid());
		assertEquals(6, series.files().size());
		assertTrue(imp.getInfoProperty().contains("0020,000E"), "Info holds the first slice's header");
		assertEquals(files.get(0).getFileName() + " #63", new ImagePlusSlices(imp, null).get(0).label());
	}

	@Test
	void shuffledRenamedCopyGivesTheSameOrder() throws Exception {
		Path folder = Fixtures.sharedOrSkip(BBMRI);
		ImagePlus original = DicomSeries.open(folder).image();
		List<Path> files = new ArrayList<>(files(folder));
		Collections.shuffle(files, new Random(3));
		// New names whose order is not the instance order (checked below).
		List<Integer> namedOrder = new ArrayList<>();
		for (int i = 0; i < files.size(); i++) {
			Files.copy(files.get(i), dir.resolve("slice-" + (char) ('a' + i) + ".dcm"));
			namedOrder.add(Integer.parseInt(header(ImageFiles.open(files.get(i)).getInfoProperty(), "0020,0013")));
		}
		assertNotEquals(namedOrder.stream().sorted().toList(), namedOrder, "the copy's name order differs from the instance order");
		DicomSeries shuffled = DicomSeries.open(dir);
		ImagePlus imp = shuffled.image();
		assertEquals(6, imp.getStackSize());
		for (int s = 1; s <= 6; s++) {
			assertEquals(instance(original, s), instance(imp, s), "slice " + s);
			assertArrayEquals(pixels(original, s), pixels(imp, s), "slice " + s);
		}
		assertEquals(original.getCalibration().pixelDepth, imp.getCalibration().pixelDepth, 1e-9);
		assertEquals(List.of(), shuffled.warnings());
	}

	@Test
	void twoSeriesInOneFolderGiveTheLargestAndAWarning() throws Exception {
		Path bbmri = Fixtures.sharedOrSkip(BBMRI);
		for (Path f : files(bbmri)) Files.copy(f, dir.resolve(f.getFileName()));
		// A second series of two axial slices 3 mm apart, 0.5 mm pixels.
		String otherUid = "1.2.826.0.1.3680043.2.1125.20.2";
		new TinyDicom(4, 4, new short[16]).series(otherUid).instance(1).axialAt(0).write(dir.resolve("other-1.dcm"));
		new TinyDicom(4, 4, new short[16]).series(otherUid).instance(2).axialAt(3).write(dir.resolve("other-2.dcm"));
		String bbmriUid = header(ImageFiles.open(files(bbmri).get(0)).getInfoProperty(), "0020,000E");

		DicomSeries largest = DicomSeries.open(dir);
		assertEquals(6, largest.image().getStackSize());
		assertEquals(bbmriUid, largest.seriesInstanceUid());
		assertWarning(largest.warnings(), "2 series", bbmriUid, "6 slices", "the largest", "left out", otherUid, "2 slices");
		assertEquals(String.join("\n", largest.warnings()), largest.image().getProperty(DicomSeries.WARNINGS_PROPERTY));

		DicomSeries chosen = DicomSeries.open(dir, otherUid);
		ImagePlus imp = chosen.image();
		assertEquals(2, imp.getStackSize());
		assertEquals(List.of(1, 2), List.of(instance(imp, 1), instance(imp, 2)));
		// Positions differ by 3 mm along the normal.
		assertEquals(3.0, imp.getCalibration().pixelDepth, 1e-9);
		assertEquals(0.5, imp.getCalibration().pixelWidth, 1e-9);
		assertWarning(chosen.warnings(), "2 series", otherUid, "left out", bbmriUid);

		ImageReadException e = assertThrows(ImageReadException.class, () -> DicomSeries.open(dir, "1.2.3.4"));
		assertMessage(e, dir, "no slice of series 1.2.3.4", bbmriUid, otherUid);
	}

	@Test
	void jpeg2000OnlyFolderSaysNothingIsReadableAndWhy() throws Exception {
		Path folder = Fixtures.sharedOrSkip(J2K);
		ImageReadException e = assertThrows(ImageReadException.class, () -> DicomSeries.open(folder));
		assertMessage(e, folder, "no readable DICOM slice", "2 files", "JPEG 2000 (1.2.840.10008.1.2.4.91)", "osirix-toutatix-100.dcm",
			"osirix-toutatix-101.dcm", "Bio-Formats");
	}

	@Test
	void compressedFileNextToReadableOnesIsSkippedWithAWarning() throws Exception {
		Path bbmri = Fixtures.sharedOrSkip(BBMRI);
		for (Path f : files(bbmri)) Files.copy(f, dir.resolve(f.getFileName()));
		Files.copy(Fixtures.sharedOrSkip(J2K + "/osirix-toutatix-100.dcm"), dir.resolve("osirix-toutatix-100.dcm"));
		Files.writeString(dir.resolve("notes.txt"), "not an image");
		Files.writeString(dir.resolve(".hidden"), "ignored");
		DicomSeries series = DicomSeries.open(dir);
		assertEquals(6, series.image().getStackSize());
		assertWarning(series.warnings(), "skipped 1 file", "JPEG 2000 (1.2.840.10008.1.2.4.91)", "osirix-toutatix-100.dcm");
		assertWarning(series.warnings(), "not DICOM", "notes.txt");
		assertTrue(series.warnings().stream().noneMatch(w -> w.contains(".hidden")), series.warnings().toString());
	}

	@Test
	void aDamagedSliceIsSkippedWithAWarningNamingWhatDoesNotFit() throws Exception {
		for (int i = 0; i < 3; i++) new TinyDicom(4, 3, ramp(12, 100 * i)).series("1.2.3").instance(i + 1).axialAt(2.5 * i).write(dir.resolve("s" + i + ".dcm"));
		Path cut = dir.resolve("s1.dcm");
		byte[] b = Files.readAllBytes(cut);
		Files.write(cut, java.util.Arrays.copyOf(b, b.length - 4));
		DicomSeries series = DicomSeries.open(dir);
		assertEquals(2, series.image().getStackSize());
		assertWarning(series.warnings(), cut.toString(), "skipped, damaged DICOM file", "element (7FE0,0010)", "claims 24 bytes", "has 20 after it");
	}

	@Test
	void emptyFoldersAndFoldersWithoutDicomAreRefused() throws Exception {
		Path empty = Files.createDirectory(dir.resolve("empty"));
		assertMessage(assertThrows(ImageReadException.class, () -> DicomSeries.open(empty)), empty, "folder is empty");
		Path nested = Files.createDirectory(dir.resolve("nested"));
		Files.createDirectory(nested.resolve("series1"));
		assertMessage(assertThrows(ImageReadException.class, () -> DicomSeries.open(nested)), nested, "only 1 sub-folder", "not searched");
		Path text = Files.createDirectory(dir.resolve("text"));
		Files.writeString(text.resolve("a.txt"), "hello");
		Files.writeString(text.resolve("b.json"), "{}");
		assertMessage(assertThrows(ImageReadException.class, () -> DicomSeries.open(text)), text, "no DICOM files", "2 files", "a.txt",
			"b.json");
		Path broken = Files.createDirectory(dir.resolve("broken"));
		Files.writeString(broken.resolve("x.dcm"), "not dicom");
		assertMessage(assertThrows(ImageReadException.class, () -> DicomSeries.open(broken)), broken, "x.dcm");
		Path file = Files.writeString(dir.resolve("file.dcm"), "x");
		assertMessage(assertThrows(ImageReadException.class, () -> DicomSeries.open(file)), file, "not a folder");
	}

	// -- Synthetic series --

	private static short[] ramp(int n, int base) {
		short[] px = new short[n];
		for (int i = 0; i < n; i++) px[i] = (short) (base + i);
		return px;
	}

	@Test
	void sharedRescaleKeepsImageJsCalibrationFunction() throws Exception {
		// Signed CT-like slices: ImageJ stores value + 32768 and folds the intercept into the function.
		for (int i = 0; i < 3; i++) {
			new TinyDicom(4, 3, ramp(12, -5 + 100 * i)).series("1.2.3").instance(i + 1).axialAt(2.5 * i).signed(true).rescale(-1024, 1)
				.write(dir.resolve("ct" + i + ".dcm"));
		}
		DicomSeries series = DicomSeries.open(dir);
		ImagePlus imp = series.image();
		assertEquals(16, imp.getBitDepth());
		assertArrayEquals(new double[] {-32768 - 1024, 1}, imp.getCalibration().getCoefficients());
		assertEquals(2.5, imp.getCalibration().pixelDepth, 1e-9);
		assertEquals(0.5, imp.getCalibration().pixelWidth, 1e-9);
		ImagePlusSlices slices = new ImagePlusSlices(imp, null);
		for (int s = 0; s < 3; s++) {
			float[] v = slices.get(s).pixels();
			for (int i = 0; i < 12; i++) assertEquals(-5 + 100 * s + i - 1024, v[i], "slice " + s + " pixel " + i);
		}
		assertEquals(List.of(), series.warnings());
	}

	@Test
	void rescaleThatDiffersBetweenSlicesGivesFloatInCalibratedUnits() throws Exception {
		new TinyDicom(4, 3, ramp(12, 1000)).series("1.2.3").instance(1).axialAt(0).rescale(-1000, 1).write(dir.resolve("a.dcm"));
		new TinyDicom(4, 3, ramp(12, 1000)).series("1.2.3").instance(2).axialAt(1).rescale(-1024, 1).write(dir.resolve("b.dcm"));
		new TinyDicom(4, 3, ramp(12, 1000)).series("1.2.3").instance(3).axialAt(2).rescale(-10, 2).write(dir.resolve("c.dcm"));
		DicomSeries series = DicomSeries.open(dir);
		ImagePlus imp = series.image();
		assertEquals(32, imp.getBitDepth());
		assertEquals(Calibration.NONE, imp.getCalibration().getFunction());
		double[][] expected = {{-1000, 1}, {-1024, 1}, {-10, 2}};
		for (int s = 0; s < 3; s++) {
			float[] px = (float[]) imp.getStack().getPixels(s + 1);
			for (int i = 0; i < 12; i++) {
				assertEquals(expected[s][0] + expected[s][1] * (1000 + i), px[i], 1e-3, "slice " + s + " pixel " + i);
			}
		}
		assertWarning(series.warnings(), "rescale slope/intercept differ", "32-bit float");
	}

	@Test
	void sliceOfAnotherSizeIsRefusedNamingTheFile() throws Exception {
		new TinyDicom(4, 3, ramp(12, 0)).series("1.2.3").instance(1).axialAt(0).write(dir.resolve("a.dcm"));
		Path odd = new TinyDicom(5, 3, ramp(15, 0)).series("1.2.3").instance(2).axialAt(1).write(dir.resolve("b.dcm"));
		ImageReadException e = assertThrows(ImageReadException.class, () -> DicomSeries.open(dir));
		assertMessage(e, odd, "5 x 3", "a.dcm", "4 x 3");
	}

	@Test
	void withoutPositionsSlicesAreSortedByInstanceNumber() throws Exception {
		int[] instances = {3, 1, 2};
		for (int i = 0; i < 3; i++) {
			new TinyDicom(2, 2, ramp(4, 10 * instances[i])).series("1.2.3").instance(instances[i]).write(dir.resolve("f" + i + ".dcm"));
		}
		DicomSeries series = DicomSeries.open(dir);
		ImagePlus imp = series.image();
		for (int s = 1; s <= 3; s++) {
			assertEquals(s, instance(imp, s));
			assertEquals(10 * s, pixels(imp, s)[0]);
		}
		assertEquals(List.of(), series.warnings());
	}

	@Test
	void positionsWinOverInstanceNumbersAndOddSpacingIsReported() throws Exception {
		// Positions 0, 1, 3 and a repeat at 3; instance numbers increase with position except the swapped pair.
		double[] z = {0, 1, 3, 3};
		int[] instances = {1, 3, 2, 4};
		for (int i = 0; i < 4; i++) {
			new TinyDicom(2, 2, ramp(4, 100 * i)).series("1.2.3").instance(instances[i]).axialAt(z[i]).write(dir.resolve("p" + i + ".dcm"));
		}
		DicomSeries series = DicomSeries.open(dir);
		ImagePlus imp = series.image();
		assertEquals(List.of(1, 3, 2, 4), List.of(instance(imp, 1), instance(imp, 2), instance(imp, 3), instance(imp, 4)));
		assertEquals(1.5, imp.getCalibration().pixelDepth, 1e-9, "mean spacing of the distinct positions 0, 1, 3");
		assertWarning(series.warnings(), "uneven slice spacing", "1 to 2 mm");
		assertWarning(series.warnings(), "4 slices lie at only 3 distinct positions");
		assertWarning(series.warnings(), "instance numbers do not follow the slice positions");
	}

	@Test
	void instanceNumbersThatDecreaseAlongTheNormalReverseTheGeometricOrder() throws Exception {
		for (int i = 0; i < 3; i++) {
			new TinyDicom(2, 2, ramp(4, i)).series("1.2.3").instance(10 - i).axialAt(5.0 * i).write(dir.resolve("r" + i + ".dcm"));
		}
		DicomSeries series = DicomSeries.open(dir);
		ImagePlus imp = series.image();
		assertEquals(List.of(8, 9, 10), List.of(instance(imp, 1), instance(imp, 2), instance(imp, 3)));
		assertEquals(5.0, imp.getCalibration().pixelDepth, 1e-9);
		assertEquals(List.of(), series.warnings());
	}

	@Test
	void topLevelValuesSkipNestedSequenceItems() {
		String info = "0008,1155  >Referenced SOP Instance UID: 9.9\n"
			+ "0020,000E  >Series Instance UID: 7.7.7\n"
			+ "0020,000E  Series Instance UID: 1.2.3 \n"
			+ "0020,0013  Instance Number: 5\n"
			+ "0051,100E  ---: Tra>Cor(-6.2)\n";
		Map<String, String> tags = DicomSeries.topLevel(info);
		assertEquals("1.2.3", tags.get("0020,000E"));
		assertEquals("5", tags.get("0020,0013"));
	}
}
