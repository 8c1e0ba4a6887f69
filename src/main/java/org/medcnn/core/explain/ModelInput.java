package org.medcnn.core.explain;

import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor.Placement;
import org.medcnn.core.image.SlicePreprocessor;

/**
 * One slice as the model sees it: its unit image (intensity policy applied, resized and, for
 * letterbox models, padded into the H x W input frame) and the rectangle of the frame it occupies.
 *
 * @param unit H x W values, row-major
 * @param placement where the slice lies in the input frame
 */
public record ModelInput(float[] unit, Placement placement) {

	/**
	 * Preprocesses a slice.
	 *
	 * @param pre the model's preprocessor
	 * @param slice the slice
	 * @return the input
	 * @throws IllegalArgumentException if the slice cannot be classified (too small, NaN pixels)
	 */
	public static ModelInput of(SlicePreprocessor pre, Slice slice) {
		return new ModelInput(pre.unitImage(slice), pre.placement(slice.width(), slice.height()));
	}
}
