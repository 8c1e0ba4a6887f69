package org.medcnn.core.eval;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.medcnn.core.classify.OodScores;
import org.medcnn.core.classify.PassSampler;
import org.medcnn.core.data.Sample;
import org.medcnn.core.data.SampleReader;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.Seeds;
import org.medcnn.core.uncertainty.UncertaintyOptions;

/**
 * Robustness under shift: classifies a model's own labelled slices (usually its test part) unchanged
 * and under each {@link Shifts.Shift}, and reports per shift and strength the accuracy and macro F1 next
 * to the share of slices that the out-of-distribution detector flags. What one wants to see is the flag
 * rising where the accuracy falls.
 */
public final class ShiftTest {

	private final Ensemble models;
	private final SampleReader reader;
	private final int batchSize;

	/**
	 * @param models the model(s)
	 * @param reader reads the images
	 * @param batchSize slices per engine call, 1 to 1024
	 */
	public ShiftTest(Ensemble models, SampleReader reader, int batchSize) {
		if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("batch_size must be between 1 and 1024, got " + batchSize);
		this.models = models;
		this.reader = reader;
		this.batchSize = batchSize;
	}

	/**
	 * The outcome of one shift at one strength.
	 *
	 * @param family the shift family ({@code none} for the unchanged slices)
	 * @param level the strength, 0 to 4
	 * @param parameter the parameter at this strength
	 * @param slices slices classified
	 * @param accuracy accuracy
	 * @param macroF1 macro F1
	 * @param oodFlagged the share flagged out_of_distribution, NaN without a detector
	 * @param oodMeanScore the mean ood_score, NaN without a detector
	 * @param accuracyKept accuracy on the unflagged slices, NaN when none or without a detector
	 * @param accuracyFlagged accuracy on the flagged slices, NaN when none or without a detector
	 */
	public record Row(String family, int level, String parameter, int slices, double accuracy, double macroF1, double oodFlagged, double oodMeanScore,
		double accuracyKept, double accuracyFlagged) {}

	/**
	 * The result.
	 *
	 * @param rows the unchanged slices first, then every shift in the order given
	 * @param skipped unreadable files with the reason
	 */
	public record Result(List<Row> rows, List<String> skipped) {}

	/**
	 * Runs the test.
	 *
	 * @param samples labelled files; labels must be classes of the model
	 * @param shifts the shifts (the unchanged slices are always measured first)
	 * @param seed seed of the noise
	 * @param progress receives progress per shift
	 * @param cancellation checked between batches
	 * @return the rows
	 * @throws IllegalArgumentException for a label that is not a class, or when nothing is readable
	 * @throws TranslateException if the engine fails
	 */
	public Result run(List<Sample> samples, List<Shifts.Shift> shifts, long seed, ProgressListener progress, Cancellation cancellation)
		throws TranslateException {
		List<String> classes = models.primary().card().classes();
		SlicePreprocessor pre = new SlicePreprocessor(models.primary().card().input());
		List<Slice> slices = new ArrayList<>();
		List<Integer> truth = new ArrayList<>();
		List<String> skipped = new ArrayList<>();
		for (Sample s : samples) {
			int label = classes.indexOf(s.label());
			if (label < 0) throw new IllegalArgumentException(s.file() + ": label '" + s.label() + "' is not a class of " + models.id() + " " + classes);
			try {
				for (Slice sl : reader.read(s.file())) {
					pre.check(sl);
					slices.add(sl);
					truth.add(label);
				}
			} catch (IOException | IllegalArgumentException e) {
				skipped.add(s.file() + ": " + e.getMessage());
			}
		}
		if (slices.isEmpty()) throw new IllegalArgumentException("no readable images to test (" + skipped.size() + " skipped)");
		int[] y = truth.stream().mapToInt(Integer::intValue).toArray();
		List<Shifts.Shift> all = new ArrayList<>();
		all.add(Shifts.NONE);
		all.addAll(shifts);
		List<Row> rows = new ArrayList<>();
		int per = pre.spec().tensorSize();
		float[] data = new float[batchSize * per];
		try (PassSampler sampler = new PassSampler(models, UncertaintyOptions.NONE, batchSize)) {
			for (int k = 0; k < all.size(); k++) {
				Shifts.Shift shift = all.get(k);
				progress.progress("shift " + shift, k, all.size());
				float[][] probs = new float[slices.size()][];
				OodScores.Collector collector = new OodScores.Collector(models, slices.size());
				for (int start = 0; start < slices.size(); start += batchSize) {
					cancellation.check("shift test");
					int b = Math.min(batchSize, slices.size() - start);
					long[] keys = new long[b];
					for (int i = 0; i < b; i++) {
						Slice shifted = shift.apply(slices.get(start + i), Seeds.mix(seed, start + i, k, 0));
						pre.preprocess(shifted, data, i * per);
						keys[i] = start + i + 1;
					}
					PassSampler.Batch out = sampler.run(data, b, 1, keys);
					for (int i = 0; i < b; i++) probs[start + i] = out.probabilities()[i];
					collector.put(out, start, b);
				}
				double[] ood = collector.scores();
				rows.add(row(shift, classes, y, probs, ood, seed));
			}
		}
		progress.progress("shift test", all.size(), all.size());
		return new Result(rows, skipped);
	}

	private static Row row(Shifts.Shift shift, List<String> classes, int[] y, float[][] probs, double[] ood, long seed) {
		Metrics m = Metrics.compute(classes, y, probs, 0, seed);
		int scored = 0;
		int flagged = 0;
		double sum = 0;
		int keptRight = 0;
		int flaggedRight = 0;
		for (int i = 0; i < y.length; i++) {
			if (Double.isNaN(ood[i])) continue;
			scored++;
			sum += ood[i];
			boolean right = Probabilities.argmax(probs[i]) == y[i];
			if (ood[i] > 1) {
				flagged++;
				if (right) flaggedRight++;
			} else if (right) {
				keptRight++;
			}
		}
		double share = scored == 0 ? Double.NaN : flagged / (double) scored;
		double mean = scored == 0 ? Double.NaN : sum / scored;
		double kept = scored - flagged == 0 ? Double.NaN : keptRight / (double) (scored - flagged);
		double fl = flagged == 0 ? Double.NaN : flaggedRight / (double) flagged;
		return new Row(shift.family(), shift.level(), shift.parameter(), y.length, m.accuracy(), m.macroF1(), share, mean, kept, fl);
	}
}
