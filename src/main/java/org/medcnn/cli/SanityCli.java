package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.app.SaliencySettings;
import org.medcnn.app.SanityTask;
import org.medcnn.core.Messages;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.explain.SanityReport;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn sanity}: the model-parameter randomisation test (Adebayo et al. 2018) and the
 * deletion / insertion AUCs (Petsiuk et al. 2018) of the saliency methods, on a few slices of an image
 * file. Prints the table; with {@code --output}, also writes {@code <name>_sanity.csv}. Exits 0 when
 * the check ran, whatever the verdicts (they are in the table and on stdout).
 */
@Command(name = "sanity", mixinStandardHelpOptions = true,
	description = "Sanity check of the saliency methods: randomisation test (Spearman, SSIM) and deletion/insertion AUC, as a table.")
public final class SanityCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id or model package folder.")
	private String model;

	@Option(names = "--input", required = true, paramLabel = "FILE", description = "Image file whose slices are explained.")
	private Path input;

	@Option(names = "--output", paramLabel = "DIR", description = "Folder for <name>_sanity.csv (optional).")
	private Path output;

	@Option(names = "--methods", defaultValue = SanityTask.METHODS, description = "'all' or a comma-separated list of methods (default: ${DEFAULT-VALUE}).")
	private String methods;

	@Option(names = "--max-slices", defaultValue = "" + SanityTask.MAX_SLICES, description = "Slices, evenly spaced, to average over (default: ${DEFAULT-VALUE}).")
	private int maxSlices;

	@Option(names = "--blocks", defaultValue = "" + SanityTask.BLOCKS, description = "Trunk blocks randomised after the head, from the last (default: ${DEFAULT-VALUE}).")
	private int blocks;

	@Option(names = "--repeats", defaultValue = "" + SanityTask.REPEATS, description = "Independent randomisations averaged (default: ${DEFAULT-VALUE}).")
	private int repeats;

	@Option(names = "--max-correlation", defaultValue = "" + SanityTask.MAX_CORRELATION, description = "Fail a method whose mean Spearman at the last stage is at least this (default: ${DEFAULT-VALUE}).")
	private double maxCorrelation;

	@Option(names = "--auc-steps", defaultValue = "" + SanityTask.AUC_STEPS, description = "Points of the deletion and insertion curves (default: ${DEFAULT-VALUE}).")
	private int aucSteps;

	@Mixin
	private SaliencyOptions options;

	@Option(names = "--device", defaultValue = Parameters.DEVICE, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--overwrite", description = "Replace an existing CSV (default: refuse).")
	private boolean overwrite;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			SanityTask.Request r = SanityTask.builder().setModel(model).setInput(input, output).optDevice(device).optMethods(methods)
				.optSettings(options.settings(SaliencySettings.METHOD, SaliencySettings.TOP_PERCENT, 0))
				.optCheck(maxSlices, blocks, repeats, maxCorrelation, aucSteps).optOverwrite(overwrite).build();
			SanityTask.Result result = new SanityTask(provider).run(r, ProgressListener.NONE, Cancellation.NEVER);
			for (String w : result.warnings()) err.println(Messages.oneLine("medcnn sanity: warning: " + w));
			print(result.report(), out);
			for (Path p : result.written()) out.println("wrote " + p);
			return ExitCodes.OK;
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
	}

	private static void print(SanityReport report, PrintWriter out) {
		out.printf(Locale.ROOT, "model %s (%s) on %s, %d slice(s); a method fails when its Spearman correlation at the last stage is >= %.2f%n",
			report.modelId(), report.modelSha(), report.device(), report.slices(), report.maxCorrelation());
		out.printf(Locale.ROOT, "%-22s %-40s %9s %7s %9s %9s  %s%n", "method", "randomised", "spearman", "ssim", "deletion", "insertion", "verdict");
		for (SanityReport.Row r : report.rows()) {
			out.printf(Locale.ROOT, "%-22s %-40s %9.3f %7.3f %9.3f %9.3f  %s%n", r.method(), r.randomised(), r.spearman(), r.ssim(), r.deletionAuc(),
				r.insertionAuc(), r.verdict());
		}
	}
}
