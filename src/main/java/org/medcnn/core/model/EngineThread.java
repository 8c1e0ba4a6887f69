package org.medcnn.core.model;

import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 */
public final class EngineThread {

	/** The thread's name, also the name of the OpenMP threads it starts (Linux threads inherit it). */
	public static final String NAME = "medcnn-engine";

	/** System property: {@code caller} runs tasks on the calling thread. */
	public static final String PROPERTY = "medcnn.engine_thread";

	private static volatile Thread thread;

	private static final ExecutorService EXECUTOR = Executors.newSingleThreadExecutor(r -> {
		Thread t = new Thread(r, NAME);
		t.setDaemon(true);
		// DJL finds its engine through the context class loader: MedCNN's own, whichever thread came first
		// (inside Fiji, a plugin's classes are not visible to every thread's loader).
		t.setContextClassLoader(EngineThread.class.getClassLoader());
		thread = t;
		return t;
	});

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
		if (Thread.currentThread() == thread || "caller".equals(System.getProperty(PROPERTY))) return task.run();
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

	/** Where a failed engine task was called from: the task's own stack trace shows only the engine thread. */
	private static final class CallerStack extends Exception {
		private static final long serialVersionUID = 1L;

		CallerStack() {
			super("called from thread " + Thread.currentThread().getName());
		}
	}

	/** @return a one-line description of where engine work runs, for doctor and benchmarks */
	public static String describe() {
		if ("caller".equals(System.getProperty(PROPERTY))) return "off: each caller's thread runs the engine (-D" + PROPERTY + "=caller)";
		return "active: models load and run on one thread (" + NAME + "), so the engine keeps one OpenMP thread pool";
	}

	/** @return whether the calling thread is the engine thread */
	public static boolean isEngineThread() {
		return Thread.currentThread() == thread;
	}

	/** The task's own exception: unchecked ones as they are, a checked one as the task's declared type. */
	@SuppressWarnings("unchecked")
	private static <E extends Exception> E rethrow(Throwable cause) throws E {
		if (cause instanceof RuntimeException r) throw r;
		if (cause instanceof Error e) throw e;
		throw (E) cause;
	}
}
