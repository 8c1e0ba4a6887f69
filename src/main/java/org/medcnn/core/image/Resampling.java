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
		Kernel kx = new Kernel(sw, dw);
		for (int y = 0; y < sh; y++) {
			int row = y * sw;
			for (int x = 0; x < dw; x++) {
				tmp[y * dw + x] = kx.apply(src, row, 1, x);
			}
		}
		float[] out = new float[dw * dh];
		Kernel ky = new Kernel(sh, dh);
		for (int x = 0; x < dw; x++) {
			for (int y = 0; y < dh; y++) {
				out[y * dw + x] = ky.apply(tmp, x, dw, y);
			}
		}
		return out;
	}

	/** Precomputed filter taps for one axis. */
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
