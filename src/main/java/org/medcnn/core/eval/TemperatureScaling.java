package org.medcnn.core.eval;

/**
 * Temperature scaling (Guo et al. 2017): one scalar T divides the logits before the softmax, fitted to
 * minimise the negative log-likelihood on held-out (validation) data. It changes confidences, never
 * the predicted class.
 */
public final class TemperatureScaling {

	/** Smallest temperature searched. */
	public static final double MIN_T = 0.05;
	/** Largest temperature searched. */
	public static final double MAX_T = 20;

	private TemperatureScaling() {}

	/**
	 * Fits the temperature by golden-section search on log T.
	 *
	 * @param logits one row of logits per sample
	 * @param labels true class per sample
	 * @return the temperature in [{@value #MIN_T}, {@value #MAX_T}]
	 * @throws IllegalArgumentException for empty or mismatched inputs
	 */
	public static double fit(float[][] logits, int[] labels) {
		if (logits.length == 0 || logits.length != labels.length) throw new IllegalArgumentException("temperature scaling needs matching, non-empty logits and labels");
		double lo = Math.log(MIN_T);
		double hi = Math.log(MAX_T);
		double g = (Math.sqrt(5) - 1) / 2;
		double a = hi - g * (hi - lo);
		double b = lo + g * (hi - lo);
		double fa = nll(logits, labels, Math.exp(a));
		double fb = nll(logits, labels, Math.exp(b));
		for (int it = 0; it < 100 && hi - lo > 1e-6; it++) {
			if (fa <= fb) {
				hi = b;
				b = a;
				fb = fa;
				a = hi - g * (hi - lo);
				fa = nll(logits, labels, Math.exp(a));
			} else {
				lo = a;
				a = b;
				fa = fb;
				b = lo + g * (hi - lo);
				fb = nll(logits, labels, Math.exp(b));
			}
		}
		return Math.exp((lo + hi) / 2);
	}

	/**
	 * Mean negative log-likelihood of the labels under softmax(logits / T).
	 *
	 * @param logits one row of logits per sample
	 * @param labels true class per sample
	 * @param t the temperature, positive
	 * @return the mean NLL
	 */
	public static double nll(float[][] logits, int[] labels, double t) {
		double sum = 0;
		for (int i = 0; i < logits.length; i++) {
			float[] z = logits[i];
			double max = Double.NEGATIVE_INFINITY;
			for (float v : z) max = Math.max(max, v / t);
			double s = 0;
			for (float v : z) s += Math.exp(v / t - max);
			sum += Math.log(s) + max - z[labels[i]] / t;
		}
		return sum / logits.length;
	}

}
