package org.medcnn.core.train;

import ai.djl.translate.TranslateException;
import com.google.gson.JsonArray;
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
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.data.SampleReader;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.eval.TemperatureScaling;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.Hashes;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelCards;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.uncertainty.Uncertainty;

/**
 * Trains an ensemble package on the trunk of an existing model package: every member is a new linear
 * head, trained from its own seed on a bootstrap resample of the base package's training split (its
 * {@code split.csv}), with dropout on the features, early stopping and temperature scaling on the
 * validation split. The members share the base trunk file (one copy in the package). The test split is
 * touched only to report the metrics of the base model and of the ensemble, side by side, in the card.
 */
public final class EnsembleTrainer {

	private final ModelPackage base;
	private final ClassifierModel model;
	private final SampleReader reader;

	/**
	 * @param model the loaded base package (its trunk gives the features)
	 * @param reader reads the images listed in the split
	 */
	public EnsembleTrainer(ClassifierModel model, SampleReader reader) {
		this.model = model;
		this.base = model.pkg();
		this.reader = reader;
	}

	/**
	 * What to train.
	 *
	 * @param dataRoot the folder the paths of the base package's {@code split.csv} start from
	 * @param output the new package folder (must not hold a model unless {@code overwrite})
	 * @param id the new model id
	 * @param seeds one seed per member, at least 2, distinct
	 * @param bootstrap whether each member sees a bootstrap resample of the training split (else all of it)
	 * @param dropout dropout rate on the features while training the heads, in [0, 1)
	 * @param batchSize slices per engine call for the features
	 * @param overwrite whether an existing package may be replaced
	 */
	public record Request(Path dataRoot, Path output, String id, List<Long> seeds, boolean bootstrap, double dropout, int batchSize, boolean overwrite) {

		/** Checks the values. @throws IllegalArgumentException naming the parameter */
		public Request {
			if (seeds.size() < 2) throw new IllegalArgumentException("seeds: an ensemble needs at least 2 members, got " + seeds);
			if (seeds.stream().distinct().count() != seeds.size()) throw new IllegalArgumentException("seeds must be distinct, got " + seeds);
			if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
			if (batchSize < 1 || batchSize > 512) throw new IllegalArgumentException("batch_size must be 1 to 512, got " + batchSize);
		}
	}

	/**
	 * The trained ensemble.
	 *
	 * @param dir the package folder
	 * @param single test metrics of the base model
	 * @param ensemble test metrics of the ensemble
	 * @param memberTest test metrics of each member alone
	 */
	public record Result(Path dir, Metrics single, Metrics ensemble, List<Metrics> memberTest) {}

	/**
	 * Trains and writes the package.
	 *
	 * @param r the request
	 * @param log receives progress lines
	 * @param cancellation checked between members
	 * @return the result
	 * @throws IOException if the split or images cannot be read or the package cannot be written
	 * @throws TranslateException if the engine fails
	 * @throws ModelLoadException if the written package does not verify
	 */
	public Result train(Request r, Consumer<String> log, Cancellation cancellation) throws IOException, TranslateException, ModelLoadException {
		if (base.card().isWholeModel()) {
			throw new IllegalArgumentException(base.dir() + ": a whole-model package (" + base.card().id() + ") has no trunk to train ensemble heads on");
		}
		Path splitCsv = base.dir().resolve("split.csv");
		if (!Files.isRegularFile(splitCsv)) throw new IOException(splitCsv + ": the base package has no split.csv; members must be trained on its training split");
		if (OutputGuard.overlap(r.output(), base.dir())) {
			throw new IllegalArgumentException("output " + r.output() + " is, or lies inside or around, the base package " + base.dir()
				+ ": the new package would replace the files it is trained from; choose another folder (refused with or without overwrite)");
		}
		if (Files.exists(r.output().resolve(ModelPackage.CARD)) && !r.overwrite()) {
			throw new IOException(r.output() + " already holds a model (model.json); not replaced (use overwrite)");
		}
		List<String> classes = base.card().classes();
		long t0 = System.nanoTime();
		Features train = features(Datasets.readCsv(splitCsv, r.dataRoot(), "train"), classes, log, "train");
		Features val = features(Datasets.readCsv(splitCsv, r.dataRoot(), "validation"), classes, log, "validation");
		Features test = features(Datasets.readCsv(splitCsv, r.dataRoot(), "test"), classes, log, "test");
		int f = base.head().features();
		Files.createDirectories(r.output().resolve("heads"));
		List<LinearHead> heads = new ArrayList<>();
		List<Double> temperatures = new ArrayList<>();
		List<JsonObject> training = new ArrayList<>();
		for (long seed : r.seeds()) {
			cancellation.check("ensemble training");
			int[] pick = sample(train.y.length, r.bootstrap(), seed);
			float[][] x = new float[pick.length][];
			int[] y = new int[pick.length];
			int[] counts = new int[classes.size()];
			for (int i = 0; i < pick.length; i++) {
				x[i] = train.x[pick[i]];
				y[i] = train.y[pick[i]];
				counts[y[i]]++;
			}
			double[] w = new double[classes.size()];
			for (int c = 0; c < w.length; c++) {
				if (counts[c] == 0) throw new IllegalArgumentException("member with seed " + seed + ": class '" + classes.get(c) + "' is missing from its resample");
				w[c] = (double) pick.length / (classes.size() * counts[c]);
			}
			TrainingConfig cfg = TrainingConfig.builder().setDataDir(r.dataRoot()).setOutputDir(r.output()).setBaseModel(base.trunkFile().toString())
				.optSeed(seed).optHeadEpochs(200).optLearningRate(1e-3).build();
			HeadTrainer.Outcome o = new HeadTrainer(f, classes.size(), w, cfg, r.dropout()).fit(x, y, val.x, val.y, new ArrayList<>(), TrainingListener.NONE, cancellation);
			LinearHead head = new LinearHead(f, classes.size(), (float) r.dropout(), o.weights(), o.bias());
			double t = ClassifierTrainer.round(TemperatureScaling.fit(logits(head, val.x), val.y)); // as the card stores it
			heads.add(head);
			temperatures.add(t);
			JsonObject tr = new JsonObject();
			tr.addProperty("epochs", o.epochs());
			tr.addProperty("validation_loss", ClassifierTrainer.round(o.bestValidationLoss()));
			tr.addProperty("training_images", pick.length);
			tr.addProperty("distinct_training_images", java.util.Arrays.stream(pick).distinct().count());
			training.add(tr);
			log.accept(String.format(Locale.ROOT, "member seed %d: %d epochs, validation loss %.4f, temperature %.3f", seed, o.epochs(), o.bestValidationLoss(), t));
		}
		// Write the package.
		Files.copy(base.trunkFile(), r.output().resolve("trunk.pt"), StandardCopyOption.REPLACE_EXISTING);
		Files.copy(splitCsv, r.output().resolve("split.csv"), StandardCopyOption.REPLACE_EXISTING);
		List<ModelCards.MemberFile> files = new ArrayList<>();
		for (int k = 0; k < heads.size(); k++) {
			String name = "seed-" + r.seeds().get(k);
			String file = "heads/" + name + ".bin";
			try (OutputStream os = Files.newOutputStream(r.output().resolve(file))) {
				heads.get(k).write(os);
			}
			files.add(new ModelCards.MemberFile(name, file, temperatures.get(k), r.seeds().get(k)));
		}
		JsonObject card = ModelCards.ensemble(r.output(), r.id(), "1.0.0", classes, base.card().input(), files);
		JsonObject ens = card.getAsJsonObject("ensemble");
		ens.addProperty("combine", "mean of the members' calibrated probabilities, softmax(logits / member temperature)");
		for (int k = 0; k < heads.size(); k++) ens.getAsJsonArray("members").get(k).getAsJsonObject().add("training", training.get(k));
		// Test metrics: base model, every member, the ensemble, from the same features.
		Metrics single = Metrics.compute(classes, test.y, probabilities(List.of(base.head()), List.of(base.card().temperature()), test.x), 1000, 42);
		Metrics ensemble = Metrics.compute(classes, test.y, probabilities(heads, temperatures, test.x), 1000, 42);
		List<Metrics> members = new ArrayList<>();
		for (int k = 0; k < heads.size(); k++) members.add(Metrics.compute(classes, test.y, probabilities(List.of(heads.get(k)), List.of(temperatures.get(k)), test.x), 0, 42));
		JsonObject prov = new JsonObject();
		prov.addProperty("trained_with", "MedCNN (core.train.EnsembleTrainer)");
		prov.addProperty("created", Instant.now().toString());
		prov.addProperty("base_model", base.card().id() + " " + base.card().version() + " (model.json sha256 " + base.sha256() + ")");
		prov.addProperty("data", base.card().section("provenance") != null && base.card().section("provenance").getAsJsonObject().has("data")
			? base.card().section("provenance").getAsJsonObject().get("data").getAsString() : "see the base model");
		String baseRule = base.card().section("provenance") != null && base.card().section("provenance").getAsJsonObject().has("split_rule")
			? base.card().section("provenance").getAsJsonObject().get("split_rule").getAsString() : "not stated";
		prov.addProperty("split_rule", "the leakage-aware split of " + base.card().id() + " (split.csv, copied; its rule: " + baseRule
			+ "): members are trained on its training part, early-stopped and calibrated on its validation part; the test part is used only for the metrics below");
		prov.addProperty("members", "linear heads on the base model's trunk (trunk.pt is the base trunk, unchanged), each from its own seed"
			+ (r.bootstrap() ? " on a bootstrap resample (same size, drawn with replacement) of the training part" : " on the whole training part")
			+ String.format(Locale.ROOT, "; class-weighted cross-entropy, Adam (lr 0.001, decoupled weight decay 0.01), dropout %.2f on the pooled features, "
				+ "mini-batches of 64, up to 200 epochs with patience %d on validation loss; features of the unaugmented images", r.dropout(), HeadTrainer.PATIENCE));
		prov.addProperty("images", train.y.length + val.y.length + test.y.length);
		prov.addProperty("training_seconds", Math.round((System.nanoTime() - t0) / 1e9));
		card.add("provenance", prov);
		JsonObject metrics = new JsonObject();
		metrics.add("test", metricsJson(ensemble, "held-out test part of the base model's split", true));
		metrics.add("test_base_model", metricsJson(single, "the base model " + base.card().id() + " on the same test part", true));
		JsonArray per = new JsonArray();
		for (int k = 0; k < members.size(); k++) {
			JsonObject o = metricsJson(members.get(k), "member seed-" + r.seeds().get(k) + " alone", false);
			per.add(o);
		}
		metrics.add("test_members", per);
		card.add("metrics", metrics);
		card.addProperty("intended_use", "Research use: per-slice classification into " + classes + " with an uncertainty estimate from the members' disagreement. "
			+ "Not a medical device; not for diagnosis.");
		card.addProperty("limitations", "The members share one trunk, so they differ only in their heads: their disagreement (mutual information) "
			+ "reflects uncertainty of the head on the trunk's features, not of the trunk itself. Limitations of the base model apply: "
			+ (base.card().section("limitations") != null ? base.card().section("limitations").getAsString() : ""));
		ClassifierTrainer.writeCard(r.output(), card);
		writeExamples(base, r.output(), reader);
		// The members share the base's trunk: its training features fit the ensemble's out-of-distribution detector.
		OodFitting.Fitted ood = OodFitting.fit(new OodFitting.Features(train.x, train.y, List.of()), new OodFitting.Features(val.x, val.y, List.of()),
			new OodFitting.Features(test.x, test.y, List.of()), classes.size(), OodFitting.Options.DEFAULT);
		OodFitting.write(r.output(), ood, List.of(), "medcnn train-ensemble (core.train.EnsembleTrainer), default settings, on the base trunk's features");
		log.accept(String.format(Locale.ROOT, "out-of-distribution detector: %s on %d training slices; %.1f %% of the test slices flagged", ood.detector().method().key(),
			ood.trainSlices(), 100 * ood.testFlagged()));
		ModelPackage.open(r.output());
		return new Result(r.output(), single, ensemble, members);
	}

	/**
	 * Gives a new package the examples of its base package: copies the example images listed in the
	 * base's {@code examples/expected.csv}, classifies them with the new package (CPU), writes its own
	 * {@code expected.csv} (file, slice, truth, predicted, confidence) and adds the {@code examples}
	 * section to its card. Nothing happens when the base has no examples.
	 *
	 * @param base the base package
	 * @param dir the new package folder (its card is rewritten)
	 * @param reader reads the example images
	 * @throws IOException if files cannot be read or written
	 * @throws ModelLoadException if the new package does not load
	 * @throws TranslateException if the engine fails
	 */
	public static void writeExamples(ModelPackage base, Path dir, SampleReader reader) throws IOException, ModelLoadException, TranslateException {
		if (base.card().examples() == null) return;
		Path from = base.dir().resolve(base.card().examples().file()).getParent();
		Path to = Files.createDirectories(dir.resolve("examples"));
		List<String> lines = Files.readAllLines(from.resolve("expected.csv"), StandardCharsets.UTF_8);
		StringBuilder out = new StringBuilder(lines.get(0)).append('\n');
		try (ClassifierModel m = ClassifierModel.load(ModelPackage.open(dir), DeviceSpec.CPU);
			ClassifierModel.Session s = m.newSession()) {
			SlicePreprocessor pre = new SlicePreprocessor(m.pkg().card().input());
			for (String line : lines.subList(1, lines.size())) {
				String[] c = line.split(",");
				Files.copy(from.resolve(c[0]), to.resolve(c[0]), StandardCopyOption.REPLACE_EXISTING);
				Slice sl = reader.read(to.resolve(c[0])).get(Integer.parseInt(c[1]) - 1);
				float[] x = new float[pre.spec().tensorSize()];
				pre.preprocess(sl, x, 0);
				float[] p = s.toProbabilities(s.logits(x, 1))[0];
				int top = Probabilities.argmax(p);
				out.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%.6f%n", c[0], c[1], c[2], m.pkg().card().classes().get(top), p[top]));
			}
		}
		Files.writeString(to.resolve("expected.csv"), out.toString(), StandardCharsets.UTF_8);
		Path cardFile = dir.resolve(ModelPackage.CARD);
		JsonObject card = JsonParser.parseString(Files.readString(cardFile, StandardCharsets.UTF_8)).getAsJsonObject();
		JsonObject ex = new JsonObject();
		ex.addProperty("file", "examples/expected.csv");
		ex.addProperty("sha256", Hashes.sha256(to.resolve("expected.csv")));
		card.add("examples", ex);
		ClassifierTrainer.writeCard(dir, card);
	}

	private static JsonObject metricsJson(Metrics m, String what, boolean full) {
		JsonObject o = new JsonObject();
		o.addProperty("split", what);
		o.addProperty("images", m.count());
		ClassifierTrainer.number(o, "accuracy", m.accuracy());
		if (full) o.add("accuracy_ci95", ClassifierTrainer.doubles(m.accuracyCi()));
		ClassifierTrainer.number(o, "balanced_accuracy", m.balancedAccuracy());
		ClassifierTrainer.number(o, "macro_f1", m.macroF1());
		ClassifierTrainer.number(o, "ece", m.ece());
		if (full) o.add("ece_ci95", ClassifierTrainer.doubles(m.eceCi()));
		return o;
	}

	private static int[] sample(int n, boolean bootstrap, long seed) {
		int[] pick = new int[n];
		SplittableRandom rnd = new SplittableRandom(seed);
		for (int i = 0; i < n; i++) pick[i] = bootstrap ? rnd.nextInt(n) : i;
		return pick;
	}

	private static float[][] logits(LinearHead h, float[][] x) {
		float[][] z = new float[x.length][];
		for (int i = 0; i < x.length; i++) z[i] = h.logits(x[i]);
		return z;
	}

	private static float[][] probabilities(List<LinearHead> heads, List<Double> temperatures, float[][] x) {
		float[][] out = new float[x.length][];
		for (int i = 0; i < x.length; i++) {
			float[][] s = new float[heads.size()][];
			for (int k = 0; k < heads.size(); k++) s[k] = Probabilities.softmax(heads.get(k).logits(x[i]), temperatures.get(k));
			out[i] = Uncertainty.mean(s);
		}
		return out;
	}

	/** Pooled features and labels of every slice of the listed files. */
	private record Features(float[][] x, int[] y) {}

	private Features features(List<Sample> samples, List<String> classes, Consumer<String> log, String part) throws IOException, TranslateException {
		SlicePreprocessor pre = new SlicePreprocessor(base.card().input());
		int per = pre.spec().tensorSize();
		int f = base.head().features();
		List<float[]> xs = new ArrayList<>();
		List<Integer> ys = new ArrayList<>();
		int batch = 16;
		float[] buf = new float[batch * per];
		List<Integer> pending = new ArrayList<>();
		long t0 = System.nanoTime();
		try (ClassifierModel.Session s = model.newSession()) {
			for (Sample sample : samples) {
				int label = classes.indexOf(sample.label());
				if (label < 0) throw new IllegalArgumentException(sample.file() + ": label '" + sample.label() + "' is not a class of " + base.card().id());
				for (Slice sl : reader.read(sample.file())) {
					pre.preprocess(sl, buf, pending.size() * per);
					pending.add(label);
					if (pending.size() == batch) flush(s, buf, pending, f, xs, ys);
				}
			}
			if (!pending.isEmpty()) flush(s, buf, pending, f, xs, ys);
		}
		log.accept(String.format(Locale.ROOT, "%s: features of %d slices in %.0f s", part, xs.size(), (System.nanoTime() - t0) / 1e9));
		return new Features(xs.toArray(new float[0][]), ys.stream().mapToInt(Integer::intValue).toArray());
	}

	private static void flush(ClassifierModel.Session s, float[] buf, List<Integer> pending, int f, List<float[]> xs, List<Integer> ys) throws TranslateException {
		float[] pooled = s.pooledFeatures(buf, pending.size());
		for (int i = 0; i < pending.size(); i++) {
			xs.add(java.util.Arrays.copyOfRange(pooled, i * f, (i + 1) * f));
			ys.add(pending.get(i));
		}
		pending.clear();
	}
}
