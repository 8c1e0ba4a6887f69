package org.medcnn.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.eval.Metrics;

/**
 * Writes an evaluation as CSV files: {@code metrics.csv} (per class, then overall rows),
 * {@code confusion.csv}, {@code predictions.csv} (per image, with uncertainty columns when a mode was
 * on), {@code reliability.csv} and {@code risk_coverage.csv}.
 */
public final class EvaluationOutputs {

	private EvaluationOutputs() {}

	/**
	 * Writes the five CSV files into a folder.
	 *
	 * @param ev the evaluation
	 * @param dir the folder (created if needed)
	 * @param overwrite whether existing files may be replaced
	 * @throws IOException if a file exists (and overwrite is false) or cannot be written
	 */
	public static void write(Evaluator.Evaluation ev, Path dir, boolean overwrite) throws IOException {
		Files.createDirectories(dir);
		Metrics m = ev.metrics();
		List<String> classes = m.classes();
		text(dir.resolve("metrics.csv"), overwrite, metricsCsv(ev));
		StringBuilder c = new StringBuilder("true\\predicted");
		for (String k : classes) c.append(',').append(k);
		c.append('\n');
		long[][] conf = m.confusion();
		for (int i = 0; i < classes.size(); i++) {
			c.append(classes.get(i));
			for (long v : conf[i]) c.append(',').append(v);
			c.append('\n');
		}
		text(dir.resolve("confusion.csv"), overwrite, c.toString());
		StringBuilder p = new StringBuilder("file,slice,truth,predicted,confidence");
		for (String k : classes) p.append(",p_").append(k);
		boolean u = ev.uncertainty() != org.medcnn.core.uncertainty.UncertaintyMode.NONE;
		if (u) p.append(",entropy,mutual_information,std_top,uncertain");
		p.append(",ood_score,out_of_distribution");
		p.append('\n');
		for (Evaluator.Row r : ev.rows()) {
			int pred = 0;
			for (int k = 1; k < classes.size(); k++) if (r.probabilities()[k] > r.probabilities()[pred]) pred = k;
			p.append(PredictionCsv.quote(r.file().toString())).append(',').append(r.slice()).append(',').append(classes.get(r.truth())).append(',')
				.append(classes.get(pred)).append(String.format(Locale.ROOT, ",%.6f", r.probabilities()[pred]));
			for (float v : r.probabilities()) p.append(String.format(Locale.ROOT, ",%.6f", v));
			if (u) {
				var e = r.uncertainty();
				p.append(String.format(Locale.ROOT, ",%.6f,%.6f,%.6f,%s", e.entropy(), e.mutualInformation(), e.stdTop(), e.uncertain() < 0 ? "" : e.uncertain()));
			}
			p.append(Double.isNaN(r.oodScore()) ? ",," : String.format(Locale.ROOT, ",%.6f,%d", r.oodScore(), r.outOfDistribution()));
			p.append('\n');
		}
		text(dir.resolve("predictions.csv"), overwrite, p.toString());
		StringBuilder rel = new StringBuilder("bin_low,bin_high,mean_confidence,accuracy,count\n");
		for (double[] row : m.reliability()) {
			rel.append(String.format(Locale.ROOT, "%.4f,%.4f,%s,%s,%d%n", row[0], row[1], num(row[2]), num(row[3]), (long) row[4]));
		}
		text(dir.resolve("reliability.csv"), overwrite, rel.toString());
		text(dir.resolve("risk_coverage.csv"), overwrite, riskCoverageCsv(ev.riskCoverage()));
	}

	/**
	 * Writes {@code ood.csv}: how the out-of-distribution score separates the evaluated slices from data
	 * known to be foreign to the model.
	 *
	 * @param ev the evaluation of the model's own data
	 * @param foreign the foreign data's figures
	 * @param foreignDir the foreign data folder
	 * @param dir the output folder
	 * @param overwrite whether an existing file may be replaced
	 * @throws IOException if the file exists (and overwrite is false) or cannot be written
	 */
	public static void writeForeign(Evaluator.Evaluation ev, Evaluator.ForeignOod foreign, Path foreignDir, Path dir, boolean overwrite) throws IOException {
		StringBuilder sb = new StringBuilder("data,slices,flagged_slices,flagged_share,auroc_vs_evaluated\n");
		sb.append(String.format(Locale.ROOT, "evaluated,%d,%d,%.6f,%n", ev.oodScored(), ev.oodFlagged(), ev.oodScored() == 0 ? Double.NaN : ev.oodFlagged()
			/ (double) ev.oodScored()));
		sb.append(String.format(Locale.ROOT, "%s,%d,%d,%.6f,%.6f%n", PredictionCsv.quote(foreignDir.toString()), foreign.slices(),
			Math.round(foreign.flagged() * foreign.slices()), foreign.flagged(), foreign.auroc()));
		text(dir.resolve("ood.csv"), overwrite, sb.toString());
	}

	/**
	 * Formats the risk-coverage curve: one row per point, by increasing coverage.
	 *
	 * @param rc the curve
	 * @return CSV text
	 */
	public static String riskCoverageCsv(org.medcnn.core.uncertainty.RiskCoverage rc) {
		StringBuilder sb = new StringBuilder("kept,coverage,accuracy,risk,score_threshold\n");
		for (var pt : rc.points()) {
			sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f%n", pt.kept(), pt.coverage(), pt.accuracy(), 1 - pt.accuracy(), pt.threshold()));
		}
		return sb.toString();
	}

	/**
	 * Formats the metrics table of an evaluation: {@link #metricsCsv(Metrics)}, then the ECE with every
	 * temperature set to 1, the area under the risk-coverage curve, and, with an uncertainty mode, the
	 * flag threshold with the coverage and accuracy of the unflagged slices.
	 *
	 * @param ev the evaluation
	 * @return CSV text
	 */
	public static String metricsCsv(Evaluator.Evaluation ev) {
		StringBuilder sb = new StringBuilder(metricsCsv(ev.metrics()));
		ev.summary().forEach((name, v) -> overall(sb, name, v, null));
		return sb.toString();
	}

	/**
	 * Formats the metrics table: one row per class, then accuracy, balanced accuracy, macro F1, macro
	 * AUC and ECE rows (with 95 % intervals where computed).
	 *
	 * @param m the metrics
	 * @return CSV text
	 */
	public static String metricsCsv(Metrics m) {
		StringBuilder sb = new StringBuilder("name,precision,recall,f1,support,roc_auc,value,ci95_low,ci95_high\n");
		for (Object[] row : m.table()) {
			sb.append(row[0]);
			for (int i = 1; i < row.length; i++) sb.append(',').append(num((Double) row[i]));
			sb.append(",,,\n");
		}
		overall(sb, "accuracy", m.accuracy(), m.accuracyCi());
		overall(sb, "balanced_accuracy", m.balancedAccuracy(), null);
		overall(sb, "macro_f1", m.macroF1(), m.macroF1Ci());
		overall(sb, "macro_roc_auc", m.macroRocAuc(), null);
		overall(sb, "ece", m.ece(), m.eceCi());
		overall(sb, "images", m.count(), null);
		return sb.toString();
	}

	private static void overall(StringBuilder sb, String name, double v, double[] ci) {
		sb.append(name).append(",,,,,,").append(num(v)).append(',').append(ci == null ? "" : num(ci[0])).append(',').append(ci == null ? "" : num(ci[1])).append('\n');
	}

	private static String num(double v) {
		if (Double.isNaN(v)) return "";
		if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
		return String.format(Locale.ROOT, "%.6f", v);
	}

	private static void text(Path p, boolean overwrite, String s) throws IOException {
		AtomicFiles.write(p, overwrite, tmp -> Files.writeString(tmp, s, StandardCharsets.UTF_8));
	}
}
