package org.medcnn.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.medcnn.app.MedCnnException;
import org.medcnn.cli.CliErrors;
import org.medcnn.cli.ExitCodes;
import org.medcnn.cli.MedCnnCli;
import org.medcnn.cli.SaliencyOptions;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.EnginePolicy;
import org.medcnn.core.engine.EngineThread;
import org.medcnn.core.engine.TrunkLoader;
import org.medcnn.core.explain.DjlSaliency;
import org.medcnn.core.explain.ExplainModel;
import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.core.explain.SanityRuns;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelCards;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn bench-saliency}: milliseconds per slice of each saliency method next to plain
 * inference (Classify Slices' classifier at batch 1 and at the batch size) on synthetic slices of the
 * model's input size. Every figure is end to end per slice: preprocessing, engine calls, mapping back
 * and regions. The lines are timed round-robin, {@code --repeats} times, and the minimum and median of
 * each are printed: the minimum is the cost when nothing else competes for the cores. With {@code --memory-check}, integrated gradients
 * runs in two child JVMs, with the batch size and with one batch of all steps, and their peak resident
 * memory is printed. A benchmark, not a test: it prints figures and never fails on them. With
 * {@code --trunk FILE} it benchmarks a bare TorchScript trunk (for example MobileNetV2's features at
 * 224 x 224) under a random 4-class head.
 */
@Command(name = "bench-saliency", mixinStandardHelpOptions = true,
	description = "Benchmark the saliency methods (ms/slice) against plain inference.")
public final class SaliencyBenchCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", paramLabel = "ID|DIR", description = "Model id or package folder (default: brain-tumor-mri unless --trunk is given).")
	private String model;

	@Option(names = "--trunk", paramLabel = "FILE", description = "A TorchScript trunk to benchmark under a random head instead of a model package.")
	private Path trunk;

	@Option(names = "--size", defaultValue = "224", description = "Input size for --trunk (default: ${DEFAULT-VALUE}).")
	private int size;

	@Option(names = "--slices", defaultValue = "4", description = "Slices timed per method, after one warm-up slice (default: ${DEFAULT-VALUE}).")
	private int slices;

	@Option(names = "--methods", defaultValue = "all", description = "'all' or a comma-separated list (default: ${DEFAULT-VALUE}).")
	private String methods;

	@Option(names = "--repeats", defaultValue = "5", description = "Timed runs per line, round-robin over the lines; the minimum and median are printed (default: ${DEFAULT-VALUE}).")
	private int repeats;

	@Option(names = "--memory-check", description = "Also run integrated gradients in child JVMs with --batch-size and with all steps in one batch, and print their peak memory.")
	private boolean memoryCheck;

	@Option(names = "--peak-only", hidden = true, description = "Run the methods once and print only 'peak_rss_kb N' (used by --memory-check).")
	private boolean peakOnly;

	@Mixin
	private SaliencyOptions options;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Override
	public Integer call() throws Exception {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		List<SaliencyMethod> list;
		try {
			list = SanityRuns.methods(methods);
			request(SaliencyMethod.GRAD_CAM);
			if (slices < 1) throw new IllegalArgumentException("--slices must be at least 1");
			if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1");
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn bench-saliency: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		Path tmp = null;
		ModelPackage pkg;
		try {
			if (trunk != null) {
				tmp = Files.createTempDirectory("medcnn-bench-saliency");
				pkg = ModelPackage.open(packageFor(trunk, size, tmp));
			} else {
				pkg = ModelRepository.withDefaults(modelsDirs).open(model == null ? "brain-tumor-mri" : model);
			}
		} catch (ModelLoadException | IOException e) {
			CliErrors.report(err, e, "medcnn bench-saliency: " + e.getMessage());
			return ExitCodes.MODEL;
		}
		try {
			int w = pkg.card().input().width();
			int h = pkg.card().input().height();
			SliceSource warm = synthetic(1, w, h, 99);
			SliceSource source = synthetic(slices, w, h, 7);
			if (peakOnly) {
				try (ExplainModel em = ExplainModel.load(pkg, DeviceSpec.CPU)) {
					for (SaliencyMethod m : list) new DjlSaliency(em).explain(source, request(m), ProgressListener.NONE, Cancellation.NEVER);
				}
				out.println("peak_rss_kb " + peakRssKb());
				return ExitCodes.OK;
			}
			out.printf(Locale.ROOT, "medcnn bench-saliency: model %s (%s), input %dx%d, %d slice(s) per run, %d run(s) per line, cpu, %d cores, batch size %d%n",
				pkg.card().id(), pkg.shortSha(), w, h, slices, repeats, Runtime.getRuntime().availableProcessors(), options.batchSize());
			out.printf(Locale.ROOT, "  %-52s %12s %12s %9s%n", "what", "min ms/slice", "median", "x infer.");
			try (ClassifierModel cm = ClassifierModel.load(pkg, DeviceSpec.CPU); ExplainModel em = ExplainModel.load(pkg, DeviceSpec.CPU)) {
				List<String> labels = new ArrayList<>();
				List<Work> work = new ArrayList<>();
				labels.add("inference (Classify Slices, batch 1)");
				work.add(() -> new DjlSliceClassifier(cm, 1, null).classify(source, ProgressListener.NONE, Cancellation.NEVER));
				labels.add("inference (Classify Slices, batch " + Math.min(options.batchSize(), slices) + ")");
				work.add(() -> new DjlSliceClassifier(cm, options.batchSize(), null).classify(source, ProgressListener.NONE, Cancellation.NEVER));
				for (SaliencyMethod m : list) {
					SaliencyRequest r = request(m);
					labels.add(r.describe());
					work.add(() -> new DjlSaliency(em).explain(source, r, ProgressListener.NONE, Cancellation.NEVER));
				}
				// Warm up every line, then time the lines round-robin, so that a burst of load from other
				// processes hits all lines alike and the minimum of each is taken in a quiet moment.
				new DjlSliceClassifier(cm, 1, null).classify(warm, ProgressListener.NONE, Cancellation.NEVER);
				for (Work w0 : work) w0.run();
				double[][] t = new double[work.size()][repeats];
				for (int rep = 0; rep < repeats; rep++) {
					for (int i = 0; i < work.size(); i++) {
						long t0 = System.nanoTime();
						work.get(i).run();
						t[i][rep] = (System.nanoTime() - t0) / 1e6 / slices;
					}
				}
				double inference1 = minMedian(t[0])[0];
				for (int i = 0; i < work.size(); i++) line(out, labels.get(i), minMedian(t[i]), inference1);
			}
			out.println("  (x infer.: minimum time per slice over the minimum of plain inference at batch 1)");
			if (memoryCheck) memoryCheck(out, err);
			return ExitCodes.OK;
		} finally {
			if (tmp != null) deleteTree(tmp);
		}
	}

	@FunctionalInterface
	private interface Work {
		void run() throws Exception;
	}

	/** @return {minimum, median} of the times */
	/** The request of a method with the options' parameters; a wrong option becomes the usage error of the bench. */
	private SaliencyRequest request(SaliencyMethod m) {
		try {
			return options.settings(m.id(), 5, 3).request();
		} catch (MedCnnException e) {
			throw new IllegalArgumentException(e.getMessage(), e);
		}
	}

	private static double[] minMedian(double[] times) {
		double[] t = times.clone();
		java.util.Arrays.sort(t);
		return new double[] {t[0], t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2};
	}

	private static void line(PrintWriter out, String what, double[] t, double inference) {
		out.printf(Locale.ROOT, "  %-52s %12.1f %12.1f %9.2f%n", what, t[0], t[1], t[0] / inference);
	}

	/** Integrated gradients in child JVMs: with the batch size, and with all steps in one batch. */
	private void memoryCheck(PrintWriter out, PrintWriter err) {
		int steps = options.steps();
		for (int b : new int[] {Math.min(options.batchSize(), steps), steps}) {
			List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.offline=true",
				"-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), MedCnnCli.class.getName(), "bench-saliency", "--peak-only",
				"--methods", "integrated_gradients", "--steps", Integer.toString(steps), "--batch-size", Integer.toString(b), "--slices", "1"));
			if (trunk != null) cmd.addAll(List.of("--trunk", trunk.toString(), "--size", Integer.toString(size)));
			else cmd.addAll(List.of("--model", model == null ? "brain-tumor-mri" : model));
			for (Path d : modelsDirs) cmd.addAll(List.of("--models-dir", d.toString()));
			try {
				Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
				String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
				if (p.waitFor() != 0) throw new IOException(text.strip());
				String peak = text.lines().filter(l -> l.startsWith("peak_rss_kb ")).map(l -> l.substring(12).trim()).findFirst().orElse("unknown");
				out.printf(Locale.ROOT, "  integrated_gradients, %d steps in batches of %d, own JVM: peak resident %s kB%n", steps, b, peak);
				out.flush();
			} catch (IOException | RuntimeException e) {
				err.println("  memory check skipped: " + e.getMessage());
				return;
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	/** Smooth random 16-bit-like slices (sums of Gaussian blobs), the model's input size. */
	private static SliceSource synthetic(int n, int w, int h, long seed) {
		Random r = new Random(seed);
		List<Slice> list = new ArrayList<>();
		for (int k = 0; k < n; k++) {
			float[] px = new float[w * h];
			for (int b = 0; b < 6; b++) {
				double cx = r.nextDouble() * w;
				double cy = r.nextDouble() * h;
				double s = (0.05 + 0.15 * r.nextDouble()) * w;
				double a = 40 + 200 * r.nextDouble();
				for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) px[y * w + x] += (float) (a * Math.exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * s * s)));
			}
			list.add(new Slice(k + 1, "", w, h, px));
		}
		return new SliceSource() {
			@Override
			public String name() {
				return "synthetic";
			}

			@Override
			public int size() {
				return list.size();
			}

			@Override
			public Slice get(int position) {
				return list.get(position);
			}
		};
	}

	/** Writes a temporary package around a bare trunk: ImageNet normalisation, range 0..255, stretch, a seeded random 4-class head. */
	private static Path packageFor(Path trunkFile, int size, Path dir) throws IOException, ModelLoadException {
		int features = channels(trunkFile, size);
		Random r = new Random(1);
		float[] w = new float[4 * features];
		for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * 0.05);
		Path pkg = Files.createDirectories(dir.resolve("bench"));
		Files.copy(trunkFile, pkg.resolve("trunk.pt"));
		try (OutputStream os = Files.newOutputStream(pkg.resolve("head.bin"))) {
			new LinearHead(features, 4, 0, w, new float[4]).write(os);
		}
		InputSpec spec = InputSpec.builder().setSize(size, size).setIntensity(new IntensityPolicy.Range(0, 255))
			.optNormalize(org.medcnn.core.train.ClassifierTrainer.IMAGENET_MEAN, org.medcnn.core.train.ClassifierTrainer.IMAGENET_STD).build();
		JsonObject c = ModelCards.required(pkg, "bench", "0.0.0", List.of("a", "b", "c", "d"), spec);
		Files.writeString(pkg.resolve("model.json"), new Gson().toJson(c), StandardCharsets.UTF_8);
		return pkg;
	}

	private static int channels(Path trunkFile, int size) throws ModelLoadException {
		// On the engine thread, like all engine work: a second OpenMP pool here would slow what is measured.
		return EngineThread.call(() -> channelsHere(trunkFile, size));
	}

	private static int channelsHere(Path trunkFile, int size) throws ModelLoadException {
		EnginePolicy.init();
		try (ZooModel<NDList, NDList> zoo = TrunkLoader.open(trunkFile, Device.cpu(), TrunkLoader.Mode.INFERENCE); var p = zoo.newPredictor()) {
			NDList o = p.predict(new NDList(zoo.getNDManager().zeros(new ai.djl.ndarray.types.Shape(1, 3, size, size))));
			if (o.get(0).getShape().dimension() != 4) throw new ModelLoadException(trunkFile + ": not a trunk (output " + o.get(0).getShape() + ")");
			return (int) o.get(0).getShape().get(1);
		} catch (ModelLoadException e) {
			throw e;
		} catch (Exception e) {
			throw new ModelLoadException(trunkFile + ": cannot load the trunk: " + e.getMessage(), e);
		}
	}

	private static String peakRssKb() {
		try {
			for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
				if (line.startsWith("VmHWM:")) return line.substring(6).replace("kB", "").trim();
			}
		} catch (IOException e) {
			// not Linux
		}
		return "unknown";
	}

	private static void deleteTree(Path dir) {
		try (var s = Files.walk(dir)) {
			s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
		} catch (IOException e) {
			// a temporary folder; the OS cleans it
		}
	}
}
