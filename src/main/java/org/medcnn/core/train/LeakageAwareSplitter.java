package org.medcnn.core.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Splits samples into train / validation / test, stratified by class and seeded, so that
 * pixel-identical images, near-identical images (dHash distance at most a threshold) and images of
 * one group (e.g. one patient) always land on the same side.
 * <p>
 * Connected components of the "same pixels / near duplicate / same group" relation are the units of
 * the split. Each component is filed under its majority class; per class, components are shuffled
 * and assigned to test, then validation, until each reaches its share of the class's samples, and the
 * rest go to training.
 */
public final class LeakageAwareSplitter {

	/** Split labels. */
	public enum Part {
		/** Training. */
		TRAIN,
		/** Validation (early stopping, calibration). */
		VALIDATION,
		/** Held-out test. */
		TEST
	}

	/**
	 * One sample's fingerprint.
	 *
	 * @param label class index
	 * @param group explicit group key, or null
	 * @param dhash 256-bit difference hash
	 * @param pixelHash hash of the exact pixel values
	 */
	public record Item(int label, String group, long[] dhash, String pixelHash) {}

	/**
	 * The outcome.
	 *
	 * @param parts the part of each item, in input order
	 * @param identicalMerged clusters of pixel-identical items that were kept together (size at least 2)
	 * @param duplicateMerged clusters of pixel-identical or near-identical items kept together (size at least 2)
	 * @param duplicateItems items that belong to a duplicate cluster of either kind
	 * @param groupsMerged explicit groups with at least 2 items
	 * @param components units the split was made of
	 */
	public record Result(Part[] parts, int identicalMerged, int duplicateMerged, int duplicateItems, int groupsMerged, int components) {

		/**
		 * Counts items of a part per class.
		 *
		 * @param items the items
		 * @param part the part
		 * @param classes number of classes
		 * @return counts per class
		 */
		public int[] counts(List<Item> items, Part part, int classes) {
			int[] c = new int[classes];
			for (int i = 0; i < parts.length; i++) if (parts[i] == part) c[items.get(i).label()]++;
			return c;
		}
	}

	private final double validationFraction;
	private final double testFraction;
	private final int nearDuplicateBits;
	private final long seed;

	/**
	 * Creates a splitter.
	 *
	 * @param validationFraction share of each class for validation, in [0, 0.5]
	 * @param testFraction share of each class for test, in [0, 0.5]
	 * @param nearDuplicateBits dHash distance at or below which two images are kept together (0 to 64; 8 by default)
	 * @param seed shuffling seed
	 * @throws IllegalArgumentException for fractions out of range
	 */
	public LeakageAwareSplitter(double validationFraction, double testFraction, int nearDuplicateBits, long seed) {
		if (!(validationFraction >= 0 && validationFraction <= 0.5)) throw new IllegalArgumentException("validation_fraction must be in [0, 0.5], got " + validationFraction);
		if (!(testFraction >= 0 && testFraction <= 0.5)) throw new IllegalArgumentException("test_fraction must be in [0, 0.5], got " + testFraction);
		if (validationFraction + testFraction >= 0.9) throw new IllegalArgumentException("validation_fraction + test_fraction leave too little for training");
		if (nearDuplicateBits < 0 || nearDuplicateBits > 64) throw new IllegalArgumentException("near-duplicate threshold must be 0 to 64 bits, got " + nearDuplicateBits);
		this.validationFraction = validationFraction;
		this.testFraction = testFraction;
		this.nearDuplicateBits = nearDuplicateBits;
		this.seed = seed;
	}

	/**
	 * Splits items.
	 *
	 * @param items the fingerprints, in a stable order
	 * @param classes number of classes
	 * @return the split
	 */
	public Result split(List<Item> items, int classes) {
		int n = items.size();
		for (int i = 0; i < n; i++) {
			Item it = items.get(i);
			if (it.label() < 0 || it.label() >= classes) throw new IllegalArgumentException("item " + i + " has label " + it.label() + ", not in 0.." + (classes - 1));
			if (it.pixelHash() == null || it.dhash() == null || it.dhash().length != 4) throw new IllegalArgumentException("item " + i + " lacks its hashes");
		}
		UnionFind exact = new UnionFind(n);
		Map<String, Integer> byPixels = new HashMap<>();
		for (int i = 0; i < n; i++) {
			Integer first = byPixels.putIfAbsent(items.get(i).pixelHash(), i);
			if (first != null) exact.union(first, i);
		}
		UnionFind dup = exact.copy();
		for (int i = 0; i < n; i++) {
			long[] a = items.get(i).dhash();
			for (int j = i + 1; j < n; j++) {
				if (PerceptualHash.distance(a, items.get(j).dhash()) <= nearDuplicateBits) dup.union(i, j);
			}
		}
		UnionFind all = dup.copy();
		Map<String, Integer> byGroup = new HashMap<>();
		Map<String, Integer> groupSize = new HashMap<>();
		for (int i = 0; i < n; i++) {
			String g = items.get(i).group();
			if (g == null) continue;
			groupSize.merge(g, 1, Integer::sum);
			Integer first = byGroup.putIfAbsent(g, i);
			if (first != null) all.union(first, i);
		}
		int identical = exact.clustersOfSizeAtLeast(2);
		int dupClusters = dup.clustersOfSizeAtLeast(2);
		int dupItems = dup.itemsInClustersOfSizeAtLeast(2);
		int groups = (int) groupSize.values().stream().filter(v -> v >= 2).count();

		// Components, each filed under its majority class.
		Map<Integer, List<Integer>> comps = new HashMap<>();
		for (int i = 0; i < n; i++) comps.computeIfAbsent(all.find(i), k -> new ArrayList<>()).add(i);
		List<List<Integer>> sorted = new ArrayList<>(comps.values());
		sorted.sort(Comparator.comparingInt(c -> c.get(0)));
		List<List<List<Integer>>> perClass = new ArrayList<>();
		for (int c = 0; c < classes; c++) perClass.add(new ArrayList<>());
		int[] totals = new int[classes];
		for (List<Integer> comp : sorted) {
			int[] votes = new int[classes];
			for (int i : comp) votes[items.get(i).label()]++;
			int best = 0;
			for (int c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
			perClass.get(best).add(comp);
			totals[best] += comp.size();
		}
		Part[] parts = new Part[n];
		SplittableRandom rnd = new SplittableRandom(seed);
		for (int c = 0; c < classes; c++) {
			List<List<Integer>> list = perClass.get(c);
			for (int i = list.size() - 1; i > 0; i--) {
				int j = rnd.nextInt(i + 1);
				List<Integer> t = list.get(i);
				list.set(i, list.get(j));
				list.set(j, t);
			}
			long wantTest = Math.round(testFraction * totals[c]);
			long wantVal = Math.round(validationFraction * totals[c]);
			int test = 0;
			int val = 0;
			int train = 0;
			for (List<Integer> comp : list) {
				Part p;
				if (test < wantTest) {
					p = Part.TEST;
					test += comp.size();
				} else if (val < wantVal) {
					p = Part.VALIDATION;
					val += comp.size();
				} else {
					p = Part.TRAIN;
					train += comp.size();
				}
				for (int i : comp) parts[i] = p;
			}
			if (train == 0 && list.size() >= 2) proportional(list, wantTest, wantVal, totals[c], parts);
		}
		return new Result(parts, identical, dupClusters, dupItems, groups, sorted.size());
	}

	/**
	 * Reassigns one class whose components are too large for the greedy rule (it left no training
	 * images, e.g. when near-duplicates and groups merge a small class into a few big units): the largest
	 * components first, each to the part furthest below its share.
	 */
	private static void proportional(List<List<Integer>> comps, long wantTest, long wantVal, int total, Part[] parts) {
		List<List<Integer>> bySize = new ArrayList<>(comps);
		bySize.sort((a, b) -> Integer.compare(b.size(), a.size())); // stable: shuffled order among equal sizes
		Part[] order = {Part.TRAIN, Part.VALIDATION, Part.TEST};
		double[] want = {Math.max(1, total - wantTest - wantVal), wantVal, wantTest};
		int[] have = new int[3];
		for (List<Integer> comp : bySize) {
			int best = 0;
			double bestDeficit = Double.NEGATIVE_INFINITY;
			for (int k = 0; k < 3; k++) {
				if (want[k] <= 0) continue;
				double deficit = (want[k] - have[k]) / want[k];
				if (deficit > bestDeficit) {
					bestDeficit = deficit;
					best = k;
				}
			}
			have[best] += comp.size();
			for (int i : comp) parts[i] = order[best];
		}
	}

	/** Disjoint sets with path halving. */
	static final class UnionFind {
		final int[] parent;

		UnionFind(int n) {
			parent = new int[n];
			for (int i = 0; i < n; i++) parent[i] = i;
		}

		UnionFind copy() {
			UnionFind u = new UnionFind(parent.length);
			System.arraycopy(parent, 0, u.parent, 0, parent.length);
			return u;
		}

		int find(int i) {
			while (parent[i] != i) {
				parent[i] = parent[parent[i]];
				i = parent[i];
			}
			return i;
		}

		void union(int a, int b) {
			int ra = find(a);
			int rb = find(b);
			if (ra != rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
		}

		int clustersOfSizeAtLeast(int k) {
			Map<Integer, Integer> size = new HashMap<>();
			for (int i = 0; i < parent.length; i++) size.merge(find(i), 1, Integer::sum);
			return (int) size.values().stream().filter(v -> v >= k).count();
		}

		int itemsInClustersOfSizeAtLeast(int k) {
			Map<Integer, Integer> size = new HashMap<>();
			for (int i = 0; i < parent.length; i++) size.merge(find(i), 1, Integer::sum);
			return size.values().stream().filter(v -> v >= k).mapToInt(Integer::intValue).sum();
		}
	}
}
