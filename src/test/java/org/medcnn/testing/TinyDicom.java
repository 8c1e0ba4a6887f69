package org.medcnn.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes tiny single-slice DICOM Part 10 files (explicit VR little endian, 16-bit grey) for reader tests:
 * only the elements that ImageJ's DICOM reader and our series reader look at.
 */
public final class TinyDicom {

	private final int width;
	private final int height;
	private final short[] pixels;
	private final Map<Integer, byte[]> elements = new TreeMap<>();
	private String transferSyntax = "1.2.840.10008.1.2.1";
	private byte[] preamble = new byte[128];

	/**
	 * Starts a slice.
	 *
	 * @param width columns
	 * @param height rows
	 * @param pixels stored values, row-major (signed or unsigned as set by {@link #signed(boolean)})
	 */
	public TinyDicom(int width, int height, short[] pixels) {
		if (pixels.length != width * height) throw new IllegalArgumentException("need " + width * height + " pixels");
		this.width = width;
		this.height = height;
		this.pixels = pixels.clone();
		text(0x00080060, "CS", "MR");
		us(0x00280002, 1);
		text(0x00280004, "CS", "MONOCHROME2");
		us(0x00280010, height);
		us(0x00280011, width);
		text(0x00280030, "DS", "0.5\\0.5");
		us(0x00280100, 16);
		us(0x00280101, 16);
		us(0x00280102, 15);
		us(0x00280103, 0);
	}

	/**
	 * Sets the Series Instance UID.
	 *
	 * @param uid the UID
	 * @return this
	 */
	public TinyDicom series(String uid) {
		return text(0x0020000E, "UI", uid);
	}

	/**
	 * Sets the Instance Number.
	 *
	 * @param n the number
	 * @return this
	 */
	public TinyDicom instance(int n) {
		return text(0x00200013, "IS", Integer.toString(n));
	}

	/**
	 * Sets an axial Image Orientation (Patient) and the Image Position (Patient) at height z.
	 *
	 * @param z the position along the slice normal, in mm
	 * @return this
	 */
	public TinyDicom axialAt(double z) {
		text(0x00200037, "DS", "1\\0\\0\\0\\1\\0");
		return text(0x00200032, "DS", String.format(Locale.ROOT, "-10\\-20\\%s", z));
	}

	/**
	 * Sets Rescale Intercept and Slope.
	 *
	 * @param intercept the intercept
	 * @param slope the slope
	 * @return this
	 */
	public TinyDicom rescale(double intercept, double slope) {
		text(0x00281052, "DS", trim(intercept));
		return text(0x00281053, "DS", trim(slope));
	}

	/**
	 * Sets Pixel Representation.
	 *
	 * @param signed true for signed (two's complement) pixels
	 * @return this
	 */
	public TinyDicom signed(boolean signed) {
		return us(0x00280103, signed ? 1 : 0);
	}

	/**
	 * Sets the transfer syntax written in the meta information (the pixels stay uncompressed).
	 *
	 * @param uid the transfer syntax UID
	 * @return this
	 */
	public TinyDicom transferSyntax(String uid) {
		this.transferSyntax = uid;
		return this;
	}

	/**
	 * Sets the 128-byte preamble, which the standard lets hold anything (e.g. a TIFF header, for files
	 * that are DICOM and TIFF at once).
	 *
	 * @param bytes at most 128 bytes; the rest stays zero
	 * @return this
	 */
	public TinyDicom preamble(byte[] bytes) {
		this.preamble = java.util.Arrays.copyOf(bytes, 128);
		return this;
	}

	/**
	 * Overrides the Rows element (the pixel data keeps the real size): a header that does not describe its pixels.
	 *
	 * @param rows the rows to claim
	 * @return this
	 */
	public TinyDicom claimRows(int rows) {
		return us(0x00280010, rows);
	}

	/**
	 * Writes the file.
	 *
	 * @param file the target
	 * @return the file
	 * @throws IOException if writing fails
	 */
	public Path write(Path file) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		out.write(preamble);
		out.write("DICM".getBytes(StandardCharsets.US_ASCII));
		element(out, 0x00020010, "UI", pad(transferSyntax, (byte) 0));
		for (Map.Entry<Integer, byte[]> e : elements.entrySet()) {
			int tag = e.getKey();
			byte[] v = e.getValue();
			String vr = new String(v, 0, 2, StandardCharsets.US_ASCII);
			byte[] value = new byte[v.length - 2];
			System.arraycopy(v, 2, value, 0, value.length);
			element(out, tag, vr, value);
		}
		byte[] px = new byte[width * height * 2];
		for (int i = 0; i < pixels.length; i++) {
			px[2 * i] = (byte) pixels[i];
			px[2 * i + 1] = (byte) (pixels[i] >> 8);
		}
		element(out, 0x7FE00010, "OW", px);
		Files.write(file, out.toByteArray());
		return file;
	}

	private TinyDicom text(int tag, String vr, String value) {
		byte[] v = pad(value, vr.equals("UI") ? (byte) 0 : (byte) ' ');
		byte[] withVr = new byte[v.length + 2];
		withVr[0] = (byte) vr.charAt(0);
		withVr[1] = (byte) vr.charAt(1);
		System.arraycopy(v, 0, withVr, 2, v.length);
		elements.put(tag, withVr);
		return this;
	}

	private TinyDicom us(int tag, int value) {
		elements.put(tag, new byte[] {'U', 'S', (byte) value, (byte) (value >> 8)});
		return this;
	}

	private static byte[] pad(String s, byte padding) {
		byte[] b = s.getBytes(StandardCharsets.US_ASCII);
		if (b.length % 2 == 0) return b;
		byte[] p = new byte[b.length + 1];
		System.arraycopy(b, 0, p, 0, b.length);
		p[b.length] = padding;
		return p;
	}

	private static String trim(double v) {
		return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
	}

	private static void element(ByteArrayOutputStream out, int tag, String vr, byte[] value) {
		out.write(tag >> 16 & 0xff);
		out.write(tag >> 24 & 0xff);
		out.write(tag & 0xff);
		out.write(tag >> 8 & 0xff);
		out.write(vr.charAt(0));
		out.write(vr.charAt(1));
		if (vr.equals("OW") || vr.equals("OB") || vr.equals("SQ") || vr.equals("UN")) {
			out.write(0);
			out.write(0);
			int n = value.length;
			out.write(n);
			out.write(n >> 8);
			out.write(n >> 16);
			out.write(n >> 24);
		} else {
			out.write(value.length);
			out.write(value.length >> 8);
		}
		out.write(value, 0, value.length);
	}
}
