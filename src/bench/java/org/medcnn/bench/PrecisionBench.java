package org.medcnn.bench;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.CpuFeatures;
import org.medcnn.core.engine.EnginePolicy;
import org.medcnn.core.engine.InputTensors;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;

/**
 * bf16 against fp32 through DJL and libtorch 2.5.1 on this CPU (a measurement, not a test): the same
 * TorchScript trunk as saved (fp32) and cast to bfloat16 by PyTorch ({@code precision_bf16.py --save-bf16}:
 * the module casts its fp32 input to bf16 and its features back, because DJL 0.33's
 * {@code NDArray.toType(DataType.BFLOAT16)} aborts the JVM), both run by libtorch as plain TorchScript on
 * channels-last input, and MedCNN's own fp32 fast path (the fused graph of a loaded package), in rounds
 * that alternate between the paths in one process. Prints slices/s per round, the medians and the largest
 * difference of the pooled features from fp32.
 * <p>
 * Usage: {@code java -cp ... org.medcnn.bench.PrecisionBench PACKAGE_DIR TRUNK_BF16.pt [rounds] [seconds]}
 */
public final class PrecisionBench {

	private PrecisionBench() {}

	/**
	 * Runs the measurement.
	 *
	 * @param args package folder, bf16 TorchScript file, optional rounds and seconds per measurement
	 * @throws Exception if a model does not load or inference fails
	 */
	public static void main(String[] args) throws Exception {
		Path pkgDir = Paths.get(args[0]);
		Path bf16File = Paths.get(args[1]);
		int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
		double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 3;
		EnginePolicy.init();
		CpuFeatures cpu = CpuFeatures.detect();
		System.out.printf(Locale.ROOT, "PyTorch %s through DJL %s, %d cpus; cpu_features: %s%n", EnginePolicy.engine().getVersion(),
			ai.djl.engine.Engine.getDjlVersion(), Runtime.getRuntime().availableProcessors(), cpu.describe());
		ModelPackage pkg = ModelPackage.open(pkgDir);
		try (ClassifierModel fast = ClassifierModel.load(pkg, DeviceSpec.CPU);
			ZooModel<NDList, NDList> fp32 = load(pkg.trunkFile());
			ZooModel<NDList, NDList> bf16 = load(bf16File);
			Predictor<NDList, NDList> p32 = fp32.newPredictor();
			Predictor<NDList, NDList> p16 = bf16.newPredictor();
			ClassifierModel.Session session = fast.newSession();
			NDManager manager = NDManager.newBaseManager(Device.cpu())) {
			System.out.println("MedCNN fast path: " + fast.graph().detail());
			for (int batch : new int[] {8, 1}) {
				float[] data = new float[batch * 3 * 224 * 224];
				Random r = new Random(1);
				for (int i = 0; i < data.length; i++) data[i] = (float) ((r.nextFloat() - 0.45) / 0.226);
				NDArray x32 = new InputTensors(true, false).create(manager, data, batch, 224, 224);
				float[] ref = pooled(p32.predict(new NDList(x32)).singletonOrThrow());
				float[] low = pooled(p16.predict(new NDList(x32)).singletonOrThrow());
				double maxDiff = 0;
				double maxAbs = 0;
				for (int i = 0; i < ref.length; i++) {
					maxDiff = Math.max(maxDiff, Math.abs(ref[i] - low[i]));
					maxAbs = Math.max(maxAbs, Math.abs(ref[i]));
				}
				System.out.printf(Locale.ROOT, "batch %d: bf16 pooled features differ from fp32 by at most %.3g (largest |feature| %.3g)%n", batch, maxDiff, maxAbs);
				Map<String, Step> paths = new LinkedHashMap<>();
				paths.put("fp32 plain TorchScript", () -> p32.predict(new NDList(x32)).close());
				paths.put("bf16 plain TorchScript", () -> p16.predict(new NDList(x32)).close());
				paths.put("fp32 MedCNN fast path", () -> session.logits(data, batch));
				Map<String, List<Double>> got = new LinkedHashMap<>();
				for (String k : paths.keySet()) got.put(k, new ArrayList<>());
				for (int round = 0; round < rounds; round++) {
					List<String> order = new ArrayList<>(paths.keySet());
					if (round % 2 == 1) java.util.Collections.reverse(order);
					for (String k : order) got.get(k).add(rate(paths.get(k), batch, seconds));
					StringBuilder sb = new StringBuilder("batch " + batch + " round " + (round + 1) + ":");
					for (String k : paths.keySet()) sb.append(String.format(Locale.ROOT, " %s %.1f;", k, last(got.get(k))));
					System.out.println(sb + " slices/s");
				}
				double base = median(got.get("fp32 plain TorchScript"));
				StringBuilder sb = new StringBuilder("batch " + batch + " medians:");
				for (String k : paths.keySet()) sb.append(String.format(Locale.ROOT, " %s %.1f slices/s (%.3f x fp32 plain);", k, median(got.get(k)), median(got.get(k)) / base));
				System.out.println(sb);
			}
		}
	}

	/** One inference call. */
	private interface Step {
		void run() throws Exception;
	}

	private static ZooModel<NDList, NDList> load(Path file) throws Exception {
		return Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(file).optEngine(EnginePolicy.ENGINE).optDevice(Device.cpu())
			.optTranslator(new NoopTranslator()).build().loadModel();
	}

	private static float[] pooled(NDArray features) {
		// DJL's mean takes one axis at a time: over H, then over W.
		try (NDArray p = features.mean(new int[] {3}).mean(new int[] {2})) {
			return p.toFloatArray();
		}
	}

	private static double rate(Step step, int batch, double seconds) throws Exception {
		step.run();
		long t0 = System.nanoTime();
		long done = 0;
		while (true) {
			step.run();
			done += batch;
			double dt = (System.nanoTime() - t0) / 1e9;
			if (dt >= seconds) return done / dt;
		}
	}

	private static double last(List<Double> v) {
		return v.get(v.size() - 1);
	}

	private static double median(List<Double> v) {
		double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
		Arrays.sort(a);
		return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
	}
}
