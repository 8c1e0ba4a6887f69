package org.medcnn.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.medcnn.core.eval.Estimate;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.uncertainty.RiskCoverage;
import org.medcnn.core.uncertainty.UncertaintyMode;

/**
 * Writes an evaluation as CSV files: {@code metrics.csv} (per class, then overall rows),
 * {@code confusion.csv}, {@code predictions.csv} (per image, with uncertainty columns when a mode was
 * on), {@code reliability.csv} and {@code risk_coverage.csv}.
 */
public final class EvaluationOutputs {

	private EvaluationOutputs() {}

	/** The CSV files {@link #write} writes. */
	public static final List<String> FILES = List.of("metrics.csv", "confusion.csv", "predictions.csv", "reliability.csv", "risk_coverage.csv");

	/**
	 * Writes the five CSV files into a folder. Without {@code overwrite}, nothing is written when any of
	 * them exists.
	 *
	 * @param ev the evaluation
	 * @param dir the folder (created if needed)
	 * @param overwrite whether existing files may be replaced
	 * @throws IOException if a file exists (and overwrite is false) or cannot be written
	 */
	public static void write(Evaluator.Evaluation ev, Path dir, boolean overwrite) throws IOException {
		Files.createDirectories(dir);
		if (!overwrite) {
			List<String> existing = FILES.stream().filter(f -> Files.exists(dir.resolve(f))).toList();
			if (!existing.isEmpty()) {
				throw new IOException(dir + ": " + String.join(", ", existing) + (existing.size() == 1 ? " already exists" : " already exist")
					+ "; not overwritten (use --overwrite to replace them)");
			}
		}
		Metrics m = ev.metrics();
		List<String> classes = m.classes();
		text(dir.resolve("metrics.csv"), overwrite, metricsCsv(ev));
		StringBuilder c = new StringBuilder("true\\predicted");
		for (String k : classes) c.append(',').append(PredictionCsv.quote(k));
		c.append('\n');
		long[][] conf = m.confusion();
		for (int i = 0; i < classes.size(); i++) {
			c.append(PredictionCsv.quote(classes.get(i)));
			for (long v : conf[i]) c.append(',').append(v);
			c.append('\n');
		}
		text(dir.resolve("confusion.csv"), overwrite, c.toString());
		StringBuilder p = new StringBuilder("file,slice,truth,predicted,confidence");
		for (String k : classes) p.append(",p_").append(k);
		boolean u = ev.uncertainty() != UncertaintyMode.NONE;
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
		// both curves: the calibrated probabilities and the same with every temperature set to 1
		int[] truth = new int[ev.rows().size()];
		float[][] raw = new float[truth.length][];
		for (int i = 0; i < truth.length; i++) {
			truth[i] = ev.rows().get(i).truth();
			raw[i] = ev.rows().get(i).uncalibrated();
		}
		double[][] t1 = Metrics.reliability(truth, raw);
		StringBuilder rel = new StringBuilder("bin_low,bin_high,mean_confidence,accuracy,count,mean_confidence_t1,accuracy_t1,count_t1\n");
		double[][] cal = m.reliability();
		for (int b = 0; b < cal.length; b++) {
			double[] row = cal[b];
			rel.append(String.format(Locale.ROOT, "%.4f,%.4f,%s,%s,%d,%s,%s,%d%n", row[0], row[1], num(row[2]), num(row[3]), (long) row[4], num(t1[b][2]),
				num(t1[b][3]), (long) t1[b][4]));
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
	public static String riskCoverageCsv(RiskCoverage rc) {
		StringBuilder sb = new StringBuilder("kept,coverage,accuracy,risk,score_threshold\n");
		for (var pt : rc.points()) {
			sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f%n", pt.kept(), pt.coverage(), pt.accuracy(), 1 - pt.accuracy(), pt.threshold()));
		}
		return sb.toString();
	}

	/** The columns of {@code metrics.csv}. */
	public static final String METRICS_HEADER = "name,precision,recall,f1,support,roc_auc,value,ci95_low,ci95_high,precision_ci95_low,precision_ci95_high,"
		+ "recall_ci95_low,recall_ci95_high,f1_ci95_low,f1_ci95_high,roc_auc_ci95_low,roc_auc_ci95_high,over";

	/**
	 * Formats the metrics table of an evaluation: {@link #metricsCsv(Metrics)}, then the ECE with every
	 * temperature set to 1, the area under the risk-coverage curve, and, with an uncertainty mode or an
	 * out-of-distribution detector, the figures of their flags, each ratio with its interval.
	 *
	 * @param ev the evaluation
	 * @return CSV text
	 */
	public static String metricsCsv(Evaluator.Evaluation ev) {
		StringBuilder sb = new StringBuilder(metricsCsv(ev.metrics()));
		ev.summaryEstimates().forEach((name, e) -> overall(sb, name, e, ""));
		return sb.toString();
	}

	/**
	 * Formats the metrics table: one row per class (precision, recall, F1, support, ROC AUC, each with its
	 * 95 % interval; {@code n/a} where undefined), then accuracy, balanced accuracy, macro F1, macro AUC and
	 * ECE rows with their intervals and, for the averages, the classes they run over ({@code over}).
	 *
	 * @param m the metrics
	 * @return CSV text
	 */
	public static String metricsCsv(Metrics m) {
		StringBuilder sb = new StringBuilder(METRICS_HEADER).append('\n');
		Estimate[] p = m.precisionEstimates();
		Estimate[] r = m.recallEstimates();
		Estimate[] f = m.f1Estimates();
		Estimate[] a = m.rocAucEstimates();
		long[] support = m.support();
		for (int k = 0; k < m.classes().size(); k++) {
			sb.append(PredictionCsv.quote(m.classes().get(k))).append(',').append(na(p[k].value())).append(',').append(na(r[k].value())).append(',')
				.append(na(f[k].value())).append(',').append(support[k]).append(',').append(na(a[k].value())).append(",,,");
			for (Estimate e : new Estimate[] {p[k], r[k], f[k], a[k]}) sb.append(',').append(num(e.low())).append(',').append(num(e.high()));
			sb.append(",\n");
		}
		for (String name : List.of("accuracy", "balanced_accuracy", "macro_f1", "macro_roc_auc", "ece")) {
			String over = name.equals("accuracy") || name.equals("ece") ? "" : String.join(";", m.averagedOver(name));
			overall(sb, name, m.estimate(name), over);
		}
		overall(sb, "images", Estimate.of(m.count()), "");
		return sb.toString();
	}

	private static void overall(StringBuilder sb, String name, Estimate e, String over) {
		sb.append(name).append(",,,,,,").append(na(e.value())).append(',').append(num(e.low())).append(',').append(num(e.high())).append(",,,,,,,,,")
			.append(PredictionCsv.quote(over)).append('\n');
	}

	/** A value, {@code n/a} when undefined. */
	private static String na(double v) {
		return Double.isNaN(v) ? "n/a" : num(v);
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
