package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;

/**
 * All engine work runs on one thread, so that libtorch keeps one OpenMP thread pool: inference from
 * several threads starts no OpenMP threads of theirs, and a thread that ran the engine itself can
 * give its pool back.
 */
class EngineThreadTest {

	@Test
	void tasksRunOnTheEngineThreadAndReportTheirOwnExceptions() throws Exception {
		assertEquals(EngineThread.NAME, EngineThread.call(() -> Thread.currentThread().getName()));
		AtomicReference<String> fromOther = new AtomicReference<>();
		Thread other = new Thread(() -> fromOther.set(EngineThread.call(() -> Thread.currentThread().getName())));
		other.start();
		other.join();
		assertEquals(EngineThread.NAME, fromOther.get());
		// DJL finds the engine through the context class loader: MedCNN's, whoever started the thread.
		assertSame(EngineThread.class.getClassLoader(), EngineThread.call(() -> Thread.currentThread().getContextClassLoader()));
		// A task started from the engine thread runs in place (no deadlock).
		assertEquals(EngineThread.NAME, EngineThread.call(() -> EngineThread.call(() -> Thread.currentThread().getName())));
		IOException checked = new IOException("unreadable trunk");
		assertSame(checked, assertThrows(IOException.class, () -> EngineThread.call(() -> {
			throw checked;
		})));
		IllegalStateException unchecked = new IllegalStateException("engine failed");
		assertSame(unchecked, assertThrows(IllegalStateException.class, () -> EngineThread.call(() -> {
			throw unchecked;
		})));
	}

	@Test
	void anIdleEngineThreadWaitsAwakeOnlyBrieflyThenSleeps() throws Exception {
		// After a task the engine thread polls for the next one for a fraction of a millisecond
		// (medcnn.engine_spin_us), then blocks: it must not keep a core busy while MedCNN is idle.
		Assumptions.assumeFalse("caller".equals(System.getProperty(EngineSetting.ENGINE_THREAD.key())), "engine work runs on the callers' threads here");
		Thread engine = EngineThread.call(Thread::currentThread);
		assertEquals(2, EngineThread.call(() -> 1 + 1));
		Thread.State state = null;
		for (int i = 0; i < 200; i++) {
			Thread.sleep(10);
			state = engine.getState();
			if (state == Thread.State.WAITING) break;
		}
		assertEquals(Thread.State.WAITING, state, "the idle engine thread sleeps (parked) within 2 s");
		// And it still takes the next task.
		assertEquals(EngineThread.NAME, EngineThread.call(() -> Thread.currentThread().getName()));
	}

	@Test
	void anInterruptedCallerStillGetsTheResultAndKeepsItsInterrupt() throws Exception {
		AtomicReference<String> result = new AtomicReference<>();
		AtomicReference<Boolean> interrupted = new AtomicReference<>();
		Thread caller = new Thread(() -> {
			try {
				result.set(EngineThread.call(() -> {
					Thread.sleep(300);
					return "done";
				}));
			} catch (InterruptedException e) {
				result.set("the task was interrupted");
			}
			interrupted.set(Thread.currentThread().isInterrupted());
		});
		caller.start();
		Thread.sleep(100);
		caller.interrupt();
		caller.join();
		assertEquals("done", result.get(), "the task's buffers stay in use until it ends: the caller waits for it");
		assertTrue(interrupted.get(), "the interrupt is kept for the caller's own checks");
	}

	@Test
	void anInterruptWithdrawsATaskThatHasNotStarted() throws Exception {
		java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
		java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
		Thread busy = new Thread(() -> {
			try {
				EngineThread.call(() -> {
					running.countDown();
					release.await();
					return null;
				});
			} catch (InterruptedException e) {
				throw new IllegalStateException(e);
			}
		});
		busy.start();
		running.await();
		java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
		AtomicReference<Throwable> thrown = new AtomicReference<>();
		Thread queued = new Thread(() -> {
			try {
				EngineThread.call(() -> {
					ran.set(true);
					return null;
				});
			} catch (RuntimeException e) {
				thrown.set(e);
			}
		});
		queued.start();
		Thread.sleep(100);
		queued.interrupt();
		queued.join();
		release.countDown();
		busy.join();
		assertTrue(thrown.get() instanceof java.util.concurrent.CancellationException, String.valueOf(thrown.get()));
		EngineThread.call(() -> null);
		assertTrue(!ran.get(), "the withdrawn task never runs");
	}

	@Test
	void inferenceFromSeveralThreadsStartsOpenMpThreadsOnlyOnTheEngineThread() throws Exception {
		assumeOpenMpThreads();
		ModelPackage pkg = ModelPackage.open(Paths.get("models", "brain-tumor-mri"));
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			float[] data = new float[2 * pkg.card().input().tensorSize()];
			List<Thread> callers = new ArrayList<>();
			List<Throwable> failures = new ArrayList<>();
			for (String name : new String[] {"medcnn-test-a", "medcnn-test-b"}) {
				Thread t = new Thread(() -> {
					try (ClassifierModel.Session s = model.newSession()) {
						s.logits(data, 2);
						// Threads are counted while the callers are still alive (a dead thread's pool ends with it).
						Thread.sleep(200);
					} catch (Exception e) {
						synchronized (failures) {
							failures.add(e);
						}
					}
				}, name);
				callers.add(t);
				t.start();
			}
			Thread.sleep(100);
			long a = threadsNamed("medcnn-test-a");
			long b = threadsNamed("medcnn-test-b");
			for (Thread t : callers) t.join();
			assertTrue(failures.isEmpty(), failures.toString());
			// Linux threads inherit their creator's name: OpenMP workers of a caller would carry the caller's.
			assertEquals(1, a, "only the Java thread itself: its inference started no OpenMP threads");
			assertEquals(1, b, "only the Java thread itself: its inference started no OpenMP threads");
			assertTrue(threadsNamed(EngineThread.NAME) >= 2, "the engine thread and its OpenMP workers");
		}
	}

	@Test
	void aThreadThatRanTheEngineItselfGivesItsOpenMpThreadsBack() throws Exception {
		assumeOpenMpThreads();
		AtomicReference<long[]> counts = new AtomicReference<>();
		AtomicReference<Throwable> failure = new AtomicReference<>();
		Thread worker = new Thread(() -> {
			try (NDManager m = EnginePolicy.engine().newBaseManager()) {
				// Large enough for libtorch to split it over its OpenMP threads, started from this thread.
				NDArray x = m.ones(new Shape(4_000_000)).mul(3).sin();
				x.toFloatArray();
				long during = threadsNamed("medcnn-test-r");
				boolean released = OpenMpPolicy.releaseThreadPool();
				counts.set(new long[] {during, threadsNamed("medcnn-test-r"), released ? 1 : 0});
			} catch (Throwable e) {
				failure.set(e);
			}
		}, "medcnn-test-r");
		worker.start();
		worker.join();
		if (failure.get() != null) throw new AssertionError(failure.get());
		long[] c = counts.get();
		assertTrue(c[0] > 1, "the engine started OpenMP threads from this thread: " + c[0] + " threads carry its name");
		assertEquals(1, c[2], "libgomp released the pool");
		assertEquals(1, c[1], "after release only the Java thread itself is left");
	}

	@Test
	void aPairRunsOnTwoLanesEachWithHalfTheThreadsAndTheEngineThreadGetsItsOwnBack() throws Exception {
		assumeOpenMpThreads();
		Assumptions.assumeTrue(EngineThread.lanesEnabled(), "lanes switched off");
		EnginePolicy.engine();
		int full = EngineThread.call(OpenMpPolicy::threads);
		assertTrue(full >= 2, "the engine thread runs on " + full + " OpenMP threads");
		List<String> seen = EngineThread.callPair(() -> Thread.currentThread().getName() + " " + OpenMpPolicy.threads() + " " + EngineThread.inPair(),
			() -> Thread.currentThread().getName() + " " + OpenMpPolicy.threads() + " " + EngineThread.inPair());
		assertEquals(List.of(EngineThread.NAME + " " + full / 2 + " true", EngineThread.SECOND + " " + full / 2 + " true"), seen);
		assertEquals(full, EngineThread.call(OpenMpPolicy::threads), "the engine thread's own calls keep all their threads");
		assertTrue(!EngineThread.call(EngineThread::inPair));
		// A failure of either task reaches the caller once both have ended; the first task's comes first.
		java.util.concurrent.atomic.AtomicBoolean aEnded = new java.util.concurrent.atomic.AtomicBoolean();
		IOException fromB = new IOException("second half failed");
		assertSame(fromB, assertThrows(IOException.class, () -> EngineThread.callPair(() -> {
			Thread.sleep(100);
			aEnded.set(true);
			return "a";
		}, () -> {
			throw fromB;
		})));
		assertTrue(aEnded.get());
		// A task of a pair that pairs again runs its two halves one after the other (no lane waits for itself).
		List<List<String>> nested = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
			() -> EngineThread.callPair(() -> EngineThread.callPair(() -> "a1", () -> "a2"), () -> EngineThread.callPair(() -> "b1", () -> "b2")));
		assertEquals(List.of(List.of("a1", "a2"), List.of("b1", "b2")), nested);
		IOException fromA = new IOException("first half failed");
		assertSame(fromA, assertThrows(IOException.class, () -> EngineThread.callPair(() -> {
			throw fromA;
		}, () -> {
			throw fromB;
		})));
	}

	@Test
	void aBatchIsSplitOverTheLanesWithTheSameLogits() throws Exception {
		assumeOpenMpThreads();
		Assumptions.assumeTrue(EngineThread.lanesEnabled(), "lanes switched off");
		ModelPackage pkg = ModelPackage.open(Paths.get("models", "brain-tumor-mri"));
		int per = pkg.card().input().tensorSize();
		float[] data = new float[7 * per];
		java.util.SplittableRandom r = new java.util.SplittableRandom(3);
		for (int i = 0; i < data.length; i++) data[i] = (float) (r.nextDouble() * 4 - 2);
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU); ClassifierModel.Session s = model.newSession()) {
			long before = EngineThread.pairsRun();
			float[][] split = s.logits(data, 7);
			assertEquals(before + 1, EngineThread.pairsRun(), "a batch of 7 ran as two halves on the two lanes");
			float[][] whole;
			String old = System.setProperty(EngineSetting.LANES.key(), "1");
			try {
				whole = s.logits(data, 7);
			} finally {
				if (old == null) System.clearProperty(EngineSetting.LANES.key());
				else System.setProperty(EngineSetting.LANES.key(), old);
			}
			assertEquals(before + 1, EngineThread.pairsRun(), "-Dmedcnn.lanes=1 keeps the batch whole");
			double worst = 0;
			for (int i = 0; i < 7; i++) {
				for (int c = 0; c < split[i].length; c++) worst = Math.max(worst, Math.abs(split[i][c] - whole[i][c]));
			}
			// Half batches may take other oneDNN kernels: float rounding only (the same tolerance as the optimized graph's check).
			assertTrue(worst < 1e-4, "largest logit difference, two lanes against one: " + worst);
			System.out.printf("two lanes against one, batch 7: largest logit difference %.2e%n", worst);
		}
	}

	/** Skips where the engine runs single-threaded or thread names cannot be read (not Linux). */
	private static void assumeOpenMpThreads() throws ModelLoadException {
		Assumptions.assumeTrue(Files.isDirectory(Paths.get("/proc/self/task")), "needs Linux /proc to count threads");
		Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs 2 or more cores for OpenMP threads");
		Assumptions.assumeTrue(!"caller".equals(System.getProperty(EngineSetting.ENGINE_THREAD.key())), "engine thread switched off");
		EnginePolicy.engine();
		Assumptions.assumeTrue(ai.djl.pytorch.jni.JniUtils.getNumThreads() >= 2, "the engine uses one intra-op thread");
	}

	/** Threads of this process whose Linux name is {@code name}. */
	private static long threadsNamed(String name) throws IOException {
		try (Stream<Path> tasks = Files.list(Paths.get("/proc/self/task"))) {
			return tasks.filter(t -> {
				try {
					return Files.readString(t.resolve("comm")).trim().equals(name);
				} catch (IOException e) {
					return false;
				}
			}).count();
		}
	}
}
