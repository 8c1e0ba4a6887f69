package org.medcnn.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AppearanceAugmenterTest {

	static float[] image() {
		float[] v = new float[32 * 32];
		for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) v[y * 32 + x] = ((x / 4 + y / 4) % 2 == 0 ? 0.2f : 0.7f) + x / 200f;
		return v;
	}

	@Test
	void probabilityZeroChangesNothing() {
		float[] v = image();
		assertArrayEquals(v, new AppearanceAugmenter(0).apply(v, 32, 32, new SplittableRandom(1)));
	}

	@Test
	void seededInRangeAndItChangesTheImage() {
		float[] v = image();
		float[] before = v.clone();
		AppearanceAugmenter a = new AppearanceAugmenter(1);
		float[] x = a.apply(v, 32, 32, new SplittableRandom(5));
		assertArrayEquals(x, a.apply(v, 32, 32, new SplittableRandom(5)), "same seed, same image");
		assertArrayEquals(before, v, "the input is not modified");
		assertFalse(Arrays.equals(v, x));
		for (float f : x) assertTrue(f >= 0 && f <= 1, "in [0, 1]: " + f);
	}

	@Test
	void windowStretchesTheClippedRange() {
		float[] w = AppearanceAugmenter.window(image(), 10);
		float min = 1;
		float max = 0;
		for (float f : w) {
			min = Math.min(min, f);
			max = Math.max(max, f);
		}
		assertTrue(min == 0 && max == 1, min + " " + max);
	}
}
