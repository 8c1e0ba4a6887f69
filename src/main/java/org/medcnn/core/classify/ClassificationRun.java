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
}
