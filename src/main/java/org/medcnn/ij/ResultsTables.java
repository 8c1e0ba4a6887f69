package org.medcnn.ij;

import ij.measure.ResultsTable;
import java.util.List;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.Prediction;
import org.medcnn.core.classify.ResultColumns;

/**
 * Builds ImageJ ResultsTables from core results.
 */
public final class ResultsTables {

	/** The title of the classification table. */
	public static final String CLASSIFICATION_TITLE = "MedCNN Classification";

	private ResultsTables() {}

	/**
	 * Builds the classification table: one row per slice, columns as in {@link ResultColumns}.
	 *
	 * @param run the classification run
	 * @return a new table
	 */
	public static ResultsTable classification(ClassificationRun run) {
		ResultsTable rt = new ResultsTable();
		rt.showRowNumbers(false);
		List<String> header = ResultColumns.header(run, List.of());
		for (Prediction p : run.predictions()) {
			rt.incrementCounter();
			List<Object> row = ResultColumns.row(run, p);
			for (int i = 0; i < header.size(); i++) {
				Object v = row.get(i);
				if (v instanceof Number num) {
					rt.addValue(header.get(i), num.doubleValue());
				} else {
					rt.addValue(header.get(i), String.valueOf(v));
				}
			}
		}
		for (String col : header) {
			if (col.startsWith("p_") || col.equals("confidence") || col.equals("entropy") || col.equals("mutual_information") || col.equals("std_top")) {
				int ci = rt.getColumnIndex(col);
				if (ci >= 0) rt.setDecimalPlaces(ci, 4);
			}
		}
		return rt;
	}
}
