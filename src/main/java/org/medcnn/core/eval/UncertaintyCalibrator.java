package org.medcnn.core.eval;

import ai.djl.translate.TranslateException;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.medcnn.core.data.Sample;
import org.medcnn.core.data.SampleReader;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.FlagThresholds;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;

/**
 * Chooses the {@code uncertain} flag threshold of each uncertainty mode on a model's validation split
 * (the entropy that keeps a target fraction of the validation slices unflagged), then measures every
 * mode with its threshold on the test split. Both runs go through {@link Evaluator}, the same code path
 * as Classify Slices.
 */
public final class UncertaintyCalibrator {

	private final Ensemble models;
	private final SampleReader reader;
	private final int batchSize;

	/**
	 * @param models the model (one package, plain or ensemble)
	 * @param reader reads the images
	 * @param batchSize slices per engine call
	 */
	public UncertaintyCalibrator(Ensemble models, SampleReader reader, int batchSize) {
		this.models = models;
		this.reader = reader;
		this.batchSize = batchSize;
	}

	/**
	 * The outcome for one mode.
	 *
	 * @param options the mode, passes and seed
	 * @param threshold the chosen entropy threshold in nats
	 * @param targetCoverage the target coverage
	 * @param validation the validation evaluation, flagged with the threshold
	 * @param test the test evaluation, flagged with the threshold
	 */
	public record ModeResult(UncertaintyOptions options, double threshold, double targetCoverage, Evaluator.Evaluation validation, Evaluator.Evaluation test) {

		/** @return the card's {@code uncertainty.thresholds.<mode>} object */
		public JsonObject thresholdJson() {
			JsonObject o = new JsonObject();
			put(o, "entropy", threshold);
			if (options.mode() == UncertaintyMode.TTA || options.mode() == UncertaintyMode.MC_DROPOUT) {
				o.addProperty("passes", options.passes());
				o.addProperty("seed", options.seed());
			}
			o.addProperty("target_coverage", targetCoverage);
			o.addProperty("validation_slices", validation.rows().size());
			put(o, "validation_coverage", validation.flagCoverage());
			put(o, "validation_accuracy_kept", validation.flagAccuracy());
			put(o, "validation_accuracy_flagged", validation.flaggedAccuracy());
			return o;
		}

		/** @return the test metrics of the mode as a card object */
		public JsonObject testJson() {
			Metrics m = test.metrics();
			JsonObject o = new JsonObject();
			o.addProperty("images", m.count());
			put(o, "accuracy", m.accuracy());
			put(o, "macro_f1", m.macroF1());
			put(o, "ece", m.ece());
			put(o, "aurc", test.riskCoverage().aurc());
			put(o, "coverage_unflagged", test.flagCoverage());
			put(o, "accuracy_unflagged", test.flagAccuracy());
			put(o, "accuracy_flagged", test.flaggedAccuracy());
			return o;
		}
	}

	/**
	 * Calibrates and tests the given modes.
	 *
	 * @param validation the validation samples
	 * @param test the test samples
	 * @param modes the modes (each checked against the models)
	 * @param targetCoverage fraction of validation slices to keep unflagged, in (0, 1]
	 * @param progress progress per evaluation
	 * @param cancellation checked between files
	 * @return one result per mode
	 * @throws TranslateException if the engine fails
	 */
	public List<ModeResult> calibrate(List<Sample> validation, List<Sample> test, List<UncertaintyOptions> modes, double targetCoverage,
		ProgressListener progress, Cancellation cancellation) throws TranslateException {
		List<ModeResult> out = new ArrayList<>();
		for (UncertaintyOptions o : modes) {
			if (!o.enabled()) throw new IllegalArgumentException("uncertainty mode none has no flag to calibrate");
			Evaluator.Evaluation v = new Evaluator(models, reader, batchSize, o).evaluate(validation, 0, 42, progress, cancellation);
			double[] entropies = v.rows().stream().mapToDouble(r -> r.uncertainty().entropy()).toArray();
			double t = FlagThresholds.choose(entropies, targetCoverage);
			UncertaintyOptions fixed = new UncertaintyOptions(o.mode(), o.passes(), o.seed(), t);
			List<Evaluator.Row> flagged = new ArrayList<>();
			for (Evaluator.Row r : v.rows()) flagged.add(new Evaluator.Row(r.file(), r.slice(), r.truth(), r.probabilities(), r.uncalibrated(), r.uncertainty().flagged(t), r.oodScore()));
			v = new Evaluator.Evaluation(v.metrics(), flagged, v.skipped(), v.eceUncalibrated(), v.riskCoverage(), v.uncertainty(), t);
			Evaluator.Evaluation te = new Evaluator(models, reader, batchSize, fixed).evaluate(test, 1000, 42, progress, cancellation);
			out.add(new ModeResult(o, t, targetCoverage, v, te));
		}
		return out;
	}


	/** Adds a number rounded to 4 decimals; NaN (nothing to measure) is left out, since JSON has no NaN. */
	private static void put(JsonObject o, String key, double v) {
		if (!Double.isNaN(v)) o.addProperty(key, Math.round(v * 1e4) / 1e4);
	}
}
