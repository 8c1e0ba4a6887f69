package org.medcnn.core.explain;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The columns of the saliency regions table and CSV, one row per region, so that the ImageJ table and
 * the CSV file always agree: {@code source, slice, slice_label, class, method, region, area, area_px,
 * centroid_x, centroid_y, unit, share, probability, predicted, roi}. Areas and centroids are in
 * calibrated units ({@code unit}; area in unit squared), centroids as ImageJ measures them.
 */
public final class RegionColumns {

	/** Prefix of the names of saliency ROIs: {@code medcnn-saliency:<slice>:...}. */
	public static final String ROI_PREFIX = "medcnn-saliency:";

	private RegionColumns() {}

	/**
	 * Spatial calibration of the slices.
	 *
	 * @param pixelWidth width of a pixel in {@code unit}
	 * @param pixelHeight height of a pixel in {@code unit}
	 * @param xOrigin x origin in pixels (ImageJ's {@code Calibration.xOrigin})
	 * @param yOrigin y origin in pixels
	 * @param unit the length unit, e.g. {@code mm} or {@code pixel}
	 */
	public record Scale(double pixelWidth, double pixelHeight, double xOrigin, double yOrigin, String unit) {

		/** Uncalibrated: one pixel is one unit, origin 0. */
		public static final Scale PIXELS = new Scale(1, 1, 0, 0, "pixel");
	}

	/** @return the column names, in order */
	public static List<String> header() {
		return List.of("source", "slice", "slice_label", "class", "method", "region", "area", "area_px", "centroid_x", "centroid_y", "unit", "share",
			"probability", "predicted", "roi");
	}

	/**
	 * Names the ROI of a region: {@code medcnn-saliency:<slice>:<region>:<class>:<method>:<share>%}.
	 *
	 * @param run the run
	 * @param s the slice
	 * @param region 1-based region number in the slice
	 * @return the name
	 */
	public static String roiName(SaliencyRun run, SliceSaliency s, int region) {
		SaliencyRegions.Region r = s.regions().get(region - 1);
		return ROI_PREFIX + s.slice() + ":" + region + ":" + s.targetClass() + ":" + run.method() + ":" + String.format(Locale.ROOT, "%.1f%%", 100 * r.share());
	}

	/**
	 * Names the heatmap image ROI of a slice: {@code medcnn-saliency:<slice>:heatmap:<class>:<method>}.
	 *
	 * @param run the run
	 * @param s the slice
	 * @return the name
	 */
	public static String heatmapName(SaliencyRun run, SliceSaliency s) {
		return ROI_PREFIX + s.slice() + ":heatmap:" + s.targetClass() + ":" + run.method();
	}

	/**
	 * Builds all rows of a run.
	 *
	 * @param run the run
	 * @param scale the spatial calibration
	 * @return one row per region, slices in order, values matching {@link #header()}
	 */
	public static List<List<Object>> rows(SaliencyRun run, Scale scale) {
		List<List<Object>> rows = new ArrayList<>();
		for (SliceSaliency s : run.slices()) {
			for (int k = 1; k <= s.regions().size(); k++) {
				SaliencyRegions.Region r = s.regions().get(k - 1);
				List<Object> row = new ArrayList<>();
				row.add(run.source());
				row.add(s.slice());
				row.add(s.label());
				row.add(s.targetClass());
				row.add(run.method());
				row.add(k);
				row.add(r.area() * scale.pixelWidth() * scale.pixelHeight());
				row.add(r.area());
				row.add((r.centroidX() - scale.xOrigin()) * scale.pixelWidth());
				row.add((r.centroidY() - scale.yOrigin()) * scale.pixelHeight());
				row.add(scale.unit());
				row.add(r.share());
				row.add((double) s.probabilities()[s.target()]);
				row.add(run.classes().get(s.predicted()));
				row.add(roiName(run, s, k));
				rows.add(row);
			}
		}
		return rows;
	}

	/**
	 * Formats a value for CSV: doubles with 6 significant digits, the rest as text.
	 *
	 * @param v the value
	 * @return the text
	 */
	public static String format(Object v) {
		if (v instanceof Double d) return String.format(Locale.ROOT, "%.6g", d);
		return String.valueOf(v);
	}
}
