package org.medcnn.core.eval;

import org.medcnn.core.math.Probabilities;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Classification metrics computed from true labels and predicted probabilities: accuracy, balanced
 * accuracy, per-class precision / recall / F1, macro F1, confusion matrix, one-vs-rest ROC AUC,
 * expected calibration error, and bootstrap 95 % confidence intervals for accuracy and macro F1.
 * Immutable; build with {@link #compute}.
 */
public final class Metrics {

	/** Bins of the expected calibration error. */
	public static final int ECE_BINS = 15;

	private final List<String> classes;
	private final int n;
	private final long[][] confusion;
	private final double accuracy;
	private final double balancedAccuracy;
	private final double[] precision;
	private final double[] recall;
	private final double[] f1;
	private final long[] support;
	private final double macroF1;
	private final double[] auc;
	private final double ece;
	private final double[] accuracyCi;
	private final double[] macroF1Ci;
	private final double[] eceCi;
	private final double[][] reliability;

	private Metrics(List<String> classes, int[] truth, float[][] probs, int bootstrap, long seed) {
		this.classes = List.copyOf(classes);
		int c = classes.size();
		this.n = truth.length;
		int[] pred = new int[n];
		for (int i = 0; i < n; i++) pred[i] = Probabilities.argmax(probs[i]);
		confusion = confusion(truth, pred, c);
		support = new long[c];
		precision = new double[c];
		recall = new double[c];
		f1 = new double[c];
		perClass(confusion, support, precision, recall, f1);
		accuracy = accuracy(confusion);
		balancedAccuracy = mean(recall, support);
		macroF1 = macroF1(confusion, f1);
		auc = new double[c];
		for (int k = 0; k < c; k++) auc[k] = rocAuc(truth, probs, k);
		ece = ece(truth, probs, pred);
		reliability = reliability(truth, probs, pred);
		double[][] ci = bootstrap(truth, probs, pred, c, bootstrap, seed);
		accuracyCi = ci[0];
		macroF1Ci = ci[1];
		eceCi = ci[2];
	}

	/**
	 * Computes all metrics.
	 *
	 * @param classes class names, index = class id
	 * @param truth true class per sample
	 * @param probs predicted probabilities per sample (one per class)
	 * @param bootstrap bootstrap resamples for the confidence intervals (e.g. 1000); 0 for none
	 * @param seed seed of the bootstrap
	 * @return the metrics
	 * @throws IllegalArgumentException if the inputs are empty or inconsistent
	 */
	public static Metrics compute(List<String> classes, int[] truth, float[][] probs, int bootstrap, long seed) {
		if (classes.size() < 2) throw new IllegalArgumentException("metrics need at least 2 classes");
		if (truth.length == 0) throw new IllegalArgumentException("metrics need at least one sample");
		if (truth.length != probs.length) throw new IllegalArgumentException(truth.length + " labels but " + probs.length + " predictions");
		for (int i = 0; i < truth.length; i++) {
			if (truth[i] < 0 || truth[i] >= classes.size()) throw new IllegalArgumentException("label " + truth[i] + " of sample " + i + " is not a class index");
			if (probs[i].length != classes.size()) throw new IllegalArgumentException("sample " + i + " has " + probs[i].length + " probabilities for " + classes.size() + " classes");
		}
		return new Metrics(classes, truth, probs, bootstrap, seed);
	}

	static long[][] confusion(int[] truth, int[] pred, int c) {
		long[][] m = new long[c][c];
		for (int i = 0; i < truth.length; i++) m[truth[i]][pred[i]]++;
		return m;
	}

	static void perClass(long[][] m, long[] support, double[] precision, double[] recall, double[] f1) {
		int c = m.length;
		for (int k = 0; k < c; k++) {
			long tp = m[k][k];
			long actual = 0;
			long predicted = 0;
			for (int j = 0; j < c; j++) {
				actual += m[k][j];
				predicted += m[j][k];
			}
			support[k] = actual;
			// Convention (as scikit-learn with zero_division=0): an undefined ratio counts as 0.
			precision[k] = predicted == 0 ? 0 : (double) tp / predicted;
			recall[k] = actual == 0 ? 0 : (double) tp / actual;
			f1[k] = precision[k] + recall[k] == 0 ? 0 : 2 * precision[k] * recall[k] / (precision[k] + recall[k]);
		}
	}

	static double accuracy(long[][] m) {
		long right = 0;
		long all = 0;
		for (int k = 0; k < m.length; k++) {
			right += m[k][k];
			for (long v : m[k]) all += v;
		}
		return all == 0 ? 0 : (double) right / all;
	}

	/** Mean over classes; with support given, only classes present in the truth count (balanced accuracy). */
	static double mean(double[] v, long[] support) {
		double s = 0;
		int k = 0;
		for (int i = 0; i < v.length; i++) {
			if (support != null && support[i] == 0) continue;
			s += v[i];
			k++;
		}
		return k == 0 ? Double.NaN : s / k;
	}

	/**
	 * Macro F1 over the classes that occur in the truth or the predictions (scikit-learn's default label
	 * set). A class that occurs in neither has an undefined F1, not a wrong one: counting it as 0 would
	 * make a bootstrap resample that happens to miss a small class look like a failure, so even a
	 * perfect classifier got a confidence interval below 1.
	 *
	 * @param m confusion matrix
	 * @param f1 F1 per class
	 * @return the macro F1, or NaN when no class occurs
	 */
	static double macroF1(long[][] m, double[] f1) {
		double s = 0;
		int k = 0;
		for (int i = 0; i < m.length; i++) {
			long seen = 0;
			for (int j = 0; j < m.length; j++) seen += m[i][j] + m[j][i];
			if (seen == 0) continue;
			s += f1[i];
			k++;
		}
		return k == 0 ? Double.NaN : s / k;
	}

	/**
	 * One-vs-rest ROC AUC of one class: the probability that a random positive scores higher than a
	 * random negative, ties counting one half (Mann-Whitney U).
	 *
	 * @param truth true classes
	 * @param probs probabilities
	 * @param k the positive class
	 * @return the AUC, or NaN when the class has no positives or no negatives
	 */
	static double rocAuc(int[] truth, float[][] probs, int k) {
		int n = truth.length;
		Integer[] order = new Integer[n];
		for (int i = 0; i < n; i++) order[i] = i;
		Arrays.sort(order, (a, b) -> Float.compare(probs[a][k], probs[b][k]));
		double rankSumPos = 0;
		long pos = 0;
		int i = 0;
		while (i < n) {
			int j = i;
			while (j + 1 < n && probs[order[j + 1]][k] == probs[order[i]][k]) j++;
			double avgRank = (i + j) / 2.0 + 1;
			for (int t = i; t <= j; t++) {
				if (truth[order[t]] == k) {
					rankSumPos += avgRank;
					pos++;
				}
			}
			i = j + 1;
		}
		long neg = n - pos;
		if (pos == 0 || neg == 0) return Double.NaN;
		return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
	}

	/**
	 * Expected calibration error over {@link #ECE_BINS} equal-width bins of the top-class confidence:
	 * the sample-weighted mean of |accuracy - mean confidence| per bin.
	 */
	/**
	 * Expected calibration error of probabilities ({@value #ECE_BINS} equal-width confidence bins).
	 *
	 * @param truth true class per sample
	 * @param probs probabilities per sample
	 * @return the ECE
	 */
	public static double ece(int[] truth, float[][] probs) {
		int[] pred = new int[truth.length];
		for (int i = 0; i < pred.length; i++) pred[i] = Probabilities.argmax(probs[i]);
		return ece(truth, probs, pred);
	}

	static double ece(int[] truth, float[][] probs, int[] pred) {
		double e = 0;
		for (double[] row : reliability(truth, probs, pred)) {
			if (row[4] > 0) e += Math.abs(row[3] - row[2]) * row[4];
		}
		return e / truth.length;
	}

	/**
	 * Bins the top-class confidences into {@value #ECE_BINS} equal-width bins (lo, hi].
	 *
	 * @return rows of {lower edge, upper edge, mean confidence, accuracy, count}; NaN means for empty bins
	 */
	static double[][] reliability(int[] truth, float[][] probs, int[] pred) {
		int bins = ECE_BINS;
		double[][] out = new double[bins][5];
		for (int b = 0; b < bins; b++) {
			out[b][0] = (double) b / bins;
			out[b][1] = (double) (b + 1) / bins;
		}
		for (int i = 0; i < truth.length; i++) {
			double p = probs[i][pred[i]];
			// Bins are (lo, hi]: bin b holds b/bins < p <= (b+1)/bins, so a confidence of exactly 1 is in the last bin.
			int b = Math.max(0, Math.min(bins - 1, (int) Math.ceil(p * bins) - 1));
			out[b][2] += p;
			out[b][3] += truth[i] == pred[i] ? 1 : 0;
			out[b][4]++;
		}
		for (double[] row : out) {
			if (row[4] == 0) {
				row[2] = Double.NaN;
				row[3] = Double.NaN;
			} else {
				row[2] /= row[4];
				row[3] /= row[4];
			}
		}
		return out;
	}

	private static double[][] bootstrap(int[] truth, float[][] probs, int[] pred, int c, int resamples, long seed) {
		if (resamples <= 0) return new double[][] {{Double.NaN, Double.NaN}, {Double.NaN, Double.NaN}, {Double.NaN, Double.NaN}};
		SplittableRandom r = new SplittableRandom(seed);
		double[] accs = new double[resamples];
		double[] f1s = new double[resamples];
		double[] eces = new double[resamples];
		int n = truth.length;
		int[] t = new int[n];
		int[] p = new int[n];
		float[][] q = new float[n][];
		for (int b = 0; b < resamples; b++) {
			for (int i = 0; i < n; i++) {
				int j = r.nextInt(n);
				t[i] = truth[j];
				p[i] = pred[j];
				q[i] = probs[j];
			}
			eces[b] = ece(t, q, p);
			long[][] m = confusion(t, p, c);
			double[] pr = new double[c];
			double[] re = new double[c];
			double[] f = new double[c];
			perClass(m, new long[c], pr, re, f);
			accs[b] = accuracy(m);
			f1s[b] = macroF1(m, f);
		}
		return new double[][] {percentileInterval(accs), percentileInterval(f1s), percentileInterval(eces)};
	}

	private static double[] percentileInterval(double[] v) {
		double[] s = v.clone();
		Arrays.sort(s);
		return new double[] {quantile(s, 0.025), quantile(s, 0.975)};
	}

	static double quantile(double[] sorted, double q) {
		double rank = q * (sorted.length - 1);
		int lo = (int) Math.floor(rank);
		int hi = Math.min(lo + 1, sorted.length - 1);
		return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
	}

	/** @return class names */
	public List<String> classes() {
		return classes;
	}

	/** @return the number of samples */
	public int count() {
		return n;
	}

	/** @return confusion matrix, [true][predicted], a copy */
	public long[][] confusion() {
		long[][] out = new long[confusion.length][];
		for (int i = 0; i < out.length; i++) out[i] = confusion[i].clone();
		return out;
	}

	/** @return accuracy */
	public double accuracy() {
		return accuracy;
	}

	/** @return balanced accuracy: mean recall over the classes present */
	public double balancedAccuracy() {
		return balancedAccuracy;
	}

	/** @return precision per class */
	public double[] precision() {
		return precision.clone();
	}

	/** @return recall per class */
	public double[] recall() {
		return recall.clone();
	}

	/** @return F1 per class */
	public double[] f1() {
		return f1.clone();
	}

	/** @return true samples per class */
	public long[] support() {
		return support.clone();
	}

	/** @return macro F1: unweighted mean of the per-class F1 over the classes in the truth or the predictions */
	public double macroF1() {
		return macroF1;
	}

	/** @return one-vs-rest ROC AUC per class (NaN where undefined) */
	public double[] rocAuc() {
		return auc.clone();
	}

	/** @return mean of the defined one-vs-rest AUCs */
	public double macroRocAuc() {
		double s = 0;
		int k = 0;
		for (double a : auc) {
			if (!Double.isNaN(a)) {
				s += a;
				k++;
			}
		}
		return k == 0 ? Double.NaN : s / k;
	}

	/** @return expected calibration error ({@value #ECE_BINS} bins) */
	public double ece() {
		return ece;
	}

	/**
	 * Returns the reliability diagram: per confidence bin, the mean confidence, the accuracy and the
	 * number of samples (NaN means for empty bins).
	 *
	 * @return {@value #ECE_BINS} rows of {lower edge, upper edge, mean confidence, accuracy, count}
	 */
	public double[][] reliability() {
		return reliability.clone();
	}

	/** @return bootstrap 95 % interval of the accuracy, {low, high} */
	public double[] accuracyCi() {
		return accuracyCi.clone();
	}

	/** @return bootstrap 95 % interval of the ECE, {low, high} (the ECE of small test sets is noisy) */
	public double[] eceCi() {
		return eceCi.clone();
	}

	/** @return bootstrap 95 % interval of the macro F1, {low, high} */
	public double[] macroF1Ci() {
		return macroF1Ci.clone();
	}

	/**
	 * Returns the rows of a per-class table: class, precision, recall, F1, support, AUC; then the
	 * overall rows (accuracy, balanced accuracy, macro F1, macro AUC, ECE).
	 *
	 * @return rows of {name, precision, recall, f1, support, auc} with NaN where a cell does not apply
	 */
	public List<Object[]> table() {
		List<Object[]> rows = new ArrayList<>();
		for (int k = 0; k < classes.size(); k++) {
			rows.add(new Object[] {classes.get(k), precision[k], recall[k], f1[k], (double) support[k], auc[k]});
		}
		return rows;
	}
}
