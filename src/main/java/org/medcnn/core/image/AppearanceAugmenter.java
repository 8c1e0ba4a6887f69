package org.medcnn.core.image;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded appearance augmentation of a unit image (values in [0, 1]): what another scanner, protocol
 * or export does to a slice, each applied with its own probability and a random strength: a narrower
 * intensity window (percentile clip, stretched back), gamma, Gaussian blur, a lower resolution and
 * Gaussian noise. Used for training only; {@code medcnn shift-test} measures the same kinds of shift
 * at fixed strengths.
 */
public final class AppearanceAugmenter {

	/** Probability of each kind of change. */
	private final double probability;

	/**
	 * @param probability the probability of each kind of change, 0 to 1
	 */
	public AppearanceAugmenter(double probability) {
		if (!(probability >= 0 && probability <= 1)) throw new IllegalArgumentException("appearance augmentation probability must be 0 to 1");
		this.probability = probability;
	}

	/** @return the augmenter of {@code medcnn train --appearance-augmentation}: each change with probability 0.3 */
	public static AppearanceAugmenter standard() {
		return new AppearanceAugmenter(0.3);
	}

	/** @return what it does, for the model card */
	public String describe() {
		return String.format(java.util.Locale.ROOT, "appearance, each with probability %.2f: percentile window clip 0-8 %%, gamma 0.5-2 (log-uniform), "
			+ "Gaussian blur sigma 0-1.5 px, resolution 1/1.5-1/4 and back, Gaussian noise sd 0-0.06", probability);
	}

	/**
	 * Augments an image.
	 *
	 * @param unit H x W values in [0, 1], not modified
	 * @param w width
	 * @param h height
	 * @param rnd the random source (seeded by the caller)
	 * @return a new augmented image, values in [0, 1]
	 */
	public float[] apply(float[] unit, int w, int h, SplittableRandom rnd) {
		float[] v = unit.clone();
		if (rnd.nextDouble() < probability) v = window(v, rnd.nextDouble() * 8);
		if (rnd.nextDouble() < probability) {
			double g = Math.exp((rnd.nextDouble() * 2 - 1) * Math.log(2));
			for (int i = 0; i < v.length; i++) v[i] = (float) Math.pow(Math.max(0, v[i]), g);
		}
		if (rnd.nextDouble() < probability) v = blur(v, w, h, rnd.nextDouble() * 1.5);
		if (rnd.nextDouble() < probability) {
			double f = 1.5 + rnd.nextDouble() * 2.5;
			int dw = Math.max(1, (int) Math.round(w / f));
			int dh = Math.max(1, (int) Math.round(h / f));
			v = Resampling.resize(Resampling.resize(v, w, h, dw, dh), dw, dh, w, h);
		}
		if (rnd.nextDouble() < probability) {
			double sd = rnd.nextDouble() * 0.06;
			for (int i = 0; i < v.length; i++) v[i] += (float) (sd * rnd.nextGaussian());
		}
		for (int i = 0; i < v.length; i++) v[i] = v[i] < 0 ? 0 : v[i] > 1 ? 1 : v[i];
		return v;
	}

	/** Clips to the {@code p} and {@code 100 - p} percentiles and stretches that window over [0, 1]. */
	static float[] window(float[] v, double p) {
		float[] s = v.clone();
		Arrays.sort(s);
		int n = s.length;
		double lo = s[(int) Math.floor(p / 100 * (n - 1))];
		double hi = s[(int) Math.ceil((100 - p) / 100 * (n - 1))];
		if (!(hi > lo)) return v;
		float[] out = new float[n];
		for (int i = 0; i < n; i++) out[i] = (float) Math.max(0, Math.min(1, (v[i] - lo) / (hi - lo)));
		return out;
	}

	/** Separable Gaussian blur, edges clamped. */
	static float[] blur(float[] v, int w, int h, double sigma) {
		if (sigma < 0.2) return v;
		int r = (int) Math.ceil(3 * sigma);
		double[] k = new double[2 * r + 1];
		double sum = 0;
		for (int i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
		for (int i = 0; i < k.length; i++) k[i] /= sum;
		float[] tmp = new float[v.length];
		float[] out = new float[v.length];
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				double a = 0;
				for (int i = -r; i <= r; i++) a += k[i + r] * v[y * w + Math.max(0, Math.min(w - 1, x + i))];
				tmp[y * w + x] = (float) a;
			}
		}
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				double a = 0;
				for (int i = -r; i <= r; i++) a += k[i + r] * tmp[Math.max(0, Math.min(h - 1, y + i)) * w + x];
				out[y * w + x] = (float) a;
			}
		}
		return out;
	}
}
