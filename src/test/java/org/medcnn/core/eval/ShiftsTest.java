package org.medcnn.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.medcnn.core.image.Slice;

/** The synthetic shifts of the shift test do what they say, at the slice's size and in its units. */
class ShiftsTest {

	/** A 40 x 30 ramp from 100 to 1000 along x. */
	static Slice ramp() {
		float[] px = new float[40 * 30];
		for (int y = 0; y < 30; y++) for (int x = 0; x < 40; x++) px[y * 40 + x] = 100 + 900 * x / 39f;
		return new Slice(3, "ramp", 40, 30, px);
	}

	/** A 224 x 30 ramp with a fine checkerboard of +-20 on it (which blur and lower resolution remove); 224 px as the models see it. */
	static Slice textured() {
		float[] px = new float[224 * 30];
		for (int y = 0; y < 30; y++) for (int x = 0; x < 224; x++) px[y * 224 + x] = 100 + 900 * x / 223f + ((x + y) % 2 == 0 ? 20 : -20);
		return new Slice(3, "textured", 224, 30, px);
	}

	@Test
	void everyFamilyHasFourGradedStrengthsThatKeepSizeAndIndex() {
		List<Shifts.Shift> all = Shifts.arithmetic();
		Map<String, List<Shifts.Shift>> byFamily = all.stream().collect(Collectors.groupingBy(Shifts.Shift::family));
		assertEquals(List.of("blur", "colormap", "gamma", "noise", "resolution", "window"), byFamily.keySet().stream().sorted().toList());
		Slice s = textured();
		for (List<Shifts.Shift> family : byFamily.values()) {
			assertEquals(List.of(1, 2, 3, 4), family.stream().map(Shifts.Shift::level).toList());
			double before = -1;
			for (Shifts.Shift shift : family) {
				Slice out = shift.apply(s, 7);
				assertEquals(224, out.width());
				assertEquals(30, out.height());
				assertEquals(3, out.index());
				double change = meanAbsDiff(s, out);
				assertTrue(change > 0, shift + " changes the slice");
				// stronger is further from the slice
				assertTrue(change >= before, shift + ": " + change + " after " + before);
				before = change;
			}
		}
		assertEquals(s, Shifts.NONE.apply(s, 1));
	}

	private static double meanAbsDiff(Slice a, Slice b) {
		double d = 0;
		for (int i = 0; i < a.pixels().length; i++) d += Math.abs(a.pixels()[i] - b.pixels()[i]);
		return d / a.pixels().length;
	}

	@Test
	void windowSaturatesBothEndsWithinTheSliceRange() {
		Slice w = Shifts.window(ramp(), 20);
		float[] v = w.pixels();
		assertEquals(v[0], v[5 * 40 + 3], 1e-3, "the dark end is clipped flat");
		assertEquals(v[39], v[5 * 40 + 36], 1e-3, "the bright end is clipped flat");
		assertTrue(v[0] >= 100 && v[39] <= 1000);
	}

	@Test
	void gammaBelowOneBrightensTheMiddle() {
		Slice g = Shifts.gamma(ramp(), 0.5);
		assertTrue(g.pixels()[20] > ramp().pixels()[20] + 100);
	}

	@Test
	void blurKeepsAConstantAndTheMean() {
		float[] c = new float[16 * 16];
		java.util.Arrays.fill(c, 42);
		assertArrayEquals(c, Shifts.blur(new Slice(1, "", 16, 16, c), 2).pixels(), 1e-3f);
		double before = java.util.stream.IntStream.range(0, 1200).mapToDouble(i -> ramp().pixels()[i]).sum();
		double after = java.util.stream.IntStream.range(0, 1200).mapToDouble(i -> Shifts.blur(ramp(), 1).pixels()[i]).sum();
		assertEquals(before, after, before * 0.01);
	}

	@Test
	void noiseIsSeeded() {
		assertArrayEquals(Shifts.noise(ramp(), 0.1, 5).pixels(), Shifts.noise(ramp(), 0.1, 5).pixels());
		assertNotEquals(Shifts.noise(ramp(), 0.1, 5).pixels()[0], Shifts.noise(ramp(), 0.1, 6).pixels()[0]);
	}

	@Test
	void colormapAtZeroBlendIsTheSliceWithinItsRange() {
		Slice c = Shifts.colormap(ramp(), 0);
		for (int x = 1; x < 39; x++) assertEquals(ramp().pixels()[x], c.pixels()[x], 10, "x " + x);
	}
}
