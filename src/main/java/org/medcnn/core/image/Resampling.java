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
		float[] tmp = new float[dw * sh];
		Kernel kx = kernel(sw, dw);
		int y0 = 0;
		// Eight rows at a time share each output column's taps (fewer loads and loop steps, and eight
		// independent sums in flight); every value is still summed tap by tap in the order of
		// Kernel.apply, so the results are the same floats.
		for (; y0 + 7 < sh; y0 += 8) {
			int r0 = y0 * sw;
			int o = y0 * dw;
			for (int x = 0; x < dw; x++) {
				float[] w = kx.weights[x];
				int j = r0 + kx.start[x];
				float a0 = 0;
				float a1 = 0;
				float a2 = 0;
				float a3 = 0;
				float a4 = 0;
				float a5 = 0;
				float a6 = 0;
				float a7 = 0;
				for (float wk : w) {
					a0 += wk * src[j];
					a1 += wk * src[j + sw];
					a2 += wk * src[j + 2 * sw];
					a3 += wk * src[j + 3 * sw];
					a4 += wk * src[j + 4 * sw];
					a5 += wk * src[j + 5 * sw];
					a6 += wk * src[j + 6 * sw];
					a7 += wk * src[j + 7 * sw];
					j++;
				}
				tmp[o + x] = a0;
				tmp[o + dw + x] = a1;
				tmp[o + 2 * dw + x] = a2;
				tmp[o + 3 * dw + x] = a3;
				tmp[o + 4 * dw + x] = a4;
				tmp[o + 5 * dw + x] = a5;
				tmp[o + 6 * dw + x] = a6;
				tmp[o + 7 * dw + x] = a7;
			}
		}
		for (int y = y0; y < sh; y++) {
			int row = y * sw;
			for (int x = 0; x < dw; x++) {
				tmp[y * dw + x] = kx.apply(src, row, 1, x);
			}
		}
		float[] out = new float[dw * dh];
		Kernel ky = kernel(sh, dh);
		// Row by row: out row y = sum over taps k of w[k] * tmp row (start + k). The same products added
		// in the same order as Kernel.apply (so the same floats), but along rows, which the JIT vectorises,
		// instead of down columns with a stride of a row per tap.
		for (int y = 0; y < dh; y++) {
			float[] w = ky.weights[y];
			int o = y * dw;
			int row = ky.start[y] * dw;
			for (float wk : w) {
				for (int x = 0; x < dw; x++) out[o + x] += wk * tmp[row + x];
				row += dw;
			}
		}
		return out;
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
				start[i] = lo;
				weights[i] = w;
			}
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
