package org.medcnn.core.classify;

import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.model.ClassifierModel;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Classifies slices with a loaded {@link ClassifierModel}: preprocesses one batch at a time (never
 * the whole stack), runs trunk and head, and applies softmax. If a GPU batch fails (e.g. out of
 * memory), the run continues on the CPU model given by the fallback, with a warning.
 */
public final class DjlSliceClassifier implements SliceClassifier {

	private static final Logger LOG = LoggerFactory.getLogger(DjlSliceClassifier.class);

	private final ClassifierModel model;
	private final int batchSize;
	private final CpuFallback fallback;

	/**
	 * Creates a classifier.
	 *
	 * @param model the loaded model
	 * @param batchSize slices per engine call, 1 to 1024
	 * @param fallback supplies the same model on the CPU if a GPU batch fails; may be null
	 * @throws IllegalArgumentException if the batch size is out of range
	 */
	public DjlSliceClassifier(ClassifierModel model, int batchSize, CpuFallback fallback) {
		if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("batch_size must be between 1 and 1024, got " + batchSize);
		this.model = model;
		this.batchSize = batchSize;
		this.fallback = fallback;
	}

	@Override
	public List<String> classes() {
		return model.pkg().card().classes();
	}

	@Override
	public ClassificationRun classify(SliceSource source, ProgressListener progress, Cancellation cancellation) throws ClassificationException {
		int n = source.size();
		if (n == 0) throw new IllegalArgumentException(source.name() + ": the image has no slices");
		SlicePreprocessor pre = new SlicePreprocessor(model.pkg().card().input());
		int per = pre.spec().tensorSize();
		List<String> warnings = new ArrayList<>();
		if (model.fallbackWarning() != null) warnings.add(model.fallbackWarning());
		List<Prediction> out = new ArrayList<>(n);
		ClassifierModel current = model;
		ClassifierModel.Session session = current.newSession();
		// One worker reads and preprocesses the next batch while the engine runs the current one, so at
		// most two batches are in memory at a time.
		ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
			Thread t = new Thread(r, "medcnn-preprocess");
			t.setDaemon(true);
			return t;
		});
		try {
			progress.progress("classifying " + source.name(), 0, n);
			Future<Prepared> next = reader.submit(() -> prepare(source, pre, 0, Math.min(batchSize, n)));
			for (int start = 0; start < n; start += batchSize) {
				cancellation.check("classification of " + source.name());
				int b = Math.min(batchSize, n - start);
				Prepared batch = await(next);
				int following = start + batchSize;
				next = following < n ? reader.submit(() -> prepare(source, pre, following, Math.min(batchSize, n - following))) : null;
				Slice[] slices = batch.slices();
				float[] buffer = batch.data();
				long t0 = System.nanoTime();
				float[][] logits;
				try {
					logits = session.logits(buffer, b);
				} catch (TranslateException | RuntimeException e) {
					if (!current.device().isGpu() || fallback == null) {
						throw new ClassificationException(source.name() + ": inference failed on slices " + (start + 1) + "-" + (start + b) + ": " + e.getMessage(), e);
					}
					String w = "inference on " + current.deviceName() + " failed (" + e.getMessage() + "); continuing on cpu";
					LOG.warn(w);
					warnings.add(w);
					session.close();
					try {
						current = fallback.cpuModel();
					} catch (ModelLoadException le) {
						throw new ClassificationException(source.name() + ": GPU inference failed and the CPU fallback could not load: " + le.getMessage(), le);
					}
					session = current.newSession();
					t0 = System.nanoTime();
					try {
						logits = session.logits(buffer, b);
					} catch (TranslateException e2) {
						throw new ClassificationException(source.name() + ": inference failed on slices " + (start + 1) + "-" + (start + b) + ": " + e2.getMessage(), e2);
					}
				}
				double ms = (System.nanoTime() - t0) / 1e6 / b;
				float[][] probs = session.toProbabilities(logits);
				for (int i = 0; i < b; i++) {
					float[] p = probs[i];
					out.add(new Prediction(slices[i].index(), slices[i].label(), argmax(p), classes(), p, logits[i], ms));
				}
				progress.progress("classifying " + source.name(), start + b, n);
			}
		} finally {
			reader.shutdownNow();
			session.close();
		}
		return new ClassificationRun(source.name(), out, model.pkg().card().id(), model.pkg().shortSha(), current.deviceName(), warnings);
	}

	/** A read and preprocessed batch. */
	private record Prepared(Slice[] slices, float[] data) {}

	private static Prepared prepare(SliceSource source, SlicePreprocessor pre, int start, int b) {
		int per = pre.spec().tensorSize();
		Slice[] slices = new Slice[b];
		float[] data = new float[b * per];
		for (int i = 0; i < b; i++) {
			slices[i] = source.get(start + i);
			pre.preprocess(slices[i], data, i * per);
		}
		return new Prepared(slices, data);
	}

	/** Waits for a prepared batch; a bad slice's IllegalArgumentException reaches the caller unchanged. */
	private static Prepared await(Future<Prepared> f) {
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

	/** Supplies the model on the CPU when the GPU fails mid-run. */
	@FunctionalInterface
	public interface CpuFallback {
		/**
		 * Loads (or returns the cached) CPU copy of the model.
		 *
		 * @return the CPU model
		 * @throws ModelLoadException if it cannot be loaded
		 */
		ClassifierModel cpuModel() throws ModelLoadException;
	}
}
