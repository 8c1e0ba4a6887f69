package org.medcnn.ij;

import ij.gui.Plot;
import ij.measure.ResultsTable;
import java.awt.Color;
import java.util.List;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.train.EpochRecord;

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

	private EvaluationTables() {}

	/**
	 * Builds the metrics table: one row per class (precision, recall, F1, support, AUC), then the
	 * overall rows (accuracy, balanced accuracy, macro F1, macro AUC, ECE) with 95 % intervals.
	 *
	 * @param m the metrics
	 * @return the table
	 */
	public static ResultsTable metrics(Metrics m) {
		ResultsTable rt = new ResultsTable();
		rt.showRowNumbers(false);
		for (Object[] row : m.table()) {
			rt.incrementCounter();
			rt.addValue("name", (String) row[0]);
			rt.addValue("precision", (Double) row[1]);
			rt.addValue("recall", (Double) row[2]);
			rt.addValue("f1", (Double) row[3]);
			rt.addValue("support", (Double) row[4]);
			rt.addValue("roc_auc", (Double) row[5]);
			rt.addValue("value", Double.NaN);
			rt.addValue("ci95_low", Double.NaN);
			rt.addValue("ci95_high", Double.NaN);
		}
		overall(rt, "accuracy", m.accuracy(), m.accuracyCi());
		overall(rt, "balanced_accuracy", m.balancedAccuracy(), null);
		overall(rt, "macro_f1", m.macroF1(), m.macroF1Ci());
		overall(rt, "macro_roc_auc", m.macroRocAuc(), null);
		overall(rt, "ece", m.ece(), m.eceCi());
		overall(rt, "images", m.count(), null);
		return rt;
	}

	/**
	 * Builds the metrics table of an evaluation: {@link #metrics(Metrics)}, then the ECE with every
	 * temperature set to 1, the area under the risk-coverage curve and, with an uncertainty mode, the
	 * flag threshold and the coverage and accuracy of the unflagged slices.
	 *
	 * @param ev the evaluation
	 * @return the table
	 */
	public static ResultsTable metrics(org.medcnn.core.eval.Evaluator.Evaluation ev) {
		ResultsTable rt = metrics(ev.metrics());
		ev.summary().forEach((name, v) -> overall(rt, name, v, null));
		return rt;
	}

	private static void overall(ResultsTable rt, String name, double v, double[] ci) {
		rt.incrementCounter();
		rt.addValue("name", name);
		for (String c : List.of("precision", "recall", "f1", "support", "roc_auc")) rt.addValue(c, Double.NaN);
		rt.addValue("value", v);
		rt.addValue("ci95_low", ci == null ? Double.NaN : ci[0]);
		rt.addValue("ci95_high", ci == null ? Double.NaN : ci[1]);
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
	public static Plot reliabilityPlot(org.medcnn.core.eval.Evaluator.Evaluation ev) {
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
	public static Plot riskCoveragePlot(org.medcnn.core.uncertainty.RiskCoverage rc) {
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
