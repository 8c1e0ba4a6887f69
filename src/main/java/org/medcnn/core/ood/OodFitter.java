package org.medcnn.core.ood;

import java.util.Arrays;

/**
 * Fits an {@link OodDetector} on the pooled trunk features of a model's training slices and chooses its
 * threshold on the validation slices. Pure arithmetic on feature arrays: the caller computes the
 * features with the model, in the pass that classifies.
 */
public final class OodFitter {

	/** The default method: it separated foreign data best on both shipped models (README, "Out of distribution"). */
	public static final OodMethod DEFAULT_METHOD = OodMethod.KNN;

	/** The default k of the k-NN method. */
	public static final int DEFAULT_K = 5;

	/** The default shrinkage of the Mahalanobis covariance towards a multiple of the identity. */
	public static final double DEFAULT_SHRINKAGE = 0.1;

	/** The default fraction of validation slices that stays unflagged. */
	public static final double DEFAULT_COVERAGE = 0.95;

	private OodFitter() {}

	/**
	 * Fits the k-NN detector: the references are the L2-normalised training features, rounded to the
	 * precision they are stored in.
	 *
	 * @param train training features, one row per slice, all of the same length
	 * @param k which nearest neighbour gives the distance, 1 to the number of rows
	 * @param half whether to store (and so round) the references as float16
	 * @return the detector, threshold not yet chosen
	 * @throws IllegalArgumentException for no rows, rows of different lengths, non-finite values or a bad k
	 */
	public static OodDetector knn(float[][] train, int k, boolean half) {
		int f = width(train);
		float[] refs = new float[train.length * f];
		for (int j = 0; j < train.length; j++) {
			double s = 0;
			for (float v : train[j]) s += (double) v * v;
			double inv = s > 0 ? 1 / Math.sqrt(s) : 0;
			for (int i = 0; i < f; i++) refs[j * f + i] = (float) (train[j][i] * inv);
		}
		if (half) Half.round(refs);
		return new OodDetector(OodMethod.KNN, f, null, true, refs, k, Double.NaN, half);
	}

	/**
	 * Fits the Mahalanobis detector: class means, the covariance of the training features around their
	 * class means (shared by all classes), shrunk as {@code (1 - a) S + a (tr S / F) I}, and its Cholesky
	 * factor {@code L}; the map is {@code L^-1} and the references are the mapped class means.
	 *
	 * @param train training features, one row per slice
	 * @param labels class index of each row, 0 to {@code classes - 1}
	 * @param classes the number of classes; each needs at least one row
	 * @param shrinkage a in (0, 1]
	 * @param half whether to store (and so round) the matrices as float16
	 * @return the detector, threshold not yet chosen
	 * @throws IllegalArgumentException for empty classes, a shrinkage outside (0, 1], or features with no variance at all
	 */
	public static OodDetector mahalanobis(float[][] train, int[] labels, int classes, double shrinkage, boolean half) {
		int f = width(train);
		if (labels.length != train.length) throw new IllegalArgumentException("one label per training row needed");
		if (!(shrinkage > 0 && shrinkage <= 1)) throw new IllegalArgumentException("ood shrinkage must be in (0, 1], got " + shrinkage);
		double[][] mean = new double[classes][f];
		int[] count = new int[classes];
		for (int j = 0; j < train.length; j++) {
			int c = labels[j];
			if (c < 0 || c >= classes) throw new IllegalArgumentException("label " + c + " of row " + j + " is not a class index below " + classes);
			count[c]++;
			for (int i = 0; i < f; i++) mean[c][i] += train[j][i];
		}
		for (int c = 0; c < classes; c++) {
			if (count[c] == 0) throw new IllegalArgumentException("class " + c + " has no training rows; its mean is unknown");
			for (int i = 0; i < f; i++) mean[c][i] /= count[c];
		}
		// Covariance around the class means, upper triangle accumulated row by row.
		double[][] cov = new double[f][f];
		double[] d = new double[f];
		for (int j = 0; j < train.length; j++) {
			double[] m = mean[labels[j]];
			for (int i = 0; i < f; i++) d[i] = train[j][i] - m[i];
			for (int a = 0; a < f; a++) {
				double da = d[a];
				if (da == 0) continue;
				double[] row = cov[a];
				for (int b = a; b < f; b++) row[b] += da * d[b];
			}
		}
		int dof = Math.max(1, train.length - classes);
		double trace = 0;
		for (int a = 0; a < f; a++) {
			for (int b = a; b < f; b++) {
				cov[a][b] /= dof;
				cov[b][a] = cov[a][b];
			}
			trace += cov[a][a];
		}
		double tau = trace / f;
		if (!(tau > 0)) throw new IllegalArgumentException("the training features do not vary; no covariance can be estimated");
		for (int a = 0; a < f; a++) {
			for (int b = 0; b < f; b++) cov[a][b] *= 1 - shrinkage;
			cov[a][a] += shrinkage * tau;
		}
		double[][] lower = cholesky(cov);
		double[][] inverse = invertLower(lower);
		float[] map = new float[f * f];
		for (int a = 0; a < f; a++) for (int b = 0; b <= a; b++) map[a * f + b] = (float) inverse[a][b];
		if (half) Half.round(map);
		float[] refs = new float[classes * f];
		for (int c = 0; c < classes; c++) {
			for (int a = 0; a < f; a++) {
				double s = 0;
				for (int b = 0; b <= a; b++) s += (double) map[a * f + b] * mean[c][b];
				refs[c * f + a] = (float) s;
			}
		}
		if (half) Half.round(refs);
		return new OodDetector(OodMethod.MAHALANOBIS, f, map, false, refs, 1, Double.NaN, half);
	}

	/**
	 * Chooses the threshold that keeps a target fraction of the validation slices unflagged: with n
	 * distances and {@code k = ceil(coverage n)}, halfway between the k-th and (k+1)-th smallest (the
	 * largest when everything is kept). Ties can keep a little more.
	 *
	 * @param validation validation distances, at least one, all finite
	 * @param coverage the fraction to keep, in (0, 1]
	 * @return the threshold; positive (a tiny positive number when the distances are all 0)
	 * @throws IllegalArgumentException for no distances, non-finite ones or a coverage outside (0, 1]
	 */
	public static double threshold(double[] validation, double coverage) {
		if (validation.length == 0) throw new IllegalArgumentException("no validation slices to choose the ood threshold on");
		if (!(coverage > 0 && coverage <= 1)) throw new IllegalArgumentException("ood coverage must be in (0, 1], got " + coverage);
		double[] s = validation.clone();
		for (double v : s) if (!Double.isFinite(v) || v < 0) throw new IllegalArgumentException("ood distances must be finite and at least 0");
		Arrays.sort(s);
		int n = s.length;
		int k = Math.max(1, Math.min(n, (int) Math.ceil(coverage * n - 1e-9)));
		double t = k == n ? s[n - 1] : (s[k - 1] + s[k]) / 2;
		return Math.max(t, Double.MIN_NORMAL);
	}

	/**
	 * The fraction of distances above a threshold (flagged).
	 *
	 * @param distances the distances
	 * @param threshold the threshold
	 * @return the flagged fraction in [0, 1]; NaN for no distances
	 */
	public static double flagged(double[] distances, double threshold) {
		if (distances.length == 0) return Double.NaN;
		int n = 0;
		for (double v : distances) if (v > threshold) n++;
		return n / (double) distances.length;
	}

	/**
	 * The area under the ROC curve of a score that should be higher on foreign slices: the probability
	 * that a foreign slice scores above an own one, ties counting half.
	 *
	 * @param own scores of the model's own (in-distribution) slices
	 * @param foreign scores of foreign slices
	 * @return the AUROC in [0, 1]; NaN when either side is empty
	 */
	public static double auroc(double[] own, double[] foreign) {
		if (own.length == 0 || foreign.length == 0) return Double.NaN;
		double[] a = own.clone();
		Arrays.sort(a);
		double sum = 0;
		for (double v : foreign) {
			int below = lowerBound(a, v);
			int notAbove = upperBound(a, v);
			sum += below + 0.5 * (notAbove - below);
		}
		return sum / ((double) own.length * foreign.length);
	}

	private static int lowerBound(double[] a, double v) {
		int lo = 0, hi = a.length;
		while (lo < hi) {
			int mid = (lo + hi) >>> 1;
			if (a[mid] < v) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	}

	private static int upperBound(double[] a, double v) {
		int lo = 0, hi = a.length;
		while (lo < hi) {
			int mid = (lo + hi) >>> 1;
			if (a[mid] <= v) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	}

	private static int width(float[][] rows) {
		if (rows.length == 0) throw new IllegalArgumentException("no training features to fit the ood detector on");
		int f = rows[0].length;
		for (float[] r : rows) {
			if (r.length != f) throw new IllegalArgumentException("training feature rows differ in length (" + f + " and " + r.length + ")");
			for (float v : r) if (!Float.isFinite(v)) throw new IllegalArgumentException("training features hold NaN or infinity");
		}
		return f;
	}

	/** Cholesky factor L (lower) of a symmetric positive definite matrix, {@code A = L L^T}. */
	static double[][] cholesky(double[][] a) {
		int n = a.length;
		double[][] l = new double[n][n];
		for (int i = 0; i < n; i++) {
			double[] li = l[i];
			for (int j = 0; j <= i; j++) {
				double[] lj = l[j];
				double s = a[i][j];
				for (int p = 0; p < j; p++) s -= li[p] * lj[p];
				if (i == j) {
					if (!(s > 0)) throw new IllegalArgumentException("the shrunk covariance is not positive definite (pivot " + i + ")");
					li[i] = Math.sqrt(s);
				} else {
					li[j] = s / lj[j];
				}
			}
		}
		return l;
	}

	/** Inverse of a lower-triangular matrix with a positive diagonal (lower-triangular too). */
	static double[][] invertLower(double[][] l) {
		int n = l.length;
		double[][] inv = new double[n][n];
		// Column by column: solve L x = e_j by forward substitution; x is 0 above row j.
		for (int j = 0; j < n; j++) {
			inv[j][j] = 1 / l[j][j];
			for (int i = j + 1; i < n; i++) {
				double s = 0;
				double[] li = l[i];
				for (int p = j; p < i; p++) s += li[p] * inv[p][j];
				inv[i][j] = -s / li[i];
			}
		}
		return inv;
	}
}
