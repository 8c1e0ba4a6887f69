package org.medcnn.core.train;

import java.nio.file.Path;
import java.util.List;
import org.medcnn.core.eval.Metrics;

/**
 * What a training run produced.
 *
 * @param packageDir the written model package
 * @param history one record per epoch, head phase first
 * @param test metrics on the held-out test split (null when the test split is empty)
 * @param testPredictions per-image test predictions
 * @param skipped files that could not be read, with the reason
 * @param cancelled whether the run was cancelled (the best checkpoint so far was kept)
 * @param seconds total wall time
 */
public record TrainingResult(Path packageDir, List<EpochRecord> history, Metrics test, List<ImagePrediction> testPredictions,
	List<String> skipped, boolean cancelled, double seconds) {

	/**
	 * One evaluated image.
	 *
	 * @param file the image file
	 * @param slice 1-based slice in the file
	 * @param truth the true class
	 * @param predicted the predicted class
	 * @param probabilities the class probabilities, in card order
	 */
	public record ImagePrediction(Path file, int slice, String truth, String predicted, float[] probabilities) {}
}
