package org.medcnn.core.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** From maps to regions: threshold, 8-connected components, holes, outlines and shares. */
class SaliencyRegionsTest {

	/** Builds a map from rows of characters: '.' is 0, digits are their value. */
	static float[] map(String... rows) {
		int w = rows[0].length();
		float[] m = new float[w * rows.length];
		for (int y = 0; y < rows.length; y++) for (int x = 0; x < w; x++) m[y * w + x] = rows[y].charAt(x) == '.' ? 0 : rows[y].charAt(x) - '0';
		return m;
	}

	@Test
	void topPercentKeepsThatShareOfThePixels() {
		float[] m = new float[100];
		for (int i = 0; i < 100; i++) m[i] = i + 1;
		// Top 5 % of 100 pixels: values 96..100, the last five pixels of the bottom row, one region.
		List<SaliencyRegions.Region> r = SaliencyRegions.find(m, 10, 10, 5, 3);
		assertEquals(1, r.size());
		assertEquals(5, r.get(0).area());
		assertEquals(7.5, r.get(0).centroidX(), 1e-9);
		assertEquals(9.5, r.get(0).centroidY(), 1e-9);
		assertEquals((96 + 97 + 98 + 99 + 100) / 5050.0, r.get(0).share(), 1e-9);
		assertArrayEquals(new int[] {5, 10, 10, 5}, r.get(0).xs());
		assertArrayEquals(new int[] {9, 9, 10, 10}, r.get(0).ys());
		assertEquals(1, SaliencyRegions.find(m, 10, 10, 0.1, 3).get(0).area(), "at least one pixel");
	}

	@Test
	void zeroSaliencyNeverCountsAndAnEmptyMapHasNoRegions() {
		assertEquals(List.of(), SaliencyRegions.find(new float[64], 8, 8, 50, 3));
		float[] m = map("1.......", "........");
		List<SaliencyRegions.Region> r = SaliencyRegions.find(m, 8, 2, 50, 3);
		assertEquals(1, r.size());
		assertEquals(1, r.get(0).area());
		assertEquals(1.0, r.get(0).share(), 1e-12);
		assertEquals(List.of(), SaliencyRegions.find(m, 8, 2, 50, 0), "max_regions 0: none");
	}

	@Test
	void diagonalNeighboursFormOneRegionWhoseOutlinePassesTheCornerTwice() {
		float[] m = map("9..", ".9.", "..9");
		List<SaliencyRegions.Region> r = SaliencyRegions.find(m, 3, 3, 34, 5);
		assertEquals(1, r.size());
		SaliencyRegions.Region g = r.get(0);
		assertEquals(3, g.area());
		assertEquals(3.0, SaliencyRegions.polygonArea(g.xs(), g.ys()), 0);
		assertEquals(12, g.xs().length, "4 corners per pixel");
		assertEquals(1.5, g.centroidX(), 1e-12);
	}

	@Test
	void holesAreFilledAndRegionsAreOrderedByArea() {
		float[] m = map(
			"99999...9.",
			"9...9.....",
			"9...9..99.",
			"99999..99.",
			"..........");
		List<SaliencyRegions.Region> r = SaliencyRegions.find(m, 10, 5, 40, 2);
		assertEquals(2, r.size(), "the single pixel is the third region and is dropped");
		assertEquals(20, r.get(0).area(), "the ring with its 6-pixel hole");
		assertEquals(20.0, SaliencyRegions.polygonArea(r.get(0).xs(), r.get(0).ys()), 0);
		assertEquals(4, r.get(1).area());
		assertEquals(14 / 19.0, r.get(0).share(), 1e-9);
		assertEquals(2.5, r.get(0).centroidX(), 1e-12);
		assertEquals(2.0, r.get(0).centroidY(), 1e-12);
	}

	@Test
	void tiesAtTheThresholdAreKept() {
		float[] m = map("5555", "....");
		assertEquals(4, SaliencyRegions.find(m, 4, 2, 12.5, 1).get(0).area());
	}

	@Test
	void outlinesEncloseExactlyTheRegionPixelsOnRandomMaps() {
		Random rnd = new Random(12);
		for (int trial = 0; trial < 200; trial++) {
			int w = 5 + rnd.nextInt(20);
			int h = 5 + rnd.nextInt(20);
			float[] m = new float[w * h];
			for (int i = 0; i < m.length; i++) m[i] = rnd.nextFloat() < 0.5 ? rnd.nextFloat() : 0;
			double pct = 5 + rnd.nextInt(60);
			List<SaliencyRegions.Region> regions = SaliencyRegions.find(m, w, h, pct, 4);
			double total = 0;
			for (float v : m) total += v;
			for (SaliencyRegions.Region r : regions) {
				assertEquals(r.area(), SaliencyRegions.polygonArea(r.xs(), r.ys()), 0, "trial " + trial);
				int inside = 0;
				double cx = 0;
				double cy = 0;
				double sum = 0;
				for (int y = 0; y < h; y++) {
					for (int x = 0; x < w; x++) {
						if (contains(r.xs(), r.ys(), x + 0.5, y + 0.5)) {
							inside++;
							cx += x + 0.5;
							cy += y + 0.5;
							sum += m[y * w + x];
						}
					}
				}
				assertEquals(r.area(), inside, "trial " + trial);
				assertEquals(r.centroidX(), cx / inside, 1e-9);
				assertEquals(r.centroidY(), cy / inside, 1e-9);
				assertEquals(r.share(), sum / total, 1e-6);
			}
			for (int i = 1; i < regions.size(); i++) assertTrue(regions.get(i - 1).area() >= regions.get(i).area());
		}
	}

	@Test
	void invalidArgumentsAreRefused() {
		assertThrows(IllegalArgumentException.class, () -> SaliencyRegions.find(new float[4], 3, 1, 5, 1));
		assertThrows(IllegalArgumentException.class, () -> SaliencyRegions.find(new float[4], 2, 2, 0, 1));
		assertThrows(IllegalArgumentException.class, () -> SaliencyRegions.find(new float[4], 2, 2, 101, 1));
		assertThrows(IllegalArgumentException.class, () -> SaliencyRegions.find(new float[4], 2, 2, 5, -1));
	}

	/** Even-odd rule; pixel centres never lie on the outline. */
	static boolean contains(int[] xs, int[] ys, double px, double py) {
		boolean in = false;
		for (int i = 0, j = xs.length - 1; i < xs.length; j = i++) {
			if ((ys[i] > py) != (ys[j] > py) && px < (double) (xs[j] - xs[i]) * (py - ys[i]) / (ys[j] - ys[i]) + xs[i]) in = !in;
		}
		return in;
	}
}
