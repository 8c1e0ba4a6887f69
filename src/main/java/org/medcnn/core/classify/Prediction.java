package org.medcnn.core.classify;

import java.util.List;

/**
 * The classification of one slice.
 *
 * @param slice 1-based slice index in its source
 * @param label the slice label, possibly empty
 * @param classIndex index of the predicted class in {@code classes}
 * @param classes class names in model output order
 * @param probabilities softmax probability per class, same order
 * @param logits raw logit per class, same order
 * @param millis inference time attributed to this slice (its share of the batch), in milliseconds
 */
public record Prediction(int slice, String label, int classIndex, List<String> classes, float[] probabilities, float[] logits, double millis) {

	/** @return the predicted class name */
	public String predicted() {
		return classes.get(classIndex);
	}

	/** @return the probability of the predicted class */
	public float confidence() {
		return probabilities[classIndex];
	}
}
