package org.medcnn.core.classify;

import java.util.List;
import org.medcnn.core.uncertainty.UncertaintyMode;

/**
 * The outcome of classifying one source.
 *
 * @param source the source name
 * @param predictions one per slice, in source order
 * @param modelId the model id
 * @param modelSha the first 12 hex digits of the model card's SHA-256
 * @param device the device actually used ({@code cpu}, {@code gpu:0})
 * @param warnings device fallbacks and other things the user should know; may be empty
 * @param uncertainty the uncertainty mode of the run; with any mode but none every prediction carries an estimate
 */
public record ClassificationRun(String source, List<Prediction> predictions, String modelId, String modelSha, String device, List<String> warnings,
	UncertaintyMode uncertainty) {

	/**
	 * A run without uncertainty estimates.
	 *
	 * @param source the source name
	 * @param predictions one per slice
	 * @param modelId the model id
	 * @param modelSha the model hash prefix
	 * @param device the device used
	 * @param warnings warnings
	 */
	public ClassificationRun(String source, List<Prediction> predictions, String modelId, String modelSha, String device, List<String> warnings) {
		this(source, predictions, modelId, modelSha, device, warnings, UncertaintyMode.NONE);
	}

	/**
	 * Makes the lists unmodifiable.
	 *
	 * @param source the source name
	 * @param predictions one per slice
	 * @param modelId the model id
	 * @param modelSha the model hash prefix
	 * @param device the device used
	 * @param warnings warnings
	 * @param uncertainty the uncertainty mode
	 */
	public ClassificationRun {
		if (uncertainty == null) uncertainty = UncertaintyMode.NONE;
		predictions = List.copyOf(predictions);
		warnings = List.copyOf(warnings);
	}

	/** @return the number of slices with an out-of-distribution score (0 when the model has no detector) */
	public int oodScored() {
		return (int) predictions.stream().filter(p -> p.outOfDistribution() >= 0).count();
	}

	/** @return the number of slices flagged outside the model's training data */
	public int oodFlagged() {
		return (int) predictions.stream().filter(p -> p.outOfDistribution() == 1).count();
	}

	/**
	 * One line for the user about the out-of-distribution check of this run.
	 *
	 * @return e.g. "stack.tif: 3 of 12 slices lie outside the training data of lung-ct", or null when no
	 *         slice was scored (the model has no detector)
	 */
	public String oodSummary() {
		int scored = oodScored();
		if (scored == 0) return null;
		int flagged = oodFlagged();
		return source + ": " + flagged + " of " + scored + " slice" + (scored == 1 ? "" : "s") + (flagged == 1 ? " lies" : " lie") + " outside the training data of "
			+ modelId + (flagged == 0 ? "" : " (out_of_distribution = 1): the predictions for " + (flagged == 1 ? "it" : "them") + " are not reliable");
	}
}
