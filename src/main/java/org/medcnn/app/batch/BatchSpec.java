package org.medcnn.app.batch;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.uncertainty.UncertaintyOptions;

/**
 * What a batch run does: which folder, which shard of it, which model, and what to do with outputs that
 * already exist. Immutable; built and validated by {@link Builder}.
 */
public final class BatchSpec {

	private final Path inputDir;
	private final Path outputDir;
	private final String model;
	private final boolean recursive;
	private final String pattern;
	private final int shardIndex;
	private final int shardCount;
	private final boolean resume;
	private final boolean overwrite;
	private final DeviceSpec device;
	private final int batchSize;
	private final SaliencyMethod saliency;
	private final UncertaintyOptions uncertainty;

	private BatchSpec(Builder b) {
		this.inputDir = b.inputDir;
		this.outputDir = b.outputDir;
		this.model = b.model;
		this.recursive = b.recursive;
		this.pattern = b.pattern;
		this.shardIndex = b.shardIndex;
		this.shardCount = b.shardCount;
		this.resume = b.resume;
		this.overwrite = b.overwrite;
		this.device = b.device;
		this.batchSize = b.batchSize;
		this.saliency = b.saliency;
		this.uncertainty = b.uncertainty;
	}

	/**
	 * Starts a builder.
	 *
	 * @return a builder with the defaults: not recursive, all image files, shard 0 of 1, no resume, no
	 *         overwrite, device auto, batch size 8
	 */
	public static Builder builder() {
		return new Builder();
	}

	/** @return the folder whose inputs are classified */
	public Path inputDir() {
		return inputDir;
	}

	/** @return the folder of the outputs */
	public Path outputDir() {
		return outputDir;
	}

	/** @return the model id or package folder */
	public String model() {
		return model;
	}

	/** @return whether sub-folders are searched at every level */
	public boolean recursive() {
		return recursive;
	}

	/** @return the glob on file names, or null for all image files */
	public String pattern() {
		return pattern;
	}

	/** @return this shard's index, 0 to {@link #shardCount()} - 1 */
	public int shardIndex() {
		return shardIndex;
	}

	/** @return the number of shards the input list is split into */
	public int shardCount() {
		return shardCount;
	}

	/** @return whether finished outputs of an earlier run with the same model and parameters are kept */
	public boolean resume() {
		return resume;
	}

	/** @return whether existing outputs may be replaced */
	public boolean overwrite() {
		return overwrite;
	}

	/** @return the requested device */
	public DeviceSpec device() {
		return device;
	}

	/** @return the saliency method run on every input, or null for none */
	public SaliencyMethod saliency() {
		return saliency;
	}

	/** @return the uncertainty mode and its settings */
	public UncertaintyOptions uncertainty() {
		return uncertainty;
	}

	/** @return slices per engine call */
	public int batchSize() {
		return batchSize;
	}

	/**
	 * Returns the parameters as the manifest records them, with the field names of the SciJava command.
	 *
	 * @return name to value, in a fixed order
	 */
	public Map<String, Object> parameters() {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("input_dir", inputDir.toAbsolutePath().normalize().toString());
		m.put("output_dir", outputDir.toAbsolutePath().normalize().toString());
		m.put("model", model);
		m.put("recursive", recursive);
		m.put("pattern", pattern == null ? "" : pattern);
		m.put("shard_index", shardIndex);
		m.put("shard_count", shardCount);
		m.put("resume", resume);
		m.put("overwrite", overwrite);
		m.put("device", device.toString());
		m.put("batch_size", batchSize);
		m.put("saliency", saliency == null ? "none" : saliency.id());
		m.put("uncertainty", uncertainty.mode().key());
		m.put("uncertainty_passes", uncertainty.passes());
		m.put("uncertainty_seed", uncertainty.seed());
		m.put("uncertainty_threshold", Double.isNaN(uncertainty.threshold()) ? -1 : uncertainty.threshold());
		return m;
	}

	/** Builds a {@link BatchSpec}: {@code set*} methods are required, {@code opt*} optional. */
	public static final class Builder {
		private SaliencyMethod saliency;
		private String saliencyName;
		private UncertaintyOptions uncertainty = UncertaintyOptions.NONE;
		private String uncertaintyMode = Parameters.UNCERTAINTY;
		private int uncertaintyPasses = Parameters.UNCERTAINTY_PASSES;
		private long uncertaintySeed = Parameters.UNCERTAINTY_SEED;
		private double uncertaintyThreshold = Parameters.UNCERTAINTY_THRESHOLD;
		private String deviceName = Parameters.DEVICE;
		private Path inputDir;
		private Path outputDir;
		private String model;
		private boolean recursive;
		private String pattern;
		private int shardIndex;
		private int shardCount = 1;
		private boolean resume;
		private boolean overwrite;
		private DeviceSpec device = DeviceSpec.AUTO;
		private int batchSize = Parameters.BATCH_SIZE;

		private Builder() {}

		/**
		 * Sets the input folder.
		 *
		 * @param dir the folder
		 * @return this
		 */
		public Builder setInputDir(Path dir) {
			this.inputDir = dir;
			return this;
		}

		/**
		 * Sets the output folder (created if needed).
		 *
		 * @param dir the folder
		 * @return this
		 */
		public Builder setOutputDir(Path dir) {
			this.outputDir = dir;
			return this;
		}

		/**
		 * Sets the model.
		 *
		 * @param idOrPath a model id or package folder
		 * @return this
		 */
		public Builder setModel(String idOrPath) {
			this.model = idOrPath;
			return this;
		}

		/**
		 * Sets whether sub-folders are searched at every level (default: only the folder itself and its
		 * DICOM series sub-folders).
		 *
		 * @param recursive true to search all levels
		 * @return this
		 */
		public Builder optRecursive(boolean recursive) {
			this.recursive = recursive;
			return this;
		}

		/**
		 * Sets a glob on file names (e.g. {@code *.nii.gz}); null or blank means all image files.
		 *
		 * @param glob the glob
		 * @return this
		 */
		public Builder optPattern(String glob) {
			this.pattern = glob == null || glob.isBlank() ? null : glob.trim();
			return this;
		}

		/**
		 * Sets the shard: input {@code i} of the sorted list belongs to shard {@code i mod count}.
		 *
		 * @param index this shard, 0 to count - 1
		 * @param count the number of shards
		 * @return this
		 */
		public Builder optShard(int index, int count) {
			this.shardIndex = index;
			this.shardCount = count;
			return this;
		}

		/**
		 * Sets whether finished outputs of an earlier run (same model, device and batch size, unchanged
		 * input) are kept instead of being reported as existing.
		 *
		 * @param resume true to resume
		 * @return this
		 */
		public Builder optResume(boolean resume) {
			this.resume = resume;
			return this;
		}

		/**
		 * Sets whether existing outputs may be replaced.
		 *
		 * @param overwrite true to replace
		 * @return this
		 */
		public Builder optOverwrite(boolean overwrite) {
			this.overwrite = overwrite;
			return this;
		}

		/**
		 * Sets the device.
		 *
		 * @param device auto, cpu, gpu or gpu:N
		 * @return this
		 */
		public Builder optDevice(String device) {
			this.deviceName = device;
			return this;
		}

		/**
		 * Sets the slices per engine call.
		 *
		 * @param batchSize 1 to 1024
		 * @return this
		 */
		public Builder optBatchSize(int batchSize) {
			this.batchSize = batchSize;
			return this;
		}

		/**
		 * Sets the saliency method run on every input ({@code none}, the default, or a method name such as
		 * {@code grad_cam}); its heatmaps and regions are written next to each input's outputs.
		 *
		 * @param method the method name
		 * @return this builder
		 */
		public Builder optSaliency(String method) {
			this.saliencyName = method;
			return this;
		}

		/**
		 * Sets the uncertainty mode (default none) and its settings.
		 *
		 * @param mode none, tta, mc_dropout or ensemble
		 * @param passes passes of tta and mc_dropout
		 * @param seed seed of the augmentations and dropout masks
		 * @param threshold flag threshold in nats; negative: the model card's
		 * @return this builder
		 */
		public Builder optUncertainty(String mode, int passes, long seed, double threshold) {
			this.uncertaintyMode = mode;
			this.uncertaintyPasses = passes;
			this.uncertaintySeed = seed;
			this.uncertaintyThreshold = threshold;
			return this;
		}

		/**
		 * Validates and builds.
		 *
		 * @return the spec
		 * @throws MedCnnException (usage) naming the parameter that is missing or out of range
		 */
		public BatchSpec build() throws MedCnnException {
			validate();
			return new BatchSpec(this);
		}

		/**
		 * Checks the values.
		 *
		 * @throws MedCnnException (usage) naming the parameter that is missing or out of range
		 */
		public void validate() throws MedCnnException {
			if (inputDir == null) throw MedCnnException.usage("input_dir is required");
			if (outputDir == null) throw MedCnnException.usage("output_dir is required");
			if (model == null || model.isBlank()) throw MedCnnException.usage("model is required");
			device = Parameters.device(deviceName);
			if (shardCount < 1) throw MedCnnException.usage("shard_count must be at least 1, got " + shardCount);
			if (shardIndex < 0 || shardIndex >= shardCount) {
				throw MedCnnException.usage("shard_index must be between 0 and shard_count - 1 = " + (shardCount - 1) + ", got " + shardIndex);
			}
			Parameters.batchSize(batchSize);
			uncertainty = Parameters.uncertainty(uncertaintyMode, uncertaintyPasses, uncertaintySeed, uncertaintyThreshold);
			try {
				saliency = saliencyName == null || saliencyName.isBlank() || saliencyName.trim().equalsIgnoreCase("none") ? null
					: SaliencyMethod.parse(saliencyName);
			} catch (IllegalArgumentException e) {
				throw MedCnnException.usage("saliency: " + e.getMessage());
			}
			if (pattern != null) {
				try {
					FileSystems.getDefault().getPathMatcher("glob:" + pattern);
				} catch (RuntimeException e) {
					throw MedCnnException.usage("pattern '" + pattern + "' is not a valid glob: " + e.getMessage());
				}
			}
			if (OutputGuard.sameFile(inputDir, outputDir) || OutputGuard.real(inputDir).equals(OutputGuard.real(outputDir))) {
				throw MedCnnException.usage("output_dir " + outputDir + " is the input folder " + inputDir
					+ ": outputs would be mixed with the inputs; use a folder outside the input folder");
			}
			if (OutputGuard.within(outputDir, inputDir)) {
				throw MedCnnException.usage("output_dir " + outputDir + " lies inside input_dir " + inputDir
					+ ": outputs would be mixed with the inputs; use a folder outside the input folder");
			}
			if (OutputGuard.within(inputDir, outputDir)) {
				throw MedCnnException.usage("input_dir " + inputDir + " lies inside output_dir " + outputDir
					+ ": outputs would be mixed with the inputs; use a folder outside the input folder");
			}
		}
	}
}
