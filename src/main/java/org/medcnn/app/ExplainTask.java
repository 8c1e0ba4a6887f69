package org.medcnn.app;

import ij.ImagePlus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.explain.DjlSaliency;
import org.medcnn.core.explain.ExplainModel;
import org.medcnn.core.explain.SaliencyException;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.core.explain.SaliencyRun;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.ij.SaliencyMontage;
import org.medcnn.ij.SaliencyOverlays;
import org.medcnn.ij.SaliencyTables;
import org.medcnn.io.ImageFiles;
import org.medcnn.io.ImageReadException;
import org.medcnn.io.SaliencyOutputs;
import org.medcnn.io.TiffOutput;

/**
 * Explains every slice of one image with a saliency method: an open image (Saliency Maps) or a file
 * (medcnn saliency). The gradient-ready model comes from the session's provider, loaded once and kept
 * like the classification models. Gives the heatmap stack and the regions, draws them on the overlay
 * when asked, and writes what the request asks for.
 */
public final class ExplainTask {

	private final ModelProvider provider;

	/**
	 * @param provider the session's models
	 */
	public ExplainTask(ModelProvider provider) {
		this.provider = provider;
	}

	/** What to explain and where the results go; build with {@link #builder()}. */
	public static final class Request {
		private final String model;
		private final DeviceSpec device;
		private final SaliencyRequest saliency;
		private final ImagePlus image;
		private final Path input;
		private final Path outputDir;
		private final Path regionsCsv;
		private final boolean overlay;
		private final double opacity;
		private final int montageSlices;
		private final boolean overwrite;

		private Request(Builder b, DeviceSpec device, SaliencyRequest saliency) {
			this.model = b.model;
			this.device = device;
			this.saliency = saliency;
			this.image = b.image;
			this.input = b.input;
			this.outputDir = b.outputDir;
			this.regionsCsv = b.regionsCsv;
			this.overlay = b.overlay;
			this.opacity = b.opacity;
			this.montageSlices = b.montageSlices;
			this.overwrite = b.overwrite;
		}

		/** @return the saliency request */
		public SaliencyRequest saliency() {
			return saliency;
		}

		private String base() {
			return ClassifyTask.baseName(input) + "_" + saliency.method().id();
		}

		/** @return the files a file's run writes: heatmap, overlay, regions, montage; empty for an open image */
		List<Path> fileOutputs() {
			if (outputDir == null) return List.of();
			return List.of(outputDir.resolve(base() + "_heatmap.tif"), outputDir.resolve(base() + "_overlay.tif"), outputDir.resolve(base() + "_regions.csv"),
				outputDir.resolve(base() + "_montage.png"));
		}
	}

	/** @return a builder with the defaults of {@link Parameters} and {@link SaliencySettings} */
	public static Builder builder() {
		return new Builder();
	}

	/** Builds a {@link Request}. */
	public static final class Builder {
		private String model;
		private String device = Parameters.DEVICE;
		private SaliencySettings settings = SaliencySettings.DEFAULT;
		private ImagePlus image;
		private Path input;
		private Path outputDir;
		private Path regionsCsv;
		private boolean overlay = true;
		private double opacity = SaliencySettings.OVERLAY_OPACITY;
		private int montageSlices = SaliencySettings.MONTAGE_SLICES;
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
		 * Explains a file and writes {@code <name>_<method>_heatmap.tif}, {@code _overlay.tif},
		 * {@code _regions.csv} and {@code _montage.png} into a folder.
		 *
		 * @param input the file
		 * @param outputDir the output folder
		 * @return this builder
		 */
		public Builder setInput(Path input, Path outputDir) {
			this.input = input;
			this.outputDir = outputDir;
			return this;
		}

		/**
		 * @param settings the method and its parameters
		 * @return this builder
		 */
		public Builder optSettings(SaliencySettings settings) {
			this.settings = settings;
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
		 * @param overlay whether heatmaps and region outlines go on the image's overlay
		 * @param opacity the heatmaps' opacity there (and on the montage), 0 to 1
		 * @return this builder
		 */
		public Builder optOverlay(boolean overlay, double opacity) {
			this.overlay = overlay;
			this.opacity = opacity;
			return this;
		}

		/**
		 * @param csv a CSV for the regions of an open image (never overwritten), or null
		 * @return this builder
		 */
		public Builder optRegionsCsv(Path csv) {
			this.regionsCsv = csv;
			return this;
		}

		/**
		 * @param slices slices in a file's montage, 1 to 64
		 * @return this builder
		 */
		public Builder optMontageSlices(int slices) {
			this.montageSlices = slices;
			return this;
		}

		/**
		 * @param overwrite whether a file's outputs may replace earlier ones (never the input)
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
			Parameters.inRange("overlay_opacity", opacity, 0, 1);
			Parameters.inRange("montage_slices", montageSlices, 1, 64);
			Request r = new Request(this, Parameters.device(device), settings.request());
			if (input != null) {
				String clash = ClassifyTask.outputClash(input, outputDir, r.fileOutputs().toArray(Path[]::new));
				if (clash != null) throw MedCnnException.usage(clash);
			}
			return r;
		}
	}

	/**
	 * The outcome.
	 *
	 * @param run the saliency maps and regions of every slice
	 * @param image the image explained (with heatmaps on its overlay when asked)
	 * @param slices its slices
	 * @param heatmap the 32-bit heatmap stack with the image's dimensions and calibration
	 * @param warnings what the reader and the run want the user to know
	 * @param written the files written
	 */
	public record Result(SaliencyRun run, ImagePlus image, ImagePlusSlices slices, ImagePlus heatmap, List<String> warnings, List<Path> written) {}

	/**
	 * Runs the request.
	 *
	 * @param r the request
	 * @param progress receives progress
	 * @param cancellation checked between batches
	 * @return the result
	 * @throws MedCnnException naming the file or parameter that is wrong, with the kind of failure
	 */
	public Result run(Request r, ProgressListener progress, Cancellation cancellation) throws MedCnnException {
		List<Path> outputs = new ArrayList<>(r.fileOutputs());
		if (r.regionsCsv != null) outputs.add(r.regionsCsv);
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
		ImagePlusSlices slices = new ImagePlusSlices(imp, source);
		SaliencyRun run;
		try {
			ExplainModel loaded = provider.other(ExplainModel.CACHE_KIND, r.model, r.device, ExplainModel.class, ExplainModel::load);
			try {
				DjlSaliency.check(r.saliency, loaded);
			} catch (IllegalArgumentException e) {
				throw MedCnnException.usage(e.getMessage());
			}
			run = new DjlSaliency(loaded).explain(slices, r.saliency, progress, cancellation);
		} catch (ModelLoadException e) {
			throw new MedCnnException(MedCnnException.Kind.MODEL, e.getMessage(), e);
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, (r.input != null ? r.input + ": " : "") + e.getMessage(), e);
		} catch (SaliencyException e) {
			throw new MedCnnException(MedCnnException.Kind.INFERENCE, e.getMessage(), e);
		} catch (CancellationException e) {
			throw new MedCnnException(MedCnnException.Kind.CANCELLED, "cancelled", e);
		}
		warnings.addAll(run.warnings());
		ImagePlus heat = SaliencyOverlays.heatmapStack(slices, run);
		if (r.overlay || r.input != null) SaliencyOverlays.add(slices, run, r.opacity);
		List<Path> written = new ArrayList<>();
		try {
			if (r.input != null) {
				List<Path> f = r.fileOutputs();
				TiffOutput.save(heat, f.get(0), mayReplace);
				TiffOutput.save(imp, f.get(1), mayReplace);
				SaliencyOutputs.writeRegions(run, SaliencyTables.scale(imp.getCalibration()), f.get(2), mayReplace);
				SaliencyOutputs.savePng(SaliencyMontage.render(slices, run, r.montageSlices, r.opacity), f.get(3), mayReplace);
				written.addAll(f);
			}
			if (r.regionsCsv != null) {
				SaliencyOutputs.writeRegions(run, SaliencyTables.scale(imp.getCalibration()), r.regionsCsv, false);
				written.add(r.regionsCsv);
			}
		} catch (IOException e) {
			throw new MedCnnException(MedCnnException.Kind.OUTPUT, e.getMessage(), e);
		}
		return new Result(run, imp, slices, heat, warnings, written);
	}
}
