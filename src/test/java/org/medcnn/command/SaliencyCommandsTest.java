package org.medcnn.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.medcnn.testing.Modules.canceled;
import static org.medcnn.testing.Modules.reason;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.ImageRoi;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.measure.ResultsTable;
import ij.plugin.frame.RoiManager;
import ij.process.ByteProcessor;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.explain.ExplainModel;
import org.medcnn.core.explain.RegionColumns;
import org.medcnn.core.explain.SanityReport;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.ij.SaliencyOverlays;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.Modules;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;
import org.scijava.module.Module;
import org.scijava.prefs.PrefService;

/** Saliency Maps and Saliency Sanity Check run the way Fiji and macros run them: through CommandService. */
class SaliencyCommandsTest {

	private static Context ctx;
	private static CommandService commands;

	@BeforeAll
	static void context() {
		ctx = new Context(CommandService.class, ModelService.class, StatusService.class, LogService.class, PrefService.class);
		commands = ctx.service(CommandService.class);
		ctx.service(PrefService.class).clear(SaliencyMapsCommand.class);
		ctx.service(PrefService.class).clear(SaliencySanityCheckCommand.class);
	}

	@AfterAll
	static void dispose() {
		ctx.dispose();
	}

	/** 48 x 32 slices (non-square): a bright disc, at a place that moves with the slice, on a grey ramp. */
	static ImagePlus discs(int n) {
		ImageStack st = new ImageStack(48, 32);
		for (int i = 0; i < n; i++) {
			ByteProcessor ip = new ByteProcessor(48, 32);
			for (int y = 0; y < 32; y++) for (int x = 0; x < 48; x++) ip.set(x, y, 120 + x);
			ip.setValue(255);
			ip.fillOval(6 + 10 * i, 8, 10, 10);
			st.addSlice("s" + (i + 1), ip);
		}
		ImagePlus imp = new ImagePlus("discs", st);
		Calibration cal = imp.getCalibration();
		cal.pixelWidth = 0.8;
		cal.pixelHeight = 0.8;
		cal.pixelDepth = 3;
		cal.setUnit("mm");
		return imp;
	}

	private Module maps(Object... inputs) throws Exception {
		return Modules.run(commands, SaliencyMapsCommand.class, inputs);
	}

	@Test
	void saliencyMapsGivesHeatmapOverlayAndTable(@TempDir Path tmp) throws Exception {
		ImagePlus imp = discs(3);
		File csv = tmp.resolve("regions.csv").toFile();
		Module m = maps("image", imp, "model", Fixtures.tinyModel().toString(), "device", "cpu", "method", "grad_cam", "target", "bright", "top_percent",
			10.0, "max_regions", 2, "overlay_opacity", 0.3, "results_csv", csv);
		assertFalse(canceled(m), reason(m));
		ImagePlus heat = (ImagePlus) m.getOutput("heatmap");
		assertNotNull(heat);
		assertEquals(48, heat.getWidth());
		assertEquals(32, heat.getHeight());
		assertEquals(3, heat.getStackSize());
		assertEquals(0.8, heat.getCalibration().pixelWidth, 0);
		assertEquals(3, heat.getCalibration().pixelDepth, 0);
		assertEquals("mm", heat.getCalibration().getUnit());
		ResultsTable rt = (ResultsTable) m.getOutput("results");
		assertEquals(RegionColumns.header(), List.of(rt.getHeadings()).stream().filter(h -> !h.isBlank()).toList());
		assertEquals(SaliencyOverlays.count(imp.getOverlay(), false), rt.size());
		assertEquals(3, SaliencyOverlays.count(imp.getOverlay(), true));
		for (Roi r : imp.getOverlay().toArray()) {
			assertEquals(Integer.parseInt(r.getName().split(":")[1]), r.getPosition(), r.getName());
			if (r instanceof ImageRoi ir) assertEquals(0.3, ir.getOpacity(), 1e-6);
		}
		for (int row = 0; row < rt.size(); row++) {
			assertEquals("bright", rt.getStringValue("class", row));
			assertEquals("grad_cam", rt.getStringValue("method", row));
			assertEquals("mm", rt.getStringValue("unit", row));
			assertEquals(rt.getValue("area_px", row) * 0.64, rt.getValue("area", row), 1e-9);
		}
		// The largest region of each slice covers its disc (the brightest place, hence the largest "bright" evidence).
		for (int s = 1; s <= 3; s++) {
			boolean found = false;
			for (Roi r : imp.getOverlay().toArray()) {
				if (r instanceof ImageRoi || !r.getName().startsWith(RegionColumns.ROI_PREFIX + s + ":1:")) continue;
				found = r.contains(6 + 10 * (s - 1) + 5, 13);
			}
			assertTrue(found, "slice " + s);
		}
		List<String> lines = Files.readAllLines(csv.toPath());
		assertEquals(rt.size() + 1, lines.size());
		assertEquals(String.join(",", RegionColumns.header()), lines.get(0));
		assertNull(RoiManager.getInstance());
	}

	@Test
	void badParametersCancelNamingThem() throws Exception {
		String model = Fixtures.tinyModel().toString();
		Module m = maps("image", discs(1), "model", model, "device", "cpu", "method", "lime");
		assertTrue(canceled(m));
		assertTrue(reason(m).contains("method must be one of") && reason(m).contains("grad_cam"), reason(m));
		m = maps("image", discs(1), "model", model, "device", "cpu", "target", "tumour");
		assertTrue(canceled(m));
		assertTrue(reason(m).contains("[dark, bright]"), reason(m));
		m = maps("image", discs(1), "model", model, "device", "cpu", "top_percent", 0.0);
		assertTrue(canceled(m));
		assertTrue(reason(m).contains("top_percent"), reason(m));
		m = maps("image", discs(1), "model", model, "device", "cpu", "method", "occlusion", "patch", 64);
		assertTrue(canceled(m));
		assertTrue(reason(m).contains("patch 64"), reason(m));
		ImagePlus imp = discs(1);
		m = maps("image", imp, "model", "/nonexistent/model", "device", "cpu");
		assertTrue(canceled(m));
		assertTrue(reason(m).contains("/nonexistent/model"), reason(m));
		assertNull(imp.getOverlay(), "nothing drawn on a cancelled run");
	}

	@Test
	void parametersAreNotPersisted() throws Exception {
		Module first = maps("image", discs(1), "model", Fixtures.tinyModel().toString(), "device", "cpu", "method", "gradient", "top_percent", 2.0);
		assertFalse(canceled(first), reason(first));
		Module second = maps("image", discs(1), "model", Fixtures.tinyModel().toString(), "device", "cpu");
		assertFalse(canceled(second), reason(second));
		assertEquals("grad_cam", second.getInput("method"));
		assertEquals(5.0, second.getInput("top_percent"));
		assertNull(ctx.service(PrefService.class).get(SaliencyMapsCommand.class, "method", null));
	}

	@Test
	void theGradientReadyModelLoadsOncePerSession() throws Exception {
		String model = Fixtures.tinyModel().toString();
		Module first = maps("image", discs(1), "model", model, "device", "cpu", "method", "gradient");
		assertFalse(canceled(first), reason(first));
		int loaded = ctx.service(ModelService.class).provider().loadedCount();
		Module second = maps("image", discs(2), "model", model, "device", "cpu", "method", "grad_cam");
		assertFalse(canceled(second), reason(second));
		assertEquals(loaded, ctx.service(ModelService.class).provider().loadedCount(), "the second run reuses the loaded model");
		ExplainModel kept = ctx.service(ModelService.class).provider().other(ExplainModel.CACHE_KIND, model, DeviceSpec.CPU, ExplainModel.class, (p, d) -> {
			throw new AssertionError("the session should hold the model that the runs loaded");
		});
		assertNotNull(kept);
	}

	@Test
	void sanityCheckGivesOneRowPerMethodAndStage() throws Exception {
		Module m = Modules.run(commands, SaliencySanityCheckCommand.class, "image", discs(4), "model", Fixtures.tinyModel().toString(), "device", "cpu",
			"methods", "grad_cam, occlusion", "max_slices", 3, "auc_steps", 4, "patch", 8, "stride", 4);
		assertFalse(canceled(m), reason(m));
		ResultsTable rt = (ResultsTable) m.getOutput("results");
		assertEquals(SanityReport.columns(), List.of(rt.getHeadings()).stream().filter(h -> !h.isBlank()).toList());
		assertEquals(2 * 2, rt.size(), "2 methods x (head, head + conv)");
		assertEquals("grad_cam", rt.getStringValue("method", 0));
		assertEquals("head", rt.getStringValue("randomised", 0));
		assertEquals("occlusion", rt.getStringValue("method", 3));
		Module bad = Modules.run(commands, SaliencySanityCheckCommand.class, "image", discs(1), "model", Fixtures.tinyModel().toString(), "device", "cpu",
			"methods", "grad_cam,edges");
		assertTrue(canceled(bad));
		assertTrue(reason(bad).contains("edges"), reason(bad));
	}
}
