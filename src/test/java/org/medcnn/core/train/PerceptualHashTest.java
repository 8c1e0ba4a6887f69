package org.medcnn.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.medcnn.core.image.Resampling;
import org.medcnn.core.image.Slice;

class PerceptualHashTest {

	/** A smooth 64 x 64 image: a few low-frequency waves, values about 20-230. */
	static Slice smooth() {
		int w = 64;
		int h = 64;
		float[] px = new float[w * h];
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				px[y * w + x] = (float) (125 + 50 * Math.sin(x / 5.0) + 40 * Math.cos(y / 7.0) + 15 * Math.sin((x + 2 * y) / 9.0));
			}
		}
		return new Slice(1, "smooth", w, h, px);
	}

	/** A different smooth image: other waves, running mostly along the other axis. */
	static Slice other() {
		int w = 64;
		int h = 64;
		float[] px = new float[w * h];
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				px[y * w + x] = (float) (125 + 60 * Math.cos(x / 3.0 + 1) + 30 * Math.sin(y / 4.0) * Math.cos(x / 6.0));
			}
		}
		return new Slice(1, "other", w, h, px);
	}

	@Test
	void rescaledAndBrighterCopiesAreNear() {
		Slice s = smooth();
		long[] h = PerceptualHash.dhash(s);
		assertEquals(4, h.length);
		Slice big = new Slice(1, "2x", 128, 128, Resampling.resize(s.pixels(), 64, 64, 128, 128));
		float[] brighter = s.pixels().clone();
		for (int i = 0; i < brighter.length; i++) brighter[i] += 10;
		Slice bright = new Slice(1, "+10", 64, 64, brighter);
		int dBig = PerceptualHash.distance(h, PerceptualHash.dhash(big));
		int dBright = PerceptualHash.distance(h, PerceptualHash.dhash(bright));
		assertTrue(dBig <= 8, "2x copy differs by " + dBig + " bits");
		assertTrue(dBright <= 8, "+10 copy differs by " + dBright + " bits");
		// The hash is not degenerate: a smooth image with gradients both ways sets a fair share of bits.
		int ones = 0;
		for (long v : h) ones += Long.bitCount(v);
		assertTrue(ones > 50 && ones < 206, ones + " bits set");
	}

	@Test
	void differentImageIsFar() {
		int d = PerceptualHash.distance(PerceptualHash.dhash(smooth()), PerceptualHash.dhash(other()));
		assertTrue(d > 40, "different images differ by only " + d + " bits");
		// A left-right mirror reverses every horizontal gradient: almost all bits flip.
		Slice s = smooth();
		float[] m = new float[64 * 64];
		for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) m[y * 64 + x] = s.pixels()[y * 64 + 63 - x];
		int dm = PerceptualHash.distance(PerceptualHash.dhash(s), PerceptualHash.dhash(new Slice(1, "mirror", 64, 64, m)));
		assertTrue(dm > 200, "mirror differs by " + dm + " bits");
	}

	@Test
	void bitsFollowTheHorizontalGradient() {
		// Decreasing to the right: every pixel is brighter than its right neighbour, all 256 bits set.
		float[] down = new float[34 * 32];
		for (int y = 0; y < 32; y++) for (int x = 0; x < 34; x++) down[y * 34 + x] = 100 - x;
		long[] all = PerceptualHash.dhash(new Slice(1, "", 34, 32, down));
		for (long v : all) assertEquals(-1L, v);
		// Constant: no pixel is brighter than its neighbour, no bit set.
		long[] none = PerceptualHash.dhash(new Slice(1, "", 34, 32, new float[34 * 32]));
		for (long v : none) assertEquals(0L, v);
		assertEquals(256, PerceptualHash.distance(all, none));
	}

	@Test
	void distanceCountsDifferingBits() {
		long[] a = {0b1011L, 0, -1L, Long.MIN_VALUE};
		assertEquals(0, PerceptualHash.distance(a, a.clone()));
		assertEquals(3, PerceptualHash.distance(a, new long[] {0, 0, -1L, Long.MIN_VALUE}));
		assertEquals(3 + 64 + 1, PerceptualHash.distance(a, new long[4]));
		assertEquals(2, PerceptualHash.distance(new long[] {0, 1, 0, 0}, new long[] {0, 0, 0, 1}));
	}

	@Test
	void pixelHashIsEqualForEqualPixelsOnly() {
		Slice s = smooth();
		Slice copy = new Slice(7, "another label", 64, 64, s.pixels().clone());
		assertEquals(PerceptualHash.pixelHash(s), PerceptualHash.pixelHash(copy), "label and index do not count");
		assertEquals(64, PerceptualHash.pixelHash(s).length(), "hex SHA-256");
		float[] changed = s.pixels().clone();
		changed[33 * 64 + 17] += 1;
		assertNotEquals(PerceptualHash.pixelHash(s), PerceptualHash.pixelHash(new Slice(1, "", 64, 64, changed)));
		// Same values, other shape.
		float[] v = new float[16];
		for (int i = 0; i < 16; i++) v[i] = i;
		assertNotEquals(PerceptualHash.pixelHash(new Slice(1, "", 4, 4, v)), PerceptualHash.pixelHash(new Slice(1, "", 2, 8, v)));
	}
}
