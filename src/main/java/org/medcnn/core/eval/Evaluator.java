package org.medcnn.core.eval;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.model.ClassifierModel;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.train.Sample;
import org.medcnn.core.train.SampleReader;

/**
 * Evaluates a loaded model on labelled images: predictions for every slice of every file, then
 * {@link Metrics}. Unreadable files are skipped and reported, never silently dropped.
 */
public final class Evaluator {

	private final ClassifierModel model;
	private final SampleReader reader;
	private final int batchSize;

	/**
	 * Creates an evaluator.
	 *
	 * @param model the model
	 * @param reader reads image files
	 * @param batchSize slices per engine call
	 */
	public Evaluator(ClassifierModel model, SampleReader reader, int batchSize) {
		if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("batch_size must be between 1 and 1024, got " + batchSize);
		this.model = model;
		this.reader = reader;
		this.batchSize = batchSize;
	}

	/**
	 * One evaluated slice.
	 *
	 * @param file the file
	 * @param slice 1-based slice
	 * @param truth true class index
	 * @param probabilities predicted probabilities
	 */
	public record Row(Path file, int slice, int truth, float[] probabilities) {}

	/**
	 * The evaluation.
	 *
	 * @param metrics the metrics
	 * @param rows one per evaluated slice
	 * @param skipped unreadable files with the reason
	 */
	public record Evaluation(Metrics metrics, List<Row> rows, List<String> skipped) {}

	/**
	 * Evaluates the model.
	 *
	 * @param samples labelled files; every label must be one of the model's classes
	 * @param bootstrap bootstrap resamples for the confidence intervals
	 * @param seed bootstrap seed
	 * @param progress receives progress per file
	 * @param cancellation checked between files
	 * @return the evaluation
	 * @throws IllegalArgumentException if a label is not a class of the model, or nothing is readable
	 * @throws TranslateException if the engine fails
	 */
	public Evaluation evaluate(List<Sample> samples, int bootstrap, long seed, ProgressListener progress, Cancellation cancellation) throws TranslateException {
		List<String> classes = model.pkg().card().classes();
		TreeSet<String> unknown = new TreeSet<>();
		for (Sample s : samples) if (!classes.contains(s.label())) unknown.add(s.label());
		if (!unknown.isEmpty()) {
			throw new IllegalArgumentException("label(s) " + unknown + " are not classes of model " + model.pkg().card().id() + " " + classes);
		}
		SlicePreprocessor pre = new SlicePreprocessor(model.pkg().card().input());
		int per = pre.spec().tensorSize();
		List<Row> rows = new ArrayList<>();
		List<String> skipped = new ArrayList<>();
		List<Path> files = new ArrayList<>();
		List<Integer> sliceNo = new ArrayList<>();
		List<Integer> truths = new ArrayList<>();
		float[] buf = new float[batchSize * per];
		int filled = 0;
		try (ClassifierModel.Session session = model.newSession()) {
			for (int k = 0; k < samples.size(); k++) {
				cancellation.check("evaluation");
				Sample s = samples.get(k);
				List<Slice> slices;
				try {
					slices = reader.read(s.file());
					for (Slice sl : slices) pre.check(sl);
				} catch (IOException | IllegalArgumentException e) {
					skipped.add(s.file() + ": " + e.getMessage());
					continue;
				}
				for (Slice sl : slices) {
					pre.preprocess(sl, buf, filled * per);
					files.add(s.file());
					sliceNo.add(sl.index());
					truths.add(classes.indexOf(s.label()));
					filled++;
					if (filled == batchSize) {
						flush(session, buf, filled, files, sliceNo, truths, rows);
						filled = 0;
					}
				}
				progress.progress("evaluating", k + 1, samples.size());
			}
			if (filled > 0) flush(session, buf, filled, files, sliceNo, truths, rows);
		}
		if (rows.isEmpty()) throw new IllegalArgumentException("no readable images to evaluate (" + skipped.size() + " skipped)");
		int[] truth = new int[rows.size()];
		float[][] probs = new float[rows.size()][];
		for (int i = 0; i < truth.length; i++) {
			truth[i] = rows.get(i).truth();
			probs[i] = rows.get(i).probabilities();
		}
		return new Evaluation(Metrics.compute(classes, truth, probs, bootstrap, seed), rows, skipped);
	}

	private static void flush(ClassifierModel.Session session, float[] buf, int n, List<Path> files, List<Integer> slices, List<Integer> truths, List<Row> rows)
		throws TranslateException {
		float[][] probs = session.probabilities(buf, n);
		for (int i = 0; i < n; i++) rows.add(new Row(files.get(i), slices.get(i), truths.get(i), probs[i]));
		files.clear();
		slices.clear();
		truths.clear();
	}
}
