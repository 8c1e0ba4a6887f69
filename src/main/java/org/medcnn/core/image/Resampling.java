package org.medcnn.core.image;

/**
 * Separable linear resampling with antialiasing for downscaling (a triangle filter whose
 * support grows with the scale factor), on row-major float images.
 */
public final class Resampling {

	private Resampling() {}

	/**
	 * Resizes an image.
	 *
	 * @param src source pixels, row-major
	 * @param sw source width
	 * @param sh source height
	 * @param dw target width
	 * @param dh target height
	 * @return a new array of {@code dw * dh} pixels
	 */
	public static float[] resize(float[] src, int sw, int sh, int dw, int dh) {
		if (sw == dw && sh == dh) return src.clone();
		return resize(sw, sh, dw, dh, (y, row) -> System.arraycopy(src, y * sw, row, 0, sw), null);
	}

	/**
	 * Maps an integer slice through an intensity table and resizes it: the same floats as
	 * {@code resize(table.map(slice), ...)}, without the mapped full-size image (each source row is mapped
	 * once, into one of a few reused rows, while the output rows that use it are summed).
	 *
	 * @param slice an integer-valued slice ({@link Slice#integerValued()})
	 * @param table its intensity map, covering every value of the slice
	 * @param dw target width
	 * @param dh target height
	 * @param out where to write the {@code dw * dh} pixels when it has that length, else null
	 * @return {@code out}, or a new array when it was not given or had another length
	 */
	static float[] resize(Slice slice, IntegerHistogram.Table table, int dw, int dh, float[] out) {
		if (slice.width() == dw && slice.height() == dh) return table.map(slice);
		return resize(slice.width(), slice.height(), dw, dh, (y, row) -> table.mapRow(slice, y, row, 0), out);
	}

	/** Writes source row {@code y} into {@code row}. */
	private interface RowSource {
		void read(int y, float[] row);
	}

	/**
	 * Columns first, then rows. Each output row of the first pass is a sum of a few source rows, weighted,
	 * added tap by tap into its own array: loops over whole arrays from index 0, which the JIT turns into
	 * vector instructions (with an offset into a larger array it did not: 5x slower, measured). The source
	 * rows are read once each into a ring of {@code longest} arrays: start[] never decreases, so the rows
	 * of one output row are distinct modulo its length. Downscaling, this leaves the second pass, along
	 * rows (scalar), only {@code dh} rows. The passes alternate in strips of {@link #STRIP} rows, so that
	 * the rows between them stay in the first-level cache (before, all {@code dh} of them, half a megabyte
	 * for 512 -> 224, were written and then read back; the caches had lost them whenever the engine had run
	 * in between).
	 */
	private static float[] resize(int sw, int sh, int dw, int dh, RowSource source, float[] out) {
		float[] dest = out != null && out.length == dw * dh ? out : new float[dw * dh];
		if (dh < 1) return dest;
		Kernel ky = kernel(sh, dh);
		Kernel kx = sw == dw ? null : kernel(sw, dw);
		Scratch scratch = Scratch.of(ky.longest, sw);
		float[][] ring = scratch.ring;
		int[] held = scratch.held;
		java.util.Arrays.fill(held, 0, ky.longest, -1);
		float[][] tmp = scratch.rows;
		for (int y = 0; y < dh; y++) {
			float[] t = tmp[y % STRIP];
			int r = ky.start[y];
			float[] w = ky.weights[y];
			for (int k = 0; k < w.length; k++) {
				int slot = r % ky.longest;
				if (held[slot] != r) {
					source.read(r, ring[slot]);
					held[slot] = r;
				}
				float[] row = ring[slot];
				float wk = w[k];
				// The first tap sets the row (0 + v is v), the others add to it: the same floats as summing into zeros.
				if (k == 0) {
					for (int x = 0; x < sw; x++) t[x] = wk * row[x];
				} else {
					for (int x = 0; x < sw; x++) t[x] += wk * row[x];
				}
				r++;
			}
			if (y % STRIP == STRIP - 1 || y == dh - 1) {
				int y0 = y - y % STRIP;
				rows(tmp, y - y0 + 1, sw, dw, kx, dest, y0 * dw);
			}
		}
		return dest;
	}

	/** Rows that the two passes hand over at a time: the eight that the second pass works on at once. */
	private static final int STRIP = 8;

	/**
	 * Working rows of one thread, reused from slice to slice: new ones for every slice were memory the
	 * caches had never seen, and work for the garbage collector. Only kept while small
	 * ({@link #KEEP_FLOATS}); wider images get arrays of their own.
	 */
	private static final class Scratch {
		static final int KEEP_FLOATS = 1 << 20;
		private static final ThreadLocal<Scratch> KEPT = new ThreadLocal<>();

		final float[][] ring;
		final int[] held;
		final float[][] rows;

		private Scratch(int longest, int sw) {
			ring = new float[longest][sw];
			held = new int[longest];
			rows = new float[STRIP][sw];
		}

		private boolean fits(int longest, int sw) {
			return ring.length >= longest && rows[0].length == sw;
		}

		static Scratch of(int longest, int sw) {
			if ((long) (longest + STRIP) * sw > KEEP_FLOATS) return new Scratch(longest, sw);
			Scratch s = KEPT.get();
			if (s == null || !s.fits(longest, sw)) {
				s = new Scratch(longest, sw);
				KEPT.set(s);
			}
			return s;
		}
	}

	/**
	 * Resamples the first {@code h} rows of {@code src} from width {@code sw} to {@code dw} (kernel
	 * {@code kx}; null when the widths are equal), into {@code out} from index {@code at}.
	 */
	private static void rows(float[][] src, int h, int sw, int dw, Kernel kx, float[] out, int at) {
		if (kx == null) {
			for (int y = 0; y < h; y++) System.arraycopy(src[y], 0, out, at + y * dw, dw);
			return;
		}
		if (h == 8) {
			// Eight rows at a time share each output column's taps (fewer loads and loop steps, and eight
			// independent sums in flight); every value is still summed tap by tap in the order of
			// Kernel.apply, so the results are the same floats.
			float[] s0 = src[0];
			float[] s1 = src[1];
			float[] s2 = src[2];
			float[] s3 = src[3];
			float[] s4 = src[4];
			float[] s5 = src[5];
			float[] s6 = src[6];
			float[] s7 = src[7];
			for (int x = 0; x < dw; x++) {
				float[] w = kx.weights[x];
				int j = kx.start[x];
				float a0 = 0;
				float a1 = 0;
				float a2 = 0;
				float a3 = 0;
				float a4 = 0;
				float a5 = 0;
				float a6 = 0;
				float a7 = 0;
				for (float wk : w) {
					a0 += wk * s0[j];
					a1 += wk * s1[j];
					a2 += wk * s2[j];
					a3 += wk * s3[j];
					a4 += wk * s4[j];
					a5 += wk * s5[j];
					a6 += wk * s6[j];
					a7 += wk * s7[j];
					j++;
				}
				out[at + x] = a0;
				out[at + dw + x] = a1;
				out[at + 2 * dw + x] = a2;
				out[at + 3 * dw + x] = a3;
				out[at + 4 * dw + x] = a4;
				out[at + 5 * dw + x] = a5;
				out[at + 6 * dw + x] = a6;
				out[at + 7 * dw + x] = a7;
			}
			return;
		}
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < dw; x++) out[at + y * dw + x] = kx.apply(src[y], 0, 1, x);
		}
	}

	/** Kernels by (input size, output size): a stack's slices all need the same two (making them showed as a tenth of preprocessing in one profile). */
	private static final java.util.Map<Long, Kernel> KERNELS = new java.util.concurrent.ConcurrentHashMap<>();

	private static Kernel kernel(int in, int out) {
		Long key = ((long) in << 32) | out;
		Kernel k = KERNELS.get(key);
		if (k == null) {
			if (KERNELS.size() > 256) KERNELS.clear();
			k = new Kernel(in, out);
			KERNELS.put(key, k);
		}
		return k;
	}

	/** Precomputed filter taps for one axis; immutable once made, shared between threads. */
	private static final class Kernel {
		final int[] start;
		final float[][] weights;
		/** The most taps of any output pixel. */
		final int longest;

		Kernel(int in, int out) {
			double scale = (double) in / out;
			double support = Math.max(1.0, scale);
			start = new int[out];
			weights = new float[out][];
			for (int i = 0; i < out; i++) {
				double center = (i + 0.5) * scale;
				int lo = Math.max(0, (int) Math.floor(center - support));
				int hi = Math.min(in - 1, (int) Math.ceil(center + support));
				float[] w = new float[hi - lo + 1];
				double sum = 0;
				for (int j = lo; j <= hi; j++) {
					double d = Math.abs((j + 0.5 - center) / support);
					double v = d < 1 ? 1 - d : 0;
					w[j - lo] = (float) v;
					sum += v;
				}
				if (sum == 0) {
					// Cannot happen for in >= 1, but never divide by zero: take the nearest pixel.
					int nearest = Math.min(in - 1, Math.max(0, (int) center));
					lo = nearest;
					w = new float[] {1};
					sum = 1;
				}
				for (int k = 0; k < w.length; k++) w[k] /= (float) sum;
				// The range ends in taps of weight 0 (a third of them for 512 -> 224, half when upscaling): they add
				// 0 x pixel to a sum of finite values, which changes nothing, so they are left out.
				int first = 0;
				while (first < w.length - 1 && w[first] == 0) first++;
				int last = w.length - 1;
				while (last > first && w[last] == 0) last--;
				start[i] = lo + first;
				weights[i] = first == 0 && last == w.length - 1 ? w : java.util.Arrays.copyOfRange(w, first, last + 1);
			}
			int most = 1;
			for (float[] w : weights) most = Math.max(most, w.length);
			longest = most;
		}

		float apply(float[] data, int base, int stride, int i) {
			float[] w = weights[i];
			int idx = base + start[i] * stride;
			float acc = 0;
			for (float wk : w) {
				acc += wk * data[idx];
				idx += stride;
			}
			return acc;
		}
	}
}
