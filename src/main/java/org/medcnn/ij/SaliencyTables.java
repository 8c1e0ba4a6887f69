package org.medcnn.ij;

import ij.measure.Calibration;
import ij.measure.ResultsTable;
import java.util.List;
import org.medcnn.core.explain.RegionColumns;
import org.medcnn.core.explain.SaliencyRun;
import org.medcnn.core.explain.SanityReport;

/**
 * Builds the saliency ResultsTables: the regions of a run and the sanity-check report.
 */
public final class SaliencyTables {

	/** The title of the regions table. */
	public static final String REGIONS_TITLE = "MedCNN Saliency Regions";
	/** The title of the sanity-check table. */
	public static final String SANITY_TITLE = "MedCNN Saliency Sanity Check";

	private SaliencyTables() {}

	/**
	 * Converts ImageJ's spatial calibration.
	 *
	 * @param cal the calibration, may be null
	 * @return the scale (pixels when uncalibrated)
	 */
	public static RegionColumns.Scale scale(Calibration cal) {
		if (cal == null || !cal.scaled()) return RegionColumns.Scale.PIXELS;
		return new RegionColumns.Scale(cal.pixelWidth, cal.pixelHeight, cal.xOrigin, cal.yOrigin, cal.getUnit());
	}

	/**
	 * Builds the regions table: one row per region, columns as in {@link RegionColumns}.
	 *
	 * @param run the run
	 * @param cal the input's calibration, may be null
	 * @return a new table
	 */
	public static ResultsTable regions(SaliencyRun run, Calibration cal) {
		return table(RegionColumns.header(), RegionColumns.rows(run, scale(cal)));
	}

	/**
	 * Builds the sanity-check table: one row per method and randomisation stage, columns as in
	 * {@link SanityReport#columns()}.
	 *
	 * @param report the report
	 * @return a new table
	 */
	public static ResultsTable sanity(SanityReport report) {
		List<List<Object>> rows = new java.util.ArrayList<>();
		for (SanityReport.Row r : report.rows()) {
			rows.add(List.of(report.modelId(), r.method(), r.stage(), r.randomised(), r.spearman(), r.ssim(), r.deletionAuc(), r.insertionAuc(),
				r.passes() ? "yes" : "no", r.verdict()));
		}
		return table(SanityReport.columns(), rows);
	}

	private static ResultsTable table(List<String> header, List<List<Object>> rows) {
		ResultsTable rt = new ResultsTable();
		rt.showRowNumbers(false);
		for (List<Object> row : rows) {
			rt.incrementCounter();
			for (int i = 0; i < header.size(); i++) {
				Object v = row.get(i);
				if (v instanceof Number num) rt.addValue(header.get(i), num.doubleValue());
				else rt.addValue(header.get(i), String.valueOf(v));
			}
		}
		for (String col : header) {
			int ci = rt.getColumnIndex(col);
			if (ci >= 0 && !col.equals("slice") && !col.equals("region") && !col.equals("area_px") && !col.equals("stage")) rt.setDecimalPlaces(ci, 4);
		}
		return rt;
	}
}
