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
			float[] sorted = values.clone();
			Arrays.sort(sorted);
			double lo = percentile(sorted, low);
			double hi = percentile(sorted, high);
			if (!(hi > lo)) {
				// A constant slice carries no contrast: map it to 0 rather than divide by zero.
				return new float[values.length];
			}
			return linear(values, lo, hi);
		}

		@Override
		public String describe() {
			return "percentile(low=" + fmt(low) + ", high=" + fmt(high) + ")";
		}
	}

	/**
	 * Parses a policy written as {@code percentile:LOW:HIGH}, {@code window:CENTER:WIDTH} or
	 * {@code range:MIN:MAX}.
	 *
	 * @param text the text
	 * @return the policy
	 * @throws IllegalArgumentException naming the accepted forms
	 */
	public static IntensityPolicy parse(String text) {
		String[] parts = text == null ? new String[0] : text.trim().split(":", -1);
		if (parts.length != 3) throw new IllegalArgumentException("intensity '" + text + "' must be percentile:LOW:HIGH, window:CENTER:WIDTH or range:MIN:MAX");
		double a;
		double b;
		try {
			a = Double.parseDouble(parts[1]);
			b = Double.parseDouble(parts[2]);
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException("intensity '" + text + "': numbers expected after the policy name; "
				+ "use percentile:LOW:HIGH, window:CENTER:WIDTH or range:MIN:MAX");
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

	private static float[] linear(float[] values, double lo, double hi) {
		float[] out = new float[values.length];
		double scale = 1.0 / (hi - lo);
		for (int i = 0; i < values.length; i++) {
			double v = (values[i] - lo) * scale;
			out[i] = (float) (v < 0 ? 0 : v > 1 ? 1 : v);
		}
		return out;
	}

	private static String fmt(double v) {
		return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
	}
}
