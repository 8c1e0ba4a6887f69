package org.medcnn.core.eval;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.classify.PassSampler;
import org.medcnn.core.data.Sample;
import org.medcnn.core.data.SampleReader;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.ood.OodFitter;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.RiskCoverage;
import org.medcnn.core.uncertainty.TestTimeAugmentation;
import org.medcnn.core.uncertainty.Uncertainty;
import org.medcnn.core.uncertainty.UncertaintyEstimate;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;

/**
 * Evaluates loaded models on labelled images: predictions for every slice of every file, then
 * {@link Metrics}, the calibration error before and after the models' temperatures, and the
 * risk-coverage curve. With an uncertainty mode, every row also carries its uncertainty estimate.
 * Unreadable files are skipped and reported, never silently dropped.
 */
public final class Evaluator {

	private final Ensemble models;
	private final SampleReader reader;
	private final int batchSize;
	private final UncertaintyOptions uncertainty;

	/**
	 * Creates an evaluator of one model without uncertainty estimate.
	 *
	 * @param model the model
	 * @param reader reads image files
	 * @param batchSize slices per engine call
	 */
	public Evaluator(ClassifierModel model, SampleReader reader, int batchSize) {
		this(Ensemble.of(model), reader, batchSize, UncertaintyOptions.NONE);
	}

	/**
	 * Creates an evaluator.
	 *
	 * @param models the model(s)
	 * @param reader reads image files
	 * @param batchSize slices per engine call
	 * @param uncertainty the uncertainty mode
	 * @throws IllegalArgumentException if the batch size is out of range or the mode does not fit the models
	 */
	public Evaluator(Ensemble models, SampleReader reader, int batchSize, UncertaintyOptions uncertainty) {
		if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("batch_size must be between 1 and 1024, got " + batchSize);
		DjlSliceClassifier.check(models, uncertainty);
		this.models = models;
		this.reader = reader;
		this.batchSize = batchSize;
		this.uncertainty = uncertainty;
	}

	/**
	 * One evaluated slice.
	 *
	 * @param file the file
	 * @param slice 1-based slice
	 * @param truth true class index
	 * @param probabilities predicted (calibrated) probabilities
	 * @param uncalibrated the probabilities with every temperature set to 1
	 * @param uncertainty the uncertainty estimate, or null without uncertainty mode
	 * @param oodScore the out-of-distribution score (above 1: outside the training data), NaN when the model has no detector
	 */
	public record Row(Path file, int slice, int truth, float[] probabilities, float[] uncalibrated, UncertaintyEstimate uncertainty, double oodScore) {

		/**
		 * A row without out-of-distribution score.
		 *
		 * @param file the file
		 * @param slice 1-based slice
		 * @param truth true class index
		 * @param probabilities predicted probabilities
		 * @param uncalibrated probabilities with temperature 1
		 * @param uncertainty the uncertainty estimate, or null
		 */
		public Row(Path file, int slice, int truth, float[] probabilities, float[] uncalibrated, UncertaintyEstimate uncertainty) {
			this(file, slice, truth, probabilities, uncalibrated, uncertainty, Double.NaN);
		}

		/** @return 1 outside the training data, 0 inside, -1 unknown */
		public int outOfDistribution() {
			return Double.isNaN(oodScore) ? -1 : oodScore > 1 ? 1 : 0;
		}
	}

	/**
	 * The evaluation.
	 *
	 * @param metrics the metrics
	 * @param rows one per evaluated slice
	 * @param skipped unreadable files with the reason
	 * @param eceUncalibrated the expected calibration error with every temperature set to 1
	 * @param riskCoverage accuracy against coverage, ranking slices by confidence (without uncertainty
	 *        mode) or by predictive entropy (with one)
	 * @param uncertainty the uncertainty mode
	 * @param flagThreshold the entropy threshold of the uncertain flag, NaN when unknown
	 */
	public record Evaluation(Metrics metrics, List<Row> rows, List<String> skipped, double eceUncalibrated, RiskCoverage riskCoverage,
		UncertaintyMode uncertainty, double flagThreshold) {

		/**
		 * The figures an evaluation adds to its metrics: the ECE with every temperature set to 1, the area
		 * under the risk-coverage curve and, with an uncertainty mode, the flag threshold with the coverage
		 * and accuracy of the unflagged slices and the count and accuracy of the flagged ones; with an
		 * out-of-distribution detector, the same for its flag.
		 *
		 * @return name to value, in output order
		 */
		public java.util.Map<String, Double> summary() {
			java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
			summaryEstimates().forEach((k, v) -> m.put(k, v.value()));
			return m;
		}

		/**
		 * {@link #summary()} with the bootstrap intervals of its ratios (counts and the threshold have none).
		 *
		 * @return name to estimate, in output order
		 */
		public java.util.Map<String, Estimate> summaryEstimates() {
			java.util.Map<String, Estimate> m = new java.util.LinkedHashMap<>();
			m.put("ece_uncalibrated", orValue("ece_uncalibrated", eceUncalibrated));
			m.put("aurc", orValue("aurc", riskCoverage.aurc()));
			if (uncertainty != UncertaintyMode.NONE) {
				m.put("uncertain_threshold_nats", Estimate.of(flagThreshold));
				m.put("coverage_unflagged", orValue("coverage_unflagged", flagCoverage()));
				m.put("accuracy_unflagged", orValue("accuracy_unflagged", flagAccuracy()));
				m.put("uncertain_slices", Estimate.of(rows.stream().filter(r -> r.uncertainty() != null && r.uncertainty().uncertain() == 1).count()));
				m.put("accuracy_uncertain", orValue("accuracy_uncertain", flaggedAccuracy()));
			}
			if (oodScored() > 0) {
				m.put("ood_scored_slices", Estimate.of(oodScored()));
				m.put("ood_flagged_slices", Estimate.of(oodFlagged()));
				m.put("ood_flagged_share", orValue("ood_flagged_share", oodFlagged() / (double) oodScored()));
				m.put("accuracy_ood_kept", orValue("accuracy_ood_kept", oodAccuracy(0)));
				m.put("accuracy_ood_flagged", orValue("accuracy_ood_flagged", oodAccuracy(1)));
			}
			return m;
		}

		private Estimate orValue(String name, double value) {
			Estimate e = metrics.estimate(name);
			return e != null ? e : Estimate.of(value);
		}

		/** @return the number of slices with an out-of-distribution score */
		public int oodScored() {
			return (int) rows.stream().filter(r -> r.outOfDistribution() >= 0).count();
		}

		/** @return the number of slices flagged outside the training data */
		public int oodFlagged() {
			return (int) rows.stream().filter(r -> r.outOfDistribution() == 1).count();
		}

		/**
		 * The accuracy on the slices with a given out-of-distribution flag.
		 *
		 * @param flag 0 kept (inside the training data), 1 flagged
		 * @return the accuracy, NaN when no slice has the flag
		 */
		public double oodAccuracy(int flag) {
			long n = 0;
			long right = 0;
			for (Row r : rows) {
				if (r.outOfDistribution() != flag) continue;
				n++;
				if (Probabilities.argmax(r.probabilities()) == r.truth()) right++;
			}
			return n == 0 ? Double.NaN : right / (double) n;
		}

		/** @return the out-of-distribution scores of the scored slices */
		public double[] oodScores() {
			return rows.stream().mapToDouble(Row::oodScore).filter(v -> !Double.isNaN(v)).toArray();
		}


		/** @return the fraction of slices not flagged uncertain, NaN without a threshold */
		public double flagCoverage() {
			if (Double.isNaN(flagThreshold)) return Double.NaN;
			long kept = rows.stream().filter(r -> r.uncertainty() != null && r.uncertainty().uncertain() == 0).count();
			return kept / (double) rows.size();
		}

		/** @return the accuracy on the slices not flagged uncertain, NaN without a threshold or when all are flagged */
		public double flagAccuracy() {
			return accuracyWhereFlag(0);
		}

		/** @return the accuracy on the slices flagged uncertain, NaN without a threshold or when none is flagged */
		public double flaggedAccuracy() {
			return accuracyWhereFlag(1);
		}

		private double accuracyWhereFlag(int flag) {
			if (Double.isNaN(flagThreshold)) return Double.NaN;
			long n = 0;
			long right = 0;
			for (Row r : rows) {
				if (r.uncertainty() == null || r.uncertainty().uncertain() != flag) continue;
				n++;
				if (Probabilities.argmax(r.probabilities()) == r.truth()) right++;
			}
			return n == 0 ? Double.NaN : right / (double) n;
		}
	}

	/**
	 * How the out-of-distribution score separates the evaluated slices from data known to be foreign.
	 *
	 * @param slices foreign slices scored
	 * @param flagged the fraction of them flagged
	 * @param auroc the AUROC of the score, evaluated (own) slices against foreign ones
	 * @param skipped unreadable foreign files with the reason
	 */
	public record ForeignOod(int slices, double flagged, double auroc, List<String> skipped) {}

	/**
	 * Scores images known to be foreign to the model (no labels), for {@link ForeignOod}.
	 *
	 * @param evaluation the evaluation of the model's own data, whose scores are the other side of the AUROC
	 * @param files the foreign files; unreadable ones are skipped and listed
	 * @param progress receives progress per file
	 * @param cancellation checked between files
	 * @return the share flagged and the AUROC
	 * @throws IllegalArgumentException if the models have no detector, or no foreign slice is readable
	 * @throws TranslateException if the engine fails
	 */
	public ForeignOod foreign(Evaluation evaluation, List<Path> files, ProgressListener progress, Cancellation cancellation) throws TranslateException {
		for (ClassifierModel m : models.models()) {
			if (m.pkg().ood() == null) {
				throw new IllegalArgumentException("model " + m.pkg().card().id() + " has no out-of-distribution detector (ood.bin) to measure on foreign data; "
					+ "add one with medcnn fit-ood");
			}
		}
		SlicePreprocessor pre = new SlicePreprocessor(models.primary().card().input());
		List<Double> scores = new ArrayList<>();
		List<String> skipped = new ArrayList<>();
		int per = pre.spec().tensorSize();
		float[] data = new float[batchSize * per];
		List<Long> keys = new ArrayList<>();
		try (PassSampler sampler = new PassSampler(models, UncertaintyOptions.NONE, batchSize)) {
			for (int k = 0; k < files.size(); k++) {
				cancellation.check("evaluation");
				List<Slice> slices;
				try {
					slices = reader.read(files.get(k));
					for (Slice sl : slices) pre.check(sl);
				} catch (IOException | IllegalArgumentException e) {
					skipped.add(files.get(k) + ": " + e.getMessage());
					continue;
				}
				for (Slice sl : slices) {
					pre.preprocess(sl, data, keys.size() * per);
					keys.add((long) sl.index());
					if (keys.size() == batchSize) scoreBatch(sampler, data, keys, scores);
				}
				progress.progress("scoring foreign data", k + 1, files.size());
			}
			if (!keys.isEmpty()) scoreBatch(sampler, data, keys, scores);
		}
		if (scores.isEmpty()) throw new IllegalArgumentException("no readable foreign images (" + skipped.size() + " skipped)");
		double[] f = scores.stream().mapToDouble(Double::doubleValue).toArray();
		long flagged = java.util.Arrays.stream(f).filter(v -> v > 1).count();
		return new ForeignOod(f.length, flagged / (double) f.length, OodFitter.auroc(evaluation.oodScores(), f), skipped);
	}

	private static void scoreBatch(PassSampler sampler, float[] data, List<Long> keys, List<Double> scores) throws TranslateException {
		long[] k = keys.stream().mapToLong(Long::longValue).toArray();
		PassSampler.Batch b = sampler.run(data, k.length, 1, k);
		for (double v : b.oodScores(sampler.models())) scores.add(v);
		keys.clear();
	}

	/**
	 * Evaluates the models.
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
		List<String> classes = models.primary().card().classes();
		TreeSet<String> unknown = new TreeSet<>();
		for (Sample s : samples) if (!classes.contains(s.label())) unknown.add(s.label());
		if (!unknown.isEmpty()) {
			throw new IllegalArgumentException("label(s) " + unknown + " are not classes of model " + models.id() + " " + classes);
		}
		SlicePreprocessor pre = new SlicePreprocessor(models.primary().card().input());
		int per = pre.spec().tensorSize();
		int passes = uncertainty.mode() == UncertaintyMode.TTA ? uncertainty.passes() : 1;
		double threshold = DjlSliceClassifier.flagThreshold(models, uncertainty);
		List<Row> rows = new ArrayList<>();
		List<String> skipped = new ArrayList<>();
		Pending pending = new Pending(batchSize, passes * per);
		try (PassSampler sampler = new PassSampler(models, uncertainty, batchSize)) {
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
					TestTimeAugmentation.preprocess(pre, sl, passes, uncertainty.seed(), pending.data, pending.filled * passes * per);
					pending.add(s.file(), sl.index(), classes.indexOf(s.label()));
					if (pending.filled == batchSize) pending.flush(sampler, passes, threshold, rows);
				}
				progress.progress("evaluating", k + 1, samples.size());
			}
			if (pending.filled > 0) pending.flush(sampler, passes, threshold, rows);
		}
		if (rows.isEmpty()) throw new IllegalArgumentException("no readable images to evaluate (" + skipped.size() + " skipped)");
		double flagThreshold = uncertainty.enabled() ? threshold : Double.NaN;
		return evaluation(classes, rows, skipped, uncertainty.mode(), flagThreshold, bootstrap, seed);
	}

	/**
	 * Computes the metrics of evaluated rows: every metric with its stratified bootstrap interval, rows
	 * ordered by file and slice before resampling (so the same images listed in any order give the same
	 * intervals), the ECE at temperature 1, the risk-coverage curve and the figures of the flags.
	 *
	 * @param classes the model's classes
	 * @param rows the rows
	 * @param skipped unreadable files with the reason
	 * @param mode the uncertainty mode the rows were made with
	 * @param flagThreshold the uncertain flag's threshold, NaN when unknown or without a mode
	 * @param bootstrap bootstrap resamples
	 * @param seed bootstrap seed
	 * @return the evaluation
	 * @throws IllegalArgumentException if there are no rows
	 */
	public static Evaluation evaluation(List<String> classes, List<Row> rows, List<String> skipped, UncertaintyMode mode, double flagThreshold,
		int bootstrap, long seed) {
		int n = rows.size();
		if (n == 0) throw new IllegalArgumentException("no rows to evaluate");
		int[] truth = new int[n];
		float[][] probs = new float[n][];
		float[][] raw = new float[n][];
		double[] scores = new double[n];
		boolean[] correct = new boolean[n];
		String[] keys = new String[n];
		int[] uncertain = new int[n];
		int[] ood = new int[n];
		boolean anyUncertain = false;
		for (int i = 0; i < n; i++) {
			Row r = rows.get(i);
			truth[i] = r.truth();
			probs[i] = r.probabilities();
			raw[i] = r.uncalibrated();
			int top = Probabilities.argmax(probs[i]);
			scores[i] = r.uncertainty() != null ? -r.uncertainty().entropy() : probs[i][top];
			correct[i] = top == truth[i];
			keys[i] = key(r.file(), r.slice());
			uncertain[i] = r.uncertainty() == null || Double.isNaN(flagThreshold) ? -1 : r.uncertainty().uncertain();
			anyUncertain |= uncertain[i] >= 0;
			ood[i] = r.outOfDistribution();
		}
		RiskCoverage rc = RiskCoverage.compute(scores, correct, mode != UncertaintyMode.NONE ? "negative predictive entropy (" + mode.key() + ")" : "confidence");
		Metrics.Extras extras = new Metrics.Extras(keys, raw, anyUncertain ? uncertain : null, ood, scores);
		Metrics m = Metrics.compute(classes, truth, probs, extras, bootstrap, seed);
		return new Evaluation(m, rows, skipped, m.estimate("ece_uncalibrated").value(), rc, mode, flagThreshold);
	}

	/** The key that orders a row before resampling: its file's absolute path, then its slice. */
	static String key(Path file, int slice) {
		return file.toAbsolutePath().normalize().toString().replace('\\', '/') + "#" + String.format(java.util.Locale.ROOT, "%09d", slice);
	}


	/** Slices waiting for the engine. */
	private final class Pending {
		final float[] data;
		final List<Path> files = new ArrayList<>();
		final List<Integer> slices = new ArrayList<>();
		final List<Integer> truths = new ArrayList<>();
		int filled;

		Pending(int capacity, int perSlice) {
			data = new float[capacity * perSlice];
		}

		void add(Path file, int slice, int truth) {
			files.add(file);
			slices.add(slice);
			truths.add(truth);
			filled++;
		}

		void flush(PassSampler sampler, int passes, double threshold, List<Row> rows) throws TranslateException {
			long[] keys = new long[filled];
			for (int i = 0; i < filled; i++) keys[i] = slices.get(i);
			PassSampler.Batch b = sampler.run(data, filled, passes, keys);
			double[] ood = b.oodScores(models);
			for (int i = 0; i < filled; i++) {
				float[] p = b.probabilities()[i];
				UncertaintyEstimate u = uncertainty.enabled() ? Uncertainty.estimate(b.samples()[i], Probabilities.argmax(p)).flagged(threshold) : null;
				rows.add(new Row(files.get(i), slices.get(i), truths.get(i), p, b.uncalibrated()[i], u, ood[i]));
			}
			files.clear();
			slices.clear();
			truths.clear();
			filled = 0;
		}
	}
}
