package org.medcnn.core.uncertainty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class UncertaintyTest {

	private static final double LN2 = Math.log(2);

	@Test
	void confidentMembersThatDisagreeAreAllEpistemic() {
		// mean (0.5, 0.5): H = ln 2; each member has H = 0; MI = ln 2; top class 0 has p 1 and 0: std 0.5.
		UncertaintyEstimate u = Uncertainty.estimate(new float[][] {{1, 0}, {0, 1}}, 0);
		assertEquals(LN2, u.entropy(), 1e-7);
		assertEquals(0, u.expectedEntropy(), 1e-7);
		assertEquals(LN2, u.mutualInformation(), 1e-7);
		assertEquals(0.5, u.stdTop(), 1e-7);
		assertEquals(2, u.samples());
		assertEquals(-1, u.uncertain());
	}

	@Test
	void agreeingUnsureMembersAreAllAleatoric() {
		UncertaintyEstimate u = Uncertainty.estimate(new float[][] {{0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}}, 0);
		assertEquals(LN2, u.entropy(), 1e-7);
		assertEquals(LN2, u.expectedEntropy(), 1e-7);
		assertEquals(0, u.mutualInformation(), 1e-7);
		assertEquals(0, u.stdTop(), 1e-7);
	}

	@Test
	void threeClassesByHand() {
		// Samples (0.7, 0.2, 0.1) and (0.3, 0.6, 0.1); mean (0.5, 0.4, 0.1).
		// H(mean) = -(0.5 ln 0.5 + 0.4 ln 0.4 + 0.1 ln 0.1) = 0.346574 + 0.366516 + 0.230259 = 0.943348
		// H(s1) = -(0.7 ln 0.7 + 0.2 ln 0.2 + 0.1 ln 0.1) = 0.249672 + 0.321888 + 0.230259 = 0.801819
		// H(s2) = -(0.3 ln 0.3 + 0.6 ln 0.6 + 0.1 ln 0.1) = 0.361192 + 0.306495 + 0.230259 = 0.897946
		// expected H = 0.849882; MI = 0.093466; top class 0: values 0.7 and 0.3, std 0.2.
		float[][] s = {{0.7f, 0.2f, 0.1f}, {0.3f, 0.6f, 0.1f}};
		assertArrayEquals(new float[] {0.5f, 0.4f, 0.1f}, Uncertainty.mean(s), 1e-7f);
		UncertaintyEstimate u = Uncertainty.estimate(s, 0);
		assertEquals(0.943348, u.entropy(), 1e-5);
		assertEquals(0.849882, u.expectedEntropy(), 1e-5);
		assertEquals(0.093466, u.mutualInformation(), 1e-5);
		assertEquals(0.2, u.stdTop(), 1e-6);
	}

	@Test
	void oneSampleHasNoEpistemicPart() {
		UncertaintyEstimate u = Uncertainty.estimate(new float[][] {{0.9f, 0.1f}}, 0);
		assertEquals(-(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1)), u.entropy(), 1e-6);
		assertEquals(0, u.mutualInformation(), 1e-7);
		assertEquals(0, u.stdTop(), 1e-7);
	}

	@Test
	void flagFollowsTheThreshold() {
		UncertaintyEstimate u = Uncertainty.estimate(new float[][] {{0.5f, 0.5f}}, 0);
		assertEquals(1, u.flagged(0.5).uncertain());
		assertEquals(0, u.flagged(0.7).uncertain());
		assertEquals(-1, u.flagged(Double.NaN).uncertain());
	}

	@Test
	void zeroProbabilitiesAddNoEntropy() {
		assertEquals(0, Uncertainty.entropy(new float[] {1, 0, 0}), 0);
		assertThrows(IllegalArgumentException.class, () -> Uncertainty.mean(new float[0][]));
	}

	@Test
	void modesParseByKey() {
		assertEquals(UncertaintyMode.MC_DROPOUT, UncertaintyMode.parse("mc_dropout"));
		assertEquals(UncertaintyMode.NONE, UncertaintyMode.parse(""));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UncertaintyMode.parse("bayes"));
		assertEquals("uncertainty 'bayes' is not one of [none, tta, mc_dropout, ensemble]", e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new UncertaintyOptions(UncertaintyMode.TTA, 1, 0, Double.NaN));
		assertThrows(IllegalArgumentException.class, () -> new UncertaintyOptions(UncertaintyMode.TTA, 8, 0, -0.1));
	}

	@Test
	void aThresholdThatIsNotFiniteIsRefused() {
		// Macros reach this with uncertainty_threshold=Infinity (SciJava parses it); NaN means "the card's".
		for (double bad : new double[] {Double.POSITIVE_INFINITY, -1}) {
			IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new UncertaintyOptions(UncertaintyMode.TTA, 4, 0, bad));
			org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("uncertainty_threshold"), e.getMessage());
		}
		assertEquals(0.5, new UncertaintyOptions(UncertaintyMode.TTA, 4, 0, 0.5).threshold());
	}
}
