package org.medcnn.core.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Stratified bootstrap with bias-corrected and accelerated (BCa) 95 % intervals (Efron 1987) for
 * statistics of weighted rows.
 * <p>
 * A statistic is a function of one weight per row: all ones for the point estimate, the number of
 * times each row was drawn for a resample, zero for the rows a jackknife leaves out. Resamples are
 * stratified: each stratum (the true class) is drawn with replacement to its own size, so every
 * resample has the class counts of the data, a class with images never vanishes from a resample, and
 * the averages run over the same classes in every resample. Draws depend only on the seed and the
 * order of the rows, so callers put the rows in a canonical order first ({@link Metrics} sorts them by
 * file and slice, then by content): the same images give the same intervals whatever order they came in.
 * <p>
 * BCa corrects the percentile interval for the bias of the statistic under resampling (the fraction
 * of resamples below the estimate) and for its skewness (the acceleration, from a grouped jackknife:
 * leave out one of at most {@value #JACKKNIFE_GROUPS} interleaved groups of rows at a time). Undefined
 * values of a resample (a precision when the resample never predicts the class) are left out. When the
 * estimate still lies outside its interval (a statistic such as the ECE of a small set, which resampling
 * inflates, may lie below every resample), the interval is extended to the estimate.
 */
public final class Bootstrap {

	/** The coverage of the intervals. */
	public static final double LEVEL = 0.95;

	/** Resamples used by the front-ends. */
	public static final int DEFAULT_RESAMPLES = 1000;

	/** The most jackknife groups used for the acceleration. */
	public static final int JACKKNIFE_GROUPS = 200;

	/** How the intervals are made, for reports. */
	public static final String METHOD = "stratified bootstrap (resampled within each true class; rows in a fixed order of file, slice and content, so the "
		+ "input order does not matter), bias-corrected and accelerated (BCa) 95 % intervals, acceleration from a grouped jackknife; an interval "
		+ "that would exclude its estimate is extended to it";

	private Bootstrap() {}

	/** A statistic vector of weighted rows. */
	@FunctionalInterface
	public interface Statistic {

		/**
		 * Computes the statistics.
		 *
		 * @param weights one non-negative weight per row
		 * @return the statistics (the same length for every call), NaN where undefined
		 */
		double[] of(double[] weights);
	}

	/**
	 * Computes every statistic with its interval.
	 *
	 * @param strata one stratum per row (e.g. its true class), any integers
	 * @param statistic the statistic
	 * @param resamples bootstrap resamples; 0 for point estimates without intervals
	 * @param seed the seed of the draws
	 * @return one estimate per statistic
	 * @throws IllegalArgumentException for no rows or a negative number of resamples
	 */
	public static Estimate[] estimate(int[] strata, Statistic statistic, int resamples, long seed) {
		int n = strata.length;
		if (n == 0) throw new IllegalArgumentException("the bootstrap needs at least one row");
		if (resamples < 0) throw new IllegalArgumentException("resamples must be at least 0, got " + resamples);
		double[] ones = new double[n];
		Arrays.fill(ones, 1);
		double[] point = statistic.of(ones);
		int k = point.length;
		Estimate[] out = new Estimate[k];
		if (resamples == 0) {
			for (int j = 0; j < k; j++) out[j] = Estimate.of(point[j]);
			return out;
		}
		int[][] members = members(strata);
		double[][] reps = new double[k][resamples];
		SplittableRandom r = new SplittableRandom(seed);
		double[] w = new double[n];
		for (int b = 0; b < resamples; b++) {
			Arrays.fill(w, 0);
			for (int[] m : members) {
				for (int i = 0; i < m.length; i++) w[m[r.nextInt(m.length)]]++;
			}
			double[] v = statistic.of(w);
			for (int j = 0; j < k; j++) reps[j][b] = v[j];
		}
		int groups = Math.min(n, JACKKNIFE_GROUPS);
		double[][] jack = new double[k][groups];
		for (int g = 0; g < groups; g++) {
			Arrays.fill(w, 1);
			for (int i = g; i < n; i += groups) w[i] = 0;
			double[] v = statistic.of(w);
			for (int j = 0; j < k; j++) jack[j][g] = v[j];
		}
		for (int j = 0; j < k; j++) out[j] = bca(point[j], reps[j], jack[j]);
		return out;
	}

	/** The rows of each stratum, in row order. */
	private static int[][] members(int[] strata) {
		int[] keys = Arrays.stream(strata).distinct().sorted().toArray();
		int[][] out = new int[keys.length][];
		for (int s = 0; s < keys.length; s++) {
			int key = keys[s];
			out[s] = java.util.stream.IntStream.range(0, strata.length).filter(i -> strata[i] == key).toArray();
		}
		return out;
	}

	/**
	 * The BCa interval of one statistic.
	 *
	 * @param estimate the point estimate
	 * @param replicates its bootstrap replicates (NaN ones are left out)
	 * @param jackknife its jackknife values (NaN ones are left out)
	 * @return the estimate with its interval; NaN interval when the estimate or every replicate is undefined
	 */
	static Estimate bca(double estimate, double[] replicates, double[] jackknife) {
		if (Double.isNaN(estimate)) return Estimate.of(estimate);
		double[] s = Arrays.stream(replicates).filter(v -> !Double.isNaN(v)).sorted().toArray();
		if (s.length == 0) return Estimate.of(estimate);
		if (s[0] == s[s.length - 1] && s[0] == estimate) return new Estimate(estimate, estimate, estimate);
		double below = 0;
		for (double v : s) below += v < estimate ? 1 : v == estimate ? 0.5 : 0;
		double p = Math.min(Math.max(below / s.length, 0.5 / s.length), 1 - 0.5 / s.length);
		double z0 = inverseNormal(p);
		double a = acceleration(jackknife);
		double alpha = (1 - LEVEL) / 2;
		double lo = adjusted(z0, a, inverseNormal(alpha));
		double hi = adjusted(z0, a, inverseNormal(1 - alpha));
		if (Double.isNaN(lo) || Double.isNaN(hi)) {
			// the acceleration pushed the corrected level past its pole: without it (bias correction only)
			lo = adjusted(z0, 0, inverseNormal(alpha));
			hi = adjusted(z0, 0, inverseNormal(1 - alpha));
		}
		double low = Metrics.quantile(s, lo);
		double high = Metrics.quantile(s, hi);
		return new Estimate(estimate, Math.min(low, estimate), Math.max(high, estimate));
	}

	/** The corrected level Phi(z0 + (z0 + z) / (1 - a (z0 + z))), NaN past the pole. */
	private static double adjusted(double z0, double a, double z) {
		double d = 1 - a * (z0 + z);
		if (!(d > 0)) return Double.NaN;
		return normal(z0 + (z0 + z) / d);
	}

	/** The acceleration sum((m - v)^3) / (6 sum((m - v)^2)^1.5) of the jackknife values v with mean m; 0 when they do not vary. */
	static double acceleration(double[] jackknife) {
		double[] v = Arrays.stream(jackknife).filter(x -> !Double.isNaN(x)).toArray();
		if (v.length < 2) return 0;
		double mean = Arrays.stream(v).average().orElse(0);
		double s2 = 0;
		double s3 = 0;
		for (double x : v) {
			double d = mean - x;
			s2 += d * d;
			s3 += d * d * d;
		}
		if (!(s2 > 0)) return 0;
		return s3 / (6 * Math.pow(s2, 1.5));
	}

	/**
	 * The standard normal distribution function, by Marsaglia's series (2004): exact to double
	 * precision for |x| up to about 7, which covers every level used here.
	 *
	 * @param x the argument
	 * @return Phi(x)
	 */
	static double normal(double x) {
		if (x < -8) return 0;
		if (x > 8) return 1;
		double s = x;
		double t = 0;
		double b = x;
		double q = x * x;
		int i = 1;
		while (s != t) {
			t = s;
			i += 2;
			b *= q / i;
			s = t + b;
		}
		return 0.5 + s * Math.exp(-0.5 * q - 0.91893853320467274178);
	}

	/**
	 * The standard normal quantile, by bisection on {@link #normal(double)} (to about 1e-15).
	 *
	 * @param p the probability, in (0, 1)
	 * @return z with Phi(z) = p
	 */
	static double inverseNormal(double p) {
		double lo = -8;
		double hi = 8;
		for (int i = 0; i < 64; i++) {
			double mid = (lo + hi) / 2;
			if (normal(mid) < p) lo = mid;
			else hi = mid;
		}
		return (lo + hi) / 2;
	}
}
