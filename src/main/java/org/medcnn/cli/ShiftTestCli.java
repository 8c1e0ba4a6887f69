package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.app.ShiftTestTask;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.ShiftTest;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn shift-test}: robustness under graded synthetic shifts of a model's own test slices,
 * accuracy next to the share flagged out of distribution, as {@code shift.csv} and {@code shift.png}.
 */
@Command(name = "shift-test", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Classify a model's own test slices unchanged and under graded synthetic shifts (intensity window, gamma, blur, noise, resolution, "
		+ "JPEG quality, colour-map rendering) and write, per shift and strength, the accuracy and the share flagged out_of_distribution "
		+ "(shift.csv) with a plot (shift.png).")
public final class ShiftTestCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id or package folder.")
	private String model;

	@Option(names = "--data-root", paramLabel = "DIR", description = "The data folder the model's split.csv paths start from (tests its part --part).")
	private Path dataRoot;

	@Option(names = "--part", defaultValue = ShiftTestTask.PART, description = "The part of split.csv to test (default: ${DEFAULT-VALUE}).")
	private String part;

	@Option(names = "--data-dir", paramLabel = "DIR", description = "Instead of the split: an image folder with one sub-folder per class.")
	private Path dataDir;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for shift.csv and shift.png.")
	private Path output;

	@Option(names = "--families", split = ",", description = "Shift families to run (default: all): window, gamma, blur, noise, resolution, colormap, jpeg.")
	private List<String> families = new ArrayList<>();

	@Option(names = "--seed", defaultValue = "" + ShiftTestTask.SEED, description = "Seed of the noise (default: ${DEFAULT-VALUE}).")
	private long seed;

	@Option(names = "--device", defaultValue = Parameters.DEVICE, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "" + Parameters.BATCH_SIZE, description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--overwrite", description = "Replace existing output files.")
	private boolean overwrite;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			ShiftTestTask.Request r = ShiftTestTask.builder().setModel(model).optSplit(dataRoot, part).optDataDir(dataDir).setOutput(output).optFamilies(families)
				.optSeed(seed).optDevice(device).optBatchSize(batchSize).optOverwrite(overwrite).build();
			ShiftTestTask.Result result = new ShiftTestTask(provider).run(r,
				(m, d, t) -> err.printf(Locale.ROOT, "medcnn shift-test: %s (%d of %d)%n", m, d, t), Cancellation.NEVER);
			out.printf(Locale.ROOT, "%-11s %-5s %-46s %7s %8s %8s %9s%n", "shift", "level", "parameter", "slices", "accuracy", "macro_f1", "ood_flag");
			for (ShiftTest.Row row : result.result().rows()) {
				out.printf(Locale.ROOT, "%-11s %-5d %-46s %7d %8.4f %8.4f %9s%n", row.family(), row.level(), row.parameter(), row.slices(), row.accuracy(),
					row.macroF1(), Double.isNaN(row.oodFlagged()) ? "n/a" : String.format(Locale.ROOT, "%.4f", row.oodFlagged()));
			}
			if (!result.result().skipped().isEmpty()) err.println("medcnn shift-test: skipped " + result.result().skipped().size() + " unreadable image(s)");
			out.println("wrote " + result.written().get(0) + " and " + result.written().get(1));
			return ExitCodes.OK;
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
	}
}
