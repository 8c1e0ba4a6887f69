package org.medcnn.core.explain;

import java.util.Arrays;
import java.util.Comparator;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.image.SlicePreprocessor.Placement;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.progress.Cancellation;

/**
 * The deletion and insertion metrics of Petsiuk et al. (2018, RISE): pixels of the slice are removed
 * (set to black) or inserted (into a blurred copy) in order of decreasing saliency, and the target
 * class's probability is followed. The area under each curve, over the fraction of pixels changed, is
 * the score: a faithful map has a low deletion AUC (the probability drops fast) and a high insertion
 * AUC. Only pixels of the slice count, never the letterbox padding.
 */
public final class DeletionInsertion {

	private DeletionInsertion() {}

	/**
	 * The two areas under the curves.
	 *
	 * @param deletion area under the deletion curve, in [0, 1], lower is better
	 * @param insertion area under the insertion curve, in [0, 1], higher is better
	 */
	public record Auc(double deletion, double insertion) {}

	/**
	 * Computes both curves for one input.
	 *
	 * @param model the model
	 * @param in the input
	 * @param map the saliency map in the model-input frame
	 * @param target the class followed
	 * @param steps points on each curve after the start (pixels change in {@code steps} equal shares)
	 * @param batchSize images per engine call
	 * @param cancellation checked between engine calls
	 * @return the areas (trapezoid rule)
	 * @throws SaliencyException if the engine fails
	 * @throws IllegalArgumentException if steps or the batch size are below 1
	 */
	public static Auc auc(ExplainModel model, ModelInput in, float[] map, int target, int steps, int batchSize, Cancellation cancellation)
		throws SaliencyException {
		if (steps < 1 || batchSize < 1) throw new IllegalArgumentException("steps and batch size must be at least 1");
		int fw = model.input().width();
		int fh = model.input().height();
		int plane = fw * fh;
		Placement p = in.placement();
		Integer[] order = new Integer[p.width() * p.height()];
		for (int y = 0, k = 0; y < p.height(); y++) for (int x = 0; x < p.width(); x++) order[k++] = (y + p.y()) * fw + x + p.x();
		// Stable sort: equal saliency keeps raster order, so the result is deterministic.
		Arrays.sort(order, Comparator.comparingDouble(i -> -map[i]));
		float[] blurred = SaliencyMaps.baseline(in, SaliencyRequest.Baseline.BLURRED, fw, fh);
		int points = steps + 1;
		double[] del = new double[points];
		double[] ins = new double[points];
		int total = 2 * points;
		for (int s = 0; s < total; s += batchSize) {
			cancellation.check("deletion/insertion");
			int b = Math.min(batchSize, total - s);
			float[] data = new float[b * plane];
			for (int k = 0; k < b; k++) {
				int job = s + k;
				boolean deletion = job < points;
				int step = deletion ? job : job - points;
				int changed = (int) Math.round((double) step * order.length / steps);
				int off = k * plane;
				if (deletion) {
					System.arraycopy(in.unit(), 0, data, off, plane);
					for (int i = 0; i < changed; i++) data[off + order[i]] = 0;
				} else {
					System.arraycopy(blurred, 0, data, off, plane);
					for (int i = 0; i < changed; i++) data[off + order[i]] = in.unit()[order[i]];
				}
			}
			float[][] logits = model.logits(data, b);
			for (int k = 0; k < b; k++) {
				int job = s + k;
				double prob = Probabilities.softmax(logits[k])[target];
				if (job < points) del[job] = prob;
				else ins[job - points] = prob;
			}
		}
		return new Auc(trapezoid(del), trapezoid(ins));
	}

	static double trapezoid(double[] y) {
		double s = 0;
		for (int i = 0; i + 1 < y.length; i++) s += (y[i] + y[i + 1]) / 2;
		return s / (y.length - 1);
	}
}
