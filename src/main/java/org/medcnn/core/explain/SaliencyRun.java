package org.medcnn.core.explain;

import java.util.List;

/**
 * The saliency maps of every slice of one source.
 *
 * @param source the source name (file or image title)
 * @param request what was computed
 * @param classes the model's classes
 * @param modelId the model id
 * @param modelSha the first 12 hex digits of the model card's SHA-256
 * @param device the device used
 * @param slices one entry per slice, in source order
 * @param warnings warnings to show the user (e.g. a device fallback)
 */
public record SaliencyRun(String source, SaliencyRequest request, List<String> classes, String modelId, String modelSha, String device,
	List<SliceSaliency> slices, List<String> warnings) {

	/** @return the method's name */
	public String method() {
		return request.method().id();
	}
}
