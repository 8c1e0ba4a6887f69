package org.medcnn.core.ood;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The detector's distances against hand-computed ones, its threshold rule and its file format. */
class OodDetectorTest {

	@TempDir
	Path tmp;

	/** Three training points on the unit circle's axes; the query (1, 1) normalises to (0.707, 0.707). */
	@Test
	void knnDistanceIsTheKthSquaredDistanceOfNormalisedFeatures() {
		float[][] train = {{2, 0}, {0, 5}, {-3, 0}};
		float[] q = {1, 1};
		double near = 2 - 2 * Math.sqrt(0.5); // to (1, 0) and (0, 1)
		double far = 2 + 2 * Math.sqrt(0.5); // to (-1, 0)
		assertEquals(near, OodFitter.knn(train, 1, false).distance(q, 0), 1e-6);
		assertEquals(near, OodFitter.knn(train, 2, false).distance(q, 0), 1e-6);
		assertEquals(far, OodFitter.knn(train, 3, false).distance(q, 0), 1e-6);
		// the length of the query does not matter
		assertEquals(near, OodFitter.knn(train, 1, false).distance(new float[] {0, 7, 7}, 1), 1e-6);
	}

	/** Hand-computed Mahalanobis distance with the shrunk 2 x 2 covariance, inverted by hand. */
	@Test
	void mahalanobisDistanceUsesClassMeansAndTheSharedShrunkCovariance() {
		float[][] x = {{1, 2}, {3, 2}, {2, 4}, {2, 0}, {11, 12}, {13, 14}};
		int[] y = {0, 0, 0, 0, 1, 1};
		double a = 0.2;
		// class means: (2, 2) and (12, 13); residuals (-1,0) (1,0) (0,2) (0,-2) (-1,-1) (1,1); 6 rows - 2 classes = 4 dof
		double sxx = (1 + 1 + 0 + 0 + 1 + 1) / 4.0;
		double syy = (0 + 0 + 4 + 4 + 1 + 1) / 4.0;
		double sxy = (0 + 0 + 0 + 0 + 1 + 1) / 4.0;
		double tau = (sxx + syy) / 2;
		double cxx = (1 - a) * sxx + a * tau;
		double cyy = (1 - a) * syy + a * tau;
		double cxy = (1 - a) * sxy;
		double det = cxx * cyy - cxy * cxy;
		double[] q = {4, 5};
		double d0 = maha(q[0] - 2, q[1] - 2, cxx, cyy, cxy, det);
		double d1 = maha(q[0] - 12, q[1] - 13, cxx, cyy, cxy, det);
		OodDetector d = OodFitter.mahalanobis(x, y, 2, a, false);
		assertEquals(Math.min(d0, d1), d.distance(new float[] {4, 5}, 0), 1e-5);
		assertEquals(0, d.distance(new float[] {12, 13}, 0), 1e-5);
		assertEquals(OodMethod.MAHALANOBIS, d.method());
		assertEquals(1, d.k());
	}

	private static double maha(double dx, double dy, double cxx, double cyy, double cxy, double det) {
		return (cyy * dx * dx - 2 * cxy * dx * dy + cxx * dy * dy) / det;
	}

	@Test
	void thresholdKeepsTheStatedShareOfValidationSlices() {
		SplittableRandom r = new SplittableRandom(3);
		double[] v = new double[200];
		for (int i = 0; i < v.length; i++) v[i] = r.nextDouble() * 10;
		for (double coverage : new double[] {0.5, 0.9, 0.95, 0.99}) {
			double t = OodFitter.threshold(v, coverage);
			assertEquals(1 - coverage, OodFitter.flagged(v, t), 1e-9, "coverage " + coverage);
		}
		assertEquals(0, OodFitter.flagged(v, OodFitter.threshold(v, 1)));
		assertThrows(IllegalArgumentException.class, () -> OodFitter.threshold(new double[0], 0.95));
		assertThrows(IllegalArgumentException.class, () -> OodFitter.threshold(v, 0));
		assertThrows(IllegalArgumentException.class, () -> OodFitter.threshold(new double[] {1, Double.NaN}, 0.5));
	}

	@Test
	void scoreIsDistanceOverThreshold() {
		OodDetector d = OodFitter.knn(new float[][] {{1, 0}}, 1, false).withThreshold(0.5);
		assertEquals(2.0, d.score(1.0), 1e-12);
		assertEquals(4.0 / 0.5, d.score(d.distance(new float[] {-1, 0}, 0)), 1e-6);
		assertThrows(IllegalArgumentException.class, () -> d.withThreshold(0));
		assertThrows(IllegalArgumentException.class, () -> d.withThreshold(Double.POSITIVE_INFINITY));
	}

	@Test
	void aurocCountsForeignAboveOwnWithHalfTies() {
		assertEquals(1.0, OodFitter.auroc(new double[] {1, 2}, new double[] {3, 4}), 1e-12);
		assertEquals(0.0, OodFitter.auroc(new double[] {3, 4}, new double[] {1, 2}), 1e-12);
		// pairs: (1,2) above, (3,2) below, (1,3) above, (3,3) tie -> (1 + 0 + 1 + 0.5) / 4
		assertEquals(0.625, OodFitter.auroc(new double[] {1, 3}, new double[] {2, 3}), 1e-12);
		assertTrue(Double.isNaN(OodFitter.auroc(new double[0], new double[] {1})));
	}

	@Test
	void fileRoundTripKeepsEveryValue() throws IOException {
		SplittableRandom r = new SplittableRandom(1);
		float[][] x = new float[30][6];
		int[] y = new int[30];
		for (int i = 0; i < x.length; i++) {
			y[i] = i % 3;
			for (int j = 0; j < 6; j++) x[i][j] = (float) (r.nextGaussian() + y[i]);
		}
		for (boolean half : new boolean[] {false, true}) {
			for (OodDetector d : new OodDetector[] {OodFitter.knn(x, 4, half).withThreshold(0.25), OodFitter.mahalanobis(x, y, 3, 0.1, half).withThreshold(7.5)}) {
				Path f = tmp.resolve("d-" + half + "-" + d.method().key() + ".bin");
				try (OutputStream os = Files.newOutputStream(f)) {
					d.write(os);
				}
				OodDetector back = OodDetector.read(f);
				assertEquals(d.method(), back.method());
				assertEquals(d.k(), back.k());
				assertEquals(d.threshold(), back.threshold());
				assertEquals(d.normalized(), back.normalized());
				assertArrayEquals(d.references(), back.references());
				if (d.map() != null) assertArrayEquals(d.map(), back.map());
				for (float[] row : x) assertEquals(d.distance(row, 0), back.distance(row, 0), 1e-12);
			}
		}
	}

	@Test
	void halfPrecisionStorageChangesDistancesLittle() {
		SplittableRandom r = new SplittableRandom(2);
		float[][] x = new float[50][64];
		for (float[] row : x) for (int j = 0; j < row.length; j++) row[j] = (float) Math.abs(r.nextGaussian());
		OodDetector full = OodFitter.knn(x, 5, false);
		OodDetector half = OodFitter.knn(x, 5, true);
		float[] q = new float[64];
		for (int j = 0; j < q.length; j++) q[j] = (float) Math.abs(r.nextGaussian());
		assertEquals(full.distance(q, 0), half.distance(q, 0), 1e-3 * full.distance(q, 0));
	}

	@Test
	void halfConversionRoundsToNearest() {
		for (float v : new float[] {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, 0.333251953125f}) {
			assertEquals(v, Half.toFloat(Half.fromFloat(v)), 0, "exactly representable " + v);
		}
		assertEquals(Float.POSITIVE_INFINITY, Half.toFloat(Half.fromFloat(1e6f)));
		assertEquals(1f, Half.toFloat(Half.fromFloat(1.0002f)), 0); // 1 + 2^-12.3 rounds down to 1
		assertEquals(1.0009765625f, Half.toFloat(Half.fromFloat(1.0008f)), 0); // rounds up to 1 + 2^-10
		assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN))));
		SplittableRandom r = new SplittableRandom(4);
		for (int i = 0; i < 10000; i++) {
			float v = (float) (r.nextGaussian() * 100);
			float back = Half.toFloat(Half.fromFloat(v));
			assertTrue(Math.abs(back - v) <= Math.abs(v) * 0x1p-11f + 0x1p-25f, v + " -> " + back);
		}
	}

	@Test
	void damagedFilesAreRefusedNamingTheFileBeforeAllocating() throws IOException {
		Path bad = tmp.resolve("bad.bin");
		Files.write(bad, new byte[] {1, 2, 3});
		assertTrue(assertThrows(IOException.class, () -> OodDetector.read(bad)).getMessage().startsWith(bad.toString()));
		Files.write(bad, "NOT-OOD!".getBytes());
		ByteArrayOutputStream os = new ByteArrayOutputStream();
		OodFitter.knn(new float[][] {{1, 0}, {0, 1}}, 1, false).withThreshold(1).write(os);
		byte[] good = os.toByteArray();
		byte[] wrongMagic = good.clone();
		wrongMagic[0] = 'X';
		Files.write(bad, wrongMagic);
		assertTrue(assertThrows(IOException.class, () -> OodDetector.read(bad)).getMessage().contains("bad magic"));
		byte[] cut = java.util.Arrays.copyOf(good, good.length - 4);
		Files.write(bad, cut);
		assertTrue(assertThrows(IOException.class, () -> OodDetector.read(bad)).getMessage().contains("header describes"));
		// a header that declares a huge detector is refused from the header alone
		byte[] huge = good.clone();
		ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(8 + 4 * 5, 1 << 20).putInt(8 + 4 * 2, 1 << 16).putInt(8 + 4 * 3, 1 << 16);
		Files.write(bad, huge);
		assertThrows(IOException.class, () -> OodDetector.read(bad));
		byte[] nanThreshold = good.clone();
		ByteBuffer.wrap(nanThreshold).order(ByteOrder.LITTLE_ENDIAN).putDouble(8 + 4 * 7, Double.NaN);
		Files.write(bad, nanThreshold);
		assertTrue(assertThrows(IOException.class, () -> OodDetector.read(bad)).getMessage().contains("threshold"));
	}

	@Test
	void fittingRefusesWhatItCannotUse() {
		assertThrows(IllegalArgumentException.class, () -> OodFitter.knn(new float[0][], 1, false));
		assertThrows(IllegalArgumentException.class, () -> OodFitter.knn(new float[][] {{1, 2}, {1}}, 1, false));
		assertThrows(IllegalArgumentException.class, () -> OodFitter.knn(new float[][] {{1, 2}}, 2, false));
		assertThrows(IllegalArgumentException.class, () -> OodFitter.knn(new float[][] {{1, Float.NaN}}, 1, false));
		assertThrows(IllegalArgumentException.class, () -> OodFitter.mahalanobis(new float[][] {{1, 2}, {2, 3}}, new int[] {0, 0}, 2, 0.1, false));
		assertThrows(IllegalArgumentException.class, () -> OodFitter.mahalanobis(new float[][] {{1, 2}, {1, 2}}, new int[] {0, 1}, 2, 0.1, false));
		assertThrows(IllegalArgumentException.class, () -> OodFitter.mahalanobis(new float[][] {{1, 2}, {2, 3}}, new int[] {0, 1}, 2, 0, false));
	}
}
