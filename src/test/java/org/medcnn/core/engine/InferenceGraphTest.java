package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TestPackages;

/**
 * The fused graph ({@link FusedGraph}, the default) and libtorch's optimized inference graph
 * ({@link InferenceGraph}) are really what runs in the process that loads the model, a trunk that libtorch cannot optimize is found out in a child process (where it
 * ends the JVM) while this JVM keeps running with the plain graph, and the switch turns it off.
 * Numerics against the plain graph on the shipped examples: OptimizedGraphNumericsTest.
 */
class InferenceGraphTest {

	@TempDir
	Path cache;

	private final String before = System.getProperty(EngineSetting.CACHE_DIR.key());
	private final String graph = System.getProperty(EngineSetting.GRAPH.key());

	@BeforeEach
	void privateCacheAndTheDefaultGraph() {
		Assumptions.assumeTrue(InferenceGraph.unavailableReason() == null, "optimized graph not available here: " + InferenceGraph.unavailableReason());
		System.setProperty(EngineSetting.CACHE_DIR.key(), cache.toString());
		System.clearProperty(EngineSetting.GRAPH.key());
	}

	@AfterEach
	void restore() {
		Fixtures.restoreProperty(EngineSetting.GRAPH.key(), graph);
		Fixtures.restoreProperty(EngineSetting.CACHE_DIR.key(), before);
	}

	@Test
	void theShippedTrunkRunsFusedInThisProcess() throws Exception {
		ModelPackage pkg = ModelPackage.open(Paths.get("models", "brain-tumor-mri"));
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			FusedGraph.Fused fused = model.graph().fused();
			assertTrue(fused != null && model.graph().optimized(), model.graph().detail());
			// MobileNetV2: 35 ReLU6 and 10 residual additions, each taken into the convolution before it.
			assertTrue(model.graph().detail().startsWith("fused: 45 of 52 convolutions"), model.graph().detail());
			long before = fused.calls();
			float[][] logits;
			try (ClassifierModel.Session s = model.newSession()) {
				logits = s.logits(new float[3 * 3 * 224 * 224], 3); // a batch of 3: two halves on the two lanes
			}
			assertEquals(3, logits.length);
			assertEquals(EngineThread.lanesUsable() ? 2 : 1, fused.calls() - before, "the session's calls went to the fused program");
			Properties verdict = verdict("fused-graphs");
			assertEquals("ok", verdict.getProperty("status"), verdict.toString());
			assertTrue(EnginePolicy.describe().get("inference_graph").contains("fused in"), "doctor shows it");
			String state = InferenceGraph.knownState(pkg.card().trunk().sha256(), 224, 224);
			assertTrue(state.startsWith("fused on the cpu"), "doctor shows it for the model: " + state);
		}
	}

	@Test
	void aTrunkWithBatchNormAndResidualsRunsFusedWithTheSameResults(@TempDir Path dir) throws Exception {
		// As torchvision writes MobileNetV2 (src/test/scripts/make_residual_bn_trunk.py): each batch norm folded
		// into its convolution, each ReLU6 and residual addition taken into one.
		LinearHead head = new LinearHead(16, 2, 0f, random(32, 1), new float[] {0.1f, -0.1f});
		Path pkgDir = TestPackages.write(dir, "residual-bn", Fixtures.resource("/trunks/residual-bn-trunk.pt"), List.of("a", "b"), head, 32, 32, "stretch", 255);
		ModelPackage pkg = ModelPackage.open(pkgDir);
		float[] x = random(3 * 3 * 32 * 32, 2);
		float[][] fused;
		String layout = System.getProperty(EngineSetting.LAYOUT.key());
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			assertTrue(model.graph().detail().startsWith("fused: 8 of 8 convolutions"), model.graph().detail());
			System.clearProperty(EngineSetting.LAYOUT.key());
			assertTrue(model.channelsLastInput(), "the fused graph is given its input channels-last, as its convolutions run");
			try (ClassifierModel.Session s = model.newSession()) {
				fused = s.logits(x, 3);
			}
			// Given contiguous input, the fused program reorders it first: the same values reach the same kernels.
			System.setProperty(EngineSetting.LAYOUT.key(), "contiguous");
			assertFalse(model.channelsLastInput());
			try (ClassifierModel.Session s = model.newSession()) {
				float[][] contiguous = s.logits(x, 3);
				for (int i = 0; i < 3; i++) assertArrayEquals(fused[i], contiguous[i], 0f, "slice " + i + ", contiguous input");
			}
		} finally {
			Fixtures.restoreProperty(EngineSetting.LAYOUT.key(), layout);
		}
		System.setProperty(EngineSetting.GRAPH.key(), "plain");
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU); ClassifierModel.Session s = model.newSession()) {
			float[][] plain = s.logits(x, 3);
			for (int i = 0; i < 3; i++) assertArrayEquals(plain[i], fused[i], 1e-4f, "slice " + i);
		}
	}

	@Test
	void aTrunkWithOtherLayersIsNotFusedAndRunsLibtorchsOptimizedGraph(@TempDir Path dir) throws Exception {
		Path pkgDir = TestPackages.write(dir, "square", TestPackages.squareTrunk(), List.of("a", "b"), new LinearHead(2, 2, 0f, new float[4], new float[2]), 32, 32,
			"stretch", 255);
		try (ClassifierModel model = ClassifierModel.load(ModelPackage.open(pkgDir), DeviceSpec.CPU)) {
			assertTrue(model.graph().fused() == null && model.graph().optimized(), model.graph().detail());
			assertTrue(model.graph().detail().contains("not fused: aten::mul is not"), model.graph().detail());
			assertEquals("failed", verdict("fused-graphs").getProperty("status"));
			try (ClassifierModel.Session s = model.newSession()) {
				assertTrue(Float.isFinite(s.logits(new float[3 * 32 * 32], 1)[0][0]));
			}
		}
	}

	private static float[] random(int n, long seed) {
		java.util.Random r = new java.util.Random(seed);
		float[] v = new float[n];
		for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
		return v;
	}

	@Test
	void theShippedTrunkRunsFrozenAndOptimizedInThisProcess() throws Exception {
		System.setProperty(EngineSetting.GRAPH.key(), "optimized");
		ModelPackage pkg = ModelPackage.open(Paths.get("models", "brain-tumor-mri"));
		try (ClassifierModel optimized = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			assertTrue(optimized.graph().fused() == null, optimized.graph().detail());
			assertTrue(optimized.graph().optimized(), optimized.graph().detail());
			assertTrue(optimized.graph().detail().contains("child process"), optimized.graph().detail());
			// A frozen module holds its weights as constants: the engine's module has no parameters left.
			assertEquals(0, parameterCount(optimized), "the module DJL runs is the frozen, optimized one");
			Properties verdict = verdict();
			assertEquals("ok", verdict.getProperty("status"), verdict.toString());
			assertTrue(EnginePolicy.describe().get("inference_graph").startsWith("active"), "doctor shows it");
			String state = InferenceGraph.knownState(pkg.card().trunk().sha256(), 224, 224);
			assertTrue(state.startsWith("optimized on the cpu"), "doctor shows it for the model: " + state);
		}
		System.setProperty(EngineSetting.GRAPH.key(), "plain");
		try (ClassifierModel plain = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			assertFalse(plain.graph().optimized(), plain.graph().detail());
			assertTrue(parameterCount(plain) > 100, "switched off: the module as loaded, with its parameters");
			assertTrue(EnginePolicy.describe().get("inference_graph").startsWith("plain"), "doctor shows the switch");
		}
	}

	@Test
	void aTrunkThatLibtorchCannotFreezeIsFoundOutInAChildAndRunsPlain(@TempDir Path dir) throws Exception {
		LinearHead head = new LinearHead(4, 2, 0f, new float[] {1, 0, 0, 0, 0, 1, 0, 0}, new float[] {0, 0});
		Path pkgDir = TestPackages.write(dir, "unfreezable", Fixtures.resource("/trunks/unfreezable-trunk.pt"), List.of("a", "b"), head, 32, 32, "stretch", 255);
		ModelPackage pkg = ModelPackage.open(pkgDir);
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			String detail = model.graph().detail();
			assertFalse(model.graph().optimized(), detail);
			assertTrue(detail.contains("ended the process") && detail.contains("ModuleContainerIndex"), detail);
			assertEquals("failed", verdict().getProperty("status"));
			float[][] logits;
			try (ClassifierModel.Session s = model.newSession()) {
				logits = s.logits(new float[2 * 3 * 32 * 32], 2);
			}
			assertEquals(2, logits.length);
			assertTrue(Float.isFinite(logits[0][0]), "the plain graph classifies");
		}
		// The verdict is kept: a second load does not start a child again and says the same.
		Path file = verdictFile();
		long written = Files.getLastModifiedTime(file).toMillis();
		try (ClassifierModel again = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			assertFalse(again.graph().optimized());
			assertTrue(again.graph().detail().contains("ModuleContainerIndex"), again.graph().detail());
		}
		assertEquals(written, Files.getLastModifiedTime(file).toMillis());
		String state = InferenceGraph.knownState(pkg.card().trunk().sha256(), 32, 32);
		assertTrue(state.startsWith("plain graph: libtorch ended the process"), "doctor shows it for the model: " + state);
	}

	@Test
	void whenTheOptimizedGraphFailsItsCheckThePlainModuleIsPutBackAndStillRuns() throws Exception {
		// With libtorch's graph executor optimizer off (a per-thread switch), the frozen graph of this trunk
		// fails at its first run: the in-process check must then put the loaded module back.
		Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(Paths.get("models", "brain-tumor-mri", "trunk.pt"))
			.optEngine(EnginePolicy.ENGINE).optDevice(ai.djl.Device.cpu()).optOption("mapLocation", "true").optTranslator(new NoopTranslator(null)).build();
		try (ZooModel<NDList, NDList> zoo = criteria.loadModel()) {
			PtSymbolBlock block = (PtSymbolBlock) zoo.getBlock();
			long loaded = block.getHandle();
			IOException e;
			JniUtils.setGraphExecutorOptimize(false);
			try {
				e = assertThrows(IOException.class, () -> InferenceGraph.optimizeInPlace(zoo, 224, 224, false));
			} finally {
				JniUtils.setGraphExecutorOptimize(true);
			}
			assertTrue(e.getMessage().startsWith("the optimized graph failed on a probe input"), e.getMessage());
			assertEquals(loaded, block.getHandle(), "the module DJL loaded is back in place");
			try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), EnginePolicy.ENGINE)) {
				assertTrue(JniUtils.moduleGetParams(block, (PtNDManager) manager).size() > 100, "with its parameters");
			}
			try (ai.djl.inference.Predictor<NDList, NDList> p = zoo.newPredictor();
				NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), EnginePolicy.ENGINE)) {
				NDList out = p.predict(new NDList(m.zeros(new ai.djl.ndarray.types.Shape(1, 3, 224, 224))));
				assertEquals(1280, out.get(0).getShape().get(1), "and it still runs");
			}
		}
	}

	@Test
	void differencesAreRelativeToTheLargestFeatureAndNaNFails() {
		assertEquals(0.5, InferenceGraph.relativeDifference(new float[] {0, 0.5f}, new float[] {0, 1f}), 1e-12);
		assertEquals(0.01, InferenceGraph.relativeDifference(new float[] {100, 1}, new float[] {99, 1}), 1e-9);
		assertEquals(Double.POSITIVE_INFINITY, InferenceGraph.relativeDifference(new float[] {1, 2}, new float[] {1, Float.NaN}));
		assertEquals(Double.POSITIVE_INFINITY, InferenceGraph.relativeDifference(new float[] {1, 2}, new float[] {1}));
	}

	@Test
	void theChildsOutputIsReadAsAVerdictOnlyWhenItIsOneOnTheTrunk() throws Exception {
		assertTrue(InferenceGraph.interpret(0, "log line\nmedcnn-graph-check: ok features within 2.1e-06\n").ok());
		InferenceGraph.Verdict failed = InferenceGraph.interpret(0, "medcnn-graph-check: failed the optimized graph failed on a probe input: x\n");
		assertFalse(failed.ok());
		assertTrue(failed.detail().startsWith("the optimized graph failed"), failed.detail());
		InferenceGraph.Verdict aborted = InferenceGraph.interpret(134, "terminate called after throwing an instance of 'c10::Error'\n  what():  Freezing is not supported\nframe #0: ...\n");
		assertFalse(aborted.ok());
		assertTrue(aborted.detail().contains("Freezing is not supported") && aborted.detail().contains("134"), aborted.detail());
		// Not about the trunk: the check could not run (engine missing in the child, a class missing): no verdict, so nothing is kept.
		IOException noEngine = assertThrows(IOException.class, () -> InferenceGraph.interpret(0, "medcnn-graph-check: error no libtorch_cpu.so in /x\n"));
		assertTrue(noEngine.getMessage().contains("libtorch_cpu.so"), noEngine.getMessage());
		IOException noClass = assertThrows(IOException.class,
			() -> InferenceGraph.interpret(1, "Exception in thread \"main\" java.lang.NoClassDefFoundError: ai/djl/engine/Engine\n"));
		assertTrue(noClass.getMessage().contains("exit code 1"), noClass.getMessage());
	}

	@Test
	void theChildClassPathHasTheEngineAndMedCnn() {
		String cp = InferenceGraph.childClassPath().toLowerCase(Locale.ROOT);
		assertTrue(cp.contains("pytorch-engine"), cp);
		assertTrue(cp.contains("jna"), cp);
	}

	private static int parameterCount(ClassifierModel m) {
		PtSymbolBlock block = (PtSymbolBlock) m.trunk().getBlock();
		try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), EnginePolicy.ENGINE)) {
			return JniUtils.moduleGetParams(block, (PtNDManager) manager).size();
		}
	}

	private Path verdictFile() throws IOException {
		return verdictFile("optimized-graphs");
	}

	private Path verdictFile(String folder) throws IOException {
		try (Stream<Path> files = Files.list(cache.resolve(folder))) {
			List<Path> all = files.filter(f -> f.toString().endsWith(".properties")).toList();
			assertEquals(1, all.size(), all.toString());
			return all.get(0);
		}
	}

	private Properties verdict() throws IOException {
		return verdict("optimized-graphs");
	}

	private Properties verdict(String folder) throws IOException {
		Properties p = new Properties();
		try (InputStream in = Files.newInputStream(verdictFile(folder))) {
			p.load(in);
		}
		return p;
	}
}
