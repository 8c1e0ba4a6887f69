package org.medcnn.core.uncertainty;

import java.util.Arrays;

/**
 * Chooses the threshold of the {@code uncertain} flag on validation data: a slice is flagged when its
 * predictive entropy is above the threshold, and the threshold is set so that a target fraction of the
 * validation slices (the coverage) stays unflagged.
 */
public final class FlagThresholds {

	private FlagThresholds() {}

	/**
	 * Chooses the threshold for a target coverage: the smallest number k of slices with at least
	 * {@code targetCoverage * n} is kept, and the threshold lies halfway between the k-th and the
	 * (k+1)-th smallest entropy (at the largest one when everything is kept). Ties can keep a little more.
	 *
	 * @param entropies validation entropies, at least one, all finite
	 * @param targetCoverage fraction to keep, in (0, 1]
	 * @return the threshold in nats
	 * @throws IllegalArgumentException for empty input, non-finite values or a coverage outside (0, 1]
	 */
	public static double choose(double[] entropies, double targetCoverage) {
		if (entropies.length == 0) throw new IllegalArgumentException("no validation slices to choose a threshold on");
		if (!(targetCoverage > 0 && targetCoverage <= 1)) throw new IllegalArgumentException("target coverage must be in (0, 1], got " + targetCoverage);
		double[] s = entropies.clone();
		for (double v : s) if (!Double.isFinite(v)) throw new IllegalArgumentException("entropies must be finite");
		Arrays.sort(s);
		int n = s.length;
		int k = (int) Math.ceil(targetCoverage * n - 1e-9);
		k = Math.max(1, Math.min(n, k));
		return k == n ? s[n - 1] : (s[k - 1] + s[k]) / 2;
	}

	/**
	 * The fraction of slices a threshold keeps (entropy at or below it).
	 *
	 * @param entropies the entropies
	 * @param threshold the threshold
	 * @return the coverage in [0, 1]; 0 for no slices
	 */
	public static double coverage(double[] entropies, double threshold) {
		if (entropies.length == 0) return 0;
		int kept = 0;
		for (double v : entropies) if (v <= threshold) kept++;
		return kept / (double) entropies.length;
	}
}
