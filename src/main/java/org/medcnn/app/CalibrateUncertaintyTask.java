package org.medcnn.app;

import ai.djl.translate.TranslateException;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.UncertaintyCalibrator;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.io.AtomicFiles;
import org.medcnn.io.ImageSampleReader;

/**
 * Chooses the flag threshold of each uncertainty mode on a package's validation part for a target
 * coverage, measures each mode on the test part, and records both in the card (medcnn
 * calibrate-uncertainty); the previous card is kept as {@code model.json.bak}.
 */
public final class CalibrateUncertaintyTask {

	/** Default {@code modes}. */
	public static final String MODES = "tta,mc_dropout";
	/** Default {@code target_coverage}. */
	public static final double TARGET_COVERAGE = 0.9;

	private final ModelProvider provider;

	/**
	 * @param provider the session's models
	 */
	public CalibrateUncertaintyTask(ModelProvider provider) {
		this.provider = provider;
	}

	/** What to calibrate; build with {@link #builder()}. */
	public static final class Request {
		private final Path model;
		private final Path dataRoot;
		private final List<UncertaintyOptions> modes;
		private final double coverage;
		private final DeviceSpec device;
		private final int batchSize;

		private Request(Path model, Path dataRoot, List<UncertaintyOptions> modes, double coverage, DeviceSpec device, int batchSize) {
			this.model = model;
			this.dataRoot = dataRoot;
			this.modes = List.copyOf(modes);
			this.coverage = coverage;
			this.device = device;
			this.batchSize = batchSize;
		}

		/** @return the modes to calibrate */
		public List<UncertaintyOptions> modes() {
			return modes;
		}
	}

	/**
	 * What was chosen and written.
	 *
	 * @param modes per mode its threshold and its validation and test figures
	 * @param warnings what the user should know (e.g. a GPU that was not used)
	 * @param written the card and its backup
	 */
	public record Result(List<UncertaintyCalibrator.ModeResult> modes, List<String> warnings, List<Path> written) {}

	/** @return a builder with the defaults of this class and {@link Parameters} */
	public static Builder builder() {
		return new Builder();
	}

	/** Builds a {@link Request}. */
	public static final class Builder extends EngineBuilder<Builder> {
		private Path model;
		private Path dataRoot;
		private List<String> modes = List.of(MODES.split(","));
		private double coverage = TARGET_COVERAGE;
		private int passes = Parameters.UNCERTAINTY_PASSES;
		private long seed = Parameters.UNCERTAINTY_SEED;

		private Builder() {}

		@Override
		protected Builder self() {
			return this;
		}

		/**
		 * @param model the package folder (its card is updated)
		 * @param dataRoot the folder that the package's split.csv paths start from
		 * @return this builder
		 */
		public Builder setModel(Path model, Path dataRoot) {
			this.model = model;
			this.dataRoot = dataRoot;
			return this;
		}

		/**
		 * @param modes the modes to calibrate (tta, mc_dropout, ensemble)
		 * @param passes passes of tta and mc_dropout
		 * @param seed seed of tta and mc_dropout
		 * @return this builder
		 */
		public Builder optModes(List<String> modes, int passes, long seed) {
			this.modes = List.copyOf(modes);
			this.passes = passes;
			this.seed = seed;
			return this;
		}

		/**
		 * @param coverage the share of validation slices kept unflagged, in (0, 1]
		 * @return this builder
		 */
		public Builder optTargetCoverage(double coverage) {
			this.coverage = coverage;
			return this;
		}

		/**
		 * @return the request
		 * @throws MedCnnException (usage) naming the parameter that is missing or wrong
		 */
		public Request build() throws MedCnnException {
			if (model == null) throw MedCnnException.usage("model is missing");
			if (dataRoot == null) throw MedCnnException.usage("data_root is missing");
			if (!Files.isDirectory(model)) throw MedCnnException.usage("model: " + model + " is not a folder");
			if (!(coverage > 0 && coverage <= 1)) throw MedCnnException.usage("target_coverage must be in (0, 1], got " + coverage);
			DeviceSpec dev = Parameters.device(device);
			int batch = Parameters.batchSize(batchSize);
			Parameters.inRange("passes", passes, Parameters.UNCERTAINTY_PASSES_MIN, Parameters.UNCERTAINTY_PASSES_MAX);
			if (modes.isEmpty()) throw MedCnnException.usage("modes: give at least one of tta, mc_dropout, ensemble");
			List<UncertaintyOptions> options = new ArrayList<>();
			Set<UncertaintyMode> seen = new LinkedHashSet<>();
			for (String m : modes) {
				UncertaintyMode mode;
				try {
					mode = UncertaintyMode.parse(m.trim());
				} catch (IllegalArgumentException e) {
					throw MedCnnException.usage("modes: " + e.getMessage());
				}
				if (mode == UncertaintyMode.NONE) throw MedCnnException.usage("modes: 'none' has no threshold to calibrate");
				if (seen.add(mode)) options.add(new UncertaintyOptions(mode, passes, seed, Double.NaN));
			}
			return new Request(model, dataRoot, options, coverage, dev, batch);
		}
	}

	/**
	 * Calibrates, measures and writes the card.
	 *
	 * @param r the request
	 * @param progress told how far the passes are
	 * @param cancellation checked between batches
	 * @return the figures and what was written
	 * @throws MedCnnException naming what failed: the split (input), the package (model), the engine
	 *         (inference), the card (output) or the user (cancelled)
	 */
	public Result run(Request r, ProgressListener progress, Cancellation cancellation) throws MedCnnException {
		Path split = r.model.resolve("split.csv");
		List<Sample> validation;
		List<Sample> test;
		try {
			validation = Datasets.readCsv(split, r.dataRoot, "validation");
			test = Datasets.readCsv(split, r.dataRoot, "test");
		} catch (IOException | IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
		}
		Ensemble loaded;
		try {
			loaded = provider.loadAll(r.model.toString(), r.device);
		} catch (ModelLoadException | IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.MODEL, e.getMessage(), e);
		}
		List<String> warnings = new ArrayList<>();
		for (ClassifierModel m : loaded.models()) if (m.fallbackWarning() != null && !warnings.contains(m.fallbackWarning())) warnings.add(m.fallbackWarning());
		List<UncertaintyCalibrator.ModeResult> results;
		try {
			results = new UncertaintyCalibrator(loaded, new ImageSampleReader(), r.batchSize).calibrate(validation, test, r.modes, r.coverage, progress,
				cancellation);
		} catch (IllegalArgumentException e) {
			// e.g. the ensemble mode asked of a single model
			throw new MedCnnException(MedCnnException.Kind.USAGE, e.getMessage(), e);
		} catch (TranslateException e) {
			throw new MedCnnException(MedCnnException.Kind.INFERENCE, "inference failed: " + e.getMessage(), e);
		} catch (CancellationException e) {
			throw new MedCnnException(MedCnnException.Kind.CANCELLED, "cancelled; the card is unchanged", e);
		}
		Path card = r.model.resolve(ModelPackage.CARD);
		Path backup = r.model.resolve(FitOodTask.CARD_BACKUP);
		try {
			writeCard(card, backup, results, r.coverage);
			ModelPackage.open(r.model);
		} catch (IOException | JsonParseException | IllegalStateException e) {
			throw new MedCnnException(MedCnnException.Kind.OUTPUT, card + ": " + e.getMessage(), e);
		} catch (ModelLoadException e) {
			throw new MedCnnException(MedCnnException.Kind.OUTPUT, "the updated card does not verify (old card in " + FitOodTask.CARD_BACKUP + "): " + e.getMessage(), e);
		}
		return new Result(List.copyOf(results), List.copyOf(warnings), List.of(card, backup));
	}

	/** Replaces the card's {@code uncertainty} section and its test figures, keeping the old card as the backup. */
	private static void writeCard(Path cardFile, Path backup, List<UncertaintyCalibrator.ModeResult> results, double coverage) throws IOException {
		JsonObject card = JsonParser.parseString(Files.readString(cardFile, StandardCharsets.UTF_8)).getAsJsonObject();
		JsonObject u = new JsonObject();
		u.addProperty("flag", "uncertain = 1 when the predictive entropy (nats) of the mode's samples is above the mode's threshold");
		u.addProperty("chosen_on", String.format(Locale.ROOT, "validation part of split.csv: the threshold keeps %.0f %% of the validation slices unflagged "
			+ "(medcnn calibrate-uncertainty, %s)", 100 * coverage, LocalDate.now()));
		JsonObject thresholds = new JsonObject();
		JsonObject metrics = card.has("metrics") && card.get("metrics").isJsonObject() ? card.getAsJsonObject("metrics") : new JsonObject();
		JsonObject testModes = new JsonObject();
		for (UncertaintyCalibrator.ModeResult m : results) {
			String key = m.options().mode().key();
			thresholds.add(key, m.thresholdJson());
			testModes.add(key, m.testJson());
		}
		u.add("thresholds", thresholds);
		card.add("uncertainty", u);
		metrics.add("test_uncertainty", testModes);
		card.add("metrics", metrics);
		Files.copy(cardFile, backup, StandardCopyOption.REPLACE_EXISTING);
		String text = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(card) + "\n";
		AtomicFiles.write(cardFile, true, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
	}
}
