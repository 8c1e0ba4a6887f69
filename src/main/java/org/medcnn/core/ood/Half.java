package org.medcnn.core.ood;

/**
 * IEEE 754 half-precision (binary16) conversion, for the detector file (Java 17 has no
 * {@code Float.floatToFloat16}). Rounds to nearest, ties to even; overflow gives infinity.
 */
final class Half {

	private Half() {}

	/**
	 * Converts a float to the nearest half.
	 *
	 * @param f the value
	 * @return its binary16 bits in the low 16 bits
	 */
	static short fromFloat(float f) {
		int bits = Float.floatToRawIntBits(f);
		int sign = (bits >>> 16) & 0x8000;
		int exp = (bits >>> 23) & 0xff;
		int mant = bits & 0x7fffff;
		if (exp == 0xff) return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0)); // infinity or NaN
		int e = exp - 127 + 15;
		if (e >= 0x1f) return (short) (sign | 0x7c00); // too large: infinity
		if (e <= 0) {
			// subnormal half (or zero): shift the full mantissa with its implicit bit
			if (e < -10) return (short) sign;
			int m = mant | 0x800000;
			int shift = 14 - e;
			int half = m >>> shift;
			int rest = m & ((1 << shift) - 1);
			int mid = 1 << (shift - 1);
			if (rest > mid || (rest == mid && (half & 1) != 0)) half++;
			return (short) (sign | half);
		}
		int half = (e << 10) | (mant >>> 13);
		int rest = mant & 0x1fff;
		if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) half++; // may carry into the exponent, which is right
		return (short) (sign | half);
	}

	/**
	 * Converts a half to a float (exact).
	 *
	 * @param h binary16 bits
	 * @return the value
	 */
	static float toFloat(short h) {
		int bits = h & 0xffff;
		int sign = (bits & 0x8000) << 16;
		int exp = (bits >>> 10) & 0x1f;
		int mant = bits & 0x3ff;
		if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
		if (exp == 0) {
			if (mant == 0) return Float.intBitsToFloat(sign);
			// subnormal: value = mant * 2^-24
			float v = mant * 0x1p-24f;
			return sign != 0 ? -v : v;
		}
		return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
	}

	/**
	 * Rounds every value to half precision, in place.
	 *
	 * @param values the values
	 */
	static void round(float[] values) {
		for (int i = 0; i < values.length; i++) values[i] = toFloat(fromFloat(values[i]));
	}
}
