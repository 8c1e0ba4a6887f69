package org.medcnn.core.classify;

import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.EngineSetting;
import org.medcnn.core.engine.EngineThread;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.ood.OodDetector;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.TestTimeAugmentation;
import org.medcnn.core.uncertainty.Uncertainty;
import org.medcnn.core.uncertainty.UncertaintyEstimate;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Classifies slices with loaded models: preprocesses one batch at a time (never the whole stack), runs
 * trunk and heads, and applies softmax. Several models or an ensemble package are averaged; an
 * uncertainty mode draws several probability samples per slice (ensemble members, test-time
 * augmentations or MC-dropout passes) and adds {@link UncertaintyEstimate}s. If a GPU batch fails
 * (e.g. out of memory), the run continues on the CPU copies given by the fallback, with a warning.
 */
public final class DjlSliceClassifier implements SliceClassifier {

	private static final Logger LOG = LoggerFactory.getLogger(DjlSliceClassifier.class);

	private final Ensemble models;
	private final int batchSize;
	private final UncertaintyOptions uncertainty;
	private final CpuFallback fallback;

	/**
	 * Creates a classifier of one model without uncertainty estimate.
	 *
	 * @param model the loaded model
	 * @param batchSize slices per engine call, 1 to 1024
	 * @param fallback supplies the same model on the CPU if a GPU batch fails; may be null
	 * @throws IllegalArgumentException if the batch size is out of range
	 */
	public DjlSliceClassifier(ClassifierModel model, int batchSize, CpuFallback fallback) {
		this(Ensemble.of(model), batchSize, UncertaintyOptions.NONE, fallback);
	}

	/**
	 * Creates a classifier.
	 *
	 * @param models the loaded model(s)
	 * @param batchSize slices per engine call, 1 to 1024
	 * @param uncertainty the uncertainty mode and its settings
	 * @param fallback supplies a model's CPU copy if a GPU batch fails; may be null
	 * @throws IllegalArgumentException if the batch size is out of range, or the mode does not fit the
	 *         models (ensemble with one member, MC dropout on a head trained without dropout)
	 */
	public DjlSliceClassifier(Ensemble models, int batchSize, UncertaintyOptions uncertainty, CpuFallback fallback) {
		if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("batch_size must be between 1 and 1024, got " + batchSize);
		check(models, uncertainty);
		this.models = models;
		this.batchSize = batchSize;
		this.uncertainty = uncertainty;
		this.fallback = fallback;
	}

	/**
	 * Checks that an uncertainty mode fits the models.
	 *
	 * @param models the models
	 * @param uncertainty the options
	 * @throws IllegalArgumentException for an ensemble mode with one member, or MC dropout on a head
	 *         trained without dropout
	 */
	public static void check(Ensemble models, UncertaintyOptions uncertainty) {
		if (uncertainty.mode() == UncertaintyMode.ENSEMBLE && !models.isEnsemble()) {
			throw new IllegalArgumentException("uncertainty=ensemble needs several models: give an ensemble package, or several models separated by commas ("
				+ models.id() + " is a single model; try tta or mc_dropout)");
		}
		if (uncertainty.mode() == UncertaintyMode.MC_DROPOUT) {
			for (ClassifierModel m : models.models()) {
				if (m.pkg().card().isWholeModel()) {
					throw new IllegalArgumentException("uncertainty=mc_dropout needs MedCNN's head with dropout, but " + m.pkg().dir()
						+ " is a whole model (its head is inside its TorchScript file); try tta");
				}
				for (ModelPackage.Head h : m.pkg().heads()) {
					if (h.head().dropout() <= 0) {
						throw new IllegalArgumentException("uncertainty=mc_dropout needs a head trained with dropout, but head " + h.name() + " of "
							+ m.pkg().dir() + " has dropout 0; try tta");
					}
				}
			}
		}
	}

	@Override
	public List<String> classes() {
		return models.primary().card().classes();
	}

	/**
	 * The entropy threshold of the {@code uncertain} flag that this classifier uses: the one given in the
	 * options, else the one the model card states for the mode.
	 *
	 * @return the threshold in nats, or NaN when none is known
	 */
	public double flagThreshold() {
		return flagThreshold(models, uncertainty);
	}

	/**
	 * The entropy threshold of the {@code uncertain} flag for models and options: the one given in the
	 * options, else the one the model card states for the mode.
	 *
	 * @param models the models
	 * @param uncertainty the options
	 * @return the threshold in nats, or NaN when none is known
	 */
	public static double flagThreshold(Ensemble models, UncertaintyOptions uncertainty) {
		if (!Double.isNaN(uncertainty.threshold())) return uncertainty.threshold();
		ModelCard.FlagThreshold t = models.flagThreshold(uncertainty.mode().key());
		return t == null ? Double.NaN : t.entropy();
	}

	@Override
	public ClassificationRun classify(SliceSource source, ProgressListener progress, Cancellation cancellation) throws ClassificationException {
		int n = source.size();
		if (n == 0) throw new IllegalArgumentException(source.name() + ": the image has no slices");
		SlicePreprocessor pre = new SlicePreprocessor(models.primary().card().input());
		List<String> warnings = new ArrayList<>();
		for (ClassifierModel m : models.models()) if (m.fallbackWarning() != null) warnings.add(m.fallbackWarning());
		double threshold = flagThreshold();
		if (uncertainty.enabled()) warnings.addAll(thresholdWarnings(threshold));
		warnings.addAll(oodWarnings(models));
		int passes = uncertainty.mode() == UncertaintyMode.TTA ? uncertainty.passes() : 1;
		OodScores.Collector ood = new OodScores.Collector(models, n);
		if (onLanes(source, n, passes)) {
			List<Prediction> out = classifyOnLanes(source, pre, threshold, ood, progress, cancellation);
			out = scoreOod(ood, out, models, source);
			return withOodWarning(new ClassificationRun(source.name(), out, models.id(), models.shortSha(), models.deviceName(), warnings, uncertainty.mode()));
		}
		List<Prediction> out = new ArrayList<>(n);
		Ensemble current = models;
		PassSampler sampler = new PassSampler(current, uncertainty, batchSize);
		// On a GPU one worker reads and preprocesses the next batch while the engine runs the current one.
		// On the CPU the engine already keeps every core busy, and a preprocessing thread beside it stalls
		// its OpenMP threads at every barrier; there the batch is read, then preprocessed on all cores while
		// the engine waits (measured: docs/benchmarks.md). At most two batches are in memory at a time.
		boolean overlap = prepareOverlapping(current);
		int workers = overlap ? 1 : Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
		ExecutorService reader = PREPARERS;
		int per = passes * pre.spec().tensorSize();
		Future<Prepared> next = null;
		try {
			progress.progress("classifying " + source.name(), 0, n);
			// The batch arrays are reused: a new one per batch cost a tenth of preprocessing (measured). While
			// overlapping, the engine reads one while the next batch is written into the other.
			float[][] arrays = new float[overlap ? 2 : 1][Math.min(batchSize, n) * per];
			// Slices already preprocessed, whose pixel arrays the next reads copy into (at most a batch of them).
			Queue<Slice> spare = new ConcurrentLinkedQueue<>();
			next = overlap ? reader.submit(() -> prepare(source, pre, 0, Math.min(batchSize, n), passes, uncertainty.seed(), null, 1, arrays[0], spare)) : null;
			for (int start = 0; start < n; start += batchSize) {
				cancellation.check("classification of " + source.name());
				int b = Math.min(batchSize, n - start);
				Prepared prepared;
				if (overlap) {
					prepared = await(next);
					int following = start + batchSize;
					float[] into = arrays[(following / batchSize) % 2];
					next = following < n ? reader.submit(() -> prepare(source, pre, following, Math.min(batchSize, n - following), passes, uncertainty.seed(), null, 1, into, spare)) : null;
				} else {
					prepared = prepare(source, pre, start, b, passes, uncertainty.seed(), reader, workers, arrays[0], spare);
				}
				float[] data = prepared.data();
				long[] keys = new long[b];
				for (int i = 0; i < b; i++) keys[i] = prepared.indices()[i];
				long t0 = System.nanoTime();
				PassSampler.Batch result;
				try {
					result = sampler.run(data, b, passes, keys);
				} catch (java.util.concurrent.CancellationException e) {
					throw e;
				} catch (TranslateException | RuntimeException e) {
					if (!current.onGpu() || fallback == null) {
						throw new ClassificationException(source.name() + ": inference failed on slices " + (start + 1) + "-" + (start + b) + ": " + e.getMessage(), e);
					}
					String w = "inference on " + current.deviceName() + " failed (" + e.getMessage() + "); continuing on cpu";
					LOG.info(w); // reported once, through the run's warnings
					warnings.add(w);
					sampler.close();
					try {
						current = current.map(fallback::cpuModel);
					} catch (ModelLoadException le) {
						throw new ClassificationException(source.name() + ": GPU inference failed and the CPU fallback could not load: " + le.getMessage(), le);
					}
					sampler = new PassSampler(current, uncertainty, batchSize);
					t0 = System.nanoTime();
					try {
						result = sampler.run(data, b, passes, keys);
					} catch (TranslateException e2) {
						throw new ClassificationException(source.name() + ": inference failed on slices " + (start + 1) + "-" + (start + b) + ": " + e2.getMessage(), e2);
					}
				}
				double ms = (System.nanoTime() - t0) / 1e6 / b;
				for (int i = 0; i < b; i++) out.add(prediction(result, i, prepared.indices()[i], prepared.labels()[i], ms, threshold));
				ood.put(result, start, b);
				progress.progress("classifying " + source.name(), start + b, n);
			}
		} finally {
			// A batch still being prepared (after a failure or cancellation) is left to finish; nothing waits for it.
			if (next != null) next.cancel(false);
			sampler.close();
		}
		List<Prediction> scored = scoreOod(ood, out, current, source);
		return withOodWarning(new ClassificationRun(source.name(), scored, models.id(), models.shortSha(), current.deviceName(), warnings, uncertainty.mode()));
	}

	/** The predictions with their out-of-distribution scores: every slice of the run at once (one engine product per model). */
	private static List<Prediction> scoreOod(OodScores.Collector ood, List<Prediction> out, Ensemble using, SliceSource source) throws ClassificationException {
		try {
			return ood.score(out, using);
		} catch (TranslateException | RuntimeException e) {
			throw new ClassificationException(source.name() + ": out-of-distribution scoring failed: " + e.getMessage(), e);
		}
	}

	/** The run with a warning added when slices lie outside the training data, so that every front-end shows it. */
	private static ClassificationRun withOodWarning(ClassificationRun run) {
		if (run.oodFlagged() == 0) return run;
		List<String> w = new ArrayList<>(run.warnings());
		w.add(run.oodSummary());
		return new ClassificationRun(run.source(), run.predictions(), run.modelId(), run.modelSha(), run.device(), w, run.uncertainty());
	}

	/** Slice {@code i} of a batch's result as a prediction. */
	private Prediction prediction(PassSampler.Batch result, int i, int index, String label, double ms, double threshold) {
		float[] p = result.probabilities()[i];
		int top = Probabilities.argmax(p);
		UncertaintyEstimate u = uncertainty.enabled() ? Uncertainty.estimate(result.samples()[i], top).flagged(threshold) : null;
		return new Prediction(index, label, top, classes(), p, result.logits()[i], ms, u);
	}

	/**
	 * Whether a source is classified on the engine's two lanes ({@link #classifyOnLanes}): on the CPU, with
	 * lanes of one OpenMP thread each (the 2-core case it was measured on: with more threads a lane's other
	 * threads would idle while it prepares slices, so there all cores prepare each batch first), batches of
	 * 2 or more, one tensor per slice (TTA's copies are split over the lanes batch by batch, as before), a
	 * source that can be read from two threads, unless {@code medcnn.prepare} asks for another way.
	 */
	private boolean onLanes(SliceSource source, int n, int passes) {
		String p = EngineSetting.PREPARE.value();
		if (!(p.isEmpty() || p.equals("lanes"))) return false;
		return !models.onGpu() && batchSize >= 2 && n >= 2 && passes == 1 && source.concurrentReads() && !EngineThread.inPair()
			&& EngineThread.threadsPerLane() == 1;
	}

	/** Half batches given to the lanes at a time: other engine work (and an interrupt) waits at most that long. */
	private static final int HALVES_PER_CALL = 16;

	/**
	 * Classifies on the engine's two lanes ({@link EngineThread#callPair}), each a pipeline of its own: it
	 * takes the next half batch not yet taken, reads and preprocesses its slices on its own thread, runs it
	 * through its own sessions, and goes on. The halves are those that a batch split over the lanes has
	 * (the first {@code ceil(b / 2)} slices, then the rest), so the results are the same; but no thread
	 * hands a batch to another and no lane waits for the other at the end of each batch. Preparing a batch
	 * on both cores and then running it on both lanes left the cores idle at each hand-over (threads waking)
	 * and while the last slice of a batch was prepared (docs/benchmarks.md). The lanes take
	 * {@link #HALVES_PER_CALL} half batches per engine call, so that other engine work is not held up by a
	 * long stack.
	 */
	private List<Prediction> classifyOnLanes(SliceSource source, SlicePreprocessor pre, double threshold, OodScores.Collector ood, ProgressListener progress,
		Cancellation cancellation) throws ClassificationException {
		int n = source.size();
		int per = pre.spec().tensorSize();
		int halves = 2 * ((n + batchSize - 1) / batchSize);
		Prediction[] out = new Prediction[n];
		int[] done = new int[1];
		Object progressLock = new Object();
		java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
		String what = "classification of " + source.name();
		progress.progress("classifying " + source.name(), 0, n);
		// Each lane keeps its sessions; its thread keeps its unit images and last slice (whose pixel array the
		// next read reuses) from run to run.
		PassSampler[] samplers = new PassSampler[2];
		int half = (batchSize + 1) / 2;
		int plane = pre.spec().width() * pre.spec().height();
		try {
			samplers[0] = new PassSampler(models, uncertainty, batchSize);
			samplers[1] = new PassSampler(models, uncertainty, batchSize);
			for (int from = 0; from < halves; from += HALVES_PER_CALL) {
				int to = Math.min(halves, from + HALVES_PER_CALL);
				AtomicInteger taken = new AtomicInteger(from);
				List<EngineThread.Task<Void, ClassificationException>> lanes = new ArrayList<>();
				for (int k = 0; k < 2; k++) {
					int lane = k;
					lanes.add(() -> {
						LaneScratch scratch = LaneScratch.of(half, plane);
						try {
							for (int h = taken.getAndIncrement(); h < to && !stop.get(); h = taken.getAndIncrement()) {
								cancellation.check(what);
								int start = h / 2 * batchSize;
								int b = Math.min(batchSize, n - start);
								int first = (b + 1) / 2;
								int at = h % 2 == 0 ? start : start + first;
								int count = h % 2 == 0 ? first : b - first;
								if (count == 0) continue;
								runHalf(source, pre, at, count, samplers[lane], scratch, out, threshold, ood);
								synchronized (progressLock) {
									done[0] += count;
									progress.progress("classifying " + source.name(), done[0], n);
								}
							}
						} catch (ClassificationException | RuntimeException | Error e) {
							// the other lane stops at its next half batch
							stop.set(true);
							throw e;
						}
						return null;
					});
				}
				EngineThread.callPair(lanes.get(0), lanes.get(1));
			}
		} finally {
			for (PassSampler s : samplers) if (s != null) s.close();
		}
		return new ArrayList<>(java.util.Arrays.asList(out));
	}

	/**
	 * One lane's half batch: slices {@code at .. at + count - 1} read, made unit images and run (the session
	 * normalises them as it writes the engine's input), their predictions into {@code out}.
	 */
	private void runHalf(SliceSource source, SlicePreprocessor pre, int at, int count, PassSampler sampler, LaneScratch scratch, Prediction[] out,
		double threshold, OodScores.Collector ood) throws ClassificationException {
		float[][] units = scratch.units;
		int[] indices = new int[count];
		String[] labels = new String[count];
		long[] keys = new long[count];
		for (int i = 0; i < count; i++) {
			Slice slice = source.get(at + i, scratch.spare);
			scratch.spare = null;
			units[i] = pre.unitImage(slice, units[i]);
			indices[i] = slice.index();
			labels[i] = slice.label();
			keys[i] = slice.index();
			scratch.spare = slice;
		}
		long t0 = System.nanoTime();
		PassSampler.Batch result;
		try {
			result = sampler.runUnits(units, count, keys);
		} catch (java.util.concurrent.CancellationException e) {
			throw e;
		} catch (TranslateException | RuntimeException e) {
			throw new ClassificationException(source.name() + ": inference failed on slices " + (at + 1) + "-" + (at + count) + ": " + e.getMessage(), e);
		}
		double ms = (System.nanoTime() - t0) / 1e6 / count;
		for (int i = 0; i < count; i++) out[at + i] = prediction(result, i, indices[i], labels[i], ms, threshold);
		ood.put(result, at, count);
	}

	/**
	 * A lane thread's unit images (its half batch, preprocessed up to the channel normalisation) and its last
	 * slice, whose pixel array the next read copies into. Kept from run to run on the engine's two lane threads
	 * (not on other threads that may run a lane, such as a caller's), up to {@link #KEEP_BYTES}: new ones at
	 * each run (0.8 MB and 0.5 MB a lane for batch 8 of 224 x 224 from 512 x 512 16-bit slices) were memory
	 * to be cleared, and garbage, at every run.
	 */
	private static final class LaneScratch {

		/** Unit images larger than this in all are made for one run and not kept. */
		static final long KEEP_BYTES = 32L << 20;

		private static final ThreadLocal<LaneScratch> OF_THREAD = ThreadLocal.withInitial(LaneScratch::new);

		float[][] units = new float[0][];
		Slice spare;

		/** The calling thread's scratch, with room for {@code count} unit images of {@code plane} values. */
		static LaneScratch of(int count, int plane) {
			if ((long) count * plane * Float.BYTES > KEEP_BYTES || !EngineThread.isEngineThread()) {
				LaneScratch once = new LaneScratch();
				once.units = new float[count][plane];
				return once;
			}
			LaneScratch s = OF_THREAD.get();
			if (s.units.length != count || s.units[0].length != plane) s.units = new float[count][plane];
			return s;
		}
	}

	/**
	 * The warning for packages without an out-of-distribution detector: their slices' {@code ood_score}
	 * and {@code out_of_distribution} stay empty (with several packages, the others still score them).
	 *
	 * @param models the models
	 * @return one warning naming the packages without a detector, or none
	 */
	public static List<String> oodWarnings(Ensemble models) {
		List<String> without = new ArrayList<>();
		for (ClassifierModel m : models.models()) if (m.pkg().ood() == null) without.add(m.pkg().card().id());
		if (without.isEmpty()) return List.of();
		boolean none = without.size() == models.models().size();
		return List.of((without.size() == 1 ? "model " + without.get(0) + " has" : "models " + String.join(", ", without) + " have")
			+ " no out-of-distribution detector (" + OodDetector.FILE + "): nothing checks whether the slices resemble its training data"
			+ (none ? "; the ood_score and out_of_distribution columns stay empty" : "") + " (add one with medcnn fit-ood)");
	}

	private List<String> thresholdWarnings(double threshold) {
		List<String> w = new ArrayList<>();
		String mode = uncertainty.mode().key();
		if (Double.isNaN(threshold)) {
			w.add("no flag threshold for uncertainty=" + mode + " in the card of " + models.id() + "; the 'uncertain' column stays empty (give uncertainty_threshold in nats to set one)");
			return w;
		}
		ModelCard.FlagThreshold card = models.flagThreshold(mode);
		if (Double.isNaN(uncertainty.threshold()) && card != null && card.passes() > 0 && uncertainty.mode() != UncertaintyMode.ENSEMBLE
			&& uncertainty.mode() != UncertaintyMode.NONE && card.passes() != uncertainty.passes()) {
			w.add("the flag threshold of " + models.id() + " for " + mode + " was chosen with " + card.passes() + " passes, this run uses " + uncertainty.passes()
				+ "; its coverage may differ");
		}
		return w;
	}

	/**
	 * The threads that read and preprocess slices beside the caller, shared by all runs: they keep their
	 * working arrays (histogram, resampling rows, unit image) from run to run, where new threads for each
	 * run made them anew (about a megabyte each). Idle ones end after a minute, and their arrays with them.
	 */
	private static final ExecutorService PREPARERS;

	static {
		// At most one thread per core; beyond that (several runs at once) the caller prepares the work itself.
		java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(0, Math.max(2, Runtime.getRuntime().availableProcessors()), 60,
			java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
				Thread t = new Thread(r, "medcnn-preprocess");
				t.setDaemon(true);
				t.setContextClassLoader(DjlSliceClassifier.class.getClassLoader());
				return t;
			}, new java.util.concurrent.ThreadPoolExecutor.CallerRunsPolicy());
		PREPARERS = pool;
	}

	/**
	 * Read and preprocessed slices: {@code passes} consecutive tensors per slice, from the start of
	 * {@code data}; only the index and label of each slice are kept, not its pixels.
	 */
	private record Prepared(int[] indices, String[] labels, float[] data) {}

	/**
	 * Outside the lanes ({@link #onLanes}): whether the next batch is prepared while the engine runs
	 * ({@code medcnn.prepare=overlap}) or before, on all cores ({@code parallel}); by default overlapping on
	 * a GPU, parallel on the CPU.
	 */
	static boolean prepareOverlapping(Ensemble models) {
		String p = EngineSetting.PREPARE.value();
		if (p.equals("overlap")) return true;
		if (p.equals("parallel")) return false;
		return models.onGpu();
	}


	/**
	 * Reads slices {@code start .. start + b - 1} and preprocesses them into the start of {@code data} on
	 * {@code workers} threads (the caller and the pool), each taking the next slice not yet taken, so that a
	 * thread that starts late takes fewer. Sources that do not allow concurrent reads are read in order on
	 * the calling thread first. Each slice, once preprocessed, goes to {@code spare}, and each read takes
	 * one from there to copy its pixels into.
	 */
	private static Prepared prepare(SliceSource source, SlicePreprocessor pre, int start, int b, int passes, long seed, ExecutorService pool, int workers,
		float[] data, Queue<Slice> spare) {
		Slice[] slices = new Slice[b];
		boolean concurrent = workers > 1 && source.concurrentReads();
		if (!concurrent) for (int i = 0; i < b; i++) slices[i] = source.get(start + i, spare.poll());
		int[] indices = new int[b];
		String[] labels = new String[b];
		AtomicInteger taken = new AtomicInteger();
		Runnable work = () -> {
			int per = pre.spec().tensorSize();
			for (int i = taken.getAndIncrement(); i < b; i = taken.getAndIncrement()) {
				Slice slice = concurrent ? source.get(start + i, spare.poll()) : slices[i];
				slices[i] = null;
				TestTimeAugmentation.preprocess(pre, slice, passes, seed, data, i * passes * per);
				indices[i] = slice.index();
				labels[i] = slice.label();
				spare.offer(slice);
			}
		};
		List<Future<?>> others = new ArrayList<>();
		for (int c = 1; c < Math.min(workers, b); c++) others.add(pool.submit(work));
		boolean failed = true;
		try {
			work.run();
			failed = false;
		} finally {
			// After a failure here the helpers stop at their next slice, and this failure reaches the caller.
			if (failed) taken.set(b);
			for (Future<?> f : others) {
				if (!failed) {
					await(f);
					continue;
				}
				try {
					f.get();
				} catch (InterruptedException e) {
					Thread.currentThread().interrupt();
				} catch (ExecutionException e) {
					// the caller's own failure is reported
				}
			}
		}
		return new Prepared(indices, labels, data);
	}

	/** Waits for a task; a bad slice's IllegalArgumentException reaches the caller unchanged. */
	private static <T> T await(Future<T> f) {
		try {
			return f.get();
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new java.util.concurrent.CancellationException("interrupted");
		} catch (ExecutionException e) {
			if (e.getCause() instanceof RuntimeException re) throw re;
			if (e.getCause() instanceof Error err) throw err;
			throw new IllegalStateException(e.getCause());
		}
	}

	/** Supplies a model on the CPU when the GPU fails mid-run. */
	@FunctionalInterface
	public interface CpuFallback {
		/**
		 * Loads (or returns the cached) CPU copy of a model.
		 *
		 * @param model the model that failed on the GPU
		 * @return the CPU model
		 * @throws ModelLoadException if it cannot be loaded
		 */
		ClassifierModel cpuModel(ClassifierModel model) throws ModelLoadException;
	}
}
