package org.medcnn.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.testing.TestPackages;
import org.medcnn.testing.Fixtures;

/**
 * The channels-last input layout is really what the engine receives when a model runs through
 * {@link ClassifierModel} (the path of the CLI, the commands, macros, batch and evaluation): the
 * layout-probe trunk (src/test/scripts/make_layout_probe.py) reports, from inside TorchScript, whether
 * its input tensor is channels-last, and the mean of its values. Untimed; speed is in docs/benchmarks.md.
 */
class InputLayoutTest {

	@Test
	void theEngineReceivesChannelsLastByDefaultAndTheSameValues(@TempDir Path dir) throws Exception {
		String before = System.getProperty(EnginePolicy.LAYOUT_PROPERTY);
		System.clearProperty(EnginePolicy.LAYOUT_PROPERTY);
		try (ClassifierModel model = probeModel(dir)) {
			assertTrue(EnginePolicy.describe().get("input_layout").startsWith("channels_last"), "doctor shows the layout");
			float[] data = slices();
			float[] out = run(model, data);
			for (int i = 0; i < 2; i++) {
				assertEquals(1f, out[2 * i], "slice " + i + " reaches the trunk channels-last");
				assertEquals(mean(data, i), out[2 * i + 1], 1e-5, "slice " + i + " values unchanged");
			}

			System.setProperty(EnginePolicy.LAYOUT_PROPERTY, "contiguous");
			out = run(model, data);
			for (int i = 0; i < 2; i++) {
				assertEquals(0f, out[2 * i], "switched off: slice " + i + " reaches the trunk contiguous");
				assertEquals(mean(data, i), out[2 * i + 1], 1e-5, "slice " + i + " values unchanged");
			}
			assertTrue(EnginePolicy.describe().get("input_layout").startsWith("contiguous"), "doctor shows the switch");
		} finally {
			if (before == null) System.clearProperty(EnginePolicy.LAYOUT_PROPERTY);
			else System.setProperty(EnginePolicy.LAYOUT_PROPERTY, before);
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
