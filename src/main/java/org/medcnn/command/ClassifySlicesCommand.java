package org.medcnn.command;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import org.medcnn.core.classify.ClassificationException;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.ij.PredictionOverlays;
import org.medcnn.ij.ResultsTables;
import org.medcnn.io.PredictionCsv;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.DynamicCommand;
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
public class ClassifySlicesCommand extends DynamicCommand {

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(required = false)
	private StatusService status;

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
	private String device = "auto";

	@Parameter(label = "Batch size", min = "1", max = "1024", persist = false, description = "Slices per engine call.")
	private int batch_size = 8;

	@Parameter(label = "Add overlay", persist = false,
		description = "Draw the predicted class and confidence on each slice (replaces earlier MedCNN labels only).")
	private boolean add_overlay = true;

	@Parameter(label = "Uncertainty", choices = {"none", "tta", "mc_dropout", "ensemble"}, persist = false,
		description = "none; tta (flips and small rotations); mc_dropout (dropout on the head); ensemble (several models, comma-separated, or an ensemble package). "
			+ "Adds entropy, mutual_information, std_top and uncertain columns and marks uncertain slices on the overlay.")
	private String uncertainty = "none";

	@Parameter(label = "Uncertainty passes", min = "2", max = "256", persist = false, description = "Passes per slice for tta and mc_dropout.")
	private int uncertainty_passes = UncertaintyOptions.DEFAULT_PASSES;

	@Parameter(label = "Uncertainty seed", persist = false, description = "Seed of the augmentations and dropout masks; the same seed gives the same results.")
	private long uncertainty_seed = 0;

	@Parameter(label = "Uncertainty threshold (nats)", persist = false,
		description = "Entropy above which a slice is flagged uncertain; negative: the threshold the model card states (chosen on validation data).")
	private double uncertainty_threshold = -1;

	@Parameter(label = "Save table as CSV", required = false, style = "save", persist = false,
		description = "Optional CSV file for the table (for headless runs); an existing file is never overwritten.")
	private File results_csv;

	@Parameter(label = ResultsTables.CLASSIFICATION_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable results;

	@Override
	public void run() {
		// 1. validate
		if (image == null) {
			cancel("Classify Slices: no image is open.");
			return;
		}
		DeviceSpec deviceSpec;
		UncertaintyOptions uncertaintyOptions;
		try {
			deviceSpec = DeviceSpec.parse(device);
			uncertaintyOptions = UncertaintyParameters.options(uncertainty, uncertainty_passes, uncertainty_seed, uncertainty_threshold);
		} catch (IllegalArgumentException e) {
			cancel("Classify Slices: " + e.getMessage());
			return;
		}
		if (results_csv != null && results_csv.exists()) {
			cancel("Classify Slices: results_csv " + results_csv + " already exists; not overwritten (choose another file or delete it)");
			return;
		}
		if (batch_size < 1 || batch_size > 1024) {
			cancel("Classify Slices: batch_size must be between 1 and 1024, got " + batch_size);
			return;
		}
		// 2. build the request and 3. call the core
		ImagePlusSlices slices = new ImagePlusSlices(image, null);
		ClassificationRun run;
		try {
			ModelProvider provider = models.provider(models_dir);
			Ensemble loaded = provider.loadAll(model, deviceSpec);
			DjlSliceClassifier classifier = new DjlSliceClassifier(loaded, batch_size, uncertaintyOptions, provider::cpuCopy);
			run = classifier.classify(slices, this::status, this::isCanceled);
		} catch (ModelLoadException | ClassificationException | IllegalArgumentException e) {
			cancel("Classify Slices: " + e.getMessage());
			return;
		} catch (CancellationException e) {
			cancel("Classify Slices: cancelled");
			return;
		}
		for (String w : run.warnings()) log.warn("Classify Slices: " + w);
		if (run.oodScored() > 0 && run.oodFlagged() == 0) log.info("Classify Slices: " + run.oodSummary());
		// 4. convert and assign the outputs
		results = ResultsTables.classification(run);
		if (add_overlay) PredictionOverlays.add(slices, run);
		if (results_csv != null) {
			try {
				PredictionCsv.write(run, results_csv.toPath(), false);
			} catch (IOException e) {
				cancel("Classify Slices: " + e.getMessage());
				return;
			}
		}
		if (status != null) status.clearStatus();
	}

	private void status(String message, long done, long total) {
		if (status != null) status.showStatus((int) done, (int) total, message);
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
