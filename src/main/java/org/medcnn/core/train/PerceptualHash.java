package org.medcnn.core.train;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.medcnn.core.image.Resampling;
import org.medcnn.core.image.Slice;

/**
 * Image fingerprints for leakage control: a 256-bit difference hash (dHash) for near-duplicates and
 * a SHA-256 of the pixel values for exact duplicates.
 * <p>
 * dHash: the slice is resized (antialiased) to 17 x 16; each bit says whether a pixel is brighter
 * than its right neighbour. It is insensitive to scale, global brightness and JPEG noise, so two
 * copies of one image at different sizes or qualities differ by a few bits only.
 */
public final class PerceptualHash {

	private PerceptualHash() {}

	/**
	 * Computes the 256-bit difference hash.
	 *
	 * @param s the slice
	 * @return 4 longs, 64 bits each
	 */
	public static long[] dhash(Slice s) {
		float[] small = Resampling.resize(s.pixels(), s.width(), s.height(), 17, 16);
		long[] bits = new long[4];
		int k = 0;
		for (int y = 0; y < 16; y++) {
			for (int x = 0; x < 16; x++) {
				if (small[y * 17 + x] > small[y * 17 + x + 1]) bits[k >> 6] |= 1L << (k & 63);
				k++;
			}
		}
		return bits;
	}

	/**
	 * Hamming distance of two hashes.
	 *
	 * @param a a hash
	 * @param b another hash
	 * @return differing bits, 0 to 256
	 */
	public static int distance(long[] a, long[] b) {
		int d = 0;
		for (int i = 0; i < a.length; i++) d += Long.bitCount(a[i] ^ b[i]);
		return d;
	}

	/**
	 * SHA-256 of the slice size and pixel values: equal for pixel-identical slices.
	 *
	 * @param s the slice
	 * @return hex digest
	 */
	public static String pixelHash(Slice s) {
		try {
			MessageDigest md = MessageDigest.getInstance("SHA-256");
			ByteBuffer bb = ByteBuffer.allocate(8 + 4 * s.pixels().length);
			bb.putInt(s.width()).putInt(s.height());
			for (float v : s.pixels()) bb.putFloat(v);
			return HexFormat.of().formatHex(md.digest(bb.array()));
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}
}
