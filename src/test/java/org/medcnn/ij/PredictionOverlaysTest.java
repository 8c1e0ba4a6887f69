package org.medcnn.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.gui.TextRoi;
import ij.plugin.frame.RoiManager;
import ij.process.ByteProcessor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.Prediction;

class PredictionOverlaysTest {

	static final List<String> CLASSES = List.of("dark", "bright");

	static ImagePlus stack(int n) {
		ImageStack st = new ImageStack(40, 30);
		for (int i = 1; i <= n; i++) st.addSlice("s" + i, new ByteProcessor(40, 30));
		return new ImagePlus("stack", st);
	}

	/** A run over a source where slice k (0-based) is predicted bright when k is even. */
	static ClassificationRun run(ImagePlusSlices src) {
		List<Prediction> preds = new ArrayList<>();
		for (int k = 0; k < src.size(); k++) {
			int cls = k % 2 == 0 ? 1 : 0;
			float[] p = cls == 1 ? new float[] {0.1f, 0.9f} : new float[] {0.75f, 0.25f};
			preds.add(new Prediction(src.stackIndex(k), "s" + (k + 1), cls, CLASSES, p, new float[] {0, 0}, 1.0));
		}
		return new ClassificationRun(src.name(), preds, "tiny-brightness", "0123456789ab", "cpu", List.of());
	}

	private static List<Roi> medcnnRois(Overlay ov) {
		List<Roi> out = new ArrayList<>();
		for (Roi r : ov.toArray()) if (r.getName() != null && r.getName().startsWith(PredictionOverlays.PREFIX)) out.add(r);
		return out;
	}

	@Test
	void uncertainSlicesGetAFrameAndALabel() {
		ImagePlus imp = stack(3);
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		List<Prediction> preds = new ArrayList<>();
		for (int k = 0; k < 3; k++) {
			var u = new org.medcnn.core.uncertainty.UncertaintyEstimate(8, 0.3, 0.2, 0.1, 0.1, k == 1 ? 1 : 0);
			preds.add(new Prediction(src.stackIndex(k), "", 1, CLASSES, new float[] {0.3f, 0.7f}, new float[2], 1, u));
		}
		PredictionOverlays.add(src, new ClassificationRun(src.name(), preds, "m", "0123456789ab", "cpu", List.of(), org.medcnn.core.uncertainty.UncertaintyMode.TTA));
		List<Roi> rois = medcnnRois(imp.getOverlay());
		assertEquals(4, rois.size(), "3 labels and 1 frame");
		Roi frame = rois.stream().filter(r -> r.getName().endsWith(":uncertain")).findFirst().orElseThrow();
		assertEquals(2, frame.getPosition(), "the frame sits on the uncertain slice");
		assertEquals(PredictionOverlays.UNCERTAIN, frame.getStrokeColor());
		long labelled = rois.stream().filter(r -> r instanceof ij.gui.TextRoi t && t.getText().contains("(uncertain)")).count();
		assertEquals(1, labelled);
	}

	@Test
	void oneTextRoiPerSliceOnItsSlice() {
		assertNull(RoiManager.getInstance());
		ImagePlus imp = stack(4);
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		PredictionOverlays.add(src, run(src));
		Overlay ov = imp.getOverlay();
		assertNotNull(ov);
		assertEquals(4, ov.size());
		assertEquals(4, PredictionOverlays.count(ov));
		for (int k = 0; k < 4; k++) {
			Roi r = ov.get(k);
			assertTrue(r instanceof TextRoi, "a TextRoi, got " + r.getClass());
			assertEquals(k + 1, r.getPosition(), "ROI " + k + " sits on its slice");
			String text = ((TextRoi) r).getText().trim();
			String expected = k % 2 == 0 ? "bright 0.90" : "dark 0.75";
			assertEquals(expected, text);
			assertEquals(PredictionOverlays.PREFIX + (k + 1) + ":" + (k % 2 == 0 ? "bright" : "dark"), r.getName());
			assertEquals(PredictionOverlays.colour(k % 2 == 0 ? 1 : 0), r.getStrokeColor());
			// Labels are copies of one label: the same as a TextRoi made for the text.
			int size = Math.max(12, Math.min(imp.getWidth(), imp.getHeight()) / 16);
			TextRoi made = new TextRoi(Math.max(1, size / 4), Math.max(1, size / 4), expected, new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, size));
			assertEquals(made.getFloatBounds(), r.getFloatBounds(), "bounds of ROI " + k);
			assertEquals(made.getCurrentFont(), ((TextRoi) r).getCurrentFont());
			assertTrue(((TextRoi) r).getAntialiased());
			assertEquals(expected + "\n", ((TextRoi) r).getText(), "one line of text");
		}
		assertNull(RoiManager.getInstance(), "the ROI Manager is never opened");
	}

	@Test
	void hyperstackRoisCarryChannelSliceAndFrame() {
		ImageStack st = new ImageStack(40, 30);
		for (int i = 0; i < 2 * 3 * 2; i++) st.addSlice(new ByteProcessor(40, 30));
		ImagePlus imp = new ImagePlus("hyper", st);
		imp.setDimensions(2, 3, 2);
		imp.setOpenAsHyperStack(true);
		imp.setPosition(2, 1, 1);
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		PredictionOverlays.add(src, run(src));
		Overlay ov = imp.getOverlay();
		assertEquals(6, ov.size());
		int k = 0;
		for (int t = 1; t <= 2; t++) {
			for (int z = 1; z <= 3; z++) {
				Roi r = ov.get(k++);
				assertEquals(2, r.getCPosition(), "channel of ROI " + k);
				assertEquals(z, r.getZPosition(), "z of ROI " + k);
				assertEquals(t, r.getTPosition(), "t of ROI " + k);
				assertTrue(r.hasHyperStackPosition());
			}
		}
	}

	@Test
	void userRoisSurviveAndRerunReplacesOnlyOwnRois() {
		ImagePlus imp = stack(3);
		Overlay user = new Overlay();
		Roi rect = new Roi(2, 3, 10, 8);
		rect.setName("my lesion");
		rect.setPosition(2);
		user.add(rect);
		// A ROI the user named without the prefix but with similar text must stay too.
		Roi other = new Roi(1, 1, 4, 4);
		other.setName("medcnn notes");
		user.add(other);
		imp.setOverlay(user);

		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		PredictionOverlays.add(src, run(src));
		assertEquals(5, imp.getOverlay().size());
		PredictionOverlays.add(src, run(src));
		PredictionOverlays.add(src, run(src));
		Overlay ov = imp.getOverlay();
		assertEquals(3, PredictionOverlays.count(ov), "re-running replaces MedCNN ROIs instead of adding more");
		assertEquals(5, ov.size());
		assertSame(rect, ov.get(ov.getIndex("my lesion")));
		assertEquals(2, rect.getPosition());
		assertTrue(ov.getIndex("medcnn notes") >= 0);
		List<Roi> own = medcnnRois(ov);
		for (int k = 0; k < 3; k++) assertEquals(k + 1, own.get(k).getPosition());
		assertNull(RoiManager.getInstance());
	}

	@Test
	void countHandlesNullAndUnnamed() {
		assertEquals(0, PredictionOverlays.count(null));
		Overlay ov = new Overlay(new Roi(0, 0, 1, 1));
		assertEquals(0, PredictionOverlays.count(ov));
	}
}
