package org.medcnn.core.uncertainty;

/**
 * Uncertainty measures of a prediction made of several probability samples (ensemble members, TTA or
 * MC-dropout passes), after Depeweg et al. 2018 and Gal 2016: predictive entropy
 * {@code H[mean_s p_s]}, expected entropy {@code mean_s H[p_s]}, and their difference, the mutual
 * information between the prediction and the sampled model, which is high when samples disagree.
 * Natural logarithms (nats); {@code 0 log 0 = 0}.
 */
public final class Uncertainty {

	private Uncertainty() {}

	/**
	 * Entropy of a probability vector.
	 *
	 * @param p probabilities
	 * @return {@code -sum p log p} in nats
	 */
	public static double entropy(float[] p) {
		double h = 0;
		for (float v : p) if (v > 0) h -= v * Math.log(v);
		return h;
	}

	/**
	 * Mean of probability samples.
	 *
	 * @param samples S rows of C probabilities
	 * @return C mean probabilities
	 * @throws IllegalArgumentException if there are no samples or their lengths differ
	 */
	public static float[] mean(float[][] samples) {
		if (samples.length == 0) throw new IllegalArgumentException("no probability samples");
		int c = samples[0].length;
		double[] acc = new double[c];
		for (float[] s : samples) {
			if (s.length != c) throw new IllegalArgumentException("probability samples of different lengths");
			for (int i = 0; i < c; i++) acc[i] += s[i];
		}
		float[] out = new float[c];
		for (int i = 0; i < c; i++) out[i] = (float) (acc[i] / samples.length);
		return out;
	}

	/**
	 * Computes the measures of one slice. The flag is left unknown ({@code -1}); see
	 * {@link UncertaintyEstimate#flagged(double)}.
	 *
	 * @param samples S rows of C probabilities, S at least 1
	 * @param top the index of the predicted class
	 * @return the estimate
	 */
	public static UncertaintyEstimate estimate(float[][] samples, int top) {
		float[] mean = mean(samples);
		double total = entropy(mean);
		double expected = 0;
		double m1 = 0;
		double m2 = 0;
		for (float[] s : samples) {
			expected += entropy(s);
			m1 += s[top];
			m2 += (double) s[top] * s[top];
		}
		int n = samples.length;
		expected /= n;
		m1 /= n;
		double var = Math.max(0, m2 / n - m1 * m1);
		// Rounding can make H[mean] fall a hair below the mean of H; the information is never negative.
		double mi = Math.max(0, total - expected);
		return new UncertaintyEstimate(n, total, expected, mi, Math.sqrt(var), -1);
	}
}
