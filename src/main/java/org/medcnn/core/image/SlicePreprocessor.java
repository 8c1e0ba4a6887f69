package org.medcnn.core.image;

/**
 * Turns a {@link Slice} into the model's input tensor (3 x H x W, channel-first), following an
 * {@link InputSpec}: check, intensity policy, resize, grey to 3 channels, channel normalisation.
 */
public final class SlicePreprocessor {

	private final InputSpec spec;
	private final float[] mean;
	private final float[] std;

	/**
	 * Creates a preprocessor.
	 *
	 * @param spec the model's input contract
	 */
	public SlicePreprocessor(InputSpec spec) {
		this.spec = spec;
		this.mean = spec.mean();
		this.std = spec.std();
	}

	/** @return the input contract */
	public InputSpec spec() {
		return spec;
	}

	/**
	 * Checks that a slice can be classified.
	 *
	 * @param slice the slice
	 * @throws IllegalArgumentException naming the slice if it is too small or has NaN/infinite pixels
	 */
	public void check(Slice slice) {
		int min = spec.minSliceSize();
		if (slice.width() < min || slice.height() < min) {
			throw new IllegalArgumentException(slice.describe() + " is " + slice.width() + "x" + slice.height()
				+ " pixels; the model needs at least " + min + "x" + min);
		}
		if (slice.integerValued()) return;
		float[] p = slice.pixels();
		for (int i = 0; i < p.length; i++) {
			if (!Float.isFinite(p[i])) {
				int x = i % slice.width();
				int y = i / slice.width();
				throw new IllegalArgumentException(slice.describe() + " has a " + (Float.isNaN(p[i]) ? "NaN" : "infinite")
					+ " pixel at x=" + x + ", y=" + y + "; replace non-finite values before classifying");
			}
		}
	}

	/**
	 * Computes where a slice lands inside the model input.
	 *
	 * @param width slice width
	 * @param height slice height
	 * @return the placement
	 */
	public Placement placement(int width, int height) {
		if (spec.resize() == InputSpec.Resize.STRETCH) {
			return new Placement(0, 0, spec.width(), spec.height());
		}
		double scale = Math.min((double) spec.width() / width, (double) spec.height() / height);
		int w = Math.max(1, (int) Math.round(width * scale));
		int h = Math.max(1, (int) Math.round(height * scale));
		return new Placement((spec.width() - w) / 2, (spec.height() - h) / 2, w, h);
	}

	/**
	 * Writes the preprocessed slice into {@code dest} at {@code offset} (channel-first, 3 x H x W).
	 *
	 * @param slice the slice
	 * @param dest destination array
	 * @param offset index of the first value to write
	 * @throws IllegalArgumentException if the slice fails {@link #check(Slice)}
	 */
	public void preprocess(Slice slice, float[] dest, int offset) {
		int plane = spec.width() * spec.height();
		float[] unit = UNIT.get();
		if (unit.length != plane) {
			unit = new float[plane];
			UNIT.set(unit);
		}
		normalize(unitImage(slice, unit), dest, offset);
	}

	/**
	 * Each thread's unit image, reused from slice to slice by {@link #preprocess}: a new one per slice (200 kB
	 * for 224 x 224) was memory that no cache had seen.
	 */
	private static final ThreadLocal<float[]> UNIT = ThreadLocal.withInitial(() -> new float[0]);

	/**
	 * Applies the intensity policy and resizes the slice into the model input frame: an H x W image in
	 * [0, 1], padded with 0 (letterbox). Training augments this image before {@link #normalize}.
	 *
	 * @param slice the slice
	 * @return H x W values, row-major
	 * @throws IllegalArgumentException if the slice fails {@link #check(Slice)}
	 */
	public float[] unitImage(Slice slice) {
		return unitImage(slice, null);
	}

	/**
	 * {@link #unitImage(Slice)}, written into {@code reuse} when the slice fills the whole frame and it has
	 * the frame's size.
	 *
	 * @param slice the slice
	 * @param reuse an array of H x W values to write into, or null
	 * @return {@code reuse}, or a new array
	 * @throws IllegalArgumentException if the slice fails {@link #check(Slice)}
	 */
	public float[] unitImage(Slice slice, float[] reuse) {
		check(slice);
		Placement p = placement(slice.width(), slice.height());
		IntegerHistogram.Table table = integerTable(spec.intensity(), slice);
		boolean filled = p.width() == spec.width() && p.height() == spec.height();
		float[] resized = table != null ? Resampling.resize(slice, table, p.width(), p.height(), filled ? reuse : null)
			: Resampling.resize(spec.intensity().apply(slice), slice.width(), slice.height(), p.width(), p.height());
		if (filled) return resized;
		int iw = spec.width();
		float[] framed = new float[iw * spec.height()];
		for (int y = 0; y < p.height(); y++) {
			System.arraycopy(resized, y * p.width(), framed, (y + p.y()) * iw + p.x(), p.width());
		}
		return framed;
	}

	/**
	 * The intensity policy of an 8- or 16-bit slice as a table of its integers, so that mapping and
	 * resizing run in one pass over the slice: the same floats as {@link IntensityPolicy#apply(Slice)}.
	 *
	 * @return the table, or null for float slices (and value ranges wider than the slice has pixels)
	 */
	private static IntegerHistogram.Table integerTable(IntensityPolicy policy, Slice slice) {
		if (!slice.integerValued()) return null;
		if (policy instanceof IntensityPolicy.Percentile pc) return IntegerHistogram.ofUnsigned(slice).percentileTable(pc.low(), pc.high());
		if (policy instanceof IntensityPolicy.Window w) return IntegerHistogram.linearTable(slice, w.center() - w.width() / 2, w.center() + w.width() / 2);
		if (policy instanceof IntensityPolicy.Range r) return IntegerHistogram.linearTable(slice, r.min(), r.max());
		// other policies (a chain of bioimage.io steps) map the slice's values as floats
		return null;
	}

	/**
	 * Replicates a unit image into 3 channels and applies the channel mean and std.
	 *
	 * @param unit H x W values from {@link #unitImage(Slice)}
	 * @param dest destination array
	 * @param offset index of the first value to write (3 x H x W values are written)
	 */
	public void normalize(float[] unit, float[] dest, int offset) {
		int plane = spec.width() * spec.height();
		if (unit.length != plane) throw new IllegalArgumentException("unit image has " + unit.length + " values, expected " + plane);
		for (int c = 0; c < 3; c++) {
			int base = offset + c * plane;
			float m = mean[c];
			float inv = 1f / std[c];
			for (int i = 0; i < plane; i++) dest[base + i] = (unit[i] - m) * inv;
		}
	}

	/**
	 * The rectangle of the model input that a slice occupies after resizing.
	 *
	 * @param x left edge in input pixels
	 * @param y top edge in input pixels
	 * @param width width in input pixels
	 * @param height height in input pixels
	 */
	public record Placement(int x, int y, int width, int height) {}
}
