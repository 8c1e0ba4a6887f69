package org.medcnn.core.classify;

import java.util.List;
import org.medcnn.core.uncertainty.UncertaintyEstimate;

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
 * @param uncertainty the uncertainty estimate, or null when none was asked for
 * @param oodScore the out-of-distribution score: the detector's distance divided by its threshold (above 1: outside
 *        the model's training data), or NaN when the model has no detector
 */
public record Prediction(int slice, String label, int classIndex, List<String> classes, float[] probabilities, float[] logits, double millis,
	UncertaintyEstimate uncertainty, double oodScore) {

	/**
	 * A prediction without out-of-distribution score.
	 *
	 * @param slice 1-based slice index
	 * @param label the slice label
	 * @param classIndex predicted class index
	 * @param classes class names
	 * @param probabilities probabilities
	 * @param logits logits
	 * @param millis milliseconds per slice
	 * @param uncertainty the uncertainty estimate, or null
	 */
	public Prediction(int slice, String label, int classIndex, List<String> classes, float[] probabilities, float[] logits, double millis,
		UncertaintyEstimate uncertainty) {
		this(slice, label, classIndex, classes, probabilities, logits, millis, uncertainty, Double.NaN);
	}

	/**
	 * A prediction without uncertainty estimate.
	 *
	 * @param slice 1-based slice index
	 * @param label the slice label
	 * @param classIndex predicted class index
	 * @param classes class names
	 * @param probabilities probabilities
	 * @param logits logits
	 * @param millis milliseconds per slice
	 */
	public Prediction(int slice, String label, int classIndex, List<String> classes, float[] probabilities, float[] logits, double millis) {
		this(slice, label, classIndex, classes, probabilities, logits, millis, null, Double.NaN);
	}

	/** @return the predicted class name */
	public String predicted() {
		return classes.get(classIndex);
	}

	/** @return the probability of the predicted class */
	public float confidence() {
		return probabilities[classIndex];
	}

	/** @return 1 when the slice lies outside the model's training data (score above 1), 0 when not, -1 when unknown (no detector) */
	public int outOfDistribution() {
		return Double.isNaN(oodScore) ? -1 : oodScore > 1 ? 1 : 0;
	}
}
