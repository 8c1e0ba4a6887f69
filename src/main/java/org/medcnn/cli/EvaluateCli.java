package org.medcnn.cli;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.io.EvaluationOutputs;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.io.TrainingOutputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn evaluate}: metrics of a model on a labelled image folder or CSV list.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Evaluate a model (or several, comma-separated) on labelled images: per-class metrics, confusion matrix, predictions, reliability and risk-coverage data.")
public final class EvaluateCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id or package folder.")
	private String model;

	@Option(names = "--data-dir", paramLabel = "DIR", description = "Image folder with one sub-folder per class.")
	private Path dataDir;

	@Option(names = "--data-csv", paramLabel = "CSV", description = "Instead of --data-dir: a test list with columns path,label[,group] (or a model's split.csv with --part).")
	private Path dataCsv;

	@Option(names = "--part", paramLabel = "PART", description = "Only the rows of --data-csv whose part column is PART, e.g. test for the held-out split of a split.csv.")
	private String part;

	@Option(names = "--data-root", paramLabel = "DIR", description = "Folder the relative paths of --data-csv start from (default: the CSV's folder).")
	private Path dataRoot;

	@CommandLine.Mixin
	private UncertaintyCliOptions uncertaintyOptions = new UncertaintyCliOptions();

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for metrics.csv, confusion.csv, predictions.csv, reliability.csv.")
	private Path output;

	@Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "16", description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Option(names = "--seed", defaultValue = "42", description = "Bootstrap seed (default: ${DEFAULT-VALUE}).")
	private long seed;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--overwrite", description = "Replace existing output files.")
	private boolean overwrite;

	@Option(names = "--ood-data", paramLabel = "DIR", description = "A folder of images known to be foreign to the model (any readable files, searched "
		+ "recursively): the share of their slices flagged out_of_distribution and the AUROC of ood_score between the evaluated slices and them "
		+ "(ood.csv). Needs a model with an out-of-distribution detector.")
	private Path oodData;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		DeviceSpec dev;
		UncertaintyOptions uncertainty;
		try {
			dev = DeviceSpec.parse(device);
			uncertainty = uncertaintyOptions.options();
			if ((dataDir == null) == (dataCsv == null)) throw new IllegalArgumentException("give exactly one of --data-dir and --data-csv");
			if (dataCsv == null && (part != null || dataRoot != null)) throw new IllegalArgumentException("--part and --data-root go with --data-csv");
			if (oodData != null && !java.nio.file.Files.isDirectory(oodData)) throw new IllegalArgumentException("--ood-data " + oodData + ": not a folder");
			for (String name : List.of("metrics.csv", "confusion.csv", "predictions.csv", "reliability.csv", "risk_coverage.csv", "ood.csv")) {
				if (dataCsv != null) org.medcnn.core.OutputGuard.refuseInput(output.resolve(name), dataCsv, "--output folder");
			}
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn evaluate: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		List<Sample> samples;
		try {
			samples = dataCsv != null ? Datasets.readCsv(dataCsv, dataRoot, part) : Datasets.scanFolder(dataDir);
		} catch (IOException | IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn evaluate: " + e.getMessage());
			return ExitCodes.BAD_INPUT;
		}
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			Ensemble loaded;
			try {
				loaded = provider.loadAll(model, dev);
			} catch (ModelLoadException | IllegalArgumentException e) {
				CliErrors.report(err, e, "medcnn evaluate: " + e.getMessage());
				return ExitCodes.MODEL;
			}
			CliErrors.deviceWarnings(err, "medcnn evaluate", loaded.models());
			Evaluator.Evaluation ev;
			try {
				ev = new Evaluator(loaded, new ImageSampleReader(), batchSize, uncertainty).evaluate(samples, 1000, seed, (m, d, t) -> { }, Cancellation.NEVER);
			} catch (IllegalArgumentException e) {
				CliErrors.report(err, e, "medcnn evaluate: " + e.getMessage());
				return ExitCodes.BAD_INPUT;
			} catch (TranslateException e) {
				CliErrors.report(err, e, "medcnn evaluate: inference failed: " + e.getMessage());
				return ExitCodes.INFERENCE;
			}
			Evaluator.ForeignOod foreign = null;
			if (oodData != null) {
				try {
					foreign = new Evaluator(loaded, new ImageSampleReader(), batchSize, UncertaintyOptions.NONE).foreign(ev,
						FitOodCli.listFiles(oodData).stream().map(Sample::file).toList(), (m, d, t) -> { }, Cancellation.NEVER);
				} catch (IOException | IllegalArgumentException e) {
					err.println("medcnn evaluate: --ood-data: " + e.getMessage());
					return ExitCodes.BAD_INPUT;
				} catch (TranslateException e) {
					err.println("medcnn evaluate: inference failed: " + e.getMessage());
					return ExitCodes.INFERENCE;
				}
			}
			try {
				EvaluationOutputs.write(ev, output, overwrite);
				if (foreign != null) EvaluationOutputs.writeForeign(ev, foreign, oodData, output, overwrite);
			} catch (IOException e) {
				CliErrors.report(err, e, "medcnn evaluate: " + e.getMessage());
				return ExitCodes.OUTPUT;
			}
			if (!ev.skipped().isEmpty()) {
				err.println("medcnn evaluate: skipped " + ev.skipped().size() + " unreadable image(s):");
				ev.skipped().stream().limit(20).forEach(s -> err.println("  " + s));
			}
			out.printf("model %s (%s) on %s%s%n", loaded.id(), loaded.shortSha(), dataCsv != null ? dataCsv : dataDir, part == null ? "" : " (part " + part + ")");
			out.print(TrainingOutputs.summary(ev.metrics()));
			out.printf(java.util.Locale.ROOT, "  ECE %.4f calibrated, %.4f with temperature 1; risk-coverage AURC %.4f (ranked by %s), accuracy of the most confident 80 %%: %.4f%n",
				ev.metrics().ece(), ev.eceUncalibrated(), ev.riskCoverage().aurc(), ev.riskCoverage().score(), ev.riskCoverage().accuracyAt(0.8));
			if (uncertainty.enabled()) {
				out.printf(java.util.Locale.ROOT, "  uncertainty %s: flag threshold %s nats, %.1f %% unflagged, accuracy of the unflagged %.4f%n", uncertainty.mode().key(),
					Double.isNaN(ev.flagThreshold()) ? "unknown" : String.format(java.util.Locale.ROOT, "%.4f", ev.flagThreshold()), 100 * ev.flagCoverage(), ev.flagAccuracy());
			}
			if (ev.oodScored() > 0) {
				out.printf(java.util.Locale.ROOT, "  out of distribution: %d of %d slices flagged (%.1f %%); accuracy of the kept %.4f, of the flagged %s%n", ev.oodFlagged(),
					ev.oodScored(), 100.0 * ev.oodFlagged() / ev.oodScored(), ev.oodAccuracy(0),
					Double.isNaN(ev.oodAccuracy(1)) ? "n/a (none flagged)" : String.format(java.util.Locale.ROOT, "%.4f", ev.oodAccuracy(1)));
			} else {
				out.println("  out of distribution: not checked (" + loaded.id() + " has no detector; add one with medcnn fit-ood)");
			}
			if (foreign != null) {
				out.printf(java.util.Locale.ROOT, "  foreign data %s: %d of %d slices flagged (%.1f %%), AUROC of ood_score %.4f%s%n", oodData,
					Math.round(foreign.flagged() * foreign.slices()), foreign.slices(), 100 * foreign.flagged(), foreign.auroc(),
					foreign.skipped().isEmpty() ? "" : " (" + foreign.skipped().size() + " unreadable file(s) skipped)");
			}
			out.println("wrote " + output.resolve("metrics.csv") + ", confusion.csv, predictions.csv, reliability.csv, risk_coverage.csv" + (foreign != null ? ", ood.csv" : ""));
			return ExitCodes.OK;
		}
	}
}
