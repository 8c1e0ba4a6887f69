package org.medcnn.core.model;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The classification head: global average pooling of the trunk's feature map, (dropout during
 * training), then a linear layer. Stored as {@code medcnn-linear-head/1}:
 * <pre>
 * bytes 0-7   ASCII "MCNNHEAD"
 * int32       format version, 1
 * int32       F, input features (= trunk output channels)
 * int32       C, classes (= the card's classes, same order)
 * float32     dropout rate used in training (information only)
 * float32[C*F] weights, class-major (row c holds the F weights of class c)
 * float32[C]  biases
 * </pre>
 * All numbers little-endian.
 */
public final class LinearHead {

	/** The format name written in model cards. */
	public static final String FORMAT = "medcnn-linear-head/1";

	private static final byte[] MAGIC = "MCNNHEAD".getBytes(StandardCharsets.US_ASCII);
	private static final int HEADER = 8 + 4 * 4;

	private final int features;
	private final int classes;
	private final float dropout;
	private final float[] weights;
	private final float[] bias;

	/**
	 * Creates a head.
	 *
	 * @param features input features F
	 * @param classes number of classes C
	 * @param dropout dropout rate used in training, in [0, 1)
	 * @param weights C x F weights, class-major
	 * @param bias C biases
	 * @throws IllegalArgumentException if the sizes disagree
	 */
	public LinearHead(int features, int classes, float dropout, float[] weights, float[] bias) {
		if (features < 1 || classes < 1) throw new IllegalArgumentException("head needs at least 1 feature and 1 class");
		if (weights.length != features * classes || bias.length != classes) {
			throw new IllegalArgumentException("head weights must be " + classes + "x" + features + " and bias " + classes);
		}
		if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("head dropout must be in [0, 1), got " + dropout);
		this.features = features;
		this.classes = classes;
		this.dropout = dropout;
		this.weights = weights.clone();
		this.bias = bias.clone();
	}

	/**
	 * Reads a head file.
	 *
	 * @param file the file
	 * @return the head
	 * @throws ModelLoadException naming the file if it is not a valid head
	 */
	public static LinearHead read(Path file) throws ModelLoadException {
		try (InputStream raw = Files.newInputStream(file); DataInputStream in = new DataInputStream(raw)) {
			long size = Files.size(file);
			if (size < HEADER) throw new ModelLoadException(file + ": too short for a " + FORMAT + " head (" + size + " bytes)");
			byte[] header = new byte[HEADER];
			in.readFully(header);
			for (int i = 0; i < MAGIC.length; i++) {
				if (header[i] != MAGIC[i]) throw new ModelLoadException(file + ": not a " + FORMAT + " head (bad magic bytes)");
			}
			ByteBuffer hb = ByteBuffer.wrap(header, 8, HEADER - 8).order(ByteOrder.LITTLE_ENDIAN);
			int version = hb.getInt();
			int f = hb.getInt();
			int c = hb.getInt();
			float dropout = hb.getFloat();
			if (version != 1) throw new ModelLoadException(file + ": head format version " + version + " is not supported (expected 1)");
			if (f < 1 || c < 1 || f > 1 << 20 || c > 1 << 16) throw new ModelLoadException(file + ": implausible head size " + c + "x" + f);
			long expected = HEADER + 4L * ((long) c * f + c);
			if (size != expected) throw new ModelLoadException(file + ": " + size + " bytes, but a " + c + "x" + f + " head has " + expected);
			byte[] body = new byte[(int) (expected - HEADER)];
			in.readFully(body);
			ByteBuffer bb = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
			float[] w = new float[c * f];
			bb.asFloatBuffer().get(w);
			bb.position(4 * w.length);
			float[] b = new float[c];
			bb.asFloatBuffer().get(b);
			for (float v : w) if (!Float.isFinite(v)) throw new ModelLoadException(file + ": head weights contain NaN or infinity");
			for (float v : b) if (!Float.isFinite(v)) throw new ModelLoadException(file + ": head biases contain NaN or infinity");
			return new LinearHead(f, c, dropout, w, b);
		} catch (IOException e) {
			throw new ModelLoadException(file + ": cannot read head: " + e.getMessage(), e);
		} catch (IllegalArgumentException e) {
			throw new ModelLoadException(file + ": " + e.getMessage(), e);
		}
	}

	/**
	 * Writes this head.
	 *
	 * @param out the stream, not closed
	 * @throws IOException if writing fails
	 */
	public void write(OutputStream out) throws IOException {
		ByteBuffer bb = ByteBuffer.allocate(HEADER + 4 * (weights.length + bias.length)).order(ByteOrder.LITTLE_ENDIAN);
		bb.put(MAGIC).putInt(1).putInt(features).putInt(classes).putFloat(dropout);
		for (float v : weights) bb.putFloat(v);
		for (float v : bias) bb.putFloat(v);
		out.write(bb.array());
	}

	/** @return input features F */
	public int features() {
		return features;
	}

	/** @return number of classes C */
	public int classes() {
		return classes;
	}

	/** @return the dropout rate used in training */
	public float dropout() {
		return dropout;
	}

	/** @return a copy of the C x F weights, class-major */
	public float[] weights() {
		return weights.clone();
	}

	/** @return a copy of the C biases */
	public float[] bias() {
		return bias.clone();
	}

	/**
	 * Averages heads of the same shape: the result's logits are the mean of their logits.
	 *
	 * @param heads at least one head, all F x C alike
	 * @return the average head (dropout: the largest of theirs)
	 * @throws IllegalArgumentException if the heads differ in shape or none is given
	 */
	public static LinearHead average(List<LinearHead> heads) {
		if (heads.isEmpty()) throw new IllegalArgumentException("no heads to average");
		LinearHead first = heads.get(0);
		float[] w = new float[first.weights.length];
		float[] b = new float[first.bias.length];
		float dropout = 0;
		for (LinearHead h : heads) {
			if (h.features != first.features || h.classes != first.classes) throw new IllegalArgumentException("heads of different shapes cannot be averaged");
			for (int i = 0; i < w.length; i++) w[i] += h.weights[i] / heads.size();
			for (int i = 0; i < b.length; i++) b[i] += h.bias[i] / heads.size();
			dropout = Math.max(dropout, h.dropout);
		}
		return new LinearHead(first.features, first.classes, dropout, w, b);
	}

	/**
	 * Applies the linear layer to pooled features.
	 *
	 * @param pooled F pooled features
	 * @return C logits
	 */
	public float[] logits(float[] pooled) {
		float[] out = new float[classes];
		for (int c = 0; c < classes; c++) {
			double acc = bias[c];
			int row = c * features;
			for (int f = 0; f < features; f++) acc += (double) weights[row + f] * pooled[f];
			out[c] = (float) acc;
		}
		return out;
	}
}
