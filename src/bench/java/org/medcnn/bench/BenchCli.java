package org.medcnn.bench;

import ai.djl.translate.TranslateException;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ShortProcessor;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.medcnn.cli.CliErrors;
import org.medcnn.cli.ExitCodes;
import org.medcnn.cli.MedCnnCli;
import org.medcnn.command.ClassifySlicesCommand;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.EnginePolicy;
import org.medcnn.core.engine.EngineSetting;
import org.medcnn.core.engine.EngineThread;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.engine.OpenMpPolicy;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.ij.ImagePlusSlices;
import org.scijava.Context;
import org.scijava.command.CommandService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn bench}: inference throughput of a model package at batch 1 and 8, the PyTorch-Python
 * reference on the same TorchScript trunk (when Debian's python3-torch is present), their ratio, the
 * Java overhead of Classify Slices on a 64-slice 512x512 16-bit stack, and peak memory. A benchmark,
 * not a test: it prints figures and never fails on them.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
	description = "Benchmark inference against PyTorch-Python and measure the Classify Slices overhead.")
public final class BenchCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	/** Timed rounds of the Classify Slices overhead measurement. */
	private static final int ROUNDS = 24;

	/** The orders in which the overhead rounds run pure inference, the command, and the command the former way. */
	private static final String[][] ORDERS = {{"pure", "default", "parallel"}, {"default", "parallel", "pure"}, {"parallel", "pure", "default"},
		{"pure", "parallel", "default"}, {"parallel", "default", "pure"}, {"default", "pure", "parallel"}};

	@Option(names = "--model", defaultValue = "brain-tumor-mri", description = "Model id or folder whose trunk is measured (default: ${DEFAULT-VALUE}).")
	private String model;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--seconds", defaultValue = "10", description = "Seconds per throughput measurement (default: ${DEFAULT-VALUE}).")
	private double seconds;

	@Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch for the reference (default: ${DEFAULT-VALUE}).")
	private String python;

	@Option(names = "--stack-slices", defaultValue = "64", description = "Slices of the synthetic 512x512 16-bit stack (default: ${DEFAULT-VALUE}).")
	private int stackSlices;

	@Option(names = "--overhead-only", description = "Measure only the Classify Slices overhead, in a process that has run nothing else.")
	private boolean overheadOnly;

	@Option(names = "--ood-cost", description = "Measure only what the out-of-distribution detector adds to Classify Slices: the command on the same "
		+ "stack with the model and with a copy of it without the detector, alternating.")
	private boolean oodCost;

	@Option(names = "--device", paramLabel = "cpu|gpu|gpu:N", description = "Measure only the model's throughput at batch 1 and 8 on this device, "
		+ "after a warm-up as long as --seconds; fails when the engine cannot use the device (the GPU check, scripts/gpu-check.sh, runs this).")
	private String device;

	@Option(names = "--throughput-only", hidden = true, description = "Print only 'batch slices/s' lines (used for the defaults run in a child JVM).")
	private boolean throughputOnly;

	@Override
	public Integer call() throws Exception {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs));
		if (device != null) return onDevice(provider, out, err);
		ClassifierModel loaded;
		try {
			loaded = provider.load(model, DeviceSpec.CPU);
		} catch (ModelLoadException e) {
			CliErrors.report(err, e, "medcnn bench: " + e.getMessage());
			return ExitCodes.MODEL;
		}
		int w = loaded.pkg().card().input().width();
		int h = loaded.pkg().card().input().height();
		int[] batches = {1, 8};
		if (throughputOnly) {
			for (int b : batches) out.printf(Locale.ROOT, "%d %.3f%n", b, throughput(loaded, b));
			provider.close();
			return ExitCodes.OK;
		}
		out.printf(Locale.ROOT, "medcnn bench: model %s (%s), trunk %s, input %dx%d, cpu, %d cores%n", loaded.pkg().card().id(),
			loaded.pkg().shortSha(), loaded.pkg().trunkFile(), w, h, Runtime.getRuntime().availableProcessors());
		out.printf(Locale.ROOT, "  allocator: %s%n", org.medcnn.core.engine.NativeAllocator.tune());
		out.printf(Locale.ROOT, "  openmp: %s%n", OpenMpPolicy.apply());
		out.printf(Locale.ROOT, "  input layout: %s; intra-op threads %d, inter-op threads %d%n", EnginePolicy.describe().get("input_layout"),
			ai.djl.pytorch.jni.JniUtils.getNumThreads(), ai.djl.pytorch.jni.JniUtils.getNumInteropThreads());
		out.printf(Locale.ROOT, "  inference graph: %s%n", loaded.graph().detail());
		out.printf(Locale.ROOT, "  engine thread: %s%n", EngineThread.describe());
		out.printf(Locale.ROOT, "  engine lanes: %s%n", EngineThread.describeLanes());
		if (overheadOnly) {
			overhead(loaded, provider, out);
			provider.close();
			return ExitCodes.OK;
		}
		if (oodCost) {
			if (loaded.pkg().ood() == null) {
				err.println("medcnn bench: " + loaded.pkg().card().id() + " has no out-of-distribution detector to measure");
				provider.close();
				return ExitCodes.USAGE;
			}
			oodCost(loaded, out);
			provider.close();
			return ExitCodes.OK;
		}
		double[] plainJava = childThroughput(err, "-D" + EngineSetting.ALLOCATOR.key() + "=default", "-D" + EngineSetting.OPENMP.key() + "=default", "-D" + EngineSetting.GRAPH.key() + "=plain",
			"-D" + EngineSetting.LAYOUT.key() + "=contiguous");
		double[] spinning = childThroughput(err, "-D" + EngineSetting.OPENMP.key() + "=default");
		double[] ours = new double[2];
		double[] contiguous = new double[2];
		double[] oneLane = new double[2];
		double[] plainGraph = new double[2];
		double[] streaming = new double[2];
		double[] unfused = new double[2];
		double[] unfusedStreaming = new double[2];
		ClassifierModel plainModel = withProperty(EngineSetting.GRAPH.key(), "plain", () -> ClassifierModel.load(loaded.pkg(), DeviceSpec.CPU));
		// libtorch's optimized graph alone, as before the fused graph, when the trunk runs fused.
		ClassifierModel unfusedModel = !loaded.graph().isFused() ? null
			: withProperty(EngineSetting.GRAPH.key(), "optimized", () -> ClassifierModel.load(loaded.pkg(), DeviceSpec.CPU));
		String otherLayout = EnginePolicy.channelsLast(ai.djl.Device.cpu(), loaded.graph().kind()) ? "contiguous" : "channels_last";
		for (int i = 0; i < batches.length; i++) {
			int b = batches[i];
			ours[i] = throughput(loaded, b);
			contiguous[i] = withProperty(EngineSetting.LAYOUT.key(), otherLayout, () -> throughput(loaded, b));
			oneLane[i] = withProperty(EngineSetting.LANES.key(), "1", () -> throughput(loaded, b));
			plainGraph[i] = throughput(plainModel, b);
			streaming[i] = streamingThroughput(loaded, b);
			unfused[i] = unfusedModel == null ? Double.NaN : throughput(unfusedModel, b);
			unfusedStreaming[i] = unfusedModel == null ? Double.NaN : streamingThroughput(unfusedModel, b);
			out.printf(Locale.ROOT, "  medcnn (DJL %s, PyTorch %s) batch %d: %.1f slices/s (fast path)%s%n", ai.djl.engine.Engine.getDjlVersion(),
				ai.djl.engine.Engine.getEngine("PyTorch").getVersion(), b, ours[i], Double.isNaN(streaming[i]) ? ""
					: String.format(Locale.ROOT, "; each lane running its half batches back to back, as Classify Slices does (no wait for the other lane between batches): %.1f", streaming[i]));
			out.printf(Locale.ROOT, "    without one part: one lane %.1f, %s input %.1f, plain TorchScript graph %.1f%s%s%n", oneLane[i], otherLayout, contiguous[i], plainGraph[i],
				spinning == null ? "" : String.format(Locale.ROOT, ", OpenMP threads spinning (child JVM) %.1f", spinning[i]),
				Double.isNaN(unfused[i]) ? "" : String.format(Locale.ROOT, ", libtorch's optimized graph without the fused convolutions %.1f%s (fast path x%.2f)", unfused[i],
					Double.isNaN(unfusedStreaming[i]) ? "" : String.format(Locale.ROOT, ", lanes back to back %.1f", unfusedStreaming[i]), ours[i] / unfused[i]));
			if (plainJava != null) {
				out.printf(Locale.ROOT, "    DJL defaults (glibc allocator, OpenMP spinning, contiguous; child JVM) %.1f: fast path x%.2f%n", plainJava[i],
					ours[i] / plainJava[i]);
			}
			out.flush();
		}
		plainModel.close();
		if (unfusedModel != null) unfusedModel.close();
		JsonObject ref = pythonReference(loaded.pkg().trunkFile(), w, err);
		if (ref != null) {
			// The host's speed drifts over minutes: ours again right after the reference, and the ratios
			// from the mean of the two, which bracket the reference in time.
			double[] after = new double[batches.length];
			for (int i = 0; i < batches.length; i++) after[i] = throughput(loaded, batches[i]);
			double[] afterStreaming = new double[batches.length];
			for (int i = 0; i < batches.length; i++) afterStreaming[i] = streamingThroughput(loaded, batches[i]);
			out.printf(Locale.ROOT, "  medcnn again after the reference: %s; the ratios below use the mean of before and after%n",
				java.util.stream.IntStream.range(0, batches.length)
					.mapToObj(i -> String.format(Locale.ROOT, "batch %d %.1f slices/s", batches[i], after[i])).collect(java.util.stream.Collectors.joining(", ")));
			for (int i = 0; i < batches.length; i++) ours[i] = (ours[i] + after[i]) / 2;
			boolean allCores = ref.has("optimized_all_cores");
			out.printf(Locale.ROOT, "  pytorch-python %s (%d threads%s):%n", ref.get("torch_version").getAsString(), ref.get("threads").getAsInt(),
				allCores ? ", optimized also with " + ref.get("all_cores").getAsInt() + " threads" : "");
			for (int i = 0; i < batches.length; i++) {
				String b = Integer.toString(batches[i]);
				double plain = ref.getAsJsonObject("plain").get(b).getAsDouble();
				double opt = ref.getAsJsonObject("optimized").get(b).getAsDouble();
				String all = "";
				double best = opt;
				if (allCores) {
					double optAll = ref.getAsJsonObject("optimized_all_cores").get(b).getAsDouble();
					best = Math.max(opt, optAll);
					all = String.format(Locale.ROOT, ", optimized %d threads %.1f slices/s", ref.get("all_cores").getAsInt(), optAll);
				}
				double streamed = (streaming[i] + afterStreaming[i]) / 2;
				out.printf(Locale.ROOT, "    batch %s: plain %.1f slices/s, optimized %.1f slices/s%s; ratio medcnn/plain %.2f, medcnn/optimized %.2f%s%s%n", b, plain, opt, all,
					ours[i] / plain, ours[i] / opt, allCores ? String.format(Locale.ROOT, ", medcnn/best optimized %.2f", ours[i] / best) : "",
					Double.isNaN(streamed) ? "" : String.format(Locale.ROOT, "; medcnn's lanes back to back (mean of before and after) %.1f, /best optimized %.2f", streamed, streamed / best));
				// The same job as medcnn's figure (trunk, then global average pooling), one graph optimized in Python.
				if (ref.has("pooled_all_cores")) {
					double pooled = ref.getAsJsonObject("pooled_all_cores").get(b).getAsDouble();
					double bestPooled = pooled;
					String streams = "";
					if (ref.has("pooled_two_streams") && ref.getAsJsonObject("pooled_two_streams").has(b)) {
						double two = ref.getAsJsonObject("pooled_two_streams").get(b).getAsDouble();
						bestPooled = Math.max(pooled, two);
						streams = String.format(Locale.ROOT, ", two halves at once on two threads of 1 (as medcnn's lanes) %.1f", two);
						if (!Double.isNaN(streaming[i])) {
							streams += String.format(Locale.ROOT, " (against medcnn's lanes back to back, %.1f before and %.1f after: %.2f)", streaming[i], afterStreaming[i],
								(streaming[i] + afterStreaming[i]) / 2 / two);
						}
					}
					out.printf(Locale.ROOT, "      trunk + global average pooling (medcnn's job): optimized %d threads %.1f%s; ratio medcnn/best of these %.2f%n",
						ref.get("pooled_threads").getAsInt(), pooled, streams, ours[i] / bestPooled);
				}
			}
		}
		overhead(loaded, provider, out);
		out.flush();
		// Without the engine thread the command and pure inference run on two threads with two OpenMP
		// pools: a child JVM, since a pool cannot be taken back from a thread that still lives.
		String callers = child(err, List.of("--overhead-only"), "-D" + EngineSetting.ENGINE_THREAD.key() + "=caller");
		if (callers != null) {
			out.printf(Locale.ROOT, "  the same, each caller's thread running the engine (-D%s=caller, child JVM):%n", EngineSetting.ENGINE_THREAD.key());
			for (String line : callers.split("\n")) {
				if (line.startsWith("  Classify Slices on") || line.startsWith("    each round")) out.println("  " + line.strip());
			}
		}
		out.printf(Locale.ROOT, "  peak memory: resident %s, Java heap used now %d MiB of max %d MiB%n", peakRss(),
			(Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20, Runtime.getRuntime().maxMemory() >> 20);
		provider.close();
		return ExitCodes.OK;
	}

	/**
	 * Runs the throughput part in a child JVM with the given system properties, for the process-wide
	 * settings that cannot be undone in-process (allocator, OpenMP wait policy).
	 */
	private double[] childThroughput(PrintWriter err, String... properties) {
		String text = child(err, List.of("--throughput-only", "--seconds", Double.toString(seconds)), properties);
		if (text == null) return null;
		double[] r = new double[2];
		for (String line : text.strip().split("\n")) {
			String[] f = line.trim().split(" ");
			if (f.length == 2 && f[0].equals("1")) r[0] = Double.parseDouble(f[1]);
			if (f.length == 2 && f[0].equals("8")) r[1] = Double.parseDouble(f[1]);
		}
		return r;
	}

	/**
	 * Runs {@code bench} with the given options in a child JVM with the given system properties.
	 *
	 * @return its output, or null (said on err) when it failed
	 */
	private String child(PrintWriter err, List<String> options, String... properties) {
		try {
			List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
			cmd.addAll(List.of(properties));
			String cache = System.getProperty(EngineSetting.CACHE_DIR.key());
			if (cache != null) cmd.add("-D" + EngineSetting.CACHE_DIR.key() + "=" + cache);
			cmd.addAll(List.of("-Dai.djl.offline=true", "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), MedCnnCli.class.getName(), "bench",
				"--model", model));
			cmd.addAll(options);
			for (Path d : modelsDirs) cmd.addAll(List.of("--models-dir", d.toString()));
			ProcessBuilder pb = new ProcessBuilder(cmd);
			pb.environment().keySet().removeIf(k -> k.startsWith("MALLOC_") || k.startsWith("OMP_") || k.startsWith("GOMP_"));
			Process p = pb.redirectErrorStream(true).start();
			String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (p.waitFor() != 0) throw new IOException(text.strip());
			return text;
		} catch (IOException | RuntimeException e) {
			err.println("  child JVM run " + List.of(properties) + " skipped: " + e.getMessage());
			return null;
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return null;
		}
	}

	/** A measurement or load that throws. */
	private interface Measurement<T> {
		T run() throws TranslateException, ModelLoadException;
	}

	/** Runs a measurement (or loads a model) with a system property set, then restores the property. */
	private static <T> T withProperty(String key, String value, Measurement<T> m) throws TranslateException, ModelLoadException {
		String before = System.getProperty(key);
		System.setProperty(key, value);
		try {
			return m.run();
		} finally {
			if (before == null) System.clearProperty(key);
			else System.setProperty(key, before);
		}
	}

	/** Seconds of inference before the first measurement of a process (see {@link #throughput}). */
	static final double WARM_UP_S = 8;

	/** Seconds of warm-up that {@link #throughput} runs first: {@link #WARM_UP_S}, or {@link #seconds} with {@code --device}. */
	private double warmUpS = WARM_UP_S;

	/**
	 * {@code --device}: throughput at batch 1 and 8 on the device asked for, nothing else. The engine's own
	 * fallback to the CPU (no GPU visible) is an error here: a figure measured on another device than the
	 * one named would mislead.
	 */
	private int onDevice(ModelProvider provider, PrintWriter out, PrintWriter err) throws TranslateException {
		DeviceSpec wanted;
		try {
			wanted = DeviceSpec.parse(device);
		} catch (IllegalArgumentException e) {
			err.println("medcnn bench: --" + e.getMessage());
			return ExitCodes.USAGE;
		}
		try (provider) {
			ClassifierModel loaded;
			try {
				loaded = provider.load(model, wanted);
			} catch (ModelLoadException e) {
				CliErrors.report(err, e, "medcnn bench: " + e.getMessage());
				return ExitCodes.MODEL;
			}
			if (loaded.fallbackWarning() != null) {
				err.println("medcnn bench: " + loaded.fallbackWarning().replace("; using cpu", "") + "; nothing measured");
				return ExitCodes.MODEL;
			}
			warmUpS = seconds;
			out.printf(Locale.ROOT, "medcnn bench: model %s (%s), device %s, PyTorch %s at %s, %d cpus%n", loaded.pkg().card().id(), loaded.pkg().shortSha(),
				loaded.deviceName(), ai.djl.engine.Engine.getEngine(EnginePolicy.ENGINE).getVersion(), ai.djl.pytorch.jni.LibUtils.getLibtorchPath(),
				Runtime.getRuntime().availableProcessors());
			out.printf(Locale.ROOT, "  inference graph: %s; %.0f s of warm-up, then %.0f s per batch size%n", loaded.graph().detail(), warmUpS, seconds);
			for (int b : new int[] {1, 8}) out.printf(Locale.ROOT, "  batch %d: %.1f slices/s on %s%n", b, throughput(loaded, b), loaded.deviceName());
			out.flush();
			return ExitCodes.OK;
		}
	}

	private boolean warmedUp;

	/**
	 * Slices per second at a batch size. The first call of a process runs inference for
	 * {@link #WARM_UP_S} seconds first: the JVM compiles for about ten seconds after it starts (C1 and C2
	 * threads on the same 2 cores as the engine; counted with -XX:+PrintCompilation: 1000+ methods in the
	 * first 2 s, 10-35 a second until 10 s), and batch 1 rose from 122-135 to 150-159 slices/s over that
	 * time, where Python's reference is flat from its first call.
	 */
	private double throughput(ClassifierModel m, int batch) throws TranslateException {
		int per = m.pkg().card().input().tensorSize();
		float[] data = new float[batch * per];
		java.util.Random r = new java.util.Random(1);
		for (int i = 0; i < data.length; i++) data[i] = r.nextFloat();
		try (ClassifierModel.Session s = m.newSession()) {
			if (!warmedUp) {
				long end = System.nanoTime() + (long) (warmUpS * 1e9);
				while (System.nanoTime() < end) s.logits(data, batch);
				warmedUp = true;
			}
			return rate(s, data, batch);
		}
	}

	/** Slices/s of a session running {@code n} slices at a time for {@link #seconds}, after 3 untimed calls. */
	private double rate(ClassifierModel.Session s, float[] data, int n) throws TranslateException {
		for (int i = 0; i < 3; i++) s.logits(data, n);
		long t0 = System.nanoTime();
		long done = 0;
		while (true) {
			s.logits(data, n);
			done += n;
			double dt = (System.nanoTime() - t0) / 1e9;
			if (dt >= seconds) return done / dt;
		}
	}

	/**
	 * Throughput of the two engine lanes each running its own half batches back to back, with no wait for
	 * the other lane between batches: how Classify Slices runs on the CPU ({@code DjlSliceClassifier}'s
	 * lanes), less reading and preprocessing, and what the Python reference's two streams do.
	 * {@link #throughput} instead waits for both halves of each batch before the next.
	 *
	 * @return slices/s of both lanes added, or NaN when batches are not split over two lanes
	 */
	private double streamingThroughput(ClassifierModel m, int batch) throws TranslateException {
		if (batch < 2 || EngineThread.threadsPerLane() < 1) return Double.NaN;
		int per = m.pkg().card().input().tensorSize();
		int[] halves = {(batch + 1) / 2, batch / 2};
		double[] rates = new double[2];
		java.util.List<EngineThread.Task<Void, TranslateException>> lanes = new java.util.ArrayList<>();
		for (int k = 0; k < 2; k++) {
			int lane = k;
			lanes.add(() -> {
				int n = halves[lane];
				float[] data = new float[n * per];
				java.util.Random r = new java.util.Random(1 + lane);
				for (int i = 0; i < data.length; i++) data[i] = r.nextFloat();
				try (ClassifierModel.Session s = m.newSession()) {
					rates[lane] = rate(s, data, n);
					return null;
				}
			});
		}
		EngineThread.callPair(lanes.get(0), lanes.get(1));
		return rates[0] + rates[1];
	}

	private JsonObject pythonReference(Path trunk, int size, PrintWriter err) {
		if (!Files.isExecutable(Paths.get(python))) {
			err.println("  pytorch-python reference skipped: " + python + " not found (install Debian's python3-torch)");
			return null;
		}
		try {
			Path script = Files.createTempFile("medcnn-torch-reference", ".py");
			try (InputStream in = BenchCli.class.getResourceAsStream("/org/medcnn/bench/torch_reference.py")) {
				Files.write(script, in.readAllBytes());
			}
			ProcessBuilder pb = new ProcessBuilder(python, script.toString(), trunk.toString(), Integer.toString(size), Double.toString(seconds), "1", "8")
				.redirectErrorStream(true);
			// The same allocator settings as our fast path, through glibc's environment variables.
			pb.environment().put("MALLOC_MMAP_THRESHOLD_", Integer.toString(32 << 20));
			pb.environment().put("MALLOC_TRIM_THRESHOLD_", Integer.toString(Integer.MAX_VALUE));
			pb.environment().put("MALLOC_TOP_PAD_", Integer.toString(1 << 30));
			Process p = pb.start();
			String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			boolean done = p.waitFor(60 + (long) (seconds * 20), TimeUnit.SECONDS);
			Files.deleteIfExists(script);
			if (!done || p.exitValue() != 0) {
				String last = text.strip();
				err.println("  pytorch-python reference skipped: " + (last.contains("No module named 'torch'") ? "python3 has no torch (install Debian's python3-torch)"
					: last.substring(Math.max(0, last.length() - 300))));
				return null;
			}
			String[] lines = text.strip().split("\n");
			return JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
		} catch (IOException | RuntimeException e) {
			err.println("  pytorch-python reference skipped: " + e.getMessage());
			return null;
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return null;
		}
	}

	/** The benchmark stack: {@code stackSlices} synthetic 512 x 512 16-bit slices (a disc with a seeded texture). */
	private ImagePlus benchStack() {
		ImageStack stack = new ImageStack(512, 512);
		java.util.Random r = new java.util.Random(3);
		for (int z = 0; z < stackSlices; z++) {
			short[] px = new short[512 * 512];
			for (int y = 0; y < 512; y++) {
				for (int x = 0; x < 512; x++) {
					double d = Math.hypot(x - 256, y - 256);
					px[y * 512 + x] = (short) (d < 200 ? 1000 + 400 * Math.sin((x + z * 3) / 17.0) + r.nextInt(50) : r.nextInt(20));
				}
			}
			stack.addSlice("z" + (z + 1), new ShortProcessor(512, 512, px, null));
		}
		return new ImagePlus("bench-stack", stack);
	}

	/** Classify Slices end to end on a synthetic stack versus pure inference on the same slices. */
	private void overhead(ClassifierModel m, ModelProvider provider, PrintWriter out) throws Exception {
		ImagePlus imp = benchStack();
		int batch = 8;

		// Pure inference: the same slices, preprocessed beforehand, through the engine only.
		SlicePreprocessor pre = new SlicePreprocessor(m.pkg().card().input());
		int per = pre.spec().tensorSize();
		ImagePlusSlices src = new ImagePlusSlices(imp, null);
		float[][] batches = new float[(stackSlices + batch - 1) / batch][];
		for (int b = 0; b < batches.length; b++) {
			int n = Math.min(batch, stackSlices - b * batch);
			batches[b] = new float[n * per];
			for (int i = 0; i < n; i++) pre.preprocess(src.get(b * batch + i), batches[b], i * per);
		}
		try (Context ctx = new Context(CommandService.class, org.medcnn.command.ModelService.class, org.scijava.log.LogService.class)) {
			// the synthetic stack lies outside the model's training data: its flags would be logged at every round
			ctx.service(org.scijava.log.LogService.class).setLevel(org.scijava.log.LogLevel.ERROR);
			CommandService cs = ctx.service(CommandService.class);
			Path pkgDir = m.pkg().dir();
			double best = Double.MAX_VALUE;
			double bestParallel = Double.MAX_VALUE;
			double bestPure = Double.MAX_VALUE;
			String before = System.getProperty(EngineSetting.PREPARE.key());
			StringBuilder rounds = new StringBuilder();
			double[] ratios = new double[ROUNDS];
			// Pure inference on the very model instance the command uses (the session's cached model).
			ClassifierModel same = ctx.service(org.medcnn.command.ModelService.class).provider(null).load(pkgDir.toString(), DeviceSpec.CPU);
			try {
				// Untimed rounds warm up the engine's graph executor and the JIT (at least two, and for
				// WARM_UP_S seconds); then the timed rounds, each with pure inference, the command (by default on
				// the CPU: each lane reads, preprocesses and runs half batches on its own) and the command the
				// former way (each batch preprocessed on all cores, then run on both lanes), so that each round's
				// ratio sees the same machine. The three take turns in all six orders: what ran just before
				// (the same image read, or other data in the caches) must not favour one of them.
				long warmEnd = System.nanoTime() + (long) (WARM_UP_S * 1e9);
				for (int rep = -2; rep < ROUNDS; rep++) {
					if (rep == -1 && System.nanoTime() < warmEnd) rep = -2;
					if (rep == 0) {
						best = Double.MAX_VALUE;
						bestParallel = Double.MAX_VALUE;
						bestPure = Double.MAX_VALUE;
					}
					double pureMs = Double.NaN;
					double defaultMs = Double.NaN;
					if (rep >= 0) rounds.append(rounds.length() == 0 ? "" : ";");
					for (String what : ORDERS[Math.max(rep, 0) % ORDERS.length]) {
						long t0 = System.nanoTime();
						if (what.equals("pure")) {
							try (ClassifierModel.Session s = same.newSession()) {
								for (float[] data : batches) s.logits(data, data.length / per);
							}
							pureMs = (System.nanoTime() - t0) / 1e6;
							bestPure = Math.min(bestPure, pureMs);
							if (rep >= 0) rounds.append(String.format(Locale.ROOT, " pure %.0f", pureMs));
							continue;
						}
						if (what.equals("default")) System.clearProperty(EngineSetting.PREPARE.key());
						else System.setProperty(EngineSetting.PREPARE.key(), what);
						// The ModuleService: the CommandService returns nothing for a command that is its own module.
						var module = (ClassifySlicesCommand) ctx.service(org.scijava.module.ModuleService.class).run(cs.getCommand(ClassifySlicesCommand.class), true,
							"image", imp, "model", pkgDir.toString(), "device", "cpu", "batch_size", batch, "add_overlay", true).get();
						double ms = (System.nanoTime() - t0) / 1e6;
						if (module.isCanceled()) throw new IllegalStateException("Classify Slices failed: " + module.getCancelReason());
						if (what.equals("default")) {
							defaultMs = ms;
							best = Math.min(best, ms);
						} else {
							bestParallel = Math.min(bestParallel, ms);
						}
						// The engine's share: the table's ms column is each slice's share of its batch's engine time.
						double engine = 0;
						ij.measure.ResultsTable table = (ij.measure.ResultsTable) module.getOutput("results");
						for (int row = 0; row < table.size(); row++) engine += table.getValue("ms", row);
						if (rep >= 0) rounds.append(String.format(Locale.ROOT, " %s %.0f (engine %.0f)", what, ms, engine));
					}
					if (rep >= 0) ratios[rep] = defaultMs / pureMs;
				}
			} finally {
				if (before == null) System.clearProperty(EngineSetting.PREPARE.key());
				else System.setProperty(EngineSetting.PREPARE.key(), before);
			}
			double[] sorted = ratios.clone();
			java.util.Arrays.sort(sorted);
			out.printf(Locale.ROOT, "  Classify Slices on a %dx512x512 16-bit stack (batch %d, %d rounds in turn in all six orders of the three, after %.0f s of warm-up rounds): overhead over pure inference, median of the rounds' ratios %.1f %% (rounds %.1f to %.1f %%); best times: end to end %.0f ms, pure inference %.0f ms, overhead %.1f %%%n",
				stackSlices, batch, ROUNDS, WARM_UP_S, 100 * ((sorted[(ROUNDS - 1) / 2] + sorted[ROUNDS / 2]) / 2 - 1), 100 * (sorted[0] - 1), 100 * (sorted[ROUNDS - 1] - 1), best, bestPure, 100 * (best / bestPure - 1));
			out.printf(Locale.ROOT, "    with each batch preprocessed on all cores, then run on both lanes (-D%s=parallel): %.0f ms, overhead %.1f %%%n",
				EngineSetting.PREPARE.key(), bestParallel, 100 * (bestParallel / bestPure - 1));
			out.printf(Locale.ROOT, "    each round in the order run, ms (pure inference, the command and the command the former way, with, in brackets, the sum of its slices' engine time: by default both lanes' time added): %s%n", rounds.toString().trim());
		}
	}

	/** Rounds of the out-of-distribution cost measurement, each running the command with and without the detector. */
	private static final int OOD_ROUNDS = 16;

	/**
	 * What the out-of-distribution detector adds to Classify Slices: the command on the benchmark stack with
	 * the model, and with a copy of the model whose card has no {@code ood} section, in turn (the order
	 * alternating from round to round), after warm-up rounds of both; the median of the rounds' ratios.
	 */
	private void oodCost(ClassifierModel m, PrintWriter out) throws Exception {
		ImagePlus imp = benchStack();
		Path without = Files.createTempDirectory("medcnn-bench-no-ood");
		try {
			Path pkgDir = m.pkg().dir();
			Path copy = Files.createDirectories(without.resolve(m.pkg().card().id()));
			try (java.util.stream.Stream<Path> files = Files.list(pkgDir)) {
				for (Path f : (Iterable<Path>) files::iterator) {
					if (Files.isRegularFile(f) && !f.getFileName().toString().equals("ood.bin")) Files.copy(f, copy.resolve(f.getFileName()));
				}
			}
			com.google.gson.JsonObject card = com.google.gson.JsonParser.parseString(Files.readString(copy.resolve("model.json"))).getAsJsonObject();
			card.remove("ood");
			card.remove("examples");
			Files.writeString(copy.resolve("model.json"), card.toString());
			int batch = 8;
			try (Context ctx = new Context(CommandService.class, org.medcnn.command.ModelService.class, org.scijava.log.LogService.class)) {
				// the copy's missing detector and the synthetic stack's flags would be logged at every round
				ctx.service(org.scijava.log.LogService.class).setLevel(org.scijava.log.LogLevel.ERROR);
				CommandService cs = ctx.service(CommandService.class);
				String[] dirs = {pkgDir.toString(), copy.toString()};
				double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
				double[] ratios = new double[OOD_ROUNDS];
				long warmEnd = System.nanoTime() + (long) (WARM_UP_S * 1e9);
				for (int rep = -2; rep < OOD_ROUNDS; rep++) {
					if (rep == -1 && System.nanoTime() < warmEnd) rep = -2;
					double[] ms = new double[2];
					for (int k = 0; k < 2; k++) {
						int which = (Math.max(rep, 0) + k) % 2;
						long t0 = System.nanoTime();
						// The ModuleService, as above: the CommandService returns nothing for a command that is its own module.
						var module = (ClassifySlicesCommand) ctx.service(org.scijava.module.ModuleService.class).run(cs.getCommand(ClassifySlicesCommand.class), true,
							"image", imp, "model", dirs[which], "device", "cpu", "batch_size", batch, "add_overlay", true).get();
						ms[which] = (System.nanoTime() - t0) / 1e6;
						if (module.isCanceled()) throw new IllegalStateException("Classify Slices failed: " + module.getCancelReason());
					}
					if (rep < 0) continue;
					ratios[rep] = ms[0] / ms[1];
					for (int k = 0; k < 2; k++) best[k] = Math.min(best[k], ms[k]);
				}
				// The scoring alone, on the stack's features: the minimum of repeated calls is steadier on a busy host than the command's rounds.
				SlicePreprocessor pre = new SlicePreprocessor(m.pkg().card().input());
				ImagePlusSlices src = new ImagePlusSlices(imp, null);
				int per = pre.spec().tensorSize();
				float[] data = new float[stackSlices * per];
				for (int i = 0; i < stackSlices; i++) pre.preprocess(src.get(i), data, i * per);
				float[] features;
				try (ClassifierModel.Session session = m.newSession()) {
					features = session.pooledFeatures(data, stackSlices);
				}
				double scoring = Double.MAX_VALUE;
				for (int rep = 0; rep < OOD_ROUNDS + 4; rep++) {
					long t0 = System.nanoTime();
					m.oodDistances(features, stackSlices);
					if (rep >= 4) scoring = Math.min(scoring, (System.nanoTime() - t0) / 1e6);
				}
				double[] sorted = ratios.clone();
				java.util.Arrays.sort(sorted);
				out.printf(Locale.ROOT, "  out-of-distribution scoring alone: %d slices in one engine call, best of %d: %.1f ms, %.1f %% of the command's best time without the detector%n",
					stackSlices, OOD_ROUNDS, scoring, 100 * scoring / best[1]);
				out.printf(Locale.ROOT, "  out-of-distribution detector (%s, %d reference rows of %d features): Classify Slices on a %dx512x512 16-bit stack (batch %d), "
					+ "with against without the detector, %d rounds alternating: median ratio %.3f (+%.1f %%; rounds %.3f to %.3f); best times %.0f ms with, %.0f ms without%n",
					m.pkg().ood().method().key(), m.pkg().ood().referenceRows(), m.pkg().ood().features(), stackSlices, batch, OOD_ROUNDS,
					(sorted[(OOD_ROUNDS - 1) / 2] + sorted[OOD_ROUNDS / 2]) / 2, 100 * ((sorted[(OOD_ROUNDS - 1) / 2] + sorted[OOD_ROUNDS / 2]) / 2 - 1), sorted[0],
					sorted[OOD_ROUNDS - 1], best[0], best[1]);
			}
		} finally {
			try (java.util.stream.Stream<Path> walk = Files.walk(without)) {
				for (Path f : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) Files.deleteIfExists(f);
			}
		}
	}

	private static String peakRss() {
		try {
			for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
				if (line.startsWith("VmHWM:")) return line.substring(6).trim();
			}
		} catch (IOException e) {
			// not Linux
		}
		return "unknown";
	}
}
