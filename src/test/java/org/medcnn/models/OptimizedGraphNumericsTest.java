package org.medcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.EngineSetting;
import org.medcnn.core.engine.InferenceGraph;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.testing.Fixtures;

/**
 * The optimized inference graphs give the same results as the plain TorchScript graph on the shipped
 * models' example slices, in batches of 1 and of all examples: libtorch's optimized graph, and the
 * fused graph (the default on the CPU, {@code FusedGraph}), each with logits within
 * {@value ChannelsLastNumericsTest#LOGIT_TOLERANCE} (absolute) and the same predicted class. Freezing
 * folds constants and oneDNN's kernels sum in another order, so the difference is float rounding; the
 * figures are printed and recorded in docs/benchmarks.md.
 */
class OptimizedGraphNumericsTest {

	@TestFactory
	Stream<DynamicTest> optimizedLogitsEqualPlainLogits() throws Exception {
		Assumptions.assumeTrue(InferenceGraph.unavailableReason() == null, "optimized graph not available here: " + InferenceGraph.unavailableReason());
		List<Path> dirs = ShippedModelsTest.shipped();
		Assumptions.assumeFalse(dirs.isEmpty(), "no model packages in models/");
		return dirs.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir)));
	}

	private static void check(Path dir) throws Exception {
		ModelPackage pkg = ModelPackage.open(dir);
		float[] data = ChannelsLastNumericsTest.examples(dir, pkg);
		int n = data.length / pkg.card().input().tensorSize();
		float[][] plain;
		String before = System.getProperty(EngineSetting.GRAPH.key());
		System.setProperty(EngineSetting.GRAPH.key(), "plain");
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			assertFalse(model.graph().optimized());
			plain = ChannelsLastNumericsTest.logits(model, data, n, 1);
		} finally {
			Fixtures.restoreProperty(EngineSetting.GRAPH.key(), before);
		}
		// libtorch's optimized graph alone, and the default: the fused graph (FusedGraph) where the trunk allows it.
		for (String graph : new String[] {"optimized", "fused"}) {
			System.setProperty(EngineSetting.GRAPH.key(), graph);
			try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
				assertTrue(model.graph().optimized(), model.graph().detail());
				assertEquals(graph.equals("fused"), model.graph().detail().startsWith("fused"), model.graph().detail());
				for (int batch : new int[] {1, n}) {
					float[][] fast = ChannelsLastNumericsTest.logits(model, data, n, batch);
					double worst = 0;
					for (int i = 0; i < n; i++) {
						for (int k = 0; k < plain[i].length; k++) worst = Math.max(worst, Math.abs(plain[i][k] - fast[i][k]));
						assertEquals(Probabilities.argmax(plain[i]), Probabilities.argmax(fast[i]), dir.getFileName() + " example " + i);
					}
					System.out.printf("%s batch %d: largest logit difference %s vs plain graph %.2e%n", dir.getFileName(), batch, graph, worst);
					assertTrue(worst <= ChannelsLastNumericsTest.LOGIT_TOLERANCE, dir.getFileName() + " " + graph + " batch " + batch + ": logits differ by " + worst);
				}
			} finally {
				Fixtures.restoreProperty(EngineSetting.GRAPH.key(), before);
			}
		}
	}
}
