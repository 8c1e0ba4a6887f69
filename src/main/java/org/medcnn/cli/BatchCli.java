package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.app.batch.BatchListener;
import org.medcnn.app.batch.BatchProgress;
import org.medcnn.app.batch.BatchRunner;
import org.medcnn.app.batch.BatchSpec;
import org.medcnn.app.batch.BatchSummary;
import org.medcnn.app.batch.FileOutcome.Status;
import org.medcnn.app.batch.FileOutcome;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn batch}: classifies every input of a folder, or one shard of it, with {@link BatchRunner}.
 * Prints a progress line per input on stderr (files done / total, rate, ETA) and a summary on stdout.
 */
@Command(name = "batch", mixinStandardHelpOptions = true, sortOptions = false,
	description = {"Classify every image file (and DICOM series folder) of a folder, or one shard of it; resumable.",
		"Writes files/<name>.tif|.csv|.json per input, results-shard-<i>-of-<n>.csv, errors-shard-<i>-of-<n>.csv and manifest-shard-<i>-of-<n>.json;",
		"join shards with 'medcnn merge'."},
	exitCodeListHeading = "%nExit codes:%n",
	exitCodeList = {"0:every input of the shard done or resumed", "2:bad option, or one that does not fit the model",
		"3:input folder missing or without input files; or every input failed", "4:model could not be loaded",
		"5:output folder cannot be written, or holds this shard's outputs (without --resume/--overwrite)",
		"7:some inputs failed or were skipped (outputs exist); the rest is done",
		"8:another live process writes this shard (or another shard count) into the output folder; nothing done",
		"130/143:stopped by Ctrl-C/SIGTERM; the manifest says cancelled, finish with --resume"})
public final class BatchCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--input-dir", required = true, paramLabel = "DIR", description = "Folder of the inputs.")
	private Path inputDir;

	@Option(names = "--output-dir", required = true, paramLabel = "DIR", description = "Folder of the outputs (created if needed; not the input folder).")
	private Path outputDir;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id (e.g. brain-tumor-mri) or model package folder.")
	private String model;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--recursive", description = "Search sub-folders at every level (default: the folder and its DICOM series sub-folders).")
	private boolean recursive;

	@Option(names = "--pattern", paramLabel = "GLOB", description = "Glob on file names, e.g. '*.nii.gz' (default: all image files).")
	private String pattern;

	@Option(names = "--shard-index", defaultValue = "0", paramLabel = "I", description = "This shard, 0 to N-1 (default: ${DEFAULT-VALUE}).")
	private int shardIndex;

	@Option(names = "--shard-count", defaultValue = "1", paramLabel = "N",
		description = "Shards: input i of the sorted list goes to shard i mod N (default: ${DEFAULT-VALUE}).")
	private int shardCount;

	@Option(names = "--resume", description = "Keep inputs finished by an earlier run with the same model, device and batch size; redo the rest.")
	private boolean resume;

	@Option(names = "--overwrite", description = "Replace existing outputs (default: leave them and report the input as skipped).")
	private boolean overwrite;

	@Option(names = "--device", defaultValue = Parameters.DEVICE, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "" + Parameters.BATCH_SIZE, description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Option(names = "--saliency", defaultValue = "none",
		description = "none, or a saliency method (grad_cam, grad_cam_pp, gradient, smoothgrad, integrated_gradients, occlusion): "
			+ "writes files/<name>_heatmap.tif and _regions.csv, and the regions on the TIFF's overlay (default: ${DEFAULT-VALUE}).")
	private String saliency;

	@CommandLine.Mixin
	private UncertaintyCliOptions uncertaintyOptions = new UncertaintyCliOptions();

	@Option(names = "--quiet", description = "No progress lines; only failures and the summary.")
	private boolean quiet;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		BatchSummary summary;
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			BatchSpec batch = BatchSpec.builder().setInputDir(inputDir).setOutputDir(outputDir).setModel(model).optRecursive(recursive).optPattern(pattern)
				.optShard(shardIndex, shardCount).optResume(resume).optOverwrite(overwrite).optDevice(device).optBatchSize(batchSize).optSaliency(saliency)
				.optUncertainty(uncertaintyOptions.mode, uncertaintyOptions.passes, uncertaintyOptions.seed, uncertaintyOptions.threshold).build();
			summary = new BatchRunner(batch, provider, new ConsoleListener(err, quiet), Cancellation.NEVER).run();
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
		out.printf(Locale.ROOT, "shard %d of %d: %d of %d input(s), model %s (%s) on %s%n", summary.shardIndex(), summary.shardCount(),
			summary.files().size(), summary.allInputs(), summary.modelId(), summary.modelSha256().substring(0, 12), summary.device());
		out.printf(Locale.ROOT, "%s in %.1f s%n", summary.countsLine(), summary.seconds());
		out.println("wrote " + summary.resultsCsv() + ", " + summary.errorsCsv().getFileName() + ", " + summary.manifest().getFileName());
		return exitCode(summary);
	}

	/**
	 * Returns the exit code of a finished batch: 0 when every input is done or resumed; 3 when inputs
	 * failed and none has results; otherwise 7.
	 *
	 * @param s the summary
	 * @return the exit code
	 */
	static int exitCode(BatchSummary s) {
		if (s.complete()) return ExitCodes.OK;
		boolean none = s.files().stream().noneMatch(f -> f.status().hasResults());
		if (none && s.count(Status.FAILED) == s.files().size()) return ExitCodes.BAD_INPUT;
		return ExitCodes.PARTIAL;
	}

	/** One line per input on stderr: position, rate, ETA, what happened. */
	static final class ConsoleListener implements BatchListener {
		private final PrintWriter err;
		private final boolean quiet;

		ConsoleListener(PrintWriter err, boolean quiet) {
			this.err = err;
			this.quiet = quiet;
		}

		@Override
		public void started(int shardInputs, int allInputs, int resumed) {
			if (quiet) return;
			err.printf(Locale.ROOT, "batch: %d of %d input(s) in this shard%s%n", shardInputs, allInputs,
				resumed > 0 ? ", " + resumed + " already done (resumed)" : "");
			err.flush();
		}

		@Override
		public void finished(FileOutcome o, BatchProgress p) {
			if (o.status() == Status.RESUMED) return; // counted in the first line
			boolean problem = o.status() == Status.FAILED || o.status() == Status.SKIPPED_EXISTING;
			if (quiet && !problem) return;
			String what = switch (o.status()) {
				case DONE -> "done " + o.source() + " (" + o.slices() + " slice" + (o.slices() == 1 ? "" : "s")
					+ (o.oodFlagged() > 0 ? ", " + o.oodFlagged() + " outside the training data" : "") + ")";
				case FAILED -> "FAILED " + o.message();
				case SKIPPED_EXISTING -> "skipped " + o.message();
				default -> o.status().label() + " " + o.source();
			};
			err.printf(Locale.ROOT, "[%d/%d] %3.0f%% %s ETA %s  %s%n", p.finished(), p.total(), p.total() == 0 ? 100.0 : 100.0 * p.finished() / p.total(),
				p.filesPerSecond() > 0 ? String.format(Locale.ROOT, "%.2f files/s", p.filesPerSecond()) : "- files/s", eta(p.etaSeconds()), what);
			for (String w : o.warnings()) err.println("  warning: " + w);
			err.flush();
		}

		@Override
		public void interrupted(BatchSummary s) {
			err.printf(Locale.ROOT, "medcnn batch: stopped by a signal (Ctrl-C or SIGTERM): %s; %s marked cancelled; run again with --resume to finish%n",
				s.countsLine(), s.manifest());
			err.flush();
		}

		private static String eta(double s) {
			if (Double.isNaN(s) || Double.isInfinite(s)) return "-";
			long t = Math.round(s);
			return String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
		}
	}
}
