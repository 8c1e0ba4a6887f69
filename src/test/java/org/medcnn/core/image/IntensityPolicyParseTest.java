package org.medcnn.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IntensityPolicyParseTest {

	static String message(String text) {
		return assertThrows(IllegalArgumentException.class, () -> IntensityPolicy.parse(text), text).getMessage();
	}

	@Test
	void validForms() {
		assertEquals(new IntensityPolicy.Percentile(0.5, 99.5), IntensityPolicy.parse("percentile:0.5:99.5"));
		assertEquals(new IntensityPolicy.Window(-600, 1500), IntensityPolicy.parse("window:-600:1500"));
		assertEquals(new IntensityPolicy.Range(0, 255), IntensityPolicy.parse("range:0:255"));
		// Case of the name, surrounding blanks and number syntax do not matter.
		assertEquals(new IntensityPolicy.Window(40, 400), IntensityPolicy.parse("  WINDOW:40:400\t"));
		assertEquals(new IntensityPolicy.Window(40, 400), IntensityPolicy.parse("Window: 40 : 400.0"));
		assertEquals(new IntensityPolicy.Range(-1000, 3000), IntensityPolicy.parse("range:-1e3:3E3"));
		assertEquals(new IntensityPolicy.Percentile(0, 100), IntensityPolicy.parse("percentile:0:100"));
		// What parse returns is what describe() writes back.
		assertEquals("window(center=-600, width=1500)", IntensityPolicy.parse("window:-600:1500").describe());
	}

	@Test
	void wrongShapeNamesTheAcceptedForms() {
		for (String bad : new String[] {"", "window", "window:40", "window:40:", "window:40:400:9", "40:400", "percentile-1-99"}) {
			String m = message(bad);
			assertTrue(m.contains("'" + bad + "'") && m.contains("percentile:LOW:HIGH, window:CENTER:WIDTH, range:MIN:MAX or zscore"), m);
		}
		String m = message(null);
		assertTrue(m.contains("'null'") && m.contains("window:CENTER:WIDTH"), m);
	}

	@Test
	void zscoreStandardisesEachSliceUnclamped() {
		IntensityPolicy z = IntensityPolicy.parse("zscore");
		assertEquals("steps(zero_mean_unit_variance(eps=1.0E-6))", z.describe());
		float[] v = z.apply(new float[] {1, 2, 3, 4});
		// mean 2.5, population sd sqrt(1.25): values beyond [0, 1] are kept
		assertEquals(-1.5 / (Math.sqrt(1.25) + 1e-6), v[0], 1e-6);
		assertEquals(1.5 / (Math.sqrt(1.25) + 1e-6), v[3], 1e-6);
	}

	@Test
	void notNumbers() {
		for (String bad : new String[] {"window:a:400", "window::400", "range:0:255x", "percentile:1,5:99"}) {
			String m = message(bad);
			assertTrue(m.contains("'" + bad + "'") && m.contains("numbers expected"), m);
		}
	}

	@Test
	void unknownPolicyName() {
		String m = message("level:40:400");
		assertTrue(m.contains("'level:40:400'") && m.contains("must start with percentile, window or range"), m);
		assertTrue(message("hu:0:1").contains("must start with"));
	}

	@Test
	void invalidValuesAreRefusedByThePolicy() {
		assertTrue(message("window:40:0").contains("width must be positive"));
		assertTrue(message("window:40:-400").contains("width must be positive"));
		assertTrue(message("range:255:0").contains("must be greater than min"));
		assertTrue(message("range:5:5").contains("must be greater than min"));
		assertTrue(message("percentile:99:1").contains("0 <= low < high <= 100"));
		assertTrue(message("percentile:-1:99").contains("0 <= low < high <= 100"));
		assertTrue(message("percentile:1:101").contains("0 <= low < high <= 100"));
	}

	@Test
	void nonFiniteNumbersAreRefused() {
		// Double.parseDouble accepts these words; as a window or range they would turn every pixel into
		// NaN (e.g. window:NaN:400, or (v + inf) * 0 for range:-Infinity:0), so they must not pass.
		for (String bad : new String[] {"window:NaN:400", "window:40:NaN", "window:40:Infinity", "window:-Infinity:400",
			"range:NaN:1", "range:0:Infinity", "range:-Infinity:0", "percentile:NaN:99", "percentile:1:NaN"}) {
			String m = message(bad);
			assertTrue(m.startsWith("intensity"), m);
		}
		assertThrows(IllegalArgumentException.class, () -> new IntensityPolicy.Window(Double.NaN, 400));
		assertThrows(IllegalArgumentException.class, () -> new IntensityPolicy.Range(0, Double.POSITIVE_INFINITY));
	}
}
