package org.medcnn.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.ImageRoi;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.measure.Measurements;
import ij.measure.ResultsTable;
import ij.plugin.frame.RoiManager;
import ij.process.ByteProcessor;
import ij.process.ImageStatistics;
import ij.process.ShortProcessor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.explain.DjlSaliency;
import org.medcnn.core.explain.ExplainModel;
import org.medcnn.core.explain.RegionColumns;
import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.core.explain.SaliencyRun;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.testing.TestPackages;

/**
 * Saliency on ImageJ images: ROIs on the right slice, the table matching the ROIs as ImageJ measures
 * them, and a heatmap stack with the input's dimensions and calibration, for stacks and hyperstacks.
 */
class SaliencyOverlaysTest {

	@TempDir
	static Path dir;

	static ExplainModel model;

	/** Square trunk, class "spot" = mean(u^2): the gradient map is proportional to the image. Letterbox 32x32. */
	@BeforeAll
	static void load() throws Exception {
		Path pkg = TestPackages.write(dir, "square", TestPackages.squareTrunk(), List.of("spot", "plain"),
			new LinearHead(2, 2, 0, new float[] {1, 0, 0, 1}, new float[] {0, 0}), 32, 32, "letterbox", 255);
		model = ExplainModel.load(ModelPackage.open(pkg), DeviceSpec.CPU);
	}

	@AfterAll
	static void close() {
		model.close();
	}

	/** Spot centres per slice, on a 40 x 30 image. */
	static final int[][] SPOTS = {{8, 7}, {30, 20}, {20, 14}, {33, 6}};

	static ImageStack spots(int n) {
		ImageStack st = new ImageStack(40, 30);
		for (int i = 0; i < n; i++) {
			ByteProcessor ip = new ByteProcessor(40, 30);
			int[] s = SPOTS[i % SPOTS.length];
			ip.setValue(250);
			ip.fillOval(s[0] - 2, s[1] - 2, 5, 5);
			st.addSlice("z" + (i + 1), ip);
		}
		return st;
	}

	static SaliencyRun explain(ImagePlusSlices src) throws Exception {
		SaliencyRequest r = SaliencyRequest.builder().setMethod(SaliencyMethod.GRADIENT).optTarget("spot").optRegions(3, 2).optBatchSize(3).build();
		return new DjlSaliency(model).explain(src, r, ProgressListener.NONE, Cancellation.NEVER);
	}

	@Test
	void roisLieOnTheirSliceAndTheTableMatchesThem() throws Exception {
		assertNull(RoiManager.getInstance());
		ImagePlus imp = new ImagePlus("spots", spots(4));
		Calibration cal = new Calibration();
		cal.pixelWidth = 0.5;
		cal.pixelHeight = 0.75;
		cal.xOrigin = 4;
		cal.yOrigin = 2;
		cal.setUnit("mm");
		imp.setCalibration(cal);
		Roi mine = new Roi(1, 1, 5, 5);
		mine.setName("user roi");
		imp.setOverlay(new Overlay(mine));
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		SaliencyRun run = explain(src);
		SaliencyOverlays.add(src, run, 0.4);
		SaliencyOverlays.add(src, run, 0.4); // again: replaces, never duplicates

		Overlay ov = imp.getOverlay();
		assertEquals(4, SaliencyOverlays.count(ov, true), "one heatmap per slice");
		Map<String, Roi> byName = new HashMap<>();
		for (Roi r : ov.toArray()) byName.put(r.getName(), r);
		assertNotNull(byName.get("user roi"), "the user's ROI stays");
		for (Roi r : ov.toArray()) {
			if (r.getName() == null || !r.getName().startsWith(SaliencyOverlays.PREFIX)) continue;
			int slice = Integer.parseInt(r.getName().split(":")[1]);
			assertEquals(slice, r.getPosition(), r.getName());
			if (r instanceof ImageRoi ir) {
				assertEquals(0.4, ir.getOpacity(), 1e-6);
			} else {
				int[] s = SPOTS[slice - 1];
				assertTrue(r.contains(s[0], s[1]), r.getName() + " holds the spot of its slice");
			}
		}

		ResultsTable rt = SaliencyTables.regions(run, imp.getCalibration());
		assertEquals(SaliencyOverlays.count(ov, false), rt.size(), "one row per region ROI");
		assertTrue(rt.size() >= 4);
		for (int row = 0; row < rt.size(); row++) {
			Roi roi = byName.get(rt.getStringValue("roi", row));
			assertNotNull(roi, rt.getStringValue("roi", row));
			int slice = (int) rt.getValue("slice", row);
			assertEquals(slice, roi.getPosition());
			assertTrue(roi.getName().contains(":spot:gradient:"), roi.getName());
			imp.setSliceWithoutUpdate(slice);
			imp.setRoi(roi, false);
			ImageStatistics st = imp.getStatistics(Measurements.AREA | Measurements.CENTROID);
			imp.deleteRoi();
			assertEquals(st.area, rt.getValue("area", row), 1e-9, "area in mm^2");
			assertEquals(st.pixelCount, (int) rt.getValue("area_px", row));
			assertEquals(st.xCentroid, rt.getValue("centroid_x", row), 1e-9);
			assertEquals(st.yCentroid, rt.getValue("centroid_y", row), 1e-9);
			assertEquals("mm", rt.getStringValue("unit", row));
			assertEquals("spot", rt.getStringValue("class", row));
			assertEquals("gradient", rt.getStringValue("method", row));
			double share = rt.getValue("share", row);
			assertTrue(share > 0 && share <= 1);
			assertTrue(roi.getName().endsWith(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * share)), roi.getName());
		}
		assertNull(RoiManager.getInstance(), "the ROI Manager is never opened");
	}

	@Test
	void heatmapStackHasTheInputDimensionsAndSpatialCalibration() throws Exception {
		ImageStack st = new ImageStack(40, 30);
		for (int i = 0; i < 3; i++) {
			ShortProcessor sp = new ShortProcessor(40, 30);
			sp.setValue(1200 + 100 * i); // 176 to 376 HU: bright for the range 0..255 policy
			sp.fillOval(SPOTS[i][0] - 2, SPOTS[i][1] - 2, 5, 5);
			st.addSlice("z" + (i + 1), sp);
		}
		ImagePlus imp = new ImagePlus("ct", st);
		Calibration cal = imp.getCalibration();
		cal.pixelWidth = 0.7;
		cal.pixelHeight = 0.7;
		cal.pixelDepth = 2.5;
		cal.setUnit("mm");
		// A CT-like intensity calibration that must not be copied to the 32-bit heatmap.
		cal.setFunction(Calibration.STRAIGHT_LINE, new double[] {-1024, 1}, "HU");
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		SaliencyRun run = explain(src);
		ImagePlus heat = SaliencyOverlays.heatmapStack(src, run);
		assertEquals(32, heat.getBitDepth());
		assertEquals(imp.getWidth(), heat.getWidth());
		assertEquals(imp.getHeight(), heat.getHeight());
		assertEquals(imp.getStackSize(), heat.getStackSize());
		assertEquals(0.7, heat.getCalibration().pixelWidth, 0);
		assertEquals(2.5, heat.getCalibration().pixelDepth, 0);
		assertEquals("mm", heat.getCalibration().getUnit());
		assertFalse(heat.getCalibration().calibrated(), "no HU function on the heatmap");
		assertTrue(heat.getProcessor().getLut().getRed(255) != 0);
		for (int k = 0; k < 3; k++) {
			float[] px = (float[]) heat.getStack().getPixels(k + 1);
			int best = 0;
			for (int i = 1; i < px.length; i++) if (px[i] > px[best]) best = i;
			assertEquals(SPOTS[k][0], best % 40, 1.5, "slice " + (k + 1));
			assertEquals(SPOTS[k][1], best / 40, 1.5, "slice " + (k + 1));
		}
	}

	@Test
	void hyperstackRoisCarryTheirPositionAndTheHeatmapKeepsZAndT() throws Exception {
		// 2 channels x 3 z x 2 t; the current channel (2) is explained.
		ImageStack st = new ImageStack(40, 30);
		for (int t = 1; t <= 2; t++) {
			for (int z = 1; z <= 3; z++) {
				for (int c = 1; c <= 2; c++) {
					ByteProcessor ip = new ByteProcessor(40, 30);
					if (c == 2) {
						int[] s = SPOTS[(z - 1 + 3 * (t - 1)) % SPOTS.length];
						ip.setValue(240);
						ip.fillOval(s[0] - 2, s[1] - 2, 5, 5);
					}
					st.addSlice("c" + c + "z" + z + "t" + t, ip);
				}
			}
		}
		ImagePlus imp = new ImagePlus("hyper", st);
		imp.setDimensions(2, 3, 2);
		imp.setOpenAsHyperStack(true);
		imp.setPosition(2, 1, 1);
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		assertEquals(6, src.size());
		SaliencyRun run = explain(src);
		SaliencyOverlays.add(src, run, 0.5);
		int heatmaps = 0;
		for (Roi r : imp.getOverlay().toArray()) {
			int slice = Integer.parseInt(r.getName().split(":")[1]);
			int[] pos = imp.convertIndexToPosition(slice);
			assertEquals(2, r.getCPosition(), r.getName());
			assertEquals(pos[1], r.getZPosition(), r.getName());
			assertEquals(pos[2], r.getTPosition(), r.getName());
			if (r instanceof ImageRoi) heatmaps++;
		}
		assertEquals(6, heatmaps);
		ImagePlus heat = SaliencyOverlays.heatmapStack(src, run);
		assertEquals(1, heat.getNChannels());
		assertEquals(3, heat.getNSlices());
		assertEquals(2, heat.getNFrames());
		assertTrue(heat.isHyperStack());
	}

	@Test
	void opacityOutsideZeroToOneIsRefused() throws Exception {
		ImagePlus imp = new ImagePlus("spots", spots(1));
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		SaliencyRun run = explain(src);
		org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> SaliencyOverlays.add(src, run, 1.5));
		SaliencyOverlays.add(src, run, 0);
		assertEquals(0, SaliencyOverlays.count(imp.getOverlay(), true), "opacity 0: outlines only");
		assertTrue(RegionColumns.rows(run, RegionColumns.Scale.PIXELS).size() == SaliencyOverlays.count(imp.getOverlay(), false));
	}
}
