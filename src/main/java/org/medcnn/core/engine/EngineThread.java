package org.medcnn.core.engine;

import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The one thread of the process that runs MedCNN's engine work: loading models, inference and saliency.
 * Callers on any thread (Fiji's command threads, the command line, batch workers) hand their work to
 * it and wait for the result.
 * <p>
 * Why: libtorch's CPU kernels run on OpenMP threads (GNU libgomp), and libgomp keeps a pool of worker
 * threads for every thread that starts parallel work. Once the pools together hold more threads than
 * the machine has cores, libgomp lets each waiting thread spin only 100 times before it sleeps
 * (instead of {@code GOMP_SPINCOUNT}, {@link OpenMpPolicy}), on every thread, for the rest of the
 * process. Fiji runs each command on a thread of its own pool, so the second thread that ran a model
 * made all inference slower from then on: on 2 cores, 64 slices at batch 8 took 345-375 ms instead
 * of 270-300 ms, the cores busy 76 % of the time instead of 95 % (docs/benchmarks.md). With all engine
 * work on this thread there is one pool. Work that stays on its own thread (training) gives its pool
 * back when it ends ({@link OpenMpPolicy#releaseThreadPool()}).
 * <p>
 * Tasks must not wait for locks that their callers may hold while waiting for the task; MedCNN's
 * tasks are leaf operations (load a module, run a batch, compute gradients). A task started from
 * this thread runs at once, in place. {@code -Dmedcnn.engine_thread=caller} runs every task on its
 * caller's thread instead (for comparisons).
 * <p>
 * Inference of a batch of 2 or more slices on the CPU uses a second thread beside it, the second lane
 * ({@link #callPair}): the two halves of the batch run at once, each lane with half of the OpenMP threads.
 */
public final class EngineThread {

	/** The thread's name, also the name of the OpenMP threads it starts (Linux threads inherit it). */
	public static final String NAME = "medcnn-engine";

	private static volatile Thread thread;
	private static volatile Thread secondThread;

	private static final ExecutorService EXECUTOR = spinning(r -> {
		Thread t = new Thread(r, NAME);
		t.setDaemon(true);
		// DJL finds its engine through the context class loader: MedCNN's own, whichever thread came first
		// (inside Fiji, a plugin's classes are not visible to every thread's loader).
		t.setContextClassLoader(EngineThread.class.getClassLoader());
		thread = t;
		return t;
	});

	private static final long SPIN_NS = spinNanos();

	private static long spinNanos() {
		return EngineSetting.ENGINE_SPIN_US.number(0, 10_000) * 1000;
	}

	/**
	 * A one-thread executor whose thread, once idle, polls for its next task for {@link #SPIN_NS} before it
	 * sleeps. Batch after batch, the next task comes a fraction of a millisecond after the last one ended
	 * (the caller reads the result and calls again): a sleeping thread took 0.1-0.2 ms to wake on this
	 * 2-vCPU machine, at each of the several hand-overs of a batch (caller to engine thread to second lane
	 * and back).
	 */
	private static ExecutorService spinning(java.util.concurrent.ThreadFactory factory) {
		return new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.MILLISECONDS, new SpinningQueue(), factory);
	}

	/** A task queue whose taker polls it for {@link #SPIN_NS} before it blocks. */
	private static final class SpinningQueue extends java.util.concurrent.LinkedBlockingQueue<Runnable> {
		private static final long serialVersionUID = 1L;

		@Override
		public Runnable take() throws InterruptedException {
			if (SPIN_NS > 0) {
				long end = System.nanoTime() + SPIN_NS;
				do {
					Runnable r = poll();
					if (r != null) return r;
					Thread.onSpinWait();
				} while (System.nanoTime() - end < 0);
			}
			return super.take();
		}
	}

	/** Waits awake for up to {@link #SPIN_NS} for a task that is about to end (the pair's other half). */
	private static void spinUntilDone(Future<?> f) {
		if (SPIN_NS <= 0) return;
		long end = System.nanoTime() + SPIN_NS;
		while (!f.isDone() && System.nanoTime() - end < 0) Thread.onSpinWait();
	}

	private EngineThread() {}

	/**
	 * Engine work that returns a value and may throw one checked exception type.
	 *
	 * @param <T> the result
	 * @param <E> the checked exception
	 */
	@FunctionalInterface
	public interface Task<T, E extends Exception> {
		/**
		 * Runs the work.
		 *
		 * @return the result
		 * @throws E when the work fails
		 */
		T run() throws E;
	}

	/**
	 * Runs a task on the engine thread and waits for it. An interrupt withdraws a task that has not
	 * started yet ({@link CancellationException}); a running task is waited for (it may be using the
	 * caller's buffers). Either way the interrupt status is set again.
	 *
	 * @param <T> the result
	 * @param <E> the checked exception of the task
	 * @param task the work
	 * @return its result
	 * @throws E as the task threw it (runtime exceptions and errors too, unchanged; the caller's stack is
	 *         added as a suppressed exception)
	 * @throws CancellationException when the caller was interrupted before the task started
	 */
	public static <T, E extends Exception> T call(Task<T, E> task) throws E {
		if (isEngineThread() || EngineSetting.ENGINE_THREAD.is("caller")) return task.run();
		// 0 queued, 1 started, 2 withdrawn: whichever of the engine thread and an interrupted caller comes first.
		java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
		Future<T> f = EXECUTOR.submit((Callable<T>) () -> state.compareAndSet(0, 1) ? task.run() : null);
		boolean interrupted = false;
		try {
			while (true) {
				try {
					return f.get();
				} catch (InterruptedException e) {
					interrupted = true;
					if (state.compareAndSet(0, 2)) {
						f.cancel(false);
						throw new CancellationException("interrupted while waiting for the engine thread");
					}
				} catch (ExecutionException e) {
					Throwable cause = e.getCause();
					cause.addSuppressed(new CallerStack());
					throw EngineThread.<E>rethrow(cause);
				}
			}
		} finally {
			if (interrupted) Thread.currentThread().interrupt();
		}
	}

	/** The second lane's thread name. */
	public static final String SECOND = NAME + "-2";

	private static final java.util.concurrent.atomic.AtomicLong PAIRS = new java.util.concurrent.atomic.AtomicLong();
	private static ExecutorService second;
	private static volatile boolean noSecond;
	private static int laneThreads;

	/**
	 * Whether batches may be split over two lanes ({@link #callPair}): on, unless {@code -Dmedcnn.lanes=1}.
	 *
	 * @return whether splitting is allowed
	 */
	public static boolean lanesEnabled() {
		return !EngineSetting.LANES.is("1");
	}

	/**
	 * Whether splitting a batch over the lanes pays: they are enabled, and not found unusable (an engine
	 * with one OpenMP thread, or no libgomp to set each lane's threads), where the halves would only run
	 * one after the other.
	 *
	 * @return whether to split
	 */
	public static boolean lanesUsable() {
		return lanesEnabled() && !noSecond;
	}

	private static volatile int perLane = -1;

	/**
	 * The OpenMP threads of each lane: half of the engine thread's (read there once), or 0 when batches are
	 * not split over two lanes (switched off, fewer than 2 engine threads, or no libgomp to tell).
	 *
	 * @return threads per lane, or 0
	 */
	public static int threadsPerLane() {
		if (!lanesUsable()) return 0;
		int t = perLane;
		if (t < 0) {
			t = EngineThread.<Integer, RuntimeException>call(() -> {
				ai.djl.pytorch.jni.JniUtils.getNumThreads();
				int all = OpenMpPolicy.threads();
				return all < 2 ? 0 : all / 2;
			});
			perLane = t;
		}
		return lanesUsable() ? t : 0;
	}

	/**
	 * Runs two independent tasks at once, {@code a} on the engine thread and {@code b} on its second lane
	 * ({@value #SECOND}), each with half of the engine thread's OpenMP threads, and waits for both.
	 * <p>
	 * Why: on 2 cores, two forward passes of half a batch, one thread each, gave 250-263 slices/s where
	 * one pass of the whole batch on 2 threads gave 221-236 (PyTorch-Python, MobileNetV2 at batch 8; the
	 * same in libtorch, docs/benchmarks.md): each lane runs its layers without waiting for the other at
	 * every barrier. The OpenMP thread count is a setting of each thread, so the engine thread's own
	 * calls keep all their threads. The second lane is only ever started from the engine thread, inside
	 * such a call, so at most two lanes' threads run engine work, and the pools stay within the cores.
	 * Measured on 2 cores only (one thread a lane); with more, each lane has several threads and the
	 * second lane gives its pool back after each pair, which has not been measured.
	 *
	 * @param <T> the result
	 * @param <E> the checked exception of the tasks
	 * @param a the first task, run on the engine thread
	 * @param b the second task, run on the second lane
	 * @return the two results, a's first
	 * @throws E as a task threw it (a's failure first); both tasks have ended by then
	 * @throws CancellationException when the caller was interrupted before the tasks started
	 */
	public static <T, E extends Exception> java.util.List<T> callPair(Task<T, E> a, Task<T, E> b) throws E {
		return call(() -> pair(a, b));
	}

	private static <T, E extends Exception> java.util.List<T> pair(Task<T, E> a, Task<T, E> b) throws E {
		// libtorch sets a thread's OpenMP thread count at its first call there: first that, then read it (a
		// caller's thread under -Dmedcnn.engine_thread=caller may not have run libtorch yet).
		ai.djl.pytorch.jni.JniUtils.getNumThreads();
		int before = OpenMpPolicy.threads();
		// Inside a pair (a task that pairs again) both run here, one after the other: the second lane is
		// busy with this pair's other half, and waiting for it there would never end.
		ExecutorService lane = IN_PAIR.get() ? null : secondLane(before);
		if (lane == null) {
			boolean outer = IN_PAIR.get();
			IN_PAIR.set(true);
			try {
				T ra = a.run();
				return java.util.Arrays.asList(ra, b.run());
			} finally {
				IN_PAIR.set(outer);
			}
		}
		PAIRS.incrementAndGet();
		Future<T> fb = lane.submit(() -> {
			IN_PAIR.set(true);
			try {
				return b.run();
			} finally {
				IN_PAIR.set(false);
				// With more than one thread a lane keeps a pool of OpenMP workers; given back, the pools of the
				// engine thread (all cores) and of this lane never add up to more threads than cores. One thread
				// (2 cores) has no pool to give back.
				if (laneThreads > 1) OpenMpPolicy.releaseThreadPool();
			}
		});
		T ra = null;
		Throwable failure = null;
		OpenMpPolicy.setThreads(laneThreads);
		boolean outer = IN_PAIR.get();
		IN_PAIR.set(true);
		try {
			ra = a.run();
		} catch (Exception | Error e) {
			failure = e;
		} finally {
			IN_PAIR.set(outer);
			OpenMpPolicy.setThreads(before);
		}
		T rb = null;
		try {
			// b may be reading the caller's buffers: wait for it, interrupted or not
			spinUntilDone(fb);
			rb = awaitUninterruptibly(fb);
		} catch (ExecutionException e) {
			if (failure == null) failure = e.getCause();
		}
		if (failure != null) throw EngineThread.<E>rethrow(failure);
		return java.util.Arrays.asList(ra, rb);
	}

	/**
	 * The second lane, started on first use with half of {@code threads} OpenMP threads; null when the
	 * engine has fewer than 2 threads or libgomp cannot be told (then both tasks run one after the other).
	 * libtorch sets a new thread's thread count at its first call, so that call comes first, then half.
	 */
	private static synchronized ExecutorService secondLane(int threads) {
		if (second != null || noSecond) return second;
		if (threads < 2) {
			noSecond = true;
			return null;
		}
		ExecutorService lane = spinning(r -> {
			Thread t = new Thread(r, SECOND);
			t.setDaemon(true);
			t.setContextClassLoader(EngineThread.class.getClassLoader());
			secondThread = t;
			return t;
		});
		int half = threads / 2;
		Future<Boolean> setUp = lane.submit(() -> {
			// Grad mode is per thread; then libtorch's own setup of this thread's thread count, then half.
			ai.djl.pytorch.jni.JniUtils.setGradMode(false);
			ai.djl.pytorch.jni.JniUtils.getNumThreads();
			return OpenMpPolicy.setThreads(half) && OpenMpPolicy.threads() == half;
		});
		boolean set;
		try {
			// a moment's work: finish it, so that an interrupted caller does not start a new lane next time
			set = awaitUninterruptibly(setUp);
		} catch (ExecutionException e) {
			set = false;
		}
		if (!set) {
			noSecond = true;
			lane.shutdown();
			return null;
		}
		laneThreads = half;
		second = lane;
		return second;
	}

	/** Waits for a task even when interrupted meanwhile, then sets the interrupt status again. */
	private static <T> T awaitUninterruptibly(Future<T> f) throws ExecutionException {
		boolean interrupted = false;
		try {
			while (true) {
				try {
					return f.get();
				} catch (InterruptedException e) {
					interrupted = true;
				}
			}
		} finally {
			if (interrupted) Thread.currentThread().interrupt();
		}
	}

	/** Where a failed engine task was called from: the task's own stack trace shows only the engine thread. */
	private static final class CallerStack extends Exception {
		private static final long serialVersionUID = 1L;

		CallerStack() {
			super("called from thread " + Thread.currentThread().getName());
		}
	}

	/** @return a one-line description of where engine work runs, for doctor and benchmarks */
	public static String describe() {
		if (EngineSetting.ENGINE_THREAD.is("caller")) return "off: each caller's thread runs the engine (-D" + EngineSetting.ENGINE_THREAD.key() + "=caller)";
		return "active: models load and run on one thread (" + NAME + "), so the engine keeps one OpenMP thread pool; idle, it and the second lane wait awake "
			+ SPIN_NS / 1000 + " us for the next task before they sleep (-D" + EngineSetting.ENGINE_SPIN_US.key() + "=0: at once)";
	}

	/** @return a one-line description of the two lanes, for doctor and benchmarks */
	public static String describeLanes() {
		if (!lanesEnabled()) return "off: every batch runs on the engine thread's OpenMP threads (-D" + EngineSetting.LANES.key() + "=1)";
		return "active on the cpu: a batch of 2 or more slices runs as two halves at once, on " + NAME + " and " + SECOND
			+ ", each with half of the OpenMP threads (with 1 engine thread, one after the other); classifying the slices of an image with one thread a"
			+ " lane (2 cores), each lane also reads and preprocesses its own half batches (-Dmedcnn.prepare=parallel: all cores prepare each batch first); -D" + EngineSetting.LANES.key() + "=1 switches both off";
	}

	/** @return how many {@link #callPair} calls ran on two lanes in this process (for tests) */
	static long pairsRun() {
		return PAIRS.get();
	}

	/** @return whether the calling thread is the engine thread or its second lane */
	public static boolean isEngineThread() {
		Thread t = Thread.currentThread();
		return t == thread || t == secondThread;
	}

	/** @return whether the calling thread runs one of the two tasks of a {@link #callPair} (which then must not split its work again) */
	public static boolean inPair() {
		return IN_PAIR.get();
	}

	private static final ThreadLocal<Boolean> IN_PAIR = ThreadLocal.withInitial(() -> false);

	/** The task's own exception: unchecked ones as they are, a checked one as the task's declared type. */
	@SuppressWarnings("unchecked")
	private static <E extends Exception> E rethrow(Throwable cause) throws E {
		if (cause instanceof RuntimeException r) throw r;
		if (cause instanceof Error e) throw e;
		throw (E) cause;
	}
}
