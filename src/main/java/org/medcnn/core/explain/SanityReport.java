package org.medcnn.core.explain;

import java.util.List;

/**
 * The result of a {@link SanityCheck}: one row per method and randomisation stage.
 *
 * @param modelId the model id
 * @param modelSha the first 12 hex digits of the model card's SHA-256
 * @param device the device used
 * @param slices the number of slices the statistics are averaged over
 * @param maxCorrelation the Spearman correlation at the last stage from which a method fails
 * @param stages the randomisation stages, in order (e.g. {@code head}, {@code head + from features.18})
 * @param rows per method, one row per stage
 */
public record SanityReport(String modelId, String modelSha, String device, int slices, double maxCorrelation, List<String> stages, List<Row> rows) {

	/**
	 * One method at one stage.
	 *
	 * @param method the method's name
	 * @param stage 1-based stage number
	 * @param randomised what is randomised at this stage (cumulative)
	 * @param spearman mean Spearman rank correlation between original and randomised maps
	 * @param ssim mean SSIM between original and randomised maps
	 * @param deletionAuc the method's deletion AUC on the original model (same on every row of the method)
	 * @param insertionAuc the method's insertion AUC on the original model (same on every row of the method)
	 * @param passes whether the method passes the randomisation test (same on every row of the method)
	 * @param verdict {@code pass}, or why it fails
	 */
	public record Row(String method, int stage, String randomised, double spearman, double ssim, double deletionAuc, double insertionAuc, boolean passes,
		String verdict) {}

	/**
	 * Tells whether a method passed.
	 *
	 * @param method the method's name
	 * @return true if it passed
	 * @throws IllegalArgumentException if the report has no such method
	 */
	public boolean passes(String method) {
		for (Row r : rows) if (r.method().equals(method)) return r.passes();
		throw new IllegalArgumentException("no method '" + method + "' in the report");
	}

	/** @return the column names of the table and CSV, in order */
	public static List<String> columns() {
		return List.of("model", "method", "stage", "randomised", "spearman", "ssim", "deletion_auc", "insertion_auc", "passes", "verdict");
	}
}
