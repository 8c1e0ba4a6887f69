package org.medcnn.core.image;

import java.util.Objects;

/**
 * One 2D slice in physical intensity units (for CT: Hounsfield units), row-major, grey.
 * <p>
 * The pixel array is owned by the slice and must not be changed after construction. A slice read from
 * unsigned 8- or 16-bit data may keep those integers instead ({@link #unsigned16}, {@link #unsigned8}),
 * with the calibration that gives each integer its physical value (CT: Hounsfield units) or without:
 * its float values are then made on first use, and preprocessing works on the integers directly
 * (same values, less work: no conversion, no NaN scan, histogram without a range pass).
 */
public final class Slice {

	private final int index;
	private final String label;
	private final int width;
	private final int height;
	private volatile float[] pixels;
	private final short[] u16;
	private final byte[] u8;
	private final float[] calibration;

	/**
	 * Creates a slice.
	 *
	 * @param index 1-based position of the slice in its source (as ImageJ counts)
	 * @param label slice label, may be empty but not null
	 * @param width width in pixels, at least 1
	 * @param height height in pixels, at least 1
	 * @param pixels {@code width * height} values, row-major
	 * @throws IllegalArgumentException if the sizes do not agree
	 */
	public Slice(int index, String label, int width, int height, float[] pixels) {
		this(index, label, width, height, Objects.requireNonNull(pixels, "pixels"), null, null, null, pixels.length);
	}

	private Slice(int index, String label, int width, int height, float[] pixels, short[] u16, byte[] u8, float[] calibration, int length) {
		if (width < 1 || height < 1) {
			throw new IllegalArgumentException("Slice " + index + " has no pixels (" + width + "x" + height + ")");
		}
		if (length != width * height) {
			throw new IllegalArgumentException("Slice " + index + ": " + length + " pixels for " + width + "x" + height);
		}
		this.index = index;
		this.label = label == null ? "" : label;
		this.width = width;
		this.height = height;
		this.pixels = pixels;
		this.u16 = u16;
		this.u8 = u8;
		this.calibration = calibration;
	}

	/**
	 * A slice of unsigned 16-bit values (0 to 65535), kept as they are.
	 *
	 * @param index 1-based position of the slice in its source
	 * @param label slice label
	 * @param width width in pixels
	 * @param height height in pixels
	 * @param values {@code width * height} values, row-major, read as unsigned; not copied, not changed
	 * @return the slice
	 */
	public static Slice unsigned16(int index, String label, int width, int height, short[] values) {
		return new Slice(index, label, width, height, null, Objects.requireNonNull(values, "values"), null, null, values.length);
	}

	/**
	 * A slice of unsigned 8-bit values (0 to 255), kept as they are.
	 *
	 * @param index 1-based position of the slice in its source
	 * @param label slice label
	 * @param width width in pixels
	 * @param height height in pixels
	 * @param values {@code width * height} values, row-major, read as unsigned; not copied, not changed
	 * @return the slice
	 */
	public static Slice unsigned8(int index, String label, int width, int height, byte[] values) {
		return new Slice(index, label, width, height, null, null, Objects.requireNonNull(values, "values"), null, values.length);
	}

	/**
	 * A slice of a copy of unsigned 16-bit values, with the calibration that gives each its physical value
	 * or without. The values are copied into the array of a slice that the caller no longer uses when it has
	 * one of the same size: a new half megabyte per 512 x 512 slice was memory that no cache had seen
	 * (cloning took 0.1-0.25 ms, copying into a reused array 0.03 ms, measured). With a calibration its pixels
	 * are the calibrated values; preprocessing still works on the integers, with the same results as on
	 * those pixels.
	 *
	 * @param index 1-based position of the slice in its source
	 * @param label slice label
	 * @param width width in pixels
	 * @param height height in pixels
	 * @param values {@code width * height} values, row-major, read as unsigned; copied, not changed
	 * @param calibration the physical value of each of the 65536 integers ({@link Calibration#of(float[], int)}
	 *        with 65536), or null for none
	 * @param recycled a slice whose pixels are no longer needed (it must not be used afterwards), or null
	 * @return the slice
	 * @throws IllegalArgumentException if the calibration covers another number of integers than 65536
	 */
	public static Slice copyOfUnsigned16(int index, String label, int width, int height, short[] values, Calibration calibration, Slice recycled) {
		if (calibration != null && calibration.values.length != 1 << 16) throw new IllegalArgumentException("calibration of slice " + index + ": made for 8-bit, not 16-bit values");
		short[] into = recycled != null && recycled.u16 != null && recycled.u16.length == values.length ? recycled.u16 : new short[values.length];
		System.arraycopy(values, 0, into, 0, values.length);
		return new Slice(index, label, width, height, null, into, null, calibration == null ? null : calibration.values, values.length);
	}

	/**
	 * A slice of a copy of unsigned 8-bit values and their calibration, as
	 * {@link #copyOfUnsigned16(int, String, int, int, short[], Calibration, Slice)} for 16-bit values.
	 *
	 * @param index 1-based position of the slice in its source
	 * @param label slice label
	 * @param width width in pixels
	 * @param height height in pixels
	 * @param values {@code width * height} values, row-major, read as unsigned; copied, not changed
	 * @param calibration the physical value of each of the 256 integers ({@link Calibration#of(float[], int)}
	 *        with 256), or null for none
	 * @param recycled a slice whose pixels are no longer needed (it must not be used afterwards), or null
	 * @return the slice
	 * @throws IllegalArgumentException if the calibration covers another number of integers than 256
	 */
	public static Slice copyOfUnsigned8(int index, String label, int width, int height, byte[] values, Calibration calibration, Slice recycled) {
		if (calibration != null && calibration.values.length != 1 << 8) throw new IllegalArgumentException("calibration of slice " + index + ": made for 16-bit, not 8-bit values");
		byte[] into = recycled != null && recycled.u8 != null && recycled.u8.length == values.length ? recycled.u8 : new byte[values.length];
		System.arraycopy(values, 0, into, 0, values.length);
		return new Slice(index, label, width, height, null, null, into, calibration == null ? null : calibration.values, values.length);
	}

	/**
	 * The physical value of each raw 8- or 16-bit integer (CT: Hounsfield units), checked once for the
	 * slices of a whole stack: every value finite (so no pixel is NaN or infinite), none smaller than the
	 * one before (so the integers' order statistics are those of the calibrated values, and percentiles
	 * can be found on the integers). Immutable.
	 */
	public static final class Calibration {
		private final float[] values;

		private Calibration(float[] values) {
			this.values = values;
		}

		/**
		 * Checks and copies a calibration table.
		 *
		 * @param table the value of integer {@code i} at index {@code i}, at least {@code size} of them
		 * @param size how many integers the type has: 256 or 65536
		 * @return the calibration, or null when the table is shorter, has a value that is not finite, or decreases somewhere
		 */
		public static Calibration of(float[] table, int size) {
			if (size != 1 << 8 && size != 1 << 16) throw new IllegalArgumentException("a calibration covers 256 or 65536 integers, not " + size);
			if (table.length < size) return null;
			for (int i = 0; i < size; i++) {
				if (!Float.isFinite(table[i]) || (i > 0 && table[i] < table[i - 1])) return null;
			}
			return new Calibration(java.util.Arrays.copyOf(table, size));
		}
	}

	/**
	 * @return whether the slice is kept as raw 8- or 16-bit integers (with or without a calibration), whose
	 *         pixels are known to be finite
	 */
	public boolean integerValued() {
		return u16 != null || u8 != null;
	}

	/** @return the physical value of each raw integer ({@link #integerValued()}), or null when it is the integer itself */
	float[] calibration() {
		return calibration;
	}

	/** @return the unsigned 16-bit values, or null */
	short[] u16() {
		return u16;
	}

	/** @return the unsigned 8-bit values, or null */
	byte[] u8() {
		return u8;
	}

	/** @return the 1-based slice index in its source */
	public int index() {
		return index;
	}

	/** @return the slice label, never null */
	public String label() {
		return label;
	}

	/** @return the width in pixels */
	public int width() {
		return width;
	}

	/** @return the height in pixels */
	public int height() {
		return height;
	}

	/** @return the pixels, row-major; do not modify */
	public float[] pixels() {
		float[] p = pixels;
		if (p == null) {
			int n = width * height;
			p = new float[n];
			float[] c = calibration;
			if (u16 != null) {
				if (c == null) for (int i = 0; i < n; i++) p[i] = u16[i] & 0xffff;
				else for (int i = 0; i < n; i++) p[i] = c[u16[i] & 0xffff];
			} else {
				if (c == null) for (int i = 0; i < n; i++) p[i] = u8[i] & 0xff;
				else for (int i = 0; i < n; i++) p[i] = c[u8[i] & 0xff];
			}
			pixels = p;
		}
		return p;
	}

	/**
	 * Returns a short description of the slice for messages, e.g. {@code slice 3 ("IM-0003")}.
	 *
	 * @return the description
	 */
	public String describe() {
		return label.isEmpty() ? "slice " + index : "slice " + index + " (\"" + label + "\")";
	}
}
