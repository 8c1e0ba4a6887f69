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
		for (int k = 0; k < n; k++) {
			int i = order[k];
			if (correct[i]) right++;
			riskSum += 1 - right / (double) (k + 1);
			boolean lastOfTie = k == n - 1 || scores[order[k + 1]] != scores[i];
			if (lastOfTie) pts.add(new Point(k + 1, (k + 1) / (double) n, right / (double) (k + 1), scores[i]));
		}
		return new RiskCoverage(List.copyOf(pts), riskSum / n, score);
	}

	/** @return the points, by increasing coverage; the last one keeps everything */
	public List<Point> points() {
		return points;
	}

	/** @return the area under the risk-coverage curve (mean selective risk over all coverages); lower is better */
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
