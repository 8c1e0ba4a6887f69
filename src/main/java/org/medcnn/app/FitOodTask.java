package org.medcnn.app;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.ood.OodDetector;
import org.medcnn.core.ood.OodFitter;
import org.medcnn.core.ood.OodMethod;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.train.OodFitting;
import org.medcnn.io.ImageSampleReader;

/**
 * Fits (or refits) the out-of-distribution detector of an existing model package from its
 * {@code split.csv}, without retraining (medcnn fit-ood): features of the training part, threshold on
 * the validation part, figures on the test part and on any foreign folders; the detector and its figures
 * go into the package, the previous card is kept as {@code model.json.bak}.
 */
public final class FitOodTask {

	/** Default {@code method}: the key of {@link OodFitter#DEFAULT_METHOD} (a constant, for the options' annotations). */
	public static final String METHOD = "knn";
	/** Default {@code k}. */
	public static final int K = OodFitter.DEFAULT_K;
	/** Default {@code shrinkage}. */
	public static final double SHRINKAGE = OodFitter.DEFAULT_SHRINKAGE;
	/** Default {@code coverage}. */
	public static final double COVERAGE = OodFitter.DEFAULT_COVERAGE;
	/** The copy of the card made before it is rewritten. */
	public static final String CARD_BACKUP = "model.json.bak";

	/** What to fit; build with {@link #builder()}. */
	public static final class Request {
		private final Path model;
		private final Path dataRoot;
		private final OodFitting.Options options;
		private final Map<String, Path> foreign;
		private final DeviceSpec device;
		private final int batchSize;

		private Request(Path model, Path dataRoot, OodFitting.Options options, Map<String, Path> foreign, DeviceSpec device, int batchSize) {
			this.model = model;
			this.dataRoot = dataRoot;
			this.options = options;
			this.foreign = foreign;
			this.device = device;
			this.batchSize = batchSize;
		}

		/** @return the detector settings */
		public OodFitting.Options options() {
			return options;
		}

		/** @return the foreign folders by name, in the order given */
		public Map<String, Path> foreign() {
			return foreign;
		}
	}

	/**
	 * What was fitted and written.
	 *
	 * @param modelId the package's id
	 * @param fitted the detector with its validation and test figures
	 * @param foreign its figures on each foreign folder
	 * @param written the detector file, the card and the card's backup
	 */
	public record Result(String modelId, OodFitting.Fitted fitted, List<OodFitting.Measured> foreign, List<Path> written) {}

	/** @return a builder with the defaults of this class and {@link Parameters} */
	public static Builder builder() {
		return new Builder();
	}

	/** Builds a {@link Request}. */
	public static final class Builder extends EngineBuilder<Builder> {
		private Path model;
		private Path dataRoot;
		private String method = METHOD;
		private int k = K;
		private double shrinkage = SHRINKAGE;
		private double coverage = COVERAGE;
		private boolean half = true;
		private final List<String> foreign = new ArrayList<>();

		private Builder() {}

		@Override
		protected Builder self() {
			return this;
		}

		/**
		 * @param model the package folder (its card is updated)
		 * @param dataRoot the folder that the package's split.csv paths start from
		 * @return this builder
		 */
		public Builder setModel(Path model, Path dataRoot) {
			this.model = model;
			this.dataRoot = dataRoot;
			return this;
		}

		/**
		 * @param method knn or mahalanobis
		 * @param k the k of knn
		 * @param shrinkage the covariance shrinkage of mahalanobis, in (0, 1]
		 * @param coverage the share of validation slices kept unflagged, in (0, 1)
		 * @return this builder
		 */
		public Builder optDetector(String method, int k, double shrinkage, double coverage) {
			this.method = method;
			this.k = k;
			this.shrinkage = shrinkage;
			this.coverage = coverage;
			return this;
		}

		/**
		 * @param half whether the detector's matrices are stored as float16 (default) instead of float32
		 * @return this builder
		 */
		public Builder optHalf(boolean half) {
			this.half = half;
			return this;
		}

		/**
		 * @param foreign folders of images known to be foreign to the model, each {@code NAME=DIR}
		 * @return this builder
		 */
		public Builder optForeign(List<String> foreign) {
			this.foreign.clear();
			this.foreign.addAll(foreign);
			return this;
		}

		/**
		 * @return the request
		 * @throws MedCnnException (usage) naming the parameter that is missing or wrong
		 */
		public Request build() throws MedCnnException {
			if (model == null) throw MedCnnException.usage("model is missing");
			if (dataRoot == null) throw MedCnnException.usage("data_root is missing");
			DeviceSpec dev = Parameters.device(device);
			int batch = Parameters.batchSize(batchSize);
			OodFitting.Options options;
			try {
				options = new OodFitting.Options(OodMethod.parse(method), k, shrinkage, coverage, half);
			} catch (IllegalArgumentException e) {
				throw MedCnnException.usage(e.getMessage().replace("ood ", ""));
			}
			Map<String, Path> dirs = new LinkedHashMap<>();
			for (String f : foreign) {
				int eq = f.indexOf('=');
				if (eq < 1 || eq == f.length() - 1) throw MedCnnException.usage("foreign '" + f + "' must be NAME=DIR");
				String name = f.substring(0, eq);
				if (!name.matches("[A-Za-z0-9._-]{1,64}")) throw MedCnnException.usage("foreign name '" + name + "' must be letters, digits, '.', '_' or '-'");
				Path dir = Path.of(f.substring(eq + 1));
				if (!Files.isDirectory(dir)) throw MedCnnException.usage("foreign: " + dir + " (" + name + ") is not a folder");
				if (dirs.put(name, dir) != null) throw MedCnnException.usage("foreign name '" + name + "' is given twice");
			}
			if (!Files.isDirectory(model)) throw MedCnnException.usage("model: " + model + " is not a folder");
			return new Request(model, dataRoot, options, dirs, dev, batch);
		}
	}

	/**
	 * Fits and writes the detector.
	 *
	 * @param r the request
	 * @param progress told which part is being read
	 * @param cancellation checked between parts
	 * @return what was fitted and written
	 * @throws MedCnnException naming what failed: the split or a foreign folder (input), the package (model),
	 *         the engine (inference), the files (output) or the user (cancelled)
	 */
	public Result run(Request r, ProgressListener progress, Cancellation cancellation) throws MedCnnException {
		Path split = r.model.resolve("split.csv");
		if (!Files.isRegularFile(split)) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, split + ": the package has no split.csv, so its training and validation parts are unknown; "
				+ "fit-ood needs the split the model was trained on (packages made by medcnn train have one)");
		}
		List<Sample> train;
		List<Sample> validation;
		List<Sample> test;
		try {
			train = Datasets.readCsv(split, r.dataRoot, "train");
			validation = Datasets.readCsv(split, r.dataRoot, "validation");
			test = Datasets.readCsv(split, r.dataRoot, "test");
		} catch (IOException | IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
		}
		if (train.isEmpty()) throw new MedCnnException(MedCnnException.Kind.INPUT, split + ": no rows of part 'train'");
		if (validation.isEmpty()) throw new MedCnnException(MedCnnException.Kind.INPUT, split + ": no rows of part 'validation' to choose the threshold on");
		ModelPackage pkg;
		try {
			pkg = ModelPackage.open(r.model);
		} catch (ModelLoadException e) {
			throw new MedCnnException(MedCnnException.Kind.MODEL, e.getMessage(), e);
		}
		List<String> classes = pkg.card().classes();
		ImageSampleReader reader = new ImageSampleReader();
		OodFitting.Fitted fitted;
		List<OodFitting.Measured> measured = new ArrayList<>();
		int parts = 3 + r.foreign.size();
		try (ClassifierModel loaded = ClassifierModel.load(pkg, r.device)) {
			progress.progress("features of " + train.size() + " training files", 0, parts);
			OodFitting.Features tr = OodFitting.features(loaded, train, classes, reader, r.batchSize, false, cancellation);
			progress.progress("features of " + validation.size() + " validation files", 1, parts);
			OodFitting.Features va = OodFitting.features(loaded, validation, classes, reader, r.batchSize, false, cancellation);
			progress.progress("features of " + test.size() + " test files", 2, parts);
			OodFitting.Features te = OodFitting.features(loaded, test, classes, reader, r.batchSize, false, cancellation);
			fitted = OodFitting.fit(tr, va, te, classes.size(), r.options);
			int done = 3;
			for (Map.Entry<String, Path> e : r.foreign.entrySet()) {
				List<Sample> files = listFiles(e.getValue());
				progress.progress("features of " + files.size() + " foreign files (" + e.getKey() + ")", done++, parts);
				OodFitting.Features ff = OodFitting.features(loaded, files, null, reader, r.batchSize, true, cancellation);
				if (ff.x().length == 0) throw new MedCnnException(MedCnnException.Kind.INPUT, "foreign " + e.getKey() + ": no readable slices in " + e.getValue());
				measured.add(OodFitting.measure(fitted, e.getKey(), "foreign data: " + e.getValue().getFileName() + " (" + files.size() + " files)", ff));
			}
		} catch (ModelLoadException e) {
			throw new MedCnnException(MedCnnException.Kind.MODEL, e.getMessage(), e);
		} catch (IOException | IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
		} catch (TranslateException e) {
			throw new MedCnnException(MedCnnException.Kind.INFERENCE, "inference failed: " + e.getMessage(), e);
		} catch (CancellationException e) {
			throw new MedCnnException(MedCnnException.Kind.CANCELLED, "cancelled; the package is unchanged", e);
		}
		Path card = r.model.resolve(ModelPackage.CARD);
		Path backup = r.model.resolve(CARD_BACKUP);
		try {
			Files.copy(card, backup, StandardCopyOption.REPLACE_EXISTING);
			OodFitting.write(r.model, fitted, measured, "medcnn fit-ood (--method " + r.options.method().key()
				+ (r.options.method() == OodMethod.KNN ? " --k " + r.options.k() : " --shrinkage " + r.options.shrinkage()) + " --coverage " + r.options.coverage() + ")");
		} catch (IOException e) {
			throw new MedCnnException(MedCnnException.Kind.OUTPUT, e.getMessage(), e);
		} catch (ModelLoadException e) {
			throw new MedCnnException(MedCnnException.Kind.OUTPUT, "the updated package does not verify (old card in " + CARD_BACKUP + "): " + e.getMessage(), e);
		}
		return new Result(pkg.card().id(), fitted, List.copyOf(measured), List.of(r.model.resolve(OodDetector.FILE), card, backup));
	}

	/**
	 * Every regular, non-hidden file below a folder, as unlabelled samples, in name order.
	 *
	 * @param dir the folder
	 * @return the files
	 * @throws IOException if the folder cannot be listed
	 */
	static List<Sample> listFiles(Path dir) throws IOException {
		List<Sample> out = new ArrayList<>();
		try (Stream<Path> s = Files.walk(dir)) {
			s.filter(Files::isRegularFile).filter(p -> !dir.relativize(p).toString().startsWith(".") && !p.getFileName().toString().startsWith("."))
				.sorted().forEach(p -> out.add(new Sample(p, "", null)));
		}
		return out;
	}
}
