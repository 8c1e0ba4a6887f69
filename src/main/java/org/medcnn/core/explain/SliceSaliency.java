package org.medcnn.core.explain;

import java.util.List;

/**
 * The explanation of one slice.
 *
 * @param position 0-based position of the slice in its source
 * @param slice 1-based stack index, as ImageJ counts
 * @param label the slice label
 * @param width slice width in pixels
 * @param height slice height in pixels
 * @param target index of the explained class
 * @param targetClass name of the explained class
 * @param predicted index of the predicted class
 * @param probabilities softmax probabilities, one per class
 * @param map non-negative saliency at the slice's original size, row-major
 * @param regions the most salient regions, largest first
 * @param ms milliseconds spent on this slice (its share of its batch)
 */
public record SliceSaliency(int position, int slice, String label, int width, int height, int target, String targetClass, int predicted,
	float[] probabilities, float[] map, List<SaliencyRegions.Region> regions, double ms) {

	/**
	 * Returns the map's total, the denominator of each region's share.
	 *
	 * @return the sum of the map
	 */
	public double total() {
		double s = 0;
		for (float v : map) s += v;
		return s;
	}
}
