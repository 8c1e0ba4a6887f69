package org.medcnn.core.eval;

import org.medcnn.core.math.Probabilities;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TemperatureScalingTest {

	/** Labels drawn from softmax(z / T0): the fitted temperature comes back close to T0. */
	@Test
	void recoversAKnownTemperature() {
		for (double t0 : new double[] {0.5, 1.0, 2.5}) {
			SplittableRandom r = new SplittableRandom(11);
			int n = 20000;
			float[][] z = new float[n][3];
			int[] y = new int[n];
			for (int i = 0; i < n; i++) {
				for (int k = 0; k < 3; k++) z[i][k] = (float) (r.nextGaussian() * 3);
				float[] p = Probabilities.softmax(z[i], t0);
				double u = r.nextDouble();
				y[i] = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
			}
			assertEquals(t0, TemperatureScaling.fit(z, y), 0.08 * t0, "T0 = " + t0);
		}
	}

	@Test
	void nllAndSoftmaxByHand() {
		float[][] z = {{0, (float) Math.log(3)}};
		// softmax = (1/4, 3/4); NLL of class 1 = -ln(3/4)
		assertEquals(-Math.log(0.75), TemperatureScaling.nll(z, new int[] {1}, 1), 1e-6);
		// T = 2 halves the logits: softmax(0, ln(3)/2) = (1/(1+sqrt3), sqrt3/(1+sqrt3))
		float[] p = Probabilities.softmax(z[0], 2);
		assertArrayEquals(new float[] {(float) (1 / (1 + Math.sqrt(3))), (float) (Math.sqrt(3) / (1 + Math.sqrt(3)))}, p, 1e-6f);
		assertThrows(IllegalArgumentException.class, () -> TemperatureScaling.fit(new float[0][], new int[0]));
	}
}
