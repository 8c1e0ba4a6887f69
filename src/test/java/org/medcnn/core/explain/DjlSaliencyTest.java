package org.medcnn.core.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TestPackages;

/**
 * The saliency methods against hand computations: finite differences for gradients, the closed form
 * of Grad-CAM and Grad-CAM++ for a head of known weights, completeness of integrated gradients, and
 * planted peaks that must come back at their pixel of a non-square slice.
 */
class DjlSaliencyTest {

	@TempDir
	static Path dir;

	/** Head of the square-trunk models: class "spot" and class "plain". */
	static final float[] W = {0.7f, -0.3f, -0.2f, 0.9f};
	static final float[] B = {0.1f, -0.1f};

	static ExplainModel tiny;
	static ExplainModel square12x8;

	@BeforeAll
	static void load() throws Exception {
		tiny = ExplainModel.load(ModelPackage.open(Fixtures.tinyModel()), DeviceSpec.CPU);
		square12x8 = ExplainModel.load(ModelPackage.open(squarePackage("square-12x8", W, B, 12, 8, "stretch")), DeviceSpec.CPU);
	}

	@AfterAll
	static void close() {
		tiny.close();
		square12x8.close();
	}

	static Path squarePackage(String id, float[] w, float[] b, int width, int height, String resize) {
		return TestPackages.write(dir, id, TestPackages.squareTrunk(), List.of("spot", "plain"), new LinearHead(2, 2, 0, w, b), width, height, resize, 1.0);
	}

	static float[] random(int n, long seed, float lo, float hi) {
		Random r = new Random(seed);
		float[] v = new float[n];
		for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * r.nextFloat();
		return v;
	}

	static SaliencyRequest request(SaliencyMethod m) {
		return SaliencyRequest.builder().setMethod(m).build();
	}

	// -- gradients --

	@Test
	void inputGradientOfTinyNetMatchesFiniteDifferences() throws Exception {
		float[] u = random(32 * 32, 1, 0.1f, 0.9f);
		ExplainModel.InputGradients g = tiny.inputGradients(u, 1, new int[] {1});
		assertEquals(1, g.targets()[0]);
		float[] base = tiny.logits(u, 1)[0];
		assertArrayEquals(base, g.logits()[0], 1e-5f);
		double h = 0.05;
		int[] pixels = {0, 31, 32 * 16 + 16, 32 * 31 + 5, 777, 1023};
		for (int j : pixels) {
			float[] plus = u.clone();
			float[] minus = u.clone();
			plus[j] += (float) h;
			minus[j] -= (float) h;
			double fd = (tiny.logits(plus, 1)[0][1] - tiny.logits(minus, 1)[0][1]) / (2 * h);
			assertEquals(fd, g.gradients()[j], 2e-5 + 1e-2 * Math.abs(fd), "pixel " + j);
		}
		// A directional derivative over all pixels at once.
		float[] d = random(u.length, 2, -1, 1);
		double eps = 0.01;
		float[] plus = u.clone();
		float[] minus = u.clone();
		double dot = 0;
		for (int j = 0; j < u.length; j++) {
			plus[j] += (float) (eps * d[j]);
			minus[j] -= (float) (eps * d[j]);
			dot += g.gradients()[j] * d[j];
		}
		double fd = (tiny.logits(plus, 1)[0][1] - tiny.logits(minus, 1)[0][1]) / (2 * eps);
		assertEquals(fd, dot, 1e-3 * Math.abs(fd) + 1e-5);
		assertTrue(Math.abs(dot) > 1e-3, "the directional derivative is not trivially zero: " + dot);
	}

	@Test
	void inputGradientOfSquareTrunkIsTheHandDerivative() throws Exception {
		// y_c = sum_k W[c,k] mean(A_k) + b_c with A0 = u^2, A1 = (1-u)^2, so dy_c/du_j = (2 W[c,0] u_j - 2 W[c,1] (1 - u_j)) / (h w).
		int n = 12 * 8;
		float[] u = random(2 * n, 3, 0, 1);
		ExplainModel.InputGradients g = square12x8.inputGradients(u, 2, new int[] {0, 1});
		for (int i = 0; i < 2; i++) {
			int c = i;
			double m0 = 0;
			double m1 = 0;
			for (int j = 0; j < n; j++) {
				float v = u[i * n + j];
				m0 += v * v;
				m1 += (1 - v) * (1 - v);
				double expected = (2 * W[c * 2] * v - 2 * W[c * 2 + 1] * (1 - v)) / n;
				assertEquals(expected, g.gradients()[i * n + j], 1e-6, "image " + i + " pixel " + j);
			}
			assertEquals(W[c * 2] * m0 / n + W[c * 2 + 1] * m1 / n + B[c], g.logits()[i][c], 1e-5);
		}
	}

	// -- Grad-CAM --

	@Test
	void gradCamOfKnownWeightsIsComputedByHand() throws Exception {
		int w = 12;
		int h = 8;
		int n = w * h;
		float[] u = random(n, 4, 0, 1);
		List<ModelInput> in = List.of(new ModelInput(u, new SlicePreprocessor.Placement(0, 0, w, h)));
		for (int c = 0; c < 2; c++) {
			float[] cam = DjlSaliency.explainer(request(SaliencyMethod.GRAD_CAM)).explain(square12x8, in, new int[] {c}, Cancellation.NEVER)[0];
			float[] pp = DjlSaliency.explainer(request(SaliencyMethod.GRAD_CAM_PP)).explain(square12x8, in, new int[] {c}, Cancellation.NEVER)[0];
			// Hand: the gradient of y_c w.r.t. A_k is W[c,k] / (h w) everywhere, so alpha_k = W[c,k] / (h w).
			double s0 = 0;
			double s1 = 0;
			for (float v : u) {
				s0 += v * v;
				s1 += (1 - v) * (1 - v);
			}
			double g0 = W[c * 2] / (double) n;
			double g1 = W[c * 2 + 1] / (double) n;
			// Grad-CAM++: weight_k = sum_ij ReLU(g) / (2 + S_k g) = n g / (2 + S_k g) for g > 0, else 0.
			double p0 = g0 > 0 ? n * g0 / (2 + s0 * g0) : 0;
			double p1 = g1 > 0 ? n * g1 / (2 + s1 * g1) : 0;
			for (int j = 0; j < n; j++) {
				double a0 = u[j] * u[j];
				double a1 = (1 - u[j]) * (1 - u[j]);
				assertEquals(Math.max(0, g0 * a0 + g1 * a1), cam[j], 1e-6, "grad_cam class " + c + " pixel " + j);
				assertEquals(Math.max(0, p0 * a0 + p1 * a1), pp[j], 1e-5, "grad_cam_pp class " + c + " pixel " + j);
			}
		}
	}

	@Test
	void gradCamOfTinyNetIsClassActivationMapUpsampled() throws Exception {
		// Tiny net: 32x32 -> 4 x 8 x 8. Grad-CAM = ReLU(sum_k W[c,k] A_k) / 64 on the 8x8 grid, then bilinear to 32x32.
		float[] u = random(32 * 32, 5, 0, 1);
		ExplainModel.FeatureGradients fg = tiny.featureGradients(u, 1, new int[] {1});
		assertEquals(4, fg.channels());
		assertEquals(8, fg.height());
		float[] w = tiny.head().weights();
		for (int k = 0; k < 4; k++) {
			for (int j = 0; j < 64; j++) assertEquals(w[4 + k] / 64.0, fg.gradients()[k * 64 + j], 1e-7, "gradient of channel " + k);
		}
		float[] small = new float[64];
		for (int j = 0; j < 64; j++) {
			double s = 0;
			for (int k = 0; k < 4; k++) s += w[4 + k] * fg.activations()[k * 64 + j];
			small[j] = (float) Math.max(0, s / 64);
		}
		float[] expected = org.medcnn.core.image.Resampling.resize(small, 8, 8, 32, 32);
		List<ModelInput> in = List.of(new ModelInput(u, new SlicePreprocessor.Placement(0, 0, 32, 32)));
		float[] cam = DjlSaliency.explainer(request(SaliencyMethod.GRAD_CAM)).explain(tiny, in, new int[] {1}, Cancellation.NEVER)[0];
		assertArrayEquals(expected, cam, 1e-6f);
	}

	// -- integrated gradients, smoothgrad, occlusion --

	@Test
	void integratedGradientsAreCompleteAndIndependentOfTheBatchSize() throws Exception {
		// The square trunk's logit is quadratic in u, so the midpoint rule is exact: sum of attributions = y(u) - y(baseline).
		int n = 12 * 8;
		float[] u = random(n, 6, 0, 1);
		List<ModelInput> in = List.of(new ModelInput(u, new SlicePreprocessor.Placement(0, 0, 12, 8)));
		SaliencyRequest r32 = SaliencyRequest.builder().setMethod(SaliencyMethod.INTEGRATED_GRADIENTS).optSteps(32).optBatchSize(32).build();
		SaliencyRequest r5 = r32.toBuilder().optBatchSize(5).build();
		float[] a = DjlSaliency.integratedGradients(square12x8, r32, in, new int[] {0}, Cancellation.NEVER, true).maps()[0];
		float[] b = DjlSaliency.integratedGradients(square12x8, r5, in, new int[] {0}, Cancellation.NEVER, true).maps()[0];
		assertArrayEquals(a, b, 1e-6f);
		double sum = 0;
		for (float v : a) sum += v;
		double y = square12x8.logits(u, 1)[0][0];
		double y0 = square12x8.logits(new float[n], 1)[0][0];
		assertEquals(y - y0, sum, 1e-4);
	}

	@Test
	void smoothGradWithoutNoiseIsTheGradientAndIsSeeded() throws Exception {
		float[] u = random(32 * 32, 7, 0, 1);
		List<ModelInput> in = List.of(new ModelInput(u, new SlicePreprocessor.Placement(0, 0, 32, 32)));
		float[] grad = DjlSaliency.explainer(request(SaliencyMethod.GRADIENT)).explain(tiny, in, new int[] {1}, Cancellation.NEVER)[0];
		SaliencyRequest quiet = SaliencyRequest.builder().setMethod(SaliencyMethod.SMOOTHGRAD).optNoise(0).optSamples(3).build();
		assertArrayEquals(grad, DjlSaliency.explainer(quiet).explain(tiny, in, new int[] {1}, Cancellation.NEVER)[0], 1e-6f);
		SaliencyRequest noisy = SaliencyRequest.builder().setMethod(SaliencyMethod.SMOOTHGRAD).optNoise(0.2).optSamples(10).optBatchSize(3).build();
		float[] m1 = DjlSaliency.explainer(noisy).explain(tiny, in, new int[] {1}, Cancellation.NEVER)[0];
		float[] m2 = DjlSaliency.explainer(noisy.toBuilder().optBatchSize(10).build()).explain(tiny, in, new int[] {1}, Cancellation.NEVER)[0];
		assertArrayEquals(m1, m2, 1e-6f);
	}

	@Test
	void occlusionFindsThePlantedSpot() throws Exception {
		// Class "spot" with W = (1, 0): y = mean(u^2); a bright 2x2 spot on black is all of it.
		try (ExplainModel m = ExplainModel.load(ModelPackage.open(squarePackage("square-occ", new float[] {1, 0, 0, 1}, new float[] {0, 0}, 16, 16, "stretch")),
			DeviceSpec.CPU)) {
			float[] u = new float[256];
			for (int y = 10; y < 12; y++) for (int x = 3; x < 5; x++) u[y * 16 + x] = 1;
			List<ModelInput> in = List.of(new ModelInput(u, new SlicePreprocessor.Placement(0, 0, 16, 16)));
			SaliencyRequest r = SaliencyRequest.builder().setMethod(SaliencyMethod.OCCLUSION).optOcclusion(4, 2).optBatchSize(7).build();
			float[] map = DjlSaliency.explainer(r).explain(m, in, new int[] {0}, Cancellation.NEVER)[0];
			int best = argmax(map);
			assertTrue(Math.abs(best % 16 - 3.5) <= 1.5 && Math.abs(best / 16 - 10.5) <= 1.5, "peak at " + best % 16 + "," + best / 16);
			assertEquals(0, map[0], 0, "far from the spot nothing drops");
		}
	}

	@Test
	void occlusionPatchLargerThanTheInputIsRefused() {
		SaliencyRequest r = SaliencyRequest.builder().setMethod(SaliencyMethod.OCCLUSION).optOcclusion(40, 8).build();
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> new DjlSaliency(tiny).explain(source(new Slice(1, "", 32, 32, new float[1024])), r, ProgressListener.NONE, Cancellation.NEVER));
		assertTrue(e.getMessage().contains("patch 40"), e.getMessage());
	}

	@Test
	void unknownTargetClassIsRefusedWithTheClassList() {
		SaliencyRequest r = SaliencyRequest.builder().setMethod(SaliencyMethod.GRADIENT).optTarget("tumour").build();
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> new DjlSaliency(tiny).explain(source(new Slice(1, "", 32, 32, new float[1024])), r, ProgressListener.NONE, Cancellation.NEVER));
		assertTrue(e.getMessage().contains("[dark, bright]"), e.getMessage());
	}

	// -- geometry: planted peaks come back at their pixel --

	/** A 50 x 30 slice, black with a bright 3x3 spot centred on (cx, cy). */
	static Slice spotSlice(int cx, int cy) {
		float[] px = new float[50 * 30];
		for (int y = cy - 1; y <= cy + 1; y++) for (int x = cx - 1; x <= cx + 1; x++) px[y * 50 + x] = 1;
		return new Slice(3, "spot", 50, 30, px);
	}

	@Test
	void plantedPeakComesBackAtItsPixelOfANonSquareSlice() throws Exception {
		// Letterbox into a square input (50x30 -> 32x19 at y 6) and stretch into a non-square one (50x30 -> 40x24).
		Path letterbox = squarePackage("square-letterbox", new float[] {1, 0, 0, 1}, new float[] {0, 0}, 32, 32, "letterbox");
		Path stretch = squarePackage("square-stretch", new float[] {1, 0, 0, 1}, new float[] {0, 0}, 40, 24, "stretch");
		int[][] spots = {{35, 12}, {6, 22}, {44, 4}};
		for (Path pkg : List.of(letterbox, stretch)) {
			try (ExplainModel m = ExplainModel.load(ModelPackage.open(pkg), DeviceSpec.CPU)) {
				for (SaliencyMethod method : List.of(SaliencyMethod.GRADIENT, SaliencyMethod.GRAD_CAM, SaliencyMethod.INTEGRATED_GRADIENTS)) {
					for (int[] s : spots) {
						SaliencyRequest r = SaliencyRequest.builder().setMethod(method).optTarget("spot").optRegions(1, 1).build();
						SaliencyRun run = new DjlSaliency(m).explain(source(spotSlice(s[0], s[1])), r, ProgressListener.NONE, Cancellation.NEVER);
						SliceSaliency ss = run.slices().get(0);
						assertEquals(50, ss.width());
						assertEquals(30, ss.height());
						assertEquals(50 * 30, ss.map().length);
						int best = argmax(ss.map());
						String where = pkg.getFileName() + " " + method + " spot " + s[0] + "," + s[1];
						assertEquals(s[0], best % 50, 1, where + ": peak x");
						assertEquals(s[1], best / 50, 1, where + ": peak y");
						double[] c = centroid(ss.map(), 50);
						assertEquals(s[0] + 0.5, c[0], 0.25, where + ": centroid x");
						assertEquals(s[1] + 0.5, c[1], 0.25, where + ": centroid y");
						SaliencyRegions.Region reg = ss.regions().get(0);
						assertEquals(s[0] + 0.5, reg.centroidX(), 1.0, where + ": region centroid x");
						assertEquals(s[1] + 0.5, reg.centroidY(), 1.0, where + ": region centroid y");
					}
				}
			}
		}
	}

	@Test
	void mappingBackUndoesThePreprocessingGeometryExactly() {
		// The preprocessing of a one-pixel slice, mapped back, peaks at that pixel, for every pixel of a non-square slice.
		for (String resize : List.of("letterbox", "stretch")) {
			SlicePreprocessor pre = new SlicePreprocessor(org.medcnn.core.image.InputSpec.builder().setSize(24, 24)
				.setIntensity(org.medcnn.core.image.IntensityPolicy.parse("range:0:1")).optResize(org.medcnn.core.image.InputSpec.Resize.parse(resize))
				.optMinSliceSize(4).build());
			int w = 37;
			int h = 21;
			for (int y = 0; y < h; y++) {
				for (int x = 0; x < w; x++) {
					float[] px = new float[w * h];
					px[y * w + x] = 1;
					ModelInput in = ModelInput.of(pre, new Slice(1, "", w, h, px));
					float[] back = SaliencyMaps.toSlice(in.unit(), 24, 24, in.placement(), w, h);
					int best = argmax(back);
					assertEquals(x, best % w, 1, resize + " x at " + x + "," + y);
					assertEquals(y, best / w, 1, resize + " y at " + x + "," + y);
					// Away from the borders (where the filters are cut off) the blob is centred on the pixel to a tenth of a pixel.
					double[] c = centroid(back, w);
					if (x >= 2 && x < w - 2) assertEquals(x + 0.5, c[0], 0.1, resize + " centroid x at " + x + "," + y);
					if (y >= 2 && y < h - 2) assertEquals(y + 0.5, c[1], 0.1, resize + " centroid y at " + x + "," + y);
				}
			}
		}
	}

	static int argmax(float[] v) {
		int b = 0;
		for (int i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
		return b;
	}

	/** Centroid of the map weighted by value (pixel centres at +0.5). */
	static double[] centroid(float[] map, int w) {
		double sx = 0;
		double sy = 0;
		double s = 0;
		for (int i = 0; i < map.length; i++) {
			sx += map[i] * (i % w + 0.5);
			sy += map[i] * (i / w + 0.5);
			s += map[i];
		}
		return new double[] {sx / s, sy / s};
	}

	static SliceSource source(Slice... slices) {
		return org.medcnn.testing.Fixtures.slices("test", new ArrayList<>(List.of(slices)));
	}
}
