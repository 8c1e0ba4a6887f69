package org.medcnn.command;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import org.medcnn.app.ExplainTask;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.app.SaliencySettings;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.ij.SaliencyTables;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.command.Command;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > MedCNN > Saliency Maps}: explains every slice of the current image with a saliency
 * method. Returns a 32-bit heatmap stack (the input's dimensions and calibration, heat LUT) and a table
 * with one row per region; draws on the input's overlay, per slice, the heatmap as a semi-transparent
 * image ROI and the most salient regions as outlines. Hyperstacks: every Z and T of the current channel.
 * <p>
 * Macro: {@code run("Saliency Maps", "model=brain-tumor-mri method=grad_cam target=predicted top_percent=5 max_regions=3 overlay_opacity=0.4");}
 */
@Plugin(type = Command.class, menuPath = "Plugins>MedCNN>Saliency Maps", headless = true,
	description = "Saliency maps of a MedCNN model for every slice of the current image: heatmap stack, overlay and regions table.")
public class SaliencyMapsCommand extends TaskCommand {

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(label = "Image", persist = false)
	private ImagePlus image;

	@Parameter(label = "Model", persist = false, initializer = "initModel", callback = "describeModel",
		description = "A model id (e.g. brain-tumor-mri, lung-ct) from the models folder, or the path of a model package folder.")
	private String model = "brain-tumor-mri";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String model_info = "";

	@Parameter(label = "Models folder", required = false, style = "directory", persist = false, callback = "initModel",
		description = "Extra folder to search for model ids first (optional).")
	private File models_dir;

	@Parameter(label = "Device", persist = false, description = "auto (GPU if available), cpu, gpu or gpu:N.")
	private String device = Parameters.DEVICE;

	@Parameter(label = "Method", persist = false, choices = {"grad_cam", "grad_cam_pp", "gradient", "smoothgrad", "integrated_gradients", "occlusion"},
		description = "Grad-CAM and Grad-CAM++ use the trunk's feature map (about one inference); the gradient methods differentiate the input; occlusion slides a patch.")
	private String method = SaliencySettings.METHOD;

	@Parameter(label = "Target class", persist = false, description = "'predicted' (the class the model predicts for each slice) or a class name of the model.")
	private String target = SaliencyRequest.PREDICTED;

	@Parameter(label = "Top percent", min = "0.01", max = "100", persist = false, description = "Regions are made of this share of each slice's most salient pixels.")
	private double top_percent = SaliencySettings.TOP_PERCENT;

	@Parameter(label = "Max regions per slice", min = "0", max = "1000", persist = false, description = "The largest connected regions kept per slice (0: none).")
	private int max_regions = SaliencySettings.MAX_REGIONS;

	@Parameter(label = "Overlay opacity", min = "0", max = "1", stepSize = "0.05", style = "slider", persist = false,
		description = "Opacity of the heatmap on the image's overlay (0: outlines only).")
	private double overlay_opacity = SaliencySettings.OVERLAY_OPACITY;

	@Parameter(label = "Add overlay", persist = false, description = "Draw heatmaps and region outlines on the image's overlay (replaces earlier MedCNN saliency ROIs only).")
	private boolean add_overlay = true;

	@Parameter(label = "SmoothGrad samples", min = "1", max = "1024", persist = false)
	private int samples = SaliencySettings.SAMPLES;

	@Parameter(label = "SmoothGrad noise", min = "0", max = "1", persist = false, description = "Noise standard deviation as a fraction of each slice's intensity span.")
	private double noise = SaliencySettings.NOISE;

	@Parameter(label = "Integrated gradients steps", min = "1", max = "1024", persist = false)
	private int steps = SaliencySettings.STEPS;

	@Parameter(label = "Baseline", persist = false, choices = {"black", "blurred"}, description = "Where integrated gradients start, and what occlusion fills a patch with.")
	private String baseline = SaliencySettings.BASELINE;

	@Parameter(label = "Occlusion patch", min = "0", max = "4096", persist = false, description = "Patch side in model-input pixels (0: 1/7 of the input side).")
	private int patch = 0;

	@Parameter(label = "Occlusion stride", min = "0", max = "4096", persist = false, description = "Stride in model-input pixels (0: half the patch).")
	private int stride = 0;

	@Parameter(label = "Batch size", min = "1", max = "1024", persist = false,
		description = "Slices per engine call (gradient, Grad-CAM), or noisy copies, path steps or occluded copies per call; bounds memory.")
	private int batch_size = Parameters.BATCH_SIZE;

	@Parameter(label = "Seed", persist = false, description = "Seed of SmoothGrad's noise.")
	private long seed = SaliencySettings.SEED;

	@Parameter(label = "Save regions as CSV", required = false, style = "save", persist = false,
		description = "Optional CSV file for the regions table (for headless runs); an existing file is never overwritten.")
	private File results_csv;

	@Parameter(label = "Heatmap", type = ItemIO.OUTPUT)
	private ImagePlus heatmap;

	@Parameter(label = SaliencyTables.REGIONS_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable results;

	@Override
	protected String title() {
		return "Saliency Maps";
	}

	@Override
	public void run() {
		if (image == null) {
			cancel("Saliency Maps: no image is open.");
			return;
		}
		try {
			SaliencySettings settings = new SaliencySettings(method, target, samples, noise, steps, baseline, patch, stride, batch_size, seed, top_percent,
				max_regions);
			ExplainTask.Request r = ExplainTask.builder().setModel(model).setImage(image).optDevice(device).optSettings(settings)
				.optOverlay(add_overlay, overlay_opacity).optRegionsCsv(results_csv == null ? null : results_csv.toPath()).build();
			ExplainTask.Result result = new ExplainTask(models.provider(models_dir)).run(r, progress(), this::isCanceled);
			for (String w : result.warnings()) log.warn("Saliency Maps: " + w);
			heatmap = result.heatmap();
			results = SaliencyTables.regions(result.run(), image.getCalibration());
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

	/** @return the heatmap stack after {@link #run()}, or null */
	public ImagePlus getHeatmap() {
		return heatmap;
	}

	/** @return the regions table after {@link #run()}, or null */
	public ResultsTable getResults() {
		return results;
	}
}
