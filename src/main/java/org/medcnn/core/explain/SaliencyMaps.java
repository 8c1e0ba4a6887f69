package org.medcnn.core.explain;

import org.medcnn.core.image.Resampling;
import org.medcnn.core.image.SlicePreprocessor.Placement;

/**
 * Map geometry and small image operations of the saliency methods, on row-major float images.
 */
public final class SaliencyMaps {

	private SaliencyMaps() {}

	/**
	 * Maps a map from the model-input frame back to a slice: crops the rectangle the slice occupies
	 * (undoing the letterbox padding) and resizes it to the slice's size (undoing the resize). A point
	 * of the slice at pixel centre (x + 0.5, y + 0.5) went to {@code placement.x + (x + 0.5) * placement.width / width}
	 * in the frame and comes back to the same pixel.
	 *
	 * @param map frame map, {@code frameWidth x frameHeight}
	 * @param frameWidth model input width
	 * @param frameHeight model input height
	 * @param placement the slice's rectangle in the frame
	 * @param width slice width
	 * @param height slice height
	 * @return a new {@code width x height} map
	 * @throws IllegalArgumentException if the placement does not lie inside the frame
	 */
	public static float[] toSlice(float[] map, int frameWidth, int frameHeight, Placement placement, int width, int height) {
		float[] crop = crop(map, frameWidth, frameHeight, placement);
		return Resampling.resize(crop, placement.width(), placement.height(), width, height);
	}

	/**
	 * Copies the placement rectangle out of a frame map.
	 *
	 * @param map frame map
	 * @param frameWidth frame width
	 * @param frameHeight frame height
	 * @param p the rectangle
	 * @return {@code p.width() x p.height()} values
	 * @throws IllegalArgumentException if the rectangle does not lie inside the frame
	 */
	public static float[] crop(float[] map, int frameWidth, int frameHeight, Placement p) {
		if (map.length != frameWidth * frameHeight) throw new IllegalArgumentException("map has " + map.length + " values for " + frameWidth + "x" + frameHeight);
		if (p.x() < 0 || p.y() < 0 || p.width() < 1 || p.height() < 1 || p.x() + p.width() > frameWidth || p.y() + p.height() > frameHeight) {
			throw new IllegalArgumentException("placement " + p + " is not inside the " + frameWidth + "x" + frameHeight + " frame");
		}
		if (p.x() == 0 && p.y() == 0 && p.width() == frameWidth && p.height() == frameHeight) return map.clone();
		float[] out = new float[p.width() * p.height()];
		for (int y = 0; y < p.height(); y++) System.arraycopy(map, (y + p.y()) * frameWidth + p.x(), out, y * p.width(), p.width());
		return out;
	}

	/**
	 * Gaussian blur with a separable kernel truncated at 3 sigma, edges clamped.
	 *
	 * @param img the image
	 * @param w width
	 * @param h height
	 * @param sigma standard deviation in pixels; at most 0 returns a copy
	 * @return a new blurred image
	 */
	public static float[] blur(float[] img, int w, int h, double sigma) {
		if (!(sigma > 0)) return img.clone();
		int r = Math.max(1, (int) Math.ceil(3 * sigma));
		float[] k = new float[2 * r + 1];
		double sum = 0;
		for (int i = -r; i <= r; i++) sum += k[i + r] = (float) Math.exp(-0.5 * i * i / (sigma * sigma));
		for (int i = 0; i < k.length; i++) k[i] /= (float) sum;
		float[] tmp = new float[w * h];
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				double acc = 0;
				for (int i = -r; i <= r; i++) acc += k[i + r] * img[y * w + Math.min(w - 1, Math.max(0, x + i))];
				tmp[y * w + x] = (float) acc;
			}
		}
		float[] out = new float[w * h];
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				double acc = 0;
				for (int i = -r; i <= r; i++) acc += k[i + r] * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x];
				out[y * w + x] = (float) acc;
			}
		}
		return out;
	}

	/**
	 * The baseline image of integrated gradients, occlusion and the insertion metric.
	 *
	 * @param in the input
	 * @param baseline black or blurred
	 * @param frameWidth model input width
	 * @param frameHeight model input height
	 * @return a new frame image: 0 for black; for blurred, the slice's rectangle blurred with sigma
	 *         1/20 of the larger frame side (edges clamped, so the letterbox padding does not bleed in)
	 *         and the padding left at 0
	 */
	public static float[] baseline(ModelInput in, SaliencyRequest.Baseline baseline, int frameWidth, int frameHeight) {
		float[] out = new float[frameWidth * frameHeight];
		if (baseline == SaliencyRequest.Baseline.BLACK) return out;
		Placement p = in.placement();
		float[] blurred = blur(crop(in.unit(), frameWidth, frameHeight, p), p.width(), p.height(), Math.max(frameWidth, frameHeight) / 20.0);
		for (int y = 0; y < p.height(); y++) System.arraycopy(blurred, y * p.width(), out, (y + p.y()) * frameWidth + p.x(), p.width());
		return out;
	}

	/**
	 * Largest value of a map (0 for an empty or all-negative map).
	 *
	 * @param map the map
	 * @return the maximum, at least 0
	 */
	public static float max(float[] map) {
		float m = 0;
		for (float v : map) if (v > m) m = v;
		return m;
	}
}
