package org.medcnn.core.uncertainty;

import java.util.SplittableRandom;
import org.medcnn.core.image.Augmenter;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;

/**
 * The augmentations of test-time augmentation (TTA): pass 0 is the slice itself; every further pass
 * flips it horizontally with probability 1/2 and rotates it by a uniform angle within
 * +-{@value #MAX_ROTATION_DEG} degrees about its centre (bilinear, outside filled with 0 like in
 * training), within the range the shipped models were trained on. The random draws depend only on the
 * seed, the slice and the pass, so results repeat whatever the batch size.
 */
public final class TestTimeAugmentation {

	/** Largest rotation, in degrees. */
	public static final double MAX_ROTATION_DEG = 10;

	private static final Augmenter AUGMENTER = new Augmenter(MAX_ROTATION_DEG, 1, 1, true, 0, 0);

	private TestTimeAugmentation() {}

	/**
	 * Augments a unit image for one pass.
	 *
	 * @param unit H x W values in [0, 1] (the model input frame), not modified
	 * @param w width
	 * @param h height
	 * @param seed the run's seed
	 * @param sliceKey identifies the slice within its source (its 1-based index)
	 * @param pass the pass, 0 for the unchanged slice
	 * @return the image for the pass (the same array for pass 0)
	 */
	public static float[] apply(float[] unit, int w, int h, long seed, long sliceKey, int pass) {
		if (pass == 0) return unit;
		return AUGMENTER.apply(unit, w, h, new SplittableRandom(Seeds.mix(seed, sliceKey, pass)));
	}

	/**
	 * Preprocesses a slice into {@code passes} consecutive model inputs: the slice itself, then its
	 * augmentations ({@link #apply}); with one pass just {@link SlicePreprocessor#preprocess}.
	 *
	 * @param pre the preprocessor
	 * @param slice the slice (its index is the slice key)
	 * @param passes inputs to write, at least 1
	 * @param seed the run's seed
	 * @param dest destination array
	 * @param offset index of the first value to write
	 */
	public static void preprocess(SlicePreprocessor pre, Slice slice, int passes, long seed, float[] dest, int offset) {
		if (passes == 1) {
			pre.preprocess(slice, dest, offset);
			return;
		}
		int per = pre.spec().tensorSize();
		float[] unit = pre.unitImage(slice);
		for (int k = 0; k < passes; k++) {
			pre.normalize(apply(unit, pre.spec().width(), pre.spec().height(), seed, slice.index(), k), dest, offset + k * per);
		}
	}
}
