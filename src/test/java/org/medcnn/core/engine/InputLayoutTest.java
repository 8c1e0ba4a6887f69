package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TestPackages;

/**
 * The input layout that {@link ClassifierModel} chooses (the path of the CLI, the commands, macros,
 * batch and evaluation) is really what the engine receives: the layout-probe trunk
 * (src/test/scripts/make_layout_probe.py) reports, from inside TorchScript, whether its input tensor is
 * channels-last, and the mean of its values. By default the plain graph gets channels-last input and the
 * optimized graph ({@link InferenceGraph}) contiguous input; {@code -Dmedcnn.layout} forces either.
 * Untimed; speed is in docs/benchmarks.md.
 */
class InputLayoutTest {

	private final String layout = System.getProperty(EngineSetting.LAYOUT.key());
	private final String graph = System.getProperty(EngineSetting.GRAPH.key());

	@AfterEach
	void restore() {
		Fixtures.restoreProperty(EngineSetting.LAYOUT.key(), layout);
		Fixtures.restoreProperty(EngineSetting.GRAPH.key(), graph);
	}

	@Test
	void thePlainGraphReceivesChannelsLastByDefaultAndTheSameValues(@TempDir Path dir) throws Exception {
		System.clearProperty(EngineSetting.LAYOUT.key());
		System.setProperty(EngineSetting.GRAPH.key(), "plain");
		try (ClassifierModel model = probeModel(dir)) {
			assertFalse(model.graph().optimized());
			assertTrue(EnginePolicy.describe().get("input_layout").startsWith("channels_last on cpu for the plain and the fused graph"), "doctor shows the layout");
			expect(model, 1f, "by default");
			System.setProperty(EngineSetting.LAYOUT.key(), "contiguous");
			expect(model, 0f, "switched off");
			assertTrue(EnginePolicy.describe().get("input_layout").startsWith("contiguous"), "doctor shows the switch");
		}
	}

	@Test
	void theOptimizedGraphReceivesContiguousInputByDefault(@TempDir Path dir) throws Exception {
		Assumptions.assumeTrue(InferenceGraph.unavailableReason() == null, "optimized graph not available here");
		System.clearProperty(EngineSetting.LAYOUT.key());
		System.clearProperty(EngineSetting.GRAPH.key());
		try (ClassifierModel model = probeModel(dir)) {
			assertTrue(model.graph().optimized(), model.graph().detail());
			expect(model, 0f, "optimized graph, by default");
			System.setProperty(EngineSetting.LAYOUT.key(), "channels_last");
			expect(model, 1f, "forced channels-last");
		}
	}

	private static void expect(ClassifierModel model, float channelsLastFlag, String what) throws Exception {
		float[] data = slices();
		float[] out = run(model, data);
		for (int i = 0; i < 2; i++) {
			assertEquals(channelsLastFlag, out[2 * i], what + ": slice " + i + " reaches the trunk " + (channelsLastFlag == 1f ? "channels-last" : "contiguous"));
			assertEquals(mean(data, i), out[2 * i + 1], 1e-5, what + ": slice " + i + " values unchanged");
		}
	}

	private static ClassifierModel probeModel(Path dir) throws ModelLoadException {
		LinearHead head = new LinearHead(2, 2, 0f, new float[] {1, 0, 0, 1}, new float[] {0, 0});
		Path pkg = TestPackages.write(dir, "layout-probe", Fixtures.resource("/trunks/layout-probe.pt"), List.of("a", "b"), head, 16, 12, "stretch", 255);
		return ClassifierModel.load(ModelPackage.open(pkg), DeviceSpec.CPU);
	}

	/** Two 3 x 12 x 16 slices whose channels differ, so a transposed layout would change nothing but a scrambled one would. */
	private static float[] slices() {
		float[] d = new float[2 * 3 * 12 * 16];
		for (int i = 0; i < d.length; i++) d[i] = (float) Math.sin(i * 0.37) + (i / (3 * 12 * 16));
		return d;
	}

	private static float[] run(ClassifierModel model, float[] data) throws Exception {
		try (ClassifierModel.Session s = model.newSession()) {
			return s.pooledFeatures(data, 2);
		}
	}

	private static float mean(float[] d, int slice) {
		int per = 3 * 12 * 16;
		double sum = 0;
		for (int i = 0; i < per; i++) sum += d[slice * per + i];
		return (float) (sum / per);
	}

}
