package org.medcnn.core.image;

/**
 * The histogram of integer-valued data (raw 8/16-bit pixels, Hounsfield units): exact order statistics
 * without sorting, and the linear intensity map as a lookup table over the few distinct values. Both
 * give bit for bit what sorting and the per-pixel formula give; they are only faster (on a 512 x 512
 * 16-bit slice the table map takes about a fifth of the per-pixel formula's time, whose clamping
 * branches mispredict on noisy slices).
 */
final class IntegerHistogram {

	/** Value ranges of at least this many integers are not histogrammed (memory). */
	static final int MAX_RANGE = 1 << 20;

	private final float min;
	private final int[] counts;
	private final int n;

	private IntegerHistogram(float min, int[] counts, int n) {
		this.min = min;
		this.counts = counts;
		this.n = n;
	}

	/**
	 * Histograms the values in two passes (value range, then counts).
	 *
	 * @param values the values
	 * @return the histogram, or null when a value is not an integer (or is NaN or infinite) or the range
	 *         spans {@link #MAX_RANGE} integers or more
	 */
	static IntegerHistogram of(float[] values) {
		if (values.length == 0) return null;
		float min = Float.POSITIVE_INFINITY;
		float max = Float.NEGATIVE_INFINITY;
		for (float v : values) {
			if (v < min) min = v;
			if (v > max) max = v;
		}
		if (!((double) max - min < MAX_RANGE) || min != (float) (int) min) return null;
		int[] counts = new int[(int) (max - min) + 1];
		for (float v : values) {
			int k = (int) (v - min);
			// min is an integer, so min + k is one: this fails for every non-integer (and NaN) value.
			if (min + k != v) return null;
			counts[k]++;
		}
		return new IntegerHistogram(min, counts, values.length);
	}

	/**
	 * Builds the histogram of a slice kept as unsigned 8- or 16-bit integers ({@link Slice#integerValued()}):
	 * one pass over the integers into a full-range histogram, then the occupied range. The same counts
	 * as {@link #of(float[])} on the slice's float values.
	 *
	 * @param slice an integer-valued slice
	 * @return the histogram
	 */
	static IntegerHistogram ofUnsigned(Slice slice) {
		short[] u16 = slice.u16();
		byte[] u8 = slice.u8();
		int[] full;
		int n;
		if (u16 != null) {
			full = new int[1 << 16];
			for (short v : u16) full[v & 0xffff]++;
			n = u16.length;
		} else {
			full = new int[1 << 8];
			for (byte v : u8) full[v & 0xff]++;
			n = u8.length;
		}
		int lo = 0;
		while (full[lo] == 0) lo++;
		int hi = full.length - 1;
		while (full[hi] == 0) hi--;
		return new IntegerHistogram(lo, java.util.Arrays.copyOfRange(full, lo, hi + 1), n);
	}

	/**
	 * Like {@link #map(float[], double, double)} for the slice this histogram was built from by
	 * {@link #ofUnsigned(Slice)}, reading its integers: the same floats.
	 */
	float[] mapUnsigned(Slice slice, double lo, double hi) {
		if (counts.length > n) return direct(slice.pixels(), lo, hi);
		float[] table = table(lo, hi);
		int base = (int) min;
		float[] out = new float[n];
		short[] u16 = slice.u16();
		if (u16 != null) {
			for (int i = 0; i < n; i++) out[i] = table[(u16[i] & 0xffff) - base];
		} else {
			byte[] u8 = slice.u8();
			for (int i = 0; i < n; i++) out[i] = table[(u8[i] & 0xff) - base];
		}
		return out;
	}

	private float[] table(double lo, double hi) {
		double scale = 1.0 / (hi - lo);
		float[] table = new float[counts.length];
		for (int k = 0; k < table.length; k++) table[k] = unit(min + k, lo, scale);
		return table;
	}

	/**
	 * The p-th percentile, interpolated as {@link IntensityPolicy#percentile(float[], double)} does on
	 * the sorted values.
	 *
	 * @param p percentile in [0, 100]
	 * @return the percentile
	 */
	double percentile(double p) {
		double rank = p / 100.0 * (n - 1);
		int lo = (int) Math.floor(rank);
		double a = orderStatistic(lo);
		if (lo + 1 >= n || rank == lo) return a;
		double b = orderStatistic(lo + 1);
		return a + (rank - lo) * (b - a);
	}

	/** The k-th smallest value (0-based). */
	private double orderStatistic(int k) {
		long seen = 0;
		for (int i = 0; i < counts.length; i++) {
			seen += counts[i];
			if (seen > k) return min + i;
		}
		return min + counts.length - 1;
	}

	/**
	 * Maps the histogrammed values linearly ({@code lo} to 0, {@code hi} to 1, clamped), through a table
	 * of the range's integers when that is smaller than the data.
	 *
	 * @param values the values this histogram was made of
	 * @param lo value mapped to 0
	 * @param hi value mapped to 1, greater than lo
	 * @return a new array
	 */
	float[] map(float[] values, double lo, double hi) {
		if (counts.length > values.length) return direct(values, lo, hi);
		float[] table = table(lo, hi);
		float[] out = new float[values.length];
		for (int i = 0; i < values.length; i++) out[i] = table[(int) (values[i] - min)];
		return out;
	}

	/**
	 * Maps any values linearly ({@code lo} to 0, {@code hi} to 1, clamped); integer-valued data through
	 * the table.
	 *
	 * @param values the values
	 * @param lo value mapped to 0
	 * @param hi value mapped to 1, greater than lo
	 * @return a new array
	 */
	static float[] linear(float[] values, double lo, double hi) {
		IntegerHistogram h = of(values);
		return h != null ? h.map(values, lo, hi) : direct(values, lo, hi);
	}

	private static float[] direct(float[] values, double lo, double hi) {
		double scale = 1.0 / (hi - lo);
		float[] out = new float[values.length];
		for (int i = 0; i < values.length; i++) out[i] = unit(values[i], lo, scale);
		return out;
	}

	/** The one formula of the map, shared by the table and the per-pixel path. */
	private static float unit(float value, double lo, double scale) {
		double v = (value - lo) * scale;
		return (float) (v < 0 ? 0 : v > 1 ? 1 : v);
	}
}
