package org.medcnn.core.explain;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.GradientCollector;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.medcnn.core.engine.EnginePolicy;
import org.medcnn.core.engine.EngineThread;
import org.medcnn.core.engine.TrunkBlocks;
import org.medcnn.core.engine.TrunkLoader;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model package loaded for explanation: the TorchScript trunk with {@code trainParam=true} (so that
 * input gradients flow) plus the linear head, applied with NDArray operations so that gradients reach
 * the trunk's feature map and the input. This is a separate copy from the inference
 * {@link org.medcnn.core.engine.ClassifierModel}: its parameters can be randomised for the sanity check
 * without touching the model that classifies.
 * <p>
 * Inputs are <em>unit images</em>: the grey slice after the intensity policy and the resize, as
 * {@link org.medcnn.core.image.SlicePreprocessor#unitImage} gives it (H x W values, usually in [0, 1]).
 * The model replicates them into three channels and applies the channel mean and std itself, so input
 * gradients are gradients with respect to the grey image.
 * <p>
 * Thread safety: PyTorch allows one gradient collector per process, so every computation of every
 * instance runs under one JVM-wide lock ({@link #LOCK}); calls from several threads are serialised.
 */
public final class ExplainModel implements AutoCloseable {

	/** Its kind in a session's model cache ({@code ModelProvider.other}): loaded once, shared by the runs of a session. */
	public static final String CACHE_KIND = "explain";

	/** Serialises all saliency computations in the JVM: only one GradientCollector may be open. */
	static final Object LOCK = new Object();

	private static final Logger LOG = LoggerFactory.getLogger(ExplainModel.class);

	private final ModelPackage pkg;
	private final InputSpec spec;
	private final ZooModel<NDList, NDList> zoo;
	private final PtSymbolBlock block;
	private final NDManager manager;
	private final Device device;
	private final String fallbackWarning;
	private final int features;
	private final int featureHeight;
	private final int featureWidth;
	private LinearHead head;
	private boolean closed;

	private ExplainModel(ModelPackage pkg, ZooModel<NDList, NDList> zoo, PtSymbolBlock block, Device device, String warning, int[] featureShape) {
		this.pkg = pkg;
		this.spec = pkg.card().input();
		this.zoo = zoo;
		this.block = block;
		this.manager = zoo.getNDManager();
		this.device = device;
		this.fallbackWarning = warning;
		this.features = featureShape[0];
		this.featureHeight = featureShape[1];
		this.featureWidth = featureShape[2];
		this.head = pkg.head();
	}

	/**
	 * Loads a package for explanation on the requested device, falling back to the CPU with a warning
	 * when the GPU cannot be used.
	 *
	 * @param pkg the verified package
	 * @param deviceSpec the requested device
	 * @return the model; close it after use
	 * @throws ModelLoadException naming the trunk file when it cannot be loaded or does not fit the head
	 */
	public static ExplainModel load(ModelPackage pkg, DeviceSpec deviceSpec) throws ModelLoadException {
		return EngineThread.call(() -> loadResolved(pkg, deviceSpec));
	}

	private static ExplainModel loadResolved(ModelPackage pkg, DeviceSpec deviceSpec) throws ModelLoadException {
		return TrunkLoader.withFallback(pkg, EnginePolicy.resolve(deviceSpec), "for saliency", (device, warning) -> loadOn(pkg, device, warning));
	}

	private static ExplainModel loadOn(ModelPackage pkg, Device device, String warning) throws ModelLoadException {
		Path file = pkg.trunkFile();
		ZooModel<NDList, NDList> zoo = TrunkLoader.open(file, device, TrunkLoader.Mode.GRADIENTS);
		PtSymbolBlock b = TrunkLoader.module(zoo, file);
		int[] shape = null;
		synchronized (LOCK) {
			try {
				// Parameter gradients are never needed here; switching them off halves the backward pass.
				for (var p : b.getParameters()) p.getValue().getArray().setRequiresGradient(false);
				// Evaluation mode for good: normalisation layers use their running statistics, dropout is off.
				JniUtils.enableInferenceMode(b);
				JniUtils.setGradMode(false);
				InputSpec in = pkg.card().input();
				try (NDScope scope = new NDScope()) {
					NDArray probe = zoo.getNDManager().zeros(new Shape(1, pkg.card().inputChannels(), in.height(), in.width()));
					Shape s = IValueUtils.forward(b, new NDList(probe), true).get(0).getShape();
					if (pkg.card().isWholeModel()) {
						int k = pkg.card().classes().size();
						if (s.dimension() != 2 || s.get(1) != k) {
							throw new ModelLoadException(file + ": the model returns shape " + s + "; a whole-model package needs N x " + k + " class scores");
						}
						shape = new int[] {0, 0, 0};
					} else if (s.dimension() != 4) {
						throw new ModelLoadException(file + ": trunk output has shape " + s + "; a trunk must return a rank-4 feature map N x C x h x w");
					}
					if (!pkg.card().isWholeModel()) {
						if (s.get(1) != pkg.head().features()) {
							throw new ModelLoadException(file + ": trunk output has " + s.get(1) + " channels but the head expects " + pkg.head().features());
						}
						shape = new int[] {(int) s.get(1), (int) s.get(2), (int) s.get(3)};
					}
				}
			} catch (ModelLoadException e) {
				zoo.close();
				throw e;
			} catch (RuntimeException e) {
				zoo.close();
				throw new ModelLoadException(file + ": running the trunk failed: " + e.getMessage(), e);
			}
		}
		return new ExplainModel(pkg, zoo, b, device, warning, shape);
	}

	// -- description --

	/** @return the package */
	public ModelPackage pkg() {
		return pkg;
	}

	/** @return the input contract */
	public InputSpec input() {
		return spec;
	}

	/** @return the class names, in output order */
	public List<String> classes() {
		return pkg.card().classes();
	}

	/** @return the device actually used, as shown in results ({@code cpu}, {@code gpu:0}) */
	public String deviceName() {
		return device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
	}

	/** @return why the requested device was not used, or null */
	public String fallbackWarning() {
		return fallbackWarning;
	}

	/** @return {channels K, height h, width w} of the trunk's feature map; zeros for a whole model, which exposes none */
	public int[] featureShape() {
		return new int[] {features, featureHeight, featureWidth};
	}

	/** @return whether the model exposes a feature map (Grad-CAM and Grad-CAM++ need one): a trunk and head package does, a whole model does not */
	public boolean hasFeatureMap() {
		return !pkg.card().isWholeModel();
	}

	/** @return the head currently applied (the package's, or a randomised one) */
	public LinearHead head() {
		return head;
	}

	// -- computations --

	/**
	 * Runs trunk and head without gradients.
	 *
	 * @param units n unit images, each H x W, contiguous
	 * @param n number of images
	 * @return n rows of C logits
	 * @throws SaliencyException if the engine fails
	 */
	public float[][] logits(float[] units, int n) throws SaliencyException {
		return EngineThread.call(() -> logitsOnEngine(units, n));
	}

	private float[][] logitsOnEngine(float[] units, int n) throws SaliencyException {
		synchronized (LOCK) {
			ensureOpen();
			try (NDScope scope = new NDScope()) {
				JniUtils.setGradMode(false);
				NDArray feat = trunk(input(units, n));
				return rows(headLogits(feat).toFloatArray(), n, head.classes());
			} catch (RuntimeException e) {
				throw engineFailure("inference", e);
			}
		}
	}

	/**
	 * Computes the gradient of each image's target logit with respect to the unit image.
	 *
	 * @param units n unit images, each H x W, contiguous
	 * @param n number of images
	 * @param targets n class indices; -1 takes the class this forward pass predicts
	 * @return the gradients (n x H x W), the logits and the targets used
	 * @throws SaliencyException if the engine fails
	 */
	public InputGradients inputGradients(float[] units, int n, int[] targets) throws SaliencyException {
		return EngineThread.call(() -> inputGradientsOnEngine(units, n, targets));
	}

	private InputGradients inputGradientsOnEngine(float[] units, int n, int[] targets) throws SaliencyException {
		synchronized (LOCK) {
			ensureOpen();
			Engine engine = manager.getEngine();
			try (NDScope scope = new NDScope()) {
				NDArray u = input(units, n);
				float[] lv;
				int[] t;
				try (GradientCollector gc = engine.newGradientCollector()) {
					u.setRequiresGradient(true);
					NDArray logits = headLogits(trunk(u));
					lv = logits.toFloatArray();
					t = resolveTargets(lv, n, targets);
					gc.backward(logits.mul(oneHot(t)).sum());
				} finally {
					// Also when the collector cannot open (DJL switches grad mode on before it refuses): the
					// engine thread runs everything else after this.
					JniUtils.setGradMode(false);
				}
				return new InputGradients(u.getGradient().toFloatArray(), rows(lv, n, head.classes()), t);
			} catch (IllegalStateException e) {
				throw busy(e);
			} catch (RuntimeException e) {
				throw engineFailure("input gradients", e);
			}
		}
	}

	/**
	 * Runs the trunk once without gradients, then differentiates the target logits with respect to the
	 * feature map, detached into a new leaf (the gradient of a non-leaf map would come back as zeros).
	 * The cost is one inference plus a backward pass through the head only.
	 *
	 * @param units n unit images, each H x W, contiguous
	 * @param n number of images
	 * @param targets n class indices; -1 takes the predicted class
	 * @return activations and gradients (each n x K x h x w), logits and targets
	 * @throws SaliencyException if the engine fails
	 */
	public FeatureGradients featureGradients(float[] units, int n, int[] targets) throws SaliencyException {
		return EngineThread.call(() -> featureGradientsOnEngine(units, n, targets));
	}

	private FeatureGradients featureGradientsOnEngine(float[] units, int n, int[] targets) throws SaliencyException {
		if (!hasFeatureMap()) throw new IllegalArgumentException(noFeatureMap(pkg.card().id(), "Grad-CAM"));
		synchronized (LOCK) {
			ensureOpen();
			Engine engine = manager.getEngine();
			try (NDScope scope = new NDScope()) {
				JniUtils.setGradMode(false);
				NDArray feat = trunk(input(units, n));
				NDArray a = feat.stopGradient();
				float[] lv;
				int[] t;
				try (GradientCollector gc = engine.newGradientCollector()) {
					a.setRequiresGradient(true);
					NDArray logits = headLogits(a);
					lv = logits.toFloatArray();
					t = resolveTargets(lv, n, targets);
					gc.backward(logits.mul(oneHot(t)).sum());
				} finally {
					JniUtils.setGradMode(false);
				}
				return new FeatureGradients(a.toFloatArray(), a.getGradient().toFloatArray(), features, featureHeight, featureWidth,
					rows(lv, n, head.classes()), t);
			} catch (IllegalStateException e) {
				throw busy(e);
			} catch (RuntimeException e) {
				throw engineFailure("feature-map gradients", e);
			}
		}
	}

	private NDArray input(float[] units, int n) {
		int h = spec.height();
		int w = spec.width();
		if (units.length < n * h * w) throw new IllegalArgumentException(units.length + " values for " + n + " unit images of " + w + "x" + h);
		return manager.create(FloatBuffer.wrap(units, 0, n * h * w), new Shape(n, 1, h, w));
	}

	/**
	 * Why a method that needs a feature map cannot run on a whole model.
	 *
	 * @param id the model id
	 * @param method the method's name
	 * @return the message
	 */
	public static String noFeatureMap(String id, String method) {
		return method + " needs the feature map of a trunk, which " + id + " (a whole model: one TorchScript classifier) does not expose; "
			+ "use gradient, smoothgrad, integrated_gradients or occlusion";
	}

	/**
	 * Replicates the grey image into 3 channels (a one-channel whole model takes it as it is), normalises
	 * with the card's mean and std, and runs the trunk or whole model (eval mode).
	 */
	private NDArray trunk(NDArray u) {
		int c = pkg.card().inputChannels();
		float[] mean = c == 1 ? new float[] {spec.mean()[0]} : spec.mean();
		float[] std = c == 1 ? new float[] {spec.std()[0]} : spec.std();
		NDArray m = manager.create(mean, new Shape(1, c, 1, 1));
		NDArray s = manager.create(std, new Shape(1, c, 1, 1));
		NDArray x = u.sub(m).div(s);
		// IValueUtils.forward with isTrain=true runs the module as it is (eval mode, set at load) without
		// DJL's inference guard, which would cut the graph; PtSymbolBlock.forward(..., true) would switch the
		// module to training mode (batch statistics, dropout) and forward(..., false) keeps no graph.
		return IValueUtils.forward(block, new NDList(x), true).get(0);
	}

	private NDArray headLogits(NDArray feat) {
		if (pkg.card().isWholeModel()) {
			// the whole model's output is its class scores; probabilities are explained as their logarithms (log-probabilities)
			return pkg.card().wholeModelOutput() == ModelCard.Output.PROBABILITIES ? feat.maximum(1e-30f).log() : feat;
		}
		NDArray w = manager.create(head.weights(), new Shape(head.classes(), head.features()));
		NDArray b = manager.create(head.bias(), new Shape(head.classes()));
		// PtNDArray.mean reduces one axis at a time.
		return feat.mean(new int[] {3}).mean(new int[] {2}).matMul(w.transpose()).add(b);
	}

	private NDArray oneHot(int[] targets) {
		int c = head.classes();
		float[] mask = new float[targets.length * c];
		for (int i = 0; i < targets.length; i++) mask[i * c + targets[i]] = 1;
		return manager.create(mask, new Shape(targets.length, c));
	}

	private int[] resolveTargets(float[] logits, int n, int[] targets) {
		int c = head.classes();
		if (targets.length < n) throw new IllegalArgumentException(targets.length + " targets for " + n + " images");
		int[] t = new int[n];
		for (int i = 0; i < n; i++) {
			if (targets[i] >= c) throw new IllegalArgumentException("target class index " + targets[i] + " but the model has " + c + " classes");
			t[i] = targets[i] >= 0 ? targets[i] : Probabilities.argmax(Arrays.copyOfRange(logits, i * c, (i + 1) * c));
		}
		return t;
	}

	private static float[][] rows(float[] flat, int n, int c) {
		float[][] out = new float[n][];
		for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(flat, i * c, (i + 1) * c);
		return out;
	}

	private void ensureOpen() {
		if (closed) throw new IllegalStateException("the explanation model " + pkg.card().id() + " is closed");
	}

	private SaliencyException busy(IllegalStateException e) {
		return new SaliencyException("another gradient computation (e.g. a training run) is active in this JVM; try again when it has finished ("
			+ e.getMessage() + ")", e);
	}

	private SaliencyException engineFailure(String what, RuntimeException e) {
		return new SaliencyException(what + " with " + pkg.card().id() + " on " + deviceName() + " failed: " + e.getMessage(), e);
	}

	// -- randomisation, for the sanity check --

	/**
	 * Lists the trunk's top-level blocks in forward order: groups of parameters sharing their module path
	 * up to the first segment after the prefix common to all names (for torchvision's
	 * {@code features.14.conv.0.0.weight} the block is {@code features.14}; for a trunk with a single
	 * module {@code conv}, it is {@code conv}).
	 *
	 * @return block names, first to last; each holds at least one parameter tensor
	 */
	public List<String> blocks() {
		return new ArrayList<>(blockParameters().keySet());
	}

	private Map<String, List<Parameter>> blockParameters() {
		return TrunkBlocks.group(block);
	}

	/**
	 * Replaces the head with random weights: Gaussian with the standard deviation of the original
	 * weights (biases: of the original biases), seeded.
	 *
	 * @param seed the seed
	 */
	public void randomizeHead(long seed) {
		if (!hasFeatureMap()) throw new IllegalArgumentException(pkg.card().id() + " is a whole model: its head is inside its TorchScript file; randomise its blocks");
		synchronized (LOCK) {
			ensureOpen();
			SplittableRandom r = new SplittableRandom(seed);
			float[] w = head.weights();
			float[] b = head.bias();
			double sw = std(w, 1.0 / Math.sqrt(head.features()));
			double sb = std(b, 0);
			for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * sw);
			for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextGaussian() * sb);
			head = new LinearHead(head.features(), head.classes(), head.dropout(), w, b);
		}
	}

	/**
	 * Re-initialises every parameter tensor of a trunk block: Gaussian with the standard deviation of
	 * the original tensor (for a constant tensor, such as a fresh normalisation scale, 1/sqrt(fan-in)),
	 * mean 0, seeded. Running statistics of normalisation layers are buffers and stay.
	 *
	 * @param name a name from {@link #blocks()}
	 * @param seed the seed
	 * @throws IllegalArgumentException if there is no such block
	 */
	public void randomizeBlock(String name, long seed) {
		EngineThread.call(() -> {
			randomizeBlockOnEngine(name, seed);
			return null;
		});
	}

	private void randomizeBlockOnEngine(String name, long seed) {
		synchronized (LOCK) {
			ensureOpen();
			List<Parameter> params = blockParameters().get(name);
			if (params == null) throw new IllegalArgumentException("the trunk has no block '" + name + "'; blocks: " + blocks());
			SplittableRandom r = new SplittableRandom(seed);
			JniUtils.setGradMode(false);
			for (Parameter p : params) {
				NDArray a = p.getArray();
				float[] v = a.toFloatArray();
				Shape s = a.getShape();
				long fanIn = s.dimension() > 1 ? s.size() / s.get(0) : 1;
				double sd = std(v, 1.0 / Math.sqrt(fanIn));
				for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * sd);
				a.set(FloatBuffer.wrap(v));
			}
		}
	}

	private static double std(float[] v, double fallback) {
		if (v.length < 2) return fallback;
		double m = 0;
		for (float x : v) m += x;
		m /= v.length;
		double s = 0;
		for (float x : v) s += (x - m) * (x - m);
		double sd = Math.sqrt(s / (v.length - 1));
		return sd > 1e-12 ? sd : fallback;
	}

	@Override
	public void close() {
		synchronized (LOCK) {
			if (!closed) {
				closed = true;
				zoo.close();
			}
		}
	}

	/**
	 * Input gradients of a batch.
	 *
	 * @param gradients n x H x W gradients of the target logits with respect to the unit images
	 * @param logits n rows of C logits
	 * @param targets the n target classes used
	 */
	public record InputGradients(float[] gradients, float[][] logits, int[] targets) {}

	/**
	 * Feature maps and their gradients of a batch.
	 *
	 * @param activations n x K x h x w feature maps
	 * @param gradients n x K x h x w gradients of the target logits with respect to them
	 * @param channels K
	 * @param height h
	 * @param width w
	 * @param logits n rows of C logits
	 * @param targets the n target classes used
	 */
	public record FeatureGradients(float[] activations, float[] gradients, int channels, int height, int width, float[][] logits, int[] targets) {}
}
