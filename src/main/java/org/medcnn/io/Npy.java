package org.medcnn.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes numpy's {@code .npy} arrays (format versions 1, 2 and 3): the test tensors of
 * bioimage.io packages. Reads floats, signed and unsigned integers and booleans of either byte order,
 * C or Fortran order, into float32 in C order; writes float32. A header, shape or size that does not add
 * up is refused with a message that names the file.
 */
public final class Npy {

	private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

	/** The most values read (a test tensor is one small image). */
	public static final long MAX_VALUES = 1L << 28;

	/**
	 * An array.
	 *
	 * @param shape its shape
	 * @param data its values in C order (last axis fastest)
	 * @param dtype the stored type, e.g. {@code <f4}
	 */
	public record Array(long[] shape, float[] data, String dtype) {

		/** @return the number of values */
		public long size() {
			long n = 1;
			for (long s : shape) n *= s;
			return n;
		}

		@Override
		public String toString() {
			return dtype + " " + Arrays.toString(shape);
		}
	}

	private Npy() {}

	/**
	 * Reads a {@code .npy} file.
	 *
	 * @param file the file
	 * @return the array
	 * @throws IOException naming the file when it cannot be read or is not a {@code .npy} array this reader knows
	 */
	public static Array read(Path file) throws IOException {
		if (!Files.isRegularFile(file)) throw new IOException(file + (Files.exists(file) ? ": not a regular file" : ": file not found"));
		long fileSize = Files.size(file);
		try (InputStream in = Files.newInputStream(file)) {
			byte[] magic = in.readNBytes(8);
			if (magic.length < 8 || !Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) throw new IOException(file + ": not a .npy array (no \\x93NUMPY magic)");
			int major = magic[6];
			int headerLength;
			if (major == 1) {
				byte[] l = in.readNBytes(2);
				if (l.length < 2) throw new IOException(file + ": truncated .npy header");
				headerLength = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
			} else if (major == 2 || major == 3) {
				byte[] l = in.readNBytes(4);
				if (l.length < 4) throw new IOException(file + ": truncated .npy header");
				headerLength = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt();
			} else {
				throw new IOException(file + ": .npy format version " + major + " is not supported (1, 2 and 3 are)");
			}
			if (headerLength < 0 || headerLength > 1 << 20) throw new IOException(file + ": implausible .npy header length " + headerLength);
			byte[] h = in.readNBytes(headerLength);
			if (h.length < headerLength) throw new IOException(file + ": truncated .npy header");
			String header = new String(h, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).trim();
			String descr = field(file, header, "descr", "'([^']*)'");
			boolean fortran = field(file, header, "fortran_order", "(True|False)").equals("True");
			long[] shape = shape(file, field(file, header, "shape", "\\(([^)]*)\\)"));
			Type t = type(file, descr);
			long n = 1;
			for (long s : shape) {
				if (s < 0) throw new IOException(file + ": negative .npy dimension in " + Arrays.toString(shape));
				n = Math.multiplyExact(n, s);
			}
			if (n > MAX_VALUES) throw new IOException(file + ": " + n + " values; at most " + MAX_VALUES + " are read");
			long bytes = n * t.size();
			long offset = (major == 1 ? 10 : 12) + (long) headerLength;
			if (fileSize < offset + bytes) throw new IOException(file + ": truncated .npy data: " + (fileSize - offset) + " bytes, the header's " + descr + " "
				+ Arrays.toString(shape) + " needs " + bytes);
			byte[] raw = in.readNBytes((int) bytes);
			ByteBuffer bb = ByteBuffer.wrap(raw).order(t.order());
			float[] v = new float[(int) n];
			for (int i = 0; i < v.length; i++) v[i] = t.read(bb, i);
			if (fortran && shape.length > 1) v = fortranToC(v, shape);
			return new Array(shape, v, descr);
		} catch (ArithmeticException e) {
			throw new IOException(file + ": .npy shape overflows", e);
		}
	}

	private static String field(Path file, String header, String key, String value) throws IOException {
		Matcher m = Pattern.compile("['\"]" + key + "['\"]\\s*:\\s*" + value).matcher(header);
		if (!m.find()) throw new IOException(file + ": .npy header has no " + key + ": " + header);
		return m.group(1);
	}

	private static long[] shape(Path file, String text) throws IOException {
		List<Long> out = new ArrayList<>();
		for (String p : text.split(",")) {
			String t = p.trim().replace("L", "");
			if (t.isEmpty()) continue;
			try {
				out.add(Long.parseLong(t));
			} catch (NumberFormatException e) {
				throw new IOException(file + ": .npy shape (" + text + ") is not a tuple of integers");
			}
		}
		return out.stream().mapToLong(Long::longValue).toArray();
	}

	/** A stored element type. */
	private record Type(char kind, int size, ByteOrder order) {
		float read(ByteBuffer b, int i) {
			int at = i * size;
			switch (kind) {
				case 'f':
					return size == 4 ? b.getFloat(at) : size == 8 ? (float) b.getDouble(at) : half(b.getShort(at));
				case 'i':
					return size == 1 ? b.get(at) : size == 2 ? b.getShort(at) : size == 4 ? b.getInt(at) : (float) b.getLong(at);
				case 'u':
					return size == 1 ? b.get(at) & 0xff : size == 2 ? b.getShort(at) & 0xffff : size == 4 ? b.getInt(at) & 0xffffffffL
						: (float) unsigned(b.getLong(at));
				default:
					return b.get(at) != 0 ? 1 : 0;
			}
		}

		/** IEEE 754 binary16 to float. */
		private static float half(short h) {
			int bits = h & 0xffff;
			int sign = (bits >>> 15) != 0 ? -1 : 1;
			int exp = (bits >>> 10) & 0x1f;
			int mant = bits & 0x3ff;
			if (exp == 0) return sign * mant * 0x1p-24f;
			if (exp == 31) return mant == 0 ? sign * Float.POSITIVE_INFINITY : Float.NaN;
			return sign * (1 + mant / 1024f) * (float) Math.pow(2, exp - 15);
		}

		private static double unsigned(long v) {
			return v >= 0 ? v : (double) (v >>> 1) * 2 + (v & 1);
		}
	}

	private static Type type(Path file, String descr) throws IOException {
		Matcher m = Pattern.compile("([<>|=])([fiub])(\\d+)").matcher(descr);
		if (!m.matches()) throw new IOException(file + ": .npy element type " + descr + " is not supported (floats, integers and booleans are)");
		char kind = m.group(2).charAt(0);
		int size = Integer.parseInt(m.group(3));
		boolean ok = switch (kind) {
			case 'f' -> size == 2 || size == 4 || size == 8;
			case 'i', 'u' -> size == 1 || size == 2 || size == 4 || size == 8;
			default -> size == 1;
		};
		if (!ok) throw new IOException(file + ": .npy element type " + descr + " is not supported");
		ByteOrder order = m.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : m.group(1).equals("<") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.nativeOrder();
		return new Type(kind, size, order);
	}

	/** Fortran order (first axis fastest) to C order (last axis fastest). */
	private static float[] fortranToC(float[] v, long[] shape) {
		int d = shape.length;
		float[] out = new float[v.length];
		int[] idx = new int[d];
		for (int c = 0; c < v.length; c++) {
			// c enumerates C order; find the Fortran index of the same element
			long f = 0;
			long stride = 1;
			for (int k = 0; k < d; k++) {
				f += idx[k] * stride;
				stride *= shape[k];
			}
			out[c] = v[(int) f];
			for (int k = d - 1; k >= 0; k--) {
				if (++idx[k] < shape[k]) break;
				idx[k] = 0;
			}
		}
		return out;
	}

	/**
	 * Writes a float32 array in C order ({@code .npy} format version 1.0, little-endian).
	 *
	 * @param file the file
	 * @param shape the shape
	 * @param data the values, as many as the shape holds
	 * @throws IOException if it cannot be written
	 * @throws IllegalArgumentException if the data do not fill the shape
	 */
	public static void write(Path file, long[] shape, float[] data) throws IOException {
		long n = 1;
		for (long s : shape) n *= s;
		if (n != data.length) throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(shape));
		StringBuilder dims = new StringBuilder();
		for (int i = 0; i < shape.length; i++) dims.append(shape[i]).append(shape.length == 1 || i < shape.length - 1 ? "," : "").append(i < shape.length - 1 ? " " : "");
		String header = String.format(Locale.ROOT, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims);
		// pad with spaces and a newline so that the data start at a multiple of 64 bytes, as numpy does
		int total = 10 + header.length() + 1;
		int pad = (64 - total % 64) % 64;
		String h = header + " ".repeat(pad) + "\n";
		ByteBuffer b = ByteBuffer.allocate(10 + h.length() + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
		b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length()).put(h.getBytes(StandardCharsets.ISO_8859_1));
		for (float f : data) b.putFloat(f);
		Files.write(file, b.array());
	}
}
