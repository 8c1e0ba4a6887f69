package org.medcnn.command;

import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRequest;

/**
 * Builds a {@link SaliencyRequest} from the values of the saliency commands' fields, shared by
 * Saliency Maps and Saliency Sanity Check so that both read the same macro keys the same way.
 */
final class SaliencyParameters {

	private SaliencyParameters() {}

	/**
	 * Builds and validates the request.
	 *
	 * @param method the method's name
	 * @param target a class name or {@code predicted}
	 * @param samples SmoothGrad's samples
	 * @param noise SmoothGrad's noise level
	 * @param steps integrated gradients' steps
	 * @param baseline {@code black} or {@code blurred}
	 * @param patch occlusion patch (0: automatic)
	 * @param stride occlusion stride (0: automatic)
	 * @param batchSize internal batch size
	 * @param seed SmoothGrad's seed
	 * @param topPercent region threshold in percent
	 * @param maxRegions most regions per slice
	 * @return the request
	 * @throws IllegalArgumentException naming the first invalid parameter
	 */
	static SaliencyRequest request(String method, String target, int samples, double noise, int steps, String baseline, int patch, int stride, int batchSize,
		long seed, double topPercent, int maxRegions) {
		return SaliencyRequest.builder().setMethod(SaliencyMethod.parse(method)).optTarget(target).optSamples(samples).optNoise(noise).optSteps(steps)
			.optBaseline(SaliencyRequest.Baseline.parse(baseline)).optOcclusion(patch, stride).optBatchSize(batchSize).optSeed(seed)
			.optRegions(topPercent, maxRegions).build();
	}
}
