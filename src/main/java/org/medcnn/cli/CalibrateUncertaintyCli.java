package org.medcnn.cli;

import ai.djl.translate.TranslateException;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.UncertaintyCalibrator;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.io.AtomicFiles;
import org.medcnn.io.ImageSampleReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn calibrate-uncertainty}: chooses the flag threshold of each uncertainty mode on a
 * package's validation split and records thresholds and test results in its card.
 */
@Command(name = "calibrate-uncertainty", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Choose the 'uncertain' flag threshold of each uncertainty mode on a model's validation split (its split.csv) for a target coverage, "
		+ "measure each mode on the test split, and write both into the model card (the old card is kept as model.json.bak).")
public final class CalibrateUncertaintyCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "DIR", description = "The model package folder (its card is updated).")
	private Path model;

	@Option(names = "--data-root", required = true, paramLabel = "DIR", description = "The data folder the package's split.csv paths start from.")
	private Path dataRoot;

	@Option(names = "--modes", defaultValue = "tta,mc_dropout", split = ",", description = "Modes to calibrate (default: ${DEFAULT-VALUE}).")
	private List<String> modes = new ArrayList<>();

	@Option(names = "--target-coverage", defaultValue = "0.9", description = "Fraction of validation slices to keep unflagged (default: ${DEFAULT-VALUE}).")
	private double coverage;

	@Option(names = "--passes", defaultValue = "" + UncertaintyOptions.DEFAULT_PASSES, description = "Passes of tta and mc_dropout (default: ${DEFAULT-VALUE}).")
	private int passes;

	@Option(names = "--seed", defaultValue = "0", description = "Seed of tta and mc_dropout (default: ${DEFAULT-VALUE}).")
	private long seed;

	@Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "16", description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Override
	public Integer call() throws IOException {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		List<UncertaintyOptions> options = new ArrayList<>();
		DeviceSpec dev;
		List<Sample> validation;
		List<Sample> test;
		Path split = model.resolve("split.csv");
		try {
			dev = DeviceSpec.parse(device);
			if (!(coverage > 0 && coverage <= 1)) throw new IllegalArgumentException("--target-coverage must be in (0, 1], got " + coverage);
			for (String m : modes) options.add(new UncertaintyOptions(UncertaintyMode.parse(m), passes, seed, Double.NaN));
			validation = Datasets.readCsv(split, dataRoot, "validation");
			test = Datasets.readCsv(split, dataRoot, "test");
		} catch (IllegalArgumentException | IOException e) {
			CliErrors.report(err, e, "medcnn calibrate-uncertainty: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		List<UncertaintyCalibrator.ModeResult> results;
		try (ModelProvider provider = new ModelProvider(new ModelRepository(List.of()))) {
			Ensemble loaded;
			try {
				loaded = provider.loadAll(model.toString(), dev);
			} catch (ModelLoadException e) {
				CliErrors.report(err, e, "medcnn calibrate-uncertainty: " + e.getMessage());
				return ExitCodes.MODEL;
			}
			CliErrors.deviceWarnings(err, "medcnn calibrate-uncertainty", loaded.models());
			try {
				results = new UncertaintyCalibrator(loaded, new ImageSampleReader(), batchSize).calibrate(validation, test, options, coverage, (m, d, t) -> { },
					Cancellation.NEVER);
			} catch (IllegalArgumentException e) {
				CliErrors.report(err, e, "medcnn calibrate-uncertainty: " + e.getMessage());
				return ExitCodes.USAGE;
			} catch (TranslateException e) {
				CliErrors.report(err, e, "medcnn calibrate-uncertainty: inference failed: " + e.getMessage());
				return ExitCodes.INFERENCE;
			}
		}
		Path cardFile = model.resolve(ModelPackage.CARD);
		JsonObject card = JsonParser.parseString(Files.readString(cardFile, StandardCharsets.UTF_8)).getAsJsonObject();
		JsonObject u = new JsonObject();
		u.addProperty("flag", "uncertain = 1 when the predictive entropy (nats) of the mode's samples is above the mode's threshold");
		u.addProperty("chosen_on", String.format(Locale.ROOT, "validation part of split.csv: the threshold keeps %.0f %% of the validation slices unflagged "
			+ "(medcnn calibrate-uncertainty, %s)", 100 * coverage, LocalDate.now()));
		JsonObject thresholds = new JsonObject();
		JsonObject metrics = card.has("metrics") && card.get("metrics").isJsonObject() ? card.getAsJsonObject("metrics") : new JsonObject();
		JsonObject testModes = new JsonObject();
		for (UncertaintyCalibrator.ModeResult r : results) {
			String key = r.options().mode().key();
			thresholds.add(key, r.thresholdJson());
			testModes.add(key, r.testJson());
			out.printf(Locale.ROOT, "%-10s threshold %.4f nats: validation %.1f %% kept (accuracy kept %.4f); test %.1f %% kept, accuracy kept %.4f, flagged %.4f; "
				+ "test accuracy %.4f, macro F1 %.4f, ECE %.4f, AURC %.4f%n", key, r.threshold(), 100 * r.validation().flagCoverage(), r.validation().flagAccuracy(),
				100 * r.test().flagCoverage(), r.test().flagAccuracy(), r.test().flaggedAccuracy(), r.test().metrics().accuracy(), r.test().metrics().macroF1(),
				r.test().metrics().ece(), r.test().riskCoverage().aurc());
		}
		u.add("thresholds", thresholds);
		card.add("uncertainty", u);
		metrics.add("test_uncertainty", testModes);
		card.add("metrics", metrics);
		Files.copy(cardFile, model.resolve("model.json.bak"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
		String text = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(card) + "\n";
		AtomicFiles.write(cardFile, true, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
		try {
			ModelPackage.open(model);
		} catch (ModelLoadException e) {
			CliErrors.report(err, e, "medcnn calibrate-uncertainty: the updated card does not verify (old card in model.json.bak): " + e.getMessage());
			return ExitCodes.OUTPUT;
		}
		out.println("updated " + cardFile + " (previous card: model.json.bak)");
		return ExitCodes.OK;
	}
}
