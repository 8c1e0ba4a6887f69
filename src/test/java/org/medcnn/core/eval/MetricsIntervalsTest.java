package org.medcnn.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.medcnn.core.math.Probabilities;

/** Intervals of every metric: stratified, order-independent, containing their estimates; the binary report. */
class MetricsIntervalsTest {

	private static final List<String> ABC = List.of("A", "B", "C");

	/** Rows of a noisy 3-class classifier with every extra an evaluation has. */
	private record Data(int[] truth, float[][] probs, Metrics.Extras extras) {

		static Data random(long seed, int n) {
			Random r = new Random(seed);
			int[] truth = new int[n];
			float[][] probs = new float[n][];
			float[][] raw = new float[n][];
			String[] keys = new String[n];
			int[] uncertain = new int[n];
			int[] ood = new int[n];
			double[] rank = new double[n];
			for (int i = 0; i < n; i++) {
				truth[i] = i % 7 == 0 ? 2 : r.nextInt(2); // C is small
				float[] z = new float[3];
				for (int k = 0; k < 3; k++) z[k] = (float) r.nextGaussian() + (k == truth[i] ? 1.2f : 0);
				probs[i] = Probabilities.softmax(z, 1);
				raw[i] = Probabilities.softmax(z, 0.5);
				keys[i] = String.format("/data/%s/img%04d.png#1", ABC.get(truth[i]), i);
				uncertain[i] = probs[i][Probabilities.argmax(probs[i])] < 0.6 ? 1 : 0;
				ood[i] = r.nextDouble() < 0.1 ? 1 : 0;
				rank[i] = probs[i][Probabilities.argmax(probs[i])];
			}
			return new Data(truth, probs, new Metrics.Extras(keys, raw, uncertain, ood, rank));
		}

		Data shuffled(long seed) {
			List<Integer> idx = new ArrayList<>();
			for (int i = 0; i < truth.length; i++) idx.add(i);
			Collections.shuffle(idx, new Random(seed));
			int n = truth.length;
			int[] t = new int[n];
			float[][] p = new float[n][];
			float[][] raw = new float[n][];
			String[] keys = new String[n];
			int[] u = new int[n];
			int[] o = new int[n];
			double[] rank = new double[n];
			for (int i = 0; i < n; i++) {
				int j = idx.get(i);
				t[i] = truth[j];
				p[i] = probs[j];
				raw[i] = extras.uncalibrated()[j];
				keys[i] = extras.keys()[j];
				u[i] = extras.uncertain()[j];
				o[i] = extras.ood()[j];
				rank[i] = extras.rankScores()[j];
			}
			return new Data(t, p, new Metrics.Extras(keys, raw, u, o, rank));
		}

		Metrics metrics(int resamples, long seed) {
			return Metrics.compute(ABC, truth, probs, extras, resamples, seed);
		}
	}

	@Test
	void theSameRowsInAnotherOrderGiveTheSameIntervals() {
		Data d = Data.random(5, 240);
		Metrics a = d.metrics(400, 42);
		Metrics b = d.shuffled(9).metrics(400, 42);
		assertEquals(a.overall(), b.overall());
		assertArrayEquals(a.precisionEstimates(), b.precisionEstimates());
		assertArrayEquals(a.recallEstimates(), b.recallEstimates());
		assertArrayEquals(a.f1Estimates(), b.f1Estimates());
		assertArrayEquals(a.rocAucEstimates(), b.rocAucEstimates());
		assertEquals(a.binary(List.of("C")), b.binary(List.of("C")));
		// also without keys (rows ordered by their content), as the trainers call it
		Data s = d.shuffled(3);
		assertEquals(Metrics.compute(ABC, d.truth, d.probs, 300, 1).overall(), Metrics.compute(ABC, s.truth, s.probs, 300, 1).overall());
		// another seed gives other draws
		assertTrue(!a.overall().get("accuracy").equals(d.metrics(400, 43).overall().get("accuracy")));
	}

	@Test
	void everyDefinedMetricHasAnIntervalThatContainsIt() {
		for (long seed = 1; seed <= 6; seed++) {
			Data d = Data.random(seed, seed % 2 == 0 ? 40 : 300);
			Metrics m = d.metrics(300, seed);
			Map<String, Estimate> overall = m.overall();
			assertEquals(Metrics.OVERALL, new ArrayList<>(overall.keySet()), "every overall metric is computed with all extras");
			List<Estimate> all = new ArrayList<>(overall.values());
			Collections.addAll(all, m.precisionEstimates());
			Collections.addAll(all, m.recallEstimates());
			Collections.addAll(all, m.f1Estimates());
			Collections.addAll(all, m.rocAucEstimates());
			all.addAll(m.binary(List.of("C")).estimates());
			for (Estimate e : all) {
				if (!e.defined()) continue;
				assertTrue(e.hasInterval(), "interval missing: " + e);
				assertTrue(e.low() <= e.value() && e.value() <= e.high(), "estimate outside its interval: " + e);
			}
		}
	}

	@Test
	void eceIntervalContainsTheEstimateOnSmallSets() {
		// Resampling inflates the ECE of a small set: the percentile interval of such data can lie above the estimate.
		int outside = 0;
		for (long seed = 1; seed <= 20; seed++) {
			Random r = new Random(seed);
			int n = 25;
			int[] truth = new int[n];
			float[][] probs = new float[n][];
			for (int i = 0; i < n; i++) {
				float p = 0.55f + 0.45f * r.nextFloat();
				truth[i] = r.nextFloat() < p ? 0 : 1;
				probs[i] = new float[] {p, 1 - p};
			}
			Metrics m = Metrics.compute(List.of("a", "b"), truth, probs, 500, seed);
			double[] ci = m.eceCi();
			assertTrue(ci[0] <= m.ece() && m.ece() <= ci[1], "seed " + seed + ": " + m.ece() + " outside " + ci[0] + ".." + ci[1]);
			if (ci[0] == m.ece()) outside++;
		}
		// the bias correction, not only the extension, keeps most intervals around their estimate
		assertTrue(outside < 10, outside + " of 20 intervals needed extending");
	}

	@Test
	void resamplesKeepTheClassCounts() {
		// A statistic that counts each stratum's weight: identical in every stratified resample.
		int[] strata = {0, 0, 0, 1, 2, 2, 2, 2, 2, 2};
		Estimate[] e = Bootstrap.estimate(strata, w -> {
			double[] c = new double[3];
			for (int i = 0; i < w.length; i++) c[strata[i]] += w[i];
			return c;
		}, 200, 7);
		assertEquals(new Estimate(3, 3, 3), e[0]);
		assertEquals(new Estimate(1, 1, 1), e[1]);
		assertEquals(new Estimate(6, 6, 6), e[2]);
	}

	@Test
	void bcaShiftsTheIntervalOfABiasedStatistic() {
		// The square of a mean is biased upward under resampling; BCa moves its interval down, below the percentile one.
		Random r = new Random(3);
		int n = 30;
		double[] x = new double[n];
		for (int i = 0; i < n; i++) x[i] = r.nextGaussian() * 0.5 + 0.2;
		Bootstrap.Statistic sq = w -> {
			double s = 0;
			double t = 0;
			for (int i = 0; i < n; i++) {
				s += w[i] * x[i];
				t += w[i];
			}
			return new double[] {(s / t) * (s / t)};
		};
		Estimate e = Bootstrap.estimate(new int[n], sq, 2000, 1)[0];
		double[] reps = new double[2000];
		java.util.SplittableRandom g = new java.util.SplittableRandom(1);
		for (int b = 0; b < reps.length; b++) {
			double[] w = new double[n];
			for (int i = 0; i < n; i++) w[g.nextInt(n)]++;
			reps[b] = sq.of(w)[0];
		}
		java.util.Arrays.sort(reps);
		double percentileLow = Metrics.quantile(reps, 0.025);
		assertTrue(e.low() < percentileLow, "BCa low " + e.low() + " vs percentile " + percentileLow);
		assertTrue(e.low() <= e.value() && e.value() <= e.high(), e.toString());
	}

	@Test
	void normalDistributionAndItsInverse() {
		assertEquals(0.5, Bootstrap.normal(0), 1e-15);
		assertEquals(0.975, Bootstrap.normal(1.959963984540054), 1e-12);
		assertEquals(0.8413447460685429, Bootstrap.normal(1), 1e-12);
		assertEquals(-1.959963984540054, Bootstrap.inverseNormal(0.025), 1e-9);
		assertEquals(3.090232306167813, Bootstrap.inverseNormal(0.999), 1e-9);
	}

	@Test
	void binaryReportByHand() {
		// The worked example of MetricsTest: positives B and C. Predicted A A B A B B A C B C.
		// Truth positive: rows 4-9; called positive: rows 2, 4, 5, 7, 8, 9. TP 5 (4, 5, 7, 8, 9), FN 1 (6), FP 1 (2), TN 3 (0, 1, 3).
		Metrics m = Metrics.compute(ABC, MetricsTest.TRUTH, MetricsTest.PROBS, 300, 1);
		BinaryMetrics b = m.binary(List.of("C", "B"));
		assertEquals(List.of("B", "C"), b.positives());
		assertEquals(List.of("A"), b.negatives());
		assertEquals(5, b.truePositives());
		assertEquals(1, b.falseNegatives());
		assertEquals(1, b.falsePositives());
		assertEquals(3, b.trueNegatives());
		assertEquals(5.0 / 6, b.sensitivity().value(), 1e-12);
		assertEquals(3.0 / 4, b.specificity().value(), 1e-12);
		assertEquals(5.0 / 6, b.ppv().value(), 1e-12);
		assertEquals(3.0 / 4, b.npv().value(), 1e-12);
		assertEquals(0.8, b.accuracy().value(), 1e-12);
		assertEquals("B+C vs A", b.describe());
		// C alone: TP 2 (7, 9), FN 1 (8), no FP; its AUC is that of p_C, 19.5/21 (MetricsTest)
		BinaryMetrics c = m.binary(List.of("C"));
		assertEquals(2.0 / 3, c.sensitivity().value(), 1e-12);
		assertEquals(1, c.specificity().value(), 1e-12);
		assertEquals(1, c.ppv().value(), 1e-12);
		assertEquals(7.0 / 8, c.npv().value(), 1e-12);
		assertEquals(19.5 / 21, c.rocAuc().value(), 1e-12);
		IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> m.binary(List.of("D")));
		assertTrue(unknown.getMessage().contains("'D' is not a class"), unknown.getMessage());
		IllegalArgumentException all = assertThrows(IllegalArgumentException.class, () -> m.binary(ABC));
		assertTrue(all.getMessage().contains("every class"), all.getMessage());
	}

	@Test
	void rocCurveRunsFromZeroToOne() {
		Metrics m = Metrics.compute(ABC, MetricsTest.TRUTH, MetricsTest.PROBS, 0, 1);
		double[][] roc = m.rocCurve(2);
		int last = roc[0].length - 1;
		assertEquals(0, roc[0][0]);
		assertEquals(0, roc[1][0]);
		assertEquals(1, roc[0][last], 1e-12);
		assertEquals(1, roc[1][last], 1e-12);
		// trapezoids under the curve give the AUC (ties as diagonal steps)
		double area = 0;
		for (int i = 1; i <= last; i++) area += (roc[0][i] - roc[0][i - 1]) * (roc[1][i] + roc[1][i - 1]) / 2;
		assertEquals(19.5 / 21, area, 1e-12);
	}
}
