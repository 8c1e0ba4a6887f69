package org.medcnn.core.uncertainty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RiskCoverageTest {

	@Test
	void mostConfidentFirst() {
		// Ranked by score: 0.9 right, 0.8 right, 0.6 wrong, 0.5 right.
		RiskCoverage rc = RiskCoverage.compute(new double[] {0.5, 0.9, 0.6, 0.8}, new boolean[] {true, true, false, true}, "confidence");
		List<RiskCoverage.Point> p = rc.points();
		assertEquals(4, p.size());
		assertEquals(1.0, p.get(0).accuracy(), 1e-12);
		assertEquals(0.25, p.get(0).coverage(), 1e-12);
		assertEquals(1.0, p.get(1).accuracy(), 1e-12);
		assertEquals(2 / 3.0, p.get(2).accuracy(), 1e-12);
		assertEquals(0.75, p.get(3).accuracy(), 1e-12);
		// AURC = mean selective risk = (0 + 0 + 1/3 + 1/4) / 4
		assertEquals((1 / 3.0 + 0.25) / 4, rc.aurc(), 1e-12);
		assertEquals(1.0, rc.accuracyAt(0.5), 1e-12);
		assertEquals(0.75, rc.accuracyAt(1.0), 1e-12);
	}

	@Test
	void tiedScoresFormOnePoint() {
		RiskCoverage rc = RiskCoverage.compute(new double[] {0.7, 0.7, 0.3}, new boolean[] {true, false, true}, "confidence");
		assertEquals(2, rc.points().size());
		assertEquals(0.5, rc.points().get(0).accuracy(), 1e-12);
		assertEquals(2, rc.points().get(0).kept());
	}

	@Test
	void areaOfTiedScoresDoesNotDependOnTheirOrder() {
		// Two slices tied at 0.7, one right and one wrong, then a right one: expected risk at coverage 1/3 is 1/2
		// (either may come first), at 2/3 it is 1/2, at 1 it is 1/3.
		RiskCoverage a = RiskCoverage.compute(new double[] {0.7, 0.7, 0.3}, new boolean[] {true, false, true}, "confidence");
		RiskCoverage b = RiskCoverage.compute(new double[] {0.7, 0.7, 0.3}, new boolean[] {false, true, true}, "confidence");
		assertEquals((0.5 + 0.5 + 1 / 3.0) / 3, a.aurc(), 1e-12);
		assertEquals(a.aurc(), b.aurc(), 0);
	}
}
