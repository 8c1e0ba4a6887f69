package org.medcnn.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.LUT;
import ij.process.ShortProcessor;
import java.awt.Color;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.medcnn.core.image.Slice;
import org.medcnn.io.ImageFiles;
import org.medcnn.testing.Fixtures;

/**
 * {@link ImagePlusSlices} over every ImageJ pixel type, against values computed here from the raw
 * pixels and the calibration the test set (never through ImageJ's own calibrated getters).
 */
class ImagePlusSlicesTest {

	private static final int W = 5;
	private static final int H = 3;

	/** A deterministic raw value per pixel and slice, spread over the type's range. */
	private static int raw(int slice, int i, int max) {
		return (int) ((slice * 7919L + i * 104729L) % (max + 1));
	}

	private static ImagePlus stack8(int n) {
		ImageStack st = new ImageStack(W, H);
		for (int s = 1; s <= n; s++) {
			byte[] px = new byte[W * H];
			for (int i = 0; i < px.length; i++) px[i] = (byte) raw(s, i, 255);
			st.addSlice("s" + s, new ByteProcessor(W, H, px));
		}
		return new ImagePlus("eight", st);
	}

	private static ImagePlus stack16(int n) {
		ImageStack st = new ImageStack(W, H);
		for (int s = 1; s <= n; s++) {
			short[] px = new short[W * H];
			for (int i = 0; i < px.length; i++) px[i] = (short) raw(s, i, 65535);
			st.addSlice("s" + s, new ShortProcessor(W, H, px, null));
		}
		return new ImagePlus("sixteen", st);
	}

	private static int u8(ImagePlus imp, int slice, int i) {
		return ((byte[]) imp.getStack().getPixels(slice))[i] & 0xff;
	}

	private static int u16(ImagePlus imp, int slice, int i) {
		return ((short[]) imp.getStack().getPixels(slice))[i] & 0xffff;
	}

	@Test
	void eightBitIsRaw() {
		ImagePlus imp = stack8(3);
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		assertEquals(3, src.size());
		assertEquals("eight", src.name());
		assertFalse(src.isHyperstack());
		for (int p = 0; p < 3; p++) {
			Slice s = src.get(p);
			assertEquals(p + 1, s.index());
			assertEquals(p + 1, src.stackIndex(p));
			assertNull(src.hyperstackPosition(p));
			assertEquals("s" + (p + 1), s.label());
			assertEquals(W, s.width());
			assertEquals(H, s.height());
			for (int i = 0; i < W * H; i++) assertEquals(u8(imp, p + 1, i), s.pixels()[i], 0f, "slice " + (p + 1) + " pixel " + i);
		}
		// The test data really spans the range, so a signed-byte bug would show.
		boolean high = false;
		for (int i = 0; i < W * H; i++) high |= u8(imp, 1, i) > 127;
		assertTrue(high);
	}

	@Test
	void sourceNameOverridesTitle() {
		assertEquals("file.tif", new ImagePlusSlices(stack8(1), "file.tif").name());
	}

	@Test
	void sixteenBitUncalibratedIsRaw() {
		ImagePlus imp = stack16(2);
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		boolean high = false;
		for (int p = 0; p < 2; p++) {
			Slice s = src.get(p);
			for (int i = 0; i < W * H; i++) {
				int v = u16(imp, p + 1, i);
				high |= v > 32767;
				assertEquals(v, s.pixels()[i], 0f);
			}
		}
		assertTrue(high, "test data has values above 32767");
	}

	@Test
	void signedSixteenBitGoesThroughCalibration() {
		ImagePlus imp = stack16(2);
		imp.getCalibration().setSigned16BitCalibration();
		assertTrue(imp.getCalibration().isSigned16Bit());
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		float min = Float.MAX_VALUE;
		for (int p = 0; p < 2; p++) {
			Slice s = src.get(p);
			for (int i = 0; i < W * H; i++) {
				float expected = u16(imp, p + 1, i) - 32768f;
				assertEquals(expected, s.pixels()[i], 0f);
				min = Math.min(min, s.pixels()[i]);
			}
		}
		assertTrue(min < 0, "signed data has negative values");
	}

	@Test
	void ctStraightLineCalibrationGivesHounsfieldUnits() {
		ImageStack st = new ImageStack(W, H);
		// Raw 0 is air (-1024 HU), 1024 water (0 HU), 2024 about bone (+1000 HU).
		short[] px = new short[W * H];
		int[] rawValues = {0, 24, 1024, 1064, 2024, 4095, 3000, 500, 1, 2, 3, 4, 5, 6, 7};
		for (int i = 0; i < px.length; i++) px[i] = (short) rawValues[i];
		st.addSlice("ct", new ShortProcessor(W, H, px, null));
		ImagePlus imp = new ImagePlus("ct", st);
		imp.getCalibration().setFunction(Calibration.STRAIGHT_LINE, new double[] {-1024, 1}, "HU");
		Slice s = new ImagePlusSlices(imp, null).get(0);
		for (int i = 0; i < px.length; i++) assertEquals(rawValues[i] - 1024f, s.pixels()[i], 0f, "pixel " + i);
		assertEquals(-1024f, s.pixels()[0], 0f);
		assertEquals(0f, s.pixels()[2], 0f);
		assertEquals(1000f, s.pixels()[4], 0f);
		assertTrue(s.integerValued(), "kept as raw integers with the calibration: preprocessed on the integers");
	}

	@Test
	void aDecreasingCalibrationIsReadAsFloats() {
		short[] px = new short[W * H];
		for (int i = 0; i < px.length; i++) px[i] = (short) (i * 100);
		ImagePlus imp = new ImagePlus("inverted", new ShortProcessor(W, H, px, null));
		imp.getCalibration().setFunction(Calibration.STRAIGHT_LINE, new double[] {1000, -0.5}, "");
		Slice s = new ImagePlusSlices(imp, null).get(0);
		// The integers' order is not the values' order here, so percentiles could not be taken on them.
		assertFalse(s.integerValued());
		for (int i = 0; i < px.length; i++) assertEquals(1000f - i * 100 * 0.5f, s.pixels()[i], 1e-3f);
	}

	@Test
	void ctSlopeOtherThanOneIsApplied() {
		short[] px = new short[W * H];
		for (int i = 0; i < px.length; i++) px[i] = (short) (i * 100);
		ImagePlus imp = new ImagePlus("ct2", new ShortProcessor(W, H, px, null));
		imp.getCalibration().setFunction(Calibration.STRAIGHT_LINE, new double[] {-1000, 0.5}, "HU");
		Slice s = new ImagePlusSlices(imp, null).get(0);
		for (int i = 0; i < px.length; i++) assertEquals(i * 100 * 0.5f - 1000f, s.pixels()[i], 1e-3f);
	}

	@Test
	void thirtyTwoBitIsUsedAsIs() {
		float[] px = new float[W * H];
		for (int i = 0; i < px.length; i++) px[i] = (i - 7) * 123.456f + 0.25f;
		px[3] = -1e6f;
		px[4] = 3.5e7f;
		ImagePlus imp = new ImagePlus("float", new FloatProcessor(W, H, px.clone()));
		// A calibration function on a 32-bit image must not be applied: ImageJ ignores it for float data too.
		imp.getCalibration().setFunction(Calibration.STRAIGHT_LINE, new double[] {-1024, 1}, "HU");
		Slice s = new ImagePlusSlices(imp, null).get(0);
		assertArrayEquals(px, s.pixels(), 0f);
	}

	@Test
	void rgbIsUnweightedMeanOfChannels() {
		int[] px = new int[W * H];
		int[][] rgb = new int[W * H][];
		for (int i = 0; i < px.length; i++) {
			int r = (i * 37) % 256;
			int g = (255 - i * 11) % 256;
			int b = (i * i * 5) % 256;
			rgb[i] = new int[] {r, g, b};
			px[i] = 0xff000000 | r << 16 | g << 8 | b;
		}
		px[0] = 0xffff0000; // pure red
		rgb[0] = new int[] {255, 0, 0};
		ImagePlus imp = new ImagePlus("rgb", new ColorProcessor(W, H, px));
		Slice s = new ImagePlusSlices(imp, null).get(0);
		for (int i = 0; i < px.length; i++) {
			float expected = (rgb[i][0] + rgb[i][1] + rgb[i][2]) / 3f;
			assertEquals(expected, s.pixels()[i], 1e-4f, "pixel " + i);
		}
		// Unweighted: pure red is 85, not a luminance-weighted 76.
		assertEquals(85f, s.pixels()[0], 1e-4f);
	}

	@Test
	void colourLutIsIgnored() {
		byte[] px = new byte[W * H];
		for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 17);
		ByteProcessor ip = new ByteProcessor(W, H, px.clone());
		ip.setColorModel(LUT.createLutFromColor(Color.red));
		ImagePlus red = new ImagePlus("red lut", ip);
		assertTrue(red.getProcessor().isColorLut(), "the image really has a colour LUT");
		Slice s = new ImagePlusSlices(red, null).get(0);
		for (int i = 0; i < px.length; i++) assertEquals(px[i] & 0xff, s.pixels()[i], 0f);

		// A "Fire"-like multi-colour LUT: index -> (r, g, b) that are not grey.
		byte[] r = new byte[256];
		byte[] g = new byte[256];
		byte[] b = new byte[256];
		for (int i = 0; i < 256; i++) {
			r[i] = (byte) Math.min(255, i * 3);
			g[i] = (byte) Math.max(0, i * 2 - 255);
			b[i] = (byte) (i < 64 ? i * 4 : Math.max(0, 255 - (i - 64) * 2));
		}
		ByteProcessor ip2 = new ByteProcessor(W, H, px.clone());
		ip2.setColorModel(new LUT(r, g, b));
		ImagePlus fire = new ImagePlus("fire", ip2);
		assertTrue(fire.getProcessor().isColorLut());
		Slice s2 = new ImagePlusSlices(fire, null).get(0);
		for (int i = 0; i < px.length; i++) assertEquals(px[i] & 0xff, s2.pixels()[i], 0f);
	}

	/** 2 channels x 3 z x 2 t; every plane is filled with a value that encodes its (c, z, t). */
	private static ImagePlus hyperstack() {
		ImageStack st = new ImageStack(W, H);
		for (int t = 1; t <= 2; t++) {
			for (int z = 1; z <= 3; z++) {
				for (int c = 1; c <= 2; c++) {
					ByteProcessor ip = new ByteProcessor(W, H);
					ip.setValue(code(c, z, t));
					ip.fill();
					st.addSlice("c" + c + "z" + z + "t" + t, ip);
				}
			}
		}
		ImagePlus imp = new ImagePlus("hyper", st);
		imp.setDimensions(2, 3, 2);
		imp.setOpenAsHyperStack(true);
		return imp;
	}

	private static int code(int c, int z, int t) {
		return 100 * c + 10 * z + t;
	}

	@Test
	void hyperstackReadsCurrentChannelTMajorThenZ() {
		ImagePlus imp = hyperstack();
		assertTrue(imp.isHyperStack());
		imp.setPosition(2, 1, 1);
		assertEquals(2, imp.getC());
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		assertTrue(src.isHyperstack());
		assertEquals(6, src.size(), "Z*T slices of one channel");
		int p = 0;
		for (int t = 1; t <= 2; t++) {
			for (int z = 1; z <= 3; z++) {
				// ImageJ's default order is czt: index = (t-1)*C*Z + (z-1)*C + c.
				int expectedIndex = (t - 1) * 2 * 3 + (z - 1) * 2 + 2;
				assertEquals(expectedIndex, src.stackIndex(p), "stack index at position " + p);
				assertArrayEquals(new int[] {2, z, t}, src.hyperstackPosition(p));
				Slice s = src.get(p);
				assertEquals(expectedIndex, s.index());
				assertEquals("c2z" + z + "t" + t, s.label());
				for (float v : s.pixels()) assertEquals(code(2, z, t), v, 0f);
				p++;
			}
		}
		// hyperstackPosition returns a copy.
		src.hyperstackPosition(0)[0] = 99;
		assertEquals(2, src.hyperstackPosition(0)[0]);
	}

	@Test
	void hyperstackFirstChannelByDefault() {
		ImagePlus imp = hyperstack();
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		assertEquals(6, src.size());
		assertEquals(1, src.stackIndex(0));
		assertEquals(code(1, 1, 1), src.get(0).pixels()[0], 0f);
		assertEquals(code(1, 3, 2), src.get(5).pixels()[0], 0f);
		assertEquals(11, src.stackIndex(5));
	}

	@Test
	void dicomSliceLabelKeepsFirstLine() {
		ImageStack st = new ImageStack(W, H);
		st.addSlice("IM-0001-0007.dcm\n0002,0002  Media Storage SOP Class UID: 1.2.840.10008.5.1.4.1.1.2\n0008,0060  Modality: CT",
			new ByteProcessor(W, H));
		st.addSlice(null, new ByteProcessor(W, H));
		st.addSlice("  padded \r\nsecond", new ByteProcessor(W, H));
		ImagePlusSlices src = new ImagePlusSlices(new ImagePlus("dicom", st), null);
		assertEquals("IM-0001-0007.dcm", src.get(0).label());
		assertEquals("", src.get(1).label());
		assertEquals("padded", src.get(2).label());
		assertEquals("x".repeat(80), ImagePlusSlices.label("x".repeat(200)));
		assertEquals("", ImagePlusSlices.label(null));
	}

	@Test
	void realCtDicomGivesHounsfieldUnitsFromHeader() throws Exception {
		Path file = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-pydicom/CT_small.dcm");
		ImagePlus imp = ImageFiles.open(file);
		String info = imp.getInfoProperty();
		assertNotNull(info, "ImageJ keeps the DICOM header as the Info property");
		double slope = header(info, "0028,1053", 1);
		double intercept = header(info, "0028,1052", 0);
		int representation = (int) header(info, "0028,0103", 0);
		assertEquals(1.0, slope);
		assertEquals(-1024.0, intercept);
		// ImageJ stores signed DICOM pixels (Pixel Representation 1) shifted by +32768 as unsigned 16-bit.
		int shift = representation == 1 ? 32768 : 0;
		assertEquals(16, imp.getBitDepth());
		ImageProcessor ip = imp.getStack().getProcessor(1);
		Slice s = new ImagePlusSlices(imp, null).get(0);
		assertEquals("CT_small.dcm", s.label());
		assertEquals(128 * 128, s.pixels().length);
		double min = Double.MAX_VALUE;
		double max = -Double.MAX_VALUE;
		for (int i = 0; i < s.pixels().length; i++) {
			double stored = ip.get(i) - shift;
			double hu = stored * slope + intercept;
			assertEquals(hu, s.pixels()[i], 1e-3, "pixel " + i);
			min = Math.min(min, hu);
			max = Math.max(max, hu);
		}
		// A CT of a body: air to bone, well inside the HU scale.
		assertTrue(min >= -1100 && max <= 3100 && max - min > 500, "HU range " + min + ".." + max);
	}

	/** Reads a numeric DICOM header value from ImageJ's info text, e.g. {@code 0028,1053  Rescale Slope: 1}. */
	private static double header(String info, String tag, double absent) {
		Matcher m = Pattern.compile("(?m)^" + Pattern.quote(tag) + "\\s+[^:]*:\\s*(\\S+)").matcher(info);
		return m.find() ? Double.parseDouble(m.group(1)) : absent;
	}

	@Test
	void aRecycledSliceLendsItsArrayAndTheImageIsNeverShared() {
		for (ImagePlus imp : new ImagePlus[] {stack8(3), stack16(3)}) {
			ImagePlusSlices src = new ImagePlusSlices(imp, null);
			float[] expected2 = src.get(1).pixels().clone();
			float[] expected3 = src.get(2).pixels().clone();
			// Read into the storage of a slice no longer used: the same values as a plain read, in that slice's
			// array (which the test, unlike a caller, looks at again: it now holds slice 2).
			Slice first = src.get(0);
			Slice second = src.get(1, first);
			assertEquals(2, second.index());
			assertArrayEquals(expected2, second.pixels(), imp.getTitle());
			assertArrayEquals(expected2, first.pixels(), imp.getTitle() + ": the array was reused");
			// A copy of the image's pixels as they were when read: editing the image afterwards changes nothing.
			Slice third = src.get(2, second);
			Object image = imp.getStack().getPixels(3);
			if (image instanceof short[] u16) u16[0] = (short) ~u16[0];
			else ((byte[]) image)[0] = (byte) ~((byte[]) image)[0];
			assertArrayEquals(expected3, third.pixels(), imp.getTitle());
			// A slice of another size, of either type, is not reused; null means a new array.
			for (ImagePlus other : new ImagePlus[] {new ImagePlus("small8", new ByteProcessor(2, 2)), new ImagePlus("small16", new ShortProcessor(2, 2))}) {
				Slice small = new ImagePlusSlices(other, null).get(0);
				float[] before = small.pixels().clone();
				assertArrayEquals(src.get(0).pixels(), src.get(0, small).pixels(), imp.getTitle());
				assertArrayEquals(before, new ImagePlusSlices(other, null).get(0).pixels(), "the other image is untouched");
			}
			assertArrayEquals(src.get(0).pixels(), src.get(0, null).pixels(), imp.getTitle());
		}
	}
}
