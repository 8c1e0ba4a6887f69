package org.medcnn.core.image;

import java.util.Arrays;

/**
 * Maps physical pixel values to [0, 1] before the model's normalisation.
 * <p>
 * Three policies: a fixed {@link Range} (e.g. 0–255 for photographs of 8-bit data), a CT
 * {@link Window} in Hounsfield units, and per-slice {@link Percentile} normalisation for MRI,
 * whose intensities have no absolute scale.
 */
public sealed interface IntensityPolicy {

	/**
	 * Maps the values of one slice into [0, 1], clamping outside values.
	 *
	 * @param values physical values, not modified
	 * @return a new array of the same length
	 */
	float[] apply(float[] values);

	/**
	 * Maps a slice's values to [0, 1]; the same floats as {@link #apply(float[])} on
	 * {@link Slice#pixels()}, faster for slices kept as 8- or 16-bit integers.
	 *
	 * @param slice the slice (values finite)
	 * @return a new array of the same length
	 */
	default float[] apply(Slice slice) {
		return apply(slice.pixels());
	}

	/** @return a description for cards and reports, e.g. {@code window(center=-600, width=1500)} */
	String describe();

	/**
	 * A fixed linear range: {@code min} maps to 0, {@code max} to 1.
	 *
	 * @param min value mapped to 0
	 * @param max value mapped to 1, greater than min
	 */
	record Range(double min, double max) implements IntensityPolicy {

		/**
		 * Validates the range.
		 *
		 * @param min value mapped to 0
		 * @param max value mapped to 1
		 * @throws IllegalArgumentException if a bound is not finite or max is not greater than min
		 */
		public Range {
			// NaN or infinite bounds would map every pixel to NaN or 0, which no model can use.
			if (!Double.isFinite(min) || !Double.isFinite(max)) {
				throw new IllegalArgumentException("intensity range: min and max must be finite numbers, got min=" + min + ", max=" + max);
			}
			if (!(max > min)) {
				throw new IllegalArgumentException("intensity range: max (" + max + ") must be greater than min (" + min + ")");
			}
		}

		@Override
		public float[] apply(float[] values) {
			return linear(values, min, max);
		}

		@Override
		public String describe() {
			return "range(min=" + fmt(min) + ", max=" + fmt(max) + ")";
		}
	}

	/**
	 * A CT window: {@code center - width/2} maps to 0, {@code center + width/2} to 1.
	 *
	 * @param center window centre (level), in the slice's units (HU for calibrated CT)
	 * @param width window width, positive
	 */
	record Window(double center, double width) implements IntensityPolicy {

		/**
		 * Validates the window.
		 *
		 * @param center window centre
		 * @param width window width
		 * @throws IllegalArgumentException if the centre is not finite or the width not positive and finite
		 */
		public Window {
			if (!(width > 0)) {
				throw new IllegalArgumentException("intensity window: width must be positive, got " + width);
			}
			// NaN or infinite values would map every pixel to NaN, which no model can use.
			if (!Double.isFinite(center) || !Double.isFinite(width)) {
				throw new IllegalArgumentException("intensity window: center and width must be finite numbers, got center=" + center + ", width=" + width);
			}
		}

		@Override
		public float[] apply(float[] values) {
			return linear(values, center - width / 2, center + width / 2);
		}

		@Override
		public String describe() {
			return "window(center=" + fmt(center) + ", width=" + fmt(width) + ")";
		}
	}

	/**
	 * Per-slice percentile normalisation: the {@code low} percentile maps to 0 and the
	 * {@code high} percentile to 1. Percentiles use linear interpolation between order statistics.
	 *
	 * @param low lower percentile, in [0, 100)
	 * @param high upper percentile, in (low, 100]
	 */
	record Percentile(double low, double high) implements IntensityPolicy {

		/**
		 * Validates the percentiles.
		 *
		 * @param low lower percentile
		 * @param high upper percentile
		 * @throws IllegalArgumentException unless {@code 0 <= low < high <= 100}
		 */
		public Percentile {
			if (!(low >= 0 && low < high && high <= 100)) {
				throw new IllegalArgumentException("intensity percentiles: need 0 <= low < high <= 100, got low=" + low + ", high=" + high);
			}
		}

		@Override
		public float[] apply(float[] values) {
			IntegerHistogram h = IntegerHistogram.of(values);
			double lo;
			double hi;
			if (h != null) {
				lo = h.percentile(low);
				hi = h.percentile(high);
			} else {
				// Selection instead of a full sort: the same order statistics, in linear time.
				float[] work = values.clone();
				lo = selectPercentile(work, low);
				hi = selectPercentile(work, high);
			}
			if (!(hi > lo)) {
				// A constant slice carries no contrast: map it to 0 rather than divide by zero.
				return new float[values.length];
			}
			return h != null ? h.map(values, lo, hi) : linear(values, lo, hi);
		}

		@Override
		public float[] apply(Slice slice) {
			if (!slice.integerValued()) return apply(slice.pixels());
			IntegerHistogram.Table t = IntegerHistogram.ofUnsigned(slice).percentileTable(low, high);
			return t != null ? t.map(slice) : apply(slice.pixels());
		}

		@Override
		public String describe() {
			return "percentile(low=" + fmt(low) + ", high=" + fmt(high) + ")";
		}
	}

	/**
	 * A chain of the preprocessing operations of the bioimage.io model specification, applied to each
	 * slice in order, without the clamping of the other policies unless a {@code clip} step says so: how
	 * models imported from bioimage.io (or brought as TorchScript) see their input exactly as their
	 * authors preprocessed it. Per-slice statistics (percentiles, mean, standard deviation) are over the
	 * slice's pixels; percentiles interpolate linearly between order statistics, as numpy does.
	 *
	 * @param steps the operations, at least one
	 */
	record Steps(java.util.List<Step> steps) implements IntensityPolicy {

		/**
		 * Validates the chain.
		 *
		 * @param steps the operations
		 * @throws IllegalArgumentException for an empty chain
		 */
		public Steps {
			if (steps == null || steps.isEmpty()) throw new IllegalArgumentException("intensity steps: at least one step is needed");
			steps = java.util.List.copyOf(steps);
		}

		@Override
		public float[] apply(float[] values) {
			double[] v = new double[values.length];
			for (int i = 0; i < v.length; i++) v[i] = values[i];
			for (Step s : steps) s.apply(v);
			float[] out = new float[v.length];
			for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
			return out;
		}

		@Override
		public String describe() {
			StringBuilder b = new StringBuilder("steps(");
			for (int i = 0; i < steps.size(); i++) b.append(i == 0 ? "" : ", ").append(steps.get(i).describe());
			return b.append(')').toString();
		}
	}

	/** One operation of a {@link Steps} policy. */
	sealed interface Step {

		/**
		 * Applies the operation in place.
		 *
		 * @param v the slice's values
		 */
		void apply(double[] v);

		/** @return e.g. {@code scale_range(1, 99.8, eps=1e-06)} */
		String describe();

		/** @return the operation's id in the bioimage.io specification */
		String id();
	}

	/**
	 * {@code (x - p_low) / (p_high - p_low + eps)} with the slice's percentiles (bioimage.io {@code scale_range}).
	 *
	 * @param low lower percentile
	 * @param high upper percentile
	 * @param eps added to the denominator
	 */
	record ScaleRange(double low, double high, double eps) implements Step {

		/**
		 * Validates.
		 *
		 * @param low lower percentile
		 * @param high upper percentile
		 * @param eps added to the denominator
		 * @throws IllegalArgumentException unless {@code 0 <= low < high <= 100} and eps is positive and finite
		 */
		public ScaleRange {
			if (!(low >= 0 && low < high && high <= 100)) throw new IllegalArgumentException("scale_range: need 0 <= min_percentile < max_percentile <= 100, got " + low + ", " + high);
			if (!(eps > 0 && Double.isFinite(eps))) throw new IllegalArgumentException("scale_range: eps must be positive, got " + eps);
		}

		@Override
		public void apply(double[] v) {
			double[] sorted = v.clone();
			Arrays.sort(sorted);
			double lo = quantile(sorted, low);
			double hi = quantile(sorted, high);
			for (int i = 0; i < v.length; i++) v[i] = (v[i] - lo) / (hi - lo + eps);
		}

		@Override
		public String describe() {
			return "scale_range(" + fmt(low) + ", " + fmt(high) + ", eps=" + eps + ")";
		}

		@Override
		public String id() {
			return "scale_range";
		}
	}

	/**
	 * {@code (x - mean) / (std + eps)} with the slice's mean and standard deviation (bioimage.io {@code zero_mean_unit_variance}).
	 *
	 * @param eps added to the standard deviation
	 */
	record ZeroMeanUnitVariance(double eps) implements Step {

		/**
		 * Validates.
		 *
		 * @param eps added to the standard deviation
		 * @throws IllegalArgumentException unless eps is positive and finite
		 */
		public ZeroMeanUnitVariance {
			if (!(eps > 0 && Double.isFinite(eps))) throw new IllegalArgumentException("zero_mean_unit_variance: eps must be positive, got " + eps);
		}

		@Override
		public void apply(double[] v) {
			double m = 0;
			for (double x : v) m += x;
			m /= v.length;
			double s = 0;
			for (double x : v) s += (x - m) * (x - m);
			double sd = Math.sqrt(s / v.length);
			for (int i = 0; i < v.length; i++) v[i] = (v[i] - m) / (sd + eps);
		}

		@Override
		public String describe() {
			return "zero_mean_unit_variance(eps=" + eps + ")";
		}

		@Override
		public String id() {
			return "zero_mean_unit_variance";
		}
	}

	/**
	 * {@code (x - mean) / std} with fixed values (bioimage.io {@code fixed_zero_mean_unit_variance}).
	 *
	 * @param mean the mean
	 * @param std the standard deviation, positive
	 */
	record FixedZeroMeanUnitVariance(double mean, double std) implements Step {

		/**
		 * Validates.
		 *
		 * @param mean the mean
		 * @param std the standard deviation
		 * @throws IllegalArgumentException unless both are finite and std is positive
		 */
		public FixedZeroMeanUnitVariance {
			if (!Double.isFinite(mean) || !(std > 0 && Double.isFinite(std))) {
				throw new IllegalArgumentException("fixed_zero_mean_unit_variance: mean must be finite and std positive, got " + mean + ", " + std);
			}
		}

		@Override
		public void apply(double[] v) {
			for (int i = 0; i < v.length; i++) v[i] = (v[i] - mean) / std;
		}

		@Override
		public String describe() {
			return "fixed_zero_mean_unit_variance(" + fmt(mean) + ", " + fmt(std) + ")";
		}

		@Override
		public String id() {
			return "fixed_zero_mean_unit_variance";
		}
	}

	/**
	 * {@code x * gain + offset} (bioimage.io {@code scale_linear}).
	 *
	 * @param gain the factor
	 * @param offset added after it
	 */
	record ScaleLinear(double gain, double offset) implements Step {

		/**
		 * Validates.
		 *
		 * @param gain the factor
		 * @param offset the offset
		 * @throws IllegalArgumentException unless both are finite
		 */
		public ScaleLinear {
			if (!Double.isFinite(gain) || !Double.isFinite(offset)) throw new IllegalArgumentException("scale_linear: gain and offset must be finite, got " + gain + ", " + offset);
		}

		@Override
		public void apply(double[] v) {
			for (int i = 0; i < v.length; i++) v[i] = v[i] * gain + offset;
		}

		@Override
		public String describe() {
			return "scale_linear(gain=" + gain + ", offset=" + offset + ")";
		}

		@Override
		public String id() {
			return "scale_linear";
		}
	}

	/**
	 * Clamps to {@code [min, max]} (bioimage.io {@code clip}).
	 *
	 * @param min lower bound
	 * @param max upper bound
	 */
	record Clip(double min, double max) implements Step {

		/**
		 * Validates.
		 *
		 * @param min lower bound
		 * @param max upper bound
		 * @throws IllegalArgumentException unless min &lt;= max (either may be infinite: no bound)
		 */
		public Clip {
			if (Double.isNaN(min) || Double.isNaN(max) || min > max) throw new IllegalArgumentException("clip: need min <= max, got " + min + ", " + max);
		}

		@Override
		public void apply(double[] v) {
			for (int i = 0; i < v.length; i++) v[i] = Math.max(min, Math.min(max, v[i]));
		}

		@Override
		public String describe() {
			return "clip(" + fmt(min) + ", " + fmt(max) + ")";
		}

		@Override
		public String id() {
			return "clip";
		}
	}

	/** The p-th percentile (0-100) of sorted values, linear between order statistics (numpy's default). */
	private static double quantile(double[] sorted, double p) {
		double rank = p / 100.0 * (sorted.length - 1);
		int lo = (int) Math.floor(rank);
		int hi = Math.min(lo + 1, sorted.length - 1);
		return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
	}

	/**
	 * Parses a policy written as {@code percentile:LOW:HIGH}, {@code window:CENTER:WIDTH},
	 * {@code range:MIN:MAX} or {@code zscore} (each slice to mean 0 and standard deviation 1, unclamped:
	 * {@link ZeroMeanUnitVariance} with eps 1e-6).
	 *
	 * @param text the text
	 * @return the policy
	 * @throws IllegalArgumentException naming the accepted forms
	 */
	public static IntensityPolicy parse(String text) {
		if (text != null && text.trim().equalsIgnoreCase("zscore")) return new Steps(java.util.List.of(new ZeroMeanUnitVariance(1e-6)));
		String[] parts = text == null ? new String[0] : text.trim().split(":", -1);
		if (parts.length != 3) throw new IllegalArgumentException("intensity '" + text + "' must be percentile:LOW:HIGH, window:CENTER:WIDTH, range:MIN:MAX or zscore");
		double a;
		double b;
		try {
			a = Double.parseDouble(parts[1]);
			b = Double.parseDouble(parts[2]);
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException("intensity '" + text + "': numbers expected after the policy name; "
				+ "use percentile:LOW:HIGH, window:CENTER:WIDTH, range:MIN:MAX or zscore");
		}
		switch (parts[0].toLowerCase(java.util.Locale.ROOT)) {
			case "percentile":
				return new Percentile(a, b);
			case "window":
				return new Window(a, b);
			case "range":
				return new Range(a, b);
			default:
				throw new IllegalArgumentException("intensity '" + text + "' must start with percentile, window or range");
		}
	}

	/**
	 * Returns the p-th percentile of sorted values, interpolating linearly between order statistics.
	 *
	 * @param sorted values in ascending order, at least one
	 * @param p percentile in [0, 100]
	 * @return the percentile
	 */
	static double percentile(float[] sorted, double p) {
		double rank = p / 100.0 * (sorted.length - 1);
		int lo = (int) Math.floor(rank);
		int hi = Math.min(lo + 1, sorted.length - 1);
		double frac = rank - lo;
		return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
	}

	/**
	 * Exact percentiles of integer-valued data (raw 8/16-bit pixels, Hounsfield units) from a histogram,
	 * the same order statistics as sorting.
	 *
	 * @param values the values
	 * @param low lower percentile
	 * @param high upper percentile
	 * @return {low value, high value}, or null when the values are not all integers in a range below 2^20
	 */
	static double[] integerPercentiles(float[] values, double low, double high) {
		IntegerHistogram h = IntegerHistogram.of(values);
		return h == null ? null : new double[] {h.percentile(low), h.percentile(high)};
	}

	/**
	 * Returns the p-th percentile like {@link #percentile(float[], double)}, but reorders {@code work}
	 * by selection instead of sorting it (expected linear time).
	 *
	 * @param work the values, reordered in place
	 * @param p percentile in [0, 100]
	 * @return the percentile
	 */
	static double selectPercentile(float[] work, double p) {
		double rank = p / 100.0 * (work.length - 1);
		int lo = (int) Math.floor(rank);
		float a = select(work, lo);
		if (lo + 1 >= work.length || rank == lo) return a;
		// After selecting rank lo, every value right of it is >= it: the next order statistic is their minimum.
		float b = Float.POSITIVE_INFINITY;
		for (int i = lo + 1; i < work.length; i++) if (work[i] < b) b = work[i];
		return a + (rank - lo) * (b - a);
	}

	/** Quickselect (Hoare partition, median of three): puts the k-th smallest at index k and returns it. */
	private static float select(float[] v, int k) {
		int left = 0;
		int right = v.length - 1;
		while (right > left) {
			int mid = (left + right) >>> 1;
			// Values are finite here (slices are checked for NaN and infinity first), so plain comparisons are exact.
			if (v[mid] < v[left]) swap(v, mid, left);
			if (v[right] < v[left]) swap(v, right, left);
			if (v[right] < v[mid]) swap(v, right, mid);
			float pivot = v[mid];
			int i = left;
			int j = right;
			while (i <= j) {
				while (v[i] < pivot) i++;
				while (v[j] > pivot) j--;
				if (i <= j) {
					swap(v, i, j);
					i++;
					j--;
				}
			}
			if (k <= j) {
				right = j;
			} else if (k >= i) {
				left = i;
			} else {
				return v[k];
			}
		}
		return v[k];
	}

	private static void swap(float[] v, int i, int j) {
		float t = v[i];
		v[i] = v[j];
		v[j] = t;
	}

	/** Maps {@code lo} to 0 and {@code hi} to 1, clamping ({@link IntegerHistogram#linear(float[], double, double)}). */
	private static float[] linear(float[] values, double lo, double hi) {
		return IntegerHistogram.linear(values, lo, hi);
	}

	private static String fmt(double v) {
		if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
		return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
	}
}
