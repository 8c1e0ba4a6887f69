package org.medcnn.core.train;

import ai.djl.translate.TranslateException;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.medcnn.core.data.Sample;
import org.medcnn.core.data.SampleReader;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.model.Hashes;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.ood.OodDetector;
import org.medcnn.core.ood.OodFitter;
import org.medcnn.core.ood.OodMethod;
import org.medcnn.core.progress.Cancellation;

/**
 * Fits a model package's out-of-distribution detector ({@link OodDetector}) on the pooled trunk features
 * of its training part, chooses the threshold on its validation part, measures it on its test part (and
 * on foreign data, when given), and writes {@code ood.bin} and the card's {@code ood} section. Used by
 * {@code medcnn train}, {@code medcnn train-ensemble} and {@code medcnn fit-ood}. The features are those
 * of inference: the package's own trunk, loaded as Classify Slices loads it.
 */
public final class OodFitting {

	private OodFitting() {}

	/**
	 * The detector settings.
	 *
	 * @param method the method
	 * @param k the k of the k-NN method (ignored by Mahalanobis)
	 * @param shrinkage the covariance shrinkage of the Mahalanobis method (ignored by k-NN)
	 * @param coverage the fraction of validation slices kept unflagged
	 * @param half whether the detector's matrices are stored as float16 (half the file; distances change by about 1e-4)
	 */
	public record Options(OodMethod method, int k, double shrinkage, double coverage, boolean half) {

		/** The defaults: k-NN with k = 5, 95 % of the validation slices kept, float16 storage. */
		public static final Options DEFAULT = new Options(OodFitter.DEFAULT_METHOD, OodFitter.DEFAULT_K, OodFitter.DEFAULT_SHRINKAGE,
			OodFitter.DEFAULT_COVERAGE, true);

		/**
		 * Checks the settings.
		 *
		 * @param method the method
		 * @param k k, at least 1
		 * @param shrinkage in (0, 1]
		 * @param coverage in (0, 1)
		 * @param half float16 storage
		 * @throws IllegalArgumentException naming the bad setting
		 */
		public Options {
			if (method == null) throw new IllegalArgumentException("ood method missing");
			if (k < 1 || k > 1000) throw new IllegalArgumentException("ood k must be 1 to 1000, got " + k);
			if (!(shrinkage > 0 && shrinkage <= 1)) throw new IllegalArgumentException("ood shrinkage must be in (0, 1], got " + shrinkage);
			if (!(coverage > 0 && coverage < 1)) throw new IllegalArgumentException("ood coverage must be in (0, 1), got " + coverage);
		}
	}

	/**
	 * Pooled features of slices, with their class.
	 *
	 * @param x one row of F features per slice
	 * @param y the class index of each slice, or -1 when unlabelled
	 * @param skipped files that could not be read, each with the reason
	 */
	public record Features(float[][] x, int[] y, List<String> skipped) {

		/**
		 * @param x rows
		 * @param y labels
		 * @param skipped skipped files
		 */
		public Features {
			skipped = List.copyOf(skipped);
		}
	}

	/**
	 * Computes the pooled features of every slice of some files with a loaded model.
	 *
	 * @param model the model
	 * @param samples the files; their labels are looked up in {@code classes}
	 * @param classes the classes, or null for unlabelled files (foreign data)
	 * @param reader reads the files
	 * @param batch slices per engine call
	 * @param skipUnreadable whether a file that cannot be read (or a slice the model cannot take) is skipped
	 *        and listed, rather than an error
	 * @param cancellation checked between files
	 * @return the features
	 * @throws IOException naming the file when it cannot be read and {@code skipUnreadable} is off
	 * @throws TranslateException if the engine fails
	 * @throws IllegalArgumentException for a label that is not one of {@code classes}
	 */
	public static Features features(ClassifierModel model, List<Sample> samples, List<String> classes, SampleReader reader, int batch,
		boolean skipUnreadable, Cancellation cancellation) throws IOException, TranslateException {
		SlicePreprocessor pre = new SlicePreprocessor(model.pkg().card().input());
		int per = pre.spec().tensorSize();
		int f = model.pkg().head().features();
		int at = model.pkg().oodOffset();
		int d = model.pkg().oodFeatures();
		if (d == 0) {
			throw new IllegalArgumentException(model.pkg().card().id() + " is a whole model without a feature method (head.feature_method): an out-of-distribution "
				+ "detector needs one; name it when importing (--feature-method)");
		}
		List<float[]> xs = new ArrayList<>();
		List<Integer> ys = new ArrayList<>();
		List<String> skipped = new ArrayList<>();
		float[] buf = new float[batch * per];
		List<Integer> pending = new ArrayList<>();
		try (ClassifierModel.Session s = model.newSession()) {
			for (Sample sample : samples) {
				cancellation.check("out-of-distribution fitting");
				int label = -1;
				if (classes != null) {
					label = classes.indexOf(sample.label());
					if (label < 0) throw new IllegalArgumentException(sample.file() + ": label '" + sample.label() + "' is not a class of " + model.pkg().card().id());
				}
				List<Slice> slices;
				try {
					slices = reader.read(sample.file());
				} catch (IOException e) {
					if (!skipUnreadable) throw e;
					skipped.add(e.getMessage());
					continue;
				}
				for (Slice sl : slices) {
					try {
						pre.preprocess(sl, buf, pending.size() * per);
					} catch (IllegalArgumentException e) {
						if (!skipUnreadable) throw new IOException(sample.file() + ": " + e.getMessage(), e);
						skipped.add(sample.file() + ": " + e.getMessage());
						continue;
					}
					pending.add(label);
					if (pending.size() == batch) flush(s, buf, pending, f, at, d, xs, ys);
				}
			}
			if (!pending.isEmpty()) flush(s, buf, pending, f, at, d, xs, ys);
		}
		return new Features(xs.toArray(new float[0][]), ys.stream().mapToInt(Integer::intValue).toArray(), skipped);
	}

	private static void flush(ClassifierModel.Session s, float[] buf, List<Integer> pending, int f, int at, int d, List<float[]> xs, List<Integer> ys)
		throws TranslateException {
		float[] pooled = s.pooledFeatures(buf, pending.size());
		for (int i = 0; i < pending.size(); i++) {
			xs.add(Arrays.copyOfRange(pooled, i * f + at, i * f + at + d));
			ys.add(pending.get(i));
		}
		pending.clear();
	}

	/**
	 * A fitted detector with what it was measured on.
	 *
	 * @param detector the detector, threshold chosen
	 * @param options the settings
	 * @param trainSlices training slices it was fitted on
	 * @param validationSlices validation slices the threshold was chosen on
	 * @param validationFlagged the flagged fraction of the validation slices (about 1 - coverage)
	 * @param testDistances the distances of the test slices (empty when there is no test part)
	 * @param testFlagged the flagged fraction of the test slices, NaN without a test part
	 * @param chosenOn the slices the threshold was chosen on, for the card
	 */
	public record Fitted(OodDetector detector, Options options, int trainSlices, int validationSlices, double validationFlagged, double[] testDistances,
		double testFlagged, String chosenOn) {

		/**
		 * The same detector, its threshold said to be chosen on other slices.
		 *
		 * @param what e.g. "the training part (the data had no validation part)"
		 * @return the copy
		 */
		public Fitted chosenOn(String what) {
			return new Fitted(detector, options, trainSlices, validationSlices, validationFlagged, testDistances, testFlagged, what);
		}
	}

	/**
	 * How the detector does on data known to be foreign to the model.
	 *
	 * @param name a short name (e.g. {@code brain-mri})
	 * @param description where the data came from
	 * @param slices slices scored
	 * @param flagged the flagged fraction
	 * @param auroc the AUROC of the score between the model's test slices and these
	 * @param skippedFiles files that could not be read
	 */
	public record Measured(String name, String description, int slices, double flagged, double auroc, int skippedFiles) {}

	/**
	 * Fits the detector.
	 *
	 * @param train training features with labels
	 * @param validation validation features
	 * @param test test features, possibly empty
	 * @param classes the number of classes
	 * @param options the settings
	 * @return the fitted detector
	 * @throws IllegalArgumentException for no training or validation slices
	 */
	public static Fitted fit(Features train, Features validation, Features test, int classes, Options options) {
		if (train.x().length == 0) throw new IllegalArgumentException("no training slices to fit the out-of-distribution detector on");
		if (validation.x().length == 0) throw new IllegalArgumentException("no validation slices to choose the out-of-distribution threshold on");
		OodDetector raw = switch (options.method()) {
			case KNN -> OodFitter.knn(train.x(), Math.min(options.k(), train.x().length), options.half());
			case MAHALANOBIS -> OodFitter.mahalanobis(train.x(), train.y(), classes, options.shrinkage(), options.half());
		};
		double[] v = distances(raw, validation.x());
		double t = OodFitter.threshold(v, options.coverage());
		OodDetector d = raw.withThreshold(t);
		double[] te = distances(d, test.x());
		return new Fitted(d, options, train.x().length, v.length, OodFitter.flagged(v, t), te, te.length == 0 ? Double.NaN : OodFitter.flagged(te, t),
			"the validation part of split.csv");
	}

	/**
	 * Measures a fitted detector on foreign data.
	 *
	 * @param fitted the detector
	 * @param name a short name
	 * @param description where the data came from
	 * @param foreign its features
	 * @return the flagged fraction and the AUROC against the model's test slices
	 */
	public static Measured measure(Fitted fitted, String name, String description, Features foreign) {
		double[] d = distances(fitted.detector(), foreign.x());
		return new Measured(name, description, d.length, OodFitter.flagged(d, fitted.detector().threshold()), OodFitter.auroc(fitted.testDistances(), d),
			foreign.skipped().size());
	}

	private static double[] distances(OodDetector d, float[][] x) {
		double[] out = new double[x.length];
		for (int i = 0; i < x.length; i++) out[i] = d.distance(x[i], 0);
		return out;
	}

	/**
	 * Writes the detector into a package folder ({@code ood.bin}) and its section into the card, replacing
	 * an earlier one; the package must verify afterwards.
	 *
	 * @param dir the package folder
	 * @param fitted the detector
	 * @param foreign measurements on foreign data, possibly empty
	 * @param how what fitted it, for the card (e.g. {@code medcnn fit-ood})
	 * @throws IOException if the files cannot be written
	 * @throws ModelLoadException if the written package does not verify
	 */
	public static void write(Path dir, Fitted fitted, List<Measured> foreign, String how) throws IOException, ModelLoadException {
		Path file = dir.resolve(OodDetector.FILE);
		Path tmp = dir.resolve("." + OodDetector.FILE + ".part");
		try (OutputStream os = Files.newOutputStream(tmp)) {
			fitted.detector().write(os);
		}
		Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		Path cardFile = dir.resolve(ModelPackage.CARD);
		JsonObject card = JsonParser.parseString(Files.readString(cardFile, StandardCharsets.UTF_8)).getAsJsonObject();
		card.add("ood", section(fitted, Hashes.sha256(file), foreign, how));
		ClassifierTrainer.writeCard(dir, card);
		ModelPackage.open(dir);
	}

	/**
	 * The card's {@code ood} section.
	 *
	 * @param f the detector
	 * @param sha256 the detector file's SHA-256
	 * @param foreign measurements on foreign data
	 * @param how what fitted it
	 * @return the section
	 */
	static JsonObject section(Fitted f, String sha256, List<Measured> foreign, String how) {
		OodDetector d = f.detector();
		JsonObject o = new JsonObject();
		o.addProperty("file", OodDetector.FILE);
		o.addProperty("sha256", sha256);
		o.addProperty("format", OodDetector.FORMAT);
		o.addProperty("method", d.method().key());
		if (d.method() == OodMethod.KNN) o.addProperty("k", d.k());
		o.addProperty("features", d.features());
		o.addProperty("normalized", d.normalized());
		o.addProperty("training_slices", f.trainSlices());
		o.addProperty("threshold", d.threshold());
		o.addProperty("threshold_rule", String.format(Locale.ROOT, "%s; a slice is flagged out_of_distribution when its distance is above the threshold "
			+ "(ood_score = distance / threshold > 1); the threshold keeps %.0f %% of %s unflagged",
			d.method() == OodMethod.KNN ? "distance = squared Euclidean distance of the L2-normalised pooled trunk features to the " + d.k()
				+ "-th nearest training slice (2 - 2 cos)"
				: String.format(Locale.ROOT, "distance = squared Mahalanobis distance of the pooled trunk features to the nearest class mean, covariance "
					+ "shared by the classes and shrunk by %.2f towards the identity", f.options().shrinkage()),
			100 * f.options().coverage(), f.chosenOn()));
		o.addProperty("target_coverage", f.options().coverage());
		o.addProperty("validation_slices", f.validationSlices());
		o.addProperty("validation_flagged", round(f.validationFlagged()));
		o.addProperty("fitted_with", how + (f.options().half() ? "; matrices stored as float16" : ""));
		o.addProperty("fitted", Instant.now().toString());
		JsonObject measured = new JsonObject();
		if (f.testDistances().length > 0) {
			JsonObject t = new JsonObject();
			t.addProperty("data", "the test part of split.csv (the model's own data, never used for fitting or the threshold)");
			t.addProperty("slices", f.testDistances().length);
			t.addProperty("flagged", round(f.testFlagged()));
			measured.add("own_test", t);
		}
		for (Measured m : foreign) {
			JsonObject t = new JsonObject();
			t.addProperty("data", m.description());
			t.addProperty("slices", m.slices());
			t.addProperty("flagged", round(m.flagged()));
			if (!Double.isNaN(m.auroc())) t.addProperty("auroc_vs_own_test", round(m.auroc()));
			if (m.skippedFiles() > 0) t.addProperty("files_skipped_unreadable", m.skippedFiles());
			measured.add(m.name(), t);
		}
		o.add("measured", measured);
		return o;
	}

	/**
	 * Fits and writes the detector of a freshly trained package from its split, as the trainers do.
	 *
	 * @param dir the package folder
	 * @param model the package, loaded
	 * @param train training samples
	 * @param validation validation samples
	 * @param test test samples, possibly empty
	 * @param reader reads the images
	 * @param batch slices per engine call
	 * @param how what fitted it, for the card
	 * @param log progress lines
	 * @param cancellation checked between files
	 * @return the fitted detector
	 * @throws IOException if images cannot be read or files written
	 * @throws TranslateException if the engine fails
	 * @throws ModelLoadException if the written package does not verify
	 */
	public static Fitted fitAndWrite(Path dir, ClassifierModel model, List<Sample> train, List<Sample> validation, List<Sample> test, SampleReader reader,
		int batch, String how, Consumer<String> log, Cancellation cancellation) throws IOException, TranslateException, ModelLoadException {
		List<String> classes = model.pkg().card().classes();
		Features tr = features(model, train, classes, reader, batch, false, cancellation);
		Features va = features(model, validation, classes, reader, batch, false, cancellation);
		Features te = features(model, test, classes, reader, batch, false, cancellation);
		Fitted f = fit(tr, va, te, classes.size(), Options.DEFAULT);
		write(dir, f, List.of(), how);
		log.accept(String.format(Locale.ROOT, "out-of-distribution detector: %s on %d training slices; threshold keeps %.1f %% of %d validation slices; "
			+ "%.1f %% of %d test slices flagged", f.detector().method().key(), f.trainSlices(), 100 * (1 - f.validationFlagged()), f.validationSlices(),
			100 * f.testFlagged(), f.testDistances().length));
		return f;
	}

	private static double round(double v) {
		return Math.round(v * 1e4) / 1e4;
	}
}
