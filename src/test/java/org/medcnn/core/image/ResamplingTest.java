package org.medcnn.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ResamplingTest {

	@Test
	void sameSizeIsACopy() {
		float[] src = new float[6 * 4];
		new Random(3).ints(src.length, 0, 1000).forEach(new java.util.function.IntConsumer() {
			int i;

			@Override
			public void accept(int v) {
				src[i++] = v;
			}
		});
		float[] out = Resampling.resize(src, 6, 4, 6, 4);
		assertArrayEquals(src, out);
		assertNotSame(src, out);
	}

	@Test
	void constantStaysConstant() {
		float[] src = new float[97 * 61];
		Arrays.fill(src, 42.5f);
		for (int[] size : new int[][] {{32, 32}, {10, 7}, {1, 1}, {200, 150}, {97, 20}}) {
			float[] out = Resampling.resize(src, 97, 61, size[0], size[1]);
			assertEquals(size[0] * size[1], out.length);
			for (float v : out) assertEquals(42.5f, v, 1e-4f, "resized to " + size[0] + "x" + size[1]);
		}
	}

	@Test
	void downscaleAveragesWithoutOvershoot() {
		// A horizontal ramp 0..99 over 100 columns, downscaled 4x: stays a rising ramp inside the input range,
		// and pixel blocks are averaged (antialiasing) instead of sampled.
		int w = 100;
		int h = 8;
		float[] src = new float[w * h];
		for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) src[y * w + x] = x;
		float[] out = Resampling.resize(src, w, h, 25, 2);
		for (int y = 0; y < 2; y++) {
			for (int x = 0; x < 25; x++) {
				float v = out[y * 25 + x];
				assertTrue(v >= 0 && v <= 99, "no overshoot: " + v);
				if (x > 0) assertTrue(v > out[y * 25 + x - 1], "rising");
			}
		}
		// Interior output pixel x covers input 4x..4x+3, centred at 4x+2 (pixel centres at +0.5): the average is 4x+1.5.
		assertEquals(4 * 10 + 1.5f, out[10], 1e-3f);
		// Fine stripes (period 2) average out to grey rather than aliasing to one value.
		float[] stripes = new float[64 * 4];
		for (int i = 0; i < stripes.length; i++) stripes[i] = (i % 64) % 2 == 0 ? 0 : 1;
		float[] grey = Resampling.resize(stripes, 64, 4, 8, 4);
		for (int x = 1; x < 7; x++) assertEquals(0.5f, grey[x], 0.02f);
	}

	@Test
	void upscaleInterpolates() {
		float[] src = {0, 10};
		float[] out = Resampling.resize(src, 2, 1, 4, 1);
		// Target centres at 0.25, 0.75, 1.25, 1.75 source pixels; source centres at 0.5 and 1.5.
		assertArrayEquals(new float[] {0, 2.5f, 7.5f, 10}, out, 1e-5f);
	}
}
