package org.medcnn.core.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;

/**
 * The one place that decides the deep-learning engine, the offline policy and the device.
 * <p>
 * MedCNN runs PyTorch through DJL with the natives from the class path; nothing is ever downloaded:
 * {@code ai.djl.offline} is forced to {@code true} before the engine is first touched.
 */
public final class EnginePolicy {

	/** The DJL engine name used for TorchScript files. */
	public static final String ENGINE = "PyTorch";

	static {
		init();
	}

	private EnginePolicy() {}

	/**
	 * Makes sure the offline flag is set, the native allocator is tuned for inference
	 * ({@link NativeAllocator}) and the engine's OpenMP threads will sleep while they wait
	 * ({@link OpenMpPolicy}, which must happen before the engine is loaded). Call before any DJL use;
	 * idempotent.
	 */
	public static void init() {
		System.setProperty("ai.djl.offline", "true");
		NativeAllocator.tune();
		OpenMpPolicy.apply();
	}


	/**
	 * Whether input tensors for a trunk running the plain TorchScript graph are laid out channels-last
	 * ({@link InputTensors}): the default on the CPU, where it was measured; GPUs keep the contiguous
	 * layout (not measured here).
	 *
	 * @param device the device that runs the trunk
	 * @return true for channels-last
	 */
	public static boolean channelsLast(Device device) {
		return channelsLast(device, Graph.PLAIN);
	}

	/** The graph a trunk runs on the CPU ({@link InferenceGraph}), which decides the layout of its input. */
	public enum Graph {
		/** The TorchScript module as saved. */
		PLAIN,
		/** libtorch's optimized inference graph. */
		OPTIMIZED,
		/** MedCNN's fused program ({@link FusedGraph}). */
		FUSED
	}

	/**
	 * Whether input tensors are laid out channels-last. {@code -Dmedcnn.layout} decides when set. Else,
	 * on the CPU: channels-last for the plain graph (oneDNN's NHWC kernels, faster) and for the fused
	 * graph (whose convolutions run channels-last: given contiguous input it reorders it first; prepared
	 * slices run as fast either way, measured, and slices given as unit images are normalised and
	 * interleaved in one pass, {@link InputTensors#createFromUnits}); contiguous for libtorch's optimized graph,
	 * which reorders its input into oneDNN's own blocked layout first, so that interleaving the channels in
	 * Java would be wasted work (measured: same logits, the contiguous copy is half the cost;
	 * docs/benchmarks.md). GPUs: contiguous.
	 *
	 * @param device the device that runs the trunk
	 * @param graph the graph the trunk runs
	 * @return true for channels-last
	 */
	public static boolean channelsLast(Device device, Graph graph) {
		if (device.isGpu()) return false;
		if (EngineSetting.LAYOUT.is("contiguous")) return false;
		if (EngineSetting.LAYOUT.is("channels_last")) return true;
		return graph != Graph.OPTIMIZED;
	}

	/**
	 * Returns the PyTorch engine.
	 *
	 * @return the engine
	 * @throws ModelLoadException if the engine or its natives cannot be loaded
	 */
	public static Engine engine() throws ModelLoadException {
		init();
		try {
			return Engine.getEngine(ENGINE);
		} catch (RuntimeException | UnsatisfiedLinkError e) {
			throw new ModelLoadException("The PyTorch engine could not start (are the pytorch-native-cpu and pytorch-jni jars on the class path?): "
				+ e.getMessage(), e);
		}
	}

	/**
	 * Chooses the device for a request.
	 *
	 * @param spec what the user asked for
	 * @return the device and, when the request could not be met, the reason
	 * @throws ModelLoadException if the engine cannot start
	 */
	public static Resolution resolve(DeviceSpec spec) throws ModelLoadException {
		Engine engine = engine();
		int gpus = gpuCount(engine);
		switch (spec.kind()) {
			case CPU:
				return new Resolution(Device.cpu(), null);
			case AUTO:
				return gpus > 0 ? new Resolution(Device.gpu(0), null) : new Resolution(Device.cpu(), null);
			default:
				if (gpus == 0) return new Resolution(Device.cpu(), "device " + spec + " requested, but the engine sees no GPU (CPU natives or no CUDA); using cpu");
				if (spec.gpuIndex() >= gpus) {
					return new Resolution(Device.cpu(), "device " + spec + " requested, but only " + gpus + " GPU(s) are visible; using cpu");
				}
				return new Resolution(Device.gpu(spec.gpuIndex()), null);
		}
	}

	private static int gpuCount(Engine engine) {
		try {
			return engine.getGpuCount();
		} catch (EngineException | UnsatisfiedLinkError e) {
			return 0;
		}
	}

	/**
	 * Describes the engine for {@code medcnn doctor} and the Engine Doctor command.
	 *
	 * @return ordered key/value pairs; the engine error is reported as a value, not thrown
	 */
	public static Map<String, String> describe() {
		Map<String, String> out = new LinkedHashMap<>();
		init();
		out.put("ai.djl.offline", System.getProperty("ai.djl.offline"));
		out.put("djl_version", String.valueOf(Engine.getDjlVersion()));
		out.put("allocator", NativeAllocator.tune());
		out.put("openmp_wait", OpenMpPolicy.apply());
		out.put("engine_thread", EngineThread.describe());
		out.put("engine_lanes", EngineThread.describeLanes());
		String layout = EngineSetting.LAYOUT.key();
		String forced = EngineSetting.LAYOUT.value();
		out.put("input_layout", !forced.isEmpty() ? forced + " (-D" + layout + "=" + forced + ")"
			: "channels_last on cpu for the plain and the fused graph, contiguous for libtorch's optimized graph (-D" + layout + "=channels_last|contiguous forces one)");
		List<String> set = EngineSetting.describeSet();
		out.put("engine_settings", set.isEmpty() ? "defaults (none of the medcnn.* engine properties is set)" : String.join(", ", set));
		try {
			out.put("inference_graph", InferenceGraph.describe());
		} catch (RuntimeException | LinkageError e) {
			out.put("inference_graph", "not active: " + e.getMessage());
		}
		try {
			Engine engine = engine();
			out.put("engine", engine.getEngineName());
			out.put("pytorch_version", engine.getVersion());
			out.put("natives", nativesLocation());
			int gpus = gpuCount(engine);
			out.put("gpu_count", Integer.toString(gpus));
			out.put("cuda", gpus > 0 ? "available" : "not available (CPU natives, or no CUDA driver)");
			out.put("default_device", resolve(DeviceSpec.AUTO).device().toString());
		} catch (ModelLoadException e) {
			out.put("engine", "NOT AVAILABLE: " + e.getMessage());
		}
		out.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
		out.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
		out.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
		CpuFeatures cpu = CpuFeatures.detect();
		out.put("cpu_features", cpu.describe());
		out.put("precision", cpu.precision());
		return out;
	}

	private static String nativesLocation() {
		try {
			return ai.djl.pytorch.jni.LibUtils.getLibtorchPath();
		} catch (RuntimeException | LinkageError e) {
			return "unknown (" + e.getMessage() + ")";
		}
	}

	/**
	 * The chosen device.
	 *
	 * @param device the device to use
	 * @param warning why the request was not met, or null
	 */
	public record Resolution(Device device, String warning) {}
}
