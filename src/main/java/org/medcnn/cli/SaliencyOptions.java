package org.medcnn.cli;

import org.medcnn.app.Parameters;
import org.medcnn.app.SaliencySettings;
import org.medcnn.core.explain.SaliencyRequest;
import picocli.CommandLine.Option;

/**
 * The saliency methods' options, shared by {@code medcnn saliency}, {@code medcnn sanity} and
 * {@code medcnn bench-saliency}; the names follow the macro keys with '-' for '_', the defaults are
 * {@link SaliencySettings}'.
 */
public final class SaliencyOptions {

	@Option(names = "--target", defaultValue = SaliencyRequest.PREDICTED, description = "'predicted' or a class name of the model (default: ${DEFAULT-VALUE}).")
	String target;

	@Option(names = "--samples", defaultValue = "" + SaliencySettings.SAMPLES, description = "SmoothGrad: noisy samples (default: ${DEFAULT-VALUE}).")
	int samples;

	@Option(names = "--noise", defaultValue = "" + SaliencySettings.NOISE,
		description = "SmoothGrad: noise level, a fraction of the slice's intensity span (default: ${DEFAULT-VALUE}).")
	double noise;

	@Option(names = "--steps", defaultValue = "" + SaliencySettings.STEPS, description = "Integrated gradients: path steps (default: ${DEFAULT-VALUE}).")
	int steps;

	@Option(names = "--baseline", defaultValue = SaliencySettings.BASELINE,
		description = "Integrated gradients and occlusion: black or blurred (default: ${DEFAULT-VALUE}).")
	String baseline;

	@Option(names = "--patch", defaultValue = "0", description = "Occlusion: patch side in model-input pixels, 0 for 1/7 of the input side (default: ${DEFAULT-VALUE}).")
	int patch;

	@Option(names = "--stride", defaultValue = "0", description = "Occlusion: stride in model-input pixels, 0 for half the patch (default: ${DEFAULT-VALUE}).")
	int stride;

	@Option(names = "--batch-size", defaultValue = "" + Parameters.BATCH_SIZE,
		description = "Slices per engine call (gradient, Grad-CAM) or noisy copies, path steps, occluded copies per call (default: ${DEFAULT-VALUE}).")
	int batchSize;

	@Option(names = "--seed", defaultValue = "" + SaliencySettings.SEED,
		description = "Seed of SmoothGrad's noise and of the sanity check's randomisations (default: ${DEFAULT-VALUE}).")
	long seed;

	/**
	 * The settings for a method.
	 *
	 * @param method the method's name
	 * @param topPercent the region threshold in percent
	 * @param maxRegions the most regions per slice
	 * @return the settings (checked when the task builds its request)
	 */
	public SaliencySettings settings(String method, double topPercent, int maxRegions) {
		return new SaliencySettings(method, target, samples, noise, steps, baseline, patch, stride, batchSize, seed, topPercent, maxRegions);
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
