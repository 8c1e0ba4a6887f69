package org.medcnn.core.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.ood.OodDetector;
import org.medcnn.core.ood.OodMethod;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.train.OodFitting;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.testing.Fixtures;

/**
 * The out-of-distribution detector in a package: the engine's distances against the Java reference,
 * the scores and flags of a classification, and packages with a damaged or missing detector.
 */
class OodScoringTest {

	@TempDir
	Path tmp;

	/** A slice around a grey level with seeded noise and a gradient, as physical values 0-255. */
	static Slice textured(int index, double level, long seed) {
		SplittableRandom r = new SplittableRandom(seed);
		float[] px = new float[32 * 32];
		for (int y = 0; y < 32; y++) {
			for (int x = 0; x < 32; x++) px[y * 32 + x] = (float) Math.max(0, Math.min(255, level + 0.6 * (x - 16) + r.nextGaussian() * 12));
		}
		return new Slice(index, "level" + (int) level, 32, 32, px);
	}

	/** Pooled features of slices, computed by a session of the model (the inference path). */
	static OodFitting.Features features(ClassifierModel model, List<Slice> slices, int label) throws Exception {
		SlicePreprocessor pre = new SlicePreprocessor(model.pkg().card().input());
		int per = pre.spec().tensorSize();
		float[] buf = new float[slices.size() * per];
		for (int i = 0; i < slices.size(); i++) pre.preprocess(slices.get(i), buf, i * per);
		float[] pooled;
		try (ClassifierModel.Session s = model.newSession()) {
			pooled = s.pooledFeatures(buf, slices.size());
		}
		int f = model.pkg().head().features();
		float[][] x = new float[slices.size()][];
		int[] y = new int[slices.size()];
		for (int i = 0; i < x.length; i++) {
			x[i] = java.util.Arrays.copyOfRange(pooled, i * f, (i + 1) * f);
			y[i] = label;
		}
		return new OodFitting.Features(x, y, List.of());
	}

	static OodFitting.Features concat(OodFitting.Features a, OodFitting.Features b) {
		float[][] x = java.util.stream.Stream.concat(java.util.Arrays.stream(a.x()), java.util.Arrays.stream(b.x())).toArray(float[][]::new);
		int[] y = java.util.stream.IntStream.concat(java.util.Arrays.stream(a.y()), java.util.Arrays.stream(b.y())).toArray();
		return new OodFitting.Features(x, y, List.of());
	}

	static List<Slice> slices(double from, double to, int n, long seed) {
		List<Slice> out = new ArrayList<>();
		for (int i = 0; i < n; i++) out.add(textured(i + 1, from + (to - from) * i / Math.max(1, n - 1), seed + i));
		return out;
	}

	/** A copy of the tiny model with a detector fitted on dark slices (levels 20-100; class "dark" and "bright" halves of that range). */
	Path packageWithDetector(OodMethod method, int k) throws Exception {
		Path dir = Fixtures.copyTinyModel(tmp.resolve(method.key() + k));
		try (ClassifierModel m = ClassifierModel.load(ModelPackage.open(dir), DeviceSpec.CPU)) {
			OodFitting.Features train = concat(features(m, slices(20, 55, 20, 1), 0), features(m, slices(65, 100, 20, 100), 1));
			OodFitting.Features val = concat(features(m, slices(22, 55, 10, 300), 0), features(m, slices(66, 98, 10, 400), 1));
			OodFitting.Features test = features(m, slices(25, 95, 10, 500), 0);
			OodFitting.Fitted f = OodFitting.fit(train, val, test, 2, new OodFitting.Options(method, k, 0.1, 0.9, false));
			assertEquals(0.1, f.validationFlagged(), 1e-9, "the threshold keeps 90 % of the validation slices");
			OodFitting.write(dir, f, List.of(), "test");
		}
		return dir;
	}

	@Test
	void engineDistancesMatchTheJavaReference() throws Exception {
		for (OodMethod method : OodMethod.values()) {
			for (int k : method == OodMethod.KNN ? new int[] {1, 3} : new int[] {1}) {
				Path dir = packageWithDetector(method, k);
				ModelPackage pkg = ModelPackage.open(dir);
				OodDetector d = pkg.ood();
				assertNotNull(d);
				assertEquals(method, d.method());
				try (ClassifierModel m = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
					List<Slice> mixed = new ArrayList<>(slices(30, 90, 4, 900));
					mixed.addAll(slices(180, 250, 3, 950));
					SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
					int per = pre.spec().tensorSize();
					float[] buf = new float[mixed.size() * per];
					for (int i = 0; i < mixed.size(); i++) pre.preprocess(mixed.get(i), buf, i * per);
					float[] features;
					try (ClassifierModel.Session s = m.newSession()) {
						features = s.pooledFeatures(buf, 0, mixed.size());
					}
					float[] engine = m.oodDistances(features, mixed.size());
					int f = d.features();
					for (int i = 0; i < mixed.size(); i++) {
						double java = d.distance(features, i * f);
						// within 1e-4 of the threshold: the flag never depends on the difference
						assertEquals(java, engine[i], 1e-4 * d.threshold(), method + " k " + k + " slice " + i);
					}
				}
			}
		}
	}

	/**
	 * Mahalanobis here: the tiny trunk's features are nearly proportional to brightness (positive weights),
	 * so their direction, which k-NN compares, hardly changes with it.
	 */
	@Test
	void classificationScoresAndFlagsSlicesOutsideTheTrainingData() throws Exception {
		Path dir = packageWithDetector(OodMethod.MAHALANOBIS, 1);
		ModelPackage pkg = ModelPackage.open(dir);
		try (ClassifierModel m = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			List<Slice> mixed = new ArrayList<>();
			for (Slice s : slices(30, 90, 4, 700)) mixed.add(s);
			for (Slice s : slices(200, 250, 4, 800)) mixed.add(new Slice(mixed.size() + 1, s.label(), s.width(), s.height(), s.pixels()));
			for (int batch : new int[] {1, 3, 8}) {
				ClassificationRun run = new DjlSliceClassifier(m, batch, null).classify(Fixtures.slices("mixed", mixed), ProgressListener.NONE,
					Cancellation.NEVER);
				for (int i = 0; i < 4; i++) {
					Prediction p = run.predictions().get(i);
					double expected = pkg.ood().score(pkg.ood().distance(featuresOf(m, mixed.get(i)), 0));
					assertEquals(expected, p.oodScore(), 1e-4 * Math.max(1, expected), "batch " + batch + " slice " + (i + 1));
				}
				for (int i = 4; i < 8; i++) assertEquals(1, run.predictions().get(i).outOfDistribution(), "bright slice " + (i + 1) + " is foreign");
				assertEquals(8, run.oodScored());
				assertTrue(run.oodFlagged() >= 4);
				assertTrue(run.warnings().stream().anyMatch(w -> w.contains("outside the training data of tiny-brightness")), run.warnings().toString());
				List<String> header = ResultColumns.header(run, List.of());
				int score = header.indexOf("ood_score");
				int flag = header.indexOf("out_of_distribution");
				assertTrue(score > header.indexOf("confidence") && flag == score + 1 && flag < header.indexOf("model"), header.toString());
				List<Object> row = ResultColumns.row(run, run.predictions().get(7));
				assertEquals(1, row.get(flag));
				assertTrue((Float) row.get(score) > 1);
			}
			// TTA scores the slice itself, not its augmented copies: the same scores as without
			ClassificationRun plain = new DjlSliceClassifier(m, 4, null).classify(Fixtures.slices("mixed", mixed), ProgressListener.NONE, Cancellation.NEVER);
			ClassificationRun tta = new DjlSliceClassifier(Ensemble.of(m), 4, new UncertaintyOptions(UncertaintyMode.TTA, 4, 0, Double.NaN), null)
				.classify(Fixtures.slices("mixed", mixed), ProgressListener.NONE, Cancellation.NEVER);
			for (int i = 0; i < mixed.size(); i++) assertEquals(plain.predictions().get(i).oodScore(), tta.predictions().get(i).oodScore(), 1e-4);
		}
	}

	private static float[] featuresOf(ClassifierModel m, Slice s) throws Exception {
		return features(m, List.of(s), 0).x()[0];
	}

	@Test
	void aPackageWithoutDetectorClassifiesWithEmptyColumnsAndOneWarning() throws Exception {
		ModelPackage pkg = ModelPackage.open(Fixtures.tinyModel());
		assertNull(pkg.ood());
		try (ClassifierModel m = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			ClassificationRun run = new DjlSliceClassifier(m, 4, null).classify(Fixtures.slices("s", slices(30, 200, 5, 1)), ProgressListener.NONE,
				Cancellation.NEVER);
			assertEquals(5, run.predictions().size());
			for (Prediction p : run.predictions()) {
				assertTrue(Double.isNaN(p.oodScore()));
				assertEquals(-1, p.outOfDistribution());
			}
			assertEquals(1, run.warnings().stream().filter(w -> w.contains("no out-of-distribution detector")).count(), run.warnings().toString());
			assertNull(run.oodSummary());
			List<String> header = ResultColumns.header(run, List.of());
			List<Object> row = ResultColumns.row(run, run.predictions().get(0));
			assertEquals("", ResultColumns.format(row.get(header.indexOf("ood_score"))));
			assertEquals("", ResultColumns.format(row.get(header.indexOf("out_of_distribution"))));
		}
	}

	@Test
	void aChangedDetectorFileOrADisagreeingCardIsRefused() throws Exception {
		Path dir = packageWithDetector(OodMethod.KNN, 1);
		Path ood = dir.resolve(OodDetector.FILE);
		byte[] bytes = Files.readAllBytes(ood);
		bytes[bytes.length - 1] ^= 1;
		Files.write(ood, bytes);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelPackage.open(dir));
		assertTrue(e.getMessage().contains(ood.toString()) && e.getMessage().contains("sha256 mismatch"), e.getMessage());
		bytes[bytes.length - 1] ^= 1;
		Files.write(ood, bytes);
		ModelPackage.open(dir);
		Path card = dir.resolve(ModelPackage.CARD);
		String text = Files.readString(card, StandardCharsets.UTF_8);
		Files.writeString(card, text.replace("\"k\": 1", "\"k\": 7"), StandardCharsets.UTF_8);
		e = assertThrows(ModelLoadException.class, () -> ModelPackage.open(dir));
		assertTrue(e.getMessage().contains("disagrees") && e.getMessage().contains("k 7 vs 1"), e.getMessage());
		Files.writeString(card, text.replace("\"medcnn-ood/1\"", "\"medcnn-ood/9\""), StandardCharsets.UTF_8);
		e = assertThrows(ModelLoadException.class, () -> ModelPackage.open(dir));
		assertTrue(e.getMessage().contains("ood.format"), e.getMessage());
		Files.delete(ood);
		Files.writeString(card, text, StandardCharsets.UTF_8);
		e = assertThrows(ModelLoadException.class, () -> ModelPackage.open(dir));
		assertTrue(e.getMessage().contains("out-of-distribution detector file listed in model.json is missing"), e.getMessage());
	}
}
