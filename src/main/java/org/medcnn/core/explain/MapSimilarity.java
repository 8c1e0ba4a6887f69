package org.medcnn.core.explain;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Similarity of two saliency maps, as used by the model-parameter randomisation test of Adebayo et
 * al. (2018): Spearman rank correlation and the structural similarity index (SSIM).
 */
public final class MapSimilarity {

	private MapSimilarity() {}

	/**
	 * Spearman rank correlation (Pearson correlation of the ranks, ties given their average rank). A
	 * constant map has no ranking: two constant maps count as identical (1) when equal and as unrelated
	 * (0) otherwise, and a constant map against a varying one counts as unrelated (0).
	 *
	 * @param a first map
	 * @param b second map, same length
	 * @return the correlation in [-1, 1]
	 * @throws IllegalArgumentException if the lengths differ or are 0
	 */
	public static double spearman(float[] a, float[] b) {
		if (a.length != b.length || a.length == 0) throw new IllegalArgumentException("maps of " + a.length + " and " + b.length + " values");
		double[] ra = ranks(a);
		double[] rb = ranks(b);
		double ma = 0;
		double mb = 0;
		for (int i = 0; i < ra.length; i++) {
			ma += ra[i];
			mb += rb[i];
		}
		ma /= ra.length;
		mb /= rb.length;
		double sab = 0;
		double saa = 0;
		double sbb = 0;
		for (int i = 0; i < ra.length; i++) {
			sab += (ra[i] - ma) * (rb[i] - mb);
			saa += (ra[i] - ma) * (ra[i] - ma);
			sbb += (rb[i] - mb) * (rb[i] - mb);
		}
		if (saa == 0 || sbb == 0) return saa == 0 && sbb == 0 && Arrays.equals(a, b) ? 1 : 0;
		return sab / Math.sqrt(saa * sbb);
	}

	/**
	 * Ranks with ties averaged, 1-based.
	 *
	 * @param v values
	 * @return their ranks
	 */
	static double[] ranks(float[] v) {
		Integer[] idx = new Integer[v.length];
		for (int i = 0; i < v.length; i++) idx[i] = i;
		Arrays.sort(idx, Comparator.comparingDouble(i -> v[i]));
		double[] r = new double[v.length];
		int i = 0;
		while (i < v.length) {
			int j = i;
			while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) j++;
			double avg = (i + j) / 2.0 + 1;
			for (int k = i; k <= j; k++) r[idx[k]] = avg;
			i = j + 1;
		}
		return r;
	}

	/**
	 * Mean SSIM (Wang et al. 2004: Gaussian window of sigma 1.5, K1 0.01, K2 0.03) of two maps, each
	 * first scaled to [0, 1] by its maximum so that only the spatial pattern counts (an all-zero map
	 * stays 0).
	 *
	 * @param a first non-negative map
	 * @param b second non-negative map
	 * @param w width
	 * @param h height
	 * @return the mean SSIM, at most 1
	 * @throws IllegalArgumentException if the sizes do not agree
	 */
	public static double ssim(float[] a, float[] b, int w, int h) {
		if (a.length != w * h || b.length != w * h) throw new IllegalArgumentException("maps must have " + w + "x" + h + " values");
		float[] x = scaled(a);
		float[] y = scaled(b);
		int n = w * h;
		float[] xx = new float[n];
		float[] yy = new float[n];
		float[] xy = new float[n];
		for (int i = 0; i < n; i++) {
			xx[i] = x[i] * x[i];
			yy[i] = y[i] * y[i];
			xy[i] = x[i] * y[i];
		}
		double sigma = 1.5;
		float[] mx = SaliencyMaps.blur(x, w, h, sigma);
		float[] my = SaliencyMaps.blur(y, w, h, sigma);
		float[] sxx = SaliencyMaps.blur(xx, w, h, sigma);
		float[] syy = SaliencyMaps.blur(yy, w, h, sigma);
		float[] sxy = SaliencyMaps.blur(xy, w, h, sigma);
		double c1 = 0.01 * 0.01;
		double c2 = 0.03 * 0.03;
		double sum = 0;
		for (int i = 0; i < n; i++) {
			double vx = sxx[i] - (double) mx[i] * mx[i];
			double vy = syy[i] - (double) my[i] * my[i];
			double cxy = sxy[i] - (double) mx[i] * my[i];
			sum += ((2.0 * mx[i] * my[i] + c1) * (2 * cxy + c2)) / (((double) mx[i] * mx[i] + (double) my[i] * my[i] + c1) * (vx + vy + c2));
		}
		return sum / n;
	}

	private static float[] scaled(float[] m) {
		float max = SaliencyMaps.max(m);
		float[] out = new float[m.length];
		if (max > 0) for (int i = 0; i < m.length; i++) out[i] = Math.max(0, m[i]) / max;
		return out;
	}
}
