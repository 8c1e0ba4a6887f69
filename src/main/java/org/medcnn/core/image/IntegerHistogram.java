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
	/** The physical value of each raw integer of a calibrated slice (never decreasing), or null. */
	private final float[] calibration;

	private IntegerHistogram(float min, int[] counts, int n) {
		this(min, counts, n, null);
	}

	private IntegerHistogram(float min, int[] counts, int n, float[] calibration) {
		this.min = min;
		this.counts = counts;
		this.n = n;
		this.calibration = calibration;
	}

	/** The value of bin {@code k}: its integer, or that integer's calibrated value. */
	private float value(int k) {
		return calibration == null ? min + k : calibration[(int) min + k];
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
	 * Full-range counts of the unsigned slices histogrammed on this thread, in four parts: all zero between
	 * calls. Reused because a new 65536-bin array per slice cost more than the counting (0.2 against
	 * 0.1 ms on a 512 x 512 slice, measured). In parts, because equal pixels close together (a background)
	 * make an increment wait for the one before to the same count: with consecutive pixels going to four
	 * arrays in turn, per 512 x 512 slice 153-166 us against 182-213 us with two (halves of the slice) on
	 * the benchmark's synthetic slice, 163-166 against 205-212 on one with a mostly-zero background, 162-170
	 * against 252-278 on a uniform one (one thread, this machine, docs/benchmarks.md).
	 */
	private static final int PARTS = 4;

	private static final ThreadLocal<int[][]> COUNTS = ThreadLocal.withInitial(() -> new int[PARTS][1 << 16]);

	/**
	 * Builds the histogram of a slice kept as unsigned 8- or 16-bit integers ({@link Slice#integerValued()}):
	 * one pass over the integers into a full-range histogram, then the occupied range. Without a
	 * calibration, the same counts as {@link #of(float[])} on the slice's float values; with one, the
	 * counts of the integers, whose order statistics are those of the calibrated values (it never
	 * decreases), and percentiles and tables give those values.
	 *
	 * @param slice an integer-valued slice
	 * @return the histogram
	 */
	static IntegerHistogram ofUnsigned(Slice slice) {
		short[] u16 = slice.u16();
		byte[] u8 = slice.u8();
		int[][] parts = COUNTS.get();
		int[] f = parts[0];
		int[] g = parts[1];
		int[] h = parts[2];
		int[] q = parts[3];
		int n;
		// The AND of all values is at most the smallest, their OR at least the largest: the occupied range is
		// searched from there, not over all 65536 bins (a megabyte to read per slice).
		int and;
		int or;
		if (u16 != null) {
			n = u16.length;
			int a0 = 0xffff;
			int o0 = 0;
			int i = 0;
			for (; i + 3 < n; i += 4) {
				int a = u16[i] & 0xffff;
				int b = u16[i + 1] & 0xffff;
				int c = u16[i + 2] & 0xffff;
				int d = u16[i + 3] & 0xffff;
				f[a]++;
				g[b]++;
				h[c]++;
				q[d]++;
				a0 &= a & b & c & d;
				o0 |= a | b | c | d;
			}
			for (; i < n; i++) {
				int a = u16[i] & 0xffff;
				f[a]++;
				a0 &= a;
				o0 |= a;
			}
			and = a0;
			or = o0;
		} else {
			n = u8.length;
			int i = 0;
			for (; i + 3 < n; i += 4) {
				f[u8[i] & 0xff]++;
				g[u8[i + 1] & 0xff]++;
				h[u8[i + 2] & 0xff]++;
				q[u8[i + 3] & 0xff]++;
			}
			for (; i < n; i++) f[u8[i] & 0xff]++;
			and = 0;
			or = 0xff;
		}
		int lo = and;
		while (f[lo] + g[lo] + h[lo] + q[lo] == 0) lo++;
		int hi = or;
		while (f[hi] + g[hi] + h[hi] + q[hi] == 0) hi--;
		int[] counts;
		try {
			counts = new int[hi - lo + 1];
		} catch (OutOfMemoryError e) {
			for (int[] part : parts) java.util.Arrays.fill(part, 0);
			throw e;
		}
		// Only the occupied range holds counts: clearing it leaves all parts zero for the next slice.
		for (int k = 0; k < counts.length; k++) {
			int b = lo + k;
			counts[k] = f[b] + g[b] + h[b] + q[b];
			f[b] = 0;
			g[b] = 0;
			h[b] = 0;
			q[b] = 0;
		}
		return new IntegerHistogram(lo, counts, n, slice.calibration());
	}

	/**
	 * The percentile map of the slice this histogram was built from by {@link #ofUnsigned(Slice)}, as a
	 * table: {@code low}-th percentile to 0, {@code high}-th to 1, clamped; a slice without contrast (equal
	 * percentiles) maps to 0. The same floats as {@code IntensityPolicy.Percentile} on the float values.
	 *
	 * @param low lower percentile
	 * @param high upper percentile
	 * @return the table, or null when it would have more entries than the slice has pixels
	 */
	Table percentileTable(double low, double high) {
		double lo = percentile(low);
		double hi = percentile(high);
		if (counts.length > n) return null;
		int base = Table.base((int) min, counts.length, n);
		return new Table(hi > lo ? table(lo, hi, (int) min - base) : new float[(int) min - base + counts.length], base);
	}

	/**
	 * The linear map ({@code lo} to 0, {@code hi} to 1, clamped) of an integer-valued slice as a table
	 * over its value range, found in one pass.
	 *
	 * @param slice an integer-valued slice
	 * @param lo value mapped to 0
	 * @param hi value mapped to 1, greater than lo
	 * @return the table, or null when it would have more entries than the slice has pixels
	 */
	static Table linearTable(Slice slice, double lo, double hi) {
		short[] u16 = slice.u16();
		int min = Integer.MAX_VALUE;
		int max = Integer.MIN_VALUE;
		if (u16 != null) {
			for (short s : u16) {
				int v = s & 0xffff;
				min = Math.min(min, v);
				max = Math.max(max, v);
			}
		} else {
			for (byte b : slice.u8()) {
				int v = b & 0xff;
				min = Math.min(min, v);
				max = Math.max(max, v);
			}
		}
		int n = slice.width() * slice.height();
		if (max - min + 1 > n) return null;
		int base = Table.base(min, max - min + 1, n);
		return new Table(new IntegerHistogram(min, new int[max - min + 1], n, slice.calibration()).table(lo, hi, min - base), base);
	}

	/**
	 * An intensity map of integers as a lookup table.
	 *
	 * @param values the unit value of each integer from {@code base} on (entries for integers the slice does
	 *        not hold are never read)
	 * @param base the integer of {@code values[0]}: 0 where the table can afford entries from 0 up to the
	 *        slice's smallest value, so that a pixel's integer is its index (a lookup without the subtraction
	 *        took 90 against 150 us for a 512 x 512 16-bit slice: Java 17's compiler checks the index of a
	 *        difference of unknown sign less cheaply, measured)
	 */
	record Table(float[] values, int base) {

		/**
		 * The base of a table of {@code count} integers from {@code min} on, for a slice of {@code pixels}
		 * pixels: 0 when entries from 0 on are at most four a pixel (so for every 16-bit slice of 128 x 128
		 * pixels or more), else {@code min}.
		 */
		static int base(int min, int count, int pixels) {
			return (long) min + count <= Math.max(4L * pixels, 4096) ? 0 : min;
		}

		/**
		 * Maps a whole slice.
		 *
		 * @param slice an integer-valued slice whose values the table covers
		 * @return a new array of the slice's unit values
		 */
		float[] map(Slice slice) {
			float[] out = new float[slice.width() * slice.height()];
			for (int y = 0; y < slice.height(); y++) mapRow(slice, y, out, y * slice.width());
			return out;
		}

		/**
		 * Maps one row of a slice.
		 *
		 * @param slice an integer-valued slice whose values the table covers
		 * @param y the row
		 * @param dest where to write the row's {@code slice.width()} unit values
		 * @param offset index in {@code dest} of the first
		 */
		void mapRow(Slice slice, int y, float[] dest, int offset) {
			int w = slice.width();
			int from = y * w;
			short[] u16 = slice.u16();
			byte[] u8 = slice.u8();
			if (base == 0 && u16 != null) {
				for (int x = 0; x < w; x++) dest[offset + x] = values[u16[from + x] & 0xffff];
			} else if (base == 0) {
				for (int x = 0; x < w; x++) dest[offset + x] = values[u8[from + x] & 0xff];
			} else if (u16 != null) {
				for (int x = 0; x < w; x++) dest[offset + x] = values[(u16[from + x] & 0xffff) - base];
			} else {
				for (int x = 0; x < w; x++) dest[offset + x] = values[(u8[from + x] & 0xff) - base];
			}
		}
	}

	/** The map of this histogram's integers, the first at index {@code at} of the table (entries before it 0). */
	private float[] table(double lo, double hi, int at) {
		double scale = 1.0 / (hi - lo);
		float[] table = new float[at + counts.length];
		for (int k = 0; k < counts.length; k++) table[at + k] = unit(value(k), lo, scale);
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
			if (seen > k) return value(i);
		}
		return value(counts.length - 1);
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
		float[] table = table(lo, hi, 0);
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
