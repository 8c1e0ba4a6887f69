package org.medcnn.io;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medcnn.core.eval.BinaryMetrics;
import org.medcnn.core.eval.Estimate;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.eval.Metrics;

/**
 * Evaluations as console text: every metric with its 95 % interval, {@code n/a} where undefined, the
 * classes each average runs over, and the confusion matrix as a table with the class names on both axes.
 */
public final class EvaluationText {

	private EvaluationText() {}

	/**
	 * Formats metrics.
	 *
	 * @param m the metrics
	 * @param heading e.g. {@code test}
	 * @return several lines
	 */
	public static String metrics(Metrics m, String heading) {
		StringBuilder sb = new StringBuilder();
		sb.append(String.format(Locale.ROOT, "%s (%d slices): accuracy %s, balanced accuracy %s, macro F1 %s, macro AUC %s, ECE %s%n", heading, m.count(),
			est(m.estimate("accuracy")), est(m.estimate("balanced_accuracy")), est(m.estimate("macro_f1")), est(m.estimate("macro_roc_auc")),
			est(m.estimate("ece"))));
		List<String> over = m.averagedOver("macro_f1");
		if (over.size() < m.classes().size()) {
			sb.append("  balanced accuracy and macro F1 over ").append(over.size()).append(" of ").append(m.classes().size()).append(" classes (")
				.append(String.join(", ", over)).append("); the others have no images\n");
		}
		int w = 12;
		for (String c : m.classes()) w = Math.max(w, c.length());
		Estimate[] p = m.precisionEstimates();
		Estimate[] r = m.recallEstimates();
		Estimate[] f = m.f1Estimates();
		Estimate[] a = m.rocAucEstimates();
		for (int k = 0; k < m.classes().size(); k++) {
			sb.append(String.format(Locale.ROOT, "  %-" + w + "s images %5d  precision %-24s recall %-24s F1 %-24s AUC %s%n", m.classes().get(k), m.support()[k],
				est(p[k]), est(r[k]), est(f[k]), est(a[k])));
		}
		sb.append(confusion(m));
		return sb.toString();
	}

	/**
	 * The confusion matrix as an aligned table, rows true classes, columns predicted classes.
	 *
	 * @param m the metrics
	 * @return several lines
	 */
	public static String confusion(Metrics m) {
		List<String> classes = m.classes();
		long[][] c = m.confusion();
		int w = "true \\ predicted".length();
		for (String k : classes) w = Math.max(w, k.length());
		int cw = 6;
		for (String k : classes) cw = Math.max(cw, k.length());
		for (long[] row : c) for (long v : row) cw = Math.max(cw, Long.toString(v).length());
		StringBuilder sb = new StringBuilder("  confusion matrix:\n");
		sb.append("    ").append(String.format(Locale.ROOT, "%-" + w + "s", "true \\ predicted"));
		for (String k : classes) sb.append("  ").append(String.format(Locale.ROOT, "%" + cw + "s", k));
		sb.append('\n');
		for (int i = 0; i < classes.size(); i++) {
			sb.append("    ").append(String.format(Locale.ROOT, "%-" + w + "s", classes.get(i)));
			for (long v : c[i]) sb.append("  ").append(String.format(Locale.ROOT, "%" + cw + "d", v));
			sb.append('\n');
		}
		return sb.toString();
	}

	/**
	 * Formats the flags of an evaluation: with an uncertainty mode, the count, share and accuracy of the
	 * slices flagged uncertain and the accuracy of the others; with a detector, the same for the
	 * out-of-distribution flag.
	 *
	 * @param ev the evaluation
	 * @param model the model id, for the line that says why out of distribution was not checked
	 * @return lines
	 */
	public static String flags(Evaluator.Evaluation ev, String model) {
		StringBuilder sb = new StringBuilder();
		Map<String, Estimate> s = ev.summaryEstimates();
		int n = ev.rows().size();
		sb.append(String.format(Locale.ROOT, "  ECE with temperature 1 %s; risk-coverage AURC %s (ranked by %s), accuracy of the most confident 80 %%: %.4f%n",
			est(s.get("ece_uncalibrated")), est(s.get("aurc")), ev.riskCoverage().score(), ev.riskCoverage().accuracyAt(0.8)));
		if (s.containsKey("coverage_unflagged")) {
			Estimate kept = s.get("coverage_unflagged");
			if (Double.isNaN(ev.flagThreshold())) {
				sb.append("  uncertainty ").append(ev.uncertainty().key()).append(": no flag threshold (give one, or calibrate the model with calibrate-uncertainty)\n");
			} else {
				Estimate share = new Estimate(1 - kept.value(), 1 - kept.high(), 1 - kept.low());
				sb.append(String.format(Locale.ROOT, "  uncertainty %s (threshold %.4f nats): %d of %d slices flagged uncertain, share %s; accuracy of the flagged %s, "
					+ "of the others %s%n", ev.uncertainty().key(), ev.flagThreshold(), Math.round(s.get("uncertain_slices").value()), n, est(share),
					est(s.get("accuracy_uncertain")), est(s.get("accuracy_unflagged"))));
			}
		}
		if (s.containsKey("ood_flagged_share")) {
			sb.append(String.format(Locale.ROOT, "  out of distribution: %d of %d slices flagged, share %s; accuracy of the kept %s, of the flagged %s%n",
				Math.round(s.get("ood_flagged_slices").value()), Math.round(s.get("ood_scored_slices").value()), est(s.get("ood_flagged_share")),
				est(s.get("accuracy_ood_kept")), s.get("accuracy_ood_flagged").defined() ? est(s.get("accuracy_ood_flagged")) : "n/a (none flagged)"));
		} else {
			sb.append("  out of distribution: not checked (").append(model).append(" has no detector; add one with medcnn fit-ood)\n");
		}
		return sb.toString();
	}

	/**
	 * Formats a binary report.
	 *
	 * @param b the report
	 * @return lines
	 */
	public static String binary(BinaryMetrics b) {
		return String.format(Locale.ROOT, "  binary %s: sensitivity %s, specificity %s, PPV %s, NPV %s, AUC %s (TP %d, FP %d, TN %d, FN %d)%n", b.describe(),
			est(b.sensitivity()), est(b.specificity()), est(b.ppv()), est(b.npv()), est(b.rocAuc()), b.truePositives(), b.falsePositives(), b.trueNegatives(),
			b.falseNegatives());
	}

	/**
	 * An estimate as {@code 0.9120 [0.8900, 0.9310]}.
	 *
	 * @param e the estimate, may be null
	 * @return the text, {@code n/a} when undefined
	 */
	public static String est(Estimate e) {
		if (e == null || !e.defined()) return "n/a";
		if (!e.hasInterval()) return String.format(Locale.ROOT, "%.4f", e.value());
		return String.format(Locale.ROOT, "%.4f [%.4f, %.4f]", e.value(), e.low(), e.high());
	}
}
