package org.medcnn.cli;

import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import picocli.CommandLine.Option;

/** The uncertainty options shared by classify, batch and evaluate. */
public final class UncertaintyCliOptions {

	@Option(names = "--uncertainty", defaultValue = Parameters.UNCERTAINTY, paramLabel = "MODE",
		description = "none, tta, mc_dropout or ensemble: adds entropy, mutual_information, std_top and uncertain columns (default: ${DEFAULT-VALUE}).")
	String mode;

	@Option(names = "--uncertainty-passes", defaultValue = "" + Parameters.UNCERTAINTY_PASSES, paramLabel = "N",
		description = "Passes per slice for tta and mc_dropout (default: ${DEFAULT-VALUE}).")
	int passes;

	@Option(names = "--uncertainty-seed", defaultValue = "" + Parameters.UNCERTAINTY_SEED, paramLabel = "SEED", description = "Seed of the augmentations and dropout masks (default: ${DEFAULT-VALUE}).")
	long seed;

	@Option(names = "--uncertainty-threshold", defaultValue = "" + Parameters.UNCERTAINTY_THRESHOLD, paramLabel = "NATS",
		description = "Entropy above which a slice is flagged uncertain; negative (the default): the threshold the model card states for the mode.")
	double threshold;

	/**
	 * @return the options
	 * @throws MedCnnException (usage) naming the option that is wrong
	 */
	UncertaintyOptions options() throws MedCnnException {
		return Parameters.uncertainty(mode, passes, seed, threshold);
	}
}
