package org.medcnn.core.math;

/**
 * The probability arithmetic every part of the core shares: softmax with a temperature, and the index of
 * the largest value. One implementation, so that classification, calibration, evaluation and training
 * give bit-identical probabilities for the same logits.
 */
public final class Probabilities {

	private Probabilities() {}

	/**
	 * Numerically stable softmax.
	 *
	 * @param logits the logits
	 * @return probabilities summing to 1
	 */
	public static float[] softmax(float[] logits) {
		return softmax(logits, 1);
	}

	/**
	 * Numerically stable softmax of the logits divided by a temperature (temperature scaling: T above 1
	 * softens the probabilities, below 1 sharpens them).
	 *
	 * @param logits the logits
	 * @param t the temperature, positive
	 * @return probabilities summing to 1
	 */
	public static float[] softmax(float[] logits, double t) {
		double max = Double.NEGATIVE_INFINITY;
		for (float v : logits) max = Math.max(max, v / t);
		double[] e = new double[logits.length];
		double sum = 0;
		for (int i = 0; i < logits.length; i++) {
			e[i] = Math.exp(logits[i] / t - max);
			sum += e[i];
		}
		float[] p = new float[logits.length];
		for (int i = 0; i < p.length; i++) p[i] = (float) (e[i] / sum);
		return p;
	}

	/**
	 * Index of the largest value; the first one on ties.
	 *
	 * @param values the values, at least one
	 * @return the index
	 */
	public static int argmax(float[] values) {
		int best = 0;
		for (int i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
		return best;
	}
}
