package org.medcnn.app;

import org.medcnn.core.uncertainty.UncertaintyOptions;

/**
 * What every request that classifies takes besides the engine options: the uncertainty mode, its passes,
 * seed and flag threshold, with the defaults of {@link Parameters}, checked once by {@link #uncertaintyOptions()}.
 *
 * @param <B> the builder itself
 */
public abstract class UncertaintyBuilder<B extends UncertaintyBuilder<B>> extends EngineBuilder<B> {

	private String uncertainty = Parameters.UNCERTAINTY;
	private int passes = Parameters.UNCERTAINTY_PASSES;
	private long uncertaintySeed = Parameters.UNCERTAINTY_SEED;
	private double threshold = Parameters.UNCERTAINTY_THRESHOLD;

	/** For the builders of this package. */
	UncertaintyBuilder() {}

	/**
	 * @param mode none, tta, mc_dropout or ensemble
	 * @param passes passes of tta and mc_dropout
	 * @param seed seed of the augmentations and dropout masks
	 * @param threshold flag threshold in nats; negative: the card's
	 * @return this builder
	 */
	public B optUncertainty(String mode, int passes, long seed, double threshold) {
		this.uncertainty = mode;
		this.passes = passes;
		this.uncertaintySeed = seed;
		this.threshold = threshold;
		return self();
	}

	/**
	 * @return the uncertainty options given
	 * @throws MedCnnException (usage) naming the parameter that is wrong
	 */
	protected UncertaintyOptions uncertaintyOptions() throws MedCnnException {
		return Parameters.uncertainty(uncertainty, passes, uncertaintySeed, threshold);
	}
}
