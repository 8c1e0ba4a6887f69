package org.medcnn.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class IntensityPolicyTest {

	@Test
	void rangeMapsLinearlyAndClamps() {
		float[] in = {-10, 0, 63.75f, 127.5f, 255, 300};
		float[] out = new IntensityPolicy.Range(0, 255).apply(in);
		assertArrayEquals(new float[] {0, 0, 0.25f, 0.5f, 1, 1}, out, 1e-6f);
		assertEquals(-10f, in[0], "input not modified");
	}

	@Test
	void ctWindowByHand() {
		// Soft-tissue window: centre 40 HU, width 400 HU -> [-160, 240].
		IntensityPolicy w = new IntensityPolicy.Window(40, 400);
		float[] out = w.apply(new float[] {-1024, -160, -60, 40, 140, 240, 1000});
		assertArrayEquals(new float[] {0, 0, 0.25f, 0.5f, 0.75f, 1, 1}, out, 1e-6f);
		// Lung window: centre -600, width 1500 -> [-1350, 150].
		float[] lung = new IntensityPolicy.Window(-600, 1500).apply(new float[] {-1350, -975, -600, 150});
		assertArrayEquals(new float[] {0, 0.25f, 0.5f, 1}, lung, 1e-6f);
	}

	@Test
	void percentileByHand() {
		// 0..100: the p-th percentile is p itself.
		float[] v = new float[101];
		for (int i = 0; i < v.length; i++) v[100 - i] = i; // unsorted input
		IntensityPolicy p = new IntensityPolicy.Percentile(10, 90);
		float[] out = p.apply(v);
		for (int i = 0; i < v.length; i++) {
			float x = v[i];
			float expected = x <= 10 ? 0 : x >= 90 ? 1 : (x - 10) / 80f;
			assertEquals(expected, out[i], 1e-6f, "value " + x);
		}
		// Interpolation between order statistics: {0, 10, 20, 30}, the 50th percentile is 15.
		assertEquals(15.0, IntensityPolicy.percentile(new float[] {0, 10, 20, 30}, 50), 1e-9);
		assertEquals(0.0, IntensityPolicy.percentile(new float[] {0, 10, 20, 30}, 0), 1e-9);
		assertEquals(30.0, IntensityPolicy.percentile(new float[] {0, 10, 20, 30}, 100), 1e-9);
		assertEquals(3.0, IntensityPolicy.percentile(new float[] {0, 10, 20, 30}, 10), 1e-9);
		assertEquals(7.0, IntensityPolicy.percentile(new float[] {7}, 42), 1e-9);
		// Outliers do not stretch the scale: {0 x 98, 1000, 5000} with 1..99 percentiles.
		float[] spiky = new float[100];
		spiky[98] = 1000;
		spiky[99] = 5000;
		float[] s = new IntensityPolicy.Percentile(0, 98).apply(spiky);
		assertEquals(0f, s[0]);
		assertEquals(1f, s[99], "clamped");
	}

	@Test
	void percentileOfConstantSliceIsZero() {
		assertArrayEquals(new float[] {0, 0, 0}, new IntensityPolicy.Percentile(1, 99).apply(new float[] {5, 5, 5}));
	}

	@Test
	void invalidPoliciesAreRefused() {
		assertThrows(IllegalArgumentException.class, () -> new IntensityPolicy.Range(1, 1));
		assertThrows(IllegalArgumentException.class, () -> new IntensityPolicy.Range(2, 1));
		assertThrows(IllegalArgumentException.class, () -> new IntensityPolicy.Window(0, 0));
		assertThrows(IllegalArgumentException.class, () -> new IntensityPolicy.Window(0, Double.NaN));
		assertThrows(IllegalArgumentException.class, () -> new IntensityPolicy.Percentile(-1, 50));
		assertThrows(IllegalArgumentException.class, () -> new IntensityPolicy.Percentile(50, 50));
		assertThrows(IllegalArgumentException.class, () -> new IntensityPolicy.Percentile(1, 100.5));
	}

	@Test
	void describe() {
		assertEquals("range(min=0, max=255)", new IntensityPolicy.Range(0, 255).describe());
		assertEquals("percentile(low=0.5, high=99.5)", new IntensityPolicy.Percentile(0.5, 99.5).describe());
	}
}
