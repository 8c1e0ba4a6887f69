package org.medcnn.core.classify;

import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.uncertainty.Seeds;
import org.medcnn.core.uncertainty.Uncertainty;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;

/**
 * Runs the models of an {@link Ensemble} over preprocessed slices and returns, per slice, every
 * probability sample the uncertainty mode calls for and their mean:
 * <ul>
 * <li>{@code none} and {@code ensemble}: one sample per member (head), each softmax(logits / its temperature);</li>
 * <li>{@code tta}: one sample per member and augmented copy (the caller prepares the copies);</li>
 * <li>{@code mc_dropout}: one sample per member and pass, with inverted dropout at the head's training
 * rate applied to the pooled features. Dropout lives only in the Java head: the trunk runs once per
 * slice in inference mode, so its batch-norm layers keep using their stored running statistics and
 * nothing in the trunk changes between passes.</li>
 * </ul>
 * Masks depend only on the seed, the slice key, the pass and the member, so results repeat whatever the
 * batch size. Not thread-safe (it holds one engine session per model).
 */
public final class PassSampler implements AutoCloseable {

	/**
	 * The outcome for a batch.
	 *
	 * @param probabilities n rows of final probabilities (mean of the samples)
	 * @param logits n rows of logits: the raw logits for a single model without uncertainty mode, else
	 *        the logarithms of the final probabilities
	 * @param samples n x S x C probability samples
	 * @param uncalibrated n rows of the probabilities with every temperature set to 1 (for calibration reports)
	 * @param oodFeatures per model (in {@link Ensemble#models()} order): the n x F pooled features of the slices
	 *        themselves (not their TTA copies), row-major, for its out-of-distribution detector; null for a model
	 *        without one. {@link OodScores} turns them into scores, for many slices at a time.
	 */
	public record Batch(float[][] probabilities, float[][] logits, float[][][] samples, float[][] uncalibrated, float[][] oodFeatures) {

		/**
		 * The out-of-distribution scores of this batch alone (callers that classify many slices collect the
		 * features and score them together, which costs less: {@link OodScores}).
		 *
		 * @param models the models that ran the batch
		 * @return one score per slice, NaN when no model has a detector
		 * @throws TranslateException if the engine fails
		 */
		public double[] oodScores(Ensemble models) throws TranslateException {
			return OodScores.of(models, oodFeatures, probabilities.length);
		}
	}

	private final Ensemble models;
	private final UncertaintyOptions options;
	private final int chunk;
	private final List<ClassifierModel.Session> sessions = new ArrayList<>();

	/**
	 * Opens one session per model.
	 *
	 * @param models the models
	 * @param options the uncertainty mode, passes and seed
	 * @param chunk the most tensors given to the engine at once
	 */
	public PassSampler(Ensemble models, UncertaintyOptions options, int chunk) {
		this.models = models;
		this.options = options;
		this.chunk = Math.max(1, chunk);
		for (ClassifierModel m : models.models()) sessions.add(m.newSession());
	}

	/**
	 * Runs a batch.
	 *
	 * @param data n x passes preprocessed tensors, the passes of a slice consecutive
	 * @param n number of slices
	 * @param passes tensors per slice (TTA copies), 1 otherwise
	 * @param keys one key per slice (its 1-based index), for the dropout masks
	 * @return probabilities and samples
	 * @throws TranslateException if the engine fails
	 */
	public Batch run(float[] data, int n, int passes, long[] keys) throws TranslateException {
		return run(data, 0, n, passes, keys);
	}

	/**
	 * Runs a batch that starts inside a larger array.
	 *
	 * @param data preprocessed tensors, n x passes of them from {@code offset} on, the passes of a slice consecutive
	 * @param offset index of the first value of the batch
	 * @param n number of slices
	 * @param passes tensors per slice (TTA copies), 1 otherwise
	 * @param keys one key per slice (its 1-based index), for the dropout masks
	 * @return probabilities and samples
	 * @throws TranslateException if the engine fails
	 */
	public Batch run(float[] data, int offset, int n, int passes, long[] keys) throws TranslateException {
		int per = models.primary().card().input().tensorSize();
		return run(n, passes, keys, session -> chunked(n * passes, (s, c) -> session.pooledFeatures(data, offset + s * per, c)));
	}

	/**
	 * Runs a batch of slices given as unit images ({@code SlicePreprocessor.unitImage}, before the channel
	 * normalisation, which each session applies as it builds the engine's input): the same results as
	 * {@link #run(float[], int, int, long[])} on the normalised slices, one tensor per slice.
	 *
	 * @param units unit images, the first {@code n} used
	 * @param n number of slices
	 * @param keys one key per slice (its 1-based index), for the dropout masks
	 * @return probabilities and samples
	 * @throws TranslateException if the engine fails
	 */
	public Batch runUnits(float[][] units, int n, long[] keys) throws TranslateException {
		return run(n, 1, keys, session -> chunked(n, (s, c) -> session.pooledFeaturesOfUnits(s == 0 ? units : Arrays.copyOfRange(units, s, s + c), c)));
	}

	/** The pooled features of a batch from one model's session. */
	@FunctionalInterface
	private interface Features {
		float[] of(ClassifierModel.Session session) throws TranslateException;
	}

	private Batch run(int n, int passes, long[] keys, Features features) throws TranslateException {
		ModelPackage first = models.primary();
		int classes = first.card().classes().size();
		boolean mc = options.mode() == UncertaintyMode.MC_DROPOUT;
		int dropoutPasses = mc ? options.passes() : 1;
		int samplesPerSlice = models.memberCount() * passes * dropoutPasses;
		float[][][] samples = new float[n][samplesPerSlice][];
		float[][][] raw = new float[n][samplesPerSlice][];
		int[] filled = new int[n];
		// A single head without samples keeps its raw logits; otherwise logits are log-probabilities.
		float[][] rawLogits = models.memberCount() == 1 && passes == 1 && options.mode() == UncertaintyMode.NONE ? new float[n][] : null;
		int member = 0;
		float[][] oodFeatures = new float[sessions.size()][];
		for (int m = 0; m < sessions.size(); m++) {
			ModelPackage pkg = models.models().get(m).pkg();
			float[] pooled = features.of(sessions.get(m));
			if (pkg.ood() != null) {
				int f = pkg.head().features();
				int at = pkg.oodOffset();
				int d = pkg.oodFeatures();
				if (passes == 1 && at == 0 && d == f) {
					oodFeatures[m] = pooled;
				} else {
					// the slice itself is the first of its passes; a whole model's detector reads the features after its class scores
					oodFeatures[m] = new float[n * d];
					for (int i = 0; i < n; i++) System.arraycopy(pooled, i * passes * f + at, oodFeatures[m], i * d, d);
				}
			}
			for (ModelPackage.Head head : pkg.heads()) {
				LinearHead h = head.head();
				int f = h.features();
				for (int j = 0; j < n * passes; j++) {
					int i = j / passes;
					float[] x = Arrays.copyOfRange(pooled, j * f, (j + 1) * f);
					if (!mc) {
						float[] z = h.logits(x);
						if (rawLogits != null) rawLogits[i] = z;
						raw[i][filled[i]] = Probabilities.softmax(z, 1);
						samples[i][filled[i]++] = Probabilities.softmax(z, head.temperature());
						continue;
					}
					for (int k = 0; k < dropoutPasses; k++) {
						float[] dropped = dropout(x, h.dropout(), Seeds.mix(options.seed(), keys[i], k, member));
						float[] z = h.logits(dropped);
						raw[i][filled[i]] = Probabilities.softmax(z, 1);
						samples[i][filled[i]++] = Probabilities.softmax(z, head.temperature());
					}
				}
				member++;
			}
		}
		double t = models.models().size() == 1 ? first.combinedTemperature() : 1;
		float[][] probs = new float[n][];
		float[][] logits = new float[n][];
		float[][] uncalibrated = new float[n][];
		for (int i = 0; i < n; i++) {
			uncalibrated[i] = Uncertainty.mean(raw[i]);
			float[] mean = Uncertainty.mean(samples[i]);
			float[] lp = new float[classes];
			for (int c = 0; c < classes; c++) lp[c] = (float) Math.log(Math.max(mean[c], 1e-30f));
			probs[i] = t == 1 ? mean : Probabilities.softmax(lp, t);
			logits[i] = rawLogits != null ? rawLogits[i] : lp;
		}
		return new Batch(probs, logits, samples, uncalibrated, oodFeatures);
	}

	/** Pooled features of tensors {@code start .. start + count - 1} of a batch. */
	@FunctionalInterface
	private interface Part {
		float[] of(int start, int count) throws TranslateException;
	}

	/** Pooled features of {@code count} tensors, given to the engine at most {@code chunk} at a time. */
	private float[] chunked(int count, Part part) throws TranslateException {
		if (count <= chunk) return part.of(0, count);
		float[] out = null;
		int f = 0;
		for (int s = 0; s < count; s += chunk) {
			int c = Math.min(chunk, count - s);
			float[] features = part.of(s, c);
			if (out == null) {
				f = features.length / c;
				out = new float[count * f];
			}
			System.arraycopy(features, 0, out, s * f, features.length);
		}
		return out;
	}

	/**
	 * Inverted dropout: each feature is zeroed with probability {@code rate}, the others scaled by
	 * 1 / (1 - rate), so the expected value is unchanged.
	 *
	 * @param x features, not modified
	 * @param rate dropout rate in [0, 1)
	 * @param seed the mask's seed
	 * @return the dropped-out copy
	 */
	static float[] dropout(float[] x, double rate, long seed) {
		SplittableRandom rnd = new SplittableRandom(seed);
		float scale = (float) (1 / (1 - rate));
		float[] out = new float[x.length];
		for (int i = 0; i < x.length; i++) out[i] = rnd.nextDouble() < rate ? 0 : x[i] * scale;
		return out;
	}

	/** @return the models this sampler runs */
	public Ensemble models() {
		return models;
	}

	@Override
	public void close() {
		for (ClassifierModel.Session s : sessions) s.close();
		sessions.clear();
	}
}
