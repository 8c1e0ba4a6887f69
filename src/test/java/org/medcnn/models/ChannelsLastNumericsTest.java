package org.medcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.EngineSetting;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.io.ImageFiles;
import org.medcnn.testing.Fixtures;

/**
 * The fast input layout (channels-last, the default) gives the same results as PyTorch's plain
 * contiguous layout on the shipped models' example slices, in batches of 1 and of all examples:
 * logits within {@value #LOGIT_TOLERANCE} (absolute) and the same predicted class. The difference is
 * float rounding only (oneDNN's NHWC kernels sum in another order); on 2026-11-26 it was at most
 * 3.8e-6 (docs/benchmarks.md).
 */
class ChannelsLastNumericsTest {

	static final double LOGIT_TOLERANCE = 1e-4;

	@TestFactory
	Stream<DynamicTest> channelsLastLogitsEqualContiguousLogits() throws Exception {
		List<Path> dirs = ShippedModelsTest.shipped();
		Assumptions.assumeFalse(dirs.isEmpty(), "no model packages in models/");
		return dirs.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir)));
	}

	static void check(Path dir) throws Exception {
		ModelPackage pkg = ModelPackage.open(dir);
		float[] data = examples(dir, pkg);
		int n = data.length / pkg.card().input().tensorSize();
		String before = System.getProperty(EngineSetting.LAYOUT.key());
		String graph = System.getProperty(EngineSetting.GRAPH.key());
		// On the plain TorchScript graph, where the layout decides which kernels run (the optimized graph
		// converts its input to oneDNN's own layout first; OptimizedGraphNumericsTest covers it).
		System.setProperty(EngineSetting.GRAPH.key(), "plain");
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			System.setProperty(EngineSetting.LAYOUT.key(), "contiguous");
			float[][] plain = logits(model, data, n, 1);
			System.setProperty(EngineSetting.LAYOUT.key(), "channels_last");
			for (int batch : new int[] {1, n}) {
				float[][] fast = logits(model, data, n, batch);
				double worst = 0;
				for (int i = 0; i < n; i++) {
					for (int k = 0; k < plain[i].length; k++) worst = Math.max(worst, Math.abs(plain[i][k] - fast[i][k]));
					assertEquals(Probabilities.argmax(plain[i]), Probabilities.argmax(fast[i]), dir.getFileName() + " example " + i);
				}
				System.out.printf("%s batch %d: largest logit difference channels-last vs contiguous %.2e%n", dir.getFileName(), batch, worst);
				assertTrue(worst <= LOGIT_TOLERANCE, dir.getFileName() + " batch " + batch + ": logits differ by " + worst);
			}
		} finally {
			Fixtures.restoreProperty(EngineSetting.GRAPH.key(), graph);
			Fixtures.restoreProperty(EngineSetting.LAYOUT.key(), before);
		}
	}

	/** @return the package's example slices, preprocessed, one after the other */
	static float[] examples(Path dir, ModelPackage pkg) throws Exception {
		SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
		int per = pre.spec().tensorSize();
		List<Slice> slices = new ArrayList<>();
		List<String> lines = Files.readAllLines(dir.resolve("examples/expected.csv"));
		for (String line : lines.subList(1, lines.size())) {
			String[] c = line.split(",");
			ImagePlusSlices src = new ImagePlusSlices(ImageFiles.open(dir.resolve("examples").resolve(c[0])), c[0]);
			slices.add(src.get(Integer.parseInt(c[1]) - 1));
		}
		int n = slices.size();
		float[] data = new float[n * per];
		for (int i = 0; i < n; i++) pre.preprocess(slices.get(i), data, i * per);
		return data;
	}

	static float[][] logits(ClassifierModel model, float[] data, int n, int batch) throws Exception {
		int per = data.length / n;
		float[][] out = new float[n][];
		try (ClassifierModel.Session s = model.newSession()) {
			for (int start = 0; start < n; start += batch) {
				int b = Math.min(batch, n - start);
				float[] chunk = java.util.Arrays.copyOfRange(data, start * per, (start + b) * per);
				float[][] l = s.logits(chunk, b);
				System.arraycopy(l, 0, out, start, b);
			}
		}
		return out;
	}
}
