package org.medcnn.core.engine;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * Makes the engine's OpenMP threads spin less before they sleep while they wait, so that they share
 * the cores with the rest of the JVM and with other processes.
 * <p>
 * Why: libtorch's CPU kernels run on OpenMP threads (GNU libgomp), one per core. A waiting libgomp
 * thread spins up to 300000 iterations (milliseconds) before it sleeps. When anything else runs on the
 * same cores (Fiji, MedCNN's own preprocessing, another process), a spinning thread holds a core that
 * the thread it waits for needs: on 2 cores with one other busy process, inference ran 3 to 18 times
 * slower than on the idle machine. {@code OMP_WAIT_POLICY=PASSIVE} (sleep at once) cost 60 % at batch 1
 * and 25 % at batch 8 on the idle machine; {@code GOMP_SPINCOUNT=10000} kept batch 1 within the noise,
 * cost 0 to 17 % at batch 8 (the runs disagree), and under load ran 1.4 to 3.9 times faster than
 * libgomp's default (docs/benchmarks.md). libgomp reads its environment once, when it is loaded with
 * libtorch, which inside Fiji is after the JVM has started; so the variable is set in the process
 * environment with the C library's {@code setenv} before the engine is first loaded
 * ({@link EnginePolicy#init()}).
 * <p>
 * Off with {@code -Dmedcnn.openmp=default}. A value the user set ({@code OMP_WAIT_POLICY} or
 * {@code GOMP_SPINCOUNT} in the environment) is kept. Results are unchanged: only how threads wait.
 */
public final class OpenMpPolicy {

	/** Spin iterations before a waiting libgomp thread sleeps (libgomp's default is 300000). */
	static final String SPIN_COUNT = "10000";

	private static String state;
	private static boolean active;

	/** The C library's environment functions. */
	interface CLib extends Library {
		int setenv(String name, String value, int overwrite);

		String getenv(String name);
	}

	private OpenMpPolicy() {}

	/**
	 * Sets the wait policy once per process (idempotent); never throws. Must run before libtorch is
	 * loaded to take effect; says so when it ran too late.
	 *
	 * @return a one-line description of the state, for doctor and benchmarks
	 */
	public static synchronized String apply() {
		if (state != null) return state;
		if (EngineSetting.OPENMP.is("default")) {
			state = "OpenMP defaults (switched off by -D" + EngineSetting.OPENMP.key() + "=default)";
			return state;
		}
		if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
			state = "not active: the wait policy is set for libgomp on Linux";
			return state;
		}
		try {
			CLib c = Native.load("c", CLib.class);
			String user = c.getenv("OMP_WAIT_POLICY");
			String spin = c.getenv("GOMP_SPINCOUNT");
			if (user != null || spin != null) {
				state = "not changed: the environment sets " + (user != null ? "OMP_WAIT_POLICY=" + user : "GOMP_SPINCOUNT=" + spin);
				return state;
			}
			if (openMpLoaded()) {
				state = "not active: an OpenMP runtime was loaded before MedCNN could set GOMP_SPINCOUNT (start with GOMP_SPINCOUNT=" + SPIN_COUNT + ")";
				return state;
			}
			active = c.setenv("GOMP_SPINCOUNT", SPIN_COUNT, 1) == 0;
			state = active ? "active: GOMP_SPINCOUNT=" + SPIN_COUNT + " set before the engine loaded (waiting threads sleep sooner)" : "not active: setenv failed";
		} catch (UnsatisfiedLinkError | RuntimeException e) {
			state = "not active: " + e.getMessage();
		}
		return state;
	}

	/** @return whether the passive wait policy was set by MedCNN in this process */
	public static synchronized boolean isActive() {
		apply();
		return active;
	}

	/**
	 * Gives back the OpenMP worker threads that the calling thread started (libgomp's
	 * {@code omp_pause_resource_all}, soft): they no longer count against the cores, which
	 * {@link EngineThread} explains. For threads that ran engine work themselves (training), when they
	 * are done with it. Never throws.
	 *
	 * @return whether libgomp is loaded and released the thread's pool
	 */
	public static boolean releaseThreadPool() {
		Function pause = function("omp_pause_resource_all");
		try {
			return pause != null && pause.invokeInt(new Object[] {1}) == 0;
		} catch (RuntimeException | UnsatisfiedLinkError e) {
			return false;
		}
	}

	/**
	 * The calling thread's OpenMP thread count for its next parallel regions (libgomp's
	 * {@code omp_get_max_threads}: a setting of each thread, which libtorch's kernels and oneDNN follow).
	 *
	 * @return the count, or -1 when libgomp is not loaded
	 */
	public static int threads() {
		Function f = function("omp_get_max_threads");
		try {
			return f == null ? -1 : f.invokeInt(new Object[0]);
		} catch (RuntimeException | UnsatisfiedLinkError e) {
			return -1;
		}
	}

	/**
	 * Sets the calling thread's OpenMP thread count (libgomp's {@code omp_set_num_threads}); other
	 * threads keep theirs. Never throws.
	 *
	 * @param n threads, at least 1
	 * @return whether libgomp is loaded and took it
	 */
	public static boolean setThreads(int n) {
		Function f = function("omp_set_num_threads");
		try {
			if (f == null) return false;
			f.invoke(new Object[] {Math.max(1, n)});
			return true;
		} catch (RuntimeException | UnsatisfiedLinkError e) {
			return false;
		}
	}

	private static NativeLibrary gomp;

	/**
	 * A function of libgomp, once libgomp is loaded; null before or without it. The libgomp next to
	 * libtorch when several are mapped (DJL's natives bring their own).
	 */
	private static synchronized Function function(String name) {
		try {
			if (gomp == null) {
				java.util.Set<String> mapped = new java.util.LinkedHashSet<>();
				for (String line : Files.readAllLines(Paths.get("/proc/self/maps"))) {
					int slash = line.indexOf('/');
					if (slash >= 0 && line.substring(slash).contains("/libgomp")) mapped.add(line.substring(slash).trim());
				}
				if (mapped.isEmpty()) return null;
				String chosen = mapped.iterator().next();
				if (mapped.size() > 1) {
					String torch = ai.djl.pytorch.jni.LibUtils.getLibtorchPath();
					for (String path : mapped) if (path.startsWith(torch)) chosen = path;
				}
				gomp = NativeLibrary.getInstance(chosen);
			}
			return gomp.getFunction(name);
		} catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
			return null;
		}
	}

	/**
	 * Whether an OpenMP runtime (libgomp, libiomp, libomp) is mapped into this process, from
	 * {@code /proc/self/maps}.
	 *
	 * @return true if one is loaded; false if none is or this cannot be read
	 */
	public static boolean openMpLoaded() {
		Path maps = Paths.get("/proc/self/maps");
		try {
			for (String line : Files.readAllLines(maps)) {
				if (line.contains("libgomp") || line.contains("libiomp") || line.contains("libomp")) return true;
			}
		} catch (IOException | RuntimeException e) {
			return false;
		}
		return false;
	}

	/**
	 * Reads a variable from the process environment as native code sees it (Java's
	 * {@code System.getenv} is a copy taken at JVM start).
	 *
	 * @param name the variable
	 * @return its value, or null
	 */
	public static String nativeEnv(String name) {
		try {
			return Native.load("c", CLib.class).getenv(name);
		} catch (UnsatisfiedLinkError | RuntimeException e) {
			return null;
		}
	}
}
