package org.medcnn.core.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.EngineSetting;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.testing.Fixtures;

class DjlSliceClassifierTest {

	private static ClassifierModel model;

	@BeforeAll
	static void load() throws Exception {
		model = ClassifierModel.load(ModelPackage.open(Fixtures.tinyModel()), DeviceSpec.CPU);
	}

	@AfterAll
	static void close() {
		model.close();
	}

	/** The 8-bit pattern of make_tiny_model.py, as physical values 0-255. */
	static Slice pattern(int index) {
		float[] px = new float[32 * 32];
		for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) px[y * 32 + x] = (7 * x + 3 * y) % 256;
		return new Slice(index, "pattern", 32, 32, px);
	}

	static Slice constant(int index, float v) {
		float[] px = new float[32 * 32];
		java.util.Arrays.fill(px, v);
		return new Slice(index, "const" + v, 32, 32, px);
	}

	static SliceSource source(List<Slice> slices) {
		return Fixtures.slices("test", slices);
	}

	@Test
	void logitsMatchPyTorch() throws Exception {
		// expected.csv was computed by PyTorch in make_tiny_model.py on the same net and inputs.
		List<String> lines = Files.readAllLines(Fixtures.tinyModel().resolve("expected.csv"));
		ClassificationRun run = new DjlSliceClassifier(model, 4, null)
			.classify(source(List.of(pattern(1), constant(2, 64))), ProgressListener.NONE, Cancellation.NEVER);
		for (int i = 0; i < 2; i++) {
			String[] cells = lines.get(i + 1).split(",");
			float[] logits = run.predictions().get(i).logits();
			assertEquals(Float.parseFloat(cells[1]), logits[0], 1e-4, "dark logit of " + cells[0]);
			assertEquals(Float.parseFloat(cells[2]), logits[1], 1e-4, "bright logit of " + cells[0]);
		}
		assertEquals("dark", run.predictions().get(1).predicted());
		assertEquals("cpu", run.device());
		assertEquals("tiny-brightness", run.modelId());
	}

	@Test
	void batchSizeDoesNotChangeResults() throws Exception {
		List<Slice> slices = new ArrayList<>();
		for (int i = 1; i <= 7; i++) slices.add(constant(i, i * 30));
		ClassificationRun one = new DjlSliceClassifier(model, 1, null).classify(source(slices), ProgressListener.NONE, Cancellation.NEVER);
		ClassificationRun three = new DjlSliceClassifier(model, 3, null).classify(source(slices), ProgressListener.NONE, Cancellation.NEVER);
		assertEquals(7, three.predictions().size());
		for (int i = 0; i < 7; i++) {
			assertEquals(i + 1, three.predictions().get(i).slice());
			for (int c = 0; c < 2; c++) {
				assertEquals(one.predictions().get(i).probabilities()[c], three.predictions().get(i).probabilities()[c], 1e-5);
			}
		}
		assertEquals("dark", three.predictions().get(0).predicted());
		assertEquals("bright", three.predictions().get(6).predicted());
	}

	@Test
	void streamsSlicesAndReportsProgressPerBatch() throws Exception {
		List<Slice> slices = new ArrayList<>();
		for (int i = 1; i <= 10; i++) slices.add(constant(i, 100));
		AtomicInteger maxAhead = new AtomicInteger();
		AtomicInteger read = new AtomicInteger();
		List<Long> done = new ArrayList<>();
		SliceSource counting = new SliceSource() {
			@Override
			public String name() {
				return "counting";
			}

			@Override
			public int size() {
				return slices.size();
			}

			@Override
			public Slice get(int position) {
				int r = read.incrementAndGet();
				maxAhead.set(Math.max(maxAhead.get(), r - (done.isEmpty() ? 0 : done.get(done.size() - 1).intValue())));
				return slices.get(position);
			}
		};
		new DjlSliceClassifier(model, 4, null).classify(counting, (m, d, t) -> done.add(d), Cancellation.NEVER);
		assertEquals(List.of(0L, 4L, 8L, 10L), done);
		assertTrue(maxAhead.get() <= 8, "never reads more than two batches ahead (the current and the next), read " + maxAhead.get());
	}

	@Test
	void cancellationStopsBetweenBatches() {
		List<Slice> slices = new ArrayList<>();
		for (int i = 1; i <= 10; i++) slices.add(constant(i, 100));
		AtomicInteger batches = new AtomicInteger();
		assertThrows(CancellationException.class, () -> new DjlSliceClassifier(model, 2, null)
			.classify(source(slices), (m, d, t) -> batches.incrementAndGet(), () -> batches.get() >= 3));
		assertEquals(3, batches.get(), "stopped after the second batch");
	}

	@Test
	void emptySourceAndBadSlicesAreNamed() {
		DjlSliceClassifier c = new DjlSliceClassifier(model, 2, null);
		IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
			() -> c.classify(source(List.of()), ProgressListener.NONE, Cancellation.NEVER));
		assertTrue(empty.getMessage().contains("no slices"), empty.getMessage());
		float[] px = new float[32 * 32];
		px[5 * 32 + 3] = Float.NaN;
		IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
			() -> c.classify(source(List.of(constant(1, 3), new Slice(2, "bad", 32, 32, px))), ProgressListener.NONE, Cancellation.NEVER));
		assertTrue(nan.getMessage().contains("slice 2") && nan.getMessage().contains("NaN") && nan.getMessage().contains("x=3, y=5"), nan.getMessage());
		IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
			() -> c.classify(source(List.of(new Slice(1, "", 2, 2, new float[4]))), ProgressListener.NONE, Cancellation.NEVER));
		assertTrue(small.getMessage().contains("slice 1") && small.getMessage().contains("at least 4x4"), small.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new DjlSliceClassifier(model, 0, null));
	}

	@Test
	void gpuRequestOnCpuOnlyMachineFallsBackWithWarning() throws Exception {
		org.junit.jupiter.api.Assumptions.assumeTrue(ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount() == 0, "a GPU is visible");
		try (ClassifierModel m = ClassifierModel.load(ModelPackage.open(Fixtures.tinyModel()), DeviceSpec.parse("gpu:1"))) {
			assertEquals("cpu", m.deviceName());
			assertTrue(m.fallbackWarning().contains("gpu:1"), m.fallbackWarning());
			ClassificationRun run = new DjlSliceClassifier(m, 2, null).classify(source(List.of(constant(1, 200))), ProgressListener.NONE, Cancellation.NEVER);
			assertEquals("cpu", run.device());
			assertEquals(1, run.warnings().stream().filter(w -> w.contains("gpu:1")).count(), run.warnings().toString());
		}
	}

	@Test
	void concurrentRunsShareTheModelButNotAPredictor() throws Exception {
		List<Slice> slices = new ArrayList<>();
		for (int i = 1; i <= 12; i++) slices.add(constant(i, i * 20));
		ClassificationRun sequential = new DjlSliceClassifier(model, 3, null).classify(source(slices), ProgressListener.NONE, Cancellation.NEVER);
		java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
		try {
			List<java.util.concurrent.Future<ClassificationRun>> runs = new ArrayList<>();
			for (int k = 0; k < 8; k++) {
				runs.add(pool.submit(() -> new DjlSliceClassifier(model, 3, null).classify(source(slices), ProgressListener.NONE, Cancellation.NEVER)));
			}
			for (var f : runs) {
				ClassificationRun r = f.get();
				for (int i = 0; i < slices.size(); i++) {
					assertEquals(sequential.predictions().get(i).probabilities()[1], r.predictions().get(i).probabilities()[1], 1e-6);
				}
			}
		} finally {
			pool.shutdownNow();
		}
	}

	@Test
	void softmaxAndArgmax() {
		float[] p = Probabilities.softmax(new float[] {1000, 1000, 0});
		assertEquals(0.5, p[0], 1e-6);
		assertEquals(0.5, p[1], 1e-6);
		assertEquals(0, p[2], 1e-6);
		float[] q = Probabilities.softmax(new float[] {0f, (float) Math.log(3)});
		assertEquals(0.25, q[0], 1e-6);
		assertEquals(1, Probabilities.argmax(q));
	}

	@Test
	void bothWaysOfPreparingBatchesGiveTheSameResultsAndReadSourcesInOrder() throws Exception {
		List<Slice> slices = new ArrayList<>();
		for (int i = 0; i < 11; i++) slices.add(i % 3 == 0 ? pattern(i + 1) : constant(i + 1, 20 * i));
		List<String> readers = java.util.Collections.synchronizedList(new ArrayList<>());
		List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
		SliceSource sequential = new SliceSource() {
			@Override
			public String name() {
				return "sequential";
			}

			@Override
			public int size() {
				return slices.size();
			}

			@Override
			public Slice get(int position) {
				readers.add(Thread.currentThread().getName());
				order.add(position);
				return slices.get(position);
			}
		};
		String before = System.getProperty(EngineSetting.PREPARE.key());
		try {
			System.setProperty(EngineSetting.PREPARE.key(), "overlap");
			ClassificationRun overlap = new DjlSliceClassifier(model, 4, null).classify(source(slices), ProgressListener.NONE, Cancellation.NEVER);
			System.setProperty(EngineSetting.PREPARE.key(), "parallel");
			ClassificationRun parallel = new DjlSliceClassifier(model, 4, null).classify(sequential, ProgressListener.NONE, Cancellation.NEVER);
			// Batch arrays are reused across batches (the last one, 3 slices, only partly): each slice alone gives
			// the same probabilities, up to the engine's batch-size rounding.
			ClassificationRun alone = new DjlSliceClassifier(model, 1, null).classify(source(slices), ProgressListener.NONE, Cancellation.NEVER);
			for (int i = 0; i < slices.size(); i++) {
				org.junit.jupiter.api.Assertions.assertArrayEquals(overlap.predictions().get(i).probabilities(), parallel.predictions().get(i).probabilities(), 0f);
				org.junit.jupiter.api.Assertions.assertArrayEquals(alone.predictions().get(i).probabilities(), parallel.predictions().get(i).probabilities(), 1e-5f,
					"slice " + (i + 1));
			}
		} finally {
			Fixtures.restoreProperty(EngineSetting.PREPARE.key(), before);
		}
		// A source that does not allow concurrent reads is read in order, by one thread.
		assertEquals(java.util.stream.IntStream.range(0, slices.size()).boxed().toList(), order);
		assertEquals(1, readers.stream().distinct().count(), readers.toString());
	}

	/** A source that allows concurrent reads and records, per position, the thread that read it. */
	static SliceSource concurrent(List<Slice> slices, java.util.Map<Integer, String> readers) {
		return new SliceSource() {
			@Override
			public String name() {
				return "concurrent";
			}

			@Override
			public int size() {
				return slices.size();
			}

			@Override
			public Slice get(int position) {
				readers.put(position, Thread.currentThread().getName());
				return slices.get(position);
			}

			@Override
			public boolean concurrentReads() {
				return true;
			}
		};
	}

	/** Skips a test of the lanes path, which is taken with one OpenMP thread a lane (2 engine threads). */
	private static void assumeLanes() {
		org.junit.jupiter.api.Assumptions.assumeTrue(org.medcnn.core.engine.EngineThread.threadsPerLane() == 1,
			"the lanes path is taken with one OpenMP thread a lane (2 engine threads); this engine has " + org.medcnn.core.engine.EngineThread.threadsPerLane());
	}

	@Test
	void onTheLanesEachLaneReadsAndRunsItsHalvesWithTheSameResults() throws Exception {
		assumeLanes();
		List<Slice> slices = new ArrayList<>();
		for (int i = 0; i < 11; i++) slices.add(i % 3 == 0 ? pattern(i + 1) : constant(i + 1, 20 * i));
		String before = System.getProperty(EngineSetting.PREPARE.key());
		try {
			System.setProperty(EngineSetting.PREPARE.key(), "parallel");
			ClassificationRun parallel = new DjlSliceClassifier(model, 4, null).classify(concurrent(slices, new java.util.concurrent.ConcurrentHashMap<>()),
				ProgressListener.NONE, Cancellation.NEVER);
			System.clearProperty(EngineSetting.PREPARE.key());
			java.util.Map<Integer, String> readers = new java.util.concurrent.ConcurrentHashMap<>();
			List<Long> done = java.util.Collections.synchronizedList(new ArrayList<>());
			ClassificationRun lanes = new DjlSliceClassifier(model, 4, null).classify(concurrent(slices, readers), (m, d, t) -> {
				// a slow listener: the other lane finishes meanwhile, and its report must not overtake this one
				java.util.concurrent.locks.LockSupport.parkNanos(200_000);
				done.add(d);
			}, Cancellation.NEVER);
			// Every slice was read on one of the engine's lanes (the lanes path, not the caller's threads).
			assertEquals(slices.size(), readers.size());
			for (String t : readers.values()) {
				assertTrue(t.equals(org.medcnn.core.engine.EngineThread.NAME) || t.equals(org.medcnn.core.engine.EngineThread.SECOND), t);
			}
			// Same halves as a batch split over the lanes: the same floats, in slice order.
			assertEquals(slices.size(), lanes.predictions().size());
			for (int i = 0; i < slices.size(); i++) {
				Prediction a = parallel.predictions().get(i);
				Prediction b = lanes.predictions().get(i);
				assertEquals(i + 1, b.slice());
				assertEquals(a.label(), b.label());
				org.junit.jupiter.api.Assertions.assertArrayEquals(a.logits(), b.logits(), 0f, "slice " + (i + 1));
				org.junit.jupiter.api.Assertions.assertArrayEquals(a.probabilities(), b.probabilities(), 0f, "slice " + (i + 1));
			}
			// Progress per half batch (2, 2, 2, 2, 2, 1 slices), from 0 up to all 11, never backwards.
			assertEquals(7, done.size(), done.toString());
			assertEquals(0L, done.get(0));
			for (int i = 1; i < done.size(); i++) assertTrue(done.get(i) > done.get(i - 1), done.toString());
			assertEquals(11L, done.get(done.size() - 1));
			// TTA's copies are split over the lanes batch by batch, as before: read by the caller's threads.
			java.util.Map<Integer, String> ttaReaders = new java.util.concurrent.ConcurrentHashMap<>();
			new DjlSliceClassifier(org.medcnn.core.engine.Ensemble.of(model), 4,
				new org.medcnn.core.uncertainty.UncertaintyOptions(org.medcnn.core.uncertainty.UncertaintyMode.TTA, 3, 7, Double.NaN), null)
				.classify(concurrent(slices, ttaReaders), ProgressListener.NONE, Cancellation.NEVER);
			assertTrue(ttaReaders.values().stream().noneMatch(t -> t.startsWith(org.medcnn.core.engine.EngineThread.NAME)), ttaReaders.toString());
		} finally {
			Fixtures.restoreProperty(EngineSetting.PREPARE.key(), before);
		}
	}

	/** 16-bit slices read as images are: copied, into a recycled slice's pixels when the caller hands one back. */
	private static SliceSource copying16(String name, int n, int width, int height, int seed) {
		return copying16(name, n, width, height, seed, new java.util.concurrent.atomic.AtomicInteger());
	}

	/** As above, counting the reads that were handed a slice to copy into. */
	private static SliceSource copying16(String name, int n, int width, int height, int seed, AtomicInteger recycledReads) {
		java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
		short[][] raw = new short[n][width * height];
		for (short[] px : raw) for (int i = 0; i < px.length; i++) px[i] = (short) r.nextInt(4000);
		return new SliceSource() {
			@Override
			public String name() {
				return name;
			}

			@Override
			public int size() {
				return n;
			}

			@Override
			public Slice get(int position) {
				return get(position, null);
			}

			@Override
			public Slice get(int position, Slice recycled) {
				if (recycled != null) recycledReads.incrementAndGet();
				return Slice.copyOfUnsigned16(position + 1, "", width, height, raw[position], null, recycled);
			}

			@Override
			public boolean concurrentReads() {
				return true;
			}
		};
	}

	@Test
	void onTheLanesNothingCarriesOverFromOneRunToTheNext() throws Exception {
		assumeLanes();
		// The lane threads keep their input array and last slice from run to run: a run in between with
		// other slice sizes and another batch size (other input lengths) must not change the next results.
		SliceSource a = copying16("a", 7, 40, 36, 1);
		ClassificationRun first = new DjlSliceClassifier(model, 4, null).classify(a, ProgressListener.NONE, Cancellation.NEVER);
		new DjlSliceClassifier(model, 2, null).classify(copying16("b", 5, 64, 64, 2), ProgressListener.NONE, Cancellation.NEVER);
		new DjlSliceClassifier(model, 4, null).classify(copying16("c", 3, 40, 36, 3), ProgressListener.NONE, Cancellation.NEVER);
		AtomicInteger recycled = new AtomicInteger();
		ClassificationRun again = new DjlSliceClassifier(model, 4, null).classify(copying16("a", 7, 40, 36, 1, recycled), ProgressListener.NONE,
			Cancellation.NEVER);
		// Every read was handed a slice to copy into, the first of each lane one left from the run before.
		assertEquals(7, recycled.get());
		for (int i = 0; i < 7; i++) {
			org.junit.jupiter.api.Assertions.assertArrayEquals(first.predictions().get(i).logits(), again.predictions().get(i).logits(), 0f, "slice " + (i + 1));
		}
		// and each slice's own result, not one carried over: the slices differ, so their logits do
		assertTrue(!java.util.Arrays.equals(first.predictions().get(0).logits(), first.predictions().get(1).logits()));
	}

	@Test
	void onTheLanesBadSlicesAreNamedAndCancellationStops() {
		List<Slice> slices = new ArrayList<>();
		for (int i = 1; i <= 9; i++) slices.add(constant(i, 10 * i));
		float[] px = new float[32 * 32];
		px[2 * 32 + 7] = Float.POSITIVE_INFINITY;
		slices.set(5, new Slice(6, "bad", 32, 32, px));
		IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
			() -> new DjlSliceClassifier(model, 4, null).classify(concurrent(slices, new java.util.concurrent.ConcurrentHashMap<>()), ProgressListener.NONE,
				Cancellation.NEVER));
		assertTrue(bad.getMessage().contains("slice 6") && bad.getMessage().contains("infinite") && bad.getMessage().contains("x=7, y=2"), bad.getMessage());
		slices.set(5, constant(6, 60));
		AtomicInteger reports = new AtomicInteger();
		assertThrows(CancellationException.class, () -> new DjlSliceClassifier(model, 2, null)
			.classify(concurrent(slices, new java.util.concurrent.ConcurrentHashMap<>()), (m, d, t) -> reports.incrementAndGet(), () -> reports.get() >= 3));
		assertTrue(reports.get() >= 3 && reports.get() <= 4, "stopped after two half batches (one more may have been under way), " + reports.get() + " reports");
	}
}
