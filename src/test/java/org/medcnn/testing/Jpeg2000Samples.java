package org.medcnn.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ij.measure.Calibration;
import ij.process.ImageProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The two JPEG 2000 CT samples of {@code ../shared/data/reader-samples/dicom/ct-osirix-cta-jpeg2000}, decoded once
 * independently of Bio-Formats: pydicom 2.3.1 (Debian python3-pydicom) took the one fragment of each file's
 * encapsulated pixel data, OpenJPEG 2.5.0's {@code opj_decompress} (Debian libopenjp2-tools) decoded it to a
 * 16-bit PGM, and numpy read the values. The headers (read with pydicom) say: Pixel Representation 0 (unsigned),
 * Bits Stored 12, Rescale Slope 1, Rescale Intercept -1024, Pixel Spacing 0.48828125 mm, Slice Thickness 1.5,
 * Image Position z -230 (instance 100) and -231 (instance 101), one Series Instance UID.
 */
public final class Jpeg2000Samples {

	/** The folder of the samples, under ../shared. */
	public static final String FOLDER = "data/reader-samples/dicom/ct-osirix-cta-jpeg2000";

	/** Stored values (x, y, value) of instance 100. */
	public static final int[][] PIXELS_100 = {{0, 0, 42}, {256, 256, 1030}, {100, 300, 810}, {400, 150, 274}, {255, 200, 1042}};

	/** Stored values (x, y, value) of instance 101. */
	public static final int[][] PIXELS_101 = {{0, 0, 1}, {256, 256, 1047}, {100, 300, 524}, {400, 150, 182}, {255, 200, 1026}};

	/** Sum of all stored values of instance 100. */
	public static final long SUM_100 = 149158416L;

	/** Sum of all stored values of instance 101. */
	public static final long SUM_101 = 149471567L;

	/** The largest stored value of instance 100. */
	public static final int MAX_100 = 2443;

	/** Rescale Intercept: HU = stored value - 1024. */
	public static final double INTERCEPT = -1024;

	/** The Series Instance UID of both. */
	public static final String SERIES_UID = "1.3.12.2.1107.5.1.4.54023.30000005032916373504600004747";

	private Jpeg2000Samples() {}

	/**
	 * Checks a decoded slice: its stored values at the reference points, their HU through the calibration, and
	 * the sum of all stored values.
	 *
	 * @param ip the slice
	 * @param cal the image's calibration
	 * @param expected {@link #PIXELS_100} or {@link #PIXELS_101}
	 * @param sum {@link #SUM_100} or {@link #SUM_101}
	 */
	public static void check(ImageProcessor ip, Calibration cal, int[][] expected, long sum) {
		for (int[] p : expected) {
			assertEquals(p[2], ip.get(p[0], p[1]), "stored value at " + p[0] + "," + p[1]);
			assertEquals(p[2] + INTERCEPT, cal.getCValue(ip.get(p[0], p[1])), 0, "HU at " + p[0] + "," + p[1]);
		}
		long s = 0;
		for (int i = 0; i < ip.getPixelCount(); i++) s += ip.get(i);
		assertEquals(sum, s, "sum of the stored values");
	}

	/**
	 * Writes a copy of instance 101 whose codestream starts with 200 zero bytes instead of its markers: a JPEG 2000
	 * DICOM file that no decoder can read.
	 *
	 * @param samples the samples' folder
	 * @param file the file to write
	 * @return the file
	 * @throws IOException if reading or writing fails
	 */
	public static Path writeBroken(Path samples, Path file) throws IOException {
		byte[] bytes = Files.readAllBytes(samples.resolve("osirix-toutatix-101.dcm"));
		int soc = -1;
		for (int i = 0; i + 4 <= bytes.length && soc < 0; i++) {
			if ((bytes[i] & 0xff) == 0xFF && bytes[i + 1] == 0x4F && (bytes[i + 2] & 0xff) == 0xFF && bytes[i + 3] == 0x51) soc = i;
		}
		if (soc < 0) throw new IOException("no JPEG 2000 codestream in " + samples);
		for (int i = soc; i < soc + 200; i++) bytes[i] = 0;
		return Files.write(file, bytes);
	}
}
