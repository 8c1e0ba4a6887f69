package org.medcnn.core.eval;

import org.medcnn.core.math.Probabilities;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MetricsTest {

	private static final List<String> ABC = List.of("A", "B", "C");

	/*
	 * The worked example: 10 samples, 3 classes.
	 *
	 *   #  truth  probs (A, B, C)   predicted
	 *   0  A      0.7 0.2 0.1       A
	 *   1  A      0.6 0.3 0.1       A
	 *   2  A      0.3 0.5 0.2       B
	 *   3  A      0.5 0.1 0.4       A
	 *   4  B      0.2 0.7 0.1       B
	 *   5  B      0.1 0.8 0.1       B
	 *   6  B      0.5 0.3 0.2       A
	 *   7  C      0.3 0.3 0.4       C
	 *   8  C      0.2 0.5 0.3       B
	 *   9  C      0.1 0.2 0.7       C
	 *
	 * Confusion [true][predicted]: A {3, 1, 0}, B {1, 2, 0}, C {0, 1, 2}.
	 * Accuracy 7/10. Recall A 3/4, B 2/3, C 2/3; balanced accuracy (3/4 + 2/3 + 2/3) / 3 = 25/36.
	 * Predicted counts A 4, B 4, C 2: precision A 3/4, B 2/4, C 2/2.
	 * F1 A 3/4, B 2 (1/2)(2/3) / (1/2 + 2/3) = 4/7, C 2 (1)(2/3) / (5/3) = 4/5;
	 * macro F1 (3/4 + 4/7 + 4/5) / 3 = (105 + 80 + 112) / 140 / 3 = 99/140.
	 */
	static final int[] TRUTH = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
	static final float[][] PROBS = {
		{0.7f, 0.2f, 0.1f}, {0.6f, 0.3f, 0.1f}, {0.3f, 0.5f, 0.2f}, {0.5f, 0.1f, 0.4f},
		{0.2f, 0.7f, 0.1f}, {0.1f, 0.8f, 0.1f}, {0.5f, 0.3f, 0.2f},
		{0.3f, 0.3f, 0.4f}, {0.2f, 0.5f, 0.3f}, {0.1f, 0.2f, 0.7f}};

	@Test
	void eceHasABootstrapInterval() {
		Random r = new Random(4);
		int n = 300;
		int[] truth = new int[n];
		float[][] probs = new float[n][];
		for (int i = 0; i < n; i++) {
			float p = 0.5f + 0.5f * r.nextFloat();
			truth[i] = r.nextFloat() < p ? 0 : 1; // calibrated on average
			probs[i] = new float[] {p, 1 - p};
		}
		Metrics m = Metrics.compute(List.of("a", "b"), truth, probs, 500, 1);
		double[] ci = m.eceCi();
		assertTrue(ci[0] <= m.ece() && m.ece() <= ci[1] && ci[0] < ci[1], m.ece() + " " + ci[0] + " " + ci[1]);
		assertEquals(m.ece(), Metrics.ece(truth, probs), 1e-12);
		assertTrue(Double.isNaN(Metrics.compute(List.of("a", "b"), truth, probs, 0, 1).eceCi()[0]));
	}

	@Test
	void confusionAccuracyAndPerClassByHand() {
		Metrics m = Metrics.compute(ABC, TRUTH, PROBS, 0, 1);
		assertEquals(10, m.count());
		assertEquals(ABC, m.classes());
		assertArrayEquals(new long[] {3, 1, 0}, m.confusion()[0]);
		assertArrayEquals(new long[] {1, 2, 0}, m.confusion()[1]);
		assertArrayEquals(new long[] {0, 1, 2}, m.confusion()[2]);
		assertArrayEquals(new long[] {4, 3, 3}, m.support());
		assertEquals(0.7, m.accuracy(), 1e-12);
		assertEquals(25.0 / 36, m.balancedAccuracy(), 1e-12);
		assertArrayEquals(new double[] {3.0 / 4, 2.0 / 4, 1}, m.precision(), 1e-12);
		assertArrayEquals(new double[] {3.0 / 4, 2.0 / 3, 2.0 / 3}, m.recall(), 1e-12);
		assertArrayEquals(new double[] {3.0 / 4, 4.0 / 7, 4.0 / 5}, m.f1(), 1e-12);
		assertEquals(99.0 / 140, m.macroF1(), 1e-12);
		// The table repeats the per-class numbers.
		Object[] rowB = m.table().get(1);
		assertEquals("B", rowB[0]);
		assertEquals(0.5, (double) rowB[1], 1e-12);
		assertEquals(3.0, (double) rowB[4], 1e-12);
	}

	@Test
	void accessorsReturnCopies() {
		Metrics m = Metrics.compute(ABC, TRUTH, PROBS, 0, 1);
		m.confusion()[0][0] = 99;
		m.precision()[0] = 99;
		m.rocAuc()[0] = 99;
		assertEquals(3, m.confusion()[0][0]);
		assertEquals(0.75, m.precision()[0], 1e-12);
		assertEquals(11.0 / 12, m.rocAuc()[0], 1e-12);
	}

	@Test
	void argmaxTakesTheFirstOfEqualMaxima() {
		assertEquals(0, Probabilities.argmax(new float[] {0.4f, 0.4f, 0.2f}));
		assertEquals(2, Probabilities.argmax(new float[] {0.1f, 0.2f, 0.7f}));
	}

	@Test
	void classNeverPredictedHasNoPrecision() {
		// Truth A A B C, predicted A A B B: C is never predicted, so its precision 0/0 is undefined (n/a), while
		// its recall 0/1 and F1 (2TP / (2TP + FP + FN) = 0) are 0. B: precision 1/2, recall 1, F1 2/3.
		int[] truth = {0, 0, 1, 2};
		float[][] probs = {{0.9f, 0.05f, 0.05f}, {0.8f, 0.1f, 0.1f}, {0.1f, 0.8f, 0.1f}, {0.1f, 0.6f, 0.3f}};
		Metrics m = Metrics.compute(ABC, truth, probs, 0, 1);
		assertEquals(1, m.precision()[0], 1e-12);
		assertEquals(0.5, m.precision()[1], 1e-12);
		assertTrue(Double.isNaN(m.precision()[2]), "never predicted: precision undefined, got " + m.precision()[2]);
		assertArrayEquals(new double[] {1, 1, 0}, m.recall(), 1e-12);
		assertArrayEquals(new double[] {1, 2.0 / 3, 0}, m.f1(), 1e-12);
		assertEquals((1 + 2.0 / 3 + 0) / 3, m.macroF1(), 1e-12);
		assertEquals(2.0 / 3, m.balancedAccuracy(), 1e-12);
		assertEquals(ABC, m.averagedOver("macro_f1"));
	}

	@Test
	void classAbsentFromTruthReadsNotAvailableAndIsLeftOutOfEveryAverage() {
		// No true C; C is predicted once (sample 3, a true B). Recall A 1, B 1/2; balanced accuracy 3/4, not
		// (1 + 1/2 + 0) / 3. C has no recall, F1 or AUC (n/a); its precision is 0/1 = 0 (it was predicted, wrongly).
		// Macro F1 runs over A and B: (1 + 2/3) / 2.
		int[] truth = {0, 0, 1, 1};
		float[][] probs = {{0.9f, 0.05f, 0.05f}, {0.8f, 0.1f, 0.1f}, {0.1f, 0.8f, 0.1f}, {0.1f, 0.3f, 0.6f}};
		Metrics m = Metrics.compute(ABC, truth, probs, 200, 1);
		assertArrayEquals(new long[] {2, 2, 0}, m.support());
		assertEquals(0.75, m.balancedAccuracy(), 1e-12);
		assertEquals(1, m.f1()[0], 1e-12);
		assertEquals(2.0 / 3, m.f1()[1], 1e-12);
		assertTrue(Double.isNaN(m.f1()[2]) && Double.isNaN(m.recall()[2]), "no images of C: F1 and recall n/a");
		assertEquals(0, m.precision()[2], 1e-12);
		assertEquals((1 + 2.0 / 3) / 2, m.macroF1(), 1e-12);
		assertEquals(List.of("A", "B"), m.averagedOver("balanced_accuracy"));
		assertEquals(List.of("A", "B"), m.averagedOver("macro_f1"));
		assertEquals(List.of("A", "B"), m.averagedOver("macro_roc_auc"));
		double[] auc = m.rocAuc();
		assertTrue(Double.isNaN(auc[2]), "no positives for C: AUC undefined, got " + auc[2]);
		// A: positives 0.9, 0.8 above both negatives 0.1, 0.1 -> 1. B: positive 0.8 above all, 0.3 above
		// 0.05 and 0.1 -> 4/4 = 1. Macro AUC averages the defined ones only.
		assertEquals(1, auc[0], 1e-12);
		assertEquals(1, auc[1], 1e-12);
		assertEquals(1, m.macroRocAuc(), 1e-12);
		// the undefined ones have no interval either; the defined ones have one
		assertTrue(!m.recallEstimates()[2].hasInterval() && m.recallEstimates()[1].hasInterval());
	}

	@Test
	void classAbsentFromTruthAndPredictionsIsLeftOutOfMacroF1() {
		// A and B perfectly classified, C neither present nor predicted: its F1 is undefined, not a failure.
		int[] truth = {0, 0, 1, 1};
		float[][] probs = {{0.9f, 0.05f, 0.05f}, {0.8f, 0.1f, 0.1f}, {0.1f, 0.8f, 0.1f}, {0.3f, 0.6f, 0.1f}};
		Metrics m = Metrics.compute(ABC, truth, probs, 0, 1);
		assertEquals(1, m.macroF1(), 1e-12);
		assertTrue(Double.isNaN(m.f1()[2]));
		assertTrue(Double.isNaN(m.precision()[2]));
	}

	@Test
	void rocAucByHandWithTies() {
		// Class A: positives 0.7 0.6 0.3 0.5, negatives 0.2 0.1 0.5 0.3 0.2 0.1 (24 pairs).
		// 0.7: 6 wins; 0.6: 6; 0.3: 4 wins + tie with 0.3 = 4.5; 0.5: 5 wins + tie with 0.5 = 5.5 -> 22/24.
		// Class B: positives 0.7 0.8 0.3, negatives 0.2 0.3 0.5 0.1 0.3 0.5 0.2 (21 pairs).
		// 0.7: 7; 0.8: 7; 0.3: 3 wins + 2 ties = 4 -> 18/21.
		// Class C: positives 0.4 0.3 0.7, negatives 0.1 0.1 0.2 0.4 0.1 0.1 0.2 (21 pairs).
		// 0.4: 6 wins + 1 tie = 6.5; 0.3: 6; 0.7: 7 -> 19.5/21.
		Metrics m = Metrics.compute(ABC, TRUTH, PROBS, 0, 1);
		assertArrayEquals(new double[] {22.0 / 24, 18.0 / 21, 19.5 / 21}, m.rocAuc(), 1e-12);
		assertEquals((22.0 / 24 + 18.0 / 21 + 19.5 / 21) / 3, m.macroRocAuc(), 1e-12);
		for (int k = 0; k < 3; k++) assertEquals(bruteForceAuc(TRUTH, PROBS, k), m.rocAuc()[k], 1e-12, "class " + k);
	}

	@Test
	void rocAucMatchesPairwiseCountOnRandomScoresWithManyTies() {
		Random r = new Random(7);
		int n = 60;
		int[] truth = new int[n];
		float[][] probs = new float[n][3];
		for (int i = 0; i < n; i++) {
			truth[i] = r.nextInt(3);
			// Scores on a coarse grid of tenths: many ties within and across classes.
			int a = r.nextInt(11);
			int b = r.nextInt(11 - a);
			probs[i] = new float[] {a / 10f, b / 10f, (10 - a - b) / 10f};
		}
		for (int k = 0; k < 3; k++) assertEquals(bruteForceAuc(truth, probs, k), Metrics.rocAuc(truth, probs, k), 1e-12, "class " + k);
		// All scores equal: every pair is a tie, AUC 1/2.
		float[][] flat = new float[4][];
		for (int i = 0; i < 4; i++) flat[i] = new float[] {0.5f, 0.5f};
		assertEquals(0.5, Metrics.rocAuc(new int[] {0, 1, 0, 1}, flat, 1), 1e-12);
	}

	/** Independent AUC: over all (positive, negative) pairs, 1 for a win, 1/2 for a tie. */
	static double bruteForceAuc(int[] truth, float[][] probs, int k) {
		double wins = 0;
		long pairs = 0;
		for (int i = 0; i < truth.length; i++) {
			if (truth[i] != k) continue;
			for (int j = 0; j < truth.length; j++) {
				if (truth[j] == k) continue;
				pairs++;
				if (probs[i][k] > probs[j][k]) wins += 1;
				else if (probs[i][k] == probs[j][k]) wins += 0.5;
			}
		}
		return wins / pairs;
	}

	@Test
	void eceByHandWithFifteenBins() {
		// Bins of width 1/15, (lo, hi]: (13/15, 14/15] = (0.867, 0.933] is bin 13, (14/15, 1] bin 14,
		// (9/15, 10/15] = (0.6, 0.667] bin 9.
		//   truth  probs        top  confidence  correct  bin
		//   0      0.9  0.1     0    0.9         yes      13
		//   0      0.92 0.08    0    0.92        yes      13
		//   1      0.35 0.65    1    0.65        yes      9
		//   1      1    0       0    1           no       14
		//   1      0    1       1    1           yes      14
		// bin 13: acc 1, conf 0.91 -> 0.09 x 2; bin 9: 0.35 x 1; bin 14: acc 1/2, conf 1 -> 0.5 x 2.
		// ECE = (0.18 + 0.35 + 1.0) / 5 = 0.306.
		int[] truth = {0, 0, 1, 1, 1};
		float[][] probs = {{0.9f, 0.1f}, {0.92f, 0.08f}, {0.35f, 0.65f}, {1f, 0f}, {0f, 1f}};
		Metrics m = Metrics.compute(List.of("no", "yes"), truth, probs, 0, 1);
		assertEquals(15, Metrics.ECE_BINS);
		assertEquals(0.306, m.ece(), 1e-6);
	}

	@Test
	void eceOfConfidentCorrectPredictionsIsZeroAndOfUncertainOnesTheGap() {
		// All confidence 1 and right: zero.
		Metrics sure = Metrics.compute(List.of("a", "b"), new int[] {0, 1}, new float[][] {{1, 0}, {0, 1}}, 0, 1);
		assertEquals(0, sure.ece(), 1e-12);
		// Confidence 0.75 (bin 11) everywhere, half right: |0.5 - 0.75| = 0.25.
		Metrics half = Metrics.compute(List.of("a", "b"), new int[] {0, 1, 0, 0},
			new float[][] {{0.75f, 0.25f}, {0.75f, 0.25f}, {0.25f, 0.75f}, {0.75f, 0.25f}}, 0, 1);
		assertEquals(0.25, half.ece(), 1e-6);
	}

	@Test
	void bootstrapContainsPointEstimateAndIsReproducible() {
		// 300 samples, predictions right about 75 % of the time.
		Random r = new Random(11);
		int n = 300;
		int[] truth = new int[n];
		float[][] probs = new float[n][3];
		for (int i = 0; i < n; i++) {
			truth[i] = r.nextInt(3);
			int p = r.nextDouble() < 0.75 ? truth[i] : r.nextInt(3);
			probs[i] = new float[] {0.1f, 0.1f, 0.1f};
			probs[i][p] = 0.8f;
		}
		Metrics m = Metrics.compute(ABC, truth, probs, 1000, 42);
		double[] acc = m.accuracyCi();
		double[] f1 = m.macroF1Ci();
		assertTrue(acc[0] < m.accuracy() && m.accuracy() < acc[1], "accuracy " + m.accuracy() + " in " + acc[0] + ".." + acc[1]);
		assertTrue(f1[0] < m.macroF1() && m.macroF1() < f1[1], "macro F1 " + m.macroF1() + " in " + f1[0] + ".." + f1[1]);
		// A 95 % interval of an accuracy near 0.8 from 300 samples is roughly +-0.045 wide each side.
		assertTrue(acc[1] - acc[0] > 0.04 && acc[1] - acc[0] < 0.2, "width " + (acc[1] - acc[0]));
		Metrics again = Metrics.compute(ABC, truth, probs, 1000, 42);
		assertArrayEquals(acc, again.accuracyCi());
		assertArrayEquals(f1, again.macroF1Ci());
	}

	@Test
	void noResamplesGiveNaNIntervals() {
		Metrics m = Metrics.compute(ABC, TRUTH, PROBS, 0, 1);
		for (double v : m.accuracyCi()) assertTrue(Double.isNaN(v));
		for (double v : m.macroF1Ci()) assertTrue(Double.isNaN(v));
	}

	@Test
	void perfectClassifierHasIntervalExactlyOne() {
		// Small and unbalanced on purpose: a plain bootstrap would miss class C (3 of 10 samples) in some resamples.
		float[][] probs = new float[TRUTH.length][3];
		for (int i = 0; i < TRUTH.length; i++) probs[i][TRUTH[i]] = 1;
		Metrics m = Metrics.compute(ABC, TRUTH, probs, 1000, 3);
		assertEquals(1, m.accuracy());
		assertEquals(1, m.macroF1());
		assertArrayEquals(new double[] {1, 1}, m.accuracyCi());
		assertArrayEquals(new double[] {1, 1}, m.macroF1Ci());
		for (Estimate e : m.f1Estimates()) assertArrayEquals(new double[] {1, 1}, e.interval());
	}

	@Test
	void quantileInterpolates() {
		double[] s = {0, 10, 20, 30, 40};
		assertEquals(0, Metrics.quantile(s, 0), 1e-12);
		assertEquals(40, Metrics.quantile(s, 1), 1e-12);
		assertEquals(1, Metrics.quantile(s, 0.025), 1e-12); // rank 0.1
		assertEquals(39, Metrics.quantile(s, 0.975), 1e-12); // rank 3.9
	}

	@Test
	void invalidInputsAreNamed() {
		IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
			() -> Metrics.compute(List.of("a"), new int[] {0}, new float[][] {{1}}, 0, 1));
		assertTrue(one.getMessage().contains("2 classes"), one.getMessage());
		IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
			() -> Metrics.compute(ABC, new int[0], new float[0][], 0, 1));
		assertTrue(none.getMessage().contains("at least one sample"), none.getMessage());
		IllegalArgumentException lengths = assertThrows(IllegalArgumentException.class,
			() -> Metrics.compute(ABC, new int[] {0, 1}, new float[][] {{1, 0, 0}}, 0, 1));
		assertTrue(lengths.getMessage().contains("2 labels but 1 predictions"), lengths.getMessage());
		IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
			() -> Metrics.compute(ABC, new int[] {0, 3}, new float[][] {{1, 0, 0}, {0, 1, 0}}, 0, 1));
		assertTrue(label.getMessage().contains("label 3 of sample 1"), label.getMessage());
		IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
			() -> Metrics.compute(ABC, new int[] {-1}, new float[][] {{1, 0, 0}}, 0, 1));
		assertTrue(negative.getMessage().contains("label -1 of sample 0"), negative.getMessage());
		IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
			() -> Metrics.compute(ABC, new int[] {0, 1}, new float[][] {{1, 0, 0}, {0, 1}}, 0, 1));
		assertTrue(width.getMessage().contains("sample 1 has 2 probabilities for 3 classes"), width.getMessage());
	}
}
