package org.medcnn.core.image;

import java.util.SplittableRandom;

/**
 * Seeded training augmentation of a unit image (values in [0, 1]): random rotation, scaling and
 * horizontal flip about the image centre (bilinear, outside filled with 0), then brightness and
 * contrast jitter. Used for training only.
 */
public final class Augmenter {

	private final double maxRotationDeg;
	private final double minScale;
	private final double maxScale;
	private final boolean flip;
	private final double brightness;
	private final double contrast;

	/**
	 * Creates an augmenter.
	 *
	 * @param maxRotationDeg rotations are uniform in +-this many degrees (e.g. 15)
	 * @param minScale smallest zoom factor (e.g. 0.9)
	 * @param maxScale largest zoom factor (e.g. 1.1)
	 * @param flip whether to flip horizontally with probability 1/2
	 * @param brightness additive brightness jitter is uniform in +-this (e.g. 0.05)
	 * @param contrast multiplicative contrast jitter is uniform in 1 +- this (e.g. 0.1)
	 */
	public Augmenter(double maxRotationDeg, double minScale, double maxScale, boolean flip, double brightness, double contrast) {
		if (maxRotationDeg < 0 || maxRotationDeg > 180) throw new IllegalArgumentException("rotation must be 0 to 180 degrees");
		if (!(minScale > 0 && minScale <= maxScale)) throw new IllegalArgumentException("scale range must satisfy 0 < min <= max");
		if (brightness < 0 || contrast < 0 || contrast >= 1) throw new IllegalArgumentException("jitter must be non-negative, contrast below 1");
		this.maxRotationDeg = maxRotationDeg;
		this.minScale = minScale;
		this.maxScale = maxScale;
		this.flip = flip;
		this.brightness = brightness;
		this.contrast = contrast;
	}

	/**
	 * The augmentation of the training issue: rotation +-15 degrees, scaling 0.9-1.1, optional
	 * horizontal flip, brightness +-0.05 and contrast +-10 %.
	 *
	 * @param flip whether to flip
	 * @return the augmenter
	 */
	public static Augmenter standard(boolean flip) {
		return new Augmenter(15, 0.9, 1.1, flip, 0.05, 0.1);
	}

	/**
	 * Augments an image.
	 *
	 * @param unit H x W values in [0, 1], not modified
	 * @param w width
	 * @param h height
	 * @param rnd the random source (seeded by the caller)
	 * @return a new augmented image
	 */
	public float[] apply(float[] unit, int w, int h, SplittableRandom rnd) {
		double angle = Math.toRadians((rnd.nextDouble() * 2 - 1) * maxRotationDeg);
		double scale = minScale + rnd.nextDouble() * (maxScale - minScale);
		boolean mirror = flip && rnd.nextBoolean();
		double b = (rnd.nextDouble() * 2 - 1) * brightness;
		double c = 1 + (rnd.nextDouble() * 2 - 1) * contrast;
		double cos = Math.cos(angle) / scale;
		double sin = Math.sin(angle) / scale;
		double cx = (w - 1) / 2.0;
		double cy = (h - 1) / 2.0;
		float[] out = new float[w * h];
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				double dx = (mirror ? (w - 1 - x) : x) - cx;
				double dy = y - cy;
				// Inverse map: output pixel -> source position.
				double sx = cos * dx + sin * dy + cx;
				double sy = -sin * dx + cos * dy + cy;
				if (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5) continue; // outside the image stays 0
				double v = sample(unit, w, h, sx, sy);
				v = (v - 0.5) * c + 0.5 + b;
				out[y * w + x] = (float) (v < 0 ? 0 : v > 1 ? 1 : v);
			}
		}
		return out;
	}

	private static double sample(float[] img, int w, int h, double x, double y) {
		if (x < -0.5 || y < -0.5 || x > w - 0.5 || y > h - 0.5) return 0;
		int x0 = (int) Math.floor(x);
		int y0 = (int) Math.floor(y);
		double fx = x - x0;
		double fy = y - y0;
		return (1 - fy) * ((1 - fx) * at(img, w, h, x0, y0) + fx * at(img, w, h, x0 + 1, y0))
			+ fy * ((1 - fx) * at(img, w, h, x0, y0 + 1) + fx * at(img, w, h, x0 + 1, y0 + 1));
	}

	private static double at(float[] img, int w, int h, int x, int y) {
		x = Math.max(0, Math.min(w - 1, x));
		y = Math.max(0, Math.min(h - 1, y));
		return img[y * w + x];
	}
}
