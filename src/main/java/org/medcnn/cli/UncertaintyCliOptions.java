package org.medcnn.cli;

import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import picocli.CommandLine.Option;

/** The uncertainty options shared by classify, batch and evaluate. */
public final class UncertaintyCliOptions {

	@Option(names = "--uncertainty", defaultValue = "none", paramLabel = "MODE",
		description = "none, tta, mc_dropout or ensemble: adds entropy, mutual_information, std_top and uncertain columns (default: ${DEFAULT-VALUE}).")
	String mode;

	@Option(names = "--uncertainty-passes", defaultValue = "" + UncertaintyOptions.DEFAULT_PASSES, paramLabel = "N",
		description = "Passes per slice for tta and mc_dropout (default: ${DEFAULT-VALUE}).")
	int passes;

	@Option(names = "--uncertainty-seed", defaultValue = "0", paramLabel = "SEED", description = "Seed of the augmentations and dropout masks (default: ${DEFAULT-VALUE}).")
	long seed;

	@Option(names = "--uncertainty-threshold", paramLabel = "NATS",
		description = "Entropy above which a slice is flagged uncertain (default: the threshold the model card states for the mode).")
	Double threshold;

	/**
	 * @return the options
	 * @throws IllegalArgumentException naming the option that is wrong
	 */
	UncertaintyOptions options() {
		return new UncertaintyOptions(UncertaintyMode.parse(mode), passes, seed, threshold == null ? Double.NaN : threshold);
	}
}
