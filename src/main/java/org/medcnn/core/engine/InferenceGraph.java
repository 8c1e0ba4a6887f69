package org.medcnn.core.engine;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.medcnn.core.model.ModelLoadException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a loaded CPU trunk through libtorch's {@code torch::jit::optimize_for_inference}: the module is
 * frozen (weights become constants, Conv+BatchNorm folded), convolutions get oneDNN weights packed once
 * instead of at every call, and convolution, activation and addition are fused. This is what PyTorch's
 * Python {@code torch.jit.optimize_for_inference(torch.jit.freeze(m))} does, and the reason it was
 * 1.3 to 1.5 times ahead of our plain TorchScript path (docs/benchmarks.md).
 * <p>
 * Why it is done at load time and not once when packaging: a module saved after this pass cannot be
 * loaded again (its prepacked weights are not serialisable), so the pass runs on the module DJL has
 * just loaded. DJL has no call for it; libtorch exports the C++ function, which is called through JNA
 * on DJL's module handle, and the optimized module replaces the one DJL holds.
 * <p>
 * Safety: a C++ exception thrown inside that function cannot be caught through JNA and would end the
 * whole JVM (Fiji with the user's unsaved work). So each trunk is first optimized in a short-lived
 * child JVM, once per trunk (SHA-256), libtorch and DJL version, input size and layout; the verdict is kept in the
 * cache folder ({@code -Dmedcnn.cache.dir}, default {@code ~/.medcnn/cache}). Only a trunk that came
 * through there is optimized in this process. Then, in this process, the features of a seeded random
 * input from the optimized module are compared with those of the plain one; on a difference over the
 * tolerance, or any error, the plain module is kept and the reason logged.
 * <p>
 * Off with {@code -Dmedcnn.graph=plain}. Only on the CPU, on Linux x86-64 (the C++ symbol name is
 * for GCC's ABI), with glibc's allocator (DJL frees the module this class allocates with a sized C++
 * delete, which a preloaded jemalloc or tcmalloc would take at its word), and while DJL's graph executor
 * optimizer is on (with it off, the frozen graph fails).
 */
public final class InferenceGraph {

	private static final Logger LOG = LoggerFactory.getLogger(InferenceGraph.class);

	private static final String PROPERTY = EngineSetting.GRAPH.key();

	/** {@code torch::jit::optimize_for_inference(Module&, const std::vector<std::string>&)}, GCC ABI. */
	static final String SYMBOL = "_ZN5torch3jit22optimize_for_inferenceERNS0_6ModuleERKSt6vectorINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEESaIS9_EE";

	/** Largest difference allowed between optimized and plain features, relative to the largest plain feature (at least 1). */
	static final double TOLERANCE = 1e-3;

	/** Bytes reserved for the returned {@code torch::jit::Module} (48 in libtorch 2.5.1). */
	static final int MODULE_BYTES = 256;

	/** Line the child prints before its verdict. */
	private static final String VERDICT = "medcnn-graph-check:";

	private static final long CHILD_TIMEOUT_S = 300;

	private static Function function;
	private static NativeLibrary library;
	private static String unavailable;

	/** What the child process checks, and where its verdicts are kept. */
	enum Mode {
		/** libtorch's {@code optimize_for_inference}. */
		OPTIMIZED("optimized-graphs", EnginePolicy.Graph.OPTIMIZED),
		/** {@link FusedGraph}. */
		FUSED("fused-graphs", EnginePolicy.Graph.FUSED);

		final String folder;
		private final EnginePolicy.Graph graph;

		Mode(String folder, EnginePolicy.Graph graph) {
			this.folder = folder;
			this.graph = graph;
		}

		/** @return whether this graph's inputs are given channels-last on the CPU (and so checked that way) */
		boolean channelsLast() {
			return EnginePolicy.channelsLast(ai.djl.Device.cpu(), graph);
		}
	}

	private InferenceGraph() {}

	/**
	 * What happened to one trunk.
	 *
	 * @param optimized whether an optimized graph now runs (libtorch's, or the fused one)
	 * @param detail one line: how it was checked, or why the plain module runs
	 * @param fused the fused program's state when it runs ({@link FusedGraph}), else null
	 */
	public record Outcome(boolean optimized, String detail, FusedGraph.Fused fused) {
		Outcome(boolean optimized, String detail) {
			this(optimized, detail, null);
		}

		/** @return whether the trunk runs the fused graph */
		public boolean isFused() {
			return fused != null;
		}

		/** @return the graph the trunk runs */
		public EnginePolicy.Graph kind() {
			return fused != null ? EnginePolicy.Graph.FUSED : optimized ? EnginePolicy.Graph.OPTIMIZED : EnginePolicy.Graph.PLAIN;
		}
	}

	/** The child's verdicts known before loading: on the fused graph, and on libtorch's optimized graph (null: not needed yet). */
	record Ahead(Verdict fused, Verdict optimized) {}

	/** The optimized graph failed its check after libtorch had changed the loaded module in place: load the trunk again. */
	public static final class InPlaceException extends IOException {
		private static final long serialVersionUID = 1L;

		InPlaceException(String message) {
			super(message);
		}
	}

	/** @return whether an optimized graph is asked for (the default) */
	public static boolean requested() {
		return !EngineSetting.GRAPH.is("plain");
	}

	/** @return whether the fused graph is asked for (the default; {@code -Dmedcnn.graph=optimized} asks for libtorch's optimized graph alone) */
	public static boolean fusedRequested() {
		return EngineSetting.GRAPH.is("fused");
	}

	/**
	 * Describes the state for {@code medcnn doctor}; never throws.
	 *
	 * @return one line
	 */
	public static String describe() {
		if (!requested()) return "plain TorchScript graph (switched off by -D" + PROPERTY + "=plain)";
		String why = unavailableReason();
		if (why != null) return "not active: " + why;
		String optimized = "frozen and optimized for inference at load (oneDNN prepacked weights, fused convolutions)";
		String check = ", after a one-time check in a child process (verdicts in " + cacheDir() + "); -D" + PROPERTY + "=plain switches it off";
		if (!fusedRequested()) return "active on the cpu: each trunk is " + optimized + check + "; the fused graph is off (-D" + PROPERTY + "=optimized)";
		return "active on the cpu: each trunk made of convolutions, ReLU/ReLU6 and additions runs oneDNN convolutions with the activation"
			+ " or addition after them fused in, on weights packed once (-D" + PROPERTY + "=optimized switches that part off); other trunks are " + optimized + check;
	}

	/**
	 * Optimizes a CPU trunk that DJL has loaded, if it is safe; otherwise leaves it as it is: every
	 * failure leaves the plain module in place and says why, except when libtorch changed a trunk saved
	 * frozen in place ({@link InPlaceException}).
	 *
	 * @param zoo the loaded trunk (on the CPU)
	 * @param trunkFile its file (for the child-process check)
	 * @param trunkSha its SHA-256
	 * @param width input width
	 * @param height input height
	 * @return what happened
	 * @throws InPlaceException when the loaded module was changed and must be loaded again (a trunk saved frozen)
	 */
	public static Outcome apply(ZooModel<NDList, NDList> zoo, Path trunkFile, String trunkSha, int width, int height) throws InPlaceException {
		return apply(zoo, trunkFile, trunkSha, width, height, null);
	}

	/** {@link #apply}, with the verdict of {@link #vetAhead} when there is one (null: check now). */
	static Outcome apply(ZooModel<NDList, NDList> zoo, Path trunkFile, String trunkSha, int width, int height, Ahead ahead) throws InPlaceException {
		if (!requested()) return new Outcome(false, "plain graph (-D" + PROPERTY + "=plain)");
		String why = unavailableReason();
		if (why != null) return new Outcome(false, why);
		String notFused = null;
		if (fusedRequested()) {
			Verdict f = ahead != null && ahead.fused() != null ? ahead.fused() : vetted(Mode.FUSED, trunkFile, trunkSha, width, height);
			if (f.ok()) {
				try {
					FusedGraph.Fused fused = fuseInPlace(zoo, width, height, Mode.FUSED.channelsLast());
					return new Outcome(true, String.format(Locale.ROOT, "fused: %s (checked in a child process; features differ from the plain graph by at most %.1e)",
						fused.summary(), fused.difference()), fused);
				} catch (IOException | RuntimeException e) {
					LOG.warn("{}: the fused graph failed, trying libtorch's optimized graph: {}", trunkFile, e.getMessage());
					notFused = e.getMessage();
				}
			} else {
				notFused = f.detail();
			}
		}
		Verdict v = ahead != null && ahead.optimized() != null ? ahead.optimized() : vetted(Mode.OPTIMIZED, trunkFile, trunkSha, width, height);
		if (!v.ok()) return new Outcome(false, "kept the plain graph: " + v.detail());
		try {
			double diff = optimizeInPlace(zoo, width, height, Mode.OPTIMIZED.channelsLast());
			return new Outcome(true, String.format(Locale.ROOT, "optimized for inference (checked in a child process; features differ from the plain graph by at most %.1e)%s",
				diff, notFused == null ? "" : "; not fused: " + notFused));
		} catch (InPlaceException e) {
			throw e;
		} catch (IOException | RuntimeException e) {
			LOG.warn("{}: optimizing for inference failed, the plain graph runs: {}", trunkFile, e.getMessage());
			return new Outcome(false, "kept the plain graph: " + e.getMessage());
		}
	}

	/**
	 * Runs the one-time child-process check of a trunk now, if the optimized graph is wanted and its
	 * verdict is not known yet, for {@link #apply} to use later. Never throws.
	 *
	 * @param trunkFile the trunk file
	 * @param trunkSha its SHA-256
	 * @param width input width
	 * @param height input height
	 * @return the verdict, or null when the optimized graph is not wanted or not available here
	 */
	static Ahead vetAhead(Path trunkFile, String trunkSha, int width, int height) {
		if (!requested() || unavailableReason() != null) return null;
		try {
			Verdict fused = fusedRequested() ? vetted(Mode.FUSED, trunkFile, trunkSha, width, height) : null;
			if (fused != null && fused.ok()) return new Ahead(fused, null);
			return new Ahead(fused, vetted(Mode.OPTIMIZED, trunkFile, trunkSha, width, height));
		} catch (RuntimeException e) {
			LOG.debug("{}: checking the optimized graph ahead failed: {}", trunkFile, e.getMessage());
			return null;
		}
	}

	/**
	 * Replaces the module DJL holds with its optimized version, after comparing features on a probe
	 * input; on any difference over {@link #TOLERANCE} or error, the plain module stays.
	 *
	 * @return the largest feature difference, relative
	 * @throws IOException naming what went wrong; the plain module is then in place
	 */
	static double optimizeInPlace(ZooModel<NDList, NDList> zoo, int width, int height, boolean channelsLast) throws IOException {
		if (!(zoo.getBlock() instanceof PtSymbolBlock block)) throw new IOException("not a TorchScript module");
		AtomicReference<Long> handle = handleOf(block);
		float[] probe = probeInput(width, height);
		float[] plain = features(zoo, probe, width, height, channelsLast, null);
		Long old = handle.get();
		JniUtils.enableInferenceMode(block);
		// The module is returned by value into this buffer, which DJL later frees with C++ delete (glibc's
		// free, since no other allocator is loaded: see unavailableReason).
		long fresh = Native.malloc(MODULE_BYTES);
		if (fresh == 0) throw new IOException("out of native memory");
		new Pointer(fresh).clear(MODULE_BYTES);
		Memory noOtherMethods = new Memory(24); // an empty std::vector<std::string>: three null pointers
		noOtherMethods.clear();
		try {
			function().invokeVoid(new Object[] {new Pointer(fresh), new Pointer(old), noOtherMethods});
		} catch (RuntimeException | Error e) {
			Native.free(fresh);
			throw new IOException("calling optimize_for_inference failed: " + e, e);
		}
		// A trunk saved already frozen is optimized in place (libtorch reuses the same module object): the
		// plain graph is then gone, and the two handles share one object.
		boolean inPlace = new Pointer(fresh).getLong(0) == new Pointer(old).getLong(0);
		handle.set(fresh);
		String failure = null;
		double diff = Double.NaN;
		try {
			diff = relativeDifference(plain, features(zoo, probe, width, height, channelsLast, null));
			if (!(diff <= TOLERANCE)) {
				failure = String.format(Locale.ROOT, "the optimized graph's features differ from the plain graph's by %.2e (tolerance %.0e)", diff, TOLERANCE);
			}
		} catch (IOException | RuntimeException e) {
			failure = "the optimized graph failed on a probe input: " + ClassifierModel.firstLine(e);
		}
		if (failure != null) {
			handle.set(old);
			JniUtils.deleteModule(fresh);
			if (inPlace) throw new InPlaceException(failure + "; the trunk was saved frozen and was changed in place, so it must be loaded again");
			throw new IOException(failure);
		}
		JniUtils.deleteModule(old);
		return diff;
	}

	/**
	 * Fuses the loaded (plain) module ({@link FusedGraph}) and checks the fused program's features on a
	 * probe input against the module's own forward; the plain forward stays as it is either way.
	 *
	 * @return the fused state, to pass with every call
	 * @throws IOException naming why it is not used (a graph that is not fusable, a difference over the tolerance)
	 */
	static FusedGraph.Fused fuseInPlace(ZooModel<NDList, NDList> zoo, int width, int height, boolean channelsLast) throws IOException {
		if (!(zoo.getBlock() instanceof PtSymbolBlock block)) throw new IOException("not a TorchScript module");
		long handle = handleOf(block).get();
		float[] probe = probeInput(width, height);
		float[] plain = features(zoo, probe, width, height, channelsLast, null);
		NativeLibrary lib;
		synchronized (InferenceGraph.class) {
			lib = library;
		}
		if (lib == null) throw new IOException(String.valueOf(unavailableReason()));
		FusedGraph.Fused fused = FusedGraph.fuse(block, handle, zoo.getNDManager(), lib, width, height);
		double diff;
		try {
			diff = relativeDifference(plain, features(zoo, probe, width, height, channelsLast, fused));
		} catch (IOException | RuntimeException e) {
			fused.close();
			throw new IOException("the fused graph failed on a probe input: " + ClassifierModel.firstLine(e), e);
		}
		if (!(diff <= TOLERANCE)) {
			fused.close();
			throw new IOException(String.format(Locale.ROOT, "the fused graph's features differ from the plain graph's by %.2e (tolerance %.0e)", diff, TOLERANCE));
		}
		fused.difference(diff);
		return fused;
	}

	private static float[] probeInput(int width, int height) {
		float[] x = new float[3 * width * height];
		Random r = new Random(20261126L);
		for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
		return x;
	}

	private static float[] features(ZooModel<NDList, NDList> zoo, float[] x, int width, int height, boolean channelsLast, FusedGraph.Fused fused)
		throws IOException {
		try (NDManager m = NDManager.newBaseManager(zoo.getNDManager().getDevice(), "PyTorch");
			Predictor<NDList, NDList> p = (fused == null ? zoo : fused.program()).newPredictor()) {
			NDArray input = new InputTensors(channelsLast, false).create(m, x, 1, height, width);
			try (NDList out = p.predict(fused == null ? new NDList(input) : fused.inputs(input))) {
				if (out.isEmpty()) throw new IOException("the trunk returned no output");
				return out.get(0).toFloatArray();
			}
		} catch (ai.djl.translate.TranslateException e) {
			throw new IOException(ClassifierModel.firstLine(e), e);
		}
	}

	static double relativeDifference(float[] plain, float[] optimized) {
		if (plain.length != optimized.length) return Double.POSITIVE_INFINITY;
		double scale = 1;
		double diff = 0;
		for (int i = 0; i < plain.length; i++) {
			scale = Math.max(scale, Math.abs(plain[i]));
			double d = Math.abs(plain[i] - optimized[i]);
			if (!(d <= diff)) diff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
		}
		return diff / scale;
	}

	@SuppressWarnings("unchecked")
	private static AtomicReference<Long> handleOf(PtSymbolBlock block) throws IOException {
		try {
			Field f = PtSymbolBlock.class.getDeclaredField("handle");
			f.setAccessible(true);
			return (AtomicReference<Long>) f.get(block);
		} catch (ReflectiveOperationException | RuntimeException e) {
			throw new IOException("this DJL version keeps its module handle elsewhere (" + e + ")", e);
		}
	}

	private static synchronized Function function() {
		unavailableReason();
		return function;
	}

	/** @return why the pass cannot run in this process, or null when it can */
	public static synchronized String unavailableReason() {
		if (function != null) return null;
		if (unavailable != null) return unavailable;
		String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
		String arch = System.getProperty("os.arch", "");
		if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
			unavailable = "the optimized graph is called through libtorch's C++ symbol, done on Linux x86-64 only (here " + os + " " + arch + ")";
			return unavailable;
		}
		if ("false".equalsIgnoreCase(System.getProperty("ai.djl.pytorch.graph_optimizer", "true").trim())) {
			unavailable = "ai.djl.pytorch.graph_optimizer=false (a frozen graph needs DJL's graph executor optimizer)";
			return unavailable;
		}
		String allocator = replacementAllocator();
		if (allocator != null) {
			unavailable = "another allocator than glibc's is loaded (" + allocator + "); the optimized module would be freed with the wrong size";
			return unavailable;
		}
		try {
			EnginePolicy.engine();
			Path lib = Paths.get(ai.djl.pytorch.jni.LibUtils.getLibtorchPath(), "libtorch_cpu.so");
			if (!Files.isRegularFile(lib)) {
				unavailable = "no libtorch_cpu.so in " + lib.getParent();
				return unavailable;
			}
			library = NativeLibrary.getInstance(lib.toString());
			function = library.getFunction(SYMBOL);
			return null;
		} catch (ModelLoadException | UnsatisfiedLinkError | RuntimeException e) {
			unavailable = "libtorch does not export optimize_for_inference here (" + ClassifierModel.firstLine(e) + ")";
			return unavailable;
		}
	}

	/** @return the file name of a malloc replacement mapped into this process (jemalloc, tcmalloc, mimalloc), or null */
	private static String replacementAllocator() {
		try {
			for (String line : Files.readAllLines(Paths.get("/proc/self/maps"))) {
				for (String name : new String[] {"jemalloc", "tcmalloc", "mimalloc"}) {
					if (line.contains(name)) return line.substring(line.lastIndexOf('/') + 1);
				}
			}
		} catch (IOException | RuntimeException e) {
			return null;
		}
		return null;
	}

	/** The child's verdict on one trunk. */
	record Verdict(boolean ok, String detail) {}

	/** @return the folder of verdicts */
	static Path cacheDir() {
		if (EngineSetting.CACHE_DIR.isSet()) return Paths.get(EngineSetting.CACHE_DIR.value());
		return Paths.get(System.getProperty("user.home"), ".medcnn", "cache");
	}

	private static String key(String trunkSha, int width, int height, boolean channelsLast) throws ModelLoadException {
		return String.format(Locale.ROOT, "%s-torch%s-djl%s-%dx%d-%s", trunkSha, EnginePolicy.engine().getVersion(), ai.djl.engine.Engine.getDjlVersion(),
			width, height, channelsLast ? "nhwc" : "nchw");
	}

	private static Verdict known(Path file) {
		if (!Files.isRegularFile(file)) return null;
		Properties known = new Properties();
		try (InputStream in = Files.newInputStream(file)) {
			known.load(in);
			String status = known.getProperty("status");
			if ("ok".equals(status) || "failed".equals(status)) return new Verdict("ok".equals(status), known.getProperty("detail", ""));
		} catch (IOException | IllegalArgumentException e) {
			LOG.warn("{}: unreadable, checking the trunk again: {}", file, e.getMessage());
		}
		return null;
	}

	/**
	 * What is known about a trunk without loading it, for {@code medcnn doctor}; never throws.
	 *
	 * @param trunkSha the trunk's SHA-256
	 * @param width input width
	 * @param height input height
	 * @return one line: whether it will run the optimized graph on the CPU, or that it is checked at its first load
	 */
	public static String knownState(String trunkSha, int width, int height) {
		if (!requested()) return "plain graph (-D" + PROPERTY + "=plain)";
		String why = unavailableReason();
		if (why != null) return "plain graph (" + why + ")";
		try {
			Verdict f = fusedRequested() ? known(cacheDir().resolve(Mode.FUSED.folder).resolve(key(trunkSha, width, height, Mode.FUSED.channelsLast()) + ".properties")) : null;
			if (f != null && f.ok()) return "fused on the cpu (" + f.detail() + ")";
			Verdict v = known(cacheDir().resolve(Mode.OPTIMIZED.folder).resolve(key(trunkSha, width, height, Mode.OPTIMIZED.channelsLast()) + ".properties"));
			if (v == null) return "not checked yet (checked at its first load on the cpu)" + (f == null ? "" : "; not fused: " + f.detail());
			String fused = !fusedRequested() ? "" : f == null ? "; whether it can run fused is checked at its next load" : "; not fused: " + f.detail();
			return (v.ok() ? "optimized on the cpu (" + v.detail() + ")" : "plain graph: " + v.detail()) + fused;
		} catch (ModelLoadException | RuntimeException e) {
			return "unknown (" + e.getMessage() + ")";
		}
	}

	private static Verdict vetted(Mode mode, Path trunkFile, String trunkSha, int width, int height) {
		boolean channelsLast = mode.channelsLast();
		String key;
		try {
			key = key(trunkSha, width, height, channelsLast);
		} catch (ModelLoadException e) {
			return new Verdict(false, e.getMessage());
		}
		Path file = cacheDir().resolve(mode.folder).resolve(key + ".properties");
		Verdict known = known(file);
		if (known != null) return known;
		Verdict v;
		try {
			v = checkInChild(mode, trunkFile, width, height, channelsLast);
		} catch (IOException e) {
			// Not a verdict on the trunk (no java binary, interrupted ...): not kept, tried again next time.
			LOG.warn("{}: could not check the {} graph in a child process: {}", trunkFile, mode.name().toLowerCase(Locale.ROOT), e.getMessage());
			return new Verdict(false, "could not check it in a child process: " + e.getMessage());
		}
		Properties p = new Properties();
		p.setProperty("status", v.ok() ? "ok" : "failed");
		p.setProperty("detail", v.detail());
		p.setProperty("trunk", trunkFile.toString());
		try {
			Files.createDirectories(file.getParent());
			Path tmp = Files.createTempFile(file.getParent(), key, ".tmp");
			try (OutputStream out = Files.newOutputStream(tmp)) {
				p.store(out, "MedCNN: can this trunk run the " + mode.name().toLowerCase(Locale.ROOT) + " graph with this libtorch? (delete to check again)");
			}
			try {
				Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			} catch (AtomicMoveNotSupportedException e) {
				Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
			}
		} catch (IOException e) {
			LOG.warn("cannot keep the verdict in {} (checked again next time): {}", file, e.getMessage());
		}
		if (!v.ok()) {
			if (mode == Mode.FUSED) LOG.info("{}: not fused: {}", trunkFile, v.detail());
			else LOG.warn("{}: the plain graph runs: {}", trunkFile, v.detail());
		}
		return v;
	}

	private static Verdict checkInChild(Mode mode, Path trunkFile, int width, int height, boolean channelsLast) throws IOException {
		List<String> cmd = new ArrayList<>();
		cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
		cmd.add("-Xmx512m");
		cmd.add("-Dai.djl.offline=true");
		for (String k : new String[] {"ai.djl.pytorch.graph_optimizer", EngineSetting.OPENMP.key(), EngineSetting.ALLOCATOR.key(), "DJL_CACHE_DIR", "ENGINE_CACHE_DIR"}) {
			String v = System.getProperty(k);
			if (v != null) cmd.add("-D" + k + "=" + v);
		}
		cmd.addAll(List.of("-cp", childClassPath(), InferenceGraph.class.getName(), trunkFile.toString(), Integer.toString(width),
			Integer.toString(height), Boolean.toString(channelsLast), mode.name()));
		// In a temporary folder, output to a file: a core dump (the child may abort on purpose) lands there
		// and is deleted with it, and the time limit holds even if the child hangs with its output open.
		Path work = Files.createTempDirectory("medcnn-graph-check");
		Path log = work.resolve("check.log");
		ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
		pb.environment().put("OMP_NUM_THREADS", "1");
		Process proc = null;
		String text;
		try {
			proc = pb.start();
			proc.getOutputStream().close();
			if (!proc.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS)) throw new IOException("the check did not finish in " + CHILD_TIMEOUT_S + " s");
			text = Files.readString(log, StandardCharsets.UTF_8);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IOException("interrupted", e);
		} finally {
			if (proc != null) proc.destroyForcibly();
			deleteTree(work);
		}
		return interpret(proc.exitValue(), text);
	}

	private static void deleteTree(Path dir) {
		try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
			for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
		} catch (IOException | RuntimeException e) {
			LOG.debug("cannot delete {}: {}", dir, e.getMessage());
		}
	}

	/**
	 * Reads the child's output.
	 *
	 * @param exit its exit code
	 * @param text its output (stdout and stderr)
	 * @return the verdict on the trunk
	 * @throws IOException when the child ended without one for a reason that says nothing about the trunk
	 */
	static Verdict interpret(int exit, String text) throws IOException {
		for (String line : text.lines().toList()) {
			if (!line.startsWith(VERDICT)) continue;
			String rest = line.substring(VERDICT.length()).trim();
			if (rest.startsWith("ok")) return new Verdict(true, rest.substring(2).trim());
			if (rest.startsWith("failed")) return new Verdict(false, rest.substring(6).trim());
			throw new IOException(rest.startsWith("error") ? rest.substring(5).trim() : rest);
		}
		// No verdict. An uncaught C++ exception inside the pass aborts the process (SIGABRT, exit code 134,
		// "terminate called ..."): exactly what the check protects the user's JVM from, and a verdict on the
		// trunk. Anything else (a class missing from the child's class path, no memory ...) says nothing
		// about the trunk: not kept, so it is tried again next time.
		if (exit == 134 || text.contains("terminate called")) {
			return new Verdict(false, "libtorch ended the process while optimizing this trunk (exit code " + exit + "): " + reason(text));
		}
		throw new IOException("the check ended without a verdict (exit code " + exit + "): " + lastLine(text));
	}
	/** @return the message of the C++ exception that ended the child, else its last line of output */
	private static String reason(String text) {
		for (String line : text.lines().toList()) {
			int at = line.indexOf("what():");
			if (at >= 0) return line.substring(at + 7).strip();
		}
		return lastLine(text);
	}

	private static String lastLine(String text) {
		List<String> lines = text.strip().lines().filter(l -> !l.isBlank() && !l.contains(" DEBUG ")).toList();
		return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1).strip();
	}

	/**
	 * The class path for the child: this JVM's own, plus the locations of the classes it needs when they
	 * were loaded by another class loader (as in Fiji, where plugins and their jars are not on the
	 * system class path).
	 */
	static String childClassPath() {
		Set<String> parts = new LinkedHashSet<>();
		for (String p : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
			if (!p.isBlank()) parts.add(p);
		}
		Class<?>[] needed = {InferenceGraph.class, ai.djl.engine.Engine.class, PtSymbolBlock.class, Native.class, LoggerFactory.class,
			com.google.gson.Gson.class, Criteria.class, NoopTranslator.class};
		for (Class<?> c : needed) {
			for (ClassLoader l = c.getClassLoader(); l != null; l = l.getParent()) {
				if (l instanceof URLClassLoader u) {
					for (URL url : u.getURLs()) addFile(parts, url);
				}
			}
			if (c.getProtectionDomain().getCodeSource() != null) addFile(parts, c.getProtectionDomain().getCodeSource().getLocation());
		}
		URL natives = InferenceGraph.class.getClassLoader().getResource("native/lib/pytorch.properties");
		if (natives != null && "jar".equals(natives.getProtocol())) {
			String s = natives.getPath();
			int bang = s.indexOf("!/");
			if (bang > 0) {
				try {
					addFile(parts, new URL(s.substring(0, bang)));
				} catch (IOException e) {
					// the engine then finds its natives in DJL's cache folder
				}
			}
		}
		return String.join(File.pathSeparator, parts);
	}

	private static void addFile(Set<String> parts, URL url) {
		if (url == null || !"file".equals(url.getProtocol())) return;
		try {
			parts.add(Paths.get(url.toURI()).toString());
		} catch (URISyntaxException | RuntimeException e) {
			// not a local file
		}
	}


	/** The C library's resource limits. */
	interface Limits extends com.sun.jna.Library {
		int setrlimit(int resource, long[] limit);
	}

	/** The child may abort on purpose: no core file of a JVM with libtorch in it (hundreds of MB). */
	private static void noCoreDumps() {
		try {
			final int rlimitCore = 4; // Linux
			Native.load("c", Limits.class).setrlimit(rlimitCore, new long[] {0, 0});
		} catch (UnsatisfiedLinkError | RuntimeException e) {
			// then a core file may land in the child's temporary folder, which is deleted
		}
	}

	/**
	 * The child-process check: loads the trunk, optimizes it as the parent would and compares features.
	 * Prints one verdict line; if libtorch throws inside the pass, the process dies without one, which
	 * the parent reads as a failure.
	 *
	 * @param args trunk file, width, height, channels-last
	 */
	public static void main(String[] args) {
		noCoreDumps();
		EnginePolicy.init();
		Path trunk = Paths.get(args[0]);
		int width = Integer.parseInt(args[1]);
		int height = Integer.parseInt(args[2]);
		boolean channelsLast = Boolean.parseBoolean(args[3]);
		Mode mode = args.length > 4 ? Mode.valueOf(args[4]) : Mode.OPTIMIZED;
		// "ok" and "failed" are verdicts on the trunk; "error" means the check itself could not run here.
		String verdict = null;
		String why = unavailableReason();
		if (why != null) {
			verdict = "error " + why;
		} else {
			ZooModel<NDList, NDList> zoo = null;
			try {
				zoo = TrunkLoader.open(trunk, ai.djl.Device.cpu(), TrunkLoader.Mode.INFERENCE);
			} catch (Exception e) {
				verdict = "error cannot load the trunk: " + ClassifierModel.firstLine(e);
			}
			if (zoo != null) {
				try {
					if (mode == Mode.FUSED) {
						FusedGraph.Fused fused = fuseInPlace(zoo, width, height, channelsLast);
						verdict = String.format(Locale.ROOT, "ok %s; features within %.1e of the plain graph on a probe input", fused.summary(), fused.difference());
					} else {
						double diff = optimizeInPlace(zoo, width, height, channelsLast);
						verdict = String.format(Locale.ROOT, "ok features within %.1e of the plain graph on a probe input", diff);
					}
				} catch (Exception e) {
					verdict = "failed " + ClassifierModel.firstLine(e);
				}
				zoo.close();
			}
		}
		System.out.println(VERDICT + " " + verdict);
		System.out.flush();
		System.exit(0);
	}
}
