package org.medcnn.core.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.uncertainty.UncertaintyEstimate;
import org.medcnn.core.uncertainty.UncertaintyMode;

/**
 * The columns of a classification result, the same in the ResultsTable, the CSV and the batch output:
 * source, slice, slice_label, predicted, one {@code p_<class>} per class, confidence, then (only when an
 * uncertainty mode is on) entropy, mutual_information, std_top, uncertain, then ood_score,
 * out_of_distribution (always; empty when the model has no detector), then model, model_sha256, device, ms.
 */
public final class ResultColumns {

	private ResultColumns() {}

	/**
	 * Returns the column names for a model's classes.
	 *
	 * @param classes class names in output order
	 * @return the column names, in order
	 */
	public static List<String> header(List<String> classes) {
		return header(classes, false);
	}

	/** The uncertainty columns, in order. */
	public static final List<String> UNCERTAINTY = List.of("entropy", "mutual_information", "std_top", "uncertain");

	/** The out-of-distribution columns, in order: always present, empty when the model has no detector. */
	public static final List<String> OOD = List.of("ood_score", "out_of_distribution");

	/**
	 * Returns the column names for a model's classes, with or without the uncertainty columns.
	 *
	 * @param classes class names in output order
	 * @param uncertainty whether the run estimated uncertainty
	 * @return the column names, in order
	 */
	public static List<String> header(List<String> classes, boolean uncertainty) {
		List<String> h = new ArrayList<>(List.of("source", "slice", "slice_label", "predicted"));
		for (String c : classes) h.add(probabilityColumn(c));
		h.add("confidence");
		if (uncertainty) h.addAll(UNCERTAINTY);
		h.addAll(OOD);
		h.addAll(List.of("model", "model_sha256", "device", "ms"));
		return h;
	}

	/**
	 * Returns the column names of a run.
	 *
	 * @param run the run
	 * @param classes the classes, used when the run has no predictions
	 * @return the column names
	 */
	public static List<String> header(ClassificationRun run, List<String> classes) {
		return header(run.predictions().isEmpty() ? classes : run.predictions().get(0).classes(), run.uncertainty() != UncertaintyMode.NONE);
	}

	/**
	 * Returns the probability column of a class: {@code p_} plus the class name with characters other
	 * than letters, digits and '_' replaced by '_'.
	 *
	 * @param className the class name
	 * @return the column name
	 */
	public static String probabilityColumn(String className) {
		return "p_" + ModelCard.safeName(className);
	}

	/**
	 * Returns the values of one row, matching {@link #header(List)}: strings for text columns,
	 * {@link Number}s for numeric ones.
	 *
	 * @param run the run
	 * @param p one of its predictions
	 * @return the values
	 */
	public static List<Object> row(ClassificationRun run, Prediction p) {
		List<Object> r = new ArrayList<>(List.of(run.source(), p.slice(), p.label(), p.predicted()));
		for (float v : p.probabilities()) r.add(v);
		r.add(p.confidence());
		if (run.uncertainty() != UncertaintyMode.NONE) {
			UncertaintyEstimate u = p.uncertainty();
			if (u == null) throw new IllegalStateException("slice " + p.slice() + " of " + run.source() + " has no uncertainty estimate");
			r.add((float) u.entropy());
			r.add((float) u.mutualInformation());
			r.add((float) u.stdTop());
			// 1 uncertain, 0 not, NaN (empty in text) when no threshold is known.
			r.add(u.uncertain() < 0 ? (Object) Double.NaN : Integer.valueOf(u.uncertain()));
		}
		// The score as a float (6 decimals in text), the flag 1/0; both empty without a detector.
		r.add((float) p.oodScore());
		r.add(p.outOfDistribution() < 0 ? (Object) Double.NaN : Integer.valueOf(p.outOfDistribution()));
		r.add(run.modelId());
		r.add(run.modelSha());
		r.add(run.device());
		r.add(Math.round(p.millis() * 1000) / 1000.0);
		return r;
	}

	/**
	 * Formats a value for text output: floats with 6 decimals, doubles with 3, NaN as an empty cell,
	 * others as is.
	 *
	 * @param v the value
	 * @return text
	 */
	public static String format(Object v) {
		if (v instanceof Float f) return f.isNaN() ? "" : String.format(Locale.ROOT, "%.6f", f);
		if (v instanceof Double d) return d.isNaN() ? "" : String.format(Locale.ROOT, "%.3f", d);
		return String.valueOf(v);
	}
}
