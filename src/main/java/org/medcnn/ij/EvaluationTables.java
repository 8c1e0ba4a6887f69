package org.medcnn.ij;

import ij.gui.Plot;
import ij.measure.ResultsTable;
import java.awt.Color;
import java.util.List;
import org.medcnn.core.eval.BinaryMetrics;
import org.medcnn.core.eval.Estimate;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.train.EpochRecord;
import org.medcnn.core.uncertainty.RiskCoverage;

/**
 * ImageJ tables and plots of training and evaluation: per-class metrics, the confusion matrix,
 * the training history and the reliability diagram.
 */
public final class EvaluationTables {

	/** The title of Evaluate Classifier's metrics table. */
	public static final String METRICS_TITLE = "MedCNN Metrics";
	/** The title of Evaluate Classifier's confusion matrix. */
	public static final String CONFUSION_TITLE = "MedCNN Confusion Matrix";
	/** The title of Train Classifier's history table. */
	public static final String HISTORY_TITLE = "MedCNN Training History";
	/** The title of Train Classifier's test metrics table. */
	public static final String TEST_METRICS_TITLE = "MedCNN Test Metrics";

	/** Title of the binary report table (sensitivity, specificity, PPV, NPV). */
	public static final String BINARY_TITLE = "MedCNN Binary Report";

	private EvaluationTables() {}

	/**
	 * Builds the metrics table: one row per class (precision, recall, F1, support, AUC, each with its 95 %
	 * interval; {@code n/a} where undefined), then the overall rows (accuracy, balanced accuracy, macro F1,
	 * macro AUC, ECE) with their intervals and, for the averages, the classes they run over.
	 *
	 * @param m the metrics
	 * @return the table
	 */
	public static ResultsTable metrics(Metrics m) {
		ResultsTable rt = new ResultsTable();
		rt.showRowNumbers(false);
		Estimate[][] per = {m.precisionEstimates(), m.recallEstimates(), m.f1Estimates(), m.rocAucEstimates()};
		String[] names = {"precision", "recall", "f1", "roc_auc"};
		for (int k = 0; k < m.classes().size(); k++) {
			rt.incrementCounter();
			rt.addValue("name", m.classes().get(k));
			for (int j = 0; j < names.length; j++) value(rt, names[j], per[j][k].value());
			rt.addValue("support", m.support()[k]);
			rt.addValue("value", Double.NaN);
			rt.addValue("ci95_low", Double.NaN);
			rt.addValue("ci95_high", Double.NaN);
			for (int j = 0; j < names.length; j++) {
				rt.addValue(names[j] + "_ci95_low", per[j][k].low());
				rt.addValue(names[j] + "_ci95_high", per[j][k].high());
			}
			rt.addValue("over", "");
		}
		for (String name : List.of("accuracy", "balanced_accuracy", "macro_f1", "macro_roc_auc", "ece")) {
			overall(rt, name, m.estimate(name), name.startsWith("macro") || name.startsWith("balanced") ? String.join(", ", m.averagedOver(name)) : "");
		}
		overall(rt, "images", Estimate.of(m.count()), "");
		return rt;
	}

	/**
	 * Builds the metrics table of an evaluation: {@link #metrics(Metrics)}, then the ECE with every
	 * temperature set to 1, the area under the risk-coverage curve and, with an uncertainty mode or an
	 * out-of-distribution detector, the count, share and accuracy of the flagged and unflagged slices.
	 *
	 * @param ev the evaluation
	 * @return the table
	 */
	public static ResultsTable metrics(Evaluator.Evaluation ev) {
		ResultsTable rt = metrics(ev.metrics());
		ev.summaryEstimates().forEach((name, e) -> overall(rt, name, e, ""));
		return rt;
	}

	private static void value(ResultsTable rt, String column, double v) {
		if (Double.isNaN(v)) rt.addValue(column, "n/a");
		else rt.addValue(column, v);
	}

	private static void overall(ResultsTable rt, String name, Estimate e, String over) {
		rt.incrementCounter();
		rt.addValue("name", name);
		for (String c : List.of("precision", "recall", "f1", "support", "roc_auc")) rt.addValue(c, Double.NaN);
		value(rt, "value", e.value());
		rt.addValue("ci95_low", e.low());
		rt.addValue("ci95_high", e.high());
		rt.addValue("over", over);
	}

	/**
	 * Builds the binary report table: one row per ratio with its interval, then the four counts.
	 *
	 * @param b the report
	 * @return the table
	 */
	public static ResultsTable binary(BinaryMetrics b) {
		ResultsTable rt = new ResultsTable();
		rt.showRowNumbers(false);
		for (int i = 0; i < BinaryMetrics.NAMES.size(); i++) {
			Estimate e = b.estimates().get(i);
			rt.incrementCounter();
			rt.addValue("metric", BinaryMetrics.NAMES.get(i));
			value(rt, "value", e.value());
			rt.addValue("ci95_low", e.low());
			rt.addValue("ci95_high", e.high());
			rt.addValue("positive", String.join("+", b.positives()));
			rt.addValue("negative", String.join("+", b.negatives()));
		}
		long[] counts = {b.truePositives(), b.falsePositives(), b.trueNegatives(), b.falseNegatives()};
		String[] names = {"true_positives", "false_positives", "true_negatives", "false_negatives"};
		for (int i = 0; i < 4; i++) {
			rt.incrementCounter();
			rt.addValue("metric", names[i]);
			rt.addValue("value", counts[i]);
			rt.addValue("ci95_low", Double.NaN);
			rt.addValue("ci95_high", Double.NaN);
			rt.addValue("positive", String.join("+", b.positives()));
			rt.addValue("negative", String.join("+", b.negatives()));
		}
		return rt;
	}

	/**
	 * Builds the confusion matrix table: rows are true classes, columns predicted classes.
	 *
	 * @param m the metrics
	 * @return the table
	 */
	public static ResultsTable confusion(Metrics m) {
		ResultsTable rt = new ResultsTable();
		rt.showRowNumbers(false);
		long[][] c = m.confusion();
		for (int i = 0; i < c.length; i++) {
			rt.incrementCounter();
			rt.addValue("true", m.classes().get(i));
			for (int j = 0; j < c.length; j++) rt.addValue("pred_" + m.classes().get(j), c[i][j]);
		}
		return rt;
	}

	/**
	 * Builds the training history table.
	 *
	 * @param history the epochs
	 * @return the table
	 */
	public static ResultsTable history(List<EpochRecord> history) {
		ResultsTable rt = new ResultsTable();
		rt.showRowNumbers(false);
		for (EpochRecord r : history) {
			rt.incrementCounter();
			rt.addValue("phase", r.phase());
			rt.addValue("epoch", r.epoch());
			rt.addValue("train_loss", r.trainLoss());
			rt.addValue("train_accuracy", r.trainAccuracy());
			rt.addValue("validation_loss", r.validationLoss());
			rt.addValue("validation_accuracy", r.validationAccuracy());
			rt.addValue("seconds", r.seconds());
			rt.addValue("best", r.best() ? 1 : 0);
		}
		return rt;
	}

	/**
	 * Plots training and validation loss and accuracy per epoch (head phase, then fine-tuning,
	 * numbered consecutively).
	 *
	 * @param history the epochs
	 * @return the plot
	 */
	public static Plot historyPlot(List<EpochRecord> history) {
		int n = history.size();
		double[] x = new double[n];
		double[] tl = new double[n];
		double[] vl = new double[n];
		double[] ta = new double[n];
		double[] va = new double[n];
		for (int i = 0; i < n; i++) {
			EpochRecord r = history.get(i);
			x[i] = i + 1;
			tl[i] = r.trainLoss();
			vl[i] = r.validationLoss();
			ta[i] = r.trainAccuracy();
			va[i] = r.validationAccuracy();
		}
		Plot p = new Plot("MedCNN Training History", "epoch (head phase, then fine-tuning)", "loss / accuracy");
		p.setColor(Color.BLUE);
		p.addPoints(x, tl, Plot.LINE);
		p.setColor(Color.RED);
		p.addPoints(x, vl, Plot.LINE);
		p.setColor(new Color(0, 140, 255));
		p.addPoints(x, ta, Plot.CONNECTED_CIRCLES);
		p.setColor(new Color(220, 100, 0));
		p.addPoints(x, va, Plot.CONNECTED_CIRCLES);
		p.setLegend("train loss\tvalidation loss\ttrain accuracy\tvalidation accuracy", Plot.AUTO_POSITION);
		p.setLimitsToFit(false);
		return p;
	}

	/**
	 * Plots the reliability diagram: accuracy against mean confidence per bin, with the diagonal of
	 * perfect calibration.
	 *
	 * @param m the metrics
	 * @return the plot
	 */
	public static Plot reliabilityPlot(Metrics m) {
		Plot p = new Plot(String.format(java.util.Locale.ROOT, "MedCNN Reliability (ECE %.3f)", m.ece()), "confidence", "accuracy");
		p.setLimits(0, 1, 0, 1);
		p.setColor(Color.GRAY);
		p.addPoints(new double[] {0, 1}, new double[] {0, 1}, Plot.LINE);
		p.setColor(Color.BLUE);
		addBins(p, m.reliability());
		p.setLegend("perfect calibration\tmodel", Plot.AUTO_POSITION);
		return p;
	}

	/**
	 * Plots the reliability diagram of an evaluation with two curves: the calibrated probabilities and
	 * the same with every temperature set to 1, with both ECEs in the title.
	 *
	 * @param ev the evaluation
	 * @return the plot
	 */
	public static Plot reliabilityPlot(Evaluator.Evaluation ev) {
		Metrics m = ev.metrics();
		int n = ev.rows().size();
		int[] truth = new int[n];
		float[][] raw = new float[n][];
		for (int i = 0; i < n; i++) {
			truth[i] = ev.rows().get(i).truth();
			raw[i] = ev.rows().get(i).uncalibrated();
		}
		Metrics before = Metrics.compute(m.classes(), truth, raw, 0, 0);
		Plot p = new Plot(String.format(java.util.Locale.ROOT, "MedCNN Reliability (ECE %.3f calibrated, %.3f with temperature 1)", m.ece(), ev.eceUncalibrated()),
			"confidence", "accuracy");
		p.setLimits(0, 1, 0, 1);
		p.setColor(Color.GRAY);
		p.addPoints(new double[] {0, 1}, new double[] {0, 1}, Plot.LINE);
		p.setColor(Color.ORANGE);
		addBins(p, before.reliability());
		p.setColor(Color.BLUE);
		addBins(p, m.reliability());
		p.setLegend("perfect calibration\ttemperature 1\tcalibrated", Plot.AUTO_POSITION);
		return p;
	}

	private static void addBins(Plot p, double[][] bins) {
		int k = 0;
		for (double[] b : bins) if (b[4] > 0) k++;
		double[] conf = new double[k];
		double[] acc = new double[k];
		int i = 0;
		for (double[] b : bins) {
			if (b[4] == 0) continue;
			conf[i] = b[2];
			acc[i] = b[3];
			i++;
		}
		p.addPoints(conf, acc, Plot.CONNECTED_CIRCLES);
	}

	/**
	 * Plots the risk-coverage curve: accuracy on the slices kept against the fraction kept, most
	 * confident first.
	 *
	 * @param rc the curve
	 * @return the plot
	 */
	public static Plot riskCoveragePlot(RiskCoverage rc) {
		double[] cov = new double[rc.points().size()];
		double[] acc = new double[cov.length];
		double lo = 1;
		for (int i = 0; i < cov.length; i++) {
			cov[i] = rc.points().get(i).coverage();
			acc[i] = rc.points().get(i).accuracy();
			lo = Math.min(lo, acc[i]);
		}
		Plot p = new Plot(String.format(java.util.Locale.ROOT, "MedCNN Risk-Coverage (AURC %.4f)", rc.aurc()), "coverage (fraction kept)", "accuracy of kept slices");
		p.setLimits(0, 1, Math.max(0, Math.floor(lo * 10) / 10 - 0.05), 1.0);
		p.setColor(Color.BLUE);
		p.addPoints(cov, acc, Plot.LINE);
		p.setLegend("ranked by " + rc.score(), Plot.AUTO_POSITION);
		return p;
	}
}
