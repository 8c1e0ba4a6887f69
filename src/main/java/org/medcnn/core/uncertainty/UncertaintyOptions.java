package org.medcnn.core.uncertainty;

/**
 * What a classification should do about uncertainty.
 *
 * @param mode the mode
 * @param passes samples per slice for {@link UncertaintyMode#TTA} and {@link UncertaintyMode#MC_DROPOUT}
 *        (ignored otherwise), 2 to 256
 * @param seed seed of the augmentations and dropout masks; with the same seed the results repeat
 * @param threshold entropy threshold of the {@code uncertain} flag in nats; NaN to take the one the model
 *        card states for the mode
 */
public record UncertaintyOptions(UncertaintyMode mode, int passes, long seed, double threshold) {

	/** Default passes of TTA and MC dropout. */
	public static final int DEFAULT_PASSES = 8;

	/** No uncertainty estimate. */
	public static final UncertaintyOptions NONE = new UncertaintyOptions(UncertaintyMode.NONE, DEFAULT_PASSES, 0, Double.NaN);

	/**
	 * Checks the values.
	 *
	 * @param mode the mode
	 * @param passes passes per slice
	 * @param seed the seed
	 * @param threshold the flag threshold or NaN
	 * @throws IllegalArgumentException naming the parameter that is out of range
	 */
	public UncertaintyOptions {
		if (mode == null) throw new IllegalArgumentException("uncertainty mode missing");
		if (passes < 2 || passes > 256) throw new IllegalArgumentException("uncertainty_passes must be between 2 and 256, got " + passes);
		if (!Double.isNaN(threshold) && !(threshold >= 0 && threshold < Double.POSITIVE_INFINITY)) {
			throw new IllegalArgumentException("uncertainty_threshold must be a finite number of nats, at least 0, got " + threshold);
		}
	}

	/**
	 * Options for a mode with the default passes, seed 0 and the card's threshold.
	 *
	 * @param mode the mode
	 * @return the options
	 */
	public static UncertaintyOptions of(UncertaintyMode mode) {
		return new UncertaintyOptions(mode, DEFAULT_PASSES, 0, Double.NaN);
	}

	/** @return whether uncertainty columns are produced */
	public boolean enabled() {
		return mode != UncertaintyMode.NONE;
	}
}
