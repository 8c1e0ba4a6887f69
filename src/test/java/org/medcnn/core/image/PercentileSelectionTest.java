package org.medcnn.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Selection gives exactly the percentiles of a sorted copy (so models trained before keep their inputs). */
class PercentileSelectionTest {

	@Test
	void selectionEqualsSorting() {
		SplittableRandom r = new SplittableRandom(3);
		for (int trial = 0; trial < 200; trial++) {
			int n = 1 + r.nextInt(3000);
			float[] v = new float[n];
			boolean ties = trial % 3 == 0;
			for (int i = 0; i < n; i++) v[i] = ties ? r.nextInt(7) - 3 + (trial % 2 == 0 ? 0 : 1000) : (float) r.nextGaussian() * 1000 + 0.5f;
			float[] sorted = v.clone();
			Arrays.sort(sorted);
			for (double p : new double[] {0, 0.5, 1, 37.3, 50, 99.5, 100}) {
				double expected = IntensityPolicy.percentile(sorted, p);
				assertEquals(expected, IntensityPolicy.selectPercentile(v.clone(), p), 0.0, "n=" + n + " p=" + p);
				double[] hist = IntensityPolicy.integerPercentiles(v, p, p);
				if (ties) assertEquals(expected, hist[0], 0.0, "histogram, n=" + n + " p=" + p);
				else assertEquals(null, hist, "non-integer data takes the selection path");
			}
		}
	}
}
