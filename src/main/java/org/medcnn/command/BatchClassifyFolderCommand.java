package org.medcnn.command;

import ij.measure.ResultsTable;
import java.io.File;
import java.util.Locale;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.app.batch.BatchListener;
import org.medcnn.app.batch.BatchProgress;
import org.medcnn.app.batch.BatchRunner;
import org.medcnn.app.batch.BatchSpec;
import org.medcnn.app.batch.BatchSummary;
import org.medcnn.app.batch.FileOutcome;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.command.Command;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > MedCNN > Batch Classify Folder}: classifies every image file (and DICOM series
 * folder) of a folder, or one shard of it, and writes the outputs described in
 * {@link org.medcnn.app.batch.BatchOutputs}; returns a table with one row per input (status, slices, time,
 * message). Failing inputs are logged and the batch goes on; the command is cancelled only when nothing
 * can run (no inputs, model not loadable, output folder not writable).
 * <p>
 * Macro: {@code run("Batch Classify Folder", "input_dir=/data/in output_dir=/data/out model=lung-ct shard_index=0 shard_count=4 resume");}
 */
@Plugin(type = Command.class, menuPath = "Plugins>MedCNN>Batch Classify Folder", headless = true,
	description = "Classify every image file of a folder (or one shard of it) and write a TIFF with the overlay and the rows per file, "
		+ "a results CSV, an errors CSV and a run manifest.")
public class BatchClassifyFolderCommand extends TaskCommand {

	/** The title of the summary table (its window, and for macros {@code org.medcnn.ij.MacroTables}). */
	public static final String TABLE_TITLE = "MedCNN Batch";

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(label = "Input folder", style = "directory", persist = false, description = "Folder of the image files (and DICOM series folders).")
	private File input_dir;

	@Parameter(label = "Output folder", style = "directory", persist = false, description = "Folder of the outputs (created if needed; not the input folder).")
	private File output_dir;

	@Parameter(label = "Model", persist = false, initializer = "initModel", callback = "describeModel",
		description = "A model id (e.g. brain-tumor-mri, lung-ct) from the models folder, or the path of a model package folder.")
	private String model = "brain-tumor-mri";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String model_info = "";

	@Parameter(label = "Models folder", required = false, style = "directory", persist = false, callback = "initModel",
		description = "Extra folder to search for model ids first (optional).")
	private File models_dir;

	@Parameter(label = "Search sub-folders", persist = false,
		description = "Search every level of sub-folders (off: the folder and its DICOM series sub-folders).")
	private boolean recursive = false;

	@Parameter(label = "File name pattern", required = false, persist = false,
		description = "Glob on file names, e.g. *.nii.gz (empty: all image files).")
	private String pattern = "";

	@Parameter(label = "Shard index", min = "0", persist = false, description = "This shard, 0 to shard_count - 1 (e.g. the SLURM array task id).")
	private int shard_index = 0;

	@Parameter(label = "Shard count", min = "1", persist = false, description = "Shards: input i of the sorted list goes to shard i mod shard_count.")
	private int shard_count = 1;

	@Parameter(label = "Resume", persist = false,
		description = "Keep inputs finished by an earlier run with the same model, device and batch size; redo the rest.")
	private boolean resume = false;

	@Parameter(label = "Overwrite", persist = false, description = "Replace existing outputs (off: leave them and report the input as skipped).")
	private boolean overwrite = false;

	@Parameter(label = "Device", persist = false, description = "auto (GPU if available), cpu, gpu or gpu:N.")
	private String device = Parameters.DEVICE;

	@Parameter(label = "Batch size", min = "" + Parameters.BATCH_SIZE_MIN, max = "" + Parameters.BATCH_SIZE_MAX, persist = false, description = "Slices per engine call.")
	private int batch_size = Parameters.BATCH_SIZE;

	@Parameter(label = "Saliency", persist = false, choices = {"none", "grad_cam", "grad_cam_pp", "gradient", "smoothgrad", "integrated_gradients", "occlusion"},
		description = "none, or a saliency method (grad_cam, grad_cam_pp, gradient, smoothgrad, integrated_gradients, occlusion) run on every input.")
	private String saliency = "none";

	@Parameter(label = "Uncertainty", choices = {"none", "tta", "mc_dropout", "ensemble"}, persist = false,
		description = "none, tta, mc_dropout or ensemble (several models, comma-separated, or an ensemble package): adds uncertainty columns.")
	private String uncertainty = Parameters.UNCERTAINTY;

	@Parameter(label = "Uncertainty passes", min = "" + Parameters.UNCERTAINTY_PASSES_MIN, max = "" + Parameters.UNCERTAINTY_PASSES_MAX, persist = false, description = "Passes per slice for tta and mc_dropout.")
	private int uncertainty_passes = Parameters.UNCERTAINTY_PASSES;

	@Parameter(label = "Uncertainty seed", persist = false, description = "Seed of the augmentations and dropout masks.")
	private long uncertainty_seed = Parameters.UNCERTAINTY_SEED;

	@Parameter(label = "Uncertainty threshold (nats)", persist = false,
		description = "Entropy above which a slice is flagged uncertain; negative: the threshold the model card states.")
	private double uncertainty_threshold = Parameters.UNCERTAINTY_THRESHOLD;

	@Parameter(label = TABLE_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable summary;

	@Override
	public void run() {
		if (input_dir == null || output_dir == null) {
			cancel("Batch Classify Folder: input_dir and output_dir are required");
			return;
		}
		BatchSpec spec;
		BatchSummary result;
		try {
			spec = BatchSpec.builder().setInputDir(input_dir.toPath()).setOutputDir(output_dir.toPath()).setModel(model).optRecursive(recursive)
				.optPattern(pattern).optShard(shard_index, shard_count).optResume(resume).optOverwrite(overwrite).optDevice(device).optBatchSize(batch_size)
				.optSaliency(saliency).optUncertainty(uncertainty, uncertainty_passes, uncertainty_seed, uncertainty_threshold).build();
			result = new BatchRunner(spec, models.provider(models_dir), new Listener(), this::isCanceled).run();
		} catch (MedCnnException e) {
			fail(e);
			return;
		}
		// 4. convert and assign the outputs
		summary = table(result);
		String counts = String.format(Locale.ROOT, "shard %d of %d: %d of %d input(s): %s in %.1f s; outputs in %s", result.shardIndex(),
			result.shardCount(), result.files().size(), result.allInputs(), result.countsLine(), result.seconds(), spec.outputDir());
		if (result.complete()) log.info("Batch Classify Folder: " + counts);
		else log.warn("Batch Classify Folder: " + counts + "; see " + result.errorsCsv());
		if (result.cancelled()) cancel("Batch Classify Folder: cancelled; " + counts);
		clearStatus();
	}

	@Override
	protected String title() {
		return "Batch Classify Folder";
	}

	/** Offers the installed models in the dialog and describes the chosen one. */
	private void initModel() {
		model = ModelChoices.offer(this, models.provider(models_dir).repository(), model);
		describeModel();
	}

	/** Describes the chosen model (modality, classes, intended use) below the choice. */
	private void describeModel() {
		model_info = ModelChoices.describe(models.provider(models_dir).repository(), model);
	}

	/**
	 * Builds the summary table: one row per input with source, status, slices, ms and message.
	 *
	 * @param s the batch summary
	 * @return the table
	 */
	static ResultsTable table(BatchSummary s) {
		ResultsTable rt = new ResultsTable();
		rt.showRowNumbers(false);
		for (FileOutcome f : s.files()) {
			rt.incrementCounter();
			rt.addValue("source", f.source());
			rt.addValue("status", f.status().label());
			rt.addValue("slices", f.slices());
			rt.addValue("ms", Math.round(f.millis() * 1000) / 1000.0);
			rt.addValue("message", f.message() == null ? "" : f.message());
		}
		return rt;
	}

	/** @return the summary table after {@link #run()}, or null */
	public ResultsTable getSummary() {
		return summary;
	}

	/** Logs failures and skipped inputs, and shows progress in the status bar. */
	private final class Listener implements BatchListener {
		@Override
		public void finished(FileOutcome o, BatchProgress p) {
			if (o.status() == FileOutcome.Status.FAILED) log.error("Batch Classify Folder: " + o.message());
			if (o.status() == FileOutcome.Status.SKIPPED_EXISTING) log.warn("Batch Classify Folder: skipped " + o.message());
			for (String w : o.warnings()) log.warn("Batch Classify Folder: " + o.source() + ": " + w);
			if (status != null) status.showStatus(p.finished(), p.total(), "MedCNN batch: " + o.source() + " " + o.status().label());
		}
	}
}
