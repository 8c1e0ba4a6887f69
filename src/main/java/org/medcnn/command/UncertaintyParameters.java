package org.medcnn.command;

import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;

/** Turns the uncertainty parameters of the commands into options. */
final class UncertaintyParameters {

	private UncertaintyParameters() {}

	/**
	 * @param mode the mode name
	 * @param passes passes for tta and mc_dropout
	 * @param seed the seed
	 * @param threshold the flag threshold in nats; negative for the card's
	 * @return the options
	 * @throws IllegalArgumentException naming the parameter that is wrong
	 */
	static UncertaintyOptions options(String mode, int passes, long seed, double threshold) {
		if (!Double.isFinite(threshold)) throw new IllegalArgumentException("uncertainty_threshold must be a finite number (negative: the model card's), got " + threshold);
		return new UncertaintyOptions(UncertaintyMode.parse(mode), passes, seed, threshold < 0 ? Double.NaN : threshold);
	}
}
