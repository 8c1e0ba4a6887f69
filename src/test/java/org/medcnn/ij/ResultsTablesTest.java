package org.medcnn.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.Prediction;
import org.medcnn.core.classify.ResultColumns;

class ResultsTablesTest {

	@Test
	void columnsAndRowsMatchResultColumns() {
		ImagePlus imp = PredictionOverlaysTest.stack(5);
		ImagePlusSlices src = new ImagePlusSlices(imp, "scan.tif");
		ClassificationRun run = PredictionOverlaysTest.run(src);
		ResultsTable rt = ResultsTables.classification(run);
		assertEquals(ResultColumns.header(PredictionOverlaysTest.CLASSES), headings(rt));
		assertEquals(List.of("source", "slice", "slice_label", "predicted", "p_dark", "p_bright", "confidence", "ood_score", "out_of_distribution", "model",
			"model_sha256", "device", "ms"), headings(rt));
		assertEquals(5, rt.size());
		for (int r = 0; r < 5; r++) {
			Prediction p = run.predictions().get(r);
			assertEquals("scan.tif", rt.getStringValue("source", r));
			assertEquals(r + 1, rt.getValue("slice", r), 0);
			assertEquals("s" + (r + 1), rt.getStringValue("slice_label", r));
			assertEquals(p.predicted(), rt.getStringValue("predicted", r));
			assertEquals(p.probabilities()[0], rt.getValue("p_dark", r), 1e-6);
			assertEquals(p.probabilities()[1], rt.getValue("p_bright", r), 1e-6);
			assertEquals(p.confidence(), rt.getValue("confidence", r), 1e-6);
			assertEquals("tiny-brightness", rt.getStringValue("model", r));
			assertEquals("0123456789ab", rt.getStringValue("model_sha256", r));
			assertEquals("cpu", rt.getStringValue("device", r));
			assertEquals(1.0, rt.getValue("ms", r), 1e-9);
		}
	}

	@Test
	void classNamesWithSpacesGetSafeColumns() {
		List<String> classes = List.of("no tumor", "glioma-grade/2", "x");
		List<Prediction> preds = new ArrayList<>();
		preds.add(new Prediction(1, "", 2, classes, new float[] {0.2f, 0.3f, 0.5f}, new float[3], 2));
		preds.add(new Prediction(2, "", 0, classes, new float[] {0.6f, 0.3f, 0.1f}, new float[3], 2));
		ResultsTable rt = ResultsTables.classification(new ClassificationRun("src", preds, "m", "abc", "cpu", List.of()));
		assertEquals(ResultColumns.header(classes), headings(rt));
		assertEquals(List.of("p_no_tumor", "p_glioma_grade_2", "p_x"), headings(rt).subList(4, 7));
		assertEquals(2, rt.size());
		assertEquals("x", rt.getStringValue("predicted", 0));
		assertEquals(0.6, rt.getValue("p_no_tumor", 1), 1e-6);
	}

	@Test
	void uncertaintyColumnsWithUnknownFlagAsNaN() {
		List<String> classes = List.of("a", "b");
		List<Prediction> preds = new ArrayList<>();
		var known = new org.medcnn.core.uncertainty.UncertaintyEstimate(4, 0.5, 0.4, 0.1, 0.05, 1);
		var unknown = new org.medcnn.core.uncertainty.UncertaintyEstimate(4, 0.2, 0.2, 0.0, 0.01, -1);
		preds.add(new Prediction(1, "", 0, classes, new float[] {0.8f, 0.2f}, new float[2], 2, known));
		preds.add(new Prediction(2, "", 0, classes, new float[] {0.9f, 0.1f}, new float[2], 2, unknown));
		ResultsTable rt = ResultsTables.classification(new ClassificationRun("src", preds, "m", "abc", "cpu", List.of(),
			org.medcnn.core.uncertainty.UncertaintyMode.TTA));
		assertEquals(ResultColumns.header(classes, true), headings(rt));
		assertEquals(0.5, rt.getValue("entropy", 0), 1e-6);
		assertEquals(0.1, rt.getValue("mutual_information", 0), 1e-6);
		assertEquals(0.05, rt.getValue("std_top", 0), 1e-6);
		assertEquals(1, rt.getValue("uncertain", 0), 0);
		assertTrue(Double.isNaN(rt.getValue("uncertain", 1)));
	}

	@Test
	void emptyRunGivesEmptyTable() {
		ResultsTable rt = ResultsTables.classification(new ClassificationRun("src", List.of(), "m", "abc", "cpu", List.of()));
		assertEquals(0, rt.size());
	}

	private static List<String> headings(ResultsTable rt) {
		List<String> h = new ArrayList<>(Arrays.asList(rt.getHeadings()));
		// Some ImageJ versions list the (hidden) row-number column as " ".
		h.removeIf(s -> s.isBlank());
		return h;
	}
}
