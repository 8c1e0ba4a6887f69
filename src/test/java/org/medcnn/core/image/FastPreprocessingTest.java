package org.medcnn.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The faster preprocessing gives bit for bit the values of the plain formulas it replaced, so models
 * trained before see exactly the same inputs: the table map of integer data against the per-pixel
 * formula, and the blocked, row-wise resampling against the straightforward column-by-column one.
 */
class FastPreprocessingTest {

	@Test
	void tableMapEqualsThePerPixelFormula() {
		SplittableRandom r = new SplittableRandom(11);
		for (int trial = 0; trial < 60; trial++) {
			int n = 1 + r.nextInt(5000);
			float[] v = new float[n];
			int span = 1 + r.nextInt(trial % 2 == 0 ? 300 : 70000);
			int offset = r.nextInt(4000) - 2000;
			for (int i = 0; i < n; i++) v[i] = offset + r.nextInt(span);
			double lo = offset + r.nextDouble() * span / 3.0;
			double hi = lo + 1 + r.nextDouble() * span;
			IntegerHistogram h = IntegerHistogram.of(v);
			assertNotNull(h, "integer data is histogrammed");
			assertArrayEquals(perPixel(v, lo, hi), h.map(v, lo, hi), "trial " + trial);
			assertArrayEquals(perPixel(v, lo, hi), IntegerHistogram.linear(v, lo, hi), "trial " + trial);
		}
	}

	@Test
	void slicesKeptAsIntegersPreprocessExactlyLikeTheirFloatValues() {
		SplittableRandom r = new SplittableRandom(23);
		IntensityPolicy[] policies = {new IntensityPolicy.Percentile(0.5, 99.5), new IntensityPolicy.Percentile(0, 100),
			new IntensityPolicy.Range(0, 4095), IntensityPolicy.parse("window:40:400")};
		for (int trial = 0; trial < 40; trial++) {
			int w = 1 + r.nextInt(trial % 4 == 0 ? 8 : 300);
			int h = 1 + r.nextInt(trial % 4 == 0 ? 8 : 300);
			int n = w * h;
			int span = trial % 5 == 0 ? 1 : 1 + r.nextInt(trial % 2 == 0 ? 256 : 65536);
			int offset = r.nextInt(65536 - span + 1);
			short[] u16 = new short[n];
			byte[] u8 = new byte[n];
			for (int i = 0; i < n; i++) {
				u16[i] = (short) (offset + r.nextInt(span));
				u8[i] = (byte) r.nextInt(Math.min(span, 256));
			}
			Slice s16 = Slice.unsigned16(1, "", w, h, u16);
			Slice s8 = Slice.unsigned8(1, "", w, h, u8);
			Slice f16 = new Slice(1, "", w, h, s16.pixels().clone());
			Slice f8 = new Slice(1, "", w, h, s8.pixels().clone());
			for (int i = 0; i < n; i++) {
				if (f16.pixels()[i] != (u16[i] & 0xffff) || f8.pixels()[i] != (u8[i] & 0xff)) throw new AssertionError("unsigned values at " + i);
			}
			for (IntensityPolicy p : policies) {
				assertArrayEquals(p.apply(f16), p.apply(s16), "16-bit trial " + trial + " " + p.describe());
				assertArrayEquals(p.apply(f8), p.apply(s8), "8-bit trial " + trial + " " + p.describe());
			}
		}
	}

	@Test
	void tablesIndexedByThePixelOrFromTheSmallestValueMapAlike() {
		// A pixel's integer is its table index where the table can afford entries from 0 (four a pixel at
		// most); else the table starts at the smallest value. Both give the per-pixel formula's floats.
		SplittableRandom r = new SplittableRandom(5);
		int[][] cases = {{512, 512, 0}, {512, 512, 60000}, {8, 8, 60000}, {8, 8, 3}, {128, 128, 65000}, {40, 40, 9000}};
		for (int[] c : cases) {
			int w = c[0];
			int n = w * c[1];
			short[] u16 = new short[n];
			for (int i = 0; i < n; i++) u16[i] = (short) (c[2] + r.nextInt(Math.min(Math.min(500, n), 65536 - c[2])));
			Slice integers = Slice.unsigned16(1, "", w, c[1], u16);
			IntegerHistogram.Table t = IntegerHistogram.ofUnsigned(integers).percentileTable(0.5, 99.5);
			int min = 65535;
			int max = 0;
			for (short v : u16) {
				min = Math.min(min, v & 0xffff);
				max = Math.max(max, v & 0xffff);
			}
			boolean fromZero = max + 1 <= Math.max(4 * n, 4096);
			assertEquals(fromZero ? 0 : min, t.base(), w + "x" + c[1] + " from " + c[2]);
			IntensityPolicy p = new IntensityPolicy.Percentile(0.5, 99.5);
			assertArrayEquals(p.apply(new Slice(1, "", w, c[1], integers.pixels().clone())), t.map(integers), w + "x" + c[1] + " from " + c[2]);
		}
	}

	@Test
	void calibratedIntegerSlicesPreprocessExactlyLikeTheirCalibratedFloatValues() {
		// CT in ImageJ: raw 16-bit values and a straight line to Hounsfield units (integer or not), 8-bit data
		// with a steep line, and a curve that is flat in places. The integers are histogrammed and mapped
		// through tables; the float path sees the calibrated values themselves.
		SplittableRandom r = new SplittableRandom(41);
		float[][] tables16 = {line(1 << 16, 1, -1024), line(1 << 16, 0.5, -1000.25), line(1 << 16, 1, -32768), steps(1 << 16, 7)};
		float[][] tables8 = {line(1 << 8, 2.5, -100), steps(1 << 8, 3)};
		IntensityPolicy[] policies = {new IntensityPolicy.Percentile(0.5, 99.5), new IntensityPolicy.Percentile(0, 100),
			new IntensityPolicy.Percentile(10, 90), IntensityPolicy.parse("window:-600:1500"), new IntensityPolicy.Range(-1000, 400)};
		for (IntensityPolicy policy : policies) {
			SlicePreprocessor pre = new SlicePreprocessor(InputSpec.builder().setSize(224, 224).setIntensity(policy).optMinSliceSize(4).build());
			for (int[] size : new int[][] {{512, 512}, {97, 300}, {7, 5}}) {
				int n = size[0] * size[1];
				for (float[] t : tables16) {
					short[] v = new short[n];
					int span = 1 + r.nextInt(r.nextBoolean() ? 2000 : 65536);
					int offset = r.nextInt(65536 - span + 1);
					for (int i = 0; i < n; i++) v[i] = (short) (offset + r.nextInt(span));
					Slice calibrated = Slice.copyOfUnsigned16(1, "", size[0], size[1], v, Slice.Calibration.of(t, 1 << 16), null);
					assertTrue(calibrated.integerValued());
					for (int i = 0; i < n; i += 97) assertEquals(t[v[i] & 0xffff], calibrated.pixels()[i]);
					Slice floats = new Slice(1, "", size[0], size[1], calibrated.pixels().clone());
					String what = policy.describe() + " " + size[0] + "x" + size[1] + " 16-bit table from " + t[0];
					assertArrayEquals(policy.apply(floats), policy.apply(calibrated), what);
					assertArrayEquals(pre.unitImage(floats), pre.unitImage(calibrated), what);
				}
				for (float[] t : tables8) {
					byte[] b = new byte[n];
					for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt(256);
					Slice calibrated = Slice.copyOfUnsigned8(1, "", size[0], size[1], b, Slice.Calibration.of(t, 1 << 8), null);
					Slice floats = new Slice(1, "", size[0], size[1], calibrated.pixels().clone());
					String what = policy.describe() + " " + size[0] + "x" + size[1] + " 8-bit table from " + t[0];
					assertArrayEquals(policy.apply(floats), policy.apply(calibrated), what);
					assertArrayEquals(pre.unitImage(floats), pre.unitImage(calibrated), what);
				}
			}
		}
	}

	@Test
	void onlyFiniteNeverDecreasingCalibrationsGoWithIntegers() {
		assertNotNull(Slice.Calibration.of(line(1 << 16, 1, -1024), 1 << 16));
		assertNull(Slice.Calibration.of(line(1 << 16, -1, 1024), 1 << 16), "decreasing: the integers' order is not the values' order");
		float[] nan = line(1 << 8, 1, 0);
		nan[200] = Float.NaN;
		assertNull(Slice.Calibration.of(nan, 1 << 8));
		assertNull(Slice.Calibration.of(new float[255], 1 << 8), "too short");
		float[] table = line(1 << 8, 1, 0);
		Slice.Calibration c = Slice.Calibration.of(table, 1 << 8);
		table[5] = 1e6f;
		assertEquals(5f, Slice.copyOfUnsigned8(1, "", 1, 1, new byte[] {5}, c, null).pixels()[0], "the table was copied");
		IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
			() -> Slice.copyOfUnsigned16(3, "", 1, 1, new short[1], c, null));
		assertTrue(e.getMessage().contains("slice 3"), e.getMessage());
	}

	/** A straight-line calibration table, as ImageJ's for a slope and an intercept. */
	private static float[] line(int size, double slope, double intercept) {
		float[] t = new float[size];
		for (int i = 0; i < size; i++) t[i] = (float) (intercept + slope * i);
		return t;
	}

	/** A never decreasing table that is flat over runs of {@code run} integers. */
	private static float[] steps(int size, int run) {
		float[] t = new float[size];
		for (int i = 0; i < size; i++) t[i] = (float) (i / run * 1.25 - 500);
		return t;
	}

	@Test
	void integerSlicesPreprocessExactlyLikeTheirFloatValuesAtEverySizeAndPlacement() {
		// Integer slices are mapped through a table and resized in one pass over their rows; float slices
		// are mapped whole, then resized.
		SplittableRandom r = new SplittableRandom(31);
		int[][] sizes = {{512, 512}, {513, 300}, {37, 91}, {224, 224}, {9, 17}, {600, 200}, {224, 100}, {100, 224}};
		IntensityPolicy[] policies = {new IntensityPolicy.Percentile(0.5, 99.5), new IntensityPolicy.Percentile(0, 100),
			new IntensityPolicy.Percentile(2, 98), new IntensityPolicy.Range(0, 4095), IntensityPolicy.parse("window:40:400")};
		for (InputSpec.Resize resize : InputSpec.Resize.values()) {
			for (IntensityPolicy policy : policies) {
				InputSpec spec = InputSpec.builder().setSize(224, 224).setIntensity(policy).optResize(resize).optMinSliceSize(4).build();
				SlicePreprocessor pre = new SlicePreprocessor(spec);
				for (int[] s : sizes) {
					int n = s[0] * s[1];
					short[] v = new short[n];
					byte[] b = new byte[n];
					int span = 1 + r.nextInt(r.nextBoolean() ? 300 : 65536);
					int offset = r.nextInt(65536 - span + 1);
					for (int i = 0; i < n; i++) {
						v[i] = (short) (offset + r.nextInt(span));
						b[i] = (byte) r.nextInt(Math.min(span, 256));
					}
					String what = resize + " " + policy.describe() + " " + s[0] + "x" + s[1];
					Slice integers = Slice.unsigned16(1, "", s[0], s[1], v);
					assertArrayEquals(pre.unitImage(new Slice(1, "", s[0], s[1], integers.pixels().clone())), pre.unitImage(integers), "16-bit " + what);
					Slice bytes = Slice.unsigned8(1, "", s[0], s[1], b);
					assertArrayEquals(pre.unitImage(new Slice(1, "", s[0], s[1], bytes.pixels().clone())), pre.unitImage(bytes), "8-bit " + what);
				}
			}
		}
	}

	@Test
	void nonIntegerOrHugeRangesTakeThePerPixelPath() {
		assertNull(IntegerHistogram.of(new float[] {1, 2.5f, 3}));
		assertNull(IntegerHistogram.of(new float[] {0.5f, 1.5f}), "a half-integer grid is not integer data");
		assertNull(IntegerHistogram.of(new float[] {1, Float.NaN}));
		assertNull(IntegerHistogram.of(new float[] {1, Float.POSITIVE_INFINITY}));
		assertNull(IntegerHistogram.of(new float[] {0, 1 << 21}));
		float[] v = {0.25f, -3.5f, 7.125f, 100};
		assertArrayEquals(perPixel(v, -1, 10), IntegerHistogram.linear(v, -1, 10));
	}

	@Test
	void resamplingEqualsColumnByColumnReference() {
		assertResamplesLikeTheReference(new SplittableRandom(5),
			new int[][] {{512, 512, 224, 224}, {37, 91, 224, 224}, {513, 7, 100, 3}, {10, 10, 30, 41}, {3, 5, 1, 1}, {224, 300, 224, 161}});
	}

	@Test
	void resamplingReusesItsWorkingRowsWithoutCarryingValuesOver() {
		// Each thread keeps its working rows from image to image: larger, smaller and other sizes in turn
		// on one thread still give the reference values.
		SplittableRandom r = new SplittableRandom(13);
		assertResamplesLikeTheReference(r,
			new int[][] {{512, 512, 224, 224}, {512, 300, 224, 100}, {512, 512, 224, 224}, {512, 40, 224, 7}, {100, 512, 60, 224}, {512, 512, 224, 224}});
		// No rows at all, twice (nothing kept from the first), then a real image again.
		assertEquals(0, Resampling.resize(new float[512 * 8], 512, 8, 224, 0).length);
		assertEquals(0, Resampling.resize(new float[512 * 8], 512, 8, 224, 0).length);
		assertResamplesLikeTheReference(r, new int[][] {{512, 512, 224, 224}});
	}

	/** Random images of each size {sw, sh, dw, dh}, in turn on this thread, against {@link #reference}. */
	private static void assertResamplesLikeTheReference(SplittableRandom r, int[][] sizes) {
		for (int[] s : sizes) {
			float[] src = new float[s[0] * s[1]];
			for (int i = 0; i < src.length; i++) src[i] = (float) r.nextDouble();
			assertArrayEquals(reference(src, s[0], s[1], s[2], s[3]), Resampling.resize(src, s[0], s[1], s[2], s[3]),
				s[0] + "x" + s[1] + " -> " + s[2] + "x" + s[3]);
		}
	}

	@Test
	void theHistogramFindsTheExtremeValuesOfAnIntegerSlice() {
		// The occupied range is searched from the AND and the OR of all values: exact at 0 and 65535, with an
		// odd number of pixels, and where the OR overshoots the largest value (1023 | 1024 = 2047).
		int[][] cases = {{0, 65535, 7}, {1023, 1024, 1024}, {65535, 65535, 65535}, {0, 0, 1}, {32768, 5, 40000}};
		IntensityPolicy policy = new IntensityPolicy.Percentile(0, 100);
		for (int[] values : cases) {
			for (int w : new int[] {values.length, 5, 7}) {
				short[] u16 = new short[w];
				for (int i = 0; i < w; i++) u16[i] = (short) values[i % values.length];
				Slice integers = Slice.unsigned16(1, "", w, 1, u16);
				Slice floats = new Slice(1, "", w, 1, integers.pixels().clone());
				assertArrayEquals(policy.apply(floats), policy.apply(integers), java.util.Arrays.toString(values) + " width " + w);
			}
		}
	}

	@Test
	void columnsFirstDiffersFromTheFormerRowsFirstOrderOnlyByRounding() {
		// Resampling used to run along rows first; the same sums in the other order
		// differ only in float rounding: a few units in the last place of values in [0, 1].
		SplittableRandom r = new SplittableRandom(7);
		for (int[] s : new int[][] {{512, 512, 224, 224}, {300, 513, 224, 224}, {64, 64, 224, 224}}) {
			float[] src = new float[s[0] * s[1]];
			for (int i = 0; i < src.length; i++) src[i] = (float) r.nextDouble();
			float[] before = rowsFirst(src, s[0], s[1], s[2], s[3]);
			float[] now = Resampling.resize(src, s[0], s[1], s[2], s[3]);
			double worst = 0;
			for (int i = 0; i < now.length; i++) worst = Math.max(worst, Math.abs(now[i] - before[i]));
			assertTrue(worst < 5e-7, s[0] + "x" + s[1] + ": largest difference " + worst);
		}
	}

	/** The order used before: rows (along each row), then columns. */
	private static float[] rowsFirst(float[] src, int sw, int sh, int dw, int dh) {
		float[] tmp = new float[dw * sh];
		for (int y = 0; y < sh; y++) {
			for (int x = 0; x < dw; x++) tmp[y * dw + x] = tap(src, y * sw, 1, sw, dw, x);
		}
		float[] out = new float[dw * dh];
		for (int x = 0; x < dw; x++) {
			for (int y = 0; y < dh; y++) out[y * dw + x] = tap(tmp, x, dw, sh, dh, y);
		}
		return out;
	}

	/** The formula of IntensityPolicy's linear map, pixel by pixel. */
	private static float[] perPixel(float[] values, double lo, double hi) {
		float[] out = new float[values.length];
		double scale = 1.0 / (hi - lo);
		for (int i = 0; i < values.length; i++) {
			double v = (values[i] - lo) * scale;
			out[i] = (float) (v < 0 ? 0 : v > 1 ? 1 : v);
		}
		return out;
	}

	/** Resampling written plainly: each output pixel summed tap by tap, columns (down each column) then rows. */
	private static float[] reference(float[] src, int sw, int sh, int dw, int dh) {
		float[] tmp = new float[sw * dh];
		for (int x = 0; x < sw; x++) {
			for (int y = 0; y < dh; y++) tmp[y * sw + x] = tap(src, x, sw, sh, dh, y);
		}
		float[] out = new float[dw * dh];
		for (int y = 0; y < dh; y++) {
			for (int x = 0; x < dw; x++) out[y * dw + x] = tap(tmp, y * sw, 1, sw, dw, x);
		}
		return out;
	}

	private static float tap(float[] data, int base, int stride, int in, int out, int i) {
		double scale = (double) in / out;
		double support = Math.max(1.0, scale);
		double center = (i + 0.5) * scale;
		int lo = Math.max(0, (int) Math.floor(center - support));
		int hi = Math.min(in - 1, (int) Math.ceil(center + support));
		float[] w = new float[hi - lo + 1];
		double sum = 0;
		for (int j = lo; j <= hi; j++) {
			double d = Math.abs((j + 0.5 - center) / support);
			double v = d < 1 ? 1 - d : 0;
			w[j - lo] = (float) v;
			sum += v;
		}
		for (int k = 0; k < w.length; k++) w[k] /= (float) sum;
		float acc = 0;
		int idx = base + lo * stride;
		for (float wk : w) {
			acc += wk * data[idx];
			idx += stride;
		}
		return acc;
	}
}
