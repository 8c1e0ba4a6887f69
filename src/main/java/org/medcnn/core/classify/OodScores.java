package org.medcnn.core.classify;

import ai.djl.translate.TranslateException;
import java.util.Arrays;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.ood.OodDetector;

/**
 * Out-of-distribution scores of slices from their pooled trunk features ({@link PassSampler.Batch#oodFeatures}):
 * each model with a detector scores every slice ({@link OodDetector#score}), and a slice takes the largest
 * score (models with their own trunks each judge it). The distances are computed by the engine, for many
 * slices in one call ({@link ClassifierModel#oodDistances}): the product reads the whole reference matrix
 * once per call, so a stack is scored at once rather than batch by batch.
 */
public final class OodScores {

	private OodScores() {}

	/**
	 * Scores slices.
	 *
	 * @param models the models
	 * @param features per model, n x F pooled features (null for a model without detector)
	 * @param n number of slices
	 * @return n scores, NaN when no model has a detector
	 * @throws TranslateException if the engine fails
	 */
	public static double[] of(Ensemble models, float[][] features, int n) throws TranslateException {
		double[] out = new double[n];
		Arrays.fill(out, Double.NaN);
		for (int m = 0; m < models.models().size(); m++) {
			ClassifierModel model = models.models().get(m);
			OodDetector d = model.pkg().ood();
			if (d == null || features[m] == null || n == 0) continue;
			float[] distances = model.oodDistances(features[m], n);
			for (int i = 0; i < n; i++) {
				double s = d.score(distances[i]);
				if (Double.isNaN(out[i]) || s > out[i]) out[i] = s;
			}
		}
		return out;
	}

	/**
	 * Collects the features of a run's slices, batch by batch, to score them together at the end.
	 */
	public static final class Collector {
		private final Ensemble models;
		private final float[][] features;
		private final int n;

		/**
		 * @param models the models
		 * @param n the number of slices of the run
		 */
		public Collector(Ensemble models, int n) {
			this.models = models;
			this.n = n;
			this.features = new float[models.models().size()][];
			for (int m = 0; m < features.length; m++) {
				ClassifierModel model = models.models().get(m);
				if (model.pkg().ood() != null) features[m] = new float[n * model.pkg().oodFeatures()];
			}
		}

		/**
		 * Keeps a batch's features (thread-safe for batches at different positions).
		 *
		 * @param batch the batch
		 * @param at the run position of its first slice
		 * @param count its slices
		 */
		public void put(PassSampler.Batch batch, int at, int count) {
			for (int m = 0; m < features.length; m++) {
				if (features[m] == null || batch.oodFeatures()[m] == null) continue;
				int f = features[m].length / n;
				System.arraycopy(batch.oodFeatures()[m], 0, features[m], at * f, count * f);
			}
		}

		/** @return whether any model has a detector */
		public boolean any() {
			for (float[] f : features) if (f != null) return true;
			return false;
		}

		/**
		 * Scores every slice of the run.
		 *
		 * @return n scores, NaN when no model has a detector
		 * @throws TranslateException if the engine fails
		 */
		public double[] scores() throws TranslateException {
			return of(models, features, n);
		}

		/**
		 * Scores every slice of the run with other copies of the same models (e.g. the CPU copies after a
		 * GPU failure).
		 *
		 * @param using the models to compute with, in the same order
		 * @return n scores, NaN when no model has a detector
		 * @throws TranslateException if the engine fails
		 */
		public double[] scores(Ensemble using) throws TranslateException {
			return of(using, features, n);
		}

		/**
		 * The predictions with their scores set.
		 *
		 * @param predictions the predictions of the run, in run order
		 * @param using the models to compute with
		 * @return the scored predictions (the same list when no model has a detector)
		 * @throws TranslateException if the engine fails
		 */
		public java.util.List<Prediction> score(java.util.List<Prediction> predictions, Ensemble using) throws TranslateException {
			if (!any()) return predictions;
			double[] s = scores(using);
			java.util.List<Prediction> out = new java.util.ArrayList<>(predictions.size());
			for (int i = 0; i < predictions.size(); i++) {
				Prediction p = predictions.get(i);
				out.add(new Prediction(p.slice(), p.label(), p.classIndex(), p.classes(), p.probabilities(), p.logits(), p.millis(), p.uncertainty(), s[i]));
			}
			return out;
		}
	}
}
