package org.medcnn.app;

import ij.ImagePlus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.classify.ClassificationException;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.ij.PredictionOverlays;
import org.medcnn.io.ImageFiles;
import org.medcnn.io.ImageReadException;
import org.medcnn.io.PredictionCsv;
import org.medcnn.io.TiffOutput;

/**
 * Classifies every slice of one image: an open image (Classify Slices) or a file (medcnn classify).
 * Loads the model(s) through the session's provider, classifies with a CPU fallback for GPU failures, draws
 * the predictions on the overlay, and writes what the request asks for: a CSV, and for a file the stack
 * with its overlay next to it.
 */
public final class ClassifyTask {

	private final ModelProvider provider;

	/**
	 * @param provider the session's models (loaded once, cached)
	 */
	public ClassifyTask(ModelProvider provider) {
		this.provider = provider;
	}

	/** What to classify and where the results go; build with {@link #builder()}. */
	public static final class Request {
		private final String model;
		private final DeviceSpec device;
		private final int batchSize;
		private final UncertaintyOptions uncertainty;
		private final ImagePlus image;
		private final String source;
		private final Path input;
		private final Path outputDir;
		private final Path resultsCsv;
		private final boolean overlay;
		private final boolean overwrite;

		private Request(Builder b, DeviceSpec device, UncertaintyOptions uncertainty) {
			this.model = b.model;
			this.device = device;
			this.batchSize = b.batchSize;
			this.uncertainty = uncertainty;
			this.image = b.image;
			this.source = b.source;
			this.input = b.input;
			this.outputDir = b.outputDir;
			this.resultsCsv = b.resultsCsv;
			this.overlay = b.overlay;
			this.overwrite = b.overwrite;
		}

		/** @return the file read, or null for an open image */
		public Path input() {
			return input;
		}

		/** @return {@code <name>.csv} in the output folder, or the results CSV, or null */
		public Path csv() {
			if (outputDir != null) return outputDir.resolve(baseName(input) + ".csv");
			return resultsCsv;
		}

		/** @return {@code <name>.tif} in the output folder, or null */
		public Path tif() {
			return outputDir == null ? null : outputDir.resolve(baseName(input) + ".tif");
		}
	}

	/** @return a builder with the defaults of {@link Parameters} */
	public static Builder builder() {
		return new Builder();
	}

	/** Builds a {@link Request}: {@code set*} required, {@code opt*} optional. */
	public static final class Builder extends UncertaintyBuilder<Builder> {
		private String model;
		private ImagePlus image;
		private String source;
		private Path input;
		private Path outputDir;
		private Path resultsCsv;
		private boolean overlay = true;
		private boolean overwrite;

		private Builder() {}

		@Override
		protected Builder self() {
			return this;
		}

		/**
		 * @param model a model id or package folder; several separated by commas form an ensemble
		 * @return this builder
		 */
		public Builder setModel(String model) {
			this.model = model;
			return this;
		}

		/**
		 * Classifies an open image.
		 *
		 * @param image the image
		 * @param source the name in the results' source column, or null for the image's title
		 * @return this builder
		 */
		public Builder setImage(ImagePlus image, String source) {
			this.image = image;
			this.source = source;
			return this;
		}

		/**
		 * Classifies a file (or a folder of one DICOM series) and writes {@code <name>.csv} and
		 * {@code <name>.tif} (the stack with the predictions on its overlay) into a folder.
		 *
		 * @param input the file or series folder
		 * @param outputDir the output folder (created when needed)
		 * @return this builder
		 */
		public Builder setInput(Path input, Path outputDir) {
			this.input = input;
			this.outputDir = outputDir;
			return this;
		}

		/**
		 * @param csv a CSV for the results of an open image (never overwritten), or null
		 * @return this builder
		 */
		public Builder optResultsCsv(Path csv) {
			this.resultsCsv = csv;
			return this;
		}

		/**
		 * @param overlay whether the predictions are drawn on the image's overlay (always for a file's TIFF)
		 * @return this builder
		 */
		public Builder optOverlay(boolean overlay) {
			this.overlay = overlay;
			return this;
		}

		/**
		 * @param overwrite whether a file's outputs may replace earlier ones (never the input itself)
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
			if (input != null && outputDir == null) throw MedCnnException.usage("output: give the folder for the outputs");
			if (input != null && resultsCsv != null) throw MedCnnException.usage("results_csv goes with an open image; a file's CSV goes into the output folder");
			Parameters.batchSize(batchSize);
			DeviceSpec d = Parameters.device(device);
			UncertaintyOptions u = uncertaintyOptions();
			Request r = new Request(this, d, u);
			if (input != null) {
				String clash = outputClash(input, outputDir, r.csv(), r.tif());
				if (clash != null) throw MedCnnException.usage(clash);
			}
			return r;
		}
	}

	/**
	 * The outcome.
	 *
	 * @param run the classification
	 * @param image the image classified (with the predictions on its overlay when asked)
	 * @param slices the slices classified, with their stack positions
	 * @param warnings what the reader and the run want the user to know (also in {@code run.warnings()} for the run's own)
	 * @param written the files written
	 */
	public record Result(ClassificationRun run, ImagePlus image, ImagePlusSlices slices, List<String> warnings, List<Path> written) {}

	/**
	 * Runs the request.
	 *
	 * @param r the request
	 * @param progress receives progress after each batch
	 * @param cancellation checked between batches
	 * @return the result
	 * @throws MedCnnException naming the file or parameter that is wrong, with the kind of failure
	 */
	public Result run(Request r, ProgressListener progress, Cancellation cancellation) throws MedCnnException {
		List<Path> outputs = new ArrayList<>();
		if (r.csv() != null) outputs.add(r.csv());
		if (r.tif() != null) outputs.add(r.tif());
		boolean mayReplace = r.input != null && r.overwrite;
		for (Path p : outputs) {
			if (!mayReplace && Files.exists(p)) {
				throw new MedCnnException(MedCnnException.Kind.OUTPUT, p + ": already exists; not overwritten ("
					+ (r.input != null ? "use overwrite to replace it" : "choose another file or delete it") + ")");
			}
		}
		if (r.outputDir != null) {
			try {
				Files.createDirectories(r.outputDir);
			} catch (IOException e) {
				throw new MedCnnException(MedCnnException.Kind.OUTPUT, r.outputDir + ": cannot create output folder: " + e.getMessage(), e);
			}
		}
		List<String> warnings = new ArrayList<>();
		ImagePlus imp = r.image;
		String source = r.source;
		if (r.input != null) {
			try {
				imp = ImageFiles.open(r.input);
			} catch (ImageReadException e) {
				throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
			}
			for (String w : ImageFiles.warnings(imp)) warnings.add(r.input + ": " + w);
			source = r.input.getFileName().toString();
		}
		ImagePlusSlices slices = new ImagePlusSlices(imp, source);
		ClassificationRun run = classify(slices, r, progress, cancellation);
		warnings.addAll(run.warnings());
		if (r.overlay || r.tif() != null) PredictionOverlays.add(slices, run);
		List<Path> written = new ArrayList<>();
		try {
			if (r.csv() != null) {
				PredictionCsv.write(run, r.csv(), mayReplace);
				written.add(r.csv());
			}
			if (r.tif() != null) {
				TiffOutput.save(imp, r.tif(), mayReplace);
				written.add(r.tif());
			}
		} catch (IOException e) {
			throw new MedCnnException(MedCnnException.Kind.OUTPUT, e.getMessage(), e);
		}
		return new Result(run, imp, slices, warnings, written);
	}

	/** Loads the models and classifies the slices. */
	private ClassificationRun classify(ImagePlusSlices slices, Request r, ProgressListener progress, Cancellation cancellation) throws MedCnnException {
		Ensemble loaded;
		try {
			loaded = provider.loadAll(r.model, r.device);
		} catch (ModelLoadException e) {
			throw new MedCnnException(MedCnnException.Kind.MODEL, e.getMessage(), e);
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.USAGE, e.getMessage(), e);
		}
		DjlSliceClassifier classifier;
		try {
			classifier = new DjlSliceClassifier(loaded, r.batchSize, r.uncertainty, provider::cpuCopy);
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.USAGE, e.getMessage(), e);
		}
		try {
			return classifier.classify(slices, progress, cancellation);
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, (r.input != null ? r.input + ": " : "") + e.getMessage(), e);
		} catch (ClassificationException e) {
			throw new MedCnnException(MedCnnException.Kind.INFERENCE, e.getMessage(), e);
		} catch (CancellationException e) {
			throw new MedCnnException(MedCnnException.Kind.CANCELLED, "cancelled", e);
		}
	}

	/**
	 * One summary of a run for people: the predicted classes counted, the slices flagged uncertain and out
	 * of distribution.
	 *
	 * @param run the run
	 * @return lines, without line ends
	 */
	public static List<String> summary(ClassificationRun run) {
		java.util.Map<String, Integer> counts = new java.util.LinkedHashMap<>();
		int flagged = 0;
		for (var p : run.predictions()) {
			counts.merge(p.predicted(), 1, Integer::sum);
			if (p.uncertainty() != null && p.uncertainty().uncertain() == 1) flagged++;
		}
		List<String> out = new ArrayList<>();
		out.add("predicted: " + counts);
		if (run.uncertainty() != UncertaintyMode.NONE) {
			out.add("uncertainty " + run.uncertainty().key() + ": " + flagged + " of " + run.predictions().size() + " slice(s) flagged uncertain");
		}
		if (run.oodScored() > 0) out.add("out of distribution: " + run.oodFlagged() + " of " + run.oodScored() + " slice(s) outside the training data");
		return out;
	}

	/**
	 * Tells why outputs may not be written where asked: an output that is the input file itself (compared on
	 * disk: other spellings, links), or an output folder inside the input series folder. Refused with or
	 * without overwrite.
	 *
	 * @param input the input file or series folder
	 * @param outputDir the output folder
	 * @param outputs the output files
	 * @return the problem, one line naming both; null when there is none
	 */
	public static String outputClash(Path input, Path outputDir, Path... outputs) {
		for (Path o : outputs) {
			try {
				OutputGuard.refuseInput(o, input, "--output folder");
			} catch (IllegalArgumentException e) {
				return e.getMessage();
			}
		}
		if (Files.isDirectory(input) && OutputGuard.within(outputDir, input)) {
			return "--output " + outputDir + " lies inside the input series folder " + input
				+ ": outputs would be mixed with its DICOM files; choose a folder outside it";
		}
		return null;
	}

	/**
	 * Returns the output base name of an input file: the file name without its image extension.
	 *
	 * @param input the input file
	 * @return the base name
	 */
	public static String baseName(Path input) {
		String n = input.getFileName().toString();
		String lower = n.toLowerCase(Locale.ROOT);
		for (String ext : List.of(".nii.gz", ".ome.tiff", ".ome.tif", ".tiff", ".tif", ".png", ".jpeg", ".jpg", ".dcm", ".dicom", ".nii")) {
			if (lower.endsWith(ext) && n.length() > ext.length()) return n.substring(0, n.length() - ext.length());
		}
		return n;
	}
}
