package org.medcnn.app;

import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRequest;

/**
 * The saliency methods' parameters as the front-ends give them (macro keys in brackets), shared by
 * Saliency Maps, Saliency Sanity Check and their command lines, with one set of defaults and one
 * validation ({@link #request}).
 *
 * @param method the method ({@code method}; the sanity check runs several and takes this only as a template)
 * @param target {@code predicted} or a class name ({@code target})
 * @param samples SmoothGrad's noisy samples ({@code samples})
 * @param noise SmoothGrad's noise, a fraction of the slice's intensity span ({@code noise})
 * @param steps integrated gradients' path steps ({@code steps})
 * @param baseline {@code black} or {@code blurred} ({@code baseline})
 * @param patch occlusion patch side, 0 for 1/7 of the input side ({@code patch})
 * @param stride occlusion stride, 0 for half the patch ({@code stride})
 * @param batchSize slices or copies per engine call ({@code batch_size})
 * @param seed seed of SmoothGrad's noise and of the sanity check's randomisations ({@code seed})
 * @param topPercent regions are made of this share of each slice's most salient pixels ({@code top_percent})
 * @param maxRegions the largest regions kept per slice ({@code max_regions})
 */
public record SaliencySettings(String method, String target, int samples, double noise, int steps, String baseline, int patch, int stride, int batchSize,
	long seed, double topPercent, int maxRegions) {

	/** Default {@code method}. */
	public static final String METHOD = "grad_cam";
	/** Default {@code samples}. */
	public static final int SAMPLES = 25;
	/** Default {@code noise}. */
	public static final double NOISE = 0.15;
	/** Default {@code steps}. */
	public static final int STEPS = 32;
	/** Default {@code baseline}. */
	public static final String BASELINE = "black";
	/** Default {@code seed}. */
	public static final long SEED = 42;
	/** Default {@code top_percent}. */
	public static final double TOP_PERCENT = 5;
	/** Default {@code max_regions}. */
	public static final int MAX_REGIONS = 3;
	/** Default {@code overlay_opacity} of Saliency Maps. */
	public static final double OVERLAY_OPACITY = 0.4;
	/** Default {@code montage_slices} of the command line's montage. */
	public static final int MONTAGE_SLICES = 6;

	/** The defaults. */
	public static final SaliencySettings DEFAULT = new SaliencySettings(METHOD, SaliencyRequest.PREDICTED, SAMPLES, NOISE, STEPS, BASELINE, 0, 0,
		Parameters.BATCH_SIZE, SEED, TOP_PERCENT, MAX_REGIONS);

	/**
	 * Checks the settings and builds the request.
	 *
	 * @return the request
	 * @throws MedCnnException (usage) naming the first parameter that is wrong
	 */
	public SaliencyRequest request() throws MedCnnException {
		Parameters.batchSize(batchSize);
		try {
			return SaliencyRequest.builder().setMethod(SaliencyMethod.parse(method)).optTarget(target).optSamples(samples).optNoise(noise).optSteps(steps)
				.optBaseline(SaliencyRequest.Baseline.parse(baseline)).optOcclusion(patch, stride).optBatchSize(batchSize).optSeed(seed)
				.optRegions(topPercent, maxRegions).build();
		} catch (IllegalArgumentException e) {
			throw MedCnnException.usage(e.getMessage());
		}
	}
}
