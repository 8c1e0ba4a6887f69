package org.medcnn.core.image;

import java.util.Objects;

/**
 * One 2D slice in physical intensity units (for CT: Hounsfield units), row-major, grey.
 * <p>
 * The pixel array is owned by the slice and must not be changed after construction.
 */
public final class Slice {

	private final int index;
	private final String label;
	private final int width;
	private final int height;
	private final float[] pixels;

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
		if (width < 1 || height < 1) {
			throw new IllegalArgumentException("Slice " + index + " has no pixels (" + width + "x" + height + ")");
		}
		Objects.requireNonNull(pixels, "pixels");
		if (pixels.length != width * height) {
			throw new IllegalArgumentException("Slice " + index + ": " + pixels.length + " pixels for " + width + "x" + height);
		}
		this.index = index;
		this.label = label == null ? "" : label;
		this.width = width;
		this.height = height;
		this.pixels = pixels;
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
		return pixels;
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
