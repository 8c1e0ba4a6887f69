package org.medcnn.core.ood;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The out-of-distribution detector of a model: how far a slice's pooled trunk features (the same
 * features the head classifies) lie from those of the model's training slices. Both methods are one
 * computation: the features are optionally mapped linearly ({@code y = A x}) and optionally
 * L2-normalised, and the distance is the squared Euclidean distance to the k-th nearest of a set of
 * reference rows:
 * <ul>
 * <li>{@link OodMethod#KNN}: no map, normalised, the references are the normalised training features;</li>
 * <li>{@link OodMethod#MAHALANOBIS}: {@code A = L^-1} with {@code L L^T} the shrunk shared covariance, not
 * normalised, the references are the mapped class means, k = 1.</li>
 * </ul>
 * The {@linkplain #score score} of a slice is its distance divided by the {@linkplain #threshold() threshold}
 * chosen on the validation part of the model's split, so a score above 1 means "outside the training
 * data" for every model alike.
 * <p>
 * Stored as {@code medcnn-ood/1}, little-endian:
 * <pre>
 * bytes 0-7   ASCII "MCNN-OOD"
 * int32       format version, 1
 * int32       method: 1 = knn, 2 = mahalanobis
 * int32       F, input features (= the head's)
 * int32       D, dimension after the map (D = F without a map)
 * int32       flags: bit 0 a map A follows; bit 1 rows are L2-normalised (after the map);
 *             bit 2 the matrices are stored as float16 (else float32)
 * int32       R, reference rows
 * int32       k, 1 &lt;= k &lt;= R
 * float64     threshold (squared distance; a larger distance is flagged)
 * A[D*F]      the map, row-major (only with bit 0)
 * ref[R*D]    the reference rows, row-major
 * </pre>
 * Immutable and thread-safe.
 */
public final class OodDetector {

	/** The format name written in model cards. */
	public static final String FORMAT = "medcnn-ood/1";

	/** The file name of the detector in a model package. */
	public static final String FILE = "ood.bin";

	private static final byte[] MAGIC = "MCNN-OOD".getBytes(StandardCharsets.US_ASCII);
	private static final int HEADER = 8 + 7 * 4 + 8;
	private static final int MAP = 1;
	private static final int NORMALIZED = 2;
	private static final int HALF = 4;
	/** Limits that keep a damaged or hostile file from allocating without bound (values a model needs are far below). */
	private static final int MAX_FEATURES = 1 << 16;
	private static final int MAX_ROWS = 1 << 20;
	private static final long MAX_VALUES = 1L << 27;

	private final OodMethod method;
	private final int features;
	private final int dim;
	private final float[] map;
	private final boolean normalized;
	private final float[] references;
	private final double[] referenceNorms;
	private final int rows;
	private final int k;
	private final double threshold;
	private final boolean half;

	/**
	 * Creates a detector.
	 *
	 * @param method the method it implements (recorded; the computation is given by the other arguments)
	 * @param features F, the input features
	 * @param map the D x F map, row-major, or null for none (D = F)
	 * @param normalized whether (mapped) rows are L2-normalised
	 * @param references R x D reference rows, row-major
	 * @param k which nearest reference gives the distance, 1 to R
	 * @param threshold the distance above which a slice is flagged, positive and finite (NaN while fitting)
	 * @param half whether the matrices are stored as float16 (they must then already be rounded to it)
	 * @throws IllegalArgumentException if the sizes disagree or values are not finite
	 */
	public OodDetector(OodMethod method, int features, float[] map, boolean normalized, float[] references, int k, double threshold, boolean half) {
		if (method == null) throw new IllegalArgumentException("ood method missing");
		if (features < 1 || features > MAX_FEATURES) throw new IllegalArgumentException("ood features must be 1 to " + MAX_FEATURES + ", got " + features);
		if (map != null && (map.length % features != 0 || map.length == 0)) throw new IllegalArgumentException("ood map must have D x " + features + " values");
		int d = map == null ? features : map.length / features;
		if (references.length == 0 || references.length % d != 0) throw new IllegalArgumentException("ood references must have R x " + d + " values");
		int r = references.length / d;
		if (k < 1 || k > r) throw new IllegalArgumentException("ood k must be 1 to " + r + " (the reference rows), got " + k);
		if (!Double.isNaN(threshold) && !(threshold > 0 && Double.isFinite(threshold))) {
			throw new IllegalArgumentException("ood threshold must be positive and finite, got " + threshold);
		}
		if (map != null) for (float v : map) if (!Float.isFinite(v)) throw new IllegalArgumentException("ood map holds NaN or infinity");
		for (float v : references) if (!Float.isFinite(v)) throw new IllegalArgumentException("ood references hold NaN or infinity");
		this.method = method;
		this.features = features;
		this.dim = d;
		this.map = map == null ? null : map.clone();
		this.normalized = normalized;
		this.references = references.clone();
		this.rows = r;
		this.k = k;
		this.threshold = threshold;
		this.half = half;
		this.referenceNorms = new double[r];
		for (int j = 0; j < r; j++) {
			double s = 0;
			for (int i = 0; i < d; i++) {
				double v = this.references[j * d + i];
				s += v * v;
			}
			referenceNorms[j] = s;
		}
	}

	/**
	 * The same detector with another threshold.
	 *
	 * @param t the threshold, positive and finite
	 * @return the detector
	 */
	public OodDetector withThreshold(double t) {
		return new OodDetector(method, features, map, normalized, references, k, t, half);
	}

	/** @return the method */
	public OodMethod method() {
		return method;
	}

	/** @return F, the number of input features */
	public int features() {
		return features;
	}

	/** @return D, the dimension after the map */
	public int dimension() {
		return dim;
	}

	/** @return R, the number of reference rows (training slices for k-NN, classes for Mahalanobis) */
	public int referenceRows() {
		return rows;
	}

	/** @return k */
	public int k() {
		return k;
	}

	/** @return the distance above which a slice is flagged (NaN while fitting) */
	public double threshold() {
		return threshold;
	}

	/** @return whether rows are L2-normalised after the map */
	public boolean normalized() {
		return normalized;
	}

	/** @return a copy of the D x F map, row-major, or null when there is none */
	public float[] map() {
		return map == null ? null : map.clone();
	}

	/** @return a copy of the R x D reference rows, row-major */
	public float[] references() {
		return references.clone();
	}

	/**
	 * The distance of one slice's pooled features: the squared Euclidean distance of its (mapped,
	 * normalised) features to the k-th nearest reference row, computed in double precision.
	 *
	 * @param pooled pooled features
	 * @param offset index of the slice's first feature
	 * @return the distance, at least 0
	 */
	public double distance(float[] pooled, int offset) {
		double[] y = new double[dim];
		if (map == null) {
			for (int i = 0; i < dim; i++) y[i] = pooled[offset + i];
		} else {
			for (int r = 0; r < dim; r++) {
				double s = 0;
				int base = r * features;
				for (int i = 0; i < features; i++) s += (double) map[base + i] * pooled[offset + i];
				y[r] = s;
			}
		}
		double yy = 0;
		for (double v : y) yy += v * v;
		if (normalized) {
			double n = Math.sqrt(yy);
			double inv = n > 0 ? 1 / n : 0;
			for (int i = 0; i < dim; i++) y[i] *= inv;
			yy = n > 0 ? 1 : 0;
		}
		double[] d = new double[rows];
		for (int j = 0; j < rows; j++) {
			double s = 0;
			int base = j * dim;
			for (int i = 0; i < dim; i++) {
				double diff = y[i] - references[base + i];
				s += diff * diff;
			}
			d[j] = s;
		}
		if (k == 1) {
			double m = d[0];
			for (double v : d) m = Math.min(m, v);
			return m;
		}
		Arrays.sort(d);
		return d[k - 1];
	}

	/**
	 * The distances of several slices.
	 *
	 * @param pooled n x F pooled features, row-major
	 * @param n number of slices
	 * @return n distances
	 */
	public double[] distances(float[] pooled, int n) {
		double[] out = new double[n];
		for (int i = 0; i < n; i++) out[i] = distance(pooled, i * features);
		return out;
	}

	/**
	 * A distance relative to the threshold: above 1 is outside the training data.
	 *
	 * @param distance a distance from {@link #distance} (or the engine's equivalent)
	 * @return distance / threshold
	 */
	public double score(double distance) {
		return distance / threshold;
	}

	/**
	 * Writes the detector.
	 *
	 * @param out the stream, not closed
	 * @throws IOException if writing fails
	 * @throws IllegalStateException if the threshold is not set
	 */
	public void write(OutputStream out) throws IOException {
		if (Double.isNaN(threshold)) throw new IllegalStateException("the ood threshold is not chosen yet");
		int width = half ? 2 : 4;
		long values = (map == null ? 0 : (long) map.length) + references.length;
		ByteBuffer bb = ByteBuffer.allocate(Math.toIntExact(HEADER + width * values)).order(ByteOrder.LITTLE_ENDIAN);
		bb.put(MAGIC).putInt(1).putInt(method.code()).putInt(features).putInt(dim);
		bb.putInt((map != null ? MAP : 0) | (normalized ? NORMALIZED : 0) | (half ? HALF : 0)).putInt(rows).putInt(k).putDouble(threshold);
		if (map != null) put(bb, map);
		put(bb, references);
		out.write(bb.array());
	}

	private void put(ByteBuffer bb, float[] values) {
		for (float v : values) {
			if (half) bb.putShort(Half.fromFloat(v));
			else bb.putFloat(v);
		}
	}

	/**
	 * Reads a detector file, checking every size against the file's length before allocating.
	 *
	 * @param file the file
	 * @return the detector
	 * @throws IOException naming the file if it cannot be read or is not a valid detector
	 */
	public static OodDetector read(Path file) throws IOException {
		long size = Files.size(file);
		if (size < HEADER) throw new IOException(file + ": too short for a " + FORMAT + " detector (" + size + " bytes)");
		try (InputStream raw = Files.newInputStream(file); DataInputStream in = new DataInputStream(raw)) {
			byte[] header = new byte[HEADER];
			in.readFully(header);
			for (int i = 0; i < MAGIC.length; i++) {
				if (header[i] != MAGIC[i]) throw new IOException(file + ": not a " + FORMAT + " detector (bad magic bytes)");
			}
			ByteBuffer hb = ByteBuffer.wrap(header, 8, HEADER - 8).order(ByteOrder.LITTLE_ENDIAN);
			int version = hb.getInt();
			int code = hb.getInt();
			int f = hb.getInt();
			int d = hb.getInt();
			int flags = hb.getInt();
			int r = hb.getInt();
			int k = hb.getInt();
			double threshold = hb.getDouble();
			if (version != 1) throw new IOException(file + ": detector format version " + version + " is not supported (expected 1)");
			OodMethod method = OodMethod.ofCode(code);
			if (method == null) throw new IOException(file + ": unknown detector method " + code);
			if ((flags & ~(MAP | NORMALIZED | HALF)) != 0) throw new IOException(file + ": unknown detector flags " + flags);
			if (f < 1 || f > MAX_FEATURES || d < 1 || d > MAX_FEATURES || r < 1 || r > MAX_ROWS || k < 1 || k > r) {
				throw new IOException(file + ": implausible detector sizes (features " + f + ", dimension " + d + ", rows " + r + ", k " + k + ")");
			}
			boolean hasMap = (flags & MAP) != 0;
			if (!hasMap && d != f) throw new IOException(file + ": dimension " + d + " differs from the features " + f + " but no map is stored");
			long values = (hasMap ? (long) d * f : 0) + (long) r * d;
			if (values > MAX_VALUES) throw new IOException(file + ": detector too large (" + values + " values)");
			boolean half = (flags & HALF) != 0;
			long expected = HEADER + values * (half ? 2 : 4);
			if (size != expected) throw new IOException(file + ": " + size + " bytes, but its header describes " + expected);
			if (!(threshold > 0 && Double.isFinite(threshold))) throw new IOException(file + ": threshold must be positive and finite, got " + threshold);
			byte[] body = new byte[(int) (expected - HEADER)];
			in.readFully(body);
			ByteBuffer bb = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
			float[] a = hasMap ? get(bb, d * f, half) : null;
			float[] refs = get(bb, r * d, half);
			try {
				return new OodDetector(method, f, a, (flags & NORMALIZED) != 0, refs, k, threshold, half);
			} catch (IllegalArgumentException e) {
				throw new IOException(file + ": " + e.getMessage(), e);
			}
		}
	}

	private static float[] get(ByteBuffer bb, int n, boolean half) {
		float[] out = new float[n];
		for (int i = 0; i < n; i++) out[i] = half ? Half.toFloat(bb.getShort()) : bb.getFloat();
		return out;
	}
}
