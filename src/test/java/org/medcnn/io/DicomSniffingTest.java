package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.app.batch.BatchInputs;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TinyDicom;

/**
 * DICOM is read as DICOM, always: the "DICM" magic at byte 128 is checked before any other, because the
 * preamble may hold a TIFF header (pydicom's CT_small.dcm does). Such files get the DICOM checks and
 * calibration, and a header that does not describe the pixels, a compressed syntax, or a Siemens mosaic
 * that cannot be unpacked is refused with a line that says so.
 */
class DicomSniffingTest {

	/** The first bytes of a little-endian TIFF, as dual-personality DICOM files carry them in the preamble. */
	private static final byte[] TIFF_PREAMBLE = {'I', 'I', 42, 0, 8, 0, 0, 0};

	@TempDir
	Path dir;

	@Test
	void aDicomWithATiffPreambleIsReadAsDicomWithItsRescaleSlope() throws Exception {
		short[] raw = {10, 20, 30, 40};
		Path f = new TinyDicom(2, 2, raw).preamble(TIFF_PREAMBLE).rescale(-5, 2).write(dir.resolve("dual.tif"));
		ImagePlus imp = ImageFiles.open(f);
		assertArrayEquals(new float[] {15, 35, 55, 75}, new ImagePlusSlices(imp, null).get(0).pixels(), "2 x raw - 5, from the DICOM header");
		assertTrue(imp.getInfoProperty().contains("0028,1053"), "the DICOM header is the image's Info");
	}

	@Test
	void aHeaderThatDoesNotDescribeItsPixelsIsRefused() throws Exception {
		Path more = new TinyDicom(4, 4, new short[16]).claimRows(8).write(dir.resolve("more.dcm"));
		assertMessage(more, "damaged DICOM file", "pixel data has 32 bytes", "need 64", "the header does not describe the pixels");
		Path fewer = new TinyDicom(4, 4, new short[16]).claimRows(2).preamble(TIFF_PREAMBLE).write(dir.resolve("fewer.dcm"));
		assertMessage(fewer, "damaged DICOM file", "pixel data has 32 bytes", "need 16");
		// In a series folder the file is left out with the same reason.
		Path series = Files.createDirectories(dir.resolve("series"));
		new TinyDicom(4, 4, new short[16]).series("1.2.3").instance(1).axialAt(0).write(series.resolve("1.dcm"));
		Files.copy(more, series.resolve("2.dcm"));
		DicomSeries s = DicomSeries.open(series);
		assertEquals(1, s.image().getStackSize());
		assertTrue(String.join(" ", s.warnings()).contains("the header does not describe the pixels"), s.warnings().toString());
	}

	@Test
	void pydicomCtSmallIsReadAsDicomAndItsPatchedVariantsAreRefusedClearly() throws Exception {
		Path original = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-pydicom/CT_small.dcm");
		byte[] bytes = Files.readAllBytes(original);
		assertEquals("II*", new String(bytes, 0, 3, StandardCharsets.ISO_8859_1), "the sample's preamble is a TIFF header");
		ImagePlus ct = ImageFiles.open(original);
		assertEquals(128, ct.getWidth());
		assertTrue(ct.getCalibration().calibrated(), "rescale slope and intercept from the DICOM header");
		float[] hu = new ImagePlusSlices(ct, null).get(0).pixels();

		// Rescale Slope 1 -> 2: read through the DICOM path headless (it used to be "damaged TIFF file: HeadlessException").
		int slope = indexOf(bytes, new byte[] {0x28, 0x00, 0x53, 0x10, 'D', 'S', 2, 0});
		byte[] two = bytes.clone();
		two[slope + 8] = '2';
		ImagePlus doubled = ImageFiles.open(Files.write(dir.resolve("slope2.dcm"), two));
		float[] v = new ImagePlusSlices(doubled, null).get(0).pixels();
		// Same intercept, twice the slope: differences between pixels double.
		int distinct = 0;
		for (int i = 0; i < hu.length; i += 97) {
			assertEquals(2 * (hu[i] - hu[0]), v[i] - v[0], 1e-3, "pixel " + i);
			if (hu[i] != hu[0]) distinct++;
		}
		assertTrue(distinct > 10, "the slice is not flat");

		// Pixel data cut short: refused (it used to be classified silently as a TIFF).
		Path cut = Files.write(dir.resolve("cut.dcm"), Arrays.copyOf(bytes, bytes.length - 1000));
		assertMessage(cut, "damaged DICOM file", "(7FE0,0010)");

		// Compressed transfer syntaxes: named, with the way out (they used to be "damaged or unsupported TIFF file").
		assertMessage(Files.write(dir.resolve("rle.dcm"), withTransferSyntax(bytes, "1.2.840.10008.1.2.5")), "compressed transfer syntax",
			"RLE Lossless (1.2.840.10008.1.2.5)", "Bio-Formats");
		assertMessage(Files.write(dir.resolve("jpegls.dcm"), withTransferSyntax(bytes, "1.2.840.10008.1.2.4.70")), "compressed transfer syntax",
			"JPEG Lossless SV1 (1.2.840.10008.1.2.4.70)");
		// A batch lists it by its preamble whatever its name, and reads it as DICOM.
		Path in = Files.createDirectories(dir.resolve("in"));
		Files.copy(original, in.resolve("no-extension"));
		assertEquals(List.of("no-extension"), BatchInputs.list(in, false, null, null).stream().map(BatchInputs.Input::source).toList());
	}

	@Test
	void aSiemensMosaicThatDoesNotDivideIntoItsTilesIsRefused() throws Exception {
		// nibabel's sample says MOSAIC with 48 images, but its 256 x 256 pixels are not a 7 x 7 grid.
		Path dti = Fixtures.sharedOrSkip("data/reader-samples/dicom/mr-siemens-dti-nibabel/0.dcm");
		assertEquals(48, DicomHeaders.mosaicImages(dti, DicomHeaders.transferSyntax(dti)), "NumberOfImagesInMosaic from the CSA header");
		assertMessage(dti, "Siemens mosaic of 48 slices should be a 7 x 7 grid of tiles", "256 x 256");
		Path mosaic = Fixtures.sharedOrSkip("data/reader-samples/dicom/mr-siemens-mosaic-dcm_qa");
		try (var files = Files.list(mosaic)) {
			Path first = files.sorted().findFirst().orElseThrow();
			assertEquals(35, DicomHeaders.mosaicImages(first, DicomHeaders.transferSyntax(first)));
		}
		Path plain = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-pydicom/CT_small.dcm");
		assertEquals(0, DicomHeaders.mosaicImages(plain, DicomHeaders.transferSyntax(plain)), "not a mosaic");
	}

	private static void assertMessage(Path file, String... parts) {
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(file));
		String m = e.getMessage();
		assertTrue(m.startsWith(file.toString()), "names the file: " + m);
		for (String p : parts) assertTrue(m.contains(p), "'" + p + "' in: " + m);
		assertTrue(m.length() <= 500 && !m.contains("\n"), "one bounded line: " + m);
	}

	private static int indexOf(byte[] b, byte[] what) {
		outer:
		for (int i = 0; i + what.length <= b.length; i++) {
			for (int k = 0; k < what.length; k++) if (b[i + k] != what[k]) continue outer;
			return i;
		}
		throw new AssertionError("not found");
	}

	/** Replaces the value of (0002,0010) Transfer Syntax UID, which may change its length. */
	private static byte[] withTransferSyntax(byte[] file, String uid) {
		int at = indexOf(file, new byte[] {0x02, 0x00, 0x10, 0x00, 'U', 'I'});
		int len = ByteBuffer.wrap(file, at + 6, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
		byte[] value = (uid.length() % 2 == 0 ? uid : uid + "\0").getBytes(StandardCharsets.US_ASCII);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		out.write(file, 0, at + 6);
		out.write(value.length & 0xff);
		out.write(value.length >> 8);
		out.write(value, 0, value.length);
		out.write(file, at + 8 + len, file.length - at - 8 - len);
		return out.toByteArray();
	}
}
