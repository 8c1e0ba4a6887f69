package org.medcnn.app;

import ai.djl.translate.TranslateException;
import ij.ImagePlus;
import ij.io.FileSaver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.ShiftTest;
import org.medcnn.core.eval.Shifts;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.ij.ShiftPlots;
import org.medcnn.io.AtomicFiles;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.io.JpegShift;

/**
 * Robustness under graded synthetic shifts (medcnn shift-test): classifies labelled slices unchanged and
 * under each shift and strength, and writes per row the accuracy next to the share flagged out of
 * distribution ({@code shift.csv}) with a plot ({@code shift.png}).
 */
public final class ShiftTestTask {

	/** The table's file name. */
	public static final String CSV = "shift.csv";
	/** The plot's file name. */
	public static final String PNG = "shift.png";
	/** Default {@code part}. */
	public static final String PART = "test";
	/** Default {@code seed}. */
	public static final long SEED = 0;

	private final ModelProvider provider;

	/**
	 * @param provider the session's models
	 */
	public ShiftTestTask(ModelProvider provider) {
		this.provider = provider;
	}

	/** What to test; build with {@link #builder()}. */
	public static final class Request {
		private final String model;
		private final Path dataRoot;
		private final String part;
		private final Path dataDir;
		private final Path output;
		private final List<Shifts.Shift> shifts;
		private final long seed;
		private final DeviceSpec device;
		private final int batchSize;
		private final boolean overwrite;

		private Request(Builder b, List<Shifts.Shift> shifts, DeviceSpec device, int batchSize) {
			this.model = b.model;
			this.dataRoot = b.dataRoot;
			this.part = b.part;
			this.dataDir = b.dataDir;
			this.output = b.output;
			this.shifts = List.copyOf(shifts);
			this.seed = b.seed;
			this.device = device;
			this.batchSize = batchSize;
			this.overwrite = b.overwrite;
		}

		/** @return the shifts that run, in order */
		public List<Shifts.Shift> shifts() {
			return shifts;
		}
	}

	/**
	 * What was measured and written.
	 *
	 * @param modelId the model's id
	 * @param result the rows and the unreadable images
	 * @param written the table and the plot
	 */
	public record Result(String modelId, ShiftTest.Result result, List<Path> written) {}

	/** @return a builder with the defaults of this class and {@link Parameters} */
	public static Builder builder() {
		return new Builder();
	}

	/** Builds a {@link Request}. */
	public static final class Builder extends EngineBuilder<Builder> {
		private String model;
		private Path dataRoot;
		private String part = PART;
		private Path dataDir;
		private Path output;
		private List<String> families = List.of();
		private long seed = SEED;
		private boolean overwrite;

		private Builder() {}

		@Override
		protected Builder self() {
			return this;
		}

		/**
		 * @param model a model id or package folder
		 * @return this builder
		 */
		public Builder setModel(String model) {
			this.model = model;
			return this;
		}

		/**
		 * Tests a part of the model's own split.
		 *
		 * @param dataRoot the folder that the model's split.csv paths start from
		 * @param part the part of split.csv
		 * @return this builder
		 */
		public Builder optSplit(Path dataRoot, String part) {
			this.dataRoot = dataRoot;
			this.part = part;
			return this;
		}

		/**
		 * Tests a folder instead of the split.
		 *
		 * @param dataDir an image folder with one sub-folder per class
		 * @return this builder
		 */
		public Builder optDataDir(Path dataDir) {
			this.dataDir = dataDir;
			return this;
		}

		/**
		 * @param output the folder for shift.csv and shift.png
		 * @return this builder
		 */
		public Builder setOutput(Path output) {
			this.output = output;
			return this;
		}

		/**
		 * @param families the shift families to run; empty: all
		 * @return this builder
		 */
		public Builder optFamilies(List<String> families) {
			this.families = List.copyOf(families);
			return this;
		}

		/**
		 * @param seed the seed of the noise
		 * @return this builder
		 */
		public Builder optSeed(long seed) {
			this.seed = seed;
			return this;
		}

		/**
		 * @param overwrite whether existing shift.csv and shift.png may be replaced
		 * @return this builder
		 */
		public Builder optOverwrite(boolean overwrite) {
			this.overwrite = overwrite;
			return this;
		}

		/**
		 * @return the request
		 * @throws MedCnnException naming the parameter that is missing or wrong (usage), or an output that
		 *         exists and may not be replaced (output)
		 */
		public Request build() throws MedCnnException {
			if (model == null || model.isBlank()) throw MedCnnException.usage("model is missing");
			if (output == null) throw MedCnnException.usage("output is missing");
			if ((dataRoot == null) == (dataDir == null)) throw MedCnnException.usage("give exactly one of data_root (the model's split) and data_dir");
			DeviceSpec dev = Parameters.device(device);
			int batch = Parameters.batchSize(batchSize);
			List<Shifts.Shift> shifts = new ArrayList<>(Shifts.arithmetic());
			shifts.addAll(JpegShift.shifts());
			if (!families.isEmpty()) {
				List<String> known = shifts.stream().map(Shifts.Shift::family).distinct().toList();
				for (String f : families) if (!known.contains(f)) throw MedCnnException.usage("families: '" + f + "' is not one of " + known);
				shifts.removeIf(s -> !families.contains(s.family()));
			}
			if (dataDir != null && OutputGuard.within(output, dataDir)) {
				throw MedCnnException.usage("output: " + output + " lies inside data_dir " + dataDir + "; its files would be read as images");
			}
			for (String f : List.of(CSV, PNG)) {
				if (!overwrite && Files.exists(output.resolve(f))) {
					throw new MedCnnException(MedCnnException.Kind.OUTPUT, output.resolve(f) + ": already exists; not overwritten (use --overwrite)");
				}
			}
			return new Request(this, shifts, dev, batch);
		}
	}

	/**
	 * Runs the shifts and writes the table and the plot.
	 *
	 * @param r the request
	 * @param progress told each shift as it starts
	 * @param cancellation checked between batches
	 * @return the rows and what was written
	 * @throws MedCnnException naming what failed: the model (model), the images or split (input), the engine
	 *         (inference), the files (output) or the user (cancelled)
	 */
	public Result run(Request r, ProgressListener progress, Cancellation cancellation) throws MedCnnException {
		Ensemble loaded;
		try {
			loaded = provider.loadAll(r.model, r.device);
		} catch (ModelLoadException | IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.MODEL, e.getMessage(), e);
		}
		List<Sample> samples;
		try {
			if (r.dataDir != null) {
				samples = Datasets.scanFolder(r.dataDir);
			} else {
				Path split = loaded.primary().dir().resolve("split.csv");
				if (!Files.isRegularFile(split)) throw new IllegalArgumentException(split + ": the model has no split.csv; give --data-dir instead");
				samples = Datasets.readCsv(split, r.dataRoot, r.part);
				if (samples.isEmpty()) throw new IllegalArgumentException(split + ": no rows of part '" + r.part + "'");
			}
		} catch (IOException | IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
		}
		ShiftTest.Result result;
		try {
			result = new ShiftTest(loaded, new ImageSampleReader(), r.batchSize).run(samples, r.shifts, r.seed, progress, cancellation);
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
		} catch (TranslateException e) {
			throw new MedCnnException(MedCnnException.Kind.INFERENCE, "inference failed: " + e.getMessage(), e);
		} catch (CancellationException e) {
			throw new MedCnnException(MedCnnException.Kind.CANCELLED, "cancelled; nothing written", e);
		}
		Path csv = r.output.resolve(CSV);
		Path png = r.output.resolve(PNG);
		try {
			Files.createDirectories(r.output);
			String text = csv(result, loaded.id());
			AtomicFiles.write(csv, r.overwrite, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
			ImagePlus plot = ShiftPlots.montage(result, loaded.id());
			AtomicFiles.write(png, r.overwrite, tmp -> {
				if (!new FileSaver(plot).saveAsPng(tmp.toString())) throw new IOException(tmp + ": cannot be written");
			});
		} catch (IOException e) {
			throw new MedCnnException(MedCnnException.Kind.OUTPUT, e.getMessage(), e);
		}
		return new Result(loaded.id(), result, List.of(csv, png));
	}

	/**
	 * The CSV of a shift test.
	 *
	 * @param result the result
	 * @param model the model id
	 * @return CSV text
	 */
	static String csv(ShiftTest.Result result, String model) {
		StringBuilder sb = new StringBuilder("model,shift,level,parameter,slices,accuracy,macro_f1,ood_flagged_share,ood_mean_score,accuracy_ood_kept,accuracy_ood_flagged\n");
		for (ShiftTest.Row row : result.rows()) {
			sb.append(String.format(Locale.ROOT, "%s,%s,%d,\"%s\",%d,%s,%s,%s,%s,%s,%s%n", model, row.family(), row.level(), row.parameter().replace("\"", "\"\""),
				row.slices(), num(row.accuracy()), num(row.macroF1()), num(row.oodFlagged()), num(row.oodMeanScore()), num(row.accuracyKept()),
				num(row.accuracyFlagged())));
		}
		return sb.toString();
	}

	private static String num(double v) {
		return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
	}
}
