package org.medcnn.core.uncertainty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FlagThresholdsTest {

	@Test
	void thresholdKeepsTheTargetCoverage() {
		Random r = new Random(3);
		for (int n : new int[] {1, 7, 100, 491}) {
			double[] e = new double[n];
			for (int i = 0; i < n; i++) e[i] = r.nextDouble() * 1.4;
			for (double target : new double[] {0.5, 0.8, 0.9, 0.95, 1.0}) {
				double t = FlagThresholds.choose(e, target);
				double kept = FlagThresholds.coverage(e, t);
				// The smallest coverage that reaches the target: within one slice of it, never below.
				assertTrue(kept >= target - 1e-12, n + " " + target + " " + kept);
				assertTrue(kept < target + 1.0 / n + 1e-12, n + " " + target + " " + kept);
			}
		}
	}

	@Test
	void thresholdLiesBetweenKeptAndFlagged() {
		double[] e = {0.1, 0.4, 0.2, 0.3};
		assertEquals(0.35, FlagThresholds.choose(e, 0.75), 1e-12);
		assertEquals(0.4, FlagThresholds.choose(e, 1.0), 1e-12);
		assertEquals(0.75, FlagThresholds.coverage(e, 0.35), 1e-12);
	}

	@Test
	void tiesKeepTheWholeTie() {
		double[] e = {0.2, 0.2, 0.2, 0.9};
		double t = FlagThresholds.choose(e, 0.5);
		assertEquals(0.75, FlagThresholds.coverage(e, t), 1e-12);
	}

	@Test
	void badInputIsNamed() {
		assertThrows(IllegalArgumentException.class, () -> FlagThresholds.choose(new double[0], 0.9));
		assertThrows(IllegalArgumentException.class, () -> FlagThresholds.choose(new double[] {1}, 0));
		assertThrows(IllegalArgumentException.class, () -> FlagThresholds.choose(new double[] {Double.NaN}, 0.9));
	}
}
