package org.medcnn.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads entries of a Siemens CSA header (the {@code SV10} format of the private element
 * {@code (0029,xx10)}): a list of named entries, each with a few string items. Only what MedCNN needs,
 * bounded by the value's length: a damaged header gives no value, never an exception.
 */
final class CsaHeader {

	private static final int MAX_TAGS = 1024;
	private static final int MAX_ITEMS = 1024;

	private CsaHeader() {}

	/**
	 * Returns the first item of an entry as an integer.
	 *
	 * @param csa the element's value
	 * @param name the entry, e.g. {@code NumberOfImagesInMosaic}
	 * @return the value, or null when the header is not SV10, lacks the entry, or its first item is not an integer
	 */
	static Integer intValue(byte[] csa, String name) {
		String v = firstItem(csa, name);
		if (v == null) return null;
		try {
			return Integer.valueOf(v.trim());
		} catch (NumberFormatException e) {
			return null;
		}
	}

	private static String firstItem(byte[] csa, String name) {
		if (csa.length < 16 || csa[0] != 'S' || csa[1] != 'V' || csa[2] != '1' || csa[3] != '0') return null;
		ByteBuffer b = ByteBuffer.wrap(csa).order(ByteOrder.LITTLE_ENDIAN);
		long tags = b.getInt(8) & 0xffffffffL;
		if (tags > MAX_TAGS) return null;
		int pos = 16;
		for (long t = 0; t < tags; t++) {
			if (pos + 84 > csa.length) return null;
			String tagName = cString(csa, pos, 64);
			long items = b.getInt(pos + 76) & 0xffffffffL;
			if (items > MAX_ITEMS) return null;
			pos += 84;
			String first = null;
			for (long i = 0; i < items; i++) {
				if (pos + 16 > csa.length) return null;
				long length = b.getInt(pos + 4) & 0xffffffffL;
				pos += 16;
				if (length > csa.length - pos) return null;
				if (i == 0) first = cString(csa, pos, (int) length);
				pos += (int) ((length + 3) / 4 * 4);
			}
			if (tagName.equals(name)) return items == 0 ? null : first;
		}
		return null;
	}

	private static String cString(byte[] b, int from, int max) {
		int end = from;
		while (end < from + max && end < b.length && b[end] != 0) end++;
		return new String(b, from, end - from, StandardCharsets.ISO_8859_1);
	}
}
