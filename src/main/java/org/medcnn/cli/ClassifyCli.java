package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.app.ClassifyTask;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.core.Messages;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn classify}: classifies every slice of one image file and writes {@code <name>.csv}
 * and {@code <name>.tif} (the stack with the predictions on its overlay).
 */
@Command(name = "classify", mixinStandardHelpOptions = true,
	description = {"Classify every slice of an image file (TIFF, PNG, JPEG, GIF, BMP, uncompressed DICOM, NIfTI-1 .nii/.nii.gz/.hdr+.img)",
		"or of a folder holding one DICOM series; write <name>.csv and <name>.tif."})
public final class ClassifyCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id (e.g. brain-tumor-mri) or model package folder; several separated by commas form an ensemble.")
	private String model;

	@Option(names = "--input", required = true, paramLabel = "FILE|DIR",
		description = "Image file to classify, or a folder of DICOM slices read as one series (the largest, when it holds several).")
	private Path input;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for the outputs (created if needed).")
	private Path output;

	@Option(names = "--device", defaultValue = Parameters.DEVICE, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "" + Parameters.BATCH_SIZE, description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--overwrite", description = "Replace existing outputs (default: refuse).")
	private boolean overwrite;

	@Option(names = "--quiet", description = "Print nothing but errors.")
	private boolean quiet;

	@CommandLine.Mixin
	private UncertaintyCliOptions uncertaintyOptions = new UncertaintyCliOptions();

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			ClassifyTask.Request r = ClassifyTask.builder().setModel(model).setInput(input, output).optDevice(device).optBatchSize(batchSize)
				.optUncertainty(uncertaintyOptions.mode, uncertaintyOptions.passes, uncertaintyOptions.seed, uncertaintyOptions.threshold)
				.optOverwrite(overwrite).build();
			ClassifyTask.Result result = new ClassifyTask(provider).run(r, ProgressListener.NONE, Cancellation.NEVER);
			ClassificationRun run = result.run();
			for (String w : result.warnings()) err.println(Messages.oneLine("medcnn classify: warning: " + w));
			// Flagged slices come as a warning above; an unflagged stack still says that it was checked.
			if (run.oodScored() > 0 && run.oodFlagged() == 0) err.println("medcnn classify: " + run.oodSummary());
			if (!quiet) {
				out.printf(Locale.ROOT, "%s: %d slice(s) classified with %s (%s) on %s%n", input.getFileName(), run.predictions().size(), run.modelId(),
					run.modelSha(), run.device());
				ClassifyTask.summary(run).forEach(out::println);
				for (Path p : result.written()) out.println("wrote " + p);
			}
			return ExitCodes.OK;
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
	}
}
