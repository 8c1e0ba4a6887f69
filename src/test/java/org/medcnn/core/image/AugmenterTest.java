package org.medcnn.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmenterTest {

	static final int W = 12;
	static final int H = 8;

	/** A unit image with no symmetry: values (x + 3y) / 40 in [0, 0.8]. */
	static float[] ramp() {
		float[] px = new float[W * H];
		for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) px[y * W + x] = (x + 3 * y) / 40f;
		return px;
	}

	static float[] mirror(float[] px, int w, int h) {
		float[] m = new float[px.length];
		for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) m[y * w + x] = px[y * w + (w - 1 - x)];
		return m;
	}

	@Test
	void neutralSettingsAreTheIdentity() {
		float[] in = ramp();
		float[] copy = in.clone();
		Augmenter none = new Augmenter(0, 1, 1, false, 0, 0);
		for (long seed = 0; seed < 5; seed++) {
			assertArrayEquals(in, none.apply(in, W, H, new SplittableRandom(seed)), 1e-6f, "seed " + seed);
		}
		assertArrayEquals(copy, in, "input not modified");
	}

	@Test
	void flipOnlyMirrorsOrLeavesAlone() {
		float[] in = ramp();
		Augmenter flip = new Augmenter(0, 1, 1, true, 0, 0);
		int mirrored = 0;
		int kept = 0;
		for (long seed = 0; seed < 40; seed++) {
			float[] out = flip.apply(in, W, H, new SplittableRandom(seed));
			if (close(out, mirror(in, W, H))) mirrored++;
			else if (close(out, in)) kept++;
			else throw new AssertionError("seed " + seed + ": neither the image nor its mirror: " + Arrays.toString(out));
		}
		// Each with probability 1/2.
		assertTrue(mirrored >= 8 && kept >= 8, mirrored + " mirrored, " + kept + " kept");
		// Without the flag nothing is ever mirrored.
		Augmenter noFlip = new Augmenter(0, 1, 1, false, 0, 0);
		for (long seed = 0; seed < 40; seed++) assertTrue(close(noFlip.apply(in, W, H, new SplittableRandom(seed)), in));
	}

	static boolean close(float[] a, float[] b) {
		for (int i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-6) return false;
		return true;
	}

	@Test
	void outputStaysInUnitRange() {
		// Extreme values and strong jitter: brightness +-0.5, contrast 1 +- 0.9.
		float[] in = new float[W * H];
		for (int i = 0; i < in.length; i++) in[i] = i % 2;
		Augmenter strong = new Augmenter(180, 0.5, 2, true, 0.5, 0.9);
		boolean sawZero = false;
		boolean sawOne = false;
		for (long seed = 0; seed < 50; seed++) {
			for (float v : strong.apply(in, W, H, new SplittableRandom(seed))) {
				assertTrue(v >= 0 && v <= 1, "seed " + seed + ": " + v);
				sawZero |= v == 0;
				sawOne |= v == 1;
			}
		}
		assertTrue(sawZero && sawOne, "the clamp is reached at both ends");
	}

	@Test
	void sameSeedSameOutput() {
		float[] in = ramp();
		Augmenter std = Augmenter.standard(true);
		float[] a = std.apply(in, W, H, new SplittableRandom(99));
		float[] b = std.apply(in, W, H, new SplittableRandom(99));
		float[] c = std.apply(in, W, H, new SplittableRandom(100));
		assertArrayEquals(a, b);
		assertFalse(Arrays.equals(a, c), "seeds 99 and 100 gave the same augmentation");
		assertFalse(close(a, in), "the standard augmentation changes the image");
	}

	@Test
	void rotationByTheMaxAngleMovesCornersOffImage() {
		// A white square. The first draw of apply() is the angle, uniform in +-max: pick seeds whose
		// angle is at least 40 of the 45 degrees either way.
		int n = 16;
		float[] white = new float[n * n];
		Arrays.fill(white, 1);
		Augmenter rot = new Augmenter(45, 1, 1, false, 0, 0);
		int checked = 0;
		for (long seed = 0; seed < 200 && checked < 6; seed++) {
			double angle = (new SplittableRandom(seed).nextDouble() * 2 - 1) * 45;
			if (Math.abs(angle) < 40) continue;
			checked++;
			float[] out = rot.apply(white, n, n, new SplittableRandom(seed));
			// A corner is 7.5 * sqrt(2) = 10.6 px from the centre; turned by 40 degrees or more it maps
			// about 3 px outside the square, which is filled with 0.
			for (int corner : new int[] {0, n - 1, (n - 1) * n, n * n - 1}) {
				assertEquals(0f, out[corner], "seed " + seed + " angle " + angle + " corner " + corner);
			}
			// The centre and the inscribed disc stay inside the square.
			assertEquals(1f, out[(n / 2) * n + n / 2], 1e-6f);
			assertEquals(1f, out[(n / 2) * n + 2], 1e-6f);
		}
		assertEquals(6, checked, "found seeds with a near-maximal angle");
		// Without rotation the corners keep their value.
		float[] still = new Augmenter(0, 1, 1, false, 0, 0).apply(white, n, n, new SplittableRandom(1));
		assertEquals(1f, still[0], 1e-6f);
		assertEquals(1f, still[n * n - 1], 1e-6f);
	}

	@Test
	void zoomInPushesTheBorderOutAndZoomOutBringsInZeros() {
		// Scale 2 (zoom in): the output samples the middle half of the source, so the output corner
		// (0,0) comes from source (3.75, 3.75) of an 16x16 image: no zeros.
		int n = 16;
		float[] white = new float[n * n];
		Arrays.fill(white, 1);
		float[] in = new Augmenter(0, 2, 2, false, 0, 0).apply(white, n, n, new SplittableRandom(1));
		assertEquals(1f, in[0], 1e-6f);
		// Scale 0.5 (zoom out): corner (0,0) comes from source (-7.5, -7.5): outside, 0.
		float[] out = new Augmenter(0, 0.5, 0.5, false, 0, 0).apply(white, n, n, new SplittableRandom(1));
		assertEquals(0f, out[0]);
		assertEquals(1f, out[(n / 2) * n + n / 2], 1e-6f);
	}

	@Test
	void constructorRefusesBadRanges() {
		assertThrows(IllegalArgumentException.class, () -> new Augmenter(-1, 1, 1, false, 0, 0));
		assertThrows(IllegalArgumentException.class, () -> new Augmenter(181, 1, 1, false, 0, 0));
		assertThrows(IllegalArgumentException.class, () -> new Augmenter(0, 0, 1, false, 0, 0));
		assertThrows(IllegalArgumentException.class, () -> new Augmenter(0, 1.2, 1.1, false, 0, 0));
		assertThrows(IllegalArgumentException.class, () -> new Augmenter(0, 1, 1, false, -0.1, 0));
		assertThrows(IllegalArgumentException.class, () -> new Augmenter(0, 1, 1, false, 0, 1));
	}
}
