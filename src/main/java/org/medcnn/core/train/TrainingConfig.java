package org.medcnn.core.train;

import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.medcnn.core.image.IntensityPolicy;

/**
 * Everything a training run needs, validated when built. {@code set*} methods are required,
 * {@code opt*} optional.
 */
public final class TrainingConfig {

	/** Default {@code epochs}. */
	public static final int EPOCHS = 8;
	/** Default {@code head_epochs}. */
	public static final int HEAD_EPOCHS = 200;
	/** Default {@code batch_size} of training. */
	public static final int BATCH_SIZE = 16;
	/** Default {@code image_size}. */
	public static final int IMAGE_SIZE = 224;
	/** Default {@code learning_rate}. */
	public static final double LEARNING_RATE = 1e-3;
	/** Default {@code validation_fraction}. */
	public static final double VALIDATION_FRACTION = 0.15;
	/** Default {@code test_fraction}. */
	public static final double TEST_FRACTION = 0.15;
	/** Default {@code seed}. */
	public static final long SEED = 42;
	/** Default {@code near_duplicate_bits}. */
	public static final int NEAR_DUPLICATE_BITS = 8;
	/** Default {@code trainable_blocks}. */
	public static final int TRAINABLE_BLOCKS = 5;
	/** Default {@code patience}. */
	public static final int PATIENCE = 3;
	/** Default {@code weight_decay}. */
	public static final double WEIGHT_DECAY = 0.01;
	/** Default {@code finetune_lr_factor}. */
	public static final double FINETUNE_LR_FACTOR = 0.1;
	/** Default {@code label_smoothing}. */
	public static final double LABEL_SMOOTHING = 0.1;
	/** Default {@code intensity}. */
	public static final String INTENSITY = "percentile:0.5:99.5";
	/** Default {@code examples_per_class}. */
	public static final int EXAMPLES_PER_CLASS = 3;

	final Path dataDir;
	final Path dataCsv;
	final Path outputDir;
	final String baseModel;
	final String modelId;
	final String modality;
	final String dataDescription;
	final int epochs;
	final int headEpochs;
	final int batchSize;
	final int imageSize;
	final double learningRate;
	final double validationFraction;
	final double testFraction;
	final Pattern groupRegex;
	final int groupBin;
	final boolean augment;
	final boolean flip;
	final boolean appearance;
	final int headCopies;
	final long seed;
	final int nearDuplicateBits;
	final int trainableBlocks;
	final int patience;
	final double dropout;
	final double weightDecay;
	final double finetuneFactor;
	final double labelSmoothing;
	final IntensityPolicy intensity;
	final boolean overwrite;
	final int examplesPerClass;

	private TrainingConfig(Builder b, String id) {
		dataDir = b.dataDir;
		dataCsv = b.dataCsv;
		outputDir = b.outputDir;
		baseModel = b.baseModel;
		modelId = id;
		modality = b.modality;
		dataDescription = b.dataDescription;
		epochs = b.epochs;
		headEpochs = b.headEpochs;
		batchSize = b.batchSize;
		imageSize = b.imageSize;
		learningRate = b.learningRate;
		validationFraction = b.validationFraction;
		testFraction = b.testFraction;
		groupRegex = b.groupRegex == null || b.groupRegex.isBlank() ? null : Pattern.compile(b.groupRegex);
		groupBin = b.groupBin;
		augment = b.augment;
		flip = b.flip;
		appearance = b.appearance;
		headCopies = b.headCopies;
		seed = b.seed;
		nearDuplicateBits = b.nearDuplicateBits;
		trainableBlocks = b.trainableBlocks;
		patience = b.patience;
		dropout = b.dropout;
		weightDecay = b.weightDecay;
		finetuneFactor = b.finetuneFactor;
		labelSmoothing = b.labelSmoothing;
		intensity = b.intensity;
		overwrite = b.overwrite;
		examplesPerClass = b.examplesPerClass;
	}

	/** @return a new builder */
	public static Builder builder() {
		return new Builder();
	}

	/** @return the output package folder */
	public Path outputDir() {
		return outputDir;
	}

	/** @return the seed */
	public long seed() {
		return seed;
	}

	/**
	 * Computes the group key of a sample from the group regex: the concatenation of the regex's
	 * capture groups (or the whole match when it has none) found in the sample's path relative to the
	 * data folder, with '/' separators; with a group bin N, every all-digit capture is replaced by its
	 * integer division by N, so runs of N consecutive numbers form one group.
	 *
	 * @param relativePath path relative to the data folder, '/'-separated
	 * @return the key, or null when there is no regex or it does not match
	 */
	public String groupKey(String relativePath) {
		if (groupRegex == null) return null;
		var m = groupRegex.matcher(relativePath);
		if (!m.find()) return null;
		if (m.groupCount() == 0) return bin(m.group());
		StringBuilder sb = new StringBuilder();
		for (int g = 1; g <= m.groupCount(); g++) {
			if (g > 1) sb.append('|');
			sb.append(m.group(g) == null ? "" : bin(m.group(g)));
		}
		return sb.toString();
	}

	private String bin(String s) {
		if (groupBin > 0 && s.matches("\\d{1,18}")) return "#" + Long.parseLong(s) / groupBin;
		return s;
	}

	/** Builds a {@link TrainingConfig}. */
	public static final class Builder {
		private Path dataDir;
		private Path dataCsv;
		private Path outputDir;
		private String baseModel;
		private String modelId;
		private String modality = "";
		private String dataDescription;
		private int epochs = EPOCHS;
		private int headEpochs = HEAD_EPOCHS;
		private int batchSize = BATCH_SIZE;
		private int imageSize = IMAGE_SIZE;
		private double learningRate = LEARNING_RATE;
		private double validationFraction = VALIDATION_FRACTION;
		private double testFraction = TEST_FRACTION;
		private String groupRegex;
		private int groupBin;
		private boolean augment = true;
		private boolean flip = true;
		private boolean appearance = false;
		private int headCopies = 0;
		private long seed = SEED;
		private int nearDuplicateBits = NEAR_DUPLICATE_BITS;
		private int trainableBlocks = TRAINABLE_BLOCKS;
		private int patience = PATIENCE;
		private double dropout = 0.2;
		private double weightDecay = WEIGHT_DECAY;
		private double finetuneFactor = FINETUNE_LR_FACTOR;
		private double labelSmoothing = LABEL_SMOOTHING;
		private IntensityPolicy intensity = IntensityPolicy.parse(INTENSITY);
		private boolean overwrite;
		private int examplesPerClass = EXAMPLES_PER_CLASS;

		private Builder() {}

		/**
		 * Sets a class-folder data set (one sub-folder per class).
		 *
		 * @param dir the folder
		 * @return this builder
		 */
		public Builder setDataDir(Path dir) {
			this.dataDir = dir;
			return this;
		}

		/**
		 * Uses a CSV of path,label[,group] instead of a class-folder data set.
		 *
		 * @param csv the CSV
		 * @return this builder
		 */
		public Builder optDataCsv(Path csv) {
			this.dataCsv = csv;
			return this;
		}

		/**
		 * Sets the output package folder.
		 *
		 * @param dir the folder
		 * @return this builder
		 */
		public Builder setOutputDir(Path dir) {
			this.outputDir = dir;
			return this;
		}

		/**
		 * Sets the base model: a TorchScript trunk file or a model package (id or folder).
		 *
		 * @param base the base model
		 * @return this builder
		 */
		public Builder setBaseModel(String base) {
			this.baseModel = base;
			return this;
		}

		/**
		 * Sets the new model's id (default: the output folder name).
		 *
		 * @param id the id
		 * @return this builder
		 */
		public Builder optModelId(String id) {
			this.modelId = id;
			return this;
		}

		/**
		 * Sets the modality written in the card (e.g. MRI, CT).
		 *
		 * @param modality the modality
		 * @return this builder
		 */
		public Builder optModality(String modality) {
			this.modality = modality == null ? "" : modality;
			return this;
		}

		/**
		 * Sets a description of the data set for the card (name, source, citation).
		 *
		 * @param text the description
		 * @return this builder
		 */
		public Builder optDataDescription(String text) {
			this.dataDescription = text;
			return this;
		}

		/**
		 * Sets the fine-tuning epochs (0: train the head only). Default 8.
		 *
		 * @param epochs the maximum number of epochs
		 * @return this builder
		 */
		public Builder optEpochs(int epochs) {
			this.epochs = epochs;
			return this;
		}

		/**
		 * Sets the maximum head-only epochs on cached features. Default 200.
		 *
		 * @param epochs the maximum
		 * @return this builder
		 */
		public Builder optHeadEpochs(int epochs) {
			this.headEpochs = epochs;
			return this;
		}

		/**
		 * Sets the batch size. Default 16.
		 *
		 * @param n slices per batch
		 * @return this builder
		 */
		public Builder optBatchSize(int n) {
			this.batchSize = n;
			return this;
		}

		/**
		 * Sets the square model input size. Default 224.
		 *
		 * @param px pixels per side
		 * @return this builder
		 */
		public Builder optImageSize(int px) {
			this.imageSize = px;
			return this;
		}

		/**
		 * Sets the learning rate of the head; the trunk is fine-tuned at a tenth of it. Default 1e-3.
		 *
		 * @param lr the learning rate
		 * @return this builder
		 */
		public Builder optLearningRate(double lr) {
			this.learningRate = lr;
			return this;
		}

		/**
		 * Sets the validation and test shares of each class. Defaults 0.15 and 0.15.
		 *
		 * @param validation validation share
		 * @param test test share
		 * @return this builder
		 */
		public Builder optFractions(double validation, double test) {
			this.validationFraction = validation;
			this.testFraction = test;
			return this;
		}

		/**
		 * Sets the group regex and bin (see {@link TrainingConfig#groupKey}).
		 *
		 * @param regex a Java regex, or null/blank for none
		 * @param bin 0 for none, else the width of numeric bins
		 * @return this builder
		 */
		public Builder optGroups(String regex, int bin) {
			this.groupRegex = regex;
			this.groupBin = bin;
			return this;
		}

		/**
		 * Switches augmentation and horizontal flipping. Defaults: both on.
		 *
		 * @param augment whether to augment
		 * @param flip whether augmentation flips horizontally
		 * @return this builder
		 */
		public Builder optAugment(boolean augment, boolean flip) {
			this.augment = augment;
			this.flip = flip;
			return this;
		}

		/**
		 * Switches appearance augmentation ({@link AppearanceAugmenter#standard()}: intensity window, gamma,
		 * blur, resolution, noise) on top of the geometric one, and sets how many augmented copies of each
		 * training image the head phase adds to its cached features. Defaults: off, 0 (the head phase sees
		 * each training image once, unaugmented).
		 *
		 * @param appearance whether augmentation also changes the appearance
		 * @param headCopies augmented copies per training image in the head phase, 0 to 32
		 * @return this builder
		 */
		public Builder optAppearanceAugmentation(boolean appearance, int headCopies) {
			this.appearance = appearance;
			this.headCopies = headCopies;
			return this;
		}

		/**
		 * Sets the seed. Default 42.
		 *
		 * @param seed the seed
		 * @return this builder
		 */
		public Builder optSeed(long seed) {
			this.seed = seed;
			return this;
		}

		/**
		 * Sets the dHash distance at or below which images are near-duplicates. Default 8 of 256 bits.
		 *
		 * @param bits the threshold
		 * @return this builder
		 */
		public Builder optNearDuplicateBits(int bits) {
			this.nearDuplicateBits = bits;
			return this;
		}

		/**
		 * Sets how many top-level trunk blocks, counted from the end, are fine-tuned. Default 5.
		 *
		 * @param blocks the number of blocks
		 * @return this builder
		 */
		public Builder optTrainableBlocks(int blocks) {
			this.trainableBlocks = blocks;
			return this;
		}

		/**
		 * Sets the early-stopping patience of fine-tuning in epochs. Default 3.
		 *
		 * @param epochs the patience
		 * @return this builder
		 */
		public Builder optPatience(int epochs) {
			this.patience = epochs;
			return this;
		}

		/**
		 * Sets the fine-tuning learning rate as a factor of the head learning rate (default 0.1); it
		 * decays to 0 along a cosine over the fine-tuning epochs.
		 *
		 * @param factor the factor, in (0, 1]
		 * @return this builder
		 */
		public Builder optFinetuneLearningRateFactor(double factor) {
			this.finetuneFactor = factor;
			return this;
		}

		/**
		 * Sets the label smoothing of the fine-tuning loss (default 0.1).
		 *
		 * @param eps smoothing in [0, 0.5)
		 * @return this builder
		 */
		public Builder optLabelSmoothing(double eps) {
			this.labelSmoothing = eps;
			return this;
		}

		/**
		 * Sets the decoupled weight decay of Adam (default 0.01).
		 *
		 * @param wd the decay, in [0, 1)
		 * @return this builder
		 */
		public Builder optWeightDecay(double wd) {
			this.weightDecay = wd;
			return this;
		}

		/**
		 * Sets the input intensity policy of the new model. Default percentile(0.5, 99.5).
		 *
		 * @param policy the policy
		 * @return this builder
		 */
		public Builder optIntensity(IntensityPolicy policy) {
			this.intensity = policy;
			return this;
		}

		/**
		 * Allows replacing a model already in the output folder. Default: refuse.
		 *
		 * @param overwrite whether to replace
		 * @return this builder
		 */
		public Builder optOverwrite(boolean overwrite) {
			this.overwrite = overwrite;
			return this;
		}

		/**
		 * Sets how many test images per class are copied into the package's examples. Default 3.
		 *
		 * @param n images per class
		 * @return this builder
		 */
		public Builder optExamplesPerClass(int n) {
			this.examplesPerClass = n;
			return this;
		}

		/**
		 * Validates and builds.
		 *
		 * @return the configuration
		 * @throws IllegalArgumentException naming the first invalid parameter
		 */
		public TrainingConfig build() {
			if (dataDir == null && dataCsv == null) throw new IllegalArgumentException("data_dir: a class-folder data set or a CSV list is required");
			if (outputDir == null) throw new IllegalArgumentException("output_dir is required");
			if (baseModel == null || baseModel.isBlank()) throw new IllegalArgumentException("base_model: a TorchScript trunk file or model package is required");
			if (epochs < 0 || epochs > 1000) throw new IllegalArgumentException("epochs must be 0 to 1000, got " + epochs);
			if (headEpochs < 1 || headEpochs > 10000) throw new IllegalArgumentException("head_epochs must be 1 to 10000, got " + headEpochs);
			if (headCopies < 0 || headCopies > 32) throw new IllegalArgumentException("head_augmented_copies must be 0 to 32, got " + headCopies);
			if (batchSize < 1 || batchSize > 512) throw new IllegalArgumentException("batch_size must be 1 to 512, got " + batchSize);
			if (imageSize < 32 || imageSize > 1024) throw new IllegalArgumentException("image_size must be 32 to 1024, got " + imageSize);
			if (!(learningRate > 0 && learningRate < 1)) throw new IllegalArgumentException("learning_rate must be in (0, 1), got " + learningRate);
			if (groupBin < 0) throw new IllegalArgumentException("group_bin must be 0 or positive, got " + groupBin);
			if (trainableBlocks < 0) throw new IllegalArgumentException("trainable_blocks must be 0 or more, got " + trainableBlocks);
			if (patience < 1) throw new IllegalArgumentException("patience must be at least 1, got " + patience);
			if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1)");
			if (!(finetuneFactor > 0 && finetuneFactor <= 1)) throw new IllegalArgumentException("finetune_lr_factor must be in (0, 1], got " + finetuneFactor);
			if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) throw new IllegalArgumentException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
			if (!(weightDecay >= 0 && weightDecay < 1)) throw new IllegalArgumentException("weight_decay must be in [0, 1), got " + weightDecay);
			if (examplesPerClass < 0 || examplesPerClass > 50) throw new IllegalArgumentException("examples_per_class must be 0 to 50, got " + examplesPerClass);
			String id = modelId == null || modelId.isBlank() ? outputDir.toAbsolutePath().normalize().getFileName().toString() : modelId;
			if (!id.matches("[a-z0-9][a-z0-9._-]{0,63}")) {
				throw new IllegalArgumentException("model id '" + id + "' must be lower-case letters, digits, '.', '_' or '-' (set it, or name output_dir so)");
			}
			if (groupRegex != null && !groupRegex.isBlank()) {
				try {
					Pattern.compile(groupRegex);
				} catch (PatternSyntaxException e) {
					throw new IllegalArgumentException("group_regex is not a valid regular expression: " + e.getDescription());
				}
			}
			new LeakageAwareSplitter(validationFraction, testFraction, nearDuplicateBits, seed);
			return new TrainingConfig(this, id);
		}
	}
}
