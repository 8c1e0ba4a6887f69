package org.medcnn.command;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import java.util.Locale;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.TrainTask;
import org.medcnn.core.train.EpochRecord;
import org.medcnn.core.train.TrainingConfig;
import org.medcnn.core.train.TrainingListener;
import org.medcnn.core.train.TrainingResult;
import org.medcnn.ij.EvaluationTables;
import org.medcnn.io.TrainingOutputs;
import org.scijava.ItemIO;
import org.scijava.command.Command;
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
public class TrainClassifierCommand extends TaskCommand {

	@Parameter
	private LogService log;

	@Parameter(label = "Data folder (one sub-folder per class)", style = "directory", persist = false)
	private File data_dir;

	@Parameter(label = "Output model folder", style = "directory", persist = false)
	private File output_dir;

	@Parameter(label = "Base model", persist = false, description = "TorchScript trunk file (.pt) or a model package id/folder to fine-tune.")
	private String base_model;

	@Parameter(label = "Model id", required = false, persist = false, description = "Id of the new model (empty: the output folder's name).")
	private String model_id = "";

	@Parameter(label = "Modality", required = false, persist = false, description = "Modality written in the card, e.g. MRI or CT.")
	private String modality = "";

	@Parameter(label = "Fine-tuning epochs", min = "0", max = "1000", persist = false, description = "0 trains the head only.")
	private int epochs = TrainingConfig.EPOCHS;

	@Parameter(label = "Head epochs", min = "1", max = "10000", persist = false, description = "Maximum head-only epochs on cached features.")
	private int head_epochs = TrainingConfig.HEAD_EPOCHS;

	@Parameter(label = "Batch size", min = "1", max = "512", persist = false)
	private int batch_size = TrainingConfig.BATCH_SIZE;

	@Parameter(label = "Image size", min = "32", max = "1024", persist = false)
	private int image_size = TrainingConfig.IMAGE_SIZE;

	@Parameter(label = "Learning rate", persist = false, description = "Head learning rate; the trunk gets a tenth.")
	private double learning_rate = TrainingConfig.LEARNING_RATE;

	@Parameter(label = "Validation fraction", min = "0", max = "0.5", persist = false)
	private double validation_fraction = TrainingConfig.VALIDATION_FRACTION;

	@Parameter(label = "Test fraction", min = "0", max = "0.5", persist = false)
	private double test_fraction = TrainingConfig.TEST_FRACTION;

	@Parameter(label = "Group regex", required = false, persist = false,
		description = "Regex on the path relative to the data folder; images with the same captured key stay on one side of the split.")
	private String group_regex = "";

	@Parameter(label = "Group bin", min = "0", persist = false, description = "Bin numeric captures of the group regex by this width (0: off).")
	private int group_bin = 0;

	@Parameter(label = "Augment", persist = false)
	private boolean augment = true;

	@Parameter(label = "Horizontal flips", persist = false)
	private boolean flip = true;

	@Parameter(label = "Appearance augmentation", persist = false,
		description = "Also vary intensity window, gamma, blur, resolution and noise, so that the model and its out-of-distribution detector see scanner-like variation.")
	private boolean appearance_augmentation = false;

	@Parameter(label = "Head augmented copies", min = "0", max = "32", persist = false,
		description = "Augmented copies of each training image whose features the head also trains on (0: none).")
	private int head_augmented_copies = 0;

	@Parameter(label = "Intensity policy", persist = false, description = "percentile:LOW:HIGH, window:CENTER:WIDTH or range:MIN:MAX.")
	private String intensity = TrainingConfig.INTENSITY;

	@Parameter(label = "Seed", persist = false)
	private long seed = TrainingConfig.SEED;

	@Parameter(label = "Overwrite an existing model", persist = false)
	private boolean overwrite = false;

	@Parameter(label = "Training history", type = ItemIO.OUTPUT)
	private ImagePlus history_plot;

	@Parameter(label = EvaluationTables.HISTORY_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable history;

	@Parameter(label = EvaluationTables.TEST_METRICS_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable test_metrics;

	@Override
	protected String title() {
		return "Train Classifier";
	}

	@Override
	public void run() {
		try {
			TrainingConfig cfg = TrainTask.config(TrainingConfig.builder().setDataDir(data_dir == null ? null : data_dir.toPath())
				.setOutputDir(output_dir == null ? null : output_dir.toPath()).setBaseModel(base_model).optModelId(model_id).optModality(modality)
				.optEpochs(epochs).optHeadEpochs(head_epochs).optBatchSize(batch_size).optImageSize(image_size).optLearningRate(learning_rate)
				.optFractions(validation_fraction, test_fraction).optGroups(group_regex, group_bin).optAugment(augment, flip)
				.optAppearanceAugmentation(appearance_augmentation, head_augmented_copies).optSeed(seed).optOverwrite(overwrite), intensity);
			TrainTask.Result r = TrainTask.run(cfg, listener(), this::isCanceled);
			for (String w : r.warnings()) log.warn("Train Classifier: " + w);
			TrainingResult result = r.training();
			history = EvaluationTables.history(result.history());
			history_plot = EvaluationTables.historyPlot(result.history()).getImagePlus();
			test_metrics = result.test() == null ? new ResultsTable() : EvaluationTables.metrics(result.test());
			log.info("Train Classifier: model package written to " + result.packageDir() + (result.test() == null ? "" : "\n" + TrainingOutputs.summary(result.test())));
		} catch (MedCnnException e) {
			fail(e);
		}
		clearStatus();
	}

	/** @return progress on the status bar and every best or fine-tuning epoch in the log */
	private TrainingListener listener() {
		return new TrainingListener() {
			@Override
			public void info(String message) {
				log.info("Train Classifier: " + message);
				if (status != null) status.showStatus(message);
			}

			@Override
			public void batch(String phase, int epoch, int batch, int batches, double loss, double accuracy) {
				progress().progress(String.format(Locale.ROOT, "%s epoch %d batch %d/%d loss %.4f acc %.3f", phase, epoch, batch, batches, loss, accuracy), batch,
					batches);
			}

			@Override
			public void epoch(EpochRecord r) {
				if (r.phase().equals("finetune") || r.best()) {
					log.info(String.format(Locale.ROOT, "Train Classifier: %s epoch %d train loss %.4f acc %.3f, validation loss %.4f acc %.3f", r.phase(), r.epoch(),
						r.trainLoss(), r.trainAccuracy(), r.validationLoss(), r.validationAccuracy()));
				}
			}
		};
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
