package org.medcnn.core.explain;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What to explain and how: the method, the target class and the method's parameters, plus how maps
 * become regions. Built with {@link #builder()} ({@code set*} required, {@code opt*} optional) and
 * validated when built; immutable.
 */
public final class SaliencyRequest {

	/** What replaces the input where integrated gradients start and where occlusion covers it. */
	public enum Baseline {
		/** The darkest value of the intensity policy (0 in the model's unit image). */
		BLACK,
		/** The slice blurred with a Gaussian of sigma 1/20 of the larger input side. */
		BLURRED;

		/**
		 * Parses {@code black} or {@code blurred}.
		 *
		 * @param text the name
		 * @return the baseline
		 * @throws IllegalArgumentException for any other text
		 */
		public static Baseline parse(String text) {
			for (Baseline b : values()) if (b.name().equalsIgnoreCase(text == null ? "" : text.trim())) return b;
			throw new IllegalArgumentException("baseline must be 'black' or 'blurred', got '" + text + "'");
		}

		/** @return the lower-case name */
		public String id() {
			return name().toLowerCase(Locale.ROOT);
		}
	}

	/** The target value that means "the class the model predicts". */
	public static final String PREDICTED = "predicted";

	private final SaliencyMethod method;
	private final String target;
	private final int samples;
	private final double noise;
	private final int steps;
	private final Baseline baseline;
	private final int patch;
	private final int stride;
	private final int batchSize;
	private final long seed;
	private final double topPercent;
	private final int maxRegions;

	private SaliencyRequest(Builder b) {
		method = b.method;
		target = b.target;
		samples = b.samples;
		noise = b.noise;
		steps = b.steps;
		baseline = b.baseline;
		patch = b.patch;
		stride = b.stride;
		batchSize = b.batchSize;
		seed = b.seed;
		topPercent = b.topPercent;
		maxRegions = b.maxRegions;
	}

	/** @return a new builder with the defaults */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Returns a builder holding this request's values, to derive a variant.
	 *
	 * @return the builder
	 */
	public Builder toBuilder() {
		Builder b = new Builder();
		b.method = method;
		b.target = target;
		b.samples = samples;
		b.noise = noise;
		b.steps = steps;
		b.baseline = baseline;
		b.patch = patch;
		b.stride = stride;
		b.batchSize = batchSize;
		b.seed = seed;
		b.topPercent = topPercent;
		b.maxRegions = maxRegions;
		return b;
	}

	/** @return the method */
	public SaliencyMethod method() {
		return method;
	}

	/** @return the target class name, or null for the predicted class */
	public String target() {
		return target;
	}

	/** @return SmoothGrad's number of noisy samples */
	public int samples() {
		return samples;
	}

	/** @return SmoothGrad's noise standard deviation, as a fraction of the slice's intensity span */
	public double noise() {
		return noise;
	}

	/** @return integrated gradients' number of path steps */
	public int steps() {
		return steps;
	}

	/** @return the baseline of integrated gradients and occlusion */
	public Baseline baseline() {
		return baseline;
	}

	/** @return occlusion patch side in model-input pixels; 0 for automatic (1/7 of the smaller input side) */
	public int patch() {
		return patch;
	}

	/** @return occlusion stride in model-input pixels; 0 for automatic (half the patch) */
	public int stride() {
		return stride;
	}

	/**
	 * Returns the internal batch size: slices per engine call for gradient and Grad-CAM; noisy samples,
	 * path steps or occluded copies per engine call for SmoothGrad, integrated gradients and occlusion.
	 * It bounds memory: never more than this many inputs (and their graphs) are held at once.
	 *
	 * @return the batch size
	 */
	public int batchSize() {
		return batchSize;
	}

	/** @return the seed of SmoothGrad's noise */
	public long seed() {
		return seed;
	}

	/** @return the share of each slice's pixels, in percent, that regions are made of */
	public double topPercent() {
		return topPercent;
	}

	/** @return the most regions kept per slice (0: none) */
	public int maxRegions() {
		return maxRegions;
	}

	/**
	 * Resolves the target against a model's classes.
	 *
	 * @param classes the model's classes
	 * @return the class index, or -1 for the predicted class
	 * @throws IllegalArgumentException naming the classes when the target is not one of them
	 */
	public int targetIndex(List<String> classes) {
		if (target == null) return -1;
		int i = classes.indexOf(target);
		if (i < 0) throw new IllegalArgumentException("target '" + target + "' is not a class of the model; classes: " + classes + " (or '" + PREDICTED + "')");
		return i;
	}

	/**
	 * Describes the method and its parameters, e.g. {@code integrated_gradients (steps 32, baseline black)}.
	 *
	 * @return the description
	 */
	public String describe() {
		String p = switch (method) {
			case SMOOTHGRAD -> String.format(Locale.ROOT, " (samples %d, noise %.3g, seed %d)", samples, noise, seed);
			case INTEGRATED_GRADIENTS -> " (steps " + steps + ", baseline " + baseline.id() + ")";
			case OCCLUSION -> " (patch " + (patch == 0 ? "auto" : patch) + ", stride " + (stride == 0 ? "auto" : stride) + ", baseline " + baseline.id() + ")";
			default -> "";
		};
		return method.id() + p;
	}

	/** Builds a {@link SaliencyRequest}. */
	public static final class Builder {
		private SaliencyMethod method;
		private String target;
		private int samples = 25;
		private double noise = 0.15;
		private int steps = 32;
		private Baseline baseline = Baseline.BLACK;
		private int patch;
		private int stride;
		private int batchSize = 8;
		private long seed = 42;
		private double topPercent = 5;
		private int maxRegions = 3;

		private Builder() {}

		/**
		 * Sets the method.
		 *
		 * @param m the method
		 * @return this builder
		 */
		public Builder setMethod(SaliencyMethod m) {
			this.method = m;
			return this;
		}

		/**
		 * Sets the target class (default: the predicted class).
		 *
		 * @param className a class name of the model, or null, blank or {@code predicted} for the predicted class
		 * @return this builder
		 */
		public Builder optTarget(String className) {
			String t = className == null ? null : className.trim();
			this.target = t == null || t.isEmpty() || t.equalsIgnoreCase(PREDICTED) ? null : t;
			return this;
		}

		/**
		 * Sets SmoothGrad's sample count (default 25).
		 *
		 * @param n 1 to 1024
		 * @return this builder
		 */
		public Builder optSamples(int n) {
			this.samples = n;
			return this;
		}

		/**
		 * Sets SmoothGrad's noise level (default 0.15).
		 *
		 * @param fraction standard deviation as a fraction of the slice's intensity span, 0 to 1
		 * @return this builder
		 */
		public Builder optNoise(double fraction) {
			this.noise = fraction;
			return this;
		}

		/**
		 * Sets integrated gradients' path steps (default 32).
		 *
		 * @param n 1 to 1024
		 * @return this builder
		 */
		public Builder optSteps(int n) {
			this.steps = n;
			return this;
		}

		/**
		 * Sets the baseline of integrated gradients and occlusion (default black).
		 *
		 * @param b the baseline
		 * @return this builder
		 */
		public Builder optBaseline(Baseline b) {
			this.baseline = b;
			return this;
		}

		/**
		 * Sets the occlusion patch and stride in model-input pixels (default 0, 0: automatic).
		 *
		 * @param patchSide patch side, 0 for automatic
		 * @param strideStep stride, 0 for automatic
		 * @return this builder
		 */
		public Builder optOcclusion(int patchSide, int strideStep) {
			this.patch = patchSide;
			this.stride = strideStep;
			return this;
		}

		/**
		 * Sets the internal batch size (default 8), see {@link SaliencyRequest#batchSize()}.
		 *
		 * @param n 1 to 1024
		 * @return this builder
		 */
		public Builder optBatchSize(int n) {
			this.batchSize = n;
			return this;
		}

		/**
		 * Sets the seed of SmoothGrad's noise (default 42).
		 *
		 * @param s the seed
		 * @return this builder
		 */
		public Builder optSeed(long s) {
			this.seed = s;
			return this;
		}

		/**
		 * Sets how maps become regions (default 5 %, 3 regions).
		 *
		 * @param percent share of the slice's pixels, in (0, 100]
		 * @param regions most regions per slice, 0 to 1000
		 * @return this builder
		 */
		public Builder optRegions(double percent, int regions) {
			this.topPercent = percent;
			this.maxRegions = regions;
			return this;
		}

		/**
		 * Validates and builds.
		 *
		 * @return the request
		 * @throws IllegalArgumentException naming the first invalid parameter
		 */
		public SaliencyRequest build() {
			validate();
			return new SaliencyRequest(this);
		}

		/**
		 * Checks every parameter.
		 *
		 * @throws IllegalArgumentException naming the first invalid parameter (by its macro name)
		 */
		public void validate() {
			Objects.requireNonNull(method, "method is required");
			Objects.requireNonNull(baseline, "baseline is required");
			if (samples < 1 || samples > 1024) throw new IllegalArgumentException("samples must be between 1 and 1024, got " + samples);
			if (!(noise >= 0 && noise <= 1)) throw new IllegalArgumentException("noise must be between 0 and 1 (a fraction of the intensity span), got " + noise);
			if (steps < 1 || steps > 1024) throw new IllegalArgumentException("steps must be between 1 and 1024, got " + steps);
			if (patch < 0 || patch > 4096) throw new IllegalArgumentException("patch must be between 1 and 4096 model-input pixels (0: automatic), got " + patch);
			if (stride < 0 || stride > 4096) throw new IllegalArgumentException("stride must be between 1 and 4096 model-input pixels (0: automatic), got " + stride);
			if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("batch_size must be between 1 and 1024, got " + batchSize);
			if (!(topPercent >= 0.01 && topPercent <= 100)) throw new IllegalArgumentException("top_percent must be between 0.01 and 100, got " + topPercent);
			if (maxRegions < 0 || maxRegions > 1000) throw new IllegalArgumentException("max_regions must be between 0 and 1000, got " + maxRegions);
		}
	}
}
