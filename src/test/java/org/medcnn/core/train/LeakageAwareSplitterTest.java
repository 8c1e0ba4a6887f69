package org.medcnn.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.medcnn.core.train.LeakageAwareSplitter.Item;
import org.medcnn.core.train.LeakageAwareSplitter.Part;
import org.medcnn.core.train.LeakageAwareSplitter.Result;

class LeakageAwareSplitterTest {

	private static final int THRESHOLD = 8;

	/** Builds items with random, mutually far-apart dHashes unless told otherwise. */
	static final class Items {
		final List<Item> list = new ArrayList<>();
		final Random random = new Random(1234);
		int pixels;

		/** A random 256-bit hash more than 64 bits away from every hash so far. */
		long[] farHash() {
			while (true) {
				long[] h = {random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong()};
				boolean far = true;
				for (Item it : list) far &= PerceptualHash.distance(h, it.dhash()) > 64;
				if (far) return h;
			}
		}

		int add(int label, String group, long[] dhash, String pixelHash) {
			list.add(new Item(label, group, dhash, pixelHash));
			return list.size() - 1;
		}

		/** A unique image: far hash, unique pixels. */
		int unique(int label, String group) {
			return add(label, group, farHash(), "px" + pixels++);
		}

		long[] hash(int i) {
			return list.get(i).dhash();
		}
	}

	/** Returns a copy of a hash with the given bits flipped. */
	static long[] flip(long[] h, int... bits) {
		long[] c = h.clone();
		for (int b : bits) c[b >> 6] ^= 1L << (b & 63);
		return c;
	}

	/**
	 * The planted case: 15 planted items and 45 unique ones, two classes.
	 * <ul>
	 * <li>P1, P2: pixel-identical, far-apart dHashes (as if re-encoded losslessly but the hash differed);
	 * <li>N1, N2: near duplicates, 3 bits apart;
	 * <li>A ~ B ~ C: a chain, A-B 6 bits, B-C 6 bits, A-C 12 bits (over the threshold);
	 * <li>G1, G2, G3: explicit group "patient-7", otherwise unrelated; H1: group "patient-9" alone;
	 * <li>Q1 = Q2 pixel-identical, Q2 ~ Q3 (5 bits), Q3 and G4 in group "patient-8": one component of 4.
	 * </ul>
	 */
	static final class Planted {
		final Items items = new Items();
		final List<int[]> together = new ArrayList<>();
		final List<Integer> singles = new ArrayList<>();

		Planted() {
			long[] p = items.farHash();
			int p1 = items.add(0, null, p, "same-pixels");
			int p2 = items.add(0, null, items.farHash(), "same-pixels");
			int n1 = items.unique(1, null);
			int n2 = items.add(1, null, flip(items.hash(n1), 0, 100, 200), "n2");
			int a = items.unique(0, null);
			int b = items.add(0, null, flip(items.hash(a), 1, 2, 3, 4, 5, 6), "b");
			int c = items.add(0, null, flip(items.hash(b), 7, 8, 9, 10, 11, 12), "c");
			int g1 = items.unique(1, "patient-7");
			int g2 = items.unique(1, "patient-7");
			int g3 = items.unique(0, "patient-7");
			int h1 = items.unique(1, "patient-9");
			int q1 = items.unique(0, null);
			int q2 = items.add(0, null, items.farHash(), items.list.get(q1).pixelHash());
			int q3 = items.add(0, "patient-8", flip(items.hash(q2), 30, 60, 90, 120, 150), "q3");
			int g4 = items.unique(1, "patient-8");
			together.add(new int[] {p1, p2});
			together.add(new int[] {n1, n2});
			together.add(new int[] {a, b, c});
			together.add(new int[] {g1, g2, g3});
			together.add(new int[] {q1, q2, q3, g4});
			singles.add(h1);
			for (int i = 0; i < 45; i++) singles.add(items.unique(i % 2, null));
			// Preconditions of the plan.
			assertEquals(3, PerceptualHash.distance(items.hash(n1), items.hash(n2)));
			assertEquals(6, PerceptualHash.distance(items.hash(a), items.hash(b)));
			assertEquals(6, PerceptualHash.distance(items.hash(b), items.hash(c)));
			assertEquals(12, PerceptualHash.distance(items.hash(a), items.hash(c)));
			assertTrue(PerceptualHash.distance(items.hash(p1), items.hash(p2)) > 64);
		}
	}

	@Test
	void plantedDuplicatesAndGroupsStayOnOneSideForManySeeds() {
		Planted planted = new Planted();
		Set<Part> seenForChain = EnumSet.noneOf(Part.class);
		for (long seed = 0; seed < 60; seed++) {
			Result r = new LeakageAwareSplitter(0.2, 0.2, THRESHOLD, seed).split(planted.items.list, 2);
			for (int[] set : planted.together) {
				for (int i : set) {
					assertNotNull(r.parts()[i]);
					assertEquals(r.parts()[set[0]], r.parts()[i], "seed " + seed + ": items " + Arrays.toString(set) + " split apart");
				}
			}
			seenForChain.add(r.parts()[planted.together.get(2)[0]]);
		}
		// The chain's side does move with the seed: the test above is not vacuous.
		assertTrue(seenForChain.size() >= 2, "chain always in " + seenForChain);
	}

	@Test
	void farApartItemsAreSplitIndependently() {
		Planted planted = new Planted();
		int a = planted.singles.get(1);
		int b = planted.singles.get(3); // same class as a
		assertEquals(planted.items.list.get(a).label(), planted.items.list.get(b).label());
		int apart = 0;
		int[] inTest = new int[planted.items.list.size()];
		for (long seed = 0; seed < 60; seed++) {
			Part[] parts = new LeakageAwareSplitter(0.2, 0.2, THRESHOLD, seed).split(planted.items.list, 2).parts();
			if (parts[a] != parts[b]) apart++;
			for (int i = 0; i < parts.length; i++) if (parts[i] == Part.TEST) inTest[i]++;
		}
		// Independent with shares 0.2 / 0.2 / 0.6: apart with probability 1 - (0.04 + 0.04 + 0.36) = 0.56.
		assertTrue(apart > 15 && apart < 50, "apart in " + apart + " of 60 seeds");
		for (int i : planted.singles) assertTrue(inTest[i] > 0, "item " + i + " never in test");
	}

	@Test
	void thresholdIsInclusive() {
		Items items = new Items();
		int a = items.unique(0, null);
		int at = items.add(0, null, flip(items.hash(a), 0, 1, 2, 3, 4, 5, 6, 7), "at"); // 8 bits from a
		int over = items.add(0, null, flip(items.hash(a), 20, 21, 22, 23, 24, 25, 26, 27, 28), "over"); // 9 from a, 17 from at
		int same = items.add(0, null, items.hash(a).clone(), "same"); // 0 bits from a
		for (int i = 0; i < 20; i++) items.unique(0, null);
		Result r = new LeakageAwareSplitter(0.3, 0.3, 8, 5).split(items.list, 1);
		assertEquals(1, r.duplicateMerged());
		assertEquals(3, r.duplicateItems(), "a, at and same; not over");
		assertEquals(r.parts()[a], r.parts()[at]);
		assertEquals(r.parts()[a], r.parts()[same]);
		assertEquals(22, r.components());
		assertNotNull(r.parts()[over]);
		// Threshold 0: only equal hashes.
		Result exact = new LeakageAwareSplitter(0.3, 0.3, 0, 5).split(items.list, 1);
		assertEquals(2, exact.duplicateItems(), "a and same");
		assertEquals(0, exact.identicalMerged());
		assertEquals(23, exact.components());
	}

	@Test
	void stratifiedCountsAreNearTheFractions() {
		// Three classes of 100, 40 and 21 items, in components of 1 to 3 items of one class each.
		Items items = new Items();
		int[] totals = {100, 40, 21};
		Random sizes = new Random(5);
		for (int c = 0; c < 3; c++) {
			int left = totals[c];
			while (left > 0) {
				int size = Math.min(left, 1 + sizes.nextInt(3));
				String group = "c" + c + "-" + left;
				for (int k = 0; k < size; k++) items.unique(c, group);
				left -= size;
			}
		}
		int maxComponent = 3;
		for (long seed = 0; seed < 30; seed++) {
			Result r = new LeakageAwareSplitter(0.15, 0.25, THRESHOLD, seed).split(items.list, 3);
			int[] test = r.counts(items.list, Part.TEST, 3);
			int[] val = r.counts(items.list, Part.VALIDATION, 3);
			int[] train = r.counts(items.list, Part.TRAIN, 3);
			for (int c = 0; c < 3; c++) {
				assertEquals(totals[c], test[c] + val[c] + train[c]);
				// Greedy filling stops once the share is reached: it overshoots by less than one component.
				long wantTest = Math.round(0.25 * totals[c]);
				long wantVal = Math.round(0.15 * totals[c]);
				assertTrue(test[c] >= wantTest && test[c] < wantTest + maxComponent, "seed " + seed + " class " + c + " test " + test[c] + " want " + wantTest);
				assertTrue(val[c] >= wantVal && val[c] < wantVal + maxComponent, "seed " + seed + " class " + c + " val " + val[c] + " want " + wantVal);
			}
		}
	}

	@Test
	void singletonsGiveExactRoundedCounts() {
		Items items = new Items();
		for (int i = 0; i < 50; i++) items.unique(0, null);
		for (int i = 0; i < 10; i++) items.unique(1, null);
		Result r = new LeakageAwareSplitter(0.1, 0.2, THRESHOLD, 9).split(items.list, 2);
		// Class 0: test round(10) = 10, validation round(5) = 5; class 1: test 2, validation 1.
		assertArrayEquals(new int[] {10, 2}, r.counts(items.list, Part.TEST, 2));
		assertArrayEquals(new int[] {5, 1}, r.counts(items.list, Part.VALIDATION, 2));
		assertArrayEquals(new int[] {35, 7}, r.counts(items.list, Part.TRAIN, 2));
		// No share asked: everything trains.
		Result none = new LeakageAwareSplitter(0, 0, THRESHOLD, 9).split(items.list, 2);
		assertArrayEquals(new int[] {50, 10}, none.counts(items.list, Part.TRAIN, 2));
	}

	@Test
	void sameSeedSameSplitOtherSeedOtherSplit() {
		Planted planted = new Planted();
		Part[] a = new LeakageAwareSplitter(0.2, 0.2, THRESHOLD, 17).split(planted.items.list, 2).parts();
		Part[] b = new LeakageAwareSplitter(0.2, 0.2, THRESHOLD, 17).split(planted.items.list, 2).parts();
		Part[] c = new LeakageAwareSplitter(0.2, 0.2, THRESHOLD, 18).split(planted.items.list, 2).parts();
		assertArrayEquals(a, b);
		assertFalse(Arrays.equals(a, c), "seeds 17 and 18 gave the same split");
	}

	@Test
	void reportsMergedClusterCounts() {
		Planted planted = new Planted();
		Result r = new LeakageAwareSplitter(0.2, 0.2, THRESHOLD, 1).split(planted.items.list, 2);
		// Pixel-identical clusters: {P1, P2}, {Q1, Q2}.
		assertEquals(2, r.identicalMerged());
		// Duplicate clusters (either kind): {P1, P2}, {N1, N2}, {A, B, C}, {Q1, Q2, Q3}: 10 items.
		assertEquals(4, r.duplicateMerged());
		assertEquals(10, r.duplicateItems());
		// Groups with at least 2 items: patient-7 (3), patient-8 (2); patient-9 has one.
		assertEquals(2, r.groupsMerged());
		// Units: the 5 planted sets + H1 + 45 unique items.
		assertEquals(5 + 1 + 45, r.components());
		// counts() adds up per class to the labels.
		int[] labels = new int[2];
		for (Item it : planted.items.list) labels[it.label()]++;
		int[] sum = new int[2];
		for (Part p : Part.values()) {
			int[] c = r.counts(planted.items.list, p, 2);
			for (int k = 0; k < 2; k++) sum[k] += c[k];
		}
		assertArrayEquals(labels, sum);
	}

	@Test
	void constructorRefusesBadParameters() {
		assertTrue(message(() -> new LeakageAwareSplitter(-0.1, 0.2, 8, 1)).contains("validation_fraction"));
		assertTrue(message(() -> new LeakageAwareSplitter(0.51, 0.2, 8, 1)).contains("validation_fraction"));
		assertTrue(message(() -> new LeakageAwareSplitter(Double.NaN, 0.2, 8, 1)).contains("validation_fraction"));
		assertTrue(message(() -> new LeakageAwareSplitter(0.2, 0.6, 8, 1)).contains("test_fraction"));
		assertTrue(message(() -> new LeakageAwareSplitter(0.2, -1, 8, 1)).contains("test_fraction"));
		assertTrue(message(() -> new LeakageAwareSplitter(0.45, 0.45, 8, 1)).contains("too little for training"));
		assertTrue(message(() -> new LeakageAwareSplitter(0.2, 0.2, -1, 1)).contains("0 to 64 bits"));
		assertTrue(message(() -> new LeakageAwareSplitter(0.2, 0.2, 65, 1)).contains("0 to 64 bits"));
		// The limits themselves are allowed.
		new LeakageAwareSplitter(0.5, 0.0, 0, 1);
		new LeakageAwareSplitter(0.0, 0.5, 64, 1);
		new LeakageAwareSplitter(0.44, 0.45, 8, 1);
	}

	static String message(Runnable r) {
		return assertThrows(IllegalArgumentException.class, r::run).getMessage();
	}

	/** A small class merged into a few big groups still gets training images (the greedy rule alone would give none). */
	@Test
	void bigComponentsOfASmallClassStillLeaveTrainingImages() {
		for (long seed = 0; seed < 20; seed++) {
			Items items = new Items();
			for (int g = 0; g < 5; g++) for (int k = 0; k < 24; k++) items.unique(0, "benign-" + g);
			for (int k = 0; k < 200; k++) items.unique(1, null);
			LeakageAwareSplitter.Result r = new LeakageAwareSplitter(0.2, 0.2, THRESHOLD, seed).split(items.list, 2);
			int[] train = r.counts(items.list, LeakageAwareSplitter.Part.TRAIN, 2);
			int[] val = r.counts(items.list, LeakageAwareSplitter.Part.VALIDATION, 2);
			int[] test = r.counts(items.list, LeakageAwareSplitter.Part.TEST, 2);
			assertTrue(train[0] >= 24 && val[0] >= 24 && test[0] >= 24, "seed " + seed + ": " + train[0] + "/" + val[0] + "/" + test[0]);
			for (int g = 0; g < 5; g++) {
				java.util.Set<LeakageAwareSplitter.Part> sides = new java.util.HashSet<>();
				for (int k = 0; k < 24; k++) sides.add(r.parts()[g * 24 + k]);
				assertEquals(1, sides.size(), "group " + g + " stays on one side");
			}
		}
	}
}
