package org.medcnn.app;

import ij.ImagePlus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.explain.SaliencyException;
import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.core.explain.SanityCheck;
import org.medcnn.core.explain.SanityReport;
import org.medcnn.core.explain.SanityRuns;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.io.ImageFiles;
import org.medcnn.io.ImageReadException;
import org.medcnn.io.SaliencyOutputs;

/**
 * Checks the saliency methods on a few slices of one image (Saliency Sanity Check, medcnn sanity): the
 * model-parameter randomisation test and the deletion / insertion AUCs. Gives the report and writes
 * it as CSV when asked; the verdicts are in the report, not in the outcome of the run.
 */
public final class SanityTask {

	/** Default {@code methods}. */
	public static final String METHODS = "all";
	/** Default {@code max_slices}. */
	public static final int MAX_SLICES = 4;
	/** Default {@code blocks}. */
	public static final int BLOCKS = 3;
	/** Default {@code repeats}. */
	public static final int REPEATS = 3;
	/** Default {@code max_correlation}. */
	public static final double MAX_CORRELATION = 0.5;
	/** Default {@code auc_steps}. */
	public static final int AUC_STEPS = 16;

	private final ModelProvider provider;

	/**
	 * @param provider the session's models (the package is opened there; the randomised copies are the check's own)
	 */
	public SanityTask(ModelProvider provider) {
		this.provider = provider;
	}

	/** What to check and where the table goes; build with {@link #builder()}. */
	public static final class Request {
		private final String model;
		private final DeviceSpec device;
		private final SaliencyRequest base;
		private final List<SaliencyMethod> methods;
		private final SanityCheck check;
		private final int maxSlices;
		private final ImagePlus image;
		private final Path input;
		private final Path csv;
		private final boolean overwrite;

		private Request(Builder b, DeviceSpec device, SaliencyRequest base, List<SaliencyMethod> methods, SanityCheck check, Path csv) {
			this.model = b.model;
			this.device = device;
			this.base = base;
			this.methods = methods;
			this.check = check;
			this.maxSlices = b.maxSlices;
			this.image = b.image;
			this.input = b.input;
			this.csv = csv;
			this.overwrite = b.overwrite;
		}

		/** @return the CSV the table is written to, or null */
		public Path csv() {
			return csv;
		}
	}

	/** @return a builder with the defaults of {@link Parameters}, {@link SaliencySettings} and this class */
	public static Builder builder() {
		return new Builder();
	}

	/** Builds a {@link Request}. */
	public static final class Builder {
		private String model;
		private String device = Parameters.DEVICE;
		private SaliencySettings settings = SaliencySettings.DEFAULT;
		private String methods = METHODS;
		private int maxSlices = MAX_SLICES;
		private int blocks = BLOCKS;
		private int repeats = REPEATS;
		private double maxCorrelation = MAX_CORRELATION;
		private int aucSteps = AUC_STEPS;
		private ImagePlus image;
		private Path input;
		private Path outputDir;
		private Path csv;
		private boolean overwrite;

		private Builder() {}

		/**
		 * @param model a model id or package folder
		 * @return this builder
		 */
		public Builder setModel(String model) {
			this.model = model;
			return this;
		}

		/**
		 * @param image an open image
		 * @return this builder
		 */
		public Builder setImage(ImagePlus image) {
			this.image = image;
			return this;
		}

		/**
		 * @param input an image file
		 * @param outputDir a folder for {@code <name>_sanity.csv}, or null for none
		 * @return this builder
		 */
		public Builder setInput(Path input, Path outputDir) {
			this.input = input;
			this.outputDir = outputDir;
			return this;
		}

		/**
		 * @param settings the methods' parameters, target, batch size and seed (the method is ignored)
		 * @return this builder
		 */
		public Builder optSettings(SaliencySettings settings) {
			this.settings = settings;
			return this;
		}

		/**
		 * @param methods {@code all} or a comma-separated list of methods
		 * @return this builder
		 */
		public Builder optMethods(String methods) {
			this.methods = methods;
			return this;
		}

		/**
		 * @param device auto, cpu, gpu or gpu:N
		 * @return this builder
		 */
		public Builder optDevice(String device) {
			this.device = device;
			return this;
		}

		/**
		 * @param maxSlices slices, evenly spaced, the statistics are averaged over
		 * @param blocks trunk blocks randomised after the head
		 * @param repeats independent randomisations
		 * @param maxCorrelation a method fails when its mean Spearman correlation at the last stage is at least this
		 * @param aucSteps points of the deletion and insertion curves
		 * @return this builder
		 */
		public Builder optCheck(int maxSlices, int blocks, int repeats, double maxCorrelation, int aucSteps) {
			this.maxSlices = maxSlices;
			this.blocks = blocks;
			this.repeats = repeats;
			this.maxCorrelation = maxCorrelation;
			this.aucSteps = aucSteps;
			return this;
		}

		/**
		 * @param csv a CSV for the table of an open image (never overwritten), or null
		 * @return this builder
		 */
		public Builder optResultsCsv(Path csv) {
			this.csv = csv;
			return this;
		}

		/**
		 * @param overwrite whether a file's CSV may replace an earlier one (never the input)
		 * @return this builder
		 */
		public Builder optOverwrite(boolean overwrite) {
			this.overwrite = overwrite;
			return this;
		}

		/**
		 * Checks the request.
		 *
		 * @return the request
		 * @throws MedCnnException (usage) naming the first parameter that is wrong
		 */
		public Request build() throws MedCnnException {
			if (model == null || model.isBlank()) throw MedCnnException.usage("model: give a model id or package folder");
			if ((image == null) == (input == null)) throw MedCnnException.usage("give exactly one image or input file");
			Parameters.inRange("max_slices", maxSlices, 1, 1000);
			SaliencySettings s = settings;
			SaliencyRequest base = new SaliencySettings(SaliencySettings.METHOD, s.target(), s.samples(), s.noise(), s.steps(), s.baseline(), s.patch(),
				s.stride(), s.batchSize(), s.seed(), SaliencySettings.TOP_PERCENT, 0).request();
			List<SaliencyMethod> list;
			SanityCheck check;
			try {
				list = SanityRuns.methods(methods);
				check = SanityCheck.builder().optBlocks(blocks).optRepeats(repeats).optMaxCorrelation(maxCorrelation).optAucSteps(aucSteps)
					.optBatchSize(s.batchSize()).optSeed(s.seed()).build();
			} catch (IllegalArgumentException e) {
				throw MedCnnException.usage(e.getMessage());
			}
			Path file = csv;
			if (input != null && outputDir != null) {
				file = outputDir.resolve(ClassifyTask.baseName(input) + "_sanity.csv");
				String clash = ClassifyTask.outputClash(input, outputDir, file);
				if (clash != null) throw MedCnnException.usage(clash);
			}
			return new Request(this, Parameters.device(device), base, list, check, file);
		}
	}

	/**
	 * The outcome.
	 *
	 * @param report the statistics and verdicts of every method
	 * @param warnings what the reader wants the user to know
	 * @param written the files written
	 */
	public record Result(SanityReport report, List<String> warnings, List<Path> written) {}

	/**
	 * Runs the request.
	 *
	 * @param r the request
	 * @param progress receives progress
	 * @param cancellation checked between engine calls
	 * @return the result
	 * @throws MedCnnException naming the file or parameter that is wrong, with the kind of failure
	 */
	public Result run(Request r, ProgressListener progress, Cancellation cancellation) throws MedCnnException {
		boolean mayReplace = r.input != null && r.overwrite;
		if (r.csv != null) {
			if (!mayReplace && Files.exists(r.csv)) {
				throw new MedCnnException(MedCnnException.Kind.OUTPUT, r.csv + ": already exists; not overwritten ("
					+ (r.input != null ? "use overwrite to replace it" : "choose another file or delete it") + ")");
			}
			try {
				if (r.csv.getParent() != null) Files.createDirectories(r.csv.getParent());
			} catch (IOException e) {
				throw new MedCnnException(MedCnnException.Kind.OUTPUT, r.csv.getParent() + ": cannot create output folder: " + e.getMessage(), e);
			}
		}
		List<String> warnings = new ArrayList<>();
		ImagePlus imp = r.image;
		String source = null;
		if (r.input != null) {
			try {
				imp = ImageFiles.open(r.input);
			} catch (ImageReadException e) {
				throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
			}
			for (String w : ImageFiles.warnings(imp)) warnings.add(r.input + ": " + w);
			source = r.input.getFileName().toString();
		}
		SanityReport report;
		try {
			ModelPackage pkg = provider.repository().open(r.model);
			try {
				r.base.targetIndex(pkg.card().classes());
			} catch (IllegalArgumentException e) {
				throw MedCnnException.usage("target: " + e.getMessage());
			}
			report = SanityRuns.run(r.check, pkg, r.device, new ImagePlusSlices(imp, source), r.maxSlices, r.base, r.methods, progress, cancellation);
		} catch (ModelLoadException e) {
			throw new MedCnnException(MedCnnException.Kind.MODEL, e.getMessage(), e);
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, (r.input != null ? r.input + ": " : "") + e.getMessage(), e);
		} catch (SaliencyException e) {
			throw new MedCnnException(MedCnnException.Kind.INFERENCE, e.getMessage(), e);
		} catch (CancellationException e) {
			throw new MedCnnException(MedCnnException.Kind.CANCELLED, "cancelled", e);
		}
		List<Path> written = new ArrayList<>();
		if (r.csv != null) {
			try {
				SaliencyOutputs.writeSanity(report, r.csv, mayReplace);
			} catch (IOException e) {
				throw new MedCnnException(MedCnnException.Kind.OUTPUT, e.getMessage(), e);
			}
			written.add(r.csv);
		}
		return new Result(report, warnings, written);
	}
}
