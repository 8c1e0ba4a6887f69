package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.app.EvaluateTask;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.core.Messages;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.Bootstrap;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.io.EvaluationText;
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

	@Option(names = "--bootstrap", defaultValue = "" + Parameters.BOOTSTRAP, paramLabel = "N", description = "Bootstrap resamples of the intervals (default: ${DEFAULT-VALUE}; 0 for none).")
	private int bootstrap;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for report.html with its figures (PNG), metrics.csv, "
		+ "confusion.csv, predictions.csv, reliability.csv, risk_coverage.csv.")
	private Path output;

	@Option(names = "--device", defaultValue = Parameters.DEVICE, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "" + Parameters.BATCH_SIZE, description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Option(names = "--seed", defaultValue = "" + Parameters.BOOTSTRAP_SEED, description = "Bootstrap seed (default: ${DEFAULT-VALUE}).")
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
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			EvaluateTask.Builder b = EvaluateTask.builder().setModel(model).optDevice(device).optBatchSize(batchSize)
				.optUncertainty(uncertaintyOptions.mode, uncertaintyOptions.passes, uncertaintyOptions.seed, uncertaintyOptions.threshold).optLabelMap(labelMap)
				.optPositive(String.join(",", positive)).optBootstrap(bootstrap, seed).optOutput(output, true, overwrite).optOodData(oodData);
			if (dataDir != null) b.setDataDir(dataDir);
			if (dataCsv != null || part != null || dataRoot != null) b.setDataCsv(dataCsv, part, dataRoot);
			EvaluateTask.Request r = b.build();
			EvaluateTask.Result result = new EvaluateTask(provider).run(r, ProgressListener.NONE, Cancellation.NEVER);
			for (String w : result.warnings()) err.println(Messages.oneLine("medcnn evaluate: warning: " + w));
			Evaluator.Evaluation ev = result.evaluation();
			out.printf("model %s (%s) on %s%n", result.context().model(), result.context().sha(), r.data());
			if (r.mapped()) {
				out.println("  label map: " + result.labels().mapping() + (result.labels().leftOut().isEmpty() ? "" : "; left out: " + result.labels().leftOut() + " files"));
			}
			out.print(EvaluationText.metrics(ev.metrics(), "evaluation"));
			out.print(EvaluationText.flags(ev, result.context().model()));
			if (!r.positives().isEmpty()) out.print(EvaluationText.binary(ev.metrics().binary(r.positives())));
			Evaluator.ForeignOod foreign = result.foreign();
			if (foreign != null) {
				out.printf(Locale.ROOT, "  foreign data %s: %d of %d slices flagged (%.1f %%), AUROC of ood_score %.4f%s%n", r.oodData(),
					Math.round(foreign.flagged() * foreign.slices()), foreign.slices(), 100 * foreign.flagged(), foreign.auroc(),
					foreign.skipped().isEmpty() ? "" : " (" + foreign.skipped().size() + " unreadable file(s) skipped)");
			}
			out.println("  intervals: " + Bootstrap.METHOD + " (" + r.bootstrap() + " resamples, seed " + r.seed() + ")");
			out.println("wrote " + result.written().stream().map(p -> p.getFileName().toString()).reduce((a, c) -> a + ", " + c).orElse("nothing")
				+ " (with the report's figures) in " + output);
			return ExitCodes.OK;
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
	}
}
