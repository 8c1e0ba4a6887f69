package org.medcnn.cli;

import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRequest;
import picocli.CommandLine.Option;

/**
 * The saliency methods' options, shared by {@code medcnn saliency}, {@code medcnn sanity} and
 * {@code medcnn bench-saliency}; the names follow the macro keys with '-' for '_'.
 */
public final class SaliencyOptions {

	@Option(names = "--target", defaultValue = SaliencyRequest.PREDICTED, description = "'predicted' or a class name of the model (default: ${DEFAULT-VALUE}).")
	String target;

	@Option(names = "--samples", defaultValue = "25", description = "SmoothGrad: noisy samples (default: ${DEFAULT-VALUE}).")
	int samples;

	@Option(names = "--noise", defaultValue = "0.15", description = "SmoothGrad: noise level, a fraction of the slice's intensity span (default: ${DEFAULT-VALUE}).")
	double noise;

	@Option(names = "--steps", defaultValue = "32", description = "Integrated gradients: path steps (default: ${DEFAULT-VALUE}).")
	int steps;

	@Option(names = "--baseline", defaultValue = "black", description = "Integrated gradients and occlusion: black or blurred (default: ${DEFAULT-VALUE}).")
	String baseline;

	@Option(names = "--patch", defaultValue = "0", description = "Occlusion: patch side in model-input pixels, 0 for 1/7 of the input side (default: ${DEFAULT-VALUE}).")
	int patch;

	@Option(names = "--stride", defaultValue = "0", description = "Occlusion: stride in model-input pixels, 0 for half the patch (default: ${DEFAULT-VALUE}).")
	int stride;

	@Option(names = "--batch-size", defaultValue = "8",
		description = "Slices per engine call (gradient, Grad-CAM) or noisy copies, path steps, occluded copies per call (default: ${DEFAULT-VALUE}).")
	int batchSize;

	@Option(names = "--seed", defaultValue = "42", description = "Seed of SmoothGrad's noise (default: ${DEFAULT-VALUE}).")
	long seed;

	/**
	 * Builds the request for a method.
	 *
	 * @param method the method
	 * @param topPercent the region threshold in percent
	 * @param maxRegions the most regions per slice
	 * @return the request
	 * @throws IllegalArgumentException naming the first invalid option (by its macro key)
	 */
	public SaliencyRequest request(SaliencyMethod method, double topPercent, int maxRegions) {
		return SaliencyRequest.builder().setMethod(method).optTarget(target).optSamples(samples).optNoise(noise).optSteps(steps)
			.optBaseline(SaliencyRequest.Baseline.parse(baseline)).optOcclusion(patch, stride).optBatchSize(batchSize).optSeed(seed)
			.optRegions(topPercent, maxRegions).build();
	}

	/** @return the slices (or copies) per engine call */
	public int batchSize() {
		return batchSize;
	}

	/** @return the integrated gradients' path steps */
	public int steps() {
		return steps;
	}
}
