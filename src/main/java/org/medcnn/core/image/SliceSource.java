package org.medcnn.core.image;

/**
 * A sequence of slices read on demand, so that a whole stack never has to be copied at once.
 */
public interface SliceSource {

	/** @return a name for the source (file name or image title), used in results */
	String name();

	/** @return the number of slices */
	int size();

	/**
	 * Reads one slice.
	 *
	 * @param position 0-based position in this source
	 * @return the slice, with its 1-based index
	 * @throws IndexOutOfBoundsException if the position is outside {@code [0, size())}
	 */
	Slice get(int position);

	/**
	 * Reads one slice, possibly into the pixel storage of a slice that the caller is done with; the same
	 * slice as {@link #get(int)}. By default the recycled slice is ignored.
	 *
	 * @param position 0-based position in this source
	 * @param recycled a slice read from this source earlier whose pixels the caller no longer needs (it must
	 *        not be used after this call), or null
	 * @return the slice, with its 1-based index
	 * @throws IndexOutOfBoundsException if the position is outside {@code [0, size())}
	 */
	default Slice get(int position, Slice recycled) {
		return get(position);
	}

	/**
	 * Whether {@link #get(int)} may be called from several threads at once. Sources that read files
	 * on demand (virtual stacks, series) say no, and are read one slice at a time.
	 *
	 * @return true when concurrent reads are safe; false by default
	 */
	default boolean concurrentReads() {
		return false;
	}
}
