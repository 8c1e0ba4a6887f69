package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.app.CalibrateUncertaintyTask;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.core.Messages;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.UncertaintyCalibrator;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.UncertaintyOptions;
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

	@Option(names = "--modes", defaultValue = CalibrateUncertaintyTask.MODES, split = ",", description = "Modes to calibrate (default: ${DEFAULT-VALUE}).")
	private List<String> modes = new ArrayList<>();

	@Option(names = "--target-coverage", defaultValue = "" + CalibrateUncertaintyTask.TARGET_COVERAGE, description = "Fraction of validation slices to keep unflagged (default: ${DEFAULT-VALUE}).")
	private double coverage;

	@Option(names = "--passes", defaultValue = "" + UncertaintyOptions.DEFAULT_PASSES, description = "Passes of tta and mc_dropout (default: ${DEFAULT-VALUE}).")
	private int passes;

	@Option(names = "--seed", defaultValue = "" + Parameters.UNCERTAINTY_SEED, description = "Seed of tta and mc_dropout (default: ${DEFAULT-VALUE}).")
	private long seed;

	@Option(names = "--device", defaultValue = Parameters.DEVICE, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "" + Parameters.BATCH_SIZE, description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		try (ModelProvider provider = new ModelProvider(new ModelRepository(List.of()))) {
			CalibrateUncertaintyTask.Request r = CalibrateUncertaintyTask.builder().setModel(model, dataRoot).optModes(modes, passes, seed)
				.optTargetCoverage(coverage).optDevice(device).optBatchSize(batchSize).build();
			CalibrateUncertaintyTask.Result result = new CalibrateUncertaintyTask(provider).run(r, ProgressListener.NONE, Cancellation.NEVER);
			for (String w : result.warnings()) err.println(Messages.oneLine("medcnn calibrate-uncertainty: warning: " + w));
			for (UncertaintyCalibrator.ModeResult m : result.modes()) {
				out.printf(Locale.ROOT, "%-10s threshold %.4f nats: validation %.1f %% kept (accuracy kept %.4f); test %.1f %% kept, accuracy kept %.4f, "
					+ "flagged %.4f; test accuracy %.4f, macro F1 %.4f, ECE %.4f, AURC %.4f%n", m.options().mode().key(), m.threshold(),
					100 * m.validation().flagCoverage(), m.validation().flagAccuracy(), 100 * m.test().flagCoverage(), m.test().flagAccuracy(),
					m.test().flaggedAccuracy(), m.test().metrics().accuracy(), m.test().metrics().macroF1(), m.test().metrics().ece(), m.test().riskCoverage().aurc());
			}
			out.println("updated " + result.written().get(0) + " (previous card: " + result.written().get(1).getFileName() + ")");
			return ExitCodes.OK;
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
	}
}
