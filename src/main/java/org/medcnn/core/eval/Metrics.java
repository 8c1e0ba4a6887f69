package org.medcnn.core.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.medcnn.core.math.Probabilities;

/**
 * Classification metrics computed from true labels and predicted probabilities, every one with a
 * stratified bootstrap 95 % interval ({@link Bootstrap}): accuracy, balanced accuracy, per-class
 * precision / recall / F1 and one-vs-rest ROC AUC, macro F1, macro ROC AUC, the expected calibration
 * error, and (with {@link Extras}) the ECE at temperature 1, the area under the risk-coverage curve and
 * the figures of the uncertain and out-of-distribution flags. {@link #binary} adds a grouped binary
 * report (sensitivity, specificity, PPV, NPV).
 * <p>
 * Undefined is not zero: a class without images has no recall, F1 or AUC, and a class never predicted
 * no precision; those read NaN ("n/a" in reports). Balanced accuracy and macro F1 average over the
 * classes that have images, macro AUC over the classes whose AUC is defined; {@link #averagedOver}
 * names them. Rows are put in a canonical order before resampling (by their keys, e.g. file and slice,
 * then by content), so the same rows in any order give the same intervals. Immutable; build with
 * {@link #compute}.
 */
public final class Metrics {

	/** Bins of the expected calibration error. */
	public static final int ECE_BINS = 15;

	/** Names of the overall estimates, in report order (those of {@link Extras} only when given). */
	public static final List<String> OVERALL = List.of("accuracy", "balanced_accuracy", "macro_f1", "macro_roc_auc", "ece", "ece_uncalibrated", "aurc",
		"coverage_unflagged", "accuracy_unflagged", "accuracy_uncertain", "ood_flagged_share", "accuracy_ood_kept", "accuracy_ood_flagged");

	/**
	 * What an evaluation knows about each row beyond its truth and probabilities; every field may be null.
	 *
	 * @param keys a key per row that orders the rows before resampling (e.g. {@code path#slice})
	 * @param uncalibrated the probabilities with every temperature set to 1 (for {@code ece_uncalibrated})
	 * @param uncertain per row 1 flagged uncertain, 0 not, -1 unknown
	 * @param ood per row 1 flagged out of distribution, 0 not, -1 unknown
	 * @param rankScores per row the score the risk-coverage curve ranks by (higher: more confident)
	 */
	public record Extras(String[] keys, float[][] uncalibrated, int[] uncertain, int[] ood, double[] rankScores) {

		/** No extras. */
		public static final Extras NONE = new Extras(null, null, null, null, null);
	}

	private final List<String> classes;
	private final int n;
	private final int[] truth;
	private final int[] pred;
	private final float[][] probs;
	private final Extras extras;
	private final long[][] confusion;
	private final long[] support;
	private final Map<String, Estimate> overall;
	private final Estimate[] precision;
	private final Estimate[] recall;
	private final Estimate[] f1;
	private final Estimate[] auc;
	private final double[][] reliability;
	private final int resamples;
	private final long seed;

	private Metrics(List<String> classes, int[] truth, float[][] probs, Extras extras, int resamples, long seed) {
		this.classes = List.copyOf(classes);
		this.n = truth.length;
		this.resamples = resamples;
		this.seed = seed;
		// The canonical order: the draws of the bootstrap follow it, so it must not depend on the input order.
		Integer[] order = canonicalOrder(truth, probs, extras);
		this.truth = new int[n];
		this.probs = new float[n][];
		this.pred = new int[n];
		for (int i = 0; i < n; i++) {
			this.truth[i] = truth[order[i]];
			this.probs[i] = probs[order[i]];
			this.pred[i] = Probabilities.argmax(this.probs[i]);
		}
		this.extras = new Extras(permute(extras.keys(), order), permute(extras.uncalibrated(), order), permute(extras.uncertain(), order),
			permute(extras.ood(), order), permute(extras.rankScores(), order));
		int c = classes.size();
		confusion = confusion(this.truth, pred, c);
		support = new long[c];
		for (int k = 0; k < c; k++) for (long v : confusion[k]) support[k] += v;
		reliability = reliability(this.truth, this.probs, pred);
		Table t = new Table(this.truth, this.pred, this.probs, c, this.extras);
		Estimate[] e = Bootstrap.estimate(this.truth, t::statistics, resamples, seed);
		overall = new LinkedHashMap<>();
		for (int j = 0; j < Table.FIXED; j++) overall.put(OVERALL.get(j), e[j]);
		if (this.extras.uncalibrated() != null) overall.put("ece_uncalibrated", e[Table.FIXED]);
		if (this.extras.rankScores() != null) overall.put("aurc", e[Table.FIXED + 1]);
		if (t.hasUncertain) {
			for (int j = 0; j < 3; j++) overall.put(OVERALL.get(7 + j), e[Table.FIXED + 2 + j]);
		}
		if (t.hasOod) {
			for (int j = 0; j < 3; j++) overall.put(OVERALL.get(10 + j), e[Table.FIXED + 5 + j]);
		}
		int base = Table.FIXED + Table.EXTRA;
		precision = Arrays.copyOfRange(e, base, base + c);
		recall = Arrays.copyOfRange(e, base + c, base + 2 * c);
		f1 = Arrays.copyOfRange(e, base + 2 * c, base + 3 * c);
		auc = Arrays.copyOfRange(e, base + 3 * c, base + 4 * c);
	}

	/**
	 * Computes all metrics of rows without keys or extras (rows are ordered by their content).
	 *
	 * @param classes class names, index = class id
	 * @param truth true class per sample
	 * @param probs predicted probabilities per sample (one per class)
	 * @param bootstrap bootstrap resamples for the intervals (e.g. 1000); 0 for none
	 * @param seed seed of the bootstrap
	 * @return the metrics
	 * @throws IllegalArgumentException if the inputs are empty or inconsistent
	 */
	public static Metrics compute(List<String> classes, int[] truth, float[][] probs, int bootstrap, long seed) {
		return compute(classes, truth, probs, Extras.NONE, bootstrap, seed);
	}

	/**
	 * Computes all metrics.
	 *
	 * @param classes class names, index = class id
	 * @param truth true class per sample
	 * @param probs predicted probabilities per sample (one per class)
	 * @param extras keys and further per-row facts; fields may be null
	 * @param bootstrap bootstrap resamples for the intervals (e.g. 1000); 0 for none
	 * @param seed seed of the bootstrap
	 * @return the metrics
	 * @throws IllegalArgumentException if the inputs are empty or inconsistent
	 */
	public static Metrics compute(List<String> classes, int[] truth, float[][] probs, Extras extras, int bootstrap, long seed) {
		if (classes.size() < 2) throw new IllegalArgumentException("metrics need at least 2 classes");
		if (truth.length == 0) throw new IllegalArgumentException("metrics need at least one sample");
		if (truth.length != probs.length) throw new IllegalArgumentException(truth.length + " labels but " + probs.length + " predictions");
		if (bootstrap < 0) throw new IllegalArgumentException("bootstrap resamples must be at least 0, got " + bootstrap);
		for (int i = 0; i < truth.length; i++) {
			if (truth[i] < 0 || truth[i] >= classes.size()) throw new IllegalArgumentException("label " + truth[i] + " of sample " + i + " is not a class index");
			if (probs[i].length != classes.size()) throw new IllegalArgumentException("sample " + i + " has " + probs[i].length + " probabilities for " + classes.size() + " classes");
		}
		Extras e = extras == null ? Extras.NONE : extras;
		checkLength("keys", e.keys() == null ? -1 : e.keys().length, truth.length);
		checkLength("uncalibrated probabilities", e.uncalibrated() == null ? -1 : e.uncalibrated().length, truth.length);
		checkLength("uncertain flags", e.uncertain() == null ? -1 : e.uncertain().length, truth.length);
		checkLength("out-of-distribution flags", e.ood() == null ? -1 : e.ood().length, truth.length);
		checkLength("ranking scores", e.rankScores() == null ? -1 : e.rankScores().length, truth.length);
		return new Metrics(classes, truth, probs, e, bootstrap, seed);
	}

	private static void checkLength(String what, int length, int n) {
		if (length >= 0 && length != n) throw new IllegalArgumentException(length + " " + what + " for " + n + " samples");
	}

	/**
	 * The canonical order of rows: by key (when given), then truth, probabilities and the extras, so
	 * that rows in any input order end in one order (rows equal in all of these are interchangeable).
	 */
	private static Integer[] canonicalOrder(int[] truth, float[][] probs, Extras e) {
		Integer[] order = new Integer[truth.length];
		for (int i = 0; i < order.length; i++) order[i] = i;
		Comparator<Integer> cmp = (a, b) -> 0;
		if (e.keys() != null) cmp = Comparator.comparing((Integer i) -> e.keys()[i], Comparator.nullsFirst(Comparator.naturalOrder()));
		cmp = cmp.thenComparingInt(i -> truth[i]).thenComparing((a, b) -> compare(probs[a], probs[b]));
		if (e.uncalibrated() != null) cmp = cmp.thenComparing((a, b) -> compare(e.uncalibrated()[a], e.uncalibrated()[b]));
		if (e.uncertain() != null) cmp = cmp.thenComparingInt(i -> e.uncertain()[i]);
		if (e.ood() != null) cmp = cmp.thenComparingInt(i -> e.ood()[i]);
		if (e.rankScores() != null) cmp = cmp.thenComparing((a, b) -> Double.compare(e.rankScores()[a], e.rankScores()[b]));
		Arrays.sort(order, cmp);
		return order;
	}

	private static int compare(float[] a, float[] b) {
		for (int i = 0; i < Math.min(a.length, b.length); i++) {
			int c = Float.compare(a[i], b[i]);
			if (c != 0) return c;
		}
		return Integer.compare(a.length, b.length);
	}

	private static String[] permute(String[] v, Integer[] order) {
		if (v == null) return null;
		String[] out = new String[v.length];
		for (int i = 0; i < v.length; i++) out[i] = v[order[i]];
		return out;
	}

	private static float[][] permute(float[][] v, Integer[] order) {
		if (v == null) return null;
		float[][] out = new float[v.length][];
		for (int i = 0; i < v.length; i++) out[i] = v[order[i]];
		return out;
	}

	private static int[] permute(int[] v, Integer[] order) {
		if (v == null) return null;
		int[] out = new int[v.length];
		for (int i = 0; i < v.length; i++) out[i] = v[order[i]];
		return out;
	}

	private static double[] permute(double[] v, Integer[] order) {
		if (v == null) return null;
		double[] out = new double[v.length];
		for (int i = 0; i < v.length; i++) out[i] = v[order[i]];
		return out;
	}

	static long[][] confusion(int[] truth, int[] pred, int c) {
		long[][] m = new long[c][c];
		for (int i = 0; i < truth.length; i++) m[truth[i]][pred[i]]++;
		return m;
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
		double[] w = new double[truth.length];
		Arrays.fill(w, 1);
		boolean[] positive = new boolean[truth.length];
		double[] score = new double[truth.length];
		for (int i = 0; i < truth.length; i++) {
			positive[i] = truth[i] == k;
			score[i] = probs[i][k];
		}
		return Ranked.of(score).auc(positive, w);
	}

	/**
	 * Expected calibration error of probabilities ({@value #ECE_BINS} equal-width bins of the top-class
	 * confidence): the sample-weighted mean of |accuracy - mean confidence| per bin.
	 *
	 * @param truth true class per sample
	 * @param probs probabilities per sample
	 * @return the ECE
	 */
	public static double ece(int[] truth, float[][] probs) {
		int[] pred = new int[truth.length];
		for (int i = 0; i < pred.length; i++) pred[i] = Probabilities.argmax(probs[i]);
		double e = 0;
		for (double[] row : reliability(truth, probs, pred)) {
			if (row[4] > 0) e += Math.abs(row[3] - row[2]) * row[4];
		}
		return e / truth.length;
	}

	/** The bin (lo, hi] of a confidence: bin b holds b/bins &lt; p &lt;= (b+1)/bins, so a confidence of exactly 1 is in the last bin. */
	static int bin(double p) {
		return Math.max(0, Math.min(ECE_BINS - 1, (int) Math.ceil(p * ECE_BINS) - 1));
	}

	/**
	 * Bins the top-class confidences into {@value #ECE_BINS} equal-width bins (lo, hi].
	 *
	 * @param truth true classes
	 * @param probs probabilities
	 * @return rows of {lower edge, upper edge, mean confidence, accuracy, count}; NaN means for empty bins
	 */
	public static double[][] reliability(int[] truth, float[][] probs) {
		int[] pred = new int[truth.length];
		for (int i = 0; i < pred.length; i++) pred[i] = Probabilities.argmax(probs[i]);
		return reliability(truth, probs, pred);
	}

	static double[][] reliability(int[] truth, float[][] probs, int[] pred) {
		int bins = ECE_BINS;
		double[][] out = new double[bins][5];
		for (int b = 0; b < bins; b++) {
			out[b][0] = (double) b / bins;
			out[b][1] = (double) (b + 1) / bins;
		}
		for (int i = 0; i < truth.length; i++) {
			double p = probs[i][pred[i]];
			int b = bin(p);
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

	/**
	 * The q-quantile of sorted values, interpolating linearly between order statistics.
	 *
	 * @param sorted values in ascending order, at least one
	 * @param q the quantile in [0, 1]
	 * @return the value
	 */
	static double quantile(double[] sorted, double q) {
		double rank = q * (sorted.length - 1);
		int lo = (int) Math.floor(rank);
		int hi = Math.min(lo + 1, sorted.length - 1);
		return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
	}

	/** Scores ranked once, ascending, with their tie groups: weighted AUCs in one pass per resample. */
	static final class Ranked {
		final int[] order;
		/** start index (in {@link #order}) of each tie group, plus n at the end */
		final int[] groups;

		private Ranked(int[] order, int[] groups) {
			this.order = order;
			this.groups = groups;
		}

		static Ranked of(double[] score) {
			int n = score.length;
			Integer[] o = new Integer[n];
			for (int i = 0; i < n; i++) o[i] = i;
			Arrays.sort(o, (a, b) -> Double.compare(score[a], score[b]));
			int[] order = new int[n];
			List<Integer> g = new ArrayList<>();
			for (int i = 0; i < n; i++) {
				order[i] = o[i];
				if (i == 0 || Double.compare(score[o[i]], score[o[i - 1]]) != 0) g.add(i);
			}
			g.add(n);
			return new Ranked(order, g.stream().mapToInt(Integer::intValue).toArray());
		}

		/** The weighted Mann-Whitney AUC: NaN without weighted positives or negatives. */
		double auc(boolean[] positive, double[] w) {
			double negBelow = 0;
			double u = 0;
			double pos = 0;
			for (int g = 0; g + 1 < groups.length; g++) {
				double wp = 0;
				double wn = 0;
				for (int i = groups[g]; i < groups[g + 1]; i++) {
					int r = order[i];
					if (positive[r]) wp += w[r];
					else wn += w[r];
				}
				u += wp * (negBelow + 0.5 * wn);
				negBelow += wn;
				pos += wp;
			}
			if (pos == 0 || negBelow == 0) return Double.NaN;
			return u / (pos * negBelow);
		}

		/** ROC points {false positive rate, true positive rate}, from the highest score down, one per tie group, from (0, 0) to (1, 1). */
		double[][] roc(boolean[] positive) {
			double p = 0;
			double q = 0;
			for (boolean b : positive) {
				if (b) p++;
				else q++;
			}
			List<double[]> pts = new ArrayList<>();
			pts.add(new double[] {0, 0});
			double tp = 0;
			double fp = 0;
			for (int g = groups.length - 2; g >= 0; g--) {
				for (int i = groups[g]; i < groups[g + 1]; i++) {
					if (positive[order[i]]) tp++;
					else fp++;
				}
				pts.add(new double[] {q == 0 ? 0 : fp / q, p == 0 ? 0 : tp / p});
			}
			double[][] out = new double[2][pts.size()];
			for (int i = 0; i < pts.size(); i++) {
				out[0][i] = pts.get(i)[0];
				out[1][i] = pts.get(i)[1];
			}
			return out;
		}
	}

	/** The rows in canonical order with what every statistic needs, precomputed once. */
	static final class Table {
		/** Overall statistics always present: accuracy, balanced accuracy, macro F1, macro AUC, ECE. */
		static final int FIXED = 5;
		/** Slots of the extras: ECE at T = 1, AURC, 3 uncertainty figures, 3 out-of-distribution figures. */
		static final int EXTRA = 8;

		final int n;
		final int c;
		final int[] truth;
		final int[] pred;
		final boolean[] correct;
		final double[] confidence;
		final int[] bins;
		final boolean[] present;
		final boolean[] aucDefined;
		final Ranked[] ranked;
		final boolean[][] positive;
		final double[] rawConfidence;
		final boolean[] rawCorrect;
		final int[] rawBins;
		final Ranked risk;
		final int[] uncertain;
		final int[] ood;
		final boolean hasUncertain;
		final boolean hasOod;

		Table(int[] truth, int[] pred, float[][] probs, int c, Extras e) {
			this.n = truth.length;
			this.c = c;
			this.truth = truth;
			this.pred = pred;
			correct = new boolean[n];
			confidence = new double[n];
			bins = new int[n];
			for (int i = 0; i < n; i++) {
				correct[i] = pred[i] == truth[i];
				confidence[i] = probs[i][pred[i]];
				bins[i] = bin(confidence[i]);
			}
			present = new boolean[c];
			for (int t : truth) present[t] = true;
			ranked = new Ranked[c];
			positive = new boolean[c][n];
			aucDefined = new boolean[c];
			for (int k = 0; k < c; k++) {
				double[] s = new double[n];
				for (int i = 0; i < n; i++) {
					s[i] = probs[i][k];
					positive[k][i] = truth[i] == k;
				}
				ranked[k] = Ranked.of(s);
			}
			for (int k = 0; k < c; k++) {
				final int cls = k;
				aucDefined[k] = present[k] && Arrays.stream(truth).anyMatch(t -> t != cls);
			}
			if (e.uncalibrated() != null) {
				rawConfidence = new double[n];
				rawCorrect = new boolean[n];
				rawBins = new int[n];
				for (int i = 0; i < n; i++) {
					int p = Probabilities.argmax(e.uncalibrated()[i]);
					rawCorrect[i] = p == truth[i];
					rawConfidence[i] = e.uncalibrated()[i][p];
					rawBins[i] = bin(rawConfidence[i]);
				}
			} else {
				rawConfidence = null;
				rawCorrect = null;
				rawBins = null;
			}
			if (e.rankScores() != null) {
				// ranked ascending by score: the risk-coverage curve walks it from the top
				risk = Ranked.of(e.rankScores());
			} else {
				risk = null;
			}
			uncertain = e.uncertain();
			ood = e.ood();
			hasUncertain = uncertain != null && Arrays.stream(uncertain).anyMatch(v -> v >= 0);
			hasOod = ood != null && Arrays.stream(ood).anyMatch(v -> v >= 0);
		}

		/** Every statistic of the weighted rows, in the layout the constructor of {@link Metrics} reads. */
		double[] statistics(double[] w) {
			double[] out = new double[FIXED + EXTRA + 4 * c];
			Arrays.fill(out, Double.NaN);
			double[][] m = new double[c][c];
			double total = 0;
			double right = 0;
			for (int i = 0; i < n; i++) {
				if (w[i] == 0) continue;
				m[truth[i]][pred[i]] += w[i];
				total += w[i];
				if (correct[i]) right += w[i];
			}
			out[0] = total == 0 ? Double.NaN : right / total;
			double recallSum = 0;
			double f1Sum = 0;
			int presentCount = 0;
			int base = FIXED + EXTRA;
			for (int k = 0; k < c; k++) {
				double tp = m[k][k];
				double actual = 0;
				double predicted = 0;
				for (int j = 0; j < c; j++) {
					actual += m[k][j];
					predicted += m[j][k];
				}
				out[base + k] = predicted > 0 ? tp / predicted : Double.NaN;
				if (present[k]) {
					double recall = actual > 0 ? tp / actual : Double.NaN;
					double f = 2 * tp + (predicted - tp) + (actual - tp) > 0 ? 2 * tp / (2 * tp + (predicted - tp) + (actual - tp)) : Double.NaN;
					out[base + c + k] = recall;
					out[base + 2 * c + k] = f;
					recallSum += recall;
					f1Sum += f;
					presentCount++;
				}
			}
			out[1] = presentCount == 0 ? Double.NaN : recallSum / presentCount;
			out[2] = presentCount == 0 ? Double.NaN : f1Sum / presentCount;
			double aucSum = 0;
			int aucCount = 0;
			for (int k = 0; k < c; k++) {
				if (!aucDefined[k]) continue;
				double a = ranked[k].auc(positive[k], w);
				out[base + 3 * c + k] = a;
				aucSum += a;
				aucCount++;
			}
			out[3] = aucCount == 0 ? Double.NaN : aucSum / aucCount;
			out[4] = ece(w, confidence, correct, bins, total);
			if (rawConfidence != null) out[FIXED] = ece(w, rawConfidence, rawCorrect, rawBins, total);
			if (risk != null) out[FIXED + 1] = aurc(w, total);
			if (hasUncertain) flagFigures(w, uncertain, out, FIXED + 2, true);
			if (hasOod) flagFigures(w, ood, out, FIXED + 5, false);
			return out;
		}

		private double ece(double[] w, double[] conf, boolean[] right, int[] bin, double total) {
			double[] sumConf = new double[ECE_BINS];
			double[] sumRight = new double[ECE_BINS];
			for (int i = 0; i < n; i++) {
				if (w[i] == 0) continue;
				sumConf[bin[i]] += w[i] * conf[i];
				if (right[i]) sumRight[bin[i]] += w[i];
			}
			double e = 0;
			for (int b = 0; b < ECE_BINS; b++) e += Math.abs(sumRight[b] - sumConf[b]);
			return total == 0 ? Double.NaN : e / total;
		}

		/**
		 * The area under the risk-coverage curve: the mean selective risk over every coverage, the rows
		 * ranked by decreasing score. Within a group of equal scores every order is equally likely, so a
		 * group adds its correct rows evenly (its expected curve), and the result does not depend on the
		 * order of tied rows.
		 */
		private double aurc(double[] w, double total) {
			if (total == 0) return Double.NaN;
			double kept = 0;
			double right = 0;
			double sum = 0;
			for (int g = risk.groups.length - 2; g >= 0; g--) {
				double gw = 0;
				double gr = 0;
				for (int i = risk.groups[g]; i < risk.groups[g + 1]; i++) {
					int r = risk.order[i];
					gw += w[r];
					if (correct[r]) gr += w[r];
				}
				// the group's weight gw is an integer count of rows (bootstrap multiplicities, or 1 each)
				long m = Math.round(gw);
				for (long j = 1; j <= m; j++) sum += 1 - (right + gr * j / m) / (kept + j);
				kept += m;
				right += gr;
			}
			return sum / total;
		}

		/** Share unflagged (or flagged), accuracy of the unflagged and of the flagged rows, for one flag. */
		private void flagFigures(double[] w, int[] flag, double[] out, int at, boolean shareKept) {
			double known = 0;
			double[] count = new double[2];
			double[] right = new double[2];
			double all = 0;
			for (int i = 0; i < n; i++) {
				if (w[i] == 0) continue;
				all += w[i];
				if (flag[i] < 0) continue;
				known += w[i];
				count[flag[i]] += w[i];
				if (correct[i]) right[flag[i]] += w[i];
			}
			// coverage of the uncertain flag counts rows without an estimate as not kept (as Evaluation did); the
			// out-of-distribution share is over the scored rows
			out[at] = shareKept ? (all == 0 ? Double.NaN : count[0] / all) : (known == 0 ? Double.NaN : count[1] / known);
			out[at + 1] = count[0] == 0 ? Double.NaN : right[0] / count[0];
			out[at + 2] = count[1] == 0 ? Double.NaN : right[1] / count[1];
		}
	}

	/**
	 * A binary report of the classes grouped into positive and negative: a slice is called positive when
	 * its predicted class is in the positive group, and the ROC AUC ranks by the summed probability of
	 * the positive classes. Intervals come from the same resamples as the multi-class metrics (stratified
	 * by the true class, same seed and order).
	 *
	 * @param positives the positive classes
	 * @return the report
	 * @throws IllegalArgumentException if a name is not a class, or the group is empty or all classes
	 */
	public BinaryMetrics binary(List<String> positives) {
		if (positives.isEmpty()) throw new IllegalArgumentException("the positive group needs at least one class");
		boolean[] pos = new boolean[classes.size()];
		for (String p : positives) {
			int k = classes.indexOf(p);
			if (k < 0) throw new IllegalArgumentException("positive class '" + p + "' is not a class of the model " + classes);
			pos[k] = true;
		}
		List<String> negatives = new ArrayList<>();
		for (int k = 0; k < classes.size(); k++) if (!pos[k]) negatives.add(classes.get(k));
		if (negatives.isEmpty()) throw new IllegalArgumentException("the positive group " + positives + " holds every class; leave at least one negative");
		boolean[] truthPos = new boolean[n];
		boolean[] predPos = new boolean[n];
		double[] score = new double[n];
		for (int i = 0; i < n; i++) {
			truthPos[i] = pos[truth[i]];
			predPos[i] = pos[pred[i]];
			double s = 0;
			for (int k = 0; k < classes.size(); k++) if (pos[k]) s += probs[i][k];
			score[i] = s;
		}
		Ranked ranked = Ranked.of(score);
		boolean anyPos = false;
		boolean anyNeg = false;
		for (boolean b : truthPos) {
			anyPos |= b;
			anyNeg |= !b;
		}
		boolean aucDefined = anyPos && anyNeg;
		Bootstrap.Statistic stat = w -> {
			double tp = 0;
			double fp = 0;
			double tn = 0;
			double fn = 0;
			for (int i = 0; i < n; i++) {
				if (w[i] == 0) continue;
				if (truthPos[i]) {
					if (predPos[i]) tp += w[i];
					else fn += w[i];
				} else if (predPos[i]) {
					fp += w[i];
				} else {
					tn += w[i];
				}
			}
			return new double[] {ratio(tp, tp + fn), ratio(tn, tn + fp), ratio(tp, tp + fp), ratio(tn, tn + fn), ratio(tp + tn, tp + tn + fp + fn),
				aucDefined ? ranked.auc(truthPos, w) : Double.NaN};
		};
		Estimate[] e = Bootstrap.estimate(truth, stat, resamples, seed);
		long tp = 0;
		long fp = 0;
		long tn = 0;
		long fn = 0;
		for (int i = 0; i < n; i++) {
			if (truthPos[i] && predPos[i]) tp++;
			else if (truthPos[i]) fn++;
			else if (predPos[i]) fp++;
			else tn++;
		}
		List<String> posList = new ArrayList<>();
		for (int k = 0; k < classes.size(); k++) if (pos[k]) posList.add(classes.get(k));
		return new BinaryMetrics(posList, negatives, tp, fp, tn, fn, e[0], e[1], e[2], e[3], e[4], e[5]);
	}

	private static double ratio(double a, double b) {
		return b == 0 ? Double.NaN : a / b;
	}

	/**
	 * The ROC curve of one class against the rest.
	 *
	 * @param k the class
	 * @return {false positive rates, true positive rates}, from (0, 0) to (1, 1); one point per distinct score
	 */
	public double[][] rocCurve(int k) {
		boolean[] positive = new boolean[n];
		double[] s = new double[n];
		for (int i = 0; i < n; i++) {
			positive[i] = truth[i] == k;
			s[i] = probs[i][k];
		}
		return Ranked.of(s).roc(positive);
	}

	/** @return class names */
	public List<String> classes() {
		return classes;
	}

	/** @return the number of samples */
	public int count() {
		return n;
	}

	/** @return the bootstrap resamples the intervals were made from (0: no intervals) */
	public int resamples() {
		return resamples;
	}

	/** @return the seed of the bootstrap */
	public long seed() {
		return seed;
	}

	/** @return confusion matrix, [true][predicted], a copy */
	public long[][] confusion() {
		long[][] out = new long[confusion.length][];
		for (int i = 0; i < out.length; i++) out[i] = confusion[i].clone();
		return out;
	}

	/** @return accuracy */
	public double accuracy() {
		return overall.get("accuracy").value();
	}

	/** @return balanced accuracy: mean recall over the classes with images ({@link #averagedOver}) */
	public double balancedAccuracy() {
		return overall.get("balanced_accuracy").value();
	}

	/** @return precision per class; NaN for a class never predicted */
	public double[] precision() {
		return values(precision);
	}

	/** @return recall per class; NaN for a class without images */
	public double[] recall() {
		return values(recall);
	}

	/** @return F1 per class; NaN for a class without images */
	public double[] f1() {
		return values(f1);
	}

	/** @return precision per class with intervals */
	public Estimate[] precisionEstimates() {
		return precision.clone();
	}

	/** @return recall per class with intervals */
	public Estimate[] recallEstimates() {
		return recall.clone();
	}

	/** @return F1 per class with intervals */
	public Estimate[] f1Estimates() {
		return f1.clone();
	}

	/** @return one-vs-rest ROC AUC per class with intervals */
	public Estimate[] rocAucEstimates() {
		return auc.clone();
	}

	private static double[] values(Estimate[] e) {
		double[] out = new double[e.length];
		for (int i = 0; i < e.length; i++) out[i] = e[i].value();
		return out;
	}

	/** @return true samples per class */
	public long[] support() {
		return support.clone();
	}

	/** @return macro F1: unweighted mean of the per-class F1 over the classes with images */
	public double macroF1() {
		return overall.get("macro_f1").value();
	}

	/** @return one-vs-rest ROC AUC per class (NaN where undefined) */
	public double[] rocAuc() {
		return values(auc);
	}

	/** @return mean of the defined one-vs-rest AUCs */
	public double macroRocAuc() {
		return overall.get("macro_roc_auc").value();
	}

	/** @return expected calibration error ({@value #ECE_BINS} bins) */
	public double ece() {
		return overall.get("ece").value();
	}

	/**
	 * The classes an average runs over.
	 *
	 * @param name {@code balanced_accuracy}, {@code macro_f1} (the classes with images) or
	 *        {@code macro_roc_auc} (the classes with images and at least one image of another class)
	 * @return the class names, in class order
	 * @throws IllegalArgumentException for another name
	 */
	public List<String> averagedOver(String name) {
		List<String> out = new ArrayList<>();
		switch (name) {
			case "balanced_accuracy", "macro_f1" -> {
				for (int k = 0; k < classes.size(); k++) if (support[k] > 0) out.add(classes.get(k));
			}
			case "macro_roc_auc" -> {
				for (int k = 0; k < classes.size(); k++) if (support[k] > 0 && support[k] < n) out.add(classes.get(k));
			}
			default -> throw new IllegalArgumentException(name + " is not an average over classes");
		}
		return Collections.unmodifiableList(out);
	}

	/**
	 * The overall estimates with their intervals, in {@link #OVERALL} order: always accuracy, balanced
	 * accuracy, macro F1, macro ROC AUC and ECE; the others when the {@link Extras} held what they need.
	 *
	 * @return name to estimate, unmodifiable
	 */
	public Map<String, Estimate> overall() {
		return Collections.unmodifiableMap(overall);
	}

	/**
	 * One overall estimate.
	 *
	 * @param name a name of {@link #overall()}
	 * @return the estimate, or null when not computed
	 */
	public Estimate estimate(String name) {
		return overall.get(name);
	}

	/**
	 * Returns the reliability diagram: per confidence bin, the mean confidence, the accuracy and the
	 * number of samples (NaN means for empty bins).
	 *
	 * @return {@value #ECE_BINS} rows of {lower edge, upper edge, mean confidence, accuracy, count}
	 */
	public double[][] reliability() {
		double[][] out = new double[reliability.length][];
		for (int i = 0; i < out.length; i++) out[i] = reliability[i].clone();
		return out;
	}

	/** @return bootstrap 95 % interval of the accuracy, {low, high} */
	public double[] accuracyCi() {
		return overall.get("accuracy").interval();
	}

	/** @return bootstrap 95 % interval of the ECE, {low, high} (the ECE of small test sets is noisy) */
	public double[] eceCi() {
		return overall.get("ece").interval();
	}

	/** @return bootstrap 95 % interval of the macro F1, {low, high} */
	public double[] macroF1Ci() {
		return overall.get("macro_f1").interval();
	}

	/**
	 * Returns the rows of a per-class table: class, precision, recall, F1, support, AUC.
	 *
	 * @return rows of {name, precision, recall, f1, support, auc} with NaN where a value is undefined
	 */
	public List<Object[]> table() {
		List<Object[]> rows = new ArrayList<>();
		for (int k = 0; k < classes.size(); k++) {
			rows.add(new Object[] {classes.get(k), precision[k].value(), recall[k].value(), f1[k].value(), (double) support[k], auc[k].value()});
		}
		return rows;
	}
}
