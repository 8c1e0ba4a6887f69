package org.medcnn.ij;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.ImageRoi;
import ij.gui.Overlay;
import ij.gui.PolygonRoi;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.LUT;
import java.awt.Color;
import java.util.Locale;
import org.medcnn.core.explain.RegionColumns;
import org.medcnn.core.explain.SaliencyMaps;
import org.medcnn.core.explain.SaliencyRegions;
import org.medcnn.core.explain.SaliencyRun;
import org.medcnn.core.explain.SliceSaliency;

/**
 * Shows saliency the ImageJ way: a 32-bit heatmap stack with the input's dimensions and calibration,
 * and on the input's overlay, per slice, the heatmap as a semi-transparent image ROI plus the region
 * outlines, each placed on its slice. The ROI Manager is never touched, and only MedCNN's own earlier
 * saliency ROIs are replaced; the user's overlay ROIs stay.
 */
public final class SaliencyOverlays {

	/** Prefix of the names of the ROIs this class adds. */
	public static final String PREFIX = RegionColumns.ROI_PREFIX;

	/**
	 * ROI property marking MedCNN's saliency ROIs, value {@code saliency}. ImageJ's TIFF overlay keeps ROI
	 * properties but not the names of image ROIs, so this recognises the heatmaps of a reopened file.
	 */
	public static final String PROPERTY = "medcnn";

	/** Outline colour of the regions: visible on both the heat colours and grey images. */
	public static final Color REGION_COLOUR = new Color(0, 255, 255);

	private SaliencyOverlays() {}

	/**
	 * Builds a "Fire"-like heat lookup table in code (black, blue-violet, red, orange, yellow, white),
	 * by linear interpolation between control points.
	 *
	 * @return the LUT
	 */
	public static LUT heatLut() {
		int[][] points = {{0, 0, 0, 0}, {40, 60, 0, 120}, {90, 180, 0, 110}, {140, 255, 60, 0}, {190, 255, 160, 0}, {230, 255, 240, 60}, {255, 255, 255, 255}};
		byte[] r = new byte[256];
		byte[] g = new byte[256];
		byte[] b = new byte[256];
		for (int k = 0; k + 1 < points.length; k++) {
			int[] p = points[k];
			int[] q = points[k + 1];
			for (int i = p[0]; i <= q[0]; i++) {
				double t = (i - p[0]) / (double) (q[0] - p[0]);
				r[i] = (byte) Math.round(p[1] + t * (q[1] - p[1]));
				g[i] = (byte) Math.round(p[2] + t * (q[2] - p[2]));
				b[i] = (byte) Math.round(p[3] + t * (q[3] - p[3]));
			}
		}
		return new LUT(r, g, b);
	}

	/**
	 * Builds the heatmap stack: 32-bit, the input's width, height, slices and frames (one channel: the
	 * channel that was explained), its spatial calibration (not its intensity calibration), the heat LUT,
	 * and the display range 0 to the largest value.
	 *
	 * @param slices the source the run explained
	 * @param run the run, slices in source order
	 * @return a new image titled {@code <title> saliency (<method>)}
	 * @throws IllegalArgumentException if the run does not cover every position of the source
	 */
	public static ImagePlus heatmapStack(ImagePlusSlices slices, SaliencyRun run) {
		ImagePlus imp = slices.image();
		if (run.slices().size() != slices.size()) throw new IllegalArgumentException("the run has " + run.slices().size() + " slices, the image " + slices.size());
		int w = imp.getWidth();
		int h = imp.getHeight();
		ImageStack st = new ImageStack(w, h);
		float max = 0;
		for (SliceSaliency s : run.slices()) {
			if (s.width() != w || s.height() != h) throw new IllegalArgumentException("slice " + s.slice() + " is " + s.width() + "x" + s.height() + ", the image " + w + "x" + h);
			st.addSlice(String.format(Locale.ROOT, "%s %s %.3f", s.label().isEmpty() ? "slice " + s.slice() : s.label(), s.targetClass(), s.probabilities()[s.target()]),
				new FloatProcessor(w, h, s.map().clone()));
			max = Math.max(max, SaliencyMaps.max(s.map()));
		}
		ImagePlus out = new ImagePlus(imp.getTitle() + " saliency (" + run.method() + ")", st);
		if (slices.isHyperstack()) {
			out.setDimensions(1, imp.getNSlices(), imp.getNFrames());
			out.setOpenAsHyperStack(true);
		}
		Calibration cal = imp.getCalibration().copy();
		cal.disableDensityCalibration();
		cal.setValueUnit("saliency");
		out.setCalibration(cal);
		out.setLut(heatLut());
		out.setDisplayRange(0, max > 0 ? max : 1);
		out.setProperty("Info", "MedCNN saliency: " + run.request().describe() + ", model " + run.modelId() + " (" + run.modelSha() + "), device " + run.device());
		return out;
	}

	/**
	 * Adds, per slice, the heatmap (scaled to the slice's own maximum, zero transparent) as an image ROI
	 * of the given opacity and the region outlines to the overlay of the image the run came from.
	 *
	 * @param slices the source the run explained (gives the stack positions)
	 * @param run the run, slices in source order
	 * @param opacity heatmap opacity in [0, 1]; 0 adds no heatmap, only the outlines
	 * @throws IllegalArgumentException if the opacity is outside [0, 1]
	 */
	public static void add(ImagePlusSlices slices, SaliencyRun run, double opacity) {
		if (!(opacity >= 0 && opacity <= 1)) throw new IllegalArgumentException("overlay_opacity must be between 0 and 1, got " + opacity);
		ImagePlus imp = slices.image();
		Overlay ov = imp.getOverlay();
		if (ov == null) ov = new Overlay();
		remove(ov);
		LUT lut = heatLut();
		for (SliceSaliency s : run.slices()) {
			int[] czt = slices.hyperstackPosition(s.position());
			int stackIndex = slices.stackIndex(s.position());
			if (opacity > 0) {
				ImageRoi heat = new ImageRoi(0, 0, heatImage(s, lut));
				heat.setOpacity(opacity);
				heat.setZeroTransparent(true);
				heat.setName(RegionColumns.heatmapName(run, s));
				heat.setProperty(PROPERTY, "saliency");
				place(heat, czt, stackIndex);
				ov.add(heat);
			}
			for (int k = 1; k <= s.regions().size(); k++) {
				Roi roi = polygon(s.regions().get(k - 1));
				roi.setStrokeColor(REGION_COLOUR);
				roi.setName(RegionColumns.roiName(run, s, k));
				roi.setProperty(PROPERTY, "saliency");
				place(roi, czt, stackIndex);
				ov.add(roi);
			}
		}
		imp.setOverlay(ov);
	}

	private static void place(Roi roi, int[] czt, int stackIndex) {
		if (czt != null) roi.setPosition(czt[0], czt[1], czt[2]);
		else roi.setPosition(stackIndex);
	}

	/**
	 * Renders a slice's map in the heat LUT, scaled so that the slice's maximum is 255.
	 *
	 * @param s the slice
	 * @param lut the LUT
	 * @return an 8-bit image with the LUT
	 */
	static ByteProcessor heatImage(SliceSaliency s, LUT lut) {
		float max = SaliencyMaps.max(s.map());
		byte[] px = new byte[s.map().length];
		if (max > 0) for (int i = 0; i < px.length; i++) px[i] = (byte) Math.round(Math.max(0, s.map()[i]) / max * 255);
		ByteProcessor bp = new ByteProcessor(s.width(), s.height(), px);
		bp.setLut(lut);
		return bp;
	}

	/**
	 * Turns a region into an ImageJ traced polygon ROI (its mask is exactly the region's pixels).
	 *
	 * @param r the region
	 * @return the ROI
	 */
	public static PolygonRoi polygon(SaliencyRegions.Region r) {
		return new PolygonRoi(r.xs().clone(), r.ys().clone(), r.xs().length, Roi.TRACED_ROI);
	}

	/**
	 * Removes MedCNN's saliency ROIs from an overlay, leaving every other ROI.
	 *
	 * @param ov the overlay, may be null
	 */
	public static void remove(Overlay ov) {
		if (ov == null) return;
		for (int i = ov.size() - 1; i >= 0; i--) if (isSaliency(ov.get(i))) ov.remove(i);
	}

	/**
	 * Tells whether a ROI is one of MedCNN's saliency ROIs: named with {@link #PREFIX} or carrying
	 * {@link #PROPERTY}.
	 *
	 * @param roi the ROI
	 * @return true for a saliency ROI
	 */
	public static boolean isSaliency(Roi roi) {
		String n = roi.getName();
		return (n != null && n.startsWith(PREFIX)) || "saliency".equals(roi.getProperty(PROPERTY));
	}

	/**
	 * Counts MedCNN saliency ROIs in an overlay.
	 *
	 * @param ov the overlay, may be null
	 * @param heatmaps true to count the heatmap image ROIs, false to count the region outlines
	 * @return the count
	 */
	public static int count(Overlay ov, boolean heatmaps) {
		if (ov == null) return 0;
		int n = 0;
		for (Roi r : ov.toArray()) if (isSaliency(r) && (r instanceof ImageRoi) == heatmaps) n++;
		return n;
	}
}
