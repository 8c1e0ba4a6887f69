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
import org.medcnn.core.eval.LabelMap;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.io.EvaluationOutputs;
import org.medcnn.io.EvaluationReport;
import org.medcnn.io.EvaluationText;
import org.medcnn.io.ImageSampleReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn evaluate}: metrics of a model on a labelled image folder or CSV list.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Evaluate a model (or several, comma-separated) on labelled images: report.html with figures (PNG), every metric with its bootstrap "
		+ "interval, confusion matrix, predictions, reliability and risk-coverage data.")
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

	@Option(names = "--label-map", paramLabel = "MAP|CSV", description = "Maps the data's labels (folder names, or the label column) to the model's "
		+ "classes: 'a=x,b=x,c=y', or a CSV with the columns label,class; a label mapped to - is left out.")
	private String labelMap;

	@Option(names = "--positive", paramLabel = "CLASS[,CLASS...]", split = ",", description = "Adds a binary report (sensitivity, specificity, PPV, NPV, "
		+ "with intervals; binary.csv) of these classes against the others.")
	private List<String> positive = new ArrayList<>();

	@Option(names = "--bootstrap", defaultValue = "1000", paramLabel = "N", description = "Bootstrap resamples of the intervals (default: ${DEFAULT-VALUE}; 0 for none).")
	private int bootstrap;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for report.html with its figures (PNG), metrics.csv, "
		+ "confusion.csv, predictions.csv, reliability.csv, risk_coverage.csv.")
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
			if (bootstrap < 0 || bootstrap > 100000) throw new IllegalArgumentException("--bootstrap must be between 0 and 100000, got " + bootstrap);
			List<String> names = new ArrayList<>(EvaluationOutputs.FILES);
			names.addAll(EvaluationReport.possibleFiles(!positive.isEmpty()));
			names.add("ood.csv");
			for (String name : names) {
				if (dataCsv != null) org.medcnn.core.OutputGuard.refuseInput(output.resolve(name), dataCsv, "--output folder");
			}
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn evaluate: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		if (!overwrite) {
			List<String> existing = new ArrayList<>();
			for (String name : EvaluationOutputs.FILES) if (java.nio.file.Files.exists(output.resolve(name))) existing.add(name);
			for (String name : EvaluationReport.possibleFiles(!positive.isEmpty())) if (java.nio.file.Files.exists(output.resolve(name))) existing.add(name);
			if (oodData != null && java.nio.file.Files.exists(output.resolve("ood.csv"))) existing.add("ood.csv");
			if (!existing.isEmpty()) {
				err.println("medcnn evaluate: " + output + " already holds " + String.join(", ", existing) + "; not overwritten (use --overwrite to replace them)");
				return ExitCodes.OUTPUT;
			}
		}
		List<Sample> samples;
		LabelMap map;
		try {
			samples = dataCsv != null ? Datasets.readCsv(dataCsv, dataRoot, part) : Datasets.scanFolder(dataDir);
			map = labelMap == null ? LabelMap.identity() : LabelMap.of(labelMap);
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
			LabelMap.Result labels;
			try {
				labels = map.apply(samples, loaded.primary().card().classes());
				for (String p : positive) {
					if (!loaded.primary().card().classes().contains(p.trim())) {
						throw new IllegalArgumentException("--positive: '" + p.trim() + "' is not a class of " + loaded.id() + " " + loaded.primary().card().classes());
					}
				}
			} catch (IllegalArgumentException e) {
				CliErrors.report(err, e, "medcnn evaluate: " + e.getMessage());
				return ExitCodes.USAGE;
			}
			Evaluator.Evaluation ev;
			try {
				ev = new Evaluator(loaded, new ImageSampleReader(), batchSize, uncertainty).evaluate(labels.samples(), bootstrap, seed, (m, d, t) -> { }, Cancellation.NEVER);
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
			String data = (dataCsv != null ? dataCsv.toString() : dataDir.toString()) + (part == null ? "" : " (part " + part + ")");
			EvaluationReport.Context context = new EvaluationReport.Context(loaded.id(), loaded.models().size() == 1 ? loaded.primary().card().version() : null,
				loaded.shortSha(), data, labelMap == null ? null : labels, positive.stream().map(String::trim).toList(),
				loaded.models().size() == 1 ? EvaluationReport.readHistory(loaded.primary().dir().resolve("training_history.csv")) : null, foreign, oodData);
			try {
				EvaluationOutputs.write(ev, output, overwrite);
				if (foreign != null) EvaluationOutputs.writeForeign(ev, foreign, oodData, output, overwrite);
				EvaluationReport.write(ev, context, output, overwrite);
			} catch (IOException e) {
				CliErrors.report(err, e, "medcnn evaluate: " + e.getMessage());
				return ExitCodes.OUTPUT;
			}
			if (!ev.skipped().isEmpty()) {
				err.println("medcnn evaluate: skipped " + ev.skipped().size() + " unreadable image(s):");
				ev.skipped().stream().limit(20).forEach(s -> err.println("  " + s));
			}
			out.printf("model %s (%s) on %s%n", loaded.id(), loaded.shortSha(), data);
			if (labelMap != null) out.println("  label map: " + labels.mapping() + (labels.leftOut().isEmpty() ? "" : "; left out: " + labels.leftOut() + " files"));
			out.print(EvaluationText.metrics(ev.metrics(), "evaluation"));
			out.print(EvaluationText.flags(ev, loaded.id()));
			if (!context.positives().isEmpty()) out.print(EvaluationText.binary(ev.metrics().binary(context.positives())));
			if (foreign != null) {
				out.printf(java.util.Locale.ROOT, "  foreign data %s: %d of %d slices flagged (%.1f %%), AUROC of ood_score %.4f%s%n", oodData,
					Math.round(foreign.flagged() * foreign.slices()), foreign.slices(), 100 * foreign.flagged(), foreign.auroc(),
					foreign.skipped().isEmpty() ? "" : " (" + foreign.skipped().size() + " unreadable file(s) skipped)");
			}
			out.println("  intervals: " + org.medcnn.core.eval.Bootstrap.METHOD + " (" + bootstrap + " resamples, seed " + seed + ")");
			out.println("wrote " + output.resolve(EvaluationReport.HTML) + " (with its figures), metrics.csv, confusion.csv, predictions.csv, reliability.csv, "
				+ "risk_coverage.csv" + (context.positives().isEmpty() ? "" : ", binary.csv") + (foreign != null ? ", ood.csv" : ""));
			return ExitCodes.OK;
		}
	}
}
