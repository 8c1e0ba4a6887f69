package org.medcnn.app;

import java.util.Locale;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;

/**
 * The parameter vocabulary every front-end shares: each option's name (the macro key; the command line
 * spells it with '-' for '_'), its default and its range, and the one validation that turns a value into
 * what the tasks take. The SciJava commands and the command line take their defaults and ranges from here,
 * so that they cannot disagree again (a test walks both and compares).
 */
public final class Parameters {

	private Parameters() {}

	/** Default of {@code device}. */
	public static final String DEVICE = "auto";

	/** Default of {@code batch_size}: slices per engine call. */
	public static final int BATCH_SIZE = 8;
	/** Smallest {@code batch_size}. */
	public static final int BATCH_SIZE_MIN = 1;
	/** Largest {@code batch_size}. */
	public static final int BATCH_SIZE_MAX = 1024;

	/** Default of {@code uncertainty}. */
	public static final String UNCERTAINTY = "none";
	/** Default of {@code uncertainty_passes}. */
	public static final int UNCERTAINTY_PASSES = UncertaintyOptions.DEFAULT_PASSES;
	/** Smallest {@code uncertainty_passes}. */
	public static final int UNCERTAINTY_PASSES_MIN = 2;
	/** Largest {@code uncertainty_passes}. */
	public static final int UNCERTAINTY_PASSES_MAX = 256;
	/** Default of {@code uncertainty_seed}. */
	public static final long UNCERTAINTY_SEED = 0;
	/** Default of {@code uncertainty_threshold}: negative means the threshold the model card states for the mode. */
	public static final double UNCERTAINTY_THRESHOLD = -1;

	/** Default of {@code bootstrap}: resamples of the confidence intervals. */
	public static final int BOOTSTRAP = 1000;
	/** Default of {@code seed} of the bootstrap. */
	public static final long BOOTSTRAP_SEED = 42;

	/**
	 * The command-line spelling of a macro key.
	 *
	 * @param key e.g. {@code batch_size}
	 * @return e.g. {@code --batch-size}
	 */
	public static String option(String key) {
		return "--" + key.replace('_', '-');
	}

	/**
	 * Checks {@code batch_size}.
	 *
	 * @param value the value
	 * @return the value
	 * @throws MedCnnException (usage) naming the parameter when it is out of range
	 */
	public static int batchSize(int value) throws MedCnnException {
		return inRange("batch_size", value, BATCH_SIZE_MIN, BATCH_SIZE_MAX);
	}

	/**
	 * Checks a whole number against its range.
	 *
	 * @param key the parameter
	 * @param value the value
	 * @param min smallest allowed
	 * @param max largest allowed
	 * @return the value
	 * @throws MedCnnException (usage) naming the parameter when it is out of range
	 */
	public static int inRange(String key, int value, int min, int max) throws MedCnnException {
		if (value < min || value > max) throw MedCnnException.usage(key + " must be between " + min + " and " + max + ", got " + value);
		return value;
	}

	/**
	 * Parses {@code device}.
	 *
	 * @param value auto, cpu, gpu or gpu:N (null or empty: auto)
	 * @return the device
	 * @throws MedCnnException (usage) naming the accepted values
	 */
	public static DeviceSpec device(String value) throws MedCnnException {
		try {
			return DeviceSpec.parse(value);
		} catch (IllegalArgumentException e) {
			throw MedCnnException.usage(e.getMessage());
		}
	}

	/**
	 * Turns the four uncertainty parameters into options.
	 *
	 * @param mode none, tta, mc_dropout or ensemble (null or empty: none)
	 * @param passes passes of tta and mc_dropout
	 * @param seed seed of the augmentations and dropout masks
	 * @param threshold the flag threshold in nats; negative or NaN: the one the model card states
	 * @return the options
	 * @throws MedCnnException (usage) naming the parameter that is wrong
	 */
	public static UncertaintyOptions uncertainty(String mode, int passes, long seed, double threshold) throws MedCnnException {
		if (Double.isInfinite(threshold)) throw MedCnnException.usage("uncertainty_threshold must be a finite number of nats (negative: the model card's), got " + threshold);
		try {
			inRange("uncertainty_passes", passes, UNCERTAINTY_PASSES_MIN, UNCERTAINTY_PASSES_MAX);
			return new UncertaintyOptions(UncertaintyMode.parse(mode), passes, seed, threshold < 0 || Double.isNaN(threshold) ? Double.NaN : threshold);
		} catch (IllegalArgumentException e) {
			throw MedCnnException.usage(e.getMessage());
		}
	}

	/**
	 * Checks a fraction or share.
	 *
	 * @param key the parameter
	 * @param value the value
	 * @param min smallest allowed
	 * @param max largest allowed
	 * @return the value
	 * @throws MedCnnException (usage) when it is not a finite number in range
	 */
	public static double inRange(String key, double value, double min, double max) throws MedCnnException {
		if (!(value >= min && value <= max)) {
			throw MedCnnException.usage(String.format(Locale.ROOT, "%s must be a number from %s to %s, got %s", key, plain(min), plain(max), value));
		}
		return value;
	}

	private static String plain(double v) {
		return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
	}
}
