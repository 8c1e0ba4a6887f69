package org.medcnn.ij;

import ij.ImagePlus;
import ij.gui.Plot;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import java.awt.Color;
import java.awt.Font;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medcnn.core.eval.Estimate;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.train.EpochRecord;

/**
 * The figures of an evaluation report, as RGB images drawn by ImageJ (its {@link Plot}, and
 * {@link ColorProcessor} drawing for the confusion matrix and the flag bars): they render without a
 * display ({@code java.awt.headless=true}), so the command line writes the same pictures that Fiji shows.
 */
public final class EvaluationFigures {

	/** Colours of the classes in the ROC figure, cycled. */
	private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
		new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127), new Color(188, 189, 34),
		new Color(23, 190, 207)};

	private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 16);
	private static final Font TEXT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
	private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

	private EvaluationFigures() {}

	/**
	 * Every figure of an evaluation, by file name stem: {@code confusion}, {@code reliability},
	 * {@code roc}, {@code risk_coverage}, {@code flags} (only with an uncertainty mode or an
	 * out-of-distribution detector) and {@code training} (only when a history is given).
	 *
	 * @param ev the evaluation
	 * @param model the model id, for the titles
	 * @param history the model's training history, or null
	 * @return stem to image, in report order
	 */
	public static Map<String, ImagePlus> all(Evaluator.Evaluation ev, String model, List<EpochRecord> history) {
		Map<String, ImagePlus> out = new LinkedHashMap<>();
		out.put("confusion", confusion(ev.metrics(), model));
		out.put("reliability", image(reliability(ev, model)));
		out.put("roc", image(roc(ev.metrics(), model)));
		out.put("risk_coverage", image(riskCoverage(ev, model)));
		ImagePlus flags = flags(ev, model);
		if (flags != null) out.put("flags", flags);
		if (history != null && !history.isEmpty()) out.put("training", image(training(history, model)));
		return out;
	}

	/** The plot's image under its title (a plot's own image has none). */
	private static ImagePlus image(Plot p) {
		ImageProcessor plot = p.getProcessor().convertToRGB();
		int band = 30;
		ColorProcessor ip = new ColorProcessor(plot.getWidth(), plot.getHeight() + band);
		ip.setColor(Color.WHITE);
		ip.fill();
		ip.insert(plot, 0, band);
		ip.setAntialiasedText(true);
		ip.setFont(TITLE);
		ip.setColor(Color.BLACK);
		String title = p.getTitle().replaceFirst("^MedCNN ", "");
		ip.drawString(title, Math.max(10, (ip.getWidth() - ip.getStringWidth(title)) / 2), 22);
		return new ImagePlus(p.getTitle(), ip);
	}

	/**
	 * The confusion matrix twice, side by side: counts, and each row divided by its class's images (the
	 * recall on the diagonal); true classes down the left, predicted classes along the top of each.
	 *
	 * @param m the metrics
	 * @param model the model id
	 * @return the image
	 */
	public static ImagePlus confusion(Metrics m, String model) {
		List<String> classes = m.classes();
		long[][] c = m.confusion();
		long[] support = m.support();
		int k = classes.size();
		ColorProcessor probe = new ColorProcessor(10, 10);
		probe.setFont(TEXT);
		int label = 0;
		for (String s : classes) label = Math.max(label, probe.getStringWidth(s));
		label = Math.min(label, 260);
		int cell = Math.max(64, Math.min(110, label + 12));
		int left = label + 40;
		int top = 84 + label + 10;
		String[] headings = {"counts", "row-normalised (share of the true class)"};
		int panel = Math.max(left + k * cell + 30, left + probe.getStringWidth(headings[1]) + 20);
		int width = 2 * panel + 20;
		int height = top + k * cell + 50;
		ColorProcessor ip = new ColorProcessor(width, height);
		ip.setColor(Color.WHITE);
		ip.fill();
		ip.setAntialiasedText(true);
		ip.setColor(Color.BLACK);
		ip.setFont(TITLE);
		ip.drawString("Confusion matrix of " + model + " (" + m.count() + " slices)", 10, 24);
		for (int pnl = 0; pnl < 2; pnl++) {
			int x0 = 10 + pnl * panel;
			boolean normalised = pnl == 1;
			ip.setFont(TEXT);
			ip.setColor(Color.BLACK);
			ip.drawString(headings[pnl], x0 + left, 48);
			// column labels: predicted classes, rotated
			for (int j = 0; j < k; j++) {
				ImageProcessor text = textImage(classes.get(j), TEXT, label);
				ImageProcessor rotated = text.rotateLeft();
				ip.insert(rotated, x0 + left + j * cell + (cell - rotated.getWidth()) / 2, top - rotated.getHeight() - 6);
			}
			// axis names
			ip.setFont(SMALL);
			ip.setColor(Color.DARK_GRAY);
			ImageProcessor axis = textImage("true class", SMALL, 200).rotateLeft();
			ip.insert(axis, x0, top + (k * cell - axis.getHeight()) / 2);
			ip.setColor(Color.DARK_GRAY);
			ip.drawString("predicted class", x0 + left + (k * cell - ip.getStringWidth("predicted class")) / 2, 70);
			for (int i = 0; i < k; i++) {
				ip.setFont(TEXT);
				ip.setColor(Color.BLACK);
				String name = fit(ip, classes.get(i), label);
				ip.drawString(name, x0 + left - 8 - ip.getStringWidth(name), top + i * cell + cell / 2 + 6);
				for (int j = 0; j < k; j++) {
					double share = support[i] == 0 ? Double.NaN : c[i][j] / (double) support[i];
					int x = x0 + left + j * cell;
					int y = top + i * cell;
					ip.setColor(Double.isNaN(share) ? new Color(235, 235, 235) : shade(share));
					ip.setRoi(x, y, cell, cell);
					ip.fill();
					ip.resetRoi();
					ip.setColor(Color.GRAY);
					ip.drawRect(x, y, cell + 1, cell + 1);
					String v = normalised ? (Double.isNaN(share) ? "n/a" : String.format(Locale.ROOT, "%.3f", share)) : Long.toString(c[i][j]);
					ip.setColor(!Double.isNaN(share) && share > 0.55 ? Color.WHITE : Color.BLACK);
					ip.setFont(i == j ? new Font(Font.SANS_SERIF, Font.BOLD, 14) : TEXT);
					ip.drawString(v, x + (cell - ip.getStringWidth(v)) / 2, y + cell / 2 + 7);
				}
			}
		}
		ip.setFont(SMALL);
		ip.setColor(Color.DARK_GRAY);
		ip.drawString("Rows: true class; columns: predicted class. Grey rows: classes without images (n/a).", 10, height - 16);
		return new ImagePlus("MedCNN Confusion Matrix (" + model + ")", ip);
	}

	/** White to dark blue. */
	private static Color shade(double share) {
		double s = Math.max(0, Math.min(1, share));
		return new Color((int) Math.round(255 - 225 * s), (int) Math.round(255 - 185 * s), (int) Math.round(255 - 95 * s));
	}

	/** A string shortened with an ellipsis to fit a width. */
	private static String fit(ImageProcessor ip, String s, int width) {
		if (ip.getStringWidth(s) <= width) return s;
		String t = s;
		while (t.length() > 1 && ip.getStringWidth(t + "…") > width) t = t.substring(0, t.length() - 1);
		return t + "…";
	}

	/** Black text on white in an image of its own (to rotate). */
	private static ImageProcessor textImage(String s, Font font, int maxWidth) {
		ColorProcessor probe = new ColorProcessor(10, 10);
		probe.setFont(font);
		String t = fit(probe, s, maxWidth);
		int w = Math.max(1, probe.getStringWidth(t) + 4);
		int h = font.getSize() + 8;
		ColorProcessor ip = new ColorProcessor(w, h);
		ip.setColor(Color.WHITE);
		ip.fill();
		ip.setAntialiasedText(true);
		ip.setFont(font);
		ip.setColor(Color.BLACK);
		ip.drawString(t, 2, h - 4);
		return ip;
	}

	/**
	 * The reliability diagram: accuracy against mean confidence per confidence bin, for the calibrated
	 * probabilities and for temperature 1, with the diagonal of perfect calibration.
	 *
	 * @param ev the evaluation
	 * @param model the model id
	 * @return the plot
	 */
	public static Plot reliability(Evaluator.Evaluation ev, String model) {
		Metrics m = ev.metrics();
		int n = ev.rows().size();
		int[] truth = new int[n];
		float[][] raw = new float[n][];
		for (int i = 0; i < n; i++) {
			truth[i] = ev.rows().get(i).truth();
			raw[i] = ev.rows().get(i).uncalibrated();
		}
		Estimate ece = m.estimate("ece");
		Estimate raw1 = ev.summaryEstimates().get("ece_uncalibrated");
		Plot p = new Plot("MedCNN Reliability (" + model + ")", "confidence (mean of each bin of width 1/15)", "accuracy");
		p.setSize(560, 440);
		p.setLimits(0, 1, 0, 1);
		p.setColor(Color.GRAY);
		p.addPoints(new double[] {0, 1}, new double[] {0, 1}, Plot.LINE);
		p.setLineWidth(2);
		Color orange = new Color(255, 127, 14);
		Color blue = new Color(31, 119, 180);
		p.setColor(orange, orange);
		addBins(p, Metrics.reliability(truth, raw));
		p.setColor(blue, blue);
		addBins(p, m.reliability());
		p.setLineWidth(1);
		p.setLegend("perfect calibration\ttemperature 1: ECE " + est(raw1) + "\tcalibrated: ECE " + est(ece), Plot.BOTTOM_RIGHT);
		return p;
	}

	private static void addBins(Plot p, double[][] bins) {
		List<Double> conf = new ArrayList<>();
		List<Double> acc = new ArrayList<>();
		for (double[] b : bins) {
			if (b[4] == 0) continue;
			conf.add(b[2]);
			acc.add(b[3]);
		}
		p.addPoints(conf.stream().mapToDouble(Double::doubleValue).toArray(), acc.stream().mapToDouble(Double::doubleValue).toArray(), Plot.CONNECTED_CIRCLES);
	}

	/**
	 * One ROC curve per class against the rest, with its AUC and interval in the legend; a class without
	 * images or without other images has no curve.
	 *
	 * @param m the metrics
	 * @param model the model id
	 * @return the plot
	 */
	public static Plot roc(Metrics m, String model) {
		Plot p = new Plot("MedCNN ROC (" + model + ")", "false positive rate", "true positive rate");
		p.setSize(560, 440);
		p.setLimits(0, 1, 0, 1.0);
		p.setColor(Color.LIGHT_GRAY);
		p.addPoints(new double[] {0, 1}, new double[] {0, 1}, Plot.LINE);
		StringBuilder legend = new StringBuilder("chance");
		Estimate[] auc = m.rocAucEstimates();
		p.setLineWidth(2);
		for (int k = 0; k < m.classes().size(); k++) {
			if (!auc[k].defined()) continue;
			double[][] r = m.rocCurve(k);
			p.setColor(PALETTE[k % PALETTE.length]);
			p.addPoints(r[0], r[1], Plot.LINE);
			legend.append('\t').append(m.classes().get(k)).append(": AUC ").append(est(auc[k]));
		}
		p.setLineWidth(1);
		p.setLegend(legend.toString(), Plot.BOTTOM_RIGHT);
		return p;
	}

	/**
	 * The risk-coverage curve: the accuracy of the slices kept against the share kept, the most confident
	 * (or least uncertain) first.
	 *
	 * @param ev the evaluation
	 * @param model the model id
	 * @return the plot
	 */
	public static Plot riskCoverage(Evaluator.Evaluation ev, String model) {
		var rc = ev.riskCoverage();
		double[] cov = new double[rc.points().size() + 1];
		double[] acc = new double[cov.length];
		double lo = 1;
		for (int i = 0; i < rc.points().size(); i++) {
			cov[i + 1] = rc.points().get(i).coverage();
			acc[i + 1] = rc.points().get(i).accuracy();
			lo = Math.min(lo, acc[i + 1]);
		}
		// the curve starts at the first point's accuracy at coverage 0
		cov[0] = 0;
		acc[0] = acc.length > 1 ? acc[1] : 1;
		Plot p = new Plot("MedCNN Risk-Coverage (" + model + ")", "coverage (share of slices kept)", "accuracy of the kept slices");
		p.setSize(560, 440);
		p.setLimits(0, 1, Math.max(0, Math.floor(lo * 10) / 10 - 0.05), 1.0);
		p.setLineWidth(2);
		p.setColor(new Color(31, 119, 180));
		p.addPoints(cov, acc, Plot.LINE);
		p.setLineWidth(1);
		p.setLegend("ranked by " + rc.score() + "; AURC " + est(ev.summaryEstimates().get("aurc")), Plot.BOTTOM_LEFT);
		return p;
	}

	/**
	 * The flags of an evaluation as bars with their intervals: for the uncertain flag (with an
	 * uncertainty mode and a threshold) and the out-of-distribution flag (with a detector), the share of
	 * slices flagged (with their count), the accuracy of the slices kept and that of the slices flagged.
	 *
	 * @param ev the evaluation
	 * @param model the model id
	 * @return the image, or null when neither flag was computed
	 */
	public static ImagePlus flags(Evaluator.Evaluation ev, String model) {
		Map<String, Estimate> s = ev.summaryEstimates();
		List<Group> groups = new ArrayList<>();
		int n = ev.rows().size();
		if (s.containsKey("coverage_unflagged") && !Double.isNaN(s.get("coverage_unflagged").value())) {
			Estimate kept = s.get("coverage_unflagged");
			long flagged = Math.round(s.get("uncertain_slices").value());
			groups.add(new Group("uncertain (" + ev.uncertainty().key() + ")", new Estimate(1 - kept.value(), 1 - kept.high(), 1 - kept.low()),
				flagged, n, s.get("accuracy_unflagged"), s.get("accuracy_uncertain")));
		}
		if (s.containsKey("ood_flagged_share")) {
			groups.add(new Group("out of distribution", s.get("ood_flagged_share"), Math.round(s.get("ood_flagged_slices").value()),
				Math.round(s.get("ood_scored_slices").value()), s.get("accuracy_ood_kept"), s.get("accuracy_ood_flagged")));
		}
		if (groups.isEmpty()) return null;
		int bar = 70;
		int gap = 24;
		int groupWidth = 3 * bar + 2 * 12;
		int left = 70;
		int top = 70;
		int plotH = 300;
		int width = Math.max(left + groups.size() * (groupWidth + 2 * gap) + 20, 480);
		int height = top + plotH + 110;
		ColorProcessor ip = new ColorProcessor(width, height);
		ip.setColor(Color.WHITE);
		ip.fill();
		ip.setAntialiasedText(true);
		ip.setFont(TITLE);
		ip.setColor(Color.BLACK);
		ip.drawString("Flagged slices of " + model + " (" + n + " slices)", 10, 24);
		ip.setFont(SMALL);
		ip.setColor(Color.DARK_GRAY);
		ip.drawString("bars: estimate; whiskers: 95 % bootstrap interval", 10, 44);
		// axis 0..1
		int y0 = top + plotH;
		ip.setColor(Color.GRAY);
		for (int t = 0; t <= 10; t += 2) {
			int y = y0 - t * plotH / 10;
			ip.drawLine(left - 5, y, width - 20, y);
			String lab = String.format(Locale.ROOT, "%.1f", t / 10.0);
			ip.setColor(Color.BLACK);
			ip.drawString(lab, left - 10 - ip.getStringWidth(lab), y + 5);
			ip.setColor(new Color(225, 225, 225));
		}
		ip.setColor(Color.BLACK);
		ip.drawLine(left, top, left, y0);
		Color[] colours = {new Color(214, 39, 40), new Color(44, 160, 44), new Color(255, 127, 14)};
		String[] names = {"share flagged", "accuracy kept", "accuracy flagged"};
		int x = left + gap;
		for (Group g : groups) {
			Estimate[] e = {g.share(), g.keptAccuracy(), g.flaggedAccuracy()};
			for (int b = 0; b < 3; b++) {
				int bx = x + b * (bar + 12);
				Estimate v = e[b];
				if (v != null && v.defined()) {
					int h = (int) Math.round(Math.max(0, Math.min(1, v.value())) * plotH);
					ip.setColor(colours[b]);
					ip.setRoi(bx, y0 - h, bar, Math.max(h, 1));
					ip.fill();
					ip.resetRoi();
					if (v.hasInterval()) {
						int ylo = y0 - (int) Math.round(Math.max(0, Math.min(1, v.low())) * plotH);
						int yhi = y0 - (int) Math.round(Math.max(0, Math.min(1, v.high())) * plotH);
						ip.setColor(Color.BLACK);
						ip.setLineWidth(2);
						ip.drawLine(bx + bar / 2, ylo, bx + bar / 2, yhi);
						ip.drawLine(bx + bar / 2 - 8, ylo, bx + bar / 2 + 8, ylo);
						ip.drawLine(bx + bar / 2 - 8, yhi, bx + bar / 2 + 8, yhi);
						ip.setLineWidth(1);
					}
					String val = String.format(Locale.ROOT, "%.3f", v.value());
					ip.setColor(Color.BLACK);
					ip.setFont(SMALL);
					int ty = Math.min(y0 - h - 6, v.hasInterval() ? y0 - (int) Math.round(Math.min(1, v.high()) * plotH) - 6 : y0 - h - 6);
					ip.drawString(val, bx + (bar - ip.getStringWidth(val)) / 2, Math.max(top - 4, ty));
				} else {
					ip.setColor(Color.DARK_GRAY);
					ip.setFont(SMALL);
					ip.drawString("n/a", bx + (bar - ip.getStringWidth("n/a")) / 2, y0 - 6);
				}
			}
			ip.setFont(TEXT);
			ip.setColor(Color.BLACK);
			ip.drawString(g.name(), x + (groupWidth - ip.getStringWidth(g.name())) / 2, y0 + 24);
			String counts = g.flagged() + " of " + g.of() + " slices flagged";
			ip.setFont(SMALL);
			ip.drawString(counts, x + (groupWidth - ip.getStringWidth(counts)) / 2, y0 + 42);
			x += groupWidth + 2 * gap;
		}
		// key
		int kx = left;
		ip.setFont(SMALL);
		for (int b = 0; b < 3; b++) {
			ip.setColor(colours[b]);
			ip.setRoi(kx, height - 30, 14, 14);
			ip.fill();
			ip.resetRoi();
			ip.setColor(Color.BLACK);
			ip.drawString(names[b], kx + 20, height - 17);
			kx += 40 + ip.getStringWidth(names[b]);
		}
		return new ImagePlus("MedCNN Flags (" + model + ")", ip);
	}

	private record Group(String name, Estimate share, long flagged, long of, Estimate keptAccuracy, Estimate flaggedAccuracy) {}

	/**
	 * The training history: loss and accuracy of the training and validation parts per epoch.
	 *
	 * @param history the epochs
	 * @param model the model id
	 * @return the plot
	 */
	public static Plot training(List<EpochRecord> history, String model) {
		Plot p = EvaluationTables.historyPlot(history);
		p.setSize(560, 440);
		p.setFont(TEXT);
		return p;
	}

	/** An estimate as {@code 0.912 [0.890, 0.931]}, or {@code n/a}. */
	static String est(Estimate e) {
		if (e == null || !e.defined()) return "n/a";
		if (!e.hasInterval()) return String.format(Locale.ROOT, "%.3f", e.value());
		return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", e.value(), e.low(), e.high());
	}
}
