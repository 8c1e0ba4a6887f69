package org.medcnn.io;

import ij.ImagePlus;
import ij.io.FileSaver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medcnn.core.eval.BinaryMetrics;
import org.medcnn.core.eval.Bootstrap;
import org.medcnn.core.eval.Estimate;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.eval.LabelMap;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.train.EpochRecord;
import org.medcnn.ij.EvaluationFigures;

/**
 * Writes an evaluation that a person can look at: {@code report.html} (self-contained: its figures are
 * embedded, so the one file can be mailed or archived) with the summary table, every metric with its
 * interval, the binary report, the flags and the figures; the figures also as PNG files
 * ({@code confusion.png}, {@code reliability.png}, {@code roc.png}, {@code risk_coverage.png},
 * {@code flags.png} with an uncertainty mode or an out-of-distribution detector, {@code training.png}
 * when the model's package has its training history); and {@code binary.csv} with a binary report.
 * Every file is written atomically; an existing one is replaced only when asked.
 */
public final class EvaluationReport {

	/** The report file name. */
	public static final String HTML = "report.html";

	private EvaluationReport() {}

	/**
	 * What the report says about where the evaluation came from.
	 *
	 * @param model the model id (several, comma-separated, for an ensemble of packages)
	 * @param version the model version, or null
	 * @param sha the model's short SHA-256
	 * @param data the data evaluated (a folder or a CSV, with its part)
	 * @param labels the label map's result, or null when none was given
	 * @param positives the positive classes of the binary report; empty for none
	 * @param history the model's training history (its package's {@code training_history.csv}), or null
	 * @param foreign the out-of-distribution figures of foreign data, or null
	 * @param foreignData the foreign data folder, or null
	 */
	public record Context(String model, String version, String sha, String data, LabelMap.Result labels, List<String> positives,
		List<EpochRecord> history, Evaluator.ForeignOod foreign, Path foreignData) {

		/**
		 * Validates.
		 *
		 * @param model the model id
		 * @param version the model version
		 * @param sha the short SHA-256
		 * @param data the data
		 * @param labels the label map's result
		 * @param positives the positive classes
		 * @param history the training history
		 * @param foreign foreign data figures
		 * @param foreignData the foreign data folder
		 */
		public Context {
			positives = positives == null ? List.of() : List.copyOf(positives);
		}
	}

	/**
	 * The names of the files {@link #write} writes, so that a front-end can refuse outputs that exist
	 * before it computes anything.
	 *
	 * @param ev the evaluation
	 * @param ctx the context
	 * @return the file names
	 */
	public static List<String> files(Evaluator.Evaluation ev, Context ctx) {
		List<String> out = new ArrayList<>(List.of(HTML, "confusion.png", "reliability.png", "roc.png", "risk_coverage.png"));
		Map<String, Estimate> s = ev.summaryEstimates();
		boolean uncertain = s.containsKey("coverage_unflagged") && !Double.isNaN(s.get("coverage_unflagged").value());
		if (uncertain || s.containsKey("ood_flagged_share")) out.add("flags.png");
		if (ctx.history() != null && !ctx.history().isEmpty()) out.add("training.png");
		if (!ctx.positives().isEmpty()) out.add("binary.csv");
		return out;
	}

	/**
	 * The names of the files {@link #write} may write for any evaluation (to check before it runs).
	 *
	 * @param positives whether a binary report is asked for
	 * @return the names
	 */
	public static List<String> possibleFiles(boolean positives) {
		List<String> out = new ArrayList<>(List.of(HTML, "confusion.png", "reliability.png", "roc.png", "risk_coverage.png", "flags.png", "training.png"));
		if (positives) out.add("binary.csv");
		return out;
	}

	/**
	 * Reads a package's {@code training_history.csv}.
	 *
	 * @param csv the file
	 * @return the epochs, or null when the file is absent or not a history MedCNN wrote
	 */
	public static List<EpochRecord> readHistory(Path csv) {
		if (!Files.isRegularFile(csv)) return null;
		try {
			if (Files.size(csv) > (4L << 20)) return null;
			List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
			if (lines.isEmpty() || !lines.get(0).startsWith("phase,epoch,train_loss,train_accuracy,validation_loss,validation_accuracy")) return null;
			List<EpochRecord> out = new ArrayList<>();
			for (String line : lines.subList(1, lines.size())) {
				if (line.isBlank()) continue;
				String[] c = line.split(",");
				out.add(new EpochRecord(c[0], Integer.parseInt(c[1]), Double.parseDouble(c[2]), Double.parseDouble(c[3]), Double.parseDouble(c[4]),
					Double.parseDouble(c[5]), c.length > 6 ? Double.parseDouble(c[6]) : 0, c.length > 7 && Boolean.parseBoolean(c[7])));
			}
			return out;
		} catch (IOException | RuntimeException e) {
			return null;
		}
	}

	/**
	 * Writes the report, its figures and (with positives) {@code binary.csv} into a folder.
	 *
	 * @param ev the evaluation
	 * @param ctx where it came from
	 * @param dir the folder (created if needed)
	 * @param overwrite whether existing files may be replaced
	 * @return the files written
	 * @throws IOException if a file exists (and overwrite is false; then nothing is written) or cannot be written
	 * @throws IllegalArgumentException if a positive class is not a class of the model
	 */
	public static List<Path> write(Evaluator.Evaluation ev, Context ctx, Path dir, boolean overwrite) throws IOException {
		Files.createDirectories(dir);
		BinaryMetrics binary = ctx.positives().isEmpty() ? null : ev.metrics().binary(ctx.positives());
		Map<String, ImagePlus> figures = EvaluationFigures.all(ev, ctx.model(), ctx.history());
		List<String> names = files(ev, ctx);
		for (String stem : figures.keySet()) {
			if (!names.contains(stem + ".png")) throw new IllegalStateException("figure " + stem + " is missing from the report's file list " + names);
		}
		if (!overwrite) {
			List<String> existing = names.stream().filter(f -> Files.exists(dir.resolve(f))).toList();
			if (!existing.isEmpty()) {
				throw new IOException(dir + ": " + String.join(", ", existing) + " already exist" + (existing.size() == 1 ? "s" : "")
					+ "; not overwritten (use --overwrite to replace them)");
			}
		}
		List<Path> written = new ArrayList<>();
		Map<String, byte[]> png = new java.util.LinkedHashMap<>();
		for (Map.Entry<String, ImagePlus> f : figures.entrySet()) {
			Path target = dir.resolve(f.getKey() + ".png");
			AtomicFiles.write(target, overwrite, tmp -> {
				if (!new FileSaver(f.getValue()).saveAsPng(tmp.toString())) throw new IOException(tmp + ": cannot be written");
			});
			png.put(f.getKey(), Files.readAllBytes(target));
			written.add(target);
		}
		if (binary != null) {
			Path target = dir.resolve("binary.csv");
			String csv = binaryCsv(binary);
			AtomicFiles.write(target, overwrite, tmp -> Files.writeString(tmp, csv, StandardCharsets.UTF_8));
			written.add(target);
		}
		Path html = dir.resolve(HTML);
		String text = html(ev, ctx, binary, png);
		AtomicFiles.write(html, overwrite, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
		written.add(0, html);
		return written;
	}

	/**
	 * Formats a binary report as CSV: one row per ratio with its interval, then the counts.
	 *
	 * @param b the report
	 * @return CSV text
	 */
	public static String binaryCsv(BinaryMetrics b) {
		StringBuilder sb = new StringBuilder("metric,value,ci95_low,ci95_high,positive,negative\n");
		String pos = PredictionCsv.quote(String.join("+", b.positives()));
		String neg = PredictionCsv.quote(String.join("+", b.negatives()));
		for (int i = 0; i < BinaryMetrics.NAMES.size(); i++) {
			Estimate e = b.estimates().get(i);
			sb.append(BinaryMetrics.NAMES.get(i)).append(',').append(cell(e.value())).append(',').append(cell(e.low())).append(',').append(cell(e.high()))
				.append(',').append(pos).append(',').append(neg).append('\n');
		}
		sb.append("true_positives,").append(b.truePositives()).append(",,,").append(pos).append(',').append(neg).append('\n');
		sb.append("false_positives,").append(b.falsePositives()).append(",,,").append(pos).append(',').append(neg).append('\n');
		sb.append("true_negatives,").append(b.trueNegatives()).append(",,,").append(pos).append(',').append(neg).append('\n');
		sb.append("false_negatives,").append(b.falseNegatives()).append(",,,").append(pos).append(',').append(neg).append('\n');
		return sb.toString();
	}

	/** A CSV cell: {@code n/a} for NaN. */
	static String cell(double v) {
		if (Double.isNaN(v)) return "n/a";
		if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
		return String.format(Locale.ROOT, "%.6f", v);
	}

	/** Labels of the summary rows. */
	private static final Map<String, String> LABELS = Map.ofEntries(Map.entry("accuracy", "accuracy"), Map.entry("balanced_accuracy", "balanced accuracy"),
		Map.entry("macro_f1", "macro F1"), Map.entry("macro_roc_auc", "macro ROC AUC (one vs rest)"), Map.entry("ece", "ECE, calibrated (15 bins)"),
		Map.entry("ece_uncalibrated", "ECE, temperature 1"), Map.entry("aurc", "area under the risk-coverage curve (lower is better)"),
		Map.entry("coverage_unflagged", "share of slices not flagged uncertain"), Map.entry("accuracy_unflagged", "accuracy of the slices not flagged uncertain"),
		Map.entry("accuracy_uncertain", "accuracy of the slices flagged uncertain"), Map.entry("ood_flagged_share", "share of slices flagged out of distribution"),
		Map.entry("accuracy_ood_kept", "accuracy of the slices inside the training data"),
		Map.entry("accuracy_ood_flagged", "accuracy of the slices flagged out of distribution"),
		Map.entry("uncertain_threshold_nats", "uncertain flag threshold (predictive entropy, nats)"), Map.entry("uncertain_slices", "slices flagged uncertain"),
		Map.entry("ood_scored_slices", "slices with an out-of-distribution score"), Map.entry("ood_flagged_slices", "slices flagged out of distribution"));

	static String html(Evaluator.Evaluation ev, Context ctx, BinaryMetrics binary, Map<String, byte[]> png) {
		Metrics m = ev.metrics();
		StringBuilder h = new StringBuilder();
		h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evaluation of ").append(esc(ctx.model())).append("</title>\n");
		h.append("<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
			+ "td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}th{background:#eee}td.l,th.l{text-align:left}.na{color:#888}"
			+ "img{max-width:100%;border:1px solid #ddd;margin:.5em 0}.note{color:#555;font-size:90%}</style></head><body>\n");
		h.append("<h1>Evaluation of ").append(esc(ctx.model())).append("</h1>\n");
		h.append("<table>");
		row(h, "model", ctx.model() + (ctx.version() == null ? "" : " " + ctx.version()) + " (sha256 " + ctx.sha() + ")");
		row(h, "data", ctx.data());
		row(h, "slices evaluated", m.count() + " (" + files(ev) + " files)");
		if (!ev.skipped().isEmpty()) row(h, "unreadable files skipped", Integer.toString(ev.skipped().size()));
		if (ctx.labels() != null) {
			StringBuilder lm = new StringBuilder();
			ctx.labels().mapping().forEach((k, v) -> lm.append(lm.length() == 0 ? "" : ", ").append(k).append(" → ").append(v.equals(LabelMap.LEAVE_OUT) ? "left out" : v));
			row(h, "label map", lm.toString());
			if (!ctx.labels().leftOut().isEmpty()) row(h, "left out by the label map", ctx.labels().leftOut().toString() + " files");
		}
		row(h, "uncertainty mode", ev.uncertainty().key());
		row(h, "intervals", Bootstrap.METHOD + "; " + m.resamples() + " resamples, seed " + m.seed());
		row(h, "written by", "MedCNN " + version());
		h.append("</table>\n");

		h.append("<h2>Summary</h2>\n<table><tr><th class=\"l\">metric</th><th>value</th><th>95 % interval</th><th class=\"l\">over</th></tr>\n");
		for (Map.Entry<String, Estimate> e : m.overall().entrySet()) {
			if (ev.summaryEstimates().containsKey(e.getKey())) continue; // listed with the flags below
			String over = "";
			if (e.getKey().equals("balanced_accuracy") || e.getKey().equals("macro_f1") || e.getKey().equals("macro_roc_auc")) {
				List<String> cls = m.averagedOver(e.getKey());
				over = cls.size() + " of " + m.classes().size() + " classes: " + String.join(", ", cls);
			} else {
				over = "all " + m.count() + " slices";
			}
			estimateRow(h, LABELS.getOrDefault(e.getKey(), e.getKey()), e.getValue(), over);
		}
		for (Map.Entry<String, Estimate> e : ev.summaryEstimates().entrySet()) {
			if (e.getKey().startsWith("ood_") || e.getKey().contains("uncertain") || e.getKey().contains("unflagged") || e.getKey().startsWith("accuracy_ood")) continue;
			estimateRow(h, LABELS.getOrDefault(e.getKey(), e.getKey()), e.getValue(), "all " + m.count() + " slices");
		}
		h.append("</table>\n");

		h.append("<h2>Per class</h2>\n<table><tr><th class=\"l\">class</th><th>images</th><th>precision</th><th>recall</th><th>F1</th><th>ROC AUC</th></tr>\n");
		Estimate[] p = m.precisionEstimates();
		Estimate[] r = m.recallEstimates();
		Estimate[] f = m.f1Estimates();
		Estimate[] a = m.rocAucEstimates();
		long[] support = m.support();
		for (int k = 0; k < m.classes().size(); k++) {
			h.append("<tr><td class=\"l\">").append(esc(m.classes().get(k))).append("</td><td>").append(support[k]).append("</td>");
			for (Estimate e : new Estimate[] {p[k], r[k], f[k], a[k]}) h.append("<td>").append(estHtml(e)).append("</td>");
			h.append("</tr>\n");
		}
		h.append("</table>\n<p class=\"note\">n/a: undefined (recall, F1 and AUC of a class without images; precision of a class never predicted). "
			+ "Each value is followed by its 95 % interval.</p>\n");

		if (binary != null) {
			h.append("<h2>Binary report: ").append(esc(binary.describe())).append("</h2>\n");
			h.append("<p class=\"note\">A slice is called positive when its predicted class is one of ").append(esc(String.join(", ", binary.positives())))
				.append("; the ROC AUC ranks slices by the summed probability of those classes.</p>\n");
			h.append("<table><tr><th class=\"l\">metric</th><th>value</th><th>95 % interval</th></tr>\n");
			String[] labels = {"sensitivity (recall of the positives)", "specificity", "positive predictive value (PPV)", "negative predictive value (NPV)",
				"accuracy", "ROC AUC"};
			for (int i = 0; i < labels.length; i++) estimateRow(h, labels[i], binary.estimates().get(i), null);
			h.append("</table>\n<table><tr><th></th><th>called positive</th><th>called negative</th></tr>\n");
			h.append("<tr><th class=\"l\">truly positive</th><td>").append(binary.truePositives()).append("</td><td>").append(binary.falseNegatives()).append("</td></tr>\n");
			h.append("<tr><th class=\"l\">truly negative</th><td>").append(binary.falsePositives()).append("</td><td>").append(binary.trueNegatives()).append("</td></tr>\n");
			h.append("</table>\n");
		}

		h.append("<h2>Confusion matrix</h2>\n");
		confusionTable(h, m, false);
		confusionTable(h, m, true);
		figure(h, png, "confusion", "Confusion matrix: counts and row-normalised");

		Map<String, Estimate> s = ev.summaryEstimates();
		if (s.containsKey("coverage_unflagged") || s.containsKey("ood_flagged_share")) {
			h.append("<h2>Flagged slices</h2>\n<table><tr><th class=\"l\">flag</th><th>slices flagged</th><th>share flagged</th><th>accuracy kept</th>"
				+ "<th>accuracy flagged</th></tr>\n");
			if (s.containsKey("coverage_unflagged")) {
				Estimate kept = s.get("coverage_unflagged");
				Estimate share = kept.defined() ? new Estimate(1 - kept.value(), 1 - kept.high(), 1 - kept.low()) : kept;
				h.append("<tr><td class=\"l\">uncertain (").append(esc(ev.uncertainty().key())).append(", threshold ")
					.append(Double.isNaN(ev.flagThreshold()) ? "unknown" : String.format(Locale.ROOT, "%.4f nats", ev.flagThreshold())).append(")</td><td>")
					.append(Math.round(s.get("uncertain_slices").value())).append(" of ").append(m.count()).append("</td><td>").append(estHtml(share))
					.append("</td><td>").append(estHtml(s.get("accuracy_unflagged"))).append("</td><td>").append(estHtml(s.get("accuracy_uncertain"))).append("</td></tr>\n");
			}
			if (s.containsKey("ood_flagged_share")) {
				h.append("<tr><td class=\"l\">out of distribution</td><td>").append(Math.round(s.get("ood_flagged_slices").value())).append(" of ")
					.append(Math.round(s.get("ood_scored_slices").value())).append("</td><td>").append(estHtml(s.get("ood_flagged_share"))).append("</td><td>")
					.append(estHtml(s.get("accuracy_ood_kept"))).append("</td><td>").append(estHtml(s.get("accuracy_ood_flagged"))).append("</td></tr>\n");
			}
			h.append("</table>\n");
			figure(h, png, "flags", "Share of slices flagged, accuracy of the kept and of the flagged slices");
		} else {
			h.append("<h2>Flagged slices</h2>\n<p>No flags: no uncertainty mode, and the model has no out-of-distribution detector.</p>\n");
		}
		if (!s.containsKey("coverage_unflagged")) {
			h.append("<p class=\"note\">Uncertainty: not estimated (no uncertainty mode; give --uncertainty tta, mc_dropout or ensemble).</p>\n");
		}
		if (!s.containsKey("ood_flagged_share")) {
			h.append("<p class=\"note\">Out of distribution: not checked (").append(esc(ctx.model())).append(" has no detector; add one with medcnn fit-ood).</p>\n");
		}
		if (ctx.foreign() != null) {
			Evaluator.ForeignOod fo = ctx.foreign();
			h.append("<p>Foreign data ").append(esc(String.valueOf(ctx.foreignData()))).append(": ").append(Math.round(fo.flagged() * fo.slices())).append(" of ")
				.append(fo.slices()).append(String.format(Locale.ROOT, " slices flagged (%.1f %%), AUROC of ood_score against the evaluated slices %.4f", 100 * fo.flagged(),
					fo.auroc())).append("</p>\n");
		}

		h.append("<h2>Calibration</h2>\n");
		figure(h, png, "reliability", "Reliability diagram: calibrated probabilities and temperature 1");
		h.append("<h2>ROC curves</h2>\n");
		figure(h, png, "roc", "ROC curve of each class against the rest");
		h.append("<h2>Risk-coverage</h2>\n");
		figure(h, png, "risk_coverage", "Accuracy of the most confident slices against the share kept");
		if (png.containsKey("training")) {
			h.append("<h2>Training</h2>\n<p class=\"note\">From the package's training_history.csv: loss and accuracy per epoch (head phase, then fine-tuning).</p>\n");
			figure(h, png, "training", "Training and validation loss and accuracy");
		}
		if (!ev.skipped().isEmpty()) {
			h.append("<h2>Unreadable files (skipped)</h2>\n<ul>\n");
			ev.skipped().stream().limit(50).forEach(x -> h.append("<li>").append(esc(x)).append("</li>\n"));
			if (ev.skipped().size() > 50) h.append("<li>... and ").append(ev.skipped().size() - 50).append(" more</li>\n");
			h.append("</ul>\n");
		}
		h.append("</body></html>\n");
		return h.toString();
	}

	private static long files(Evaluator.Evaluation ev) {
		return ev.rows().stream().map(Evaluator.Row::file).distinct().count();
	}

	private static void confusionTable(StringBuilder h, Metrics m, boolean normalised) {
		long[][] c = m.confusion();
		long[] support = m.support();
		h.append("<table><tr><th class=\"l\">").append(normalised ? "row-normalised: true \\ predicted" : "counts: true \\ predicted").append("</th>");
		for (String k : m.classes()) h.append("<th>").append(esc(k)).append("</th>");
		h.append("</tr>\n");
		for (int i = 0; i < c.length; i++) {
			h.append("<tr><th class=\"l\">").append(esc(m.classes().get(i))).append("</th>");
			for (int j = 0; j < c.length; j++) {
				h.append("<td>");
				if (!normalised) h.append(c[i][j]);
				else h.append(support[i] == 0 ? "<span class=\"na\">n/a</span>" : String.format(Locale.ROOT, "%.3f", c[i][j] / (double) support[i]));
				h.append("</td>");
			}
			h.append("</tr>\n");
		}
		h.append("</table>\n");
	}

	private static void figure(StringBuilder h, Map<String, byte[]> png, String stem, String alt) {
		byte[] b = png.get(stem);
		if (b == null) return;
		h.append("<p><img alt=\"").append(esc(alt)).append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(b)).append("\"><br>")
			.append("<span class=\"note\">").append(esc(alt)).append(" (").append(stem).append(".png)</span></p>\n");
	}

	private static void row(StringBuilder h, String k, String v) {
		h.append("<tr><th class=\"l\">").append(esc(k)).append("</th><td class=\"l\">").append(esc(v)).append("</td></tr>\n");
	}

	private static void estimateRow(StringBuilder h, String name, Estimate e, String over) {
		h.append("<tr><td class=\"l\">").append(esc(name)).append("</td>");
		if (e == null || !e.defined()) {
			h.append("<td><span class=\"na\">n/a</span></td><td></td>");
		} else {
			h.append("<td>").append(num(e.value())).append("</td><td>");
			if (e.hasInterval()) h.append('[').append(num(e.low())).append(", ").append(num(e.high())).append(']');
			h.append("</td>");
		}
		if (over != null) h.append("<td class=\"l\">").append(esc(over)).append("</td>");
		h.append("</tr>\n");
	}

	private static String estHtml(Estimate e) {
		if (e == null || !e.defined()) return "<span class=\"na\">n/a</span>";
		if (!e.hasInterval()) return num(e.value());
		return num(e.value()) + " <span class=\"note\">[" + num(e.low()) + ", " + num(e.high()) + "]</span>";
	}

	private static String num(double v) {
		return String.format(Locale.ROOT, "%.4f", v);
	}

	private static String esc(String s) {
		return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
	}

	private static String version() {
		String v = EvaluationReport.class.getPackage().getImplementationVersion();
		return v == null ? "(development build)" : v;
	}
}
