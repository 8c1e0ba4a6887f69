package org.medcnn.core.uncertainty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The risk-coverage curve of selective classification (Geifman and El-Yaniv 2017): keep only the X %
 * of slices the model is most confident about and measure the accuracy on those. A useful confidence
 * makes accuracy rise as coverage falls.
 */
public final class RiskCoverage {

	/**
	 * One point of the curve.
	 *
	 * @param kept number of slices kept
	 * @param coverage kept / all
	 * @param accuracy accuracy on the kept slices
	 * @param threshold the confidence score of the last kept slice
	 */
	public record Point(int kept, double coverage, double accuracy, double threshold) {}

	private final List<Point> points;
	private final double aurc;
	private final String score;

	private RiskCoverage(List<Point> points, double aurc, String score) {
		this.points = points;
		this.aurc = aurc;
		this.score = score;
	}

	/**
	 * Computes the curve. Slices are ranked by decreasing score; slices with equal scores are added
	 * together (one point per distinct score), so the curve does not depend on their order.
	 *
	 * @param scores confidence per slice (higher: more confident), e.g. the top probability or minus the entropy
	 * @param correct whether each slice's prediction is right
	 * @param score what the score is, for output
	 * @return the curve
	 * @throws IllegalArgumentException for empty or mismatched input
	 */
	public static RiskCoverage compute(double[] scores, boolean[] correct, String score) {
		int n = scores.length;
		if (n == 0 || correct.length != n) throw new IllegalArgumentException("risk-coverage needs matching, non-empty scores and outcomes");
		Integer[] order = new Integer[n];
		for (int i = 0; i < n; i++) order[i] = i;
		Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
		List<Point> pts = new ArrayList<>();
		int right = 0;
		double riskSum = 0;
		int k = 0;
		while (k < n) {
			int end = k;
			while (end + 1 < n && scores[order[end + 1]] == scores[order[k]]) end++;
			int m = end - k + 1;
			int groupRight = 0;
			for (int t = k; t <= end; t++) if (correct[order[t]]) groupRight++;
			// Every order of tied slices is equally likely: inside the group its correct slices come in evenly,
			// so the area does not depend on the order the tied slices were given in.
			for (int j = 1; j <= m; j++) riskSum += 1 - (right + groupRight * (double) j / m) / (k + j);
			right += groupRight;
			k = end + 1;
			pts.add(new Point(k, k / (double) n, right / (double) k, scores[order[end]]));
		}
		return new RiskCoverage(List.copyOf(pts), riskSum / n, score);
	}

	/** @return the points, by increasing coverage; the last one keeps everything */
	public List<Point> points() {
		return points;
	}

	/**
	 * The area under the risk-coverage curve: the mean selective risk over all coverages, slices of equal
	 * score entering together in every order alike (their expected risk); lower is better.
	 *
	 * @return the area
	 */
	public double aurc() {
		return aurc;
	}

	/** @return what the ranking score is */
	public String score() {
		return score;
	}

	/**
	 * The accuracy when keeping at least a fraction of the slices.
	 *
	 * @param coverage the fraction, in (0, 1]
	 * @return the accuracy of the first point whose coverage reaches it
	 */
	public double accuracyAt(double coverage) {
		for (Point p : points) if (p.coverage() >= coverage - 1e-12) return p.accuracy();
		return points.get(points.size() - 1).accuracy();
	}
}
