package org.medcnn.command;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.app.SaliencySettings;
import org.medcnn.app.SanityTask;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.ij.SaliencyTables;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.command.Command;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > MedCNN > Saliency Sanity Check}: can the saliency methods be trusted with this
 * model? Runs the cascading model-parameter randomisation test of Adebayo et al. (2018) and the
 * deletion / insertion AUCs of Petsiuk et al. (2018) on a few slices of the current image, and returns
 * one table row per method and randomisation stage.
 * <p>
 * Macro: {@code run("Saliency Sanity Check", "model=brain-tumor-mri methods=grad_cam,gradient max_slices=4 blocks=3");}
 */
@Plugin(type = Command.class, menuPath = "Plugins>MedCNN>Saliency Sanity Check", headless = true,
	description = "Model-parameter randomisation test and deletion/insertion AUC of MedCNN's saliency methods on the current image.")
public class SaliencySanityCheckCommand extends TaskCommand {

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(label = "Image", persist = false)
	private ImagePlus image;

	@Parameter(label = "Model", persist = false, initializer = "initModel", callback = "describeModel", description = "A model id from the models folder, or the path of a model package folder.")
	private String model = "brain-tumor-mri";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String model_info = "";

	@Parameter(label = "Models folder", required = false, style = "directory", persist = false, callback = "initModel", description = "Extra folder to search for model ids first (optional).")
	private File models_dir;

	@Parameter(label = "Device", persist = false, description = "auto (GPU if available), cpu, gpu or gpu:N.")
	private String device = Parameters.DEVICE;

	@Parameter(label = "Methods", persist = false, description = "'all' or a comma-separated list: grad_cam, grad_cam_pp, gradient, smoothgrad, integrated_gradients, occlusion.")
	private String methods = SanityTask.METHODS;

	@Parameter(label = "Target class", persist = false, description = "'predicted' or a class name of the model.")
	private String target = SaliencyRequest.PREDICTED;

	@Parameter(label = "Slices", min = "1", max = "1000", persist = false, description = "How many slices, evenly spaced, the statistics are averaged over.")
	private int max_slices = SanityTask.MAX_SLICES;

	@Parameter(label = "Trunk blocks to randomise", min = "0", max = "1000", persist = false, description = "After the head, this many trunk blocks from the last, one more per stage.")
	private int blocks = SanityTask.BLOCKS;

	@Parameter(label = "Repeats", min = "1", max = "100", persist = false, description = "Independent randomisations averaged.")
	private int repeats = SanityTask.REPEATS;

	@Parameter(label = "Max correlation", min = "-0.99", max = "1", persist = false,
		description = "A method fails when its mean Spearman correlation with the original maps, at the last stage, is at least this.")
	private double max_correlation = SanityTask.MAX_CORRELATION;

	@Parameter(label = "Deletion/insertion steps", min = "1", max = "1000", persist = false)
	private int auc_steps = SanityTask.AUC_STEPS;

	@Parameter(label = "SmoothGrad samples", min = "1", max = "1024", persist = false)
	private int samples = SaliencySettings.SAMPLES;

	@Parameter(label = "SmoothGrad noise", min = "0", max = "1", persist = false)
	private double noise = SaliencySettings.NOISE;

	@Parameter(label = "Integrated gradients steps", min = "1", max = "1024", persist = false)
	private int steps = SaliencySettings.STEPS;

	@Parameter(label = "Baseline", persist = false, choices = {"black", "blurred"})
	private String baseline = SaliencySettings.BASELINE;

	@Parameter(label = "Occlusion patch", min = "0", max = "4096", persist = false, description = "0: 1/7 of the input side.")
	private int patch = 0;

	@Parameter(label = "Occlusion stride", min = "0", max = "4096", persist = false, description = "0: half the patch.")
	private int stride = 0;

	@Parameter(label = "Batch size", min = "1", max = "1024", persist = false)
	private int batch_size = Parameters.BATCH_SIZE;

	@Parameter(label = "Seed", persist = false, description = "Seed of the randomisation and of SmoothGrad's noise.")
	private long seed = SaliencySettings.SEED;

	@Parameter(label = "Save table as CSV", required = false, style = "save", persist = false,
		description = "Optional CSV file for the table; an existing file is never overwritten.")
	private File results_csv;

	@Parameter(label = SaliencyTables.SANITY_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable results;

	@Override
	protected String title() {
		return "Saliency Sanity Check";
	}

	@Override
	public void run() {
		if (image == null) {
			cancel("Saliency Sanity Check: no image is open.");
			return;
		}
		try {
			SaliencySettings settings = new SaliencySettings(SaliencySettings.METHOD, target, samples, noise, steps, baseline, patch, stride, batch_size, seed,
				SaliencySettings.TOP_PERCENT, 0);
			SanityTask.Request r = SanityTask.builder().setModel(model).setImage(image).optDevice(device).optMethods(methods).optSettings(settings)
				.optCheck(max_slices, blocks, repeats, max_correlation, auc_steps).optResultsCsv(results_csv == null ? null : results_csv.toPath()).build();
			SanityTask.Result result = new SanityTask(models.provider(models_dir)).run(r, progress(), this::isCanceled);
			for (String w : result.warnings()) log.warn("Saliency Sanity Check: " + w);
			results = SaliencyTables.sanity(result.report());
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

	/** @return the table after {@link #run()}, or null */
	public ResultsTable getResults() {
		return results;
	}
}
