package org.medcnn.core.eval;

import java.util.List;

/**
 * A binary report: the model's classes grouped into a positive and a negative group (e.g. malignant
 * against benign and normal), a slice called positive when its predicted class is positive. Every
 * ratio carries the bootstrap interval of {@link Metrics}; an undefined ratio (no positive slices for
 * the sensitivity) is NaN.
 *
 * @param positives the positive classes
 * @param negatives the other classes
 * @param truePositives positive slices called positive
 * @param falsePositives negative slices called positive
 * @param trueNegatives negative slices called negative
 * @param falseNegatives positive slices called negative
 * @param sensitivity TP / (TP + FN)
 * @param specificity TN / (TN + FP)
 * @param ppv positive predictive value, TP / (TP + FP)
 * @param npv negative predictive value, TN / (TN + FN)
 * @param accuracy (TP + TN) / all
 * @param rocAuc ROC AUC of the summed probability of the positive classes
 */
public record BinaryMetrics(List<String> positives, List<String> negatives, long truePositives, long falsePositives, long trueNegatives,
	long falseNegatives, Estimate sensitivity, Estimate specificity, Estimate ppv, Estimate npv, Estimate accuracy, Estimate rocAuc) {

	/** Names of the estimates, in report order. */
	public static final List<String> NAMES = List.of("sensitivity", "specificity", "ppv", "npv", "accuracy", "roc_auc");

	/** @return the estimates in {@link #NAMES} order */
	public List<Estimate> estimates() {
		return List.of(sensitivity, specificity, ppv, npv, accuracy, rocAuc);
	}

	/** @return e.g. {@code malignant vs benign+normal} */
	public String describe() {
		return String.join("+", positives) + " vs " + String.join("+", negatives);
	}
}
