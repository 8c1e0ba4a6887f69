package org.medcnn.core.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * The input contract of a model: tensor size, resize mode, intensity policy and channel normalisation.
 * Built with {@link #builder()}; immutable.
 */
public final class InputSpec {

	/** How a slice is brought to the model's input size. */
	public enum Resize {
		/** Scale each axis independently to the input size (aspect ratio not kept). */
		STRETCH,
		/** Scale to fit inside the input size keeping the aspect ratio, centre, and pad with 0. */
		LETTERBOX;

		/**
		 * Parses a card value ({@code stretch} or {@code letterbox}).
		 *
		 * @param text the value
		 * @return the mode
		 * @throws IllegalArgumentException for any other value
		 */
		public static Resize parse(String text) {
			for (Resize r : values()) {
				if (r.name().equalsIgnoreCase(text)) return r;
			}
			throw new IllegalArgumentException("resize must be 'stretch' or 'letterbox', got '" + text + "'");
		}
	}

	private final int width;
	private final int height;
	private final Resize resize;
	private final IntensityPolicy intensity;
	private final float[] mean;
	private final float[] std;
	private final int minSliceSize;

	private InputSpec(Builder b) {
		this.width = b.width;
		this.height = b.height;
		this.resize = b.resize;
		this.intensity = b.intensity;
		this.mean = b.mean.clone();
		this.std = b.std.clone();
		this.minSliceSize = b.minSliceSize;
	}

	/** @return a new builder */
	public static Builder builder() {
		return new Builder();
	}

	/** @return model input width in pixels */
	public int width() {
		return width;
	}

	/** @return model input height in pixels */
	public int height() {
		return height;
	}

	/** @return the resize mode */
	public Resize resize() {
		return resize;
	}

	/** @return the intensity policy */
	public IntensityPolicy intensity() {
		return intensity;
	}

	/** @return per-channel mean subtracted after the intensity policy (3 values) */
	public float[] mean() {
		return mean.clone();
	}

	/** @return per-channel standard deviation divided by after the mean (3 values) */
	public float[] std() {
		return std.clone();
	}

	/** @return the smallest slice side accepted, in pixels */
	public int minSliceSize() {
		return minSliceSize;
	}

	/** @return the number of floats of one preprocessed slice (3 x height x width) */
	public int tensorSize() {
		return 3 * width * height;
	}

	@Override
	public String toString() {
		return width + "x" + height + " " + resize.name().toLowerCase() + ", " + intensity.describe() + ", mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std);
	}

	/** Builds an {@link InputSpec}: {@code set*} required, {@code opt*} optional. */
	public static final class Builder {
		private int width;
		private int height;
		private Resize resize = Resize.STRETCH;
		private IntensityPolicy intensity;
		private float[] mean = {0, 0, 0};
		private float[] std = {1, 1, 1};
		private int minSliceSize = 16;

		private Builder() {}

		/**
		 * Sets the model input size.
		 *
		 * @param width width in pixels
		 * @param height height in pixels
		 * @return this builder
		 */
		public Builder setSize(int width, int height) {
			this.width = width;
			this.height = height;
			return this;
		}

		/**
		 * Sets the intensity policy.
		 *
		 * @param policy the policy
		 * @return this builder
		 */
		public Builder setIntensity(IntensityPolicy policy) {
			this.intensity = policy;
			return this;
		}

		/**
		 * Sets the resize mode (default stretch).
		 *
		 * @param mode the mode
		 * @return this builder
		 */
		public Builder optResize(Resize mode) {
			this.resize = mode;
			return this;
		}

		/**
		 * Sets the channel normalisation (default mean 0, std 1).
		 *
		 * @param mean 3 means
		 * @param std 3 standard deviations, positive
		 * @return this builder
		 */
		public Builder optNormalize(float[] mean, float[] std) {
			this.mean = mean;
			this.std = std;
			return this;
		}

		/**
		 * Sets the smallest accepted slice side (default 16).
		 *
		 * @param pixels the minimum, at least 1
		 * @return this builder
		 */
		public Builder optMinSliceSize(int pixels) {
			this.minSliceSize = pixels;
			return this;
		}

		/**
		 * Validates and builds.
		 *
		 * @return the spec
		 * @throws IllegalArgumentException naming the first invalid setting
		 */
		public InputSpec build() {
			validate();
			return new InputSpec(this);
		}

		private void validate() {
			if (width < 8 || height < 8 || width > 4096 || height > 4096) {
				throw new IllegalArgumentException("input size must be between 8 and 4096 pixels per side, got " + width + "x" + height);
			}
			Objects.requireNonNull(intensity, "input intensity policy is required");
			Objects.requireNonNull(resize, "resize");
			if (mean == null || mean.length != 3) throw new IllegalArgumentException("input mean must have 3 values");
			if (std == null || std.length != 3) throw new IllegalArgumentException("input std must have 3 values");
			for (float s : std) {
				if (!(s > 0)) throw new IllegalArgumentException("input std values must be positive, got " + Arrays.toString(std));
			}
			if (minSliceSize < 1) throw new IllegalArgumentException("min_slice_size must be at least 1, got " + minSliceSize);
		}
	}
}
