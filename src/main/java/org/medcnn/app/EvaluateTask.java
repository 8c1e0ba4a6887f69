package org.medcnn.app;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.eval.LabelMap;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.io.EvaluationOutputs;
import org.medcnn.io.EvaluationReport;
import org.medcnn.io.ImageSampleReader;

/**
 * Evaluates a model on labelled images (a class-folder data set or a CSV list, optionally one part of a
 * model's split.csv): every metric with its bootstrap interval, the flags, and, when asked, the CSVs, the
 * report with its figures, and the share of a foreign folder flagged out of distribution.
 */
public final class EvaluateTask {

	private final ModelProvider provider;

	/**
	 * @param provider the session's models
	 */
	public EvaluateTask(ModelProvider provider) {
		this.provider = provider;
	}

	/** What to evaluate and where the results go; build with {@link #builder()}. */
	public static final class Request {
		private final String model;
		private final DeviceSpec device;
		private final int batchSize;
		private final UncertaintyOptions uncertainty;
		private final Path dataDir;
		private final Path dataCsv;
		private final String part;
		private final Path dataRoot;
		private final String labelMap;
		private final List<String> positives;
		private final int bootstrap;
		private final long seed;
		private final Path outputDir;
		private final boolean report;
		private final boolean overwrite;
		private final Path oodData;

		private Request(Builder b, DeviceSpec device, UncertaintyOptions uncertainty, List<String> positives) {
			this.model = b.model;
			this.device = device;
			this.batchSize = b.batchSize;
			this.uncertainty = uncertainty;
			this.dataDir = b.dataDir;
			this.dataCsv = b.dataCsv;
			this.part = b.part;
			this.dataRoot = b.dataRoot;
			this.labelMap = b.labelMap;
			this.positives = positives;
			this.bootstrap = b.bootstrap;
			this.seed = b.seed;
			this.outputDir = b.outputDir;
			this.report = b.report;
			this.overwrite = b.overwrite;
			this.oodData = b.oodData;
		}

		/** @return the data evaluated, for messages: the folder or list, and the part */
		public String data() {
			return (dataCsv != null ? dataCsv.toString() : dataDir.toString()) + (part == null ? "" : " (part " + part + ")");
		}

		/** @return the classes of the binary report, possibly none */
		public List<String> positives() {
			return positives;
		}

		/** @return the bootstrap resamples */
		public int bootstrap() {
			return bootstrap;
		}

		/** @return the bootstrap seed */
		public long seed() {
			return seed;
		}

		/** @return the foreign folder, or null */
		public Path oodData() {
			return oodData;
		}

		/** @return whether a label map was given */
		public boolean mapped() {
			return labelMap != null;
		}
	}

	/** @return a builder with the defaults of {@link Parameters} */
	public static Builder builder() {
		return new Builder();
	}

	/** Builds a {@link Request}. */
	public static final class Builder extends UncertaintyBuilder<Builder> {
		private String model;
		private Path dataDir;
		private Path dataCsv;
		private String part;
		private Path dataRoot;
		private String labelMap;
		private String positives;
		private int bootstrap = Parameters.BOOTSTRAP;
		private long seed = Parameters.BOOTSTRAP_SEED;
		private Path outputDir;
		private boolean report;
		private boolean overwrite;
		private Path oodData;

		private Builder() {}

		@Override
		protected Builder self() {
			return this;
		}

		/**
		 * @param model model id or package folder; several separated by commas
		 * @return this builder
		 */
		public Builder setModel(String model) {
			this.model = model;
			return this;
		}

		/**
		 * @param dir a folder with one sub-folder per class
		 * @return this builder
		 */
		public Builder setDataDir(Path dir) {
			this.dataDir = dir;
			return this;
		}

		/**
		 * @param csv a list with columns path,label[,group] (or a model's split.csv with a part)
		 * @param part only the rows of this part, or null
		 * @param root the folder the relative paths start from, or null for the list's folder
		 * @return this builder
		 */
		public Builder setDataCsv(Path csv, String part, Path root) {
			this.dataCsv = csv;
			this.part = part == null || part.isBlank() ? null : part.trim();
			this.dataRoot = root;
			return this;
		}

		/**
		 * @param map 'a=x,b=x,c=-' or a CSV with label,class; null or empty for none
		 * @return this builder
		 */
		public Builder optLabelMap(String map) {
			this.labelMap = map == null || map.isBlank() ? null : map;
			return this;
		}

		/**
		 * @param classes comma-separated classes of a binary report against the others; null or empty for none
		 * @return this builder
		 */
		public Builder optPositive(String classes) {
			this.positives = classes;
			return this;
		}

		/**
		 * @param resamples bootstrap resamples of the intervals, 0 for none
		 * @param seed the bootstrap seed
		 * @return this builder
		 */
		public Builder optBootstrap(int resamples, long seed) {
			this.bootstrap = resamples;
			this.seed = seed;
			return this;
		}

		/**
		 * @param dir the folder for the CSVs, or null for none
		 * @param report whether the report (report.html and its PNG figures) goes there too
		 * @param overwrite whether existing outputs may be replaced
		 * @return this builder
		 */
		public Builder optOutput(Path dir, boolean report, boolean overwrite) {
			this.outputDir = dir;
			this.report = report;
			this.overwrite = overwrite;
			return this;
		}

		/**
		 * @param dir a folder of images known to be foreign to the model, or null
		 * @return this builder
		 */
		public Builder optOodData(Path dir) {
			this.oodData = dir;
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
			if ((dataDir == null) == (dataCsv == null)) throw MedCnnException.usage("give exactly one of data_dir and data_csv (test_list in Fiji)");
			if (dataCsv == null && (part != null || dataRoot != null)) throw MedCnnException.usage("part and data_root go with data_csv");
			if (report && outputDir == null) throw MedCnnException.usage("save_report needs an output_dir");
			if (oodData != null && !Files.isDirectory(oodData)) throw MedCnnException.usage("ood_data " + oodData + ": not a folder");
			Parameters.inRange("bootstrap", bootstrap, 0, 100000);
			Parameters.batchSize(batchSize);
			DeviceSpec d = Parameters.device(device);
			UncertaintyOptions u = uncertaintyOptions();
			List<String> pos = positives == null || positives.isBlank() ? List.of()
				: Arrays.stream(positives.split(",")).map(String::trim).filter(x -> !x.isEmpty()).distinct().toList();
			Request r = new Request(this, d, u, pos);
			if (outputDir != null && dataCsv != null) {
				try {
					for (String name : outputs(r)) OutputGuard.refuseInput(outputDir.resolve(name), dataCsv, "output folder");
				} catch (IllegalArgumentException e) {
					throw MedCnnException.usage(e.getMessage());
				}
			}
			return r;
		}
	}

	/** The files a request may write into its output folder. */
	private static List<String> outputs(Request r) {
		List<String> names = new ArrayList<>(EvaluationOutputs.FILES);
		if (r.report) names.addAll(EvaluationReport.possibleFiles(!r.positives.isEmpty()));
		if (r.oodData != null) names.add("ood.csv");
		return names;
	}

	/**
	 * The outcome.
	 *
	 * @param evaluation the evaluation
	 * @param context what the report says about the run (model, data, label map, binary classes, history, foreign data)
	 * @param labels how the data's labels were mapped onto the model's classes
	 * @param foreign the foreign folder's figures, or null
	 * @param warnings device fallbacks and unreadable images, one line each
	 * @param written the files written
	 */
	public record Result(Evaluator.Evaluation evaluation, EvaluationReport.Context context, LabelMap.Result labels, Evaluator.ForeignOod foreign,
		List<String> warnings, List<Path> written) {}

	/**
	 * Runs the request.
	 *
	 * @param r the request
	 * @param progress receives progress per file
	 * @param cancellation checked between files
	 * @return the result
	 * @throws MedCnnException naming the file or parameter that is wrong, with the kind of failure
	 */
	public Result run(Request r, ProgressListener progress, Cancellation cancellation) throws MedCnnException {
		if (r.outputDir != null && !r.overwrite) {
			List<String> existing = outputs(r).stream().filter(n -> Files.exists(r.outputDir.resolve(n))).toList();
			if (!existing.isEmpty()) {
				throw new MedCnnException(MedCnnException.Kind.OUTPUT, r.outputDir + " already holds " + String.join(", ", existing)
					+ "; not overwritten (use overwrite to replace them)");
			}
		}
		List<Sample> samples;
		LabelMap map;
		try {
			samples = r.dataCsv != null ? Datasets.readCsv(r.dataCsv, r.dataRoot, r.part) : Datasets.scanFolder(r.dataDir);
			map = r.labelMap == null ? LabelMap.identity() : LabelMap.of(r.labelMap);
		} catch (IOException | IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
		}
		Ensemble loaded;
		try {
			loaded = provider.loadAll(r.model, r.device);
		} catch (ModelLoadException e) {
			throw new MedCnnException(MedCnnException.Kind.MODEL, e.getMessage(), e);
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.USAGE, e.getMessage(), e);
		}
		List<String> warnings = new ArrayList<>();
		for (ClassifierModel m : loaded.models()) if (m.fallbackWarning() != null && !warnings.contains(m.fallbackWarning())) warnings.add(m.fallbackWarning());
		List<String> classes = loaded.primary().card().classes();
		LabelMap.Result labels;
		try {
			for (String p : r.positives) {
				if (!classes.contains(p)) throw new IllegalArgumentException("positive: '" + p + "' is not a class of " + loaded.id() + " " + classes);
			}
			labels = map.apply(samples, classes);
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.USAGE, e.getMessage(), e);
		}
		Evaluator.Evaluation ev;
		Evaluator.ForeignOod foreign = null;
		try {
			ev = new Evaluator(loaded, new ImageSampleReader(), r.batchSize, r.uncertainty).evaluate(labels.samples(), r.bootstrap, r.seed, progress, cancellation);
			if (r.oodData != null) {
				foreign = new Evaluator(loaded, new ImageSampleReader(), r.batchSize, UncertaintyOptions.NONE).foreign(ev, files(r.oodData), progress,
					cancellation);
			}
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
		} catch (TranslateException e) {
			throw new MedCnnException(MedCnnException.Kind.INFERENCE, "inference failed: " + e.getMessage(), e);
		} catch (CancellationException e) {
			throw new MedCnnException(MedCnnException.Kind.CANCELLED, "cancelled", e);
		} catch (IOException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, "ood_data: " + e.getMessage(), e);
		}
		if (!ev.skipped().isEmpty()) {
			warnings.add("skipped " + ev.skipped().size() + " unreadable image(s), e.g. " + ev.skipped().get(0));
		}
		boolean single = loaded.models().size() == 1;
		EvaluationReport.Context context = new EvaluationReport.Context(loaded.id(), single ? loaded.primary().card().version() : null, loaded.shortSha(),
			r.data(), r.labelMap == null ? null : labels, r.positives,
			single ? EvaluationReport.readHistory(loaded.primary().dir().resolve("training_history.csv")) : null, foreign, r.oodData);
		List<Path> written = new ArrayList<>();
		if (r.outputDir != null) {
			try {
				EvaluationOutputs.write(ev, r.outputDir, r.overwrite);
				for (String n : EvaluationOutputs.FILES) written.add(r.outputDir.resolve(n));
				if (foreign != null) {
					EvaluationOutputs.writeForeign(ev, foreign, r.oodData, r.outputDir, r.overwrite);
					written.add(r.outputDir.resolve("ood.csv"));
				}
				if (r.report) {
					EvaluationReport.write(ev, context, r.outputDir, r.overwrite);
					written.add(r.outputDir.resolve(EvaluationReport.HTML));
				}
			} catch (IOException e) {
				throw new MedCnnException(MedCnnException.Kind.OUTPUT, e.getMessage(), e);
			}
		}
		return new Result(ev, context, labels, foreign, warnings, written);
	}

	/**
	 * Every regular, non-hidden file below a folder, in name order: the foreign data, or the images of a
	 * folder a detector is measured on.
	 *
	 * @param dir the folder
	 * @return the files
	 * @throws IOException if the folder cannot be listed
	 */
	public static List<Path> files(Path dir) throws IOException {
		try (Stream<Path> s = Files.walk(dir)) {
			return s.filter(Files::isRegularFile).filter(p -> !dir.relativize(p).toString().startsWith(".") && !p.getFileName().toString().startsWith("."))
				.sorted().toList();
		}
	}
}
