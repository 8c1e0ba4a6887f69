package org.medcnn.core.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.testing.Fixtures;

/**
 * The randomisation test flags a "method" that ignores the model and passes Grad-CAM on a real model
 * (the tiny committed one: no shipped model is assumed).
 */
class SanityCheckTest {

	/** Sobel gradient magnitude of the input: a plausible-looking map that never looks at the model. */
	static final Explainer EDGES = new Explainer() {
		@Override
		public String name() {
			return "edge_detector";
		}

		@Override
		public float[][] explain(ExplainModel model, List<ModelInput> inputs, int[] targets, Cancellation c) {
			int w = model.input().width();
			int h = model.input().height();
			float[][] out = new float[inputs.size()][];
			for (int i = 0; i < inputs.size(); i++) {
				float[] u = inputs.get(i).unit();
				float[] m = new float[w * h];
				for (int y = 1; y < h - 1; y++) {
					for (int x = 1; x < w - 1; x++) {
						float gx = u[(y - 1) * w + x + 1] + 2 * u[y * w + x + 1] + u[(y + 1) * w + x + 1] - u[(y - 1) * w + x - 1] - 2 * u[y * w + x - 1] - u[(y + 1) * w + x - 1];
						float gy = u[(y + 1) * w + x - 1] + 2 * u[(y + 1) * w + x] + u[(y + 1) * w + x + 1] - u[(y - 1) * w + x - 1] - 2 * u[(y - 1) * w + x] - u[(y - 1) * w + x + 1];
						m[y * w + x] = (float) Math.sqrt(gx * gx + gy * gy);
					}
				}
				out[i] = m;
			}
			return out;
		}
	};

	/** 8-bit-like slices: a bright disc at a varying place on a ramp, with noise. */
	static List<ModelInput> inputs(SlicePreprocessor pre, int n, int w, int h) {
		Random r = new Random(3);
		List<ModelInput> out = new ArrayList<>();
		for (int k = 0; k < n; k++) {
			float[] px = new float[w * h];
			int cx = 6 + r.nextInt(w - 12);
			int cy = 6 + r.nextInt(h - 12);
			for (int y = 0; y < h; y++) {
				for (int x = 0; x < w; x++) {
					double disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < 25 ? 140 : 0;
					px[y * w + x] = (float) Math.min(255, 90 + 2 * x + disc + r.nextGaussian() * 8);
				}
			}
			out.add(ModelInput.of(pre, new Slice(k + 1, "", w, h, px)));
		}
		return out;
	}

	@Test
	void flagsAMethodThatIgnoresTheModelAndPassesGradCam() throws Exception {
		ModelPackage pkg = ModelPackage.open(Fixtures.tinyModel());
		SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
		List<ModelInput> in = inputs(pre, 4, 40, 32);
		List<Explainer> methods = List.of(EDGES, DjlSaliency.explainer(SaliencyRequest.builder().setMethod(SaliencyMethod.GRAD_CAM).build()),
			DjlSaliency.explainer(SaliencyRequest.builder().setMethod(SaliencyMethod.GRADIENT).build()));
		List<String> seen = new ArrayList<>();
		SanityReport report = SanityCheck.builder().optAucSteps(8).build().run(pkg, DeviceSpec.CPU, in, -1, methods, (msg, d, t) -> seen.add(msg), Cancellation.NEVER);
		assertEquals(List.of("head", "head + from conv"), report.stages(), "the tiny trunk has one block");
		assertEquals(3 * 2, report.rows().size());
		assertFalse(report.passes("edge_detector"));
		for (SanityReport.Row r : report.rows()) {
			if (r.method().equals("edge_detector")) {
				assertEquals(1.0, r.spearman(), 1e-9);
				assertEquals(1.0, r.ssim(), 1e-6);
				assertTrue(r.verdict().startsWith("FAIL"), r.verdict());
			}
		}
		assertTrue(report.passes("grad_cam"), report.rows().toString());
		
		SanityReport.Row last = report.rows().stream().filter(r -> r.method().equals("grad_cam") && r.stage() == 2).findFirst().orElseThrow();
		assertTrue(last.spearman() < 0.5, "grad_cam after full randomisation: " + last);
		assertTrue(last.deletionAuc() >= 0 && last.deletionAuc() <= 1 && last.insertionAuc() >= 0 && last.insertionAuc() <= 1);
		assertTrue(seen.size() >= 3 * (1 + 2 * 3), "progress per method, stage and repeat");
		assertEquals(4, report.slices());
	}

	@Test
	void gradCamPassesOnTheShippedBrainModelWhenItIsPresent() throws Exception {
		// Runs only where models/brain-tumor-mri is installed; the tiny-model test above always runs.
		java.nio.file.Path dir = java.nio.file.Paths.get("models", "brain-tumor-mri");
		org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(dir.resolve("model.json")), "skipped: no models/brain-tumor-mri");
		ModelPackage pkg = ModelPackage.open(dir);
		List<String> lines = java.nio.file.Files.readAllLines(dir.resolve("examples/expected.csv"));
		SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
		List<ModelInput> in = new ArrayList<>();
		for (String line : lines.subList(1, Math.min(lines.size(), 4))) {
			String file = line.split(",")[0];
			var slices = new org.medcnn.ij.ImagePlusSlices(org.medcnn.io.ImageFiles.open(dir.resolve("examples").resolve(file)), file);
			in.add(ModelInput.of(pre, slices.get(0)));
		}
		SanityReport report = SanityCheck.builder().optAucSteps(4).optRepeats(2).build().run(pkg, DeviceSpec.CPU, in, -1,
			List.of(EDGES, DjlSaliency.explainer(SaliencyRequest.builder().setMethod(SaliencyMethod.GRAD_CAM).build())), ProgressListener.NONE, Cancellation.NEVER);
		assertFalse(report.passes("edge_detector"));
		assertTrue(report.passes("grad_cam"), report.rows().toString());
	}

	@Test
	void deletionOfTheSalientPixelsHurtsMoreThanDeletionOfTheOthers() throws Exception {
		// Tiny net: "bright" grows with the mean brightness. Deleting the brightest pixels first must
		// lower the bright probability faster than deleting the darkest first.
		ModelPackage pkg = ModelPackage.open(Fixtures.tinyModel());
		SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
		ModelInput in = inputs(pre, 1, 32, 32).get(0);
		float[] bright = in.unit().clone();
		float[] dark = new float[bright.length];
		for (int i = 0; i < dark.length; i++) dark[i] = 1 - bright[i];
		try (ExplainModel m = ExplainModel.load(pkg, DeviceSpec.CPU)) {
			DeletionInsertion.Auc good = DeletionInsertion.auc(m, in, bright, 1, 10, 4, Cancellation.NEVER);
			DeletionInsertion.Auc bad = DeletionInsertion.auc(m, in, dark, 1, 10, 7, Cancellation.NEVER);
			assertTrue(good.deletion() < bad.deletion(), good + " vs " + bad);
			assertTrue(good.insertion() > bad.insertion(), good + " vs " + bad);
		}
	}

	@Test
	void similarityOfMaps() {
		float[] a = {1, 2, 3, 4, 5, 6};
		assertEquals(1.0, MapSimilarity.spearman(a, new float[] {10, 20, 30, 40, 50, 60}), 1e-12);
		assertEquals(-1.0, MapSimilarity.spearman(a, new float[] {6, 5, 4, 3, 2, 1}), 1e-12);
		assertEquals(0.0, MapSimilarity.spearman(a, new float[6]), 0);
		assertEquals(1.0, MapSimilarity.spearman(new float[6], new float[6]), 0);
		// Ties get their average rank: ranks (1.5, 1.5, 3) against (1, 2, 3).
		assertEquals(0.8660254, MapSimilarity.spearman(new float[] {0, 0, 1}, new float[] {1, 2, 3}), 1e-6);
		assertEquals(1.0, MapSimilarity.ssim(a, a, 3, 2), 1e-9);
		assertEquals(1.0, MapSimilarity.ssim(a, new float[] {2, 4, 6, 8, 10, 12}, 3, 2), 1e-9, "scale does not matter");
		assertTrue(MapSimilarity.ssim(a, new float[] {6, 5, 4, 3, 2, 1}, 3, 2) < 0.5);
	}

	@Test
	void progressIsReportedAndNoSlicesIsRefused() {
		org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
			() -> SanityCheck.builder().build().run(ModelPackage.open(Fixtures.tinyModel()), DeviceSpec.CPU, List.of(), -1, List.of(EDGES), ProgressListener.NONE,
				Cancellation.NEVER));
		org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> SanityCheck.builder().optMaxCorrelation(1.5).build());
	}
}
