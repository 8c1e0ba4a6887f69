package org.medcnn.core.explain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.Resampling;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor.Placement;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;

/**
 * Computes saliency maps with an {@link ExplainModel}: in the model-input frame, then mapped back to
 * each slice's original size and position ({@link SaliencyMaps#toSlice}), then turned into regions
 * ({@link SaliencyRegions}).
 * <p>
 * Memory stays bounded by the request's batch size: gradient and Grad-CAM take that many slices per
 * engine call; SmoothGrad, integrated gradients and occlusion explain one slice at a time and send its
 * noisy copies, path points or occluded copies that many at a time, accumulating in Java, so for
 * example 32 integrated-gradient steps never hold more than {@code batch_size} graphs.
 * <p>
 * Grad-CAM is computed through the gradient path: one inference of the trunk without gradients, the
 * feature map detached into a leaf, and a backward pass through the head only. For MedCNN's head
 * (global average pooling and a linear layer) that gradient is {@code W[c,k] / (h w)} at every
 * position, so Grad-CAM equals CAM, {@code ReLU(sum_k W[c,k] A_k) / (h w)}; the gradient path keeps
 * it right should the head change, and the tests check it against that closed form.
 */
public final class DjlSaliency {

	private final ExplainModel model;

	/**
	 * Creates the computation for a loaded model.
	 *
	 * @param model the model
	 */
	public DjlSaliency(ExplainModel model) {
		this.model = model;
	}

	/**
	 * Explains every slice of a source.
	 *
	 * @param source the slices
	 * @param request method, target and parameters
	 * @param progress receives one step per batch of slices
	 * @param cancellation checked between engine calls
	 * @return the maps, predictions and regions, one per slice in source order
	 * @throws SaliencyException if the engine fails (the message names the source and slices)
	 * @throws IllegalArgumentException if the target is not a class of the model, a parameter does not fit the
	 *         model, or a slice cannot be classified
	 * @throws java.util.concurrent.CancellationException if cancelled
	 */
	public SaliencyRun explain(SliceSource source, SaliencyRequest request, ProgressListener progress, Cancellation cancellation) throws SaliencyException {
		int n = source.size();
		if (n == 0) throw new IllegalArgumentException(source.name() + ": the image has no slices");
		List<String> classes = model.classes();
		int fixed = request.targetIndex(classes);
		InputSpec spec = model.input();
		check(request, model);
		SlicePreprocessor pre = new SlicePreprocessor(spec);
		SaliencyMethod m = request.method();
		int chunk = m == SaliencyMethod.GRADIENT || m == SaliencyMethod.GRAD_CAM || m == SaliencyMethod.GRAD_CAM_PP ? request.batchSize() : 1;
		List<SliceSaliency> out = new ArrayList<>(n);
		String what = m.id() + " of " + source.name();
		progress.progress(what, 0, n);
		for (int start = 0; start < n; start += chunk) {
			cancellation.check(what);
			int b = Math.min(chunk, n - start);
			Slice[] slices = new Slice[b];
			List<ModelInput> inputs = new ArrayList<>(b);
			int[] targets = new int[b];
			for (int i = 0; i < b; i++) {
				slices[i] = source.get(start + i);
				inputs.add(ModelInput.of(pre, slices[i]));
				targets[i] = fixed;
			}
			long t0 = System.nanoTime();
			Result r;
			try {
				r = compute(model, request, inputs, targets, cancellation);
			} catch (SaliencyException e) {
				throw new SaliencyException(source.name() + ": " + m.id() + " failed on slices " + (start + 1) + "-" + (start + b) + ": " + e.getMessage(), e);
			}
			double ms = (System.nanoTime() - t0) / 1e6 / b;
			for (int i = 0; i < b; i++) {
				Slice s = slices[i];
				float[] map = SaliencyMaps.toSlice(r.maps()[i], spec.width(), spec.height(), inputs.get(i).placement(), s.width(), s.height());
				List<SaliencyRegions.Region> regions = SaliencyRegions.find(map, s.width(), s.height(), request.topPercent(), request.maxRegions());
				float[] p = Probabilities.softmax(r.logits()[i]);
				out.add(new SliceSaliency(start + i, s.index(), s.label(), s.width(), s.height(), r.targets()[i], classes.get(r.targets()[i]),
					Probabilities.argmax(p), p, map, regions, ms));
			}
			progress.progress(what, start + b, n);
		}
		List<String> warnings = new ArrayList<>();
		if (model.fallbackWarning() != null) warnings.add(model.fallbackWarning());
		return new SaliencyRun(source.name(), request, classes, model.pkg().card().id(), model.pkg().shortSha(), model.deviceName(), out, warnings);
	}

	/**
	 * Returns a built-in method as an {@link Explainer} (used by the sanity check).
	 *
	 * @param request the method and its parameters (the target and region settings are ignored)
	 * @return the explainer, named by the method's id
	 */
	public static Explainer explainer(SaliencyRequest request) {
		return new Explainer() {
			@Override
			public String name() {
				return request.method().id();
			}

			@Override
			public float[][] explain(ExplainModel m, List<ModelInput> inputs, int[] targets, Cancellation c) throws SaliencyException {
				checkFits(request, m.input());
				checkFeatureMap(request, m);
				int chunk = request.batchSize();
				float[][] maps = new float[inputs.size()][];
				for (int s = 0; s < inputs.size(); s += chunk) {
					int b = Math.min(chunk, inputs.size() - s);
					Result r = compute(m, request, inputs.subList(s, s + b), Arrays.copyOfRange(targets, s, s + b), c);
					System.arraycopy(r.maps(), 0, maps, s, b);
				}
				return maps;
			}
		};
	}

	/**
	 * Maps in the model-input frame, with the logits and targets of the unperturbed inputs.
	 *
	 * @param maps one H x W map per input
	 * @param logits one row of logits per input
	 * @param targets the class explained for each input
	 */
	record Result(float[][] maps, float[][] logits, int[] targets) {}

	/** Computes the request's method for a few inputs (at most one batch for the per-slice methods' callers). */
	static Result compute(ExplainModel m, SaliencyRequest req, List<ModelInput> inputs, int[] targets, Cancellation c) throws SaliencyException {
		return switch (req.method()) {
			case GRADIENT -> gradient(m, req, inputs, targets, c);
			case GRAD_CAM, GRAD_CAM_PP -> gradCam(m, req, inputs, targets, c, req.method() == SaliencyMethod.GRAD_CAM_PP);
			case SMOOTHGRAD -> smoothGrad(m, req, inputs, targets, c);
			case INTEGRATED_GRADIENTS -> integratedGradients(m, req, inputs, targets, c, false);
			case OCCLUSION -> occlusion(m, req, inputs, targets, c);
		};
	}

	/**
	 * Checks that a request fits a model: the target is one of its classes and the occlusion patch fits
	 * its input.
	 *
	 * @param req the request
	 * @param model the model
	 * @throws IllegalArgumentException naming the parameter that does not fit
	 */
	public static void check(SaliencyRequest req, ExplainModel model) {
		req.targetIndex(model.classes());
		checkFits(req, model.input());
		checkFeatureMap(req, model);
	}

	/** Grad-CAM and Grad-CAM++ read a trunk's feature map: refused, saying so, for a whole model, which has none. */
	private static void checkFeatureMap(SaliencyRequest req, ExplainModel model) {
		SaliencyMethod m = req.method();
		if ((m == SaliencyMethod.GRAD_CAM || m == SaliencyMethod.GRAD_CAM_PP) && !model.hasFeatureMap()) {
			throw new IllegalArgumentException("method " + ExplainModel.noFeatureMap(model.pkg().card().id(), m.id()));
		}
	}

	private static void checkFits(SaliencyRequest req, InputSpec spec) {
		if (req.method() == SaliencyMethod.OCCLUSION) {
			int p = patch(req, spec);
			if (p > Math.min(spec.width(), spec.height())) {
				throw new IllegalArgumentException("patch " + p + " is larger than the model input " + spec.width() + "x" + spec.height());
			}
		}
	}

	static int patch(SaliencyRequest req, InputSpec spec) {
		return req.patch() > 0 ? req.patch() : Math.max(1, (int) Math.round(Math.min(spec.width(), spec.height()) / 7.0));
	}

	static int stride(SaliencyRequest req, int patch) {
		return req.stride() > 0 ? req.stride() : Math.max(1, patch / 2);
	}

	private static float[] pack(List<ModelInput> inputs, int plane) {
		float[] data = new float[inputs.size() * plane];
		for (int i = 0; i < inputs.size(); i++) System.arraycopy(inputs.get(i).unit(), 0, data, i * plane, plane);
		return data;
	}

	private static Result gradient(ExplainModel m, SaliencyRequest req, List<ModelInput> inputs, int[] targets, Cancellation c) throws SaliencyException {
		int plane = m.input().width() * m.input().height();
		int n = inputs.size();
		float[][] maps = new float[n][];
		float[][] logits = new float[n][];
		int[] used = new int[n];
		for (int s = 0; s < n; s += req.batchSize()) {
			c.check("gradient");
			int b = Math.min(req.batchSize(), n - s);
			ExplainModel.InputGradients g = m.inputGradients(pack(inputs.subList(s, s + b), plane), b, Arrays.copyOfRange(targets, s, s + b));
			for (int i = 0; i < b; i++) {
				float[] map = new float[plane];
				for (int j = 0; j < plane; j++) map[j] = Math.abs(g.gradients()[i * plane + j]);
				maps[s + i] = map;
				logits[s + i] = g.logits()[i];
				used[s + i] = g.targets()[i];
			}
		}
		return new Result(maps, logits, used);
	}

	private static Result gradCam(ExplainModel m, SaliencyRequest req, List<ModelInput> inputs, int[] targets, Cancellation c, boolean plusPlus)
		throws SaliencyException {
		InputSpec spec = m.input();
		int plane = spec.width() * spec.height();
		int n = inputs.size();
		float[][] maps = new float[n][];
		float[][] logits = new float[n][];
		int[] used = new int[n];
		for (int s = 0; s < n; s += req.batchSize()) {
			c.check("grad_cam");
			int b = Math.min(req.batchSize(), n - s);
			ExplainModel.FeatureGradients fg = m.featureGradients(pack(inputs.subList(s, s + b), plane), b, Arrays.copyOfRange(targets, s, s + b));
			for (int i = 0; i < b; i++) {
				float[] cam = plusPlus ? camPlusPlus(fg, i) : cam(fg, i);
				maps[s + i] = Resampling.resize(cam, fg.width(), fg.height(), spec.width(), spec.height());
				logits[s + i] = fg.logits()[i];
				used[s + i] = fg.targets()[i];
			}
		}
		return new Result(maps, logits, used);
	}

	/**
	 * Grad-CAM of one image: ReLU of the channels weighted by their spatially averaged gradient.
	 *
	 * @param fg the batch's activations and gradients
	 * @param i the image in the batch
	 * @return the h x w map
	 */
	static float[] cam(ExplainModel.FeatureGradients fg, int i) {
		int k = fg.channels();
		int hw = fg.height() * fg.width();
		double[] acc = new double[hw];
		for (int ch = 0; ch < k; ch++) {
			int base = (i * k + ch) * hw;
			double alpha = 0;
			for (int j = 0; j < hw; j++) alpha += fg.gradients()[base + j];
			alpha /= hw;
			for (int j = 0; j < hw; j++) acc[j] += alpha * fg.activations()[base + j];
		}
		return relu(acc);
	}

	/**
	 * Grad-CAM++ of one image: channel weights {@code sum_ij a_ij ReLU(g_ij)} with
	 * {@code a_ij = g^2 / (2 g^2 + sum_ab A_ab g^3)} (Chattopadhay et al. 2018, exponential score),
	 * computed as {@code 1 / (2 + sum_ab A_ab g)} where {@code g > 0}, which is the same value without
	 * the underflow of the cubes (and needs no epsilon).
	 *
	 * @param fg the batch's activations and gradients
	 * @param i the image in the batch
	 * @return the h x w map
	 */
	static float[] camPlusPlus(ExplainModel.FeatureGradients fg, int i) {
		int k = fg.channels();
		int hw = fg.height() * fg.width();
		double[] acc = new double[hw];
		for (int ch = 0; ch < k; ch++) {
			int base = (i * k + ch) * hw;
			double sumA = 0;
			for (int j = 0; j < hw; j++) sumA += fg.activations()[base + j];
			double weight = 0;
			for (int j = 0; j < hw; j++) {
				double g = fg.gradients()[base + j];
				if (g <= 0) continue;
				double denom = 2 + sumA * g;
				if (denom > 0) weight += g / denom;
			}
			for (int j = 0; j < hw; j++) acc[j] += weight * fg.activations()[base + j];
		}
		return relu(acc);
	}

	private static float[] relu(double[] v) {
		float[] out = new float[v.length];
		for (int j = 0; j < v.length; j++) out[j] = v[j] > 0 ? (float) v[j] : 0f;
		return out;
	}

	/** Resolves -1 targets to the predicted class with one plain inference, and returns the logits. */
	private static float[][] cleanLogits(ExplainModel m, List<ModelInput> inputs, int[] targets, int[] used) throws SaliencyException {
		int plane = m.input().width() * m.input().height();
		float[][] logits = m.logits(pack(inputs, plane), inputs.size());
		for (int i = 0; i < inputs.size(); i++) used[i] = targets[i] >= 0 ? targets[i] : Probabilities.argmax(logits[i]);
		return logits;
	}

	private static Result smoothGrad(ExplainModel m, SaliencyRequest req, List<ModelInput> inputs, int[] targets, Cancellation c) throws SaliencyException {
		InputSpec spec = m.input();
		int fw = spec.width();
		int plane = fw * spec.height();
		int n = inputs.size();
		int[] used = new int[n];
		float[][] logits = cleanLogits(m, inputs, targets, used);
		float[][] maps = new float[n][];
		for (int i = 0; i < n; i++) {
			ModelInput in = inputs.get(i);
			Placement p = in.placement();
			float lo = Float.POSITIVE_INFINITY;
			float hi = Float.NEGATIVE_INFINITY;
			for (int y = p.y(); y < p.y() + p.height(); y++) {
				for (int x = p.x(); x < p.x() + p.width(); x++) {
					lo = Math.min(lo, in.unit()[y * fw + x]);
					hi = Math.max(hi, in.unit()[y * fw + x]);
				}
			}
			double sigma = req.noise() * (hi - lo);
			// The same seeded noise sequence for every slice: a slice's map depends neither on its position nor on the batching.
			SplittableRandom rnd = new SplittableRandom(req.seed());
			double[] acc = new double[plane];
			for (int s = 0; s < req.samples(); s += req.batchSize()) {
				c.check("smoothgrad");
				int b = Math.min(req.batchSize(), req.samples() - s);
				float[] data = new float[b * plane];
				for (int k = 0; k < b; k++) {
					System.arraycopy(in.unit(), 0, data, k * plane, plane);
					// Noise only where the slice is: the letterbox padding is always 0 for the model.
					for (int y = p.y(); y < p.y() + p.height(); y++) {
						for (int x = p.x(); x < p.x() + p.width(); x++) data[k * plane + y * fw + x] += (float) (rnd.nextGaussian() * sigma);
					}
				}
				int[] t = new int[b];
				Arrays.fill(t, used[i]);
				float[] g = m.inputGradients(data, b, t).gradients();
				for (int k = 0; k < b; k++) for (int j = 0; j < plane; j++) acc[j] += Math.abs(g[k * plane + j]);
			}
			float[] map = new float[plane];
			for (int j = 0; j < plane; j++) map[j] = (float) (acc[j] / req.samples());
			maps[i] = map;
		}
		return new Result(maps, logits, used);
	}

	/**
	 * Integrated gradients with the midpoint rule: alpha_k = (k + 0.5) / steps.
	 *
	 * @param signed true to return the signed attributions (for tests of completeness), false for their absolute value
	 */
	static Result integratedGradients(ExplainModel m, SaliencyRequest req, List<ModelInput> inputs, int[] targets, Cancellation c, boolean signed)
		throws SaliencyException {
		InputSpec spec = m.input();
		int plane = spec.width() * spec.height();
		int n = inputs.size();
		int[] used = new int[n];
		float[][] logits = cleanLogits(m, inputs, targets, used);
		float[][] maps = new float[n][];
		int steps = req.steps();
		for (int i = 0; i < n; i++) {
			float[] u = inputs.get(i).unit();
			float[] u0 = SaliencyMaps.baseline(inputs.get(i), req.baseline(), spec.width(), spec.height());
			double[] acc = new double[plane];
			for (int s = 0; s < steps; s += req.batchSize()) {
				c.check("integrated_gradients");
				int b = Math.min(req.batchSize(), steps - s);
				float[] data = new float[b * plane];
				for (int k = 0; k < b; k++) {
					float alpha = (float) ((s + k + 0.5) / steps);
					for (int j = 0; j < plane; j++) data[k * plane + j] = u0[j] + alpha * (u[j] - u0[j]);
				}
				int[] t = new int[b];
				Arrays.fill(t, used[i]);
				float[] g = m.inputGradients(data, b, t).gradients();
				for (int k = 0; k < b; k++) for (int j = 0; j < plane; j++) acc[j] += g[k * plane + j];
			}
			float[] map = new float[plane];
			for (int j = 0; j < plane; j++) {
				double a = (u[j] - u0[j]) * acc[j] / steps;
				map[j] = (float) (signed ? a : Math.abs(a));
			}
			maps[i] = map;
		}
		return new Result(maps, logits, used);
	}

	private static Result occlusion(ExplainModel m, SaliencyRequest req, List<ModelInput> inputs, int[] targets, Cancellation c) throws SaliencyException {
		InputSpec spec = m.input();
		int fw = spec.width();
		int fh = spec.height();
		int plane = fw * fh;
		int patch = patch(req, spec);
		int stride = stride(req, patch);
		int n = inputs.size();
		int[] used = new int[n];
		float[][] logits = cleanLogits(m, inputs, targets, used);
		float[][] maps = new float[n][];
		for (int i = 0; i < n; i++) {
			ModelInput in = inputs.get(i);
			Placement p = in.placement();
			float[] fill = SaliencyMaps.baseline(in, req.baseline(), fw, fh);
			// Patch positions on a stride grid that also ends flush with the frame, kept where they touch the slice.
			List<int[]> pos = new ArrayList<>();
			for (int y : starts(fh, patch, stride)) {
				for (int x : starts(fw, patch, stride)) {
					if (x < p.x() + p.width() && x + patch > p.x() && y < p.y() + p.height() && y + patch > p.y()) pos.add(new int[] {x, y});
				}
			}
			float y0 = logits[i][used[i]];
			double[] sum = new double[plane];
			int[] count = new int[plane];
			for (int s = 0; s < pos.size(); s += req.batchSize()) {
				c.check("occlusion");
				int b = Math.min(req.batchSize(), pos.size() - s);
				float[] data = new float[b * plane];
				for (int k = 0; k < b; k++) {
					System.arraycopy(in.unit(), 0, data, k * plane, plane);
					int[] xy = pos.get(s + k);
					for (int y = xy[1]; y < xy[1] + patch; y++) System.arraycopy(fill, y * fw + xy[0], data, k * plane + y * fw + xy[0], patch);
				}
				float[][] occ = m.logits(data, b);
				for (int k = 0; k < b; k++) {
					double drop = y0 - occ[k][used[i]];
					int[] xy = pos.get(s + k);
					for (int y = xy[1]; y < xy[1] + patch; y++) {
						for (int x = xy[0]; x < xy[0] + patch; x++) {
							sum[y * fw + x] += drop;
							count[y * fw + x]++;
						}
					}
				}
			}
			float[] map = new float[plane];
			for (int j = 0; j < plane; j++) map[j] = count[j] > 0 && sum[j] > 0 ? (float) (sum[j] / count[j]) : 0f;
			maps[i] = map;
		}
		return new Result(maps, logits, used);
	}

	/** Start offsets 0, stride, 2 stride, ... and a last one flush with the end. */
	static int[] starts(int size, int patch, int stride) {
		List<Integer> s = new ArrayList<>();
		for (int x = 0; x + patch <= size; x += stride) s.add(x);
		if (s.isEmpty() || s.get(s.size() - 1) != size - patch) s.add(size - patch);
		return s.stream().mapToInt(Integer::intValue).toArray();
	}
}
