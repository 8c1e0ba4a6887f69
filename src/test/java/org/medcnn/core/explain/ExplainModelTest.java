package org.medcnn.core.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TestPackages;

/** Loading for explanation: evaluation mode, agreement with inference, blocks and randomisation. */
class ExplainModelTest {

	@TempDir
	Path dir;

	private Path bnPackage() {
		float[] w = {0.5f, -0.4f, 0.3f, 0.2f, -0.1f, 0.6f, -0.3f, 0.4f};
		return TestPackages.write(dir, "bn", Fixtures.resource("/trunks/bn-trunk.pt"), List.of("a", "b"), new LinearHead(4, 2, 0, w, new float[] {0.05f, -0.05f}),
			16, 12, "stretch", 1.0);
	}

	@Test
	void explanationRunsTheTrunkInEvaluationModeLikeInference() throws Exception {
		ModelPackage pkg = ModelPackage.open(bnPackage());
		float[] u = DjlSaliencyTest.random(3 * 16 * 12, 9, 0, 1);
		float[] x = new float[3 * 3 * 16 * 12];
		for (int i = 0; i < 3; i++) for (int c = 0; c < 3; c++) System.arraycopy(u, i * 192, x, (i * 3 + c) * 192, 192);
		float[][] expected;
		try (ClassifierModel cm = ClassifierModel.load(pkg, DeviceSpec.CPU); ClassifierModel.Session s = cm.newSession()) {
			expected = s.logits(x, 3);
		}
		try (ExplainModel m = ExplainModel.load(pkg, DeviceSpec.CPU)) {
			assertArrayEquals(new int[] {4, 3, 4}, m.featureShape());
			for (int round = 0; round < 3; round++) {
				// Batch statistics or dropout would make these differ from inference, and differ between rounds.
				float[][] plain = m.logits(u, 3);
				ExplainModel.InputGradients g = m.inputGradients(u, 3, new int[] {-1, 0, 1});
				ExplainModel.FeatureGradients f = m.featureGradients(u, 3, new int[] {1, 1, 1});
				for (int i = 0; i < 3; i++) {
					assertArrayEquals(expected[i], plain[i], 1e-5f, "round " + round + " image " + i);
					assertArrayEquals(expected[i], g.logits()[i], 1e-5f);
					assertArrayEquals(expected[i], f.logits()[i], 1e-5f);
				}
				assertEquals(expected[0][0] >= expected[0][1] ? 0 : 1, g.targets()[0], "-1 takes the predicted class");
			}
		}
	}

	@Test
	void blocksAreTheTopLevelModulesInOrder() throws Exception {
		try (ExplainModel m = ExplainModel.load(ModelPackage.open(bnPackage()), DeviceSpec.CPU)) {
			assertEquals(List.of("features.0", "features.1", "features.4"), m.blocks());
		}
		try (ExplainModel m = ExplainModel.load(ModelPackage.open(Fixtures.tinyModel()), DeviceSpec.CPU)) {
			assertEquals(List.of("conv"), m.blocks());
		}
		assertEquals(1, org.medcnn.core.engine.TrunkBlocks.commonSegments(List.of("features.0.weight", "features.1.bias", "features.14.conv.0.weight")));
		assertEquals(1, org.medcnn.core.engine.TrunkBlocks.commonSegments(List.of("conv.weight", "conv.bias")));
	}

	@Test
	void randomisationChangesOnlyTheCopyItIsAppliedTo() throws Exception {
		ModelPackage pkg = ModelPackage.open(bnPackage());
		float[] u = DjlSaliencyTest.random(16 * 12, 10, 0, 1);
		try (ExplainModel a = ExplainModel.load(pkg, DeviceSpec.CPU); ExplainModel b = ExplainModel.load(pkg, DeviceSpec.CPU)) {
			float[] before = a.logits(u, 1)[0];
			float[] featBefore = a.featureGradients(u, 1, new int[] {0}).activations();
			b.randomizeHead(1);
			assertFalse(Arrays.equals(pkg.head().weights(), b.head().weights()));
			assertArrayEquals(featBefore, b.featureGradients(u, 1, new int[] {0}).activations(), 1e-6f, "the head does not touch the trunk");
			b.randomizeBlock("features.4", 2);
			assertFalse(Arrays.equals(featBefore, b.featureGradients(u, 1, new int[] {0}).activations()));
			assertArrayEquals(before, a.logits(u, 1)[0], 1e-6f, "the other copy is unchanged");
			assertThrows(IllegalArgumentException.class, () -> b.randomizeBlock("features.9", 3));
		}
		try (ExplainModel c = ExplainModel.load(pkg, DeviceSpec.CPU)) {
			assertArrayEquals(pkg.head().weights(), c.head().weights());
		}
	}

	@Test
	void aTrunkWhoseOutputIsNotAFeatureMapIsRefused() {
		Path p = TestPackages.write(dir, "flat", Fixtures.resource("/trunks/flat-trunk.pt"), List.of("a", "b"), new LinearHead(4, 2, 0, new float[8], new float[2]),
			32, 32, "stretch", 1.0);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ExplainModel.load(ModelPackage.open(p), DeviceSpec.CPU));
		assertTrue(e.getMessage().contains("flat-trunk") || e.getMessage().contains("trunk.pt"), e.getMessage());
		assertTrue(e.getMessage().contains("rank-4"), e.getMessage());
	}
}
