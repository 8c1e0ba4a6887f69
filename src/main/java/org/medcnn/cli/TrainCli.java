package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.TrainTask;
import org.medcnn.core.Messages;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.train.EpochRecord;
import org.medcnn.core.train.TrainingConfig;
import org.medcnn.core.train.TrainingListener;
import org.medcnn.core.train.TrainingResult;
import org.medcnn.io.TrainingOutputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn train}: transfer learning from a TorchScript trunk to a complete model package.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Train a slice classifier (transfer learning) and write a model package with its card, history and test metrics.")
public final class TrainCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--data-dir", paramLabel = "DIR", description = "Image folder with one sub-folder per class.")
	private Path dataDir;

	@Option(names = "--data-csv", paramLabel = "CSV", description = "Instead of --data-dir: a CSV with columns path,label[,group].")
	private Path dataCsv;

	@Option(names = "--output-dir", required = true, paramLabel = "DIR", description = "Folder of the new model package.")
	private Path outputDir;

	@Option(names = "--base-model", required = true, paramLabel = "PT|ID|DIR", description = "TorchScript trunk file, or a model package whose trunk is fine-tuned.")
	private String baseModel;

	@Option(names = "--model-id", description = "Id of the new model (default: the output folder name).")
	private String modelId;

	@Option(names = "--modality", defaultValue = "", description = "Modality written in the card, e.g. MRI or CT.")
	private String modality;

	@Option(names = "--data-description", description = "Data set name, source and citation for the card.")
	private String dataDescription;

	@Option(names = "--epochs", defaultValue = "" + TrainingConfig.EPOCHS, description = "Maximum fine-tuning epochs; 0 trains the head only (default: ${DEFAULT-VALUE}).")
	private int epochs;

	@Option(names = "--head-epochs", defaultValue = "" + TrainingConfig.HEAD_EPOCHS, description = "Maximum head-only epochs on cached features (default: ${DEFAULT-VALUE}).")
	private int headEpochs;

	@Option(names = "--batch-size", defaultValue = "" + TrainingConfig.BATCH_SIZE, description = "Batch size (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Option(names = "--image-size", defaultValue = "" + TrainingConfig.IMAGE_SIZE, description = "Square model input size (default: ${DEFAULT-VALUE}).")
	private int imageSize;

	@Option(names = "--learning-rate", defaultValue = "" + TrainingConfig.LEARNING_RATE, description = "Head learning rate; the trunk gets a tenth (default: ${DEFAULT-VALUE}).")
	private double learningRate;

	@Option(names = "--validation-fraction", defaultValue = "" + TrainingConfig.VALIDATION_FRACTION, description = "Validation share of each class (default: ${DEFAULT-VALUE}).")
	private double validationFraction;

	@Option(names = "--test-fraction", defaultValue = "" + TrainingConfig.TEST_FRACTION, description = "Test share of each class (default: ${DEFAULT-VALUE}).")
	private double testFraction;

	@Option(names = "--group-regex", description = "Regex on the path relative to the data folder; its capture groups form the group key.")
	private String groupRegex;

	@Option(names = "--group-bin", defaultValue = "0", description = "Bin all-digit captures of --group-regex by this width (0: off).")
	private int groupBin;

	@Option(names = "--augment", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Augment training images (default: on).")
	private boolean augment;

	@Option(names = "--appearance-augmentation", description = "Also augment the appearance: intensity window, gamma, blur, resolution and noise "
		+ "(each with probability 0.3; default: off).")
	private boolean appearance;

	@Option(names = "--head-augmented-copies", defaultValue = "0", description = "Augmented copies of each training image whose features the head "
		+ "phase adds to the image's own (default: ${DEFAULT-VALUE}: the head sees each image once, unaugmented).")
	private int headCopies;

	@Option(names = "--flip", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Horizontal flips in augmentation (default: on).")
	private boolean flip;

	@Option(names = "--seed", defaultValue = "" + TrainingConfig.SEED, description = "Seed (default: ${DEFAULT-VALUE}).")
	private long seed;

	@Option(names = "--near-duplicate-bits", defaultValue = "" + TrainingConfig.NEAR_DUPLICATE_BITS, description = "dHash distance that makes two images near-duplicates (default: ${DEFAULT-VALUE}).")
	private int nearDuplicateBits;

	@Option(names = "--trainable-blocks", defaultValue = "" + TrainingConfig.TRAINABLE_BLOCKS, description = "Top-level trunk blocks fine-tuned, from the end (default: ${DEFAULT-VALUE}).")
	private int trainableBlocks;

	@Option(names = "--patience", defaultValue = "" + TrainingConfig.PATIENCE, description = "Fine-tuning early-stopping patience in epochs (default: ${DEFAULT-VALUE}).")
	private int patience;

	@Option(names = "--finetune-lr-factor", defaultValue = "" + TrainingConfig.FINETUNE_LR_FACTOR, description = "Fine-tuning learning rate = this x --learning-rate, cosine-decayed (default: ${DEFAULT-VALUE}).")
	private double finetuneFactor;

	@Option(names = "--label-smoothing", defaultValue = "" + TrainingConfig.LABEL_SMOOTHING, description = "Label smoothing in fine-tuning (default: ${DEFAULT-VALUE}).")
	private double labelSmoothing;

	@Option(names = "--weight-decay", defaultValue = "" + TrainingConfig.WEIGHT_DECAY, description = "Decoupled weight decay (default: ${DEFAULT-VALUE}).")
	private double weightDecay;

	@Option(names = "--intensity", defaultValue = TrainingConfig.INTENSITY,
		description = "Input intensity policy: percentile:LOW:HIGH, window:CENTER:WIDTH or range:MIN:MAX (default: ${DEFAULT-VALUE}).")
	private String intensity;

	@Option(names = "--examples-per-class", defaultValue = "" + TrainingConfig.EXAMPLES_PER_CLASS, description = "Test images per class copied into examples/ (default: ${DEFAULT-VALUE}).")
	private int examplesPerClass;

	@Option(names = "--overwrite", description = "Replace a model already in --output-dir.")
	private boolean overwrite;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		TrainingConfig cfg;
		try {
			cfg = TrainTask.config(TrainingConfig.builder().setDataDir(dataDir).optDataCsv(dataCsv).setOutputDir(outputDir).setBaseModel(baseModel)
				.optModelId(modelId).optModality(modality).optDataDescription(dataDescription).optEpochs(epochs).optHeadEpochs(headEpochs)
				.optBatchSize(batchSize).optImageSize(imageSize).optLearningRate(learningRate).optFractions(validationFraction, testFraction)
				.optGroups(groupRegex, groupBin).optAugment(augment, flip).optAppearanceAugmentation(appearance, headCopies).optSeed(seed)
				.optNearDuplicateBits(nearDuplicateBits).optTrainableBlocks(trainableBlocks).optPatience(patience).optOverwrite(overwrite)
				.optExamplesPerClass(examplesPerClass).optFinetuneLearningRateFactor(finetuneFactor).optLabelSmoothing(labelSmoothing)
				.optWeightDecay(weightDecay), intensity);
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
		TrainingListener listener = new TrainingListener() {
			private int lastHeadEpochShown;

			@Override
			public void info(String message) {
				out.println(message);
				out.flush();
			}

			@Override
			public void epoch(EpochRecord r) {
				// The head phase runs hundreds of cheap epochs: show every 10th and the best ones.
				if (r.phase().equals("head") && r.epoch() - lastHeadEpochShown < 10 && !r.best()) return;
				if (r.phase().equals("head")) lastHeadEpochShown = r.epoch();
				out.printf(Locale.ROOT, "%-8s epoch %3d  train loss %.4f acc %.3f  val loss %.4f acc %.3f  %.1fs%s%n", r.phase(), r.epoch(), r.trainLoss(),
					r.trainAccuracy(), r.validationLoss(), r.validationAccuracy(), r.seconds(), r.best() ? "  *best" : "");
				out.flush();
			}

			@Override
			public void batch(String phase, int epoch, int batch, int batches, double loss, double accuracy) {
				if (batch % 20 == 0 || batch == batches) {
					out.printf(Locale.ROOT, "  %s epoch %d batch %d/%d loss %.4f acc %.3f%n", phase, epoch, batch, batches, loss, accuracy);
					out.flush();
				}
			}
		};
		TrainingResult result;
		try {
			TrainTask.Result r = TrainTask.run(cfg, listener, Cancellation.NEVER);
			for (String w : r.warnings()) err.println(Messages.oneLine("medcnn train: warning: " + w));
			result = r.training();
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
		out.printf(Locale.ROOT, "model package written to %s in %.0f s%n", result.packageDir(), result.seconds());
		if (result.test() != null) out.print(TrainingOutputs.summary(result.test()));
		return ExitCodes.OK;
	}
}
