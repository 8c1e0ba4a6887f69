package org.medcnn.command;

import ai.djl.translate.TranslateException;
import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.eval.Bootstrap;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.eval.LabelMap;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.ij.EvaluationFigures;
import org.medcnn.ij.EvaluationTables;
import org.medcnn.io.EvaluationOutputs;
import org.medcnn.io.EvaluationReport;
import org.medcnn.io.ImageSampleReader;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.DynamicCommand;
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
public class EvaluateClassifierCommand extends DynamicCommand {

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(required = false)
	private StatusService status;

	@Parameter(label = "Model", persist = false, initializer = "initModel", callback = "describeModel", description = "Model id or package folder.")
	private String model = "brain-tumor-mri";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String model_info = "";

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
	private String uncertainty = "none";

	@Parameter(label = "Uncertainty passes", min = "2", max = "256", persist = false)
	private int uncertainty_passes = org.medcnn.core.uncertainty.UncertaintyOptions.DEFAULT_PASSES;

	@Parameter(label = "Uncertainty seed", persist = false)
	private long uncertainty_seed = 0;

	@Parameter(label = "Uncertainty threshold (nats)", persist = false, description = "Negative: the model card's threshold.")
	private double uncertainty_threshold = -1;

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
	private String device = "auto";

	@Parameter(label = "Batch size", min = "1", max = "1024", persist = false)
	private int batch_size = 16;

	@Parameter(label = "Overwrite existing CSVs", persist = false)
	private boolean overwrite = false;

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
	public void run() {
		List<Sample> samples;
		DeviceSpec dev;
		org.medcnn.core.uncertainty.UncertaintyOptions uncertaintyOptions;
		LabelMap map;
		List<String> positives;
		try {
			dev = DeviceSpec.parse(device);
			uncertaintyOptions = UncertaintyParameters.options(uncertainty, uncertainty_passes, uncertainty_seed, uncertainty_threshold);
			if ((data_dir == null) == (test_list == null)) throw new IllegalArgumentException("give exactly one of data_dir and test_list");
			if (save_report && output_dir == null) throw new IllegalArgumentException("save_report needs an output_dir");
			samples = test_list != null ? Datasets.readCsv(test_list.toPath(), data_root == null ? null : data_root.toPath(), part)
				: Datasets.scanFolder(data_dir.toPath());
			map = label_map == null || label_map.isBlank() ? LabelMap.identity() : LabelMap.of(label_map);
			positives = positive == null || positive.isBlank() ? List.of() : java.util.Arrays.stream(positive.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
		} catch (IllegalArgumentException | IOException e) {
			cancel("Evaluate Classifier: " + e.getMessage());
			return;
		}
		Evaluator.Evaluation ev;
		EvaluationReport.Context context;
		try {
			org.medcnn.core.engine.Ensemble loaded = models.provider().loadAll(model, dev);
			for (ClassifierModel m : loaded.models()) if (m.fallbackWarning() != null) log.warn("Evaluate Classifier: " + m.fallbackWarning());
			List<String> classes = loaded.primary().card().classes();
			for (String p : positives) {
				if (!classes.contains(p)) throw new IllegalArgumentException("positive: '" + p + "' is not a class of " + loaded.id() + " " + classes);
			}
			LabelMap.Result labels = map.apply(samples, classes);
			ev = new Evaluator(loaded, new ImageSampleReader(), batch_size, uncertaintyOptions).evaluate(labels.samples(), Bootstrap.DEFAULT_RESAMPLES, 42,
				(m, d, t) -> { if (status != null) status.showStatus((int) d, (int) t, m); }, this::isCanceled);
			String data = (test_list != null ? test_list.getPath() : data_dir.getPath()) + (part == null || part.isBlank() ? "" : " (part " + part + ")");
			context = new EvaluationReport.Context(loaded.id(), loaded.models().size() == 1 ? loaded.primary().card().version() : null, loaded.shortSha(), data,
				label_map == null || label_map.isBlank() ? null : labels, positives,
				loaded.models().size() == 1 ? EvaluationReport.readHistory(loaded.primary().dir().resolve("training_history.csv")) : null, null, null);
			if (output_dir != null) {
				EvaluationOutputs.write(ev, output_dir.toPath(), overwrite);
				if (save_report) EvaluationReport.write(ev, context, output_dir.toPath(), overwrite);
			}
		} catch (ModelLoadException | TranslateException | IllegalArgumentException | IOException e) {
			cancel("Evaluate Classifier: " + e.getMessage());
			return;
		} catch (CancellationException e) {
			cancel("Evaluate Classifier: cancelled");
			return;
		}
		if (!ev.skipped().isEmpty()) log.warn("Evaluate Classifier: skipped " + ev.skipped().size() + " unreadable image(s), e.g. " + ev.skipped().get(0));
		metrics = EvaluationTables.metrics(ev);
		confusion = EvaluationTables.confusion(ev.metrics());
		java.util.Map<String, ImagePlus> figures = EvaluationFigures.all(ev, context.model(), null);
		confusion_matrix = figures.get("confusion");
		reliability = figures.get("reliability");
		roc = figures.get("roc");
		risk_coverage = figures.get("risk_coverage");
		flags = figures.get("flags");
		if (!positives.isEmpty()) binary = EvaluationTables.binary(ev.metrics().binary(positives));
	}

	/** @return the metrics table after {@link #run()} */
	public ResultsTable getMetrics() {
		return metrics;
	}

	/** Offers the installed models in the dialog and describes the chosen one. */
	private void initModel() {
		model = ModelChoices.offer(this, models.provider().repository(), model);
		describeModel();
	}

	/** Describes the chosen model (modality, classes, intended use) below the choice. */
	private void describeModel() {
		model_info = ModelChoices.describe(models.provider().repository(), model);
	}
}
