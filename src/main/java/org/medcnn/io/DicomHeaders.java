package org.medcnn.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads just enough of a DICOM Part 10 file to tell whether ImageJ can decode it: the preamble and
 * the transfer syntax of the file meta information (group 0002, always explicit VR little endian).
 */
public final class DicomHeaders {

	/** Uncompressed transfer syntaxes that ImageJ's DICOM reader decodes. */
	private static final Map<String, String> READABLE = Map.of(
		"1.2.840.10008.1.2", "Implicit VR Little Endian",
		"1.2.840.10008.1.2.1", "Explicit VR Little Endian",
		"1.2.840.10008.1.2.2", "Explicit VR Big Endian");

	private static final Map<String, String> NAMES = Map.ofEntries(
		Map.entry("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian"),
		Map.entry("1.2.840.10008.1.2.4.50", "JPEG Baseline"),
		Map.entry("1.2.840.10008.1.2.4.51", "JPEG Extended"),
		Map.entry("1.2.840.10008.1.2.4.57", "JPEG Lossless"),
		Map.entry("1.2.840.10008.1.2.4.70", "JPEG Lossless SV1"),
		Map.entry("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"),
		Map.entry("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless"),
		Map.entry("1.2.840.10008.1.2.4.90", "JPEG 2000 Lossless"),
		Map.entry("1.2.840.10008.1.2.4.91", "JPEG 2000"),
		Map.entry("1.2.840.10008.1.2.5", "RLE Lossless"),
		Map.entry("1.2.840.10008.1.2.4.100", "MPEG2"),
		Map.entry("1.2.840.10008.1.2.4.201", "HTJ2K Lossless"),
		Map.entry("1.2.840.10008.1.2.4.203", "HTJ2K"));

	private DicomHeaders() {}

	/**
	 * Tells whether a file starts like a DICOM Part 10 file ("DICM" at byte 128).
	 *
	 * @param head the first bytes of the file (at least 132 for a positive answer)
	 * @return true for a DICOM Part 10 file
	 */
	public static boolean isDicom(byte[] head) {
		return head.length >= 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M';
	}

	/**
	 * Reads the transfer syntax UID of a DICOM Part 10 file.
	 *
	 * @param file the file
	 * @return the UID, or null when the meta information has none
	 * @throws IOException if reading fails
	 */
	public static String transferSyntax(Path file) throws IOException {
		byte[] buf = new byte[64 * 1024];
		int n;
		try (InputStream in = Files.newInputStream(file)) {
			n = in.readNBytes(buf, 0, buf.length);
		}
		int pos = 132;
		while (pos + 8 <= n) {
			int group = u16(buf, pos);
			int element = u16(buf, pos + 2);
			if (group != 0x0002) break;
			String vr = new String(buf, pos + 4, 2, StandardCharsets.US_ASCII);
			int len;
			int value;
			if (vr.equals("OB") || vr.equals("OW") || vr.equals("UN") || vr.equals("SQ") || vr.equals("UT") || vr.equals("OF")) {
				if (pos + 12 > n) break;
				len = (int) u32(buf, pos + 8);
				value = pos + 12;
			} else {
				len = u16(buf, pos + 6);
				value = pos + 8;
			}
			if (len < 0 || value + len > n) break;
			if (element == 0x0010) {
				return new String(buf, value, len, StandardCharsets.US_ASCII).replace("\0", "").trim();
			}
			pos = value + len;
		}
		return null;
	}

	/**
	 * Tells whether ImageJ's DICOM reader can decode a transfer syntax.
	 *
	 * @param uid the transfer syntax UID; null (no meta information) is treated as implicit VR little endian
	 * @return true if uncompressed
	 */
	public static boolean isReadable(String uid) {
		return uid == null || READABLE.containsKey(uid);
	}

	/**
	 * Returns a readable name of a transfer syntax.
	 *
	 * @param uid the UID
	 * @return e.g. {@code JPEG 2000 Lossless (1.2.840.10008.1.2.4.90)}
	 */
	public static String describe(String uid) {
		String name = READABLE.containsKey(uid) ? READABLE.get(uid) : NAMES.getOrDefault(uid, "unknown transfer syntax");
		return name + " (" + uid + ")";
	}

	private static int u16(byte[] b, int i) {
		return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
	}

	private static long u32(byte[] b, int i) {
		return (u16(b, i) | (long) u16(b, i + 2) << 16) & 0xffffffffL;
	}
}
