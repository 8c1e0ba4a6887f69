package org.medcnn.core.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Requests are validated when built, and messages name the macro key. */
class SaliencyRequestTest {

	@Test
	void methodNamesParseLeniently() {
		assertEquals(SaliencyMethod.GRAD_CAM_PP, SaliencyMethod.parse("Grad-CAM++"));
		assertEquals(SaliencyMethod.GRAD_CAM, SaliencyMethod.parse("gradcam"));
		assertEquals(SaliencyMethod.INTEGRATED_GRADIENTS, SaliencyMethod.parse(" integrated-gradients "));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SaliencyMethod.parse("lime"));
		assertTrue(e.getMessage().contains("gradient, smoothgrad, integrated_gradients, grad_cam, grad_cam_pp, occlusion"), e.getMessage());
		assertEquals(List.of(SaliencyMethod.GRADIENT, SaliencyMethod.OCCLUSION), SanityRuns.methods("gradient, occlusion,gradient"));
		assertEquals(6, SanityRuns.methods("all").size());
	}

	@Test
	void defaultsAndTarget() {
		SaliencyRequest r = SaliencyRequest.builder().setMethod(SaliencyMethod.GRAD_CAM).build();
		assertNull(r.target());
		assertEquals(-1, r.targetIndex(List.of("a", "b")));
		assertEquals(5, r.topPercent());
		assertEquals(3, r.maxRegions());
		assertEquals(32, r.steps());
		assertEquals(SaliencyRequest.Baseline.BLACK, r.baseline());
		assertNull(SaliencyRequest.builder().setMethod(SaliencyMethod.GRAD_CAM).optTarget("Predicted").build().target());
		SaliencyRequest b = r.toBuilder().optTarget("b").build();
		assertEquals(1, b.targetIndex(List.of("a", "b")));
		assertThrows(IllegalArgumentException.class, () -> b.targetIndex(List.of("x", "y")));
		assertEquals("integrated_gradients (steps 16, baseline blurred)",
			r.toBuilder().setMethod(SaliencyMethod.INTEGRATED_GRADIENTS).optSteps(16).optBaseline(SaliencyRequest.Baseline.parse("Blurred")).build().describe());
	}

	@Test
	void invalidValuesNameTheirKey() {
		SaliencyRequest.Builder ok = SaliencyRequest.builder().setMethod(SaliencyMethod.SMOOTHGRAD);
		assertMessage("samples", () -> ok.optSamples(0).build());
		assertMessage("noise", () -> SaliencyRequest.builder().setMethod(SaliencyMethod.SMOOTHGRAD).optNoise(1.5).build());
		assertMessage("steps", () -> SaliencyRequest.builder().setMethod(SaliencyMethod.GRADIENT).optSteps(2000).build());
		assertMessage("batch_size", () -> SaliencyRequest.builder().setMethod(SaliencyMethod.GRADIENT).optBatchSize(0).build());
		assertMessage("top_percent", () -> SaliencyRequest.builder().setMethod(SaliencyMethod.GRADIENT).optRegions(0, 3).build());
		assertMessage("max_regions", () -> SaliencyRequest.builder().setMethod(SaliencyMethod.GRADIENT).optRegions(5, -1).build());
		assertMessage("patch", () -> SaliencyRequest.builder().setMethod(SaliencyMethod.OCCLUSION).optOcclusion(-1, 0).build());
		assertMessage("baseline", () -> SaliencyRequest.Baseline.parse("grey"));
		assertThrows(NullPointerException.class, () -> SaliencyRequest.builder().build());
	}

	private static void assertMessage(String key, org.junit.jupiter.api.function.Executable e) {
		IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
		assertTrue(x.getMessage().startsWith(key), x.getMessage());
	}
}
