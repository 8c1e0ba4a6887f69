package org.medcnn.command;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import org.medcnn.app.ClassifyTask;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.ij.ResultsTables;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.command.Command;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > MedCNN > Classify Slices}: classifies every slice of the current image and returns
 * a table with one row per slice; optionally draws the predictions on the image's overlay.
 * <p>
 * Macro: {@code run("Classify Slices", "model=brain-tumor-mri device=auto batch_size=8 add_overlay=true uncertainty=mc_dropout results_csv=/out/x.csv");}
 */
@Plugin(type = Command.class, menuPath = "Plugins>MedCNN>Classify Slices", headless = true,
	description = "Classify every slice of the current image with a MedCNN model. Hyperstacks: every Z and T of the current channel.")
public class ClassifySlicesCommand extends TaskCommand {

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(label = "Image", persist = false)
	private ImagePlus image;

	@Parameter(label = "Model", persist = false, initializer = "initModel", callback = "describeModel",
		description = "A model id (e.g. brain-tumor-mri, lung-ct) from the models folder, or the path of a model package folder; several separated by commas form an ensemble.")
	private String model = "brain-tumor-mri";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String model_info = "";

	@Parameter(label = "Models folder", required = false, style = "directory", persist = false, callback = "initModel",
		description = "Extra folder to search for model ids first (optional).")
	private File models_dir;

	@Parameter(label = "Device", persist = false, description = "auto (GPU if available), cpu, gpu or gpu:N.")
	private String device = Parameters.DEVICE;

	@Parameter(label = "Batch size", min = "" + Parameters.BATCH_SIZE_MIN, max = "" + Parameters.BATCH_SIZE_MAX, persist = false,
		description = "Slices per engine call.")
	private int batch_size = Parameters.BATCH_SIZE;

	@Parameter(label = "Add overlay", persist = false,
		description = "Draw the predicted class and confidence on each slice (replaces earlier MedCNN labels only).")
	private boolean add_overlay = true;

	@Parameter(label = "Uncertainty", choices = {"none", "tta", "mc_dropout", "ensemble"}, persist = false,
		description = "none; tta (flips and small rotations); mc_dropout (dropout on the head); ensemble (several models, comma-separated, or an ensemble package). "
			+ "Adds entropy, mutual_information, std_top and uncertain columns and marks uncertain slices on the overlay.")
	private String uncertainty = Parameters.UNCERTAINTY;

	@Parameter(label = "Uncertainty passes", min = "" + Parameters.UNCERTAINTY_PASSES_MIN, max = "" + Parameters.UNCERTAINTY_PASSES_MAX, persist = false,
		description = "Passes per slice for tta and mc_dropout.")
	private int uncertainty_passes = Parameters.UNCERTAINTY_PASSES;

	@Parameter(label = "Uncertainty seed", persist = false, description = "Seed of the augmentations and dropout masks; the same seed gives the same results.")
	private long uncertainty_seed = Parameters.UNCERTAINTY_SEED;

	@Parameter(label = "Uncertainty threshold (nats)", persist = false,
		description = "Entropy above which a slice is flagged uncertain; negative: the threshold the model card states (chosen on validation data).")
	private double uncertainty_threshold = Parameters.UNCERTAINTY_THRESHOLD;

	@Parameter(label = "Save table as CSV", required = false, style = "save", persist = false,
		description = "Optional CSV file for the table (for headless runs); an existing file is never overwritten.")
	private File results_csv;

	@Parameter(label = ResultsTables.CLASSIFICATION_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable results;

	@Override
	protected String title() {
		return "Classify Slices";
	}

	@Override
	public void run() {
		if (image == null) {
			cancel("Classify Slices: no image is open.");
			return;
		}
		try {
			ClassifyTask.Request r = ClassifyTask.builder().setModel(model).setImage(image, null).optDevice(device).optBatchSize(batch_size)
				.optUncertainty(uncertainty, uncertainty_passes, uncertainty_seed, uncertainty_threshold).optOverlay(add_overlay)
				.optResultsCsv(results_csv == null ? null : results_csv.toPath()).build();
			ClassifyTask.Result result = new ClassifyTask(models.provider(models_dir)).run(r, progress(), this::isCanceled);
			for (String w : result.warnings()) log.warn("Classify Slices: " + w);
			if (result.run().oodScored() > 0 && result.run().oodFlagged() == 0) log.info("Classify Slices: " + result.run().oodSummary());
			results = ResultsTables.classification(result.run());
		} catch (MedCnnException e) {
			fail(e);
		}
		clearStatus();
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

	/** @return the results table after {@link #run()}, or null */
	public ResultsTable getResults() {
		return results;
	}
}
