package org.medcnn.core.classify;

import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.model.ClassifierModel;
import org.medcnn.core.model.Ensemble;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
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
		int passes = uncertainty.mode() == UncertaintyMode.TTA ? uncertainty.passes() : 1;
		List<Prediction> out = new ArrayList<>(n);
		Ensemble current = models;
		PassSampler sampler = new PassSampler(current, uncertainty, batchSize);
		// On a GPU one worker reads and preprocesses the next batch while the engine runs the current one.
		// On the CPU the engine already keeps every core busy, and a preprocessing thread beside it stalls
		// its OpenMP threads at every barrier; there the batch is read, then preprocessed on all cores while
		// the engine waits (measured: docs/benchmarks.md). At most two batches are in memory at a time.
		boolean overlap = prepareOverlapping(current);
		int workers = overlap ? 1 : Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
		ExecutorService reader = Executors.newFixedThreadPool(Math.max(1, overlap ? 1 : workers - 1), r -> {
			Thread t = new Thread(r, "medcnn-preprocess");
			t.setDaemon(true);
			return t;
		});
		int per = passes * pre.spec().tensorSize();
		try {
			progress.progress("classifying " + source.name(), 0, n);
			// The batch arrays are reused: a new one per batch cost a tenth of preprocessing (measured). While
			// overlapping, the engine reads one while the next batch is written into the other.
			float[][] arrays = new float[overlap ? 2 : 1][Math.min(batchSize, n) * per];
			Future<Prepared> next = overlap ? reader.submit(() -> prepare(source, pre, 0, Math.min(batchSize, n), passes, uncertainty.seed(), null, 1, arrays[0])) : null;
			for (int start = 0; start < n; start += batchSize) {
				cancellation.check("classification of " + source.name());
				int b = Math.min(batchSize, n - start);
				Prepared prepared;
				if (overlap) {
					prepared = await(next);
					int following = start + batchSize;
					float[] into = arrays[(following / batchSize) % 2];
					next = following < n ? reader.submit(() -> prepare(source, pre, following, Math.min(batchSize, n - following), passes, uncertainty.seed(), null, 1, into)) : null;
				} else {
					prepared = prepare(source, pre, start, b, passes, uncertainty.seed(), reader, workers, arrays[0]);
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
					LOG.warn(w);
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
				for (int i = 0; i < b; i++) {
					float[] p = result.probabilities()[i];
					int top = argmax(p);
					UncertaintyEstimate u = uncertainty.enabled() ? Uncertainty.estimate(result.samples()[i], top).flagged(threshold) : null;
					out.add(new Prediction(prepared.indices()[i], prepared.labels()[i], top, classes(), p, result.logits()[i], ms, u));
				}
				progress.progress("classifying " + source.name(), start + b, n);
			}
		} finally {
			reader.shutdownNow();
			sampler.close();
		}
		return new ClassificationRun(source.name(), out, models.id(), models.shortSha(), current.deviceName(), warnings, uncertainty.mode());
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
	 * Read and preprocessed slices: {@code passes} consecutive tensors per slice, from the start of
	 * {@code data}; only the index and label of each slice are kept, not its pixels.
	 */
	private record Prepared(int[] indices, String[] labels, float[] data) {}

	/**
	 * Whether the next batch is prepared while the engine runs ({@code medcnn.prepare=overlap}) or
	 * before, on all cores ({@code parallel}); by default overlapping on a GPU, parallel on the CPU.
	 */
	static boolean prepareOverlapping(Ensemble models) {
		String p = System.getProperty(PREPARE_PROPERTY, "");
		if (p.equals("overlap")) return true;
		if (p.equals("parallel")) return false;
		return models.onGpu();
	}

	/** The system property that chooses how batches are prepared: {@code overlap} or {@code parallel}. */
	public static final String PREPARE_PROPERTY = "medcnn.prepare";

	/**
	 * Reads slices {@code start .. start + b - 1} and preprocesses them into the start of {@code data} on
	 * {@code workers} threads (the caller and the pool), each taking the next slice not yet taken, so that a
	 * thread that starts late takes fewer. Sources that do not allow concurrent reads are read in order on
	 * the calling thread first.
	 */
	private static Prepared prepare(SliceSource source, SlicePreprocessor pre, int start, int b, int passes, long seed, ExecutorService pool, int workers,
		float[] data) {
		Slice[] slices = new Slice[b];
		boolean concurrent = workers > 1 && source.concurrentReads();
		if (!concurrent) for (int i = 0; i < b; i++) slices[i] = source.get(start + i);
		int[] indices = new int[b];
		String[] labels = new String[b];
		AtomicInteger taken = new AtomicInteger();
		Runnable work = () -> {
			int per = pre.spec().tensorSize();
			for (int i = taken.getAndIncrement(); i < b; i = taken.getAndIncrement()) {
				Slice slice = concurrent ? source.get(start + i) : slices[i];
				slices[i] = null;
				TestTimeAugmentation.preprocess(pre, slice, passes, seed, data, i * passes * per);
				indices[i] = slice.index();
				labels[i] = slice.label();
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

	/**
	 * Numerically stable softmax.
	 *
	 * @param logits the logits
	 * @return probabilities summing to 1
	 */
	public static float[] softmax(float[] logits) {
		double max = Double.NEGATIVE_INFINITY;
		for (float v : logits) max = Math.max(max, v);
		double[] e = new double[logits.length];
		double sum = 0;
		for (int i = 0; i < logits.length; i++) {
			e[i] = Math.exp(logits[i] - max);
			sum += e[i];
		}
		float[] p = new float[logits.length];
		for (int i = 0; i < p.length; i++) p[i] = (float) (e[i] / sum);
		return p;
	}

	/**
	 * Index of the largest value; the first one on ties.
	 *
	 * @param values the values, at least one
	 * @return the index
	 */
	public static int argmax(float[] values) {
		int best = 0;
		for (int i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
		return best;
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
