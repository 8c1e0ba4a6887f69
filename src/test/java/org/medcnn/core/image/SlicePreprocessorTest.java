package org.medcnn.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SlicePreprocessorTest {

	private static InputSpec.Builder spec(int w, int h) {
		return InputSpec.builder().setSize(w, h).setIntensity(new IntensityPolicy.Range(0, 255)).optMinSliceSize(4);
	}

	private static Slice constant(int w, int h, float v) {
		float[] px = new float[w * h];
		Arrays.fill(px, v);
		return new Slice(1, "c", w, h, px);
	}

	@Test
	void stretchFillsTheInput() {
		SlicePreprocessor pre = new SlicePreprocessor(spec(16, 16).build());
		assertEquals(new SlicePreprocessor.Placement(0, 0, 16, 16), pre.placement(100, 37));
	}

	@Test
	void letterboxPlacementForNonSquareSlices() {
		SlicePreprocessor pre = new SlicePreprocessor(spec(32, 32).optResize(InputSpec.Resize.LETTERBOX).build());
		// Wide: 64x32 -> scale 0.5 -> 32x16, centred vertically.
		assertEquals(new SlicePreprocessor.Placement(0, 8, 32, 16), pre.placement(64, 32));
		// Tall: 10x40 -> scale 0.8 -> 8x32, centred horizontally.
		assertEquals(new SlicePreprocessor.Placement(12, 0, 8, 32), pre.placement(10, 40));
		// Square: fills.
		assertEquals(new SlicePreprocessor.Placement(0, 0, 32, 32), pre.placement(20, 20));
	}

	@Test
	void letterboxPadsWithNormalisedBlack() {
		float[] mean = {0.5f, 0.25f, 0f};
		float[] std = {0.5f, 0.25f, 2f};
		SlicePreprocessor pre = new SlicePreprocessor(spec(8, 8).optResize(InputSpec.Resize.LETTERBOX).optNormalize(mean, std).build());
		// A 16x8 slice of 255 lands in rows 2..5 of the 8x8 input.
		float[] dest = new float[3 * 64 + 5];
		Arrays.fill(dest, Float.NaN);
		pre.preprocess(constant(16, 8, 255), dest, 5);
		for (int c = 0; c < 3; c++) {
			float pad = (0 - mean[c]) / std[c];
			float img = (1 - mean[c]) / std[c];
			for (int y = 0; y < 8; y++) {
				for (int x = 0; x < 8; x++) {
					float v = dest[5 + c * 64 + y * 8 + x];
					assertEquals(y >= 2 && y < 6 ? img : pad, v, 1e-5f, "c=" + c + " x=" + x + " y=" + y);
				}
			}
		}
		for (int i = 0; i < 5; i++) assertTrue(Float.isNaN(dest[i]), "nothing written before the offset");
	}

	@Test
	void normalisationWithMeanAndStd() {
		float[] mean = {0.485f, 0.456f, 0.406f};
		float[] std = {0.229f, 0.224f, 0.225f};
		SlicePreprocessor pre = new SlicePreprocessor(spec(8, 8).optNormalize(mean, std).build());
		float[] dest = new float[3 * 64];
		// 51 of 0..255 is 0.2 before normalisation.
		pre.preprocess(constant(8, 8, 51), dest, 0);
		for (int c = 0; c < 3; c++) {
			for (int i = 0; i < 64; i++) assertEquals((0.2f - mean[c]) / std[c], dest[c * 64 + i], 1e-5f);
		}
	}

	@Test
	void windowThenResizeThenThreeEqualChannels() {
		InputSpec s = InputSpec.builder().setSize(8, 8).setIntensity(new IntensityPolicy.Window(40, 400)).optMinSliceSize(2).build();
		SlicePreprocessor pre = new SlicePreprocessor(s);
		// 16x8 slice: left half -1000 HU (below the window: 0), right half 1000 HU (above: 1); stretched to 8x8.
		float[] px = new float[16 * 8];
		for (int y = 0; y < 8; y++) for (int x = 0; x < 16; x++) px[y * 16 + x] = x < 8 ? -1000 : 1000;
		float[] dest = new float[3 * 64];
		pre.preprocess(new Slice(1, "", 16, 8, px), dest, 0);
		for (int c = 0; c < 3; c++) {
			for (int y = 0; y < 8; y++) {
				int row = c * 64 + y * 8;
				for (int x = 0; x < 3; x++) assertEquals(0f, dest[row + x], 1e-6f, "left, x=" + x);
				for (int x = 5; x < 8; x++) assertEquals(1f, dest[row + x], 1e-6f, "right, x=" + x);
				// The two columns at the edge are blended symmetrically.
				assertEquals(1f, dest[row + 3] + dest[row + 4], 1e-5f);
				assertTrue(dest[row + 3] < dest[row + 4]);
				for (int x = 0; x < 8; x++) assertEquals(dest[x + y * 8], dest[row + x], 0f, "channels are equal");
			}
		}
		assertEquals(3 * 64, s.tensorSize());
	}

	@Test
	void checkNamesTheSliceAndProblem() {
		SlicePreprocessor pre = new SlicePreprocessor(spec(8, 8).optMinSliceSize(16).build());
		IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> pre.check(new Slice(7, "IM7", 10, 40, new float[400])));
		assertTrue(small.getMessage().contains("slice 7") && small.getMessage().contains("IM7") && small.getMessage().contains("16x16"), small.getMessage());
		float[] px = new float[16 * 16];
		px[2 * 16 + 5] = Float.POSITIVE_INFINITY;
		IllegalArgumentException inf = assertThrows(IllegalArgumentException.class, () -> pre.check(new Slice(3, "", 16, 16, px)));
		assertTrue(inf.getMessage().contains("infinite") && inf.getMessage().contains("x=5, y=2"), inf.getMessage());
	}

	@Test
	void specValidation() {
		assertThrows(IllegalArgumentException.class, () -> spec(4, 4).build());
		assertThrows(NullPointerException.class, () -> InputSpec.builder().setSize(8, 8).build());
		assertThrows(IllegalArgumentException.class, () -> spec(8, 8).optNormalize(new float[] {0, 0, 0}, new float[] {1, -1, 1}).build());
		assertThrows(IllegalArgumentException.class, () -> spec(8, 8).optMinSliceSize(0).build());
		assertThrows(IllegalArgumentException.class, () -> InputSpec.Resize.parse("crop"));
		assertEquals(InputSpec.Resize.LETTERBOX, InputSpec.Resize.parse("Letterbox"));
	}
}
