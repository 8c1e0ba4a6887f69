package org.medcnn.command;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import org.medcnn.app.EvaluateTask;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.core.eval.Bootstrap;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.ij.EvaluationFigures;
import org.medcnn.ij.EvaluationTables;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.command.Command;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > MedCNN > Evaluate Classifier}: per-class metrics with the overall rows (every one with
 * its bootstrap interval), the confusion matrix, and the figures of the report (confusion matrix,
 * reliability diagram, ROC curves, risk-coverage curve, flagged slices) as ImageJ images; per-image
 * predictions as CSV and, when asked, {@code report.html} with the figures as PNG.
 */
@Plugin(type = Command.class, menuPath = "Plugins>MedCNN>Evaluate Classifier", headless = true,
	description = "Evaluate a model on labelled images (a class-folder data set or a CSV test list).")
public class EvaluateClassifierCommand extends TaskCommand {

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(label = "Model", persist = false, initializer = "initModel", callback = "describeModel", description = "Model id or package folder.")
	private String model = "brain-tumor-mri";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String model_info = "";

	@Parameter(label = "Models folder", required = false, style = "directory", persist = false, callback = "initModel",
		description = "Extra folder to search for model ids first (optional).")
	private File models_dir;

	@Parameter(label = "Data folder (one sub-folder per class)", style = "directory", required = false, persist = false)
	private File data_dir;

	@Parameter(label = "Test list (CSV: path,label)", style = "open", required = false, persist = false)
	private File test_list;

	@Parameter(label = "Part of the test list", required = false, persist = false,
		description = "Only rows whose part column has this value, e.g. test for the held-out part of a model's split.csv (optional).")
	private String part;

	@Parameter(label = "Data root", style = "directory", required = false, persist = false,
		description = "Folder the relative paths of the test list start from (default: the list's folder).")
	private File data_root;

	@Parameter(label = "Uncertainty", choices = {"none", "tta", "mc_dropout", "ensemble"}, persist = false)
	private String uncertainty = Parameters.UNCERTAINTY;

	@Parameter(label = "Uncertainty passes", min = "" + Parameters.UNCERTAINTY_PASSES_MIN, max = "" + Parameters.UNCERTAINTY_PASSES_MAX, persist = false)
	private int uncertainty_passes = Parameters.UNCERTAINTY_PASSES;

	@Parameter(label = "Uncertainty seed", persist = false)
	private long uncertainty_seed = Parameters.UNCERTAINTY_SEED;

	@Parameter(label = "Uncertainty threshold (nats)", persist = false, description = "Negative: the model card's threshold.")
	private double uncertainty_threshold = Parameters.UNCERTAINTY_THRESHOLD;

	@Parameter(label = "Label map", required = false, persist = false,
		description = "Maps the data's labels to the model's classes: a=x,b=x,c=y, or a CSV with the columns label,class; - leaves a label out (optional).")
	private String label_map;

	@Parameter(label = "Positive classes (binary report)", required = false, persist = false,
		description = "Comma-separated classes reported against the others: sensitivity, specificity, PPV, NPV (optional).")
	private String positive;

	@Parameter(label = "Output folder for CSVs", style = "directory", required = false, persist = false,
		description = "metrics.csv, confusion.csv, predictions.csv, reliability.csv and risk_coverage.csv are written here (optional).")
	private File output_dir;

	@Parameter(label = "Save report (report.html and PNG figures into the output folder)", persist = false)
	private boolean save_report = false;

	@Parameter(label = "Device", persist = false)
	private String device = Parameters.DEVICE;

	@Parameter(label = "Batch size", min = "" + Parameters.BATCH_SIZE_MIN, max = "" + Parameters.BATCH_SIZE_MAX, persist = false)
	private int batch_size = Parameters.BATCH_SIZE;

	@Parameter(label = "Overwrite existing CSVs", persist = false)
	private boolean overwrite = false;

	@Parameter(label = "Bootstrap resamples", min = "0", max = "100000", persist = false, description = "Resamples of the confidence intervals (0: none).")
	private int bootstrap = Parameters.BOOTSTRAP;

	@Parameter(label = "Bootstrap seed", persist = false)
	private long seed = Parameters.BOOTSTRAP_SEED;

	@Parameter(label = "Foreign data folder", style = "directory", required = false, persist = false,
		description = "A folder of images known to be foreign to the model: the share flagged out of distribution and the AUROC (ood.csv; optional).")
	private File ood_data;

	@Parameter(label = EvaluationTables.METRICS_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable metrics;

	@Parameter(label = EvaluationTables.CONFUSION_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable confusion;

	@Parameter(label = "Confusion matrix (figure)", type = ItemIO.OUTPUT)
	private ImagePlus confusion_matrix;

	@Parameter(label = "Reliability diagram", type = ItemIO.OUTPUT)
	private ImagePlus reliability;

	@Parameter(label = "ROC curves", type = ItemIO.OUTPUT)
	private ImagePlus roc;

	@Parameter(label = "Risk-coverage curve", type = ItemIO.OUTPUT)
	private ImagePlus risk_coverage;

	@Parameter(label = "Flagged slices", type = ItemIO.OUTPUT, required = false)
	private ImagePlus flags;

	@Parameter(label = EvaluationTables.BINARY_TITLE, type = ItemIO.OUTPUT, required = false)
	private ResultsTable binary;

	@Override
	protected String title() {
		return "Evaluate Classifier";
	}

	@Override
	public void run() {
		EvaluateTask.Result result;
		try {
			EvaluateTask.Builder b = EvaluateTask.builder().setModel(model).optDevice(device).optBatchSize(batch_size)
				.optUncertainty(uncertainty, uncertainty_passes, uncertainty_seed, uncertainty_threshold).optLabelMap(label_map).optPositive(positive)
				.optBootstrap(bootstrap, seed).optOutput(output_dir == null ? null : output_dir.toPath(), save_report, overwrite)
				.optOodData(ood_data == null ? null : ood_data.toPath());
			if (data_dir != null) b.setDataDir(data_dir.toPath());
			if (test_list != null || data_root != null) b.setDataCsv(test_list == null ? null : test_list.toPath(), part, data_root == null ? null : data_root.toPath());
			result = new EvaluateTask(models.provider(models_dir)).run(b.build(), progress(), this::isCanceled);
		} catch (MedCnnException e) {
			fail(e);
			return;
		}
		for (String w : result.warnings()) log.warn("Evaluate Classifier: " + w);
		Evaluator.Evaluation ev = result.evaluation();
		metrics = EvaluationTables.metrics(ev);
		confusion = EvaluationTables.confusion(ev.metrics());
		java.util.Map<String, ImagePlus> figures = EvaluationFigures.all(ev, result.context().model(), null);
		confusion_matrix = figures.get("confusion");
		reliability = figures.get("reliability");
		roc = figures.get("roc");
		risk_coverage = figures.get("risk_coverage");
		flags = figures.get("flags");
		if (!result.context().positives().isEmpty()) binary = EvaluationTables.binary(ev.metrics().binary(result.context().positives()));
		clearStatus();
	}

	/** @return the metrics table after {@link #run()} */
	public ResultsTable getMetrics() {
		return metrics;
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
}
