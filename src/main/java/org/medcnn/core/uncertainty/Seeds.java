package org.medcnn.core.uncertainty;

/** Derives independent seeds from several numbers (SplitMix64 finaliser), so draws do not depend on batching. */
public final class Seeds {

	private Seeds() {}

	/**
	 * Mixes numbers into one seed.
	 *
	 * @param parts the numbers, e.g. run seed, slice, pass
	 * @return the seed
	 */
	public static long mix(long... parts) {
		long h = 0x9E3779B97F4A7C15L;
		for (long p : parts) {
			h ^= p + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2);
			h = finish(h);
		}
		return h;
	}

	private static long finish(long z) {
		z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
		z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
		return z ^ (z >>> 31);
	}
}
