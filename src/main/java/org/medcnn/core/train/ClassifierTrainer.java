package org.medcnn.core.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.translate.TranslateException;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.data.SampleReader;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.EnginePolicy;
import org.medcnn.core.engine.InputTensors;
import org.medcnn.core.engine.OpenMpPolicy;
import org.medcnn.core.engine.TrunkBlocks;
import org.medcnn.core.engine.TrunkLoader;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.eval.TemperatureScaling;
import org.medcnn.core.image.AppearanceAugmenter;
import org.medcnn.core.image.Augmenter;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.Hashes;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelCards;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;

/**
 * Trains a slice classifier by transfer learning and writes a complete model package.
 * <ol>
 * <li>Reads every image (unreadable files are skipped and counted), fingerprints it, and makes a
 * leakage-aware split ({@link LeakageAwareSplitter}).</li>
 * <li>Head phase: the trunk is frozen; pooled trunk features of the (unaugmented) train and
 * validation images are cached, and the linear head is trained on them with Adam and a
 * class-weighted cross-entropy ({@code w_c = N / (C n_c)} from the training counts), early stopping
 * on validation loss.</li>
 * <li>Fine-tuning phase: the last {@code trainable_blocks} top-level blocks of the trunk and the head
 * are trained together on augmented images, the trunk at a tenth of the learning rate, with dropout
 * before the head, early stopping on validation loss. The best checkpoint (lowest validation loss of
 * either phase) is kept.</li>
 * <li>The package (trunk, head, card, examples) is written and the test split is evaluated by loading
 * the written package, exactly as users will.</li>
 * </ol>
 * Determinism: shuffling, augmentation, dropout and the split use seeded Java generators and the head
 * starts at zero, so the same seed and PyTorch thread count give the same metrics on the CPU.
 */
public final class ClassifierTrainer {

	/** ImageNet channel means of the torchvision trunks. */
	public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
	/** ImageNet channel standard deviations of the torchvision trunks. */
	public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

	private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

	private final TrainingConfig cfg;
	private final SampleReader reader;
	private final TrainingListener listener;
	private final Cancellation cancellation;

	/**
	 * Creates a trainer.
	 *
	 * @param cfg the configuration
	 * @param reader reads image files
	 * @param listener receives progress
	 * @param cancellation checked between batches
	 */
	public ClassifierTrainer(TrainingConfig cfg, SampleReader reader, TrainingListener listener, Cancellation cancellation) {
		this.cfg = cfg;
		this.reader = reader;
		this.listener = listener;
		this.cancellation = cancellation;
	}

	/** One readable slice with its cached unit image. */
	private static final class Item {
		final Sample sample;
		final int slice;
		final int label;
		final float[] unit;
		LeakageAwareSplitter.Part part;

		Item(Sample sample, int slice, int label, float[] unit) {
			this.sample = sample;
			this.slice = slice;
			this.label = label;
			this.unit = unit;
		}
	}

	/**
	 * Runs the training.
	 *
	 * @return the result
	 * @throws IOException if the data cannot be listed or the package cannot be written
	 * @throws ModelLoadException if the base model cannot be loaded or is not a trunk
	 * @throws IllegalArgumentException for bad data (too few classes, no readable images, an output
	 *         folder that already holds a model and overwrite is off)
	 */
	public TrainingResult train() throws IOException, ModelLoadException {
		try {
			return trainHere();
		} finally {
			// Training runs the engine on this thread; its OpenMP workers would otherwise slow all later inference (EngineThread).
			OpenMpPolicy.releaseThreadPool();
		}
	}

	private TrainingResult trainHere() throws IOException, ModelLoadException {
		long t0 = System.nanoTime();
		EnginePolicy.init();
		Path out = cfg.outputDir;
		if (Files.exists(out.resolve(ModelPackage.CARD)) && !cfg.overwrite) {
			throw new IllegalArgumentException("output_dir " + out + " already holds a model (model.json); refusing to overwrite it (set overwrite to replace it)");
		}
		Base base = resolveBase();
		refuseOutputOverInputs(out, base);
		InputSpec spec = InputSpec.builder().setSize(cfg.imageSize, cfg.imageSize).setIntensity(cfg.intensity)
			.optNormalize(base.mean, base.std).optMinSliceSize(16).build();
		SlicePreprocessor pre = new SlicePreprocessor(spec);

		// 1. data
		List<Sample> samples = cfg.dataCsv != null ? Datasets.readCsv(cfg.dataCsv) : Datasets.scanFolder(cfg.dataDir);
		List<String> classes = new ArrayList<>(new LinkedHashSet<>(samples.stream().map(Sample::label).sorted().toList()));
		if (classes.size() < 2) throw new IllegalArgumentException("training needs at least 2 classes, found " + classes);
		Path root = cfg.dataDir != null ? cfg.dataDir : cfg.dataCsv.toAbsolutePath().getParent();
		listener.info("data: " + samples.size() + " files in " + classes.size() + " classes " + classes);
		List<Item> items = new ArrayList<>();
		List<LeakageAwareSplitter.Item> prints = new ArrayList<>();
		List<String> skipped = new ArrayList<>();
		int done = 0;
		for (Sample s : samples) {
			cancellation.check("training");
			List<Slice> slices;
			try {
				slices = reader.read(s.file());
			} catch (IOException | RuntimeException e) {
				skipped.add(s.file() + ": " + e.getMessage());
				continue;
			}
			String rel = relative(root, s.file());
			String group = s.group() != null ? s.group() : cfg.groupKey(rel);
			for (int k = 0; k < slices.size(); k++) {
				Slice sl = slices.get(k);
				float[] unit;
				try {
					unit = pre.unitImage(sl);
				} catch (IllegalArgumentException e) {
					skipped.add(s.file() + " slice " + (k + 1) + ": " + e.getMessage());
					continue;
				}
				String g = slices.size() > 1 ? (group == null ? "file:" + rel : group) : group;
				items.add(new Item(s, k + 1, classes.indexOf(s.label()), unit));
				prints.add(new LeakageAwareSplitter.Item(classes.indexOf(s.label()), g, PerceptualHash.dhash(sl), PerceptualHash.pixelHash(sl)));
			}
			if (++done % 200 == 0) listener.info("read " + done + "/" + samples.size() + " files");
		}
		if (!skipped.isEmpty()) listener.info("skipped " + skipped.size() + " unreadable image(s), e.g. " + skipped.get(0));
		int[] perClass = new int[classes.size()];
		for (Item it : items) perClass[it.label]++;
		for (int c = 0; c < classes.size(); c++) {
			if (perClass[c] == 0) throw new IllegalArgumentException("class '" + classes.get(c) + "' has no readable images");
		}

		// 2. split
		LeakageAwareSplitter splitter = new LeakageAwareSplitter(cfg.validationFraction, cfg.testFraction, cfg.nearDuplicateBits, cfg.seed);
		LeakageAwareSplitter.Result split = splitter.split(prints, classes.size());
		for (int i = 0; i < items.size(); i++) items.get(i).part = split.parts()[i];
		int[] trainCounts = split.counts(prints, LeakageAwareSplitter.Part.TRAIN, classes.size());
		int[] valCounts = split.counts(prints, LeakageAwareSplitter.Part.VALIDATION, classes.size());
		int[] testCounts = split.counts(prints, LeakageAwareSplitter.Part.TEST, classes.size());
		listener.info(String.format(Locale.ROOT, "split: %d duplicate cluster(s) merged (%d pixel-identical), %d image(s) in them, %d group(s); train %s, validation %s, test %s",
			split.duplicateMerged(), split.identicalMerged(), split.duplicateItems(), split.groupsMerged(), Arrays.toString(trainCounts),
			Arrays.toString(valCounts), Arrays.toString(testCounts)));
		for (int c = 0; c < classes.size(); c++) {
			if (trainCounts[c] == 0) throw new IllegalArgumentException("class '" + classes.get(c) + "' has no training images after the split");
		}
		List<Item> train = items.stream().filter(i -> i.part == LeakageAwareSplitter.Part.TRAIN).toList();
		List<Item> val = items.stream().filter(i -> i.part == LeakageAwareSplitter.Part.VALIDATION).toList();
		List<Item> test = items.stream().filter(i -> i.part == LeakageAwareSplitter.Part.TEST).toList();
		if (val.isEmpty()) val = train; // no validation share asked for: stop on training loss (stated in the card)
		double[] weights = new double[classes.size()];
		for (int c = 0; c < classes.size(); c++) weights[c] = (double) train.size() / (classes.size() * trainCounts[c]);

		Engine engine = EnginePolicy.engine();
		engine.setRandomSeed((int) cfg.seed);
		List<EpochRecord> history = new ArrayList<>();
		boolean cancelled = false;
		byte[] bestTrunk;
		float[] bestW;
		float[] bestB;
		int features;
		int headEpochsRun;
		int fineEpochsRun = 0;
		double bestVal;
		String bestPhase;
		try (Trunk trunk = new Trunk(base.trunkFile, spec)) {
			features = trunk.features;
			// 3. head phase on cached features
			listener.info("head phase: caching trunk features of " + train.size() + " training and " + val.size() + " validation images"
				+ (cfg.headCopies > 0 ? ", and of " + cfg.headCopies + " augmented copies of each training image" : ""));
			List<Item> headTrain = withAugmentedCopies(train, pre);
			float[][] ftrain = trunk.pooled(headTrain, pre, cfg.batchSize);
			float[][] fval = trunk.pooled(val, pre, cfg.batchSize);
			HeadTrainer head = new HeadTrainer(features, classes.size(), weights, cfg);
			HeadTrainer.Outcome ho = head.fit(ftrain, labels(headTrain), fval, labels(val), history, listener, cancellation);
			headEpochsRun = ho.epochs();
			cancelled = ho.cancelled();
			bestW = ho.weights();
			bestB = ho.bias();
			bestVal = ho.bestValidationLoss();
			bestPhase = "head";
			bestTrunk = null;
			// 4. fine-tuning phase
			if (cfg.epochs > 0 && !cancelled && cfg.trainableBlocks > 0) {
				FineTuner ft = new FineTuner(trunk, pre, classes.size(), weights, cfg, bestW, bestB);
				FineTuner.Outcome fo = ft.fit(train, val, bestVal, history, listener, cancellation);
				fineEpochsRun = fo.epochs();
				cancelled = fo.cancelled();
				if (fo.improved()) {
					bestTrunk = fo.trunk();
					bestW = fo.weights();
					bestB = fo.bias();
					bestVal = fo.bestValidationLoss();
					bestPhase = "finetune";
				}
			}
		} finally {
			// The engine work on this thread is over; calibration and evaluation below run on the engine thread.
			OpenMpPolicy.releaseThreadPool();
		}

		// 5. write the package
		Files.createDirectories(out);
		if (bestTrunk != null) {
			Files.write(out.resolve("trunk.pt"), bestTrunk);
		} else {
			Files.copy(base.trunkFile, out.resolve("trunk.pt"), StandardCopyOption.REPLACE_EXISTING);
		}
		// The head phase trains without dropout: the head records the rate it was trained with (MC dropout relies on it).
		LinearHead headWeights = new LinearHead(features, classes.size(), (float) ("head".equals(bestPhase) ? 0 : cfg.dropout), bestW, bestB);
		try (OutputStream os = Files.newOutputStream(out.resolve("head.bin"))) {
			headWeights.write(os);
		}
		double seconds = (System.nanoTime() - t0) / 1e9;
		JsonObject card = card(classes, spec, base, split, trainCounts, valCounts, testCounts, weights, headEpochsRun, fineEpochsRun, bestPhase, bestVal,
			skipped.size(), items.size(), seconds, cancelled, val == train);
		writeCard(out, card);

		writeSplitList(out, items, classes);

		// 6. calibrate on the validation split: temperature scaling, stored in the card and applied at inference
		int[] valTruth = labels(val);
		float[][] valLogits;
		try (ClassifierModel model = ClassifierModel.load(ModelPackage.open(out), DeviceSpec.CPU)) {
			valLogits = logits(model, val, pre, cfg.batchSize);
		} catch (TranslateException e) {
			throw new IOException("evaluating the trained model failed: " + e.getMessage(), e);
		}
		if (val != train) {
			double temperature = TemperatureScaling.fit(valLogits, valTruth);
			JsonObject cal = new JsonObject();
			cal.addProperty("temperature", round(temperature));
			cal.addProperty("method", "temperature scaling (Guo et al. 2017): T minimises the negative log-likelihood of the validation split; "
				+ "probabilities are softmax(logits / T)");
			cal.addProperty("validation_nll_before", round(TemperatureScaling.nll(valLogits, valTruth, 1)));
			cal.addProperty("validation_nll_after", round(TemperatureScaling.nll(valLogits, valTruth, round(temperature))));
			card.add("calibration", cal);
			writeCard(out, card);
			listener.info(String.format(Locale.ROOT, "calibration: temperature %.4f fitted on %d validation images", temperature, val.size()));
		}

		// 7. evaluate the written (calibrated) package on the test split, exactly as users will run it
		Metrics metrics = null;
		List<TrainingResult.ImagePrediction> preds = new ArrayList<>();
		if (!test.isEmpty()) {
			try (ClassifierModel model = ClassifierModel.load(ModelPackage.open(out), DeviceSpec.CPU)) {
				float[][] testLogits = logits(model, test, pre, cfg.batchSize);
				float[][] probs;
				try (ClassifierModel.Session s = model.newSession()) {
					probs = s.toProbabilities(testLogits);
				}
				int[] truth = labels(test);
				metrics = Metrics.compute(classes, truth, probs, 1000, cfg.seed);
				float[][] raw = new float[testLogits.length][];
				for (int i = 0; i < raw.length; i++) raw[i] = Probabilities.softmax(testLogits[i]);
				double eceUncalibrated = Metrics.compute(classes, truth, raw, 0, cfg.seed).ece();
				for (int i = 0; i < test.size(); i++) {
					Item it = test.get(i);
					preds.add(new TrainingResult.ImagePrediction(it.sample.file(), it.slice, classes.get(it.label),
						classes.get(Probabilities.argmax(probs[i])), probs[i]));
				}
				float[][] valProbs;
				try (ClassifierModel.Session s = model.newSession()) {
					valProbs = s.toProbabilities(valLogits);
				}
				Metrics valMetrics = Metrics.compute(classes, valTruth, valProbs, 0, cfg.seed);
				JsonObject mj = metricsJson(metrics, valMetrics, test.size());
				mj.getAsJsonObject("test").addProperty("ece_uncalibrated", round(eceUncalibrated));
				card.add("metrics", mj);
			} catch (TranslateException e) {
				throw new IOException("evaluating the trained model failed: " + e.getMessage(), e);
			}
			writeExamples(out, card, preds, classes);
		}
		// 8. the out-of-distribution detector on the trained trunk's features, as inference computes them
		if (!cancelled) {
			try (ClassifierModel model = ClassifierModel.load(ModelPackage.open(out), DeviceSpec.CPU)) {
				OodFitting.Features ftr = new OodFitting.Features(inferenceFeatures(model, train, cfg.batchSize), labels(train), List.of());
				OodFitting.Features fva = new OodFitting.Features(inferenceFeatures(model, val, cfg.batchSize), labels(val), List.of());
				OodFitting.Features fte = new OodFitting.Features(inferenceFeatures(model, test, cfg.batchSize), labels(test), List.of());
				OodFitting.Fitted fitted = OodFitting.fit(ftr, fva, fte, classes.size(), OodFitting.Options.DEFAULT);
				if (val == train) fitted = fitted.chosenOn("the training part (the data had too few images for a validation part, so expect more flags on new data)");
				card.getAsJsonObject("provenance").addProperty("training_seconds", Math.round((System.nanoTime() - t0) / 1e9));
				writeCard(out, card);
				OodFitting.write(out, fitted, List.of(), "medcnn train (core.train.ClassifierTrainer), default settings");
				card = com.google.gson.JsonParser.parseString(Files.readString(out.resolve(ModelPackage.CARD), StandardCharsets.UTF_8)).getAsJsonObject();
				listener.info(String.format(Locale.ROOT, "out-of-distribution detector: %s on %d training slices; %.1f %% of the test slices flagged",
					fitted.detector().method().key(), fitted.trainSlices(), 100 * fitted.testFlagged()));
			} catch (TranslateException e) {
				throw new IOException("fitting the out-of-distribution detector failed: " + e.getMessage(), e);
			}
		}
		seconds = (System.nanoTime() - t0) / 1e9;
		card.getAsJsonObject("provenance").addProperty("training_seconds", Math.round(seconds));
		writeCard(out, card);
		ModelPackage.open(out); // the written package must verify
		return new TrainingResult(out, history, metrics, preds, skipped, cancelled, seconds);
	}

	private static String relative(Path root, Path file) {
		try {
			return root.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
		} catch (IllegalArgumentException e) {
			return file.getFileName().toString();
		}
	}

	private static int[] labels(List<Item> items) {
		int[] y = new int[items.size()];
		for (int i = 0; i < y.length; i++) y[i] = items.get(i).label;
		return y;
	}

	/**
	 * The training items of the head phase: each item, then (with {@code headCopies}) that many augmented
	 * copies of each, seeded; geometric augmentation when it is on, appearance augmentation when that is on.
	 */
	private List<Item> withAugmentedCopies(List<Item> train, SlicePreprocessor pre) {
		if (cfg.headCopies == 0 || !(cfg.augment || cfg.appearance)) return train;
		int w = pre.spec().width();
		int h = pre.spec().height();
		Augmenter geometric = Augmenter.standard(cfg.flip);
		AppearanceAugmenter appearance = AppearanceAugmenter.standard();
		SplittableRandom rnd = new SplittableRandom(cfg.seed * 131 + 17);
		List<Item> out = new ArrayList<>(train);
		for (int c = 0; c < cfg.headCopies; c++) {
			for (Item it : train) {
				float[] img = cfg.augment ? geometric.apply(it.unit, w, h, rnd) : it.unit;
				if (cfg.appearance) img = appearance.apply(img, w, h, rnd);
				out.add(new Item(it.sample, it.slice, it.label, img));
			}
		}
		return out;
	}

	/** Pooled features of items through an inference session (the path Classify Slices takes), from their unit images. */
	private static float[][] inferenceFeatures(ClassifierModel model, List<Item> items, int batch) throws TranslateException {
		int f = model.pkg().head().features();
		float[][] out = new float[items.size()][];
		float[][] units = new float[batch][];
		try (ClassifierModel.Session s = model.newSession()) {
			for (int start = 0; start < items.size(); start += batch) {
				int b = Math.min(batch, items.size() - start);
				for (int i = 0; i < b; i++) units[i] = items.get(start + i).unit;
				float[] pooled = s.pooledFeaturesOfUnits(units, b);
				for (int i = 0; i < b; i++) out[start + i] = Arrays.copyOfRange(pooled, i * f, (i + 1) * f);
			}
		}
		return out;
	}

	private static float[][] logits(ClassifierModel model, List<Item> items, SlicePreprocessor pre, int batch) throws TranslateException {
		int per = pre.spec().tensorSize();
		float[][] out = new float[items.size()][];
		float[] buf = new float[batch * per];
		try (ClassifierModel.Session s = model.newSession()) {
			for (int start = 0; start < items.size(); start += batch) {
				int b = Math.min(batch, items.size() - start);
				for (int i = 0; i < b; i++) pre.normalize(items.get(start + i).unit, buf, i * per);
				float[][] logits = s.logits(buf, b);
				System.arraycopy(logits, 0, out, start, b);
			}
		}
		return out;
	}

	// -- base model --

	private record Base(Path trunkFile, float[] mean, float[] std, String description, String sha256) {}

	/** The files a training writes into the package folder (besides {@code examples/}). */
	private static final List<String> WRITTEN = List.of(ModelPackage.CARD, "trunk.pt", "head.bin", "split.csv", "training_history.csv", "test_predictions.csv");

	/**
	 * Refuses an output folder whose writing would replace or mix with the inputs: the base model's trunk,
	 * the data folder (a package inside it would be read as a class folder next time), or the data CSV.
	 * Paths are compared on disk ({@link org.medcnn.core.OutputGuard}), with or without overwrite.
	 */
	private void refuseOutputOverInputs(Path out, Base base) {
		if (OutputGuard.within(base.trunkFile, out)) {
			throw new IllegalArgumentException("output_dir " + out + " holds the base model's trunk " + base.trunkFile
				+ ": the new package would replace the model it is trained from; choose another folder");
		}
		if (cfg.dataDir != null && OutputGuard.overlap(out, cfg.dataDir)) {
			throw new IllegalArgumentException("output_dir " + out + " and data_dir " + cfg.dataDir
				+ " lie one inside the other: the package would be mixed with the training images; choose a folder outside the data");
		}
		if (cfg.dataCsv != null) {
			for (String name : WRITTEN) {
				if (OutputGuard.sameFile(out.resolve(name), cfg.dataCsv)) {
					throw new IllegalArgumentException("output_dir " + out + ": writing " + name + " would replace the data CSV " + cfg.dataCsv
						+ "; choose another folder");
				}
			}
		}
	}

	private Base resolveBase() throws ModelLoadException {
		Path p = Paths.get(cfg.baseModel);
		try {
			if (Files.isRegularFile(p)) {
				return new Base(p, IMAGENET_MEAN, IMAGENET_STD, "TorchScript trunk " + p.getFileName(), Hashes.sha256(p));
			}
			ModelPackage pkg = ModelRepository.withDefaults(List.of()).open(cfg.baseModel);
			if (pkg.card().isWholeModel()) {
				throw new ModelLoadException(pkg.dir() + ": a whole-model package (" + pkg.card().id() + ") has no trunk to train a head on; base a model on a "
					+ "trunk and head package or a TorchScript trunk file");
			}
			return new Base(pkg.trunkFile(), pkg.card().input().mean(), pkg.card().input().std(),
				"trunk of model package " + pkg.card().id() + " " + pkg.card().version(), Hashes.sha256(pkg.trunkFile()));
		} catch (IOException e) {
			throw new ModelLoadException(cfg.baseModel + ": cannot read base model: " + e.getMessage(), e);
		}
	}

	// -- card --

	private JsonObject card(List<String> classes, InputSpec spec, Base base, LeakageAwareSplitter.Result split, int[] trainCounts, int[] valCounts,
		int[] testCounts, double[] weights, int headEpochs, int fineEpochs, String bestPhase, double bestVal, int skipped, int images, double seconds,
		boolean cancelled, boolean noValidation) throws IOException {
		JsonObject c = ModelCards.required(cfg.outputDir, cfg.modelId, "1.0.0", classes, spec);
		c.addProperty("name", cfg.modelId);
		if (!cfg.modality.isEmpty()) c.addProperty("modality", cfg.modality);

		JsonObject prov = new JsonObject();
		prov.addProperty("trained_with", "MedCNN " + version() + " (core.train.ClassifierTrainer)");
		prov.addProperty("created", Instant.now().toString());
		prov.addProperty("data", cfg.dataDescription != null ? cfg.dataDescription : String.valueOf(cfg.dataDir != null ? cfg.dataDir : cfg.dataCsv));
		prov.addProperty("images_used", images);
		prov.addProperty("images_skipped_unreadable", skipped);
		prov.addProperty("base_model", base.description + " (sha256 " + base.sha256 + ")");
		prov.addProperty("split_rule", String.format(Locale.ROOT,
			"stratified by class, seeded (seed %d); validation %.2f and test %.2f of each class; pixel-identical images, near-identical images "
				+ "(16x16 dHash distance <= %d of 256 bits) and images sharing a group%s are connected and always land on the same side",
			cfg.seed, cfg.validationFraction, cfg.testFraction, cfg.nearDuplicateBits,
			cfg.groupRegex == null ? " (no group regex)" : " (group regex '" + cfg.groupRegex.pattern() + "'" + (cfg.groupBin > 0 ? ", numbers binned by " + cfg.groupBin : "") + ")"));
		prov.addProperty("duplicate_clusters_merged", split.duplicateMerged());
		prov.addProperty("pixel_identical_clusters_merged", split.identicalMerged());
		prov.addProperty("images_in_duplicate_clusters", split.duplicateItems());
		prov.addProperty("groups_with_several_images", split.groupsMerged());
		prov.add("split_counts", splitCounts(classes, trainCounts, valCounts, testCounts));
		prov.addProperty("split_list", "split.csv (path relative to the data folder, slice, label, part)");
		JsonObject hp = new JsonObject();
		hp.addProperty("seed", cfg.seed);
		hp.addProperty("image_size", cfg.imageSize);
		hp.addProperty("batch_size", cfg.batchSize);
		hp.addProperty("learning_rate_head_phase", cfg.learningRate);
		hp.addProperty("learning_rate_finetune", cfg.learningRate * cfg.finetuneFactor);
		hp.addProperty("learning_rate_schedule", "head phase constant; fine-tuning (trunk and head) cosine decay from learning_rate_finetune to 0");
		hp.addProperty("optimizer", "Adam (beta1 0.9, beta2 0.999), decoupled weight decay " + cfg.weightDecay);
		hp.addProperty("loss", "class-weighted cross-entropy, w_c = N / (C n_c) from the training counts; label smoothing " + cfg.labelSmoothing
			+ " in fine-tuning; early stopping and checkpoints use the unsmoothed weighted loss");
		hp.add("class_weights", doubles(weights));
		hp.addProperty("max_head_epochs", cfg.headEpochs);
		hp.addProperty("max_finetune_epochs", cfg.epochs);
		hp.addProperty("early_stopping", "validation loss; head patience " + HeadTrainer.PATIENCE + ", fine-tune patience " + cfg.patience
			+ (noValidation ? " (no validation split: training loss used)" : ""));
		hp.addProperty("trainable_blocks", cfg.trainableBlocks);
		hp.addProperty("dropout", cfg.dropout);
		hp.addProperty("augmentation", (cfg.augment ? "rotation +-15 deg, scale 0.9-1.1, " + (cfg.flip ? "horizontal flip, " : "no flip, ")
			+ "brightness +-0.05, contrast +-10 %" : "no geometric augmentation") + (cfg.appearance ? "; " + AppearanceAugmenter.standard().describe() : "")
			+ " (fine-tuning phase" + (cfg.headCopies > 0 ? "; and in the head phase " + cfg.headCopies + " augmented copies of each training image "
				+ "besides the image itself" : "") + ")");
		prov.add("hyper_parameters", hp);
		prov.addProperty("head_epochs_run", headEpochs);
		prov.addProperty("finetune_epochs_run", fineEpochs);
		prov.addProperty("best_checkpoint", bestPhase + String.format(Locale.ROOT, " (validation loss %.4f)", bestVal));
		prov.addProperty("cancelled", cancelled);
		prov.addProperty("training_seconds", Math.round(seconds));
		prov.addProperty("threads", Runtime.getRuntime().availableProcessors());
		JsonObject sw = new JsonObject();
		sw.addProperty("medcnn", version());
		sw.addProperty("djl", Engine.getDjlVersion());
		try {
			sw.addProperty("pytorch", EnginePolicy.engine().getVersion());
		} catch (ModelLoadException e) {
			sw.addProperty("pytorch", "unknown");
		}
		sw.addProperty("java", System.getProperty("java.version"));
		sw.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
		prov.add("software", sw);
		c.add("provenance", prov);
		c.add("metrics", new JsonObject());
		c.addProperty("intended_use", "Research use: per-slice classification of " + (cfg.modality.isEmpty() ? "medical" : cfg.modality)
			+ " slices into " + classes + ". Not a medical device; not for diagnosis.");
		c.addProperty("limitations", "Trained on " + (cfg.dataDescription != null ? cfg.dataDescription : "the data set above")
			+ "; accuracy on other scanners, protocols or populations is unknown. See provenance for the split rule.");
		return c;
	}

	private static JsonObject splitCounts(List<String> classes, int[] train, int[] val, int[] test) {
		JsonObject o = new JsonObject();
		String[] names = {"train", "validation", "test"};
		int[][] all = {train, val, test};
		for (int s = 0; s < 3; s++) {
			JsonObject part = new JsonObject();
			for (int c = 0; c < classes.size(); c++) part.addProperty(classes.get(c), all[s][c]);
			o.add(names[s], part);
		}
		return o;
	}

	static JsonObject metricsJson(Metrics m, Metrics val, int n) {
		JsonObject o = new JsonObject();
		JsonObject t = new JsonObject();
		t.addProperty("split", "held-out test split of the leakage-aware split (see provenance.split_rule)");
		t.addProperty("images", n);
		number(t, "accuracy", m.accuracy());
		t.add("accuracy_ci95", doubles(m.accuracyCi()));
		number(t, "balanced_accuracy", m.balancedAccuracy());
		number(t, "macro_f1", m.macroF1());
		t.add("macro_f1_ci95", doubles(m.macroF1Ci()));
		number(t, "macro_roc_auc", m.macroRocAuc());
		number(t, "ece", m.ece());
		t.add("ece_ci95", doubles(m.eceCi()));
		JsonObject per = new JsonObject();
		for (int k = 0; k < m.classes().size(); k++) {
			JsonObject c = new JsonObject();
			number(c, "precision", m.precision()[k]);
			number(c, "recall", m.recall()[k]);
			number(c, "f1", m.f1()[k]);
			c.addProperty("support", m.support()[k]);
			number(c, "roc_auc", m.rocAuc()[k]);
			per.add(m.classes().get(k), c);
		}
		t.add("per_class", per);
		JsonArray conf = new JsonArray();
		for (long[] row : m.confusion()) {
			JsonArray r = new JsonArray();
			for (long v : row) r.add(v);
			conf.add(r);
		}
		t.add("confusion_matrix_true_by_predicted", conf);
		t.addProperty("bootstrap", "1000 resamples of the test images, stratified by true class, BCa intervals");
		o.add("test", t);
		JsonObject v = new JsonObject();
		v.addProperty("images", val.count());
		number(v, "accuracy", val.accuracy());
		number(v, "macro_f1", val.macroF1());
		number(v, "ece", val.ece());
		o.add("validation", v);
		return o;
	}

	static double round(double v) {
		return Double.isNaN(v) ? v : Math.round(v * 10000) / 10000.0;
	}

	static JsonArray doubles(double[] v) {
		JsonArray a = new JsonArray();
		for (double d : v) {
			if (Double.isNaN(d)) a.add(com.google.gson.JsonNull.INSTANCE);
			else a.add(round(d));
		}
		return a;
	}

	/**
	 * Adds a rounded number, or null when it is undefined (NaN: JSON has no NaN, and a card must still be
	 * written when, say, a class is never predicted on the test split and so has no precision).
	 */
	static void number(JsonObject o, String key, double v) {
		if (Double.isNaN(v)) o.add(key, com.google.gson.JsonNull.INSTANCE);
		else o.addProperty(key, round(v));
	}

	static void writeCard(Path out, JsonObject card) throws IOException {
		String text = GSON.toJson(card) + "\n";
		try {
			ModelCard.parse(text, out.resolve(ModelPackage.CARD));
		} catch (ModelLoadException e) {
			throw new IllegalStateException("the trainer wrote an invalid card: " + e.getMessage(), e);
		}
		Path tmp = out.resolve(".model.json.part");
		Files.writeString(tmp, text, StandardCharsets.UTF_8);
		Files.move(tmp, out.resolve(ModelPackage.CARD), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	/** Copies a few test images per class (never duplicates of training images) and their expected predictions. */
	private void writeExamples(Path out, JsonObject card, List<TrainingResult.ImagePrediction> preds, List<String> classes) throws IOException {
		if (cfg.examplesPerClass == 0) return;
		Path ex = out.resolve("examples");
		Files.createDirectories(ex);
		StringBuilder csv = new StringBuilder("file,slice,truth,predicted,confidence\n");
		Map<String, Integer> taken = new TreeMap<>();
		for (TrainingResult.ImagePrediction p : preds) {
			if (p.slice() != 1) continue;
			if (taken.getOrDefault(p.truth(), 0) >= cfg.examplesPerClass) continue;
			taken.merge(p.truth(), 1, Integer::sum);
			String name = p.truth() + "_" + p.file().getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
			Files.copy(p.file(), ex.resolve(name), StandardCopyOption.REPLACE_EXISTING);
			float conf = p.probabilities()[classes.indexOf(p.predicted())];
			csv.append(name).append(",1,").append(p.truth()).append(',').append(p.predicted()).append(',')
				.append(String.format(Locale.ROOT, "%.6f", conf)).append('\n');
		}
		Files.writeString(ex.resolve("expected.csv"), csv.toString(), StandardCharsets.UTF_8);
		JsonObject e = new JsonObject();
		e.addProperty("file", "examples/expected.csv");
		e.addProperty("sha256", Hashes.sha256(ex.resolve("expected.csv")));
		card.add("examples", e);
	}

	/**
	 * Writes {@code split.csv}: every image (and slice) with its class and part, paths relative to the
	 * deepest folder holding all of them, so the split can be checked and reused (evaluation, ensembles).
	 */
	private static void writeSplitList(Path out, List<Item> items, List<String> classes) throws IOException {
		Path root = null;
		for (Item it : items) {
			Path parent = it.sample.file().toAbsolutePath().normalize().getParent();
			if (root == null) {
				root = parent;
			} else {
				while (root != null && !parent.startsWith(root)) root = root.getParent();
			}
		}
		StringBuilder sb = new StringBuilder("path,slice,label,part\n");
		for (Item it : items) {
			Path f = it.sample.file().toAbsolutePath().normalize();
			String rel = (root == null ? f : root.relativize(f)).toString().replace('\\', '/');
			String quoted = rel.contains(",") || rel.contains("\"") ? '"' + rel.replace("\"", "\"\"") + '"' : rel;
			sb.append(quoted).append(',').append(it.slice).append(',').append(classes.get(it.label)).append(',')
				.append(it.part.name().toLowerCase(Locale.ROOT)).append('\n');
		}
		Files.writeString(out.resolve("split.csv"), sb.toString(), StandardCharsets.UTF_8);
	}

	private static String version() {
		String v = ClassifierTrainer.class.getPackage().getImplementationVersion();
		return v == null ? "development build" : v;
	}

	// -- the trunk in training mode --

	/** The base trunk loaded with trainable parameters. */
	static final class Trunk implements AutoCloseable {
		final ZooModel<NDList, NDList> zoo;
		final PtSymbolBlock block;
		final NDManager manager;
		final ParameterStore store;
		final int features;
		final InputSpec spec;

		Trunk(Path file, InputSpec spec) throws ModelLoadException {
			this.spec = spec;
			zoo = TrunkLoader.open(file, Device.cpu(), TrunkLoader.Mode.GRADIENTS);
			PtSymbolBlock b = TrunkLoader.module(zoo, file);
			block = b;
			manager = zoo.getNDManager();
			store = new ParameterStore(manager, false);
			JniUtils.setGradMode(false);
			try (NDScope scope = new NDScope()) {
				NDArray probe = manager.zeros(new Shape(1, 3, spec.height(), spec.width()));
				NDList outList = block.forward(store, new NDList(probe), false);
				Shape s = outList.get(0).getShape();
				if (s.dimension() != 4) {
					zoo.close();
					throw new ModelLoadException(file + ": base model is not a trunk: its output has shape " + s + "; a trunk returns a rank-4 feature map N x C x h x w");
				}
				features = (int) s.get(1);
			}
		}

		/** The faster channels-last layout of inference (same values); a fresh buffer per batch, which a backward pass may still read. */
		private final InputTensors inputs = new InputTensors(EnginePolicy.channelsLast(Device.cpu()), false);

		NDArray input(float[] data, int n) {
			return inputs.create(manager, data, n, spec.height(), spec.width());
		}

		/** Pooled features of items (no augmentation, no gradients). */
		float[][] pooled(List<Item> items, SlicePreprocessor pre, int batch) {
			int per = spec.tensorSize();
			float[] buf = new float[batch * per];
			float[][] out = new float[items.size()][];
			JniUtils.setGradMode(false);
			for (int start = 0; start < items.size(); start += batch) {
				int b = Math.min(batch, items.size() - start);
				for (int i = 0; i < b; i++) pre.normalize(items.get(start + i).unit, buf, i * per);
				try (NDScope scope = new NDScope()) {
					NDArray f = block.forward(store, new NDList(input(buf, b)), false).get(0);
					float[] p = f.mean(new int[] {3}).mean(new int[] {2}).toFloatArray();
					for (int i = 0; i < b; i++) out[start + i] = Arrays.copyOfRange(p, i * features, (i + 1) * features);
				}
			}
			return out;
		}

		/**
		 * Splits the trunk's parameters into top-level blocks and marks the last {@code n} blocks
		 * trainable, the others frozen. A block is the first name segment after the prefix that all
		 * parameter names share (for torchvision's {@code features.14.conv.0.0.weight}: {@code 14}).
		 */
		List<Parameter> unfreezeLast(int n) {
			Map<String, List<Parameter>> blocks = TrunkBlocks.group(block);
			List<String> order = new ArrayList<>(blocks.keySet());
			List<Parameter> trainable = new ArrayList<>();
			for (int i = 0; i < order.size(); i++) {
				boolean train = i >= order.size() - n;
				for (Parameter p : blocks.get(order.get(i))) {
					p.getArray().setRequiresGradient(train);
					if (train) trainable.add(p);
				}
			}
			return trainable;
		}

		byte[] save() {
			ByteArrayOutputStream bos = new ByteArrayOutputStream();
			JniUtils.writeModule(block, bos, false);
			return bos.toByteArray();
		}

		@Override
		public void close() {
			zoo.close();
		}
	}

	/** Adam with decoupled weight decay, on NDArrays, applied outside the gradient collector. */
	static final class Adam {
		final NDArray m;
		final NDArray v;
		final double wd;
		int t;

		Adam(NDArray param, double wd) {
			NDScope.unregister(m = param.zerosLike());
			NDScope.unregister(v = param.zerosLike());
			this.wd = wd;
		}

		void step(NDArray param, double lr) {
			t++;
			NDArray g = param.getGradient();
			m.muli(0.9f).addi(g.mul(0.1f));
			v.muli(0.999f).addi(g.square().muli(0.001f));
			double bc1 = 1 - Math.pow(0.9, t);
			double bc2 = 1 - Math.pow(0.999, t);
			NDArray update = m.div((float) bc1).divi(v.div((float) bc2).sqrt().addi(1e-8f)).muli((float) lr);
			if (wd > 0) update.addi(param.mul((float) (lr * wd)));
			param.subi(update);
			JniUtils.zeroGrad((PtNDArray) param);
		}
	}

	/** Fine-tunes the last trunk blocks and the head on augmented images. */
	static final class FineTuner {
		final Trunk trunk;
		final SlicePreprocessor pre;
		final int classes;
		final double[] weights;
		final TrainingConfig cfg;
		final float[] w0;
		final float[] b0;

		record Outcome(int epochs, boolean cancelled, boolean improved, byte[] trunk, float[] weights, float[] bias, double bestValidationLoss) {}

		FineTuner(Trunk trunk, SlicePreprocessor pre, int classes, double[] weights, TrainingConfig cfg, float[] w0, float[] b0) {
			this.trunk = trunk;
			this.pre = pre;
			this.classes = classes;
			this.weights = weights;
			this.cfg = cfg;
			this.w0 = w0;
			this.b0 = b0;
		}

		Outcome fit(List<Item> train, List<Item> val, double headBest, List<EpochRecord> history, TrainingListener listener, Cancellation cancel) {
			int f = trunk.features;
			NDManager mgr = trunk.manager;
			List<Parameter> params = trunk.unfreezeLast(cfg.trainableBlocks);
			NDArray wArr = mgr.create(w0, new Shape(classes, f));
			NDArray bArr = mgr.create(b0, new Shape(classes));
			NDScope.unregister(wArr, bArr);
			wArr.setRequiresGradient(true);
			bArr.setRequiresGradient(true);
			List<NDArray> trainable = new ArrayList<>();
			List<Adam> opt = new ArrayList<>();
			for (Parameter p : params) {
				trainable.add(p.getArray());
				opt.add(new Adam(p.getArray(), cfg.weightDecay));
			}
			trainable.add(wArr);
			opt.add(new Adam(wArr, cfg.weightDecay));
			trainable.add(bArr);
			opt.add(new Adam(bArr, 0));
			double lrMax = cfg.learningRate * cfg.finetuneFactor;
			long totalSteps = (long) cfg.epochs * ((train.size() + cfg.batchSize - 1) / cfg.batchSize);
			long step = 0;
			listener.info("fine-tuning phase: last " + cfg.trainableBlocks + " trunk block(s), " + params.size() + " parameter tensor(s), up to " + cfg.epochs + " epoch(s)");

			int per = pre.spec().tensorSize();
			int h = pre.spec().height();
			int w = pre.spec().width();
			Augmenter aug = Augmenter.standard(cfg.flip);
			AppearanceAugmenter look = AppearanceAugmenter.standard();
			SplittableRandom rnd = new SplittableRandom(cfg.seed * 31 + 7);
			float[] buf = new float[cfg.batchSize * per];
			double best = headBest;
			byte[] bestTrunk = null;
			float[] bestW = null;
			float[] bestB = null;
			int sinceBest = 0;
			int epochsRun = 0;
			boolean cancelled = false;
			Engine engine = trunk.manager.getEngine();
			for (int epoch = 1; epoch <= cfg.epochs && !cancelled; epoch++) {
				long t0 = System.nanoTime();
				int[] order = permutation(train.size(), rnd);
				int batches = (train.size() + cfg.batchSize - 1) / cfg.batchSize;
				double lossSum = 0;
				double weightSum = 0;
				int right = 0;
				int seen = 0;
				for (int bi = 0; bi < batches; bi++) {
					if (cancel.isCancelled()) {
						cancelled = true;
						break;
					}
					int start = bi * cfg.batchSize;
					int n = Math.min(cfg.batchSize, train.size() - start);
					float[] target = new float[n * classes];
					float batchWeight = 0;
					int[] y = new int[n];
					float eps = (float) cfg.labelSmoothing;
					for (int i = 0; i < n; i++) {
						Item it = train.get(order[start + i]);
						float[] img = cfg.augment ? aug.apply(it.unit, w, h, rnd) : it.unit;
						if (cfg.appearance) img = look.apply(img, w, h, rnd);
						pre.normalize(img, buf, i * per);
						y[i] = it.label;
						float sw = (float) weights[it.label];
						for (int k = 0; k < classes; k++) target[i * classes + k] = sw * ((k == it.label ? 1 - eps : 0) + eps / classes);
						batchWeight += sw;
					}
					float[] mask = new float[n * f];
					float keep = (float) (1 - cfg.dropout);
					for (int i = 0; i < mask.length; i++) mask[i] = rnd.nextDouble() < keep ? 1f / keep : 0f;
					float lossValue;
					float[] logits;
					try (NDScope scope = new NDScope()) {
						NDArray x = trunk.input(buf, n);
						NDArray t = mgr.create(target, new Shape(n, classes));
						NDArray mk = mgr.create(mask, new Shape(n, f));
						try (GradientCollector gc = engine.newGradientCollector()) {
							NDArray feat = trunk.block.forward(trunk.store, new NDList(x), true).get(0);
							NDArray pooled = feat.mean(new int[] {3}).mean(new int[] {2}).mul(mk);
							NDArray out = pooled.matMul(wArr.transpose()).add(bArr);
							NDArray loss = out.logSoftmax(1).mul(t).sum().neg().div(batchWeight);
							gc.backward(loss);
							lossValue = loss.getFloat();
							logits = out.toFloatArray();
						}
						JniUtils.setGradMode(false);
						double lr = lrMax * 0.5 * (1 + Math.cos(Math.PI * step / Math.max(1, totalSteps)));
						step++;
						for (int k = 0; k < trainable.size(); k++) opt.get(k).step(trainable.get(k), lr);
					}
					lossSum += lossValue * batchWeight;
					weightSum += batchWeight;
					for (int i = 0; i < n; i++) {
						if (Probabilities.argmax(Arrays.copyOfRange(logits, i * classes, (i + 1) * classes)) == y[i]) right++;
					}
					seen += n;
					listener.batch("finetune", epoch, bi + 1, batches, lossSum / weightSum, (double) right / seen);
				}
				if (seen == 0) break;
				epochsRun = epoch;
				float[] wNow = wArr.toFloatArray();
				float[] bNow = bArr.toFloatArray();
				float[][] fval = trunk.pooled(val, pre, cfg.batchSize);
				double[] vl = HeadTrainer.evaluate(fval, labels(val), wNow, bNow, f, classes, weights);
				boolean isBest = vl[0] < best;
				if (isBest) {
					best = vl[0];
					bestTrunk = trunk.save();
					bestW = wNow;
					bestB = bNow;
					sinceBest = 0;
				} else {
					sinceBest++;
				}
				EpochRecord rec = new EpochRecord("finetune", epoch, lossSum / weightSum, (double) right / seen, vl[0], vl[1], (System.nanoTime() - t0) / 1e9, isBest);
				history.add(rec);
				listener.epoch(rec);
				if (sinceBest >= cfg.patience) {
					listener.info("early stopping: validation loss did not improve for " + cfg.patience + " epoch(s)");
					break;
				}
			}
			return new Outcome(epochsRun, cancelled, bestTrunk != null, bestTrunk, bestW, bestB, best);
		}
	}

	static int[] permutation(int n, SplittableRandom rnd) {
		int[] p = new int[n];
		for (int i = 0; i < n; i++) p[i] = i;
		for (int i = n - 1; i > 0; i--) {
			int j = rnd.nextInt(i + 1);
			int t = p[i];
			p[i] = p[j];
			p[j] = t;
		}
		return p;
	}

	/** Throws if cancelled; kept for symmetry with the batch checks. */
	static void check(Cancellation c) {
		if (c.isCancelled()) throw new CancellationException("training cancelled");
	}
}
