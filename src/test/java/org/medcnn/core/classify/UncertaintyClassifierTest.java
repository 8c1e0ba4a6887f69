package org.medcnn.core.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.image.Slice;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TestPackages;

/** Ensembles, TTA and MC dropout through the real engine, on the tiny brightness trunk. */
class UncertaintyClassifierTest {

	private static final List<String> CLASSES = List.of("dark", "bright");

	@TempDir
	static Path dir;

	private static ModelProvider provider;
	private static LinearHead tinyHead;
	private static Path single;
	private static Path singleCopy;
	private static Path dropoutModel;

	@BeforeAll
	static void packages() throws Exception {
		Path trunk = Fixtures.tinyModel().resolve("trunk.pt");
		tinyHead = LinearHead.read(Fixtures.tinyModel().resolve("head.bin"));
		single = TestPackages.write(dir, "single", trunk, CLASSES, tinyHead, 32, 32, "stretch", 255);
		singleCopy = TestPackages.write(dir.resolve("copy"), "single-copy", trunk, CLASSES, tinyHead, 32, 32, "stretch", 255);
		LinearHead withDropout = new LinearHead(tinyHead.features(), 2, 0.5f, tinyHead.weights(), tinyHead.bias());
		dropoutModel = TestPackages.write(dir, "dropout", trunk, CLASSES, withDropout, 32, 32, "stretch", 255);
		provider = new ModelProvider(new ModelRepository(List.of()));
	}

	@AfterAll
	static void close() {
		provider.close();
	}

	/** Slices whose mean brightness spans the decision boundary, with a gradient so that flips and rotations change them. */
	static List<Slice> slices() {
		List<Slice> out = new ArrayList<>();
		for (int k = 0; k < 7; k++) {
			float[] px = new float[32 * 32];
			for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) px[y * 32 + x] = Math.min(255, 20 * k + 4 * x + (y > 16 ? 30 : 0));
			out.add(new Slice(k + 1, "s" + k, 32, 32, px));
		}
		return out;
	}

	static ClassificationRun run(Ensemble e, UncertaintyOptions o, int batch) throws ClassificationException {
		return new DjlSliceClassifier(e, batch, o, null).classify(DjlSliceClassifierTest.source(slices()), ProgressListener.NONE, Cancellation.NEVER);
	}

	@Test
	void ensembleOfIdenticalMembersEqualsTheSingleModel() throws Exception {
		ClassificationRun one = run(provider.loadAll(single.toString(), DeviceSpec.CPU), UncertaintyOptions.NONE, 4);
		Path pkg = TestPackages.writeEnsemble(dir, "identical", Fixtures.tinyModel().resolve("trunk.pt"), CLASSES, List.of(tinyHead, tinyHead, tinyHead),
			List.of(1.0, 1.0, 1.0), 32, 32, 255);
		ClassificationRun packaged = run(provider.loadAll(pkg.toString(), DeviceSpec.CPU), UncertaintyOptions.of(UncertaintyMode.ENSEMBLE), 4);
		ClassificationRun listed = run(provider.loadAll(single + "," + singleCopy, DeviceSpec.CPU), UncertaintyOptions.of(UncertaintyMode.ENSEMBLE), 3);
		assertEquals("single+single-copy", listed.modelId());
		for (ClassificationRun r : List.of(packaged, listed)) {
			assertEquals(UncertaintyMode.ENSEMBLE, r.uncertainty());
			for (int i = 0; i < one.predictions().size(); i++) {
				Prediction a = one.predictions().get(i);
				Prediction b = r.predictions().get(i);
				assertArrayEquals(a.probabilities(), b.probabilities(), 1e-6f, "slice " + (i + 1));
				assertEquals(a.classIndex(), b.classIndex());
				assertEquals(0, b.uncertainty().mutualInformation(), 1e-6);
				assertEquals(0, b.uncertainty().stdTop(), 1e-6);
			}
		}
		assertNull(one.predictions().get(0).uncertainty());
	}

	@Test
	void differingMembersAreAveragedAndDisagreementShows() throws Exception {
		// Member 2 has its logits swapped: it predicts the opposite class.
		float[] w = tinyHead.weights();
		float[] b = tinyHead.bias();
		int f = tinyHead.features();
		float[] sw = new float[w.length];
		System.arraycopy(w, f, sw, 0, f);
		System.arraycopy(w, 0, sw, f, f);
		LinearHead swapped = new LinearHead(f, 2, 0, sw, new float[] {b[1], b[0]});
		Path pkg = TestPackages.writeEnsemble(dir, "opposed", Fixtures.tinyModel().resolve("trunk.pt"), CLASSES, List.of(tinyHead, swapped), List.of(1.0, 1.0),
			32, 32, 255);
		ClassificationRun r = run(provider.loadAll(pkg.toString(), DeviceSpec.CPU), UncertaintyOptions.of(UncertaintyMode.ENSEMBLE), 4);
		ClassificationRun one = run(provider.loadAll(single.toString(), DeviceSpec.CPU), UncertaintyOptions.NONE, 4);
		for (int i = 0; i < r.predictions().size(); i++) {
			Prediction p = r.predictions().get(i);
			float q = one.predictions().get(i).probabilities()[1];
			// The mean of p and 1 - p is 1/2 for both classes.
			assertEquals(0.5f, p.probabilities()[1], 1e-6f);
			double expectedMi = Math.log(2) + (q * Math.log(q) + (1 - q) * Math.log(1 - q));
			assertEquals(expectedMi, p.uncertainty().mutualInformation(), 1e-5);
		}
	}

	@Test
	void modelsThatDisagreeOnClassesAreRefused() {
		Path other = TestPackages.write(dir, "other-classes", Fixtures.tinyModel().resolve("trunk.pt"), List.of("low", "high"), tinyHead, 32, 32, "stretch", 255);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> provider.loadAll(single + "," + other, DeviceSpec.CPU));
		assertTrue(e.getMessage().contains("their classes differ, [dark, bright] vs [low, high]"), e.getMessage());
		Path wider = TestPackages.write(dir, "other-input", Fixtures.tinyModel().resolve("trunk.pt"), CLASSES, tinyHead, 32, 32, "stretch", 4095);
		e = assertThrows(ModelLoadException.class, () -> provider.loadAll(single + "," + wider, DeviceSpec.CPU));
		assertTrue(e.getMessage().contains("input contracts differ"), e.getMessage());
		ModelLoadException several = assertThrows(ModelLoadException.class, () -> provider.load(single + "," + singleCopy, DeviceSpec.CPU));
		assertTrue(several.getMessage().contains("names several models (comma-separated); this command takes one"), several.getMessage());
		IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> provider.loadAll(single + "," + single, DeviceSpec.CPU));
		assertTrue(twice.getMessage().contains("listed twice"), twice.getMessage());
	}

	@Test
	void ensembleModeNeedsSeveralMembers() throws Exception {
		Ensemble one = provider.loadAll(single.toString(), DeviceSpec.CPU);
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> new DjlSliceClassifier(one, 4, UncertaintyOptions.of(UncertaintyMode.ENSEMBLE), null));
		assertTrue(e.getMessage().startsWith("uncertainty=ensemble needs several models"), e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> new DjlSliceClassifier(one, 4, UncertaintyOptions.of(UncertaintyMode.MC_DROPOUT), null));
		assertTrue(e.getMessage().contains("has dropout 0"), e.getMessage());
	}

	@Test
	void ttaIsReproducibleWithASeedAndIndependentOfBatching() throws Exception {
		Ensemble m = provider.loadAll(single.toString(), DeviceSpec.CPU);
		UncertaintyOptions o = new UncertaintyOptions(UncertaintyMode.TTA, 6, 11, Double.NaN);
		ClassificationRun a = run(m, o, 4);
		ClassificationRun again = run(m, o, 4);
		ClassificationRun b = run(m, o, 1);
		ClassificationRun c = run(m, new UncertaintyOptions(UncertaintyMode.TTA, 6, 12, Double.NaN), 4);
		boolean differs = false;
		for (int i = 0; i < a.predictions().size(); i++) {
			Prediction pa = a.predictions().get(i);
			assertEquals(pa.uncertainty(), again.predictions().get(i).uncertainty(), "same seed, same batches: identical");
			assertArrayEquals(pa.probabilities(), again.predictions().get(i).probabilities(), 0f);
			// Other batch sizes: the same augmentations; the engine's float sums may differ in the last bits.
			same(pa, b.predictions().get(i), 1e-5);
			assertEquals(6, pa.uncertainty().samples());
			assertTrue(pa.uncertainty().stdTop() > 0, "augmentations change the slice " + (i + 1));
			differs |= Math.abs(pa.probabilities()[1] - c.predictions().get(i).probabilities()[1]) > 1e-6;
		}
		assertTrue(differs, "another seed draws other augmentations");
	}

	@Test
	void mcDropoutIsReproducibleWithASeed() throws Exception {
		Ensemble m = provider.loadAll(dropoutModel.toString(), DeviceSpec.CPU);
		UncertaintyOptions o = new UncertaintyOptions(UncertaintyMode.MC_DROPOUT, 16, 5, Double.NaN);
		ClassificationRun a = run(m, o, 4);
		ClassificationRun b = run(m, o, 3);
		ClassificationRun c = run(m, new UncertaintyOptions(UncertaintyMode.MC_DROPOUT, 16, 6, Double.NaN), 4);
		boolean differs = false;
		ClassificationRun again = run(m, o, 4);
		for (int i = 0; i < a.predictions().size(); i++) {
			assertEquals(a.predictions().get(i).uncertainty(), again.predictions().get(i).uncertainty(), "same seed, same batches: identical");
			same(a.predictions().get(i), b.predictions().get(i), 1e-5);
			assertEquals(16, a.predictions().get(i).uncertainty().samples());
			differs |= !a.predictions().get(i).uncertainty().equals(c.predictions().get(i).uncertainty());
		}
		assertTrue(differs, "another seed draws other masks");
		// No threshold in the card: the flag is unknown and a warning says so.
		assertEquals(-1, a.predictions().get(0).uncertainty().uncertain());
		assertTrue(a.warnings().stream().anyMatch(w -> w.contains("no flag threshold for uncertainty=mc_dropout")), a.warnings().toString());
	}

	static void same(Prediction a, Prediction b, double tol) {
		assertArrayEquals(a.probabilities(), b.probabilities(), (float) tol);
		assertEquals(a.uncertainty().samples(), b.uncertainty().samples());
		assertEquals(a.uncertainty().entropy(), b.uncertainty().entropy(), tol);
		assertEquals(a.uncertainty().mutualInformation(), b.uncertainty().mutualInformation(), tol);
		assertEquals(a.uncertainty().stdTop(), b.uncertainty().stdTop(), tol);
	}

	@Test
	void dropoutKeepsTheExpectedValueAndTheRate() {
		float[] x = new float[20000];
		java.util.Arrays.fill(x, 1f);
		float[] d = PassSampler.dropout(x, 0.2, 9);
		int zeros = 0;
		double sum = 0;
		for (float v : d) {
			if (v == 0) zeros++;
			sum += v;
		}
		assertEquals(0.2, zeros / 20000.0, 0.01);
		assertEquals(1.0, sum / 20000, 0.02);
		assertArrayEquals(d, PassSampler.dropout(x, 0.2, 9), 0f);
		assertFalse(java.util.Arrays.equals(d, PassSampler.dropout(x, 0.2, 10)));
	}

	@Test
	void mcDropoutLeavesTheTrunksBatchNormAlone() throws Exception {
		// A trunk with batch norm and dropout layers: MC dropout acts in the Java head only, so the trunk
		// keeps running in inference mode and its outputs before and after many passes are identical.
		LinearHead head = new LinearHead(4, 2, 0.3f, new float[] {1, -1, 0.5f, 0, -1, 1, 0, 0.5f}, new float[] {0, 0});
		Path pkg = TestPackages.write(dir, "bn", Fixtures.resource("/trunks/bn-trunk.pt"), CLASSES, head, 32, 32, "stretch", 255);
		Ensemble m = provider.loadAll(pkg.toString(), DeviceSpec.CPU);
		ClassificationRun before = run(m, UncertaintyOptions.NONE, 4);
		UncertaintyOptions mc = new UncertaintyOptions(UncertaintyMode.MC_DROPOUT, 32, 3, Double.NaN);
		ClassificationRun batched = run(m, mc, 4);
		ClassificationRun alone = run(m, mc, 1);
		ClassificationRun after = run(m, UncertaintyOptions.NONE, 4);
		for (int i = 0; i < before.predictions().size(); i++) {
			assertArrayEquals(before.predictions().get(i).logits(), after.predictions().get(i).logits(), 0f, "slice " + (i + 1));
			// Batch norm in training mode would normalise with the batch's statistics: one slice alone would differ.
			same(batched.predictions().get(i), alone.predictions().get(i), 1e-5);
		}
	}

	@Test
	void givenThresholdSetsTheFlag() throws Exception {
		Ensemble m = provider.loadAll(dropoutModel.toString(), DeviceSpec.CPU);
		ClassificationRun r = run(m, new UncertaintyOptions(UncertaintyMode.MC_DROPOUT, 8, 1, 0.3), 4);
		for (Prediction p : r.predictions()) assertEquals(p.uncertainty().entropy() > 0.3 ? 1 : 0, p.uncertainty().uncertain());
		assertNotEquals(0, r.predictions().stream().filter(p -> p.uncertainty().uncertain() == 1).count(), "the slices near the boundary are flagged");
		ModelPackage pkg = ModelPackage.open(dropoutModel);
		assertEquals(0.5f, pkg.head().dropout());
		// the only warning: the test package has no out-of-distribution detector
		assertEquals(List.of(), r.warnings().stream().filter(w -> !w.contains("no out-of-distribution detector")).toList());
		ClassifierModel cm = m.models().get(0);
		assertEquals("cpu", cm.deviceName());
	}
}
