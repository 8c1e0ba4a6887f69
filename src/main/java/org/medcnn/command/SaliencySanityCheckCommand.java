package org.medcnn.command;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import org.medcnn.core.explain.SaliencyException;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.core.explain.SanityCheck;
import org.medcnn.core.explain.SanityReport;
import org.medcnn.core.explain.SanityRuns;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.ij.SaliencyTables;
import org.medcnn.io.SaliencyOutputs;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.DynamicCommand;
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
public class SaliencySanityCheckCommand extends DynamicCommand {

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(required = false)
	private StatusService status;

	@Parameter(label = "Image", persist = false)
	private ImagePlus image;

	@Parameter(label = "Model", persist = false, initializer = "initModel", callback = "describeModel", description = "A model id from the models folder, or the path of a model package folder.")
	private String model = "brain-tumor-mri";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String model_info = "";

	@Parameter(label = "Models folder", required = false, style = "directory", persist = false, callback = "initModel", description = "Extra folder to search for model ids first (optional).")
	private File models_dir;

	@Parameter(label = "Device", persist = false, description = "auto (GPU if available), cpu, gpu or gpu:N.")
	private String device = "auto";

	@Parameter(label = "Methods", persist = false, description = "'all' or a comma-separated list: grad_cam, grad_cam_pp, gradient, smoothgrad, integrated_gradients, occlusion.")
	private String methods = "all";

	@Parameter(label = "Target class", persist = false, description = "'predicted' or a class name of the model.")
	private String target = SaliencyRequest.PREDICTED;

	@Parameter(label = "Slices", min = "1", max = "1000", persist = false, description = "How many slices, evenly spaced, the statistics are averaged over.")
	private int max_slices = 4;

	@Parameter(label = "Trunk blocks to randomise", min = "0", max = "1000", persist = false, description = "After the head, this many trunk blocks from the last, one more per stage.")
	private int blocks = 3;

	@Parameter(label = "Repeats", min = "1", max = "100", persist = false, description = "Independent randomisations averaged.")
	private int repeats = 3;

	@Parameter(label = "Max correlation", min = "-0.99", max = "1", persist = false,
		description = "A method fails when its mean Spearman correlation with the original maps, at the last stage, is at least this.")
	private double max_correlation = 0.5;

	@Parameter(label = "Deletion/insertion steps", min = "1", max = "1000", persist = false)
	private int auc_steps = 16;

	@Parameter(label = "SmoothGrad samples", min = "1", max = "1024", persist = false)
	private int samples = 25;

	@Parameter(label = "SmoothGrad noise", min = "0", max = "1", persist = false)
	private double noise = 0.15;

	@Parameter(label = "Integrated gradients steps", min = "1", max = "1024", persist = false)
	private int steps = 32;

	@Parameter(label = "Baseline", persist = false, choices = {"black", "blurred"})
	private String baseline = "black";

	@Parameter(label = "Occlusion patch", min = "0", max = "4096", persist = false, description = "0: 1/7 of the input side.")
	private int patch = 0;

	@Parameter(label = "Occlusion stride", min = "0", max = "4096", persist = false, description = "0: half the patch.")
	private int stride = 0;

	@Parameter(label = "Batch size", min = "1", max = "1024", persist = false)
	private int batch_size = 8;

	@Parameter(label = "Seed", persist = false, description = "Seed of the randomisation and of SmoothGrad's noise.")
	private long seed = 1;

	@Parameter(label = "Save table as CSV", required = false, style = "save", persist = false,
		description = "Optional CSV file for the table; an existing file is never overwritten.")
	private File results_csv;

	@Parameter(label = SaliencyTables.SANITY_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable results;

	@Override
	public void run() {
		if (image == null) {
			fail("no image is open.");
			return;
		}
		DeviceSpec deviceSpec;
		SaliencyRequest base;
		SanityCheck check;
		try {
			deviceSpec = DeviceSpec.parse(device);
			base = SaliencyParameters.request("grad_cam", target, samples, noise, steps, baseline, patch, stride, batch_size, seed, 5, 0);
			check = SanityCheck.builder().optBlocks(blocks).optRepeats(repeats).optMaxCorrelation(max_correlation).optAucSteps(auc_steps).optBatchSize(batch_size)
				.optSeed(seed).build();
			if (max_slices < 1) throw new IllegalArgumentException("max_slices must be at least 1, got " + max_slices);
			SanityRuns.methods(methods);
		} catch (IllegalArgumentException e) {
			fail(e.getMessage());
			return;
		}
		if (results_csv != null && results_csv.exists()) {
			fail("results_csv " + results_csv + " already exists; not overwritten (choose another file or delete it)");
			return;
		}
		SanityReport report;
		try {
			ModelPackage pkg = models.provider(models_dir).repository().open(model);
			report = SanityRuns.run(check, pkg, deviceSpec, new ImagePlusSlices(image, null), max_slices, base, SanityRuns.methods(methods), this::status,
				this::isCanceled);
		} catch (ModelLoadException | SaliencyException | IllegalArgumentException e) {
			fail(e.getMessage());
			return;
		} catch (CancellationException e) {
			cancel("Saliency Sanity Check: cancelled");
			return;
		}
		results = SaliencyTables.sanity(report);
		if (results_csv != null) {
			try {
				SaliencyOutputs.writeSanity(report, results_csv.toPath(), false);
			} catch (IOException e) {
				fail(e.getMessage());
				return;
			}
		}
		if (status != null) status.clearStatus();
	}

	private void fail(String message) {
		cancel("Saliency Sanity Check: " + message);
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

	/** @return the table after {@link #run()}, or null */
	public ResultsTable getResults() {
		return results;
	}
}
