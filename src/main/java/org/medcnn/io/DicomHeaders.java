package org.medcnn.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads just enough of a DICOM Part 10 file to tell whether ImageJ can decode it: the preamble, the
 * transfer syntax of the file meta information (group 0002, always explicit VR little endian), and
 * whether the data elements fit in the file.
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

	/** Value representations whose length, in explicit VR, takes 4 bytes after 2 reserved ones. */
	private static final Set<String> LONG_VR = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV");

	/** Value representations whose length, in explicit VR, takes 2 bytes. */
	private static final Set<String> SHORT_VR = Set.of("AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL",
		"SS", "ST", "TM", "UI", "UL", "US");

	/** Elements read at most by {@link #damage}; a header has hundreds. */
	private static final int MAX_ELEMENTS = 1 << 20;

	/**
	 * Checks that the data elements of a DICOM Part 10 file fit in the file, up to and including the
	 * pixel data. ImageJ's reader allocates what an element's length claims before it can tell that the
	 * file is shorter: from a damaged header (a few random bytes) hundreds of megabytes, which ends in an
	 * OutOfMemoryError, or in no error at all when the heap happens to have the room.
	 * <p>
	 * Elements with an undefined length (sequences, items) are walked into. In little-endian data sets an
	 * element is read as explicit VR when its VR bytes name one, else as implicit VR, as ImageJ does; in
	 * big-endian ones (explicit VR only) an unknown VR ends the check, with no verdict.
	 *
	 * @param file a file
	 * @param transferSyntax its transfer syntax ({@link #transferSyntax}); one that {@link #isReadable} accepts
	 * @return null when every element read fits, or when the file has no Part 10 preamble ({@link #isDicom});
	 *         else which element does not fit, for a message
	 * @throws IOException if reading fails
	 */
	public static String damage(Path file, String transferSyntax) throws IOException {
		boolean bigEndian = "1.2.840.10008.1.2.2".equals(transferSyntax);
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
			long size = ch.size();
			ByteBuffer window = ByteBuffer.allocate(64 * 1024);
			while (window.position() < 132 && ch.read(window, window.position()) > 0) {
				// the preamble and "DICM"
			}
			if (!isDicom(java.util.Arrays.copyOf(window.array(), window.position()))) return null;
			long windowStart = -1;
			long pos = 132;
			boolean meta = true;
			for (int n = 0; n < MAX_ELEMENTS && pos + 8 <= size; n++) {
				if (windowStart < 0 || pos < windowStart || pos + 12 > windowStart + window.limit()) {
					window.clear();
					while (window.hasRemaining() && ch.read(window, pos + window.position()) > 0) {
						// fill the window from pos on, up to the end of the file
					}
					window.flip();
					windowStart = pos;
				}
				int at = (int) (pos - windowStart);
				int got = Math.min(12, window.limit() - at);
				// The meta information is explicit VR little endian; the data set follows the transfer syntax.
				if (meta && (window.order(ByteOrder.LITTLE_ENDIAN).getShort(at) & 0xffff) != 0x0002) meta = false;
				boolean big = !meta && bigEndian;
				window.order(big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
				int group = window.getShort(at) & 0xffff;
				int element = window.getShort(at + 2) & 0xffff;
				String vr = new String(new byte[] {window.get(at + 4), window.get(at + 5)}, StandardCharsets.ISO_8859_1);
				long length;
				long value;
				if (group == 0xFFFE) {
					// items and delimiters: tag and a 4-byte length, never a VR
					length = window.getInt(at + 4) & 0xffffffffL;
					value = pos + 8;
				} else if (LONG_VR.contains(vr)) {
					if (got < 12) return String.format(Locale.ROOT, "the file ends inside element (%04X,%04X) at byte %d", group, element, pos);
					length = window.getInt(at + 8) & 0xffffffffL;
					value = pos + 12;
				} else if (SHORT_VR.contains(vr)) {
					length = window.getShort(at + 6) & 0xffff;
					value = pos + 8;
				} else if (meta || big) {
					return null;
				} else {
					length = window.getInt(at + 4) & 0xffffffffL;
					value = pos + 8;
				}
				if (length == 0xFFFFFFFFL) {
					pos = value;
					continue;
				}
				if (value + length > size) {
					return String.format(Locale.ROOT, "element (%04X,%04X) at byte %d claims %d bytes, but the file has %d after it", group, element, pos, length,
						size - value);
				}
				if (group == 0x7FE0 && element == 0x0010) return null;
				pos = value + length;
			}
			return null;
		}
	}

	private static int u16(byte[] b, int i) {
		return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
	}

	private static long u32(byte[] b, int i) {
		return (u16(b, i) | (long) u16(b, i + 2) << 16) & 0xffffffffL;
	}
}
