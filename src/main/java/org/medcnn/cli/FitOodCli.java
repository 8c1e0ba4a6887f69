package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.app.FitOodTask;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.train.OodFitting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn fit-ood}: fits (or refits) the out-of-distribution detector of an existing model package
 * from its {@code split.csv}, without retraining, and records it and its measured figures in the card.
 */
@Command(name = "fit-ood", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Fit a model package's out-of-distribution detector (ood.bin) on the pooled trunk features of the training part of its split.csv, "
		+ "choose the threshold on the validation part, measure it on the test part and on any --foreign data, and write it with its figures into "
		+ "the card (the old card is kept as model.json.bak).")
public final class FitOodCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "DIR", description = "The model package folder (its card is updated).")
	private Path model;

	@Option(names = "--data-root", required = true, paramLabel = "DIR", description = "The data folder the package's split.csv paths start from.")
	private Path dataRoot;

	@Option(names = "--method", defaultValue = FitOodTask.METHOD, description = "knn or mahalanobis (default: ${DEFAULT-VALUE}).")
	private String method;

	@Option(names = "--k", defaultValue = "" + FitOodTask.K, description = "The k of knn: the distance to the k-th nearest training slice (default: ${DEFAULT-VALUE}).")
	private int k;

	@Option(names = "--shrinkage", defaultValue = "" + FitOodTask.SHRINKAGE, description = "Covariance shrinkage of mahalanobis, in (0, 1] (default: ${DEFAULT-VALUE}).")
	private double shrinkage;

	@Option(names = "--coverage", defaultValue = "" + FitOodTask.COVERAGE, description = "Fraction of the validation slices kept unflagged (default: ${DEFAULT-VALUE}).")
	private double coverage;

	@Option(names = "--float32", description = "Store the detector's matrices as float32 instead of float16 (twice the file).")
	private boolean float32;

	@Option(names = "--foreign", paramLabel = "NAME=DIR", description = "A folder of images known to be foreign to the model (any readable files, "
		+ "searched recursively); the share flagged and the AUROC against the test part go into the card. Repeatable.")
	private List<String> foreign = new ArrayList<>();

	@Option(names = "--device", defaultValue = Parameters.DEVICE, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "" + Parameters.BATCH_SIZE, description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		try {
			FitOodTask.Request r = FitOodTask.builder().setModel(model, dataRoot).optDetector(method, k, shrinkage, coverage).optHalf(!float32)
				.optForeign(foreign).optDevice(device).optBatchSize(batchSize).build();
			FitOodTask.Result result = new FitOodTask().run(r, (m, d, t) -> err.println("medcnn fit-ood: " + m), Cancellation.NEVER);
			OodFitting.Fitted fitted = result.fitted();
			out.printf(Locale.ROOT, "%s: %s detector on %d training slices, threshold %.6g (keeps %.1f %% of %d validation slices)%n", result.modelId(),
				fitted.detector().method().key(), fitted.trainSlices(), fitted.detector().threshold(), 100 * (1 - fitted.validationFlagged()), fitted.validationSlices());
			if (fitted.testDistances().length > 0) {
				out.printf(Locale.ROOT, "own test part: %.1f %% of %d slices flagged%n", 100 * fitted.testFlagged(), fitted.testDistances().length);
			}
			for (OodFitting.Measured m : result.foreign()) {
				out.printf(Locale.ROOT, "foreign %s: %.1f %% of %d slices flagged, AUROC %.4f%s%n", m.name(), 100 * m.flagged(), m.slices(), m.auroc(),
					m.skippedFiles() > 0 ? " (" + m.skippedFiles() + " file(s) unreadable, skipped)" : "");
			}
			out.println("wrote " + result.written().get(0) + " and updated " + model.resolve(ModelPackage.CARD) + " (previous card: " + FitOodTask.CARD_BACKUP + ")");
			return ExitCodes.OK;
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
	}
}
