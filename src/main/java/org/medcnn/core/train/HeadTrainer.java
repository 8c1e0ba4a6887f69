package org.medcnn.core.train;

import java.util.List;
import java.util.SplittableRandom;
import org.medcnn.core.progress.Cancellation;

/**
 * Trains the linear head on cached pooled features (the trunk frozen): multinomial logistic
 * regression with a class-weighted cross-entropy, Adam with decoupled weight decay, mini-batches of
 * 64, early stopping on validation loss, optionally inverted dropout on the features (the same dropout
 * that MC-dropout inference applies). Pure Java and deterministic for a given seed.
 */
final class HeadTrainer {

	/** Epochs without validation improvement before the head phase stops. */
	static final int PATIENCE = 20;
	private static final int BATCH = 64;

	private final int f;
	private final int c;
	private final double[] weights;
	private final TrainingConfig cfg;
	private final double dropout;

	record Outcome(int epochs, boolean cancelled, float[] weights, float[] bias, double bestValidationLoss) {}

	HeadTrainer(int features, int classes, double[] classWeights, TrainingConfig cfg) {
		this(features, classes, classWeights, cfg, 0);
	}

	HeadTrainer(int features, int classes, double[] classWeights, TrainingConfig cfg, double dropout) {
		if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
		this.f = features;
		this.c = classes;
		this.weights = classWeights;
		this.cfg = cfg;
		this.dropout = dropout;
	}

	Outcome fit(float[][] xTrain, int[] yTrain, float[][] xVal, int[] yVal, List<EpochRecord> history, TrainingListener listener, Cancellation cancel) {
		double[] w = new double[c * f];
		double[] b = new double[c];
		double[] mw = new double[w.length];
		double[] vw = new double[w.length];
		double[] mb = new double[c];
		double[] vb = new double[c];
		double lr = cfg.learningRate;
		SplittableRandom rnd = new SplittableRandom(cfg.seed);
		double best = Double.POSITIVE_INFINITY;
		float[] bestW = toFloat(w);
		float[] bestB = toFloat(b);
		int since = 0;
		int t = 0;
		int epochs = 0;
		boolean cancelled = false;
		int n = xTrain.length;
		double[] gw = new double[w.length];
		double[] gb = new double[c];
		double[] logits = new double[c];
		float[] dropped = new float[f];
		float keepScale = (float) (1 / (1 - dropout));
		for (int epoch = 1; epoch <= cfg.headEpochs; epoch++) {
			long t0 = System.nanoTime();
			int[] order = ClassifierTrainer.permutation(n, rnd);
			double lossSum = 0;
			double weightSum = 0;
			int right = 0;
			int batches = (n + BATCH - 1) / BATCH;
			for (int bi = 0; bi < batches; bi++) {
				if (cancel.isCancelled()) {
					cancelled = true;
					break;
				}
				java.util.Arrays.fill(gw, 0);
				java.util.Arrays.fill(gb, 0);
				double bw = 0;
				int end = Math.min(n, (bi + 1) * BATCH);
				for (int k = bi * BATCH; k < end; k++) {
					int i = order[k];
					float[] x = xTrain[i];
					if (dropout > 0) {
						for (int q = 0; q < f; q++) dropped[q] = rnd.nextDouble() < dropout ? 0 : x[q] * keepScale;
						x = dropped;
					}
					int y = yTrain[i];
					double sw = weights[y];
					forward(w, b, x, logits);
					double max = Double.NEGATIVE_INFINITY;
					int arg = 0;
					for (int j = 0; j < c; j++) {
						if (logits[j] > max) {
							max = logits[j];
							arg = j;
						}
					}
					if (arg == y) right++;
					double z = 0;
					for (int j = 0; j < c; j++) z += Math.exp(logits[j] - max);
					double logZ = Math.log(z) + max;
					lossSum += sw * (logZ - logits[y]);
					bw += sw;
					for (int j = 0; j < c; j++) {
						double g = sw * (Math.exp(logits[j] - logZ) - (j == y ? 1 : 0));
						gb[j] += g;
						int row = j * f;
						for (int q = 0; q < f; q++) gw[row + q] += g * x[q];
					}
				}
				weightSum += bw;
				t++;
				adam(w, gw, mw, vw, bw, lr, cfg.weightDecay, t);
				adam(b, gb, mb, vb, bw, lr, 0, t);
			}
			if (cancelled) break;
			epochs = epoch;
			double[] val = evaluate(xVal, yVal, toFloat(w), toFloat(b), f, c, weights);
			boolean isBest = val[0] < best - 1e-6;
			if (isBest) {
				best = val[0];
				bestW = toFloat(w);
				bestB = toFloat(b);
				since = 0;
			} else {
				since++;
			}
			EpochRecord rec = new EpochRecord("head", epoch, lossSum / weightSum, (double) right / n, val[0], val[1], (System.nanoTime() - t0) / 1e9, isBest);
			history.add(rec);
			listener.epoch(rec);
			if (since >= PATIENCE) break;
		}
		return new Outcome(epochs, cancelled, bestW, bestB, best);
	}

	private void forward(double[] w, double[] b, float[] x, double[] out) {
		for (int j = 0; j < c; j++) {
			double acc = b[j];
			int row = j * f;
			for (int q = 0; q < f; q++) acc += w[row + q] * x[q];
			out[j] = acc;
		}
	}

	private static void adam(double[] p, double[] g, double[] m, double[] v, double scale, double lr, double wd, int t) {
		double bc1 = 1 - Math.pow(0.9, t);
		double bc2 = 1 - Math.pow(0.999, t);
		for (int i = 0; i < p.length; i++) {
			double gi = g[i] / scale;
			m[i] = 0.9 * m[i] + 0.1 * gi;
			v[i] = 0.999 * v[i] + 0.001 * gi * gi;
			p[i] -= lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + 1e-8) + lr * wd * p[i];
		}
	}

	/**
	 * Class-weighted cross-entropy and accuracy of a head on features.
	 *
	 * @return {loss, accuracy}
	 */
	static double[] evaluate(float[][] x, int[] y, float[] w, float[] b, int f, int c, double[] weights) {
		double loss = 0;
		double ws = 0;
		int right = 0;
		double[] logits = new double[c];
		for (int i = 0; i < x.length; i++) {
			double max = Double.NEGATIVE_INFINITY;
			int arg = 0;
			for (int j = 0; j < c; j++) {
				double acc = b[j];
				int row = j * f;
				for (int q = 0; q < f; q++) acc += (double) w[row + q] * x[i][q];
				logits[j] = acc;
				if (acc > max) {
					max = acc;
					arg = j;
				}
			}
			double z = 0;
			for (int j = 0; j < c; j++) z += Math.exp(logits[j] - max);
			double sw = weights[y[i]];
			loss += sw * (Math.log(z) + max - logits[y[i]]);
			ws += sw;
			if (arg == y[i]) right++;
		}
		return new double[] {loss / ws, (double) right / x.length};
	}

	private static float[] toFloat(double[] v) {
		float[] o = new float[v.length];
		for (int i = 0; i < v.length; i++) o[i] = (float) v[i];
		return o;
	}
}
