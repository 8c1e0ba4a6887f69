package org.medcnn.command;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.train.ClassifierTrainer;
import org.medcnn.core.train.EpochRecord;
import org.medcnn.core.train.TrainingConfig;
import org.medcnn.core.train.TrainingListener;
import org.medcnn.core.train.TrainingResult;
import org.medcnn.ij.EvaluationTables;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.io.TrainingOutputs;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > MedCNN > Train Classifier}: transfer learning from a TorchScript trunk (or a model
 * package) on a class-folder data set; writes a model package and returns the training history plot
 * and table and the test metrics table.
 */
@Plugin(type = Command.class, menuPath = "Plugins>MedCNN>Train Classifier", headless = true,
	description = "Train a slice classifier on an image folder with one sub-folder per class.")
public class TrainClassifierCommand extends ContextCommand {

	@Parameter
	private LogService log;

	@Parameter(required = false)
	private StatusService status;

	@Parameter(label = "Data folder (one sub-folder per class)", style = "directory", persist = false)
	private File data_dir;

	@Parameter(label = "Output model folder", style = "directory", persist = false)
	private File output_dir;

	@Parameter(label = "Base model", persist = false, description = "TorchScript trunk file (.pt) or a model package id/folder to fine-tune.")
	private String base_model;

	@Parameter(label = "Fine-tuning epochs", min = "0", max = "1000", persist = false)
	private int epochs = 8;

	@Parameter(label = "Batch size", min = "1", max = "512", persist = false)
	private int batch_size = 16;

	@Parameter(label = "Image size", min = "32", max = "1024", persist = false)
	private int image_size = 224;

	@Parameter(label = "Learning rate", persist = false, description = "Head learning rate; the trunk gets a tenth.")
	private double learning_rate = 1e-3;

	@Parameter(label = "Validation fraction", min = "0", max = "0.5", persist = false)
	private double validation_fraction = 0.15;

	@Parameter(label = "Test fraction", min = "0", max = "0.5", persist = false)
	private double test_fraction = 0.15;

	@Parameter(label = "Group regex", required = false, persist = false,
		description = "Regex on the path relative to the data folder; images with the same captured key stay on one side of the split.")
	private String group_regex = "";

	@Parameter(label = "Group bin", min = "0", persist = false, description = "Bin numeric captures of the group regex by this width (0: off).")
	private int group_bin = 0;

	@Parameter(label = "Augment", persist = false)
	private boolean augment = true;

	@Parameter(label = "Horizontal flips", persist = false)
	private boolean flip = true;

	@Parameter(label = "Intensity policy", persist = false, description = "percentile:LOW:HIGH, window:CENTER:WIDTH or range:MIN:MAX.")
	private String intensity = "percentile:0.5:99.5";

	@Parameter(label = "Seed", persist = false)
	private long seed = 42;

	@Parameter(label = "Overwrite an existing model", persist = false)
	private boolean overwrite = false;

	@Parameter(label = "Training history", type = ItemIO.OUTPUT)
	private ImagePlus history_plot;

	@Parameter(label = EvaluationTables.HISTORY_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable history;

	@Parameter(label = EvaluationTables.TEST_METRICS_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable test_metrics;

	@Override
	public void run() {
		TrainingConfig cfg;
		try {
			if (data_dir == null || output_dir == null) throw new IllegalArgumentException("data_dir and output_dir are required");
			cfg = TrainingConfig.builder().setDataDir(data_dir.toPath()).setOutputDir(output_dir.toPath()).setBaseModel(base_model).optEpochs(epochs)
				.optBatchSize(batch_size).optImageSize(image_size).optLearningRate(learning_rate).optFractions(validation_fraction, test_fraction)
				.optGroups(group_regex, group_bin).optAugment(augment, flip).optIntensity(IntensityPolicy.parse(intensity)).optSeed(seed)
				.optOverwrite(overwrite).build();
		} catch (IllegalArgumentException | NullPointerException e) {
			cancel("Train Classifier: " + e.getMessage());
			return;
		}
		TrainingListener listener = new TrainingListener() {
			@Override
			public void info(String message) {
				log.info("Train Classifier: " + message);
				if (status != null) status.showStatus(message);
			}

			@Override
			public void batch(String phase, int epoch, int batch, int batches, double loss, double accuracy) {
				if (status != null) {
					status.showStatus(batch, batches, String.format(Locale.ROOT, "%s epoch %d batch %d/%d loss %.4f acc %.3f", phase, epoch, batch, batches, loss, accuracy));
				}
			}

			@Override
			public void epoch(EpochRecord r) {
				if (r.phase().equals("finetune") || r.best()) {
					log.info(String.format(Locale.ROOT, "Train Classifier: %s epoch %d train loss %.4f acc %.3f, validation loss %.4f acc %.3f", r.phase(), r.epoch(),
						r.trainLoss(), r.trainAccuracy(), r.validationLoss(), r.validationAccuracy()));
				}
			}
		};
		TrainingResult result;
		try {
			result = new ClassifierTrainer(cfg, new ImageSampleReader(), listener, this::isCanceled).train();
			TrainingOutputs.write(result, cfg.outputDir());
		} catch (IllegalArgumentException | ModelLoadException | IOException e) {
			cancel("Train Classifier: " + e.getMessage());
			return;
		} catch (CancellationException e) {
			cancel("Train Classifier: cancelled before any checkpoint");
			return;
		}
		if (!result.skipped().isEmpty()) log.warn("Train Classifier: skipped " + result.skipped().size() + " unreadable image(s), e.g. " + result.skipped().get(0));
		history = EvaluationTables.history(result.history());
		history_plot = EvaluationTables.historyPlot(result.history()).getImagePlus();
		test_metrics = result.test() == null ? new ResultsTable() : EvaluationTables.metrics(result.test());
		log.info("Train Classifier: model package written to " + result.packageDir() + (result.test() == null ? "" : "\n" + TrainingOutputs.summary(result.test())));
	}

	/** @return the history table after {@link #run()} */
	public ResultsTable getHistory() {
		return history;
	}

	/** @return the test metrics table after {@link #run()} */
	public ResultsTable getTestMetrics() {
		return test_metrics;
	}
}
