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
 * whether the data elements fit in the file; and the few header values MedCNN needs from files ImageJ
 * cannot describe ({@link #values}).
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
		if (uid == null) return "Implicit VR Little Endian (no transfer syntax in the file meta information)";
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

	/** Values longer than this are not handed to a {@link Visitor} (the CSA header of a Siemens file is 10-20 KB). */
	private static final int MAX_VALUE = 1 << 20;

	/**
	 * Checks that the data elements of a DICOM Part 10 file fit in the file, up to and including the
	 * pixel data, and that the pixel data holds what Rows, Columns, Bits Allocated, Samples per Pixel and
	 * Number of Frames say. ImageJ's reader allocates what an element's length claims before it can tell
	 * that the file is shorter: from a damaged header (a few random bytes) hundreds of megabytes, which ends
	 * in an OutOfMemoryError, or in no error at all when the heap happens to have the room. Pixel data
	 * shorter than Rows x Columns says is padded with zeros by ImageJ, and longer pixel data is cut: either
	 * way the image would be silently wrong.
	 * <p>
	 * Elements with an undefined length (sequences, items) are walked into; only elements outside any
	 * sequence count for the image size (an icon image inside a sequence has its own rows and columns). In
	 * little-endian data sets an element is read as explicit VR when its VR bytes name one, else as implicit
	 * VR, as ImageJ does; in big-endian ones (explicit VR only) an unknown VR ends the check, with no verdict.
	 *
	 * @param file a file
	 * @param transferSyntax its transfer syntax ({@link #transferSyntax}); for a compressed one (which
	 *        {@link #isReadable} refuses) only the elements before the pixel data are checked
	 * @return null when every element read fits, or when the file has no Part 10 preamble ({@link #isDicom});
	 *         else which element does not fit, for a message
	 * @throws IOException if reading fails
	 */
	public static String damage(Path file, String transferSyntax) throws IOException {
		ImageSize image = new ImageSize();
		image.bigEndian = "1.2.840.10008.1.2.2".equals(transferSyntax);
		String[] pixels = new String[1];
		String damage = walk(file, transferSyntax, (group, element, depth, length, value) -> {
			if (depth != 0) return true;
			if (group == 0x0028 && length <= 16) image.read(element, value.get());
			if (group == 0x7FE0 && element == 0x0010) {
				// Compressed transfer syntaxes encapsulate the pixel data: its size says nothing about the image.
				if (!isReadable(transferSyntax)) return false;
				pixels[0] = length < 0
					? "its pixel data is encapsulated (compressed), but its transfer syntax " + describe(transferSyntax) + " says uncompressed"
					: image.check(length);
				return false;
			}
			return true;
		});
		return damage != null ? damage : pixels[0];
	}

	/**
	 * Returns the number of images in a Siemens mosaic: a file whose Image Type (0008,0008) says
	 * {@code MOSAIC} holds that many slices as tiles of one image. The number comes from the
	 * {@code NumberOfImagesInMosaic} entry of the Siemens CSA image header (the private element
	 * {@code (0029,xx10)} of the creator {@code SIEMENS CSA HEADER}), or else from the private element
	 * {@code (0019,xx0A)} of the creator {@code SIEMENS MR HEADER}.
	 *
	 * @param file a DICOM Part 10 file
	 * @param transferSyntax its transfer syntax
	 * @return 0 when the file is not a mosaic; -1 when it is one but states no number of images; else the number
	 * @throws IOException if reading fails
	 */
	public static int mosaicImages(Path file, String transferSyntax) throws IOException {
		boolean[] mosaic = new boolean[1];
		int[] csaBlock = {-1};
		int[] mrBlock = {-1};
		Integer[] fromCsa = new Integer[1];
		Integer[] fromMr = new Integer[1];
		walk(file, transferSyntax, (group, element, depth, length, value) -> {
			if (depth != 0) return true;
			if (group == 0x0008 && element == 0x0008 && length <= 1024) {
				for (String part : text(value.get()).split("\\\\")) if (part.trim().equals("MOSAIC")) mosaic[0] = true;
			} else if ((group == 0x0029 || group == 0x0019) && element >= 0x0010 && element <= 0x00FF && length <= 64) {
				String creator = text(value.get()).trim();
				if (group == 0x0029 && creator.equals("SIEMENS CSA HEADER")) csaBlock[0] = element;
				if (group == 0x0019 && creator.equals("SIEMENS MR HEADER")) mrBlock[0] = element;
			} else if (group == 0x0029 && csaBlock[0] > 0 && element == (csaBlock[0] << 8 | 0x10) && length > 0) {
				fromCsa[0] = CsaHeader.intValue(value.get(), "NumberOfImagesInMosaic");
			} else if (group == 0x0019 && mrBlock[0] > 0 && element == (mrBlock[0] << 8 | 0x0A) && length > 0 && length <= 16) {
				byte[] v = value.get();
				fromMr[0] = v.length == 2 ? (v[0] & 0xff) | (v[1] & 0xff) << 8 : parseInt(text(v));
			}
			return !(group == 0x7FE0 && element == 0x0010); // the header ends at the pixel data
		});
		if (!mosaic[0]) return 0;
		Integer n = fromCsa[0] != null ? fromCsa[0] : fromMr[0];
		return n == null || n < 1 ? -1 : n;
	}

	/** Elements whose value is an unsigned 16-bit number (US), read as such; every other one is read as text. */
	private static final Set<String> US_TAGS = Set.of("0028,0002", "0028,0010", "0028,0011", "0028,0100", "0028,0101", "0028,0103");

	/** The key {@link #values} gives the pixel data when the file has some, with an empty value. */
	public static final String PIXEL_DATA = "7FE0,0010";

	/**
	 * Reads the top-level values of some data elements, for files that ImageJ's header reader does not
	 * describe (it stops at a compressed transfer syntax). Text values are trimmed of padding; the image
	 * size elements (Rows, Columns, Bits Allocated, Bits Stored, Samples per Pixel, Pixel Representation)
	 * are given as decimal numbers. Reading stops at the pixel data.
	 *
	 * @param file a DICOM Part 10 file
	 * @param transferSyntax its transfer syntax ({@link #transferSyntax})
	 * @param tags the elements wanted, as {@code "GGGG,EEEE"} in upper case hexadecimal
	 * @return the values found, by tag, in file order; {@link #PIXEL_DATA} is a key when the file has pixel data
	 * @throws IOException if reading fails
	 */
	public static Map<String, String> values(Path file, String transferSyntax, Set<String> tags) throws IOException {
		boolean bigEndian = "1.2.840.10008.1.2.2".equals(transferSyntax);
		Map<String, String> out = new java.util.LinkedHashMap<>();
		walk(file, transferSyntax, (group, element, depth, length, value) -> {
			if (depth != 0) return true;
			String tag = String.format(Locale.ROOT, "%04X,%04X", group, element);
			if (group == 0x7FE0 && element == 0x0010) {
				out.put(PIXEL_DATA, "");
				return false;
			}
			if (tags.contains(tag) && length >= 0 && length <= 1024) {
				byte[] v = value.get();
				if (US_TAGS.contains(tag) && v.length == 2) {
					out.put(tag, Integer.toString(bigEndian ? (v[0] & 0xff) << 8 | (v[1] & 0xff) : (v[0] & 0xff) | (v[1] & 0xff) << 8));
				} else {
					out.put(tag, text(v).trim());
				}
			}
			return true;
		});
		return out;
	}

	private static String text(byte[] v) {
		return new String(v, StandardCharsets.ISO_8859_1).replace("\0", "");
	}

	private static Integer parseInt(String s) {
		try {
			return Integer.parseInt(s.trim());
		} catch (NumberFormatException e) {
			return null;
		}
	}

	/** Sees the data elements of a file one by one. */
	@FunctionalInterface
	private interface Visitor {
		/**
		 * Sees one element.
		 *
		 * @param group the group
		 * @param element the element
		 * @param depth how many sequences of undefined length it lies in
		 * @param length its value length; -1 for an undefined length
		 * @param value reads its value (at most {@link #MAX_VALUE} bytes, else empty)
		 * @return whether to go on
		 */
		boolean visit(int group, int element, int depth, long length, Value value) throws IOException;
	}

	/** Reads an element's value on demand. */
	@FunctionalInterface
	private interface Value {
		byte[] get() throws IOException;
	}

	/**
	 * Walks the data elements of a DICOM Part 10 file from the meta information on.
	 *
	 * @return null when the walk ended (at the end of the file, where the visitor stopped, or at an element
	 *         it cannot read with no verdict); else which element does not fit in the file
	 */
	private static String walk(Path file, String transferSyntax, Visitor visitor) throws IOException {
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
			int depth = 0;
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
				ByteOrder order = big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
				window.order(order);
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
				if (group == 0xFFFE && element == 0xE0DD) depth = Math.max(0, depth - 1); // end of a sequence
				if (length == 0xFFFFFFFFL) {
					if (!visitor.visit(group, element, depth, -1, () -> new byte[0])) return null;
					if (group != 0xFFFE) depth++; // a sequence of undefined length: its items follow
					pos = value;
					continue;
				}
				if (value + length > size) {
					return String.format(Locale.ROOT, "element (%04X,%04X) at byte %d claims %d bytes, but the file has %d after it", group, element, pos, length,
						size - value);
				}
				final long at0 = value;
				final long len = length;
				boolean go = visitor.visit(group, element, depth, length, () -> {
					if (len > MAX_VALUE) return new byte[0];
					ByteBuffer b = ByteBuffer.allocate((int) len);
					while (b.hasRemaining() && ch.read(b, at0 + b.position()) > 0) {
						// read the value
					}
					return b.array();
				});
				if (!go) return null;
				pos = value + length;
			}
			return null;
		}
	}

	/** Rows, Columns, Bits Allocated, Samples per Pixel and Number of Frames of a data set, as far as read. */
	private static final class ImageSize {
		long rows = -1;
		long columns = -1;
		long bits = 16;
		long samples = 1;
		long frames = 1;
		boolean bigEndian;

		void read(int element, byte[] v) {
			switch (element) {
				case 0x0010 -> rows = v.length == 2 ? u16(v) : rows;
				case 0x0011 -> columns = v.length == 2 ? u16(v) : columns;
				case 0x0100 -> bits = v.length == 2 ? u16(v) : bits;
				case 0x0002 -> samples = v.length == 2 ? u16(v) : samples;
				case 0x0008 -> {
					Integer f = parseInt(text(v));
					frames = f == null ? -1 : f;
				}
				default -> {
					// not a size
				}
			}
		}

		private int u16(byte[] v) {
			return bigEndian ? (v[0] & 0xff) << 8 | (v[1] & 0xff) : (v[0] & 0xff) | (v[1] & 0xff) << 8;
		}

		/** @return null when the pixel data holds the image the header describes, else what is wrong */
		String check(long pixelBytes) {
			if (rows < 1 || columns < 1) return null; // no image to compare with; the readers report it
			if (frames < 1) return "its Number of Frames (0028,0008) is not a positive number";
			if (bits != 1 && bits != 8 && bits != 16 && bits != 32) return "its Bits Allocated (0028,0100) is " + bits + ", which ImageJ cannot read";
			long pixels = rows * columns * samples * frames;
			long expected = bits == 1 ? (pixels + 7) / 8 : pixels * (bits / 8);
			if (pixelBytes == expected || pixelBytes == expected + 1 && expected % 2 == 1) return null;
			return String.format(Locale.ROOT,
				"its pixel data has %d bytes, but Rows x Columns x Samples x Frames = %d x %d x %d x %d at %d bits need %d: the header does not describe the pixels",
				pixelBytes, rows, columns, samples, frames, bits, expected);
		}
	}

	private static int u16(byte[] b, int i) {
		return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
	}

	private static long u32(byte[] b, int i) {
		return (u16(b, i) | (long) u16(b, i + 2) << 16) & 0xffffffffL;
	}
}
