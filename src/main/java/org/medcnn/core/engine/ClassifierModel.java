package org.medcnn.core.engine;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;
import java.util.Arrays;
import org.medcnn.core.Messages;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.ood.OodDetector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model package loaded into the engine on one device: the TorchScript trunk plus the linear head.
 * <p>
 * Thread safety: the loaded model may be shared; each caller opens its own {@link Session}
 * (a DJL {@code Predictor} is not thread-safe) and closes it.
 */
public final class ClassifierModel implements AutoCloseable {

	private static final Logger LOG = LoggerFactory.getLogger(ClassifierModel.class);

	private final ModelPackage pkg;
	private final ZooModel<NDList, NDList> trunk;
	private final Device device;
	private final String fallbackWarning;
	private final OodArrays ood;
	private InferenceGraph.Outcome graph = new InferenceGraph.Outcome(false, "not optimized");

	private ClassifierModel(ModelPackage pkg, ZooModel<NDList, NDList> trunk, Device device, String fallbackWarning) {
		this.pkg = pkg;
		this.trunk = trunk;
		this.device = device;
		this.fallbackWarning = fallbackWarning;
		this.ood = pkg.ood() == null ? null : new OodArrays(pkg.ood(), trunk.getNDManager());
	}

	/**
	 * Loads a package on the requested device, falling back to the CPU (with a logged warning) when
	 * the GPU cannot be used.
	 *
	 * @param pkg the verified package
	 * @param spec the requested device
	 * @return the loaded model
	 * @throws ModelLoadException naming the trunk file when it is not TorchScript or does not give a
	 *         feature map that fits the head
	 */
	public static ClassifierModel load(ModelPackage pkg, DeviceSpec spec) throws ModelLoadException {
		EnginePolicy.Resolution res = EnginePolicy.resolve(spec);
		// The optimized graph's one-time check of a trunk runs a child JVM (seconds; minutes at most): here,
		// on the caller's thread, where it holds up no one else's inference and an interrupt stops it.
		// A whole model (bring your own TorchScript) runs as it was saved: the optimized and fused graphs are made for MedCNN's trunks.
		InferenceGraph.Ahead verdict = res.device().isGpu() || pkg.card().isWholeModel() ? null
			: InferenceGraph.vetAhead(pkg.trunkFile(), pkg.card().trunk().sha256(), pkg.card().input().width(), pkg.card().input().height());
		// Loading runs the trunk (the probe, the optimized graph's comparison): on the engine thread, like all inference.
		return EngineThread.call(() -> loadResolved(pkg, res, verdict));
	}

	private static ClassifierModel loadResolved(ModelPackage pkg, EnginePolicy.Resolution res, InferenceGraph.Ahead ahead) throws ModelLoadException {
		// Grad mode is per thread: DJL switches it off only on the thread that started the engine, and the
		// optimized graph is made (and checked in the child process) with it off.
		ai.djl.pytorch.jni.JniUtils.setGradMode(false);
		return TrunkLoader.withFallback(pkg, res, "", (device, warning) -> loadOn(pkg, device, warning, true, ahead));
	}

	private static ClassifierModel loadOn(ModelPackage pkg, Device device, String warning) throws ModelLoadException {
		return loadOn(pkg, device, warning, true, null);
	}

	private static ClassifierModel loadOn(ModelPackage pkg, Device device, String warning, boolean optimize, InferenceGraph.Ahead ahead) throws ModelLoadException {
		java.nio.file.Path file = pkg.trunkFile();
		ZooModel<NDList, NDList> zoo = TrunkLoader.open(file, device, TrunkLoader.Mode.INFERENCE);
		ClassifierModel model = new ClassifierModel(pkg, zoo, device, warning);
		try {
			model.probe();
		} catch (ModelLoadException | RuntimeException e) {
			zoo.close();
			throw e;
		}
		if (pkg.card().isWholeModel()) {
			model.graph = new InferenceGraph.Outcome(false, "a whole model (" + ModelCard.IN_MODEL + "): runs as saved, contiguous input");
			return model;
		}
		if (!device.isGpu() && optimize) {
			int w = pkg.card().input().width();
			int h = pkg.card().input().height();
			try {
				model.graph = InferenceGraph.apply(zoo, file, pkg.card().trunk().sha256(), w, h, ahead);
			} catch (InferenceGraph.InPlaceException e) {
				LOG.warn("{}: {}; loading it again with the plain graph", file, e.getMessage());
				zoo.close();
				ClassifierModel again = loadOn(pkg, device, warning, false, null);
				again.graph = new InferenceGraph.Outcome(false, "kept the plain graph: " + e.getMessage());
				return again;
			}
			LOG.debug("{}: {}", pkg.card().id(), model.graph.detail());
		}
		return model;
	}

	/** Runs one zero slice through the trunk (or whole model) and checks that its output fits the head (or the card's classes). */
	private void probe() throws ModelLoadException {
		int w = pkg.card().input().width();
		int h = pkg.card().input().height();
		try (Session s = newSession()) {
			s.pooledFeatures(new float[3 * w * h], 1);
		} catch (TranslateException e) {
			Throwable c = e.getCause() instanceof ContentException ? e.getCause() : e;
			if (c instanceof ContentException ce) throw new ContentException(pkg.trunkFile() + ": " + ce.getMessage());
			throw new ModelLoadException(pkg.trunkFile() + ": running the trunk on a " + w + "x" + h + " input failed: " + firstLine(e), e);
		}
	}

	/** @return the first line of the first non-empty message in a cause chain, for one-line errors */
	static String firstLine(Throwable e) {
		Throwable t = e;
		while (t.getCause() != null && (t.getMessage() == null || t.getMessage().isBlank())) t = t.getCause();
		String m = String.valueOf(t.getMessage());
		int nl = m.indexOf('\n');
		return nl > 0 ? m.substring(0, nl) : m;
	}

	/** @return the package */
	public ModelPackage pkg() {
		return pkg;
	}

	/** @return the device actually used */
	public Device device() {
		return device;
	}

	/** @return the device actually used, as shown in results ({@code cpu}, {@code gpu:0}) */
	public String deviceName() {
		return device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
	}

	/** @return whether the trunk runs libtorch's optimized inference graph ({@link InferenceGraph}), and how it was checked or why not */
	public InferenceGraph.Outcome graph() {
		return graph;
	}

	/** @return whether sessions opened now give the trunk its input channels-last ({@link EnginePolicy#channelsLast(Device, EnginePolicy.Graph)}) */
	public boolean channelsLastInput() {
		// A whole model may reshape its activations with view(), which needs contiguous memory: it gets contiguous input.
		if (pkg.card().isWholeModel()) return false;
		return EnginePolicy.channelsLast(device, graph.kind());
	}

	/** @return the loaded trunk, for tests in this package that look at the engine's module */
	ZooModel<NDList, NDList> trunk() {
		return trunk;
	}

	/** @return why the requested device was not used, or null */
	public String fallbackWarning() {
		return fallbackWarning;
	}

	/**
	 * Opens an inference session; close it after use. Not thread-safe; one per thread.
	 *
	 * @return the session
	 */
	public Session newSession() {
		return new Session(newPredictor());
	}

	private Predictor<TensorBatch, float[]> newPredictor() {
		// A fused trunk runs its fused program (FusedGraph) in the place of its own forward.
		if (pkg.card().isWholeModel()) return trunk.newPredictor(new WholeModelTranslator(pkg.card(), new InputTensors(false, true)));
		ZooModel<NDList, NDList> runs = graph.isFused() ? graph.fused().program() : trunk;
		return runs.newPredictor(new PooledTranslator(pkg.head().features(), new InputTensors(channelsLastInput(), true), graph.fused(), pkg.card().input()));
	}

	@Override
	public void close() {
		if (ood != null) ood.close();
		if (graph.isFused()) graph.fused().close();
		trunk.close();
	}

	/**
	 * The out-of-distribution detector's distances ({@link OodDetector#distance}) of slices from their pooled
	 * features, computed by the engine in one call for all of them (on the engine thread, with its threads).
	 *
	 * @param pooled n x F pooled features, row-major
	 * @param n number of slices
	 * @return n distances
	 * @throws IllegalStateException if the package has no detector
	 * @throws TranslateException if the engine fails
	 */
	public float[] oodDistances(float[] pooled, int n) throws TranslateException {
		if (ood == null) throw new IllegalStateException(pkg.card().id() + " has no out-of-distribution detector");
		if (n < 2 || device.isGpu() || !EngineThread.lanesUsable() || EngineThread.inPair()) return EngineThread.call(() -> ood.distances(pooled, 0, n));
		// Half the slices on each engine lane, as batches run: each lane has half of the engine's threads.
		int first = (n + 1) / 2;
		java.util.List<float[]> parts = EngineThread.callPair(() -> ood.distances(pooled, 0, first), () -> ood.distances(pooled, first, n - first));
		float[] out = Arrays.copyOf(parts.get(0), n);
		System.arraycopy(parts.get(1), 0, out, first, n - first);
		return out;
	}

	/** Inference over batches of preprocessed slices. */
	public final class Session implements AutoCloseable {
		private final Predictor<TensorBatch, float[]> predictor;
		private Predictor<TensorBatch, float[]> second;

		private Session(Predictor<TensorBatch, float[]> predictor) {
			this.predictor = predictor;
		}

		/**
		 * Runs the trunk and global average pooling.
		 *
		 * @param data n preprocessed slices, each 3 x H x W, contiguous
		 * @param n number of slices in {@code data}
		 * @return n x F pooled features, row-major
		 * @throws TranslateException if the engine fails
		 */
		public float[] pooledFeatures(float[] data, int n) throws TranslateException {
			return pooledFeatures(data, 0, n);
		}

		/**
		 * Runs the trunk and global average pooling on slices that start inside a larger array.
		 *
		 * @param data preprocessed slices, each 3 x H x W, contiguous
		 * @param offset index of the first value of the first slice
		 * @param n number of slices, from {@code offset} on
		 * @return n x F pooled features, row-major
		 * @throws TranslateException if the engine fails
		 */
		public float[] pooledFeatures(float[] data, int offset, int n) throws TranslateException {
			return features(new TensorBatch(data, offset, null, n, pkg.card().input().height(), pkg.card().input().width()));
		}

		/**
		 * {@link #pooledFeatures(float[], int, int)} of slices given as unit images (grey, H x W each, before the
		 * channel normalisation, as {@code SlicePreprocessor.unitImage} makes them): the tensor is built from
		 * them with the model's channel mean and std ({@link InputTensors#createFromUnits}), the same values.
		 *
		 * @param units unit images, the first {@code n} used
		 * @param n number of slices
		 * @return n x F pooled features, row-major
		 * @throws TranslateException if the engine fails
		 */
		public float[] pooledFeaturesOfUnits(float[][] units, int n) throws TranslateException {
			return features(new TensorBatch(null, 0, units, n, pkg.card().input().height(), pkg.card().input().width()));
		}

		/** A batch's pooled features: in one call, or as two halves at once on the engine's two lanes (EngineThread#callPair), each with its own predictor. */
		private float[] features(TensorBatch batch) throws TranslateException {
			int n = batch.n();
			if (n < 2 || device.isGpu() || !EngineThread.lanesUsable() || EngineThread.inPair()) return EngineThread.call(() -> predictor.predict(batch));
			if (second == null) second = newPredictor();
			Predictor<TensorBatch, float[]> p2 = second;
			int first = (n + 1) / 2;
			TensorBatch a = batch.first(first);
			TensorBatch b = batch.rest(first);
			java.util.List<float[]> parts = EngineThread.callPair(() -> predictor.predict(a), () -> p2.predict(b));
			float[] out = Arrays.copyOf(parts.get(0), parts.get(0).length + parts.get(1).length);
			System.arraycopy(parts.get(1), 0, out, parts.get(0).length, parts.get(1).length);
			return out;
		}

		/**
		 * Runs trunk and head. For an ensemble package the "logits" are the logarithms of the mean of the
		 * members' calibrated probabilities, so that {@link #toProbabilities} works the same for both.
		 *
		 * @param data n preprocessed slices, each 3 x H x W, contiguous
		 * @param n number of slices in {@code data}
		 * @return n rows of C logits
		 * @throws TranslateException if the engine fails
		 */
		public float[][] logits(float[] data, int n) throws TranslateException {
			float[] pooled = pooledFeatures(data, n);
			if (pkg.heads().size() == 1) return headLogits(0, pooled, n);
			float[][] mean = averageProbabilities(pooled, n);
			for (float[] row : mean) {
				for (int c = 0; c < row.length; c++) row[c] = (float) Math.log(Math.max(row[c], 1e-30f));
			}
			return mean;
		}

		/**
		 * Applies one head to pooled features.
		 *
		 * @param head index into {@link ModelPackage#heads()}
		 * @param pooled n x F pooled features, row-major, from {@link #pooledFeatures}
		 * @param n number of rows
		 * @return n rows of C raw logits (not divided by the head's temperature)
		 */
		public float[][] headLogits(int head, float[] pooled, int n) {
			LinearHead h = pkg.heads().get(head).head();
			int f = h.features();
			float[][] out = new float[n][];
			for (int i = 0; i < n; i++) out[i] = h.logits(Arrays.copyOfRange(pooled, i * f, (i + 1) * f));
			return out;
		}

		private float[][] averageProbabilities(float[] pooled, int n) {
			int heads = pkg.heads().size();
			float[][] mean = null;
			for (int k = 0; k < heads; k++) {
				double t = pkg.heads().get(k).temperature();
				float[][] z = headLogits(k, pooled, n);
				if (mean == null) mean = new float[n][z[0].length];
				for (int i = 0; i < n; i++) {
					float[] p = Probabilities.softmax(z[i], t);
					for (int c = 0; c < p.length; c++) mean[i][c] += p[c] / heads;
				}
			}
			return mean;
		}

		/**
		 * Runs trunk and head and returns calibrated probabilities: softmax of the logits divided by the
		 * card's temperature.
		 *
		 * @param data n preprocessed slices, each 3 x H x W, contiguous
		 * @param n number of slices in {@code data}
		 * @return n rows of C probabilities
		 * @throws TranslateException if the engine fails
		 */
		public float[][] probabilities(float[] data, int n) throws TranslateException {
			return toProbabilities(logits(data, n));
		}

		/**
		 * Converts logits to calibrated probabilities with the card's temperature (for an ensemble: the
		 * temperature applied to the averaged probabilities, 1 unless its card calibrates the ensemble).
		 *
		 * @param logits rows of logits
		 * @return rows of probabilities
		 */
		public float[][] toProbabilities(float[][] logits) {
			double t = pkg.card().temperature();
			float[][] out = new float[logits.length][];
			for (int i = 0; i < logits.length; i++) out[i] = Probabilities.softmax(logits[i], t);
			return out;
		}

		@Override
		public void close() {
			predictor.close();
			if (second != null) second.close();
		}
	}

	/**
	 * A batch of slices: preprocessed, contiguous in {@code data} from {@code offset}; or, when {@code units}
	 * is not null, the unit images that the translator normalises.
	 */
	record TensorBatch(float[] data, int offset, float[][] units, int n, int height, int width) {

		/** @return its first {@code k} slices */
		TensorBatch first(int k) {
			return new TensorBatch(data, offset, units, k, height, width);
		}

		/** @return its slices after the first {@code k} */
		TensorBatch rest(int k) {
			return units != null ? new TensorBatch(null, 0, Arrays.copyOfRange(units, k, n), n - k, height, width)
				: new TensorBatch(data, offset + k * 3 * height * width, null, n - k, height, width);
		}
	}

	/** Trunk output that does not fit the package (wrong rank or channels): never retried on another device. */
	static final class ContentException extends ModelLoadException {
		private static final long serialVersionUID = 1L;

		ContentException(String message) {
			super(message);
		}
	}

	/**
	 * The out-of-distribution detector's matrices as engine arrays on the model's device, made at the
	 * first call that needs them and kept with the model: the distances of many slices are then one matrix
	 * product. In float32 against references centred on their mean: a distance
	 * is {@code |y - c|^2 + |r - c|^2 - 2 (y - c).(r - c)}, and with the centre {@code c} removed the norms are
	 * of the size of the distances, so float32 keeps them to about 1e-6 of the distance (without the
	 * centring, errors of 1e-7 of norms near 1 exceeded the whole distance of a slice close to its training
	 * neighbours). The product reads the whole reference matrix (12 MB for the brain model's 2282 x 1280 float32
	 * references) once per call, which costs more than the arithmetic for a few slices (a half batch of 4 on
	 * one thread: 1.2 ms in float32, 2.1 ms in float64, measured), so callers score a whole run at once.
	 */
	private static final class OodArrays implements AutoCloseable {
		private final OodDetector detector;
		private final NDManager parent;
		private NDManager manager;
		/** D x R: the centred reference rows, transposed. */
		private NDArray referencesT;
		/** 1 x R: the centred references' squared norms. */
		private NDArray referenceNorms;
		/** 1 x D: the centre. */
		private NDArray centre;
		/** F x D: the map, transposed; null without a map. */
		private NDArray mapT;

		OodArrays(OodDetector detector, NDManager parent) {
			this.detector = detector;
			this.parent = parent;
		}

		/** Slices per engine product: bounds the n x R distance matrix (512 x 2282 floats: 4.7 MB). */
		private static final int CHUNK = 512;

		/** The distances of slices {@code from .. from + n - 1} from their pooled features (rows of F), in chunks; called on an engine thread. */
		float[] distances(float[] pooled, int from, int n) {
			ensure();
			int f = detector.features();
			float[] out = new float[n];
			for (int start = 0; start < n; start += CHUNK) {
				int c = Math.min(CHUNK, n - start);
				try (NDManager scope = manager.newSubManager()) {
					NDArray y = scope.create(java.nio.FloatBuffer.wrap(pooled, (from + start) * f, c * f), new Shape(c, f));
					if (mapT != null) y = y.matMul(mapT);
					if (detector.normalized()) {
						// a zero row stays zero, as in OodDetector.distance
						NDArray norm = y.square().sum(new int[] {1}, true).sqrt();
						y = y.div(norm.maximum(1e-30f));
					}
					y = y.sub(centre);
					NDArray yy = y.square().sum(new int[] {1}, true);
					NDArray d2 = yy.add(referenceNorms).sub(y.matMul(referencesT).mul(2)).maximum(0f);
					int k = detector.k();
					NDArray kth = k == 1 ? d2.min(new int[] {1}) : d2.topK(k, 1, false, true).get(0).get(":, " + (k - 1));
					System.arraycopy(kth.toFloatArray(), 0, out, start, c);
				}
			}
			return out;
		}

		private synchronized void ensure() {
			if (manager != null) return;
			NDManager m = parent.newSubManager();
			int d = detector.dimension();
			int r = detector.referenceRows();
			float[] refs = detector.references();
			double[] mean = new double[d];
			for (int j = 0; j < r; j++) for (int i = 0; i < d; i++) mean[i] += refs[j * d + i];
			float[] c = new float[d];
			for (int i = 0; i < d; i++) c[i] = (float) (mean[i] / r);
			float[] centred = new float[refs.length];
			float[] norms = new float[r];
			for (int j = 0; j < r; j++) {
				double s = 0;
				for (int i = 0; i < d; i++) {
					float v = refs[j * d + i] - c[i];
					centred[j * d + i] = v;
					s += (double) v * v;
				}
				norms[j] = (float) s;
			}
			NDArray refArray = m.create(centred, new Shape(r, d));
			referencesT = refArray.transpose().duplicate();
			refArray.close();
			referenceNorms = m.create(norms, new Shape(1, r));
			centre = m.create(c, new Shape(1, d));
			float[] map = detector.map();
			if (map != null) {
				NDArray a = m.create(map, new Shape(d, detector.features()));
				mapT = a.transpose().duplicate();
				a.close();
			}
			manager = m;
		}

		@Override
		public synchronized void close() {
			if (manager != null) manager.close();
			manager = null;
		}
	}

	/**
	 * Feeds a batch to a whole model and returns, per slice, its K class scores (the logarithms of the
	 * probabilities of a model that returns probabilities, so that softmax gives them back unchanged and is
	 * never applied twice), followed by the F features of the card's feature method when it names one.
	 */
	private static final class WholeModelTranslator implements NoBatchifyTranslator<TensorBatch, float[]> {
		/** Largest distance of a probability row's sum from 1. */
		private static final double SUM_TOLERANCE = 1e-3;

		private final ModelCard card;
		private final InputTensors inputs;
		private final float[] mean;
		private final float[] std;

		WholeModelTranslator(ModelCard card, InputTensors inputs) {
			this.card = card;
			this.inputs = inputs;
			this.mean = card.input().mean();
			this.std = card.input().std();
		}

		@Override
		public NDList processInput(TranslatorContext ctx, TensorBatch b) {
			NDArray x = b.units() != null ? inputs.createFromUnits(ctx.getNDManager(), b.units(), b.n(), b.height(), b.width(), mean, std)
				: inputs.create(ctx.getNDManager(), b.data(), b.offset(), b.n(), b.height(), b.width());
			// a one-channel model takes the grey slice: the three channels are equal (the card states one mean and std)
			if (card.inputChannels() == 1) x = x.get(new ai.djl.ndarray.index.NDIndex(":, 0:1, :, :"));
			ctx.setAttachment("input", x);
			return new NDList(x);
		}

		@Override
		public float[] processOutput(TranslatorContext ctx, NDList list) throws ContentException {
			int k = card.classes().size();
			float[] scores = scores(list, k);
			int n = scores.length / k;
			int f = card.featureCount();
			if (f == 0) return scores;
			NDArray x = (NDArray) ctx.getAttachment("input");
			NDArray method = ctx.getNDManager().zeros(new Shape(1));
			method.setName("module_method:" + card.featureMethod());
			NDList out;
			try {
				out = ai.djl.pytorch.jni.IValueUtils.forward((ai.djl.pytorch.engine.PtSymbolBlock) ctx.getBlock(), new NDList(x, method), false);
			} catch (RuntimeException e) {
				throw new ContentException("its feature method " + card.featureMethod() + " (head.feature_method) failed: " + firstLine(e));
			}
			if (out.isEmpty()) throw new ContentException("its feature method " + card.featureMethod() + " returned no output");
			NDArray fm = out.get(0);
			Shape s = fm.getShape();
			if (s.dimension() == 4) fm = Pool.globalAvgPool2d(fm);
			else if (s.dimension() != 2) throw new ContentException("its feature method " + card.featureMethod() + " returns shape " + s + "; expected N x F or N x F x h x w");
			if (fm.getShape().get(0) != n || fm.getShape().get(1) != f) {
				throw new ContentException("its feature method " + card.featureMethod() + " returns " + fm.getShape().get(1) + " features per slice, but head.feature_count says " + f);
			}
			float[] feats = fm.toFloatArray();
			float[] both = new float[n * (k + f)];
			for (int i = 0; i < n; i++) {
				System.arraycopy(scores, i * k, both, i * (k + f), k);
				System.arraycopy(feats, i * f, both, i * (k + f) + k, f);
			}
			return both;
		}

		/** The N x K class scores of the model's output, checked; log-probabilities for a model that returns probabilities. */
		private float[] scores(NDList list, int k) throws ContentException {
			if (list.isEmpty()) throw new ContentException("the model returned no output");
			NDArray y = list.get(0);
			Shape s = y.getShape();
			if (s.dimension() != 2) {
				throw new ContentException("the model returns shape " + s + (s.dimension() > 2 ? " (an image per slice: a segmentation model?)" : "")
					+ "; a whole-model package needs N x " + k + " class scores (one per class: " + Messages.list(card.classes()) + ")");
			}
			if (s.get(1) != k) throw new ContentException("the model returns " + s.get(1) + " scores per slice but the card lists " + k + " classes");
			float[] v = y.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
			for (float x : v) if (!Float.isFinite(x)) throw new ContentException("the model returned NaN or infinite class scores");
			if (card.wholeModelOutput() == ModelCard.Output.PROBABILITIES) {
				int n = v.length / k;
				for (int i = 0; i < n; i++) {
					double sum = 0;
					for (int c = 0; c < k; c++) {
						float p = v[i * k + c];
						if (p < -1e-6f || p > 1 + 1e-6f) throw new ContentException("head.output says probabilities, but the model returned " + p + " (logits?)");
						sum += p;
					}
					if (Math.abs(sum - 1) > SUM_TOLERANCE) {
						throw new ContentException("head.output says probabilities, but a slice's " + k + " values sum to " + (float) sum + " (logits, or a sigmoid per class?)");
					}
				}
				for (int i = 0; i < v.length; i++) v[i] = (float) Math.log(Math.max(v[i], 1e-30f));
			}
			return v;
		}
	}

	/** Feeds a batch to the trunk and pools its feature map; we batch ourselves, so no batchifier. */
	private static final class PooledTranslator implements NoBatchifyTranslator<TensorBatch, float[]> {
		private final int features;
		private final InputTensors inputs;
		private final FusedGraph.Fused fused;
		/** The channel mean and std of the model's input, for batches of unit images. */
		private final float[] mean;
		private final float[] std;

		PooledTranslator(int features, InputTensors inputs, FusedGraph.Fused fused, InputSpec spec) {
			this.features = features;
			this.inputs = inputs;
			this.fused = fused;
			this.mean = spec.mean();
			this.std = spec.std();
		}

		@Override
		public NDList processInput(TranslatorContext ctx, TensorBatch b) {
			// The input tensor is closed with the context after each call, so its buffer can be reused.
			NDArray x = b.units() != null ? inputs.createFromUnits(ctx.getNDManager(), b.units(), b.n(), b.height(), b.width(), mean, std)
				: inputs.create(ctx.getNDManager(), b.data(), b.offset(), b.n(), b.height(), b.width());
			// The fused method, with the packed weights (owned by the model, not by this call's context).
			return fused == null ? new NDList(x) : fused.inputs(x);
		}

		@Override
		public float[] processOutput(TranslatorContext ctx, NDList list) throws ContentException {
			if (list.isEmpty()) throw new ContentException("trunk returned no output");
			NDArray f = list.get(0);
			Shape s = f.getShape();
			if (s.dimension() != 4) {
				throw new ContentException("trunk output has shape " + s + " (rank " + s.dimension() + "); a trunk must return a rank-4 feature map N x C x h x w");
			}
			if (s.get(1) != features) {
				throw new ContentException("trunk output has " + s.get(1) + " channels but the head expects " + features);
			}
			// One adaptive average pooling to 1 x 1: 0.12 ms for 8 x 1280 x 7 x 7 against 0.5-0.6 ms for
			// two means (PtNDArray.mean reduces one axis at a time); the same values to float rounding.
			return Pool.globalAvgPool2d(f).toFloatArray();
		}
	}
}
