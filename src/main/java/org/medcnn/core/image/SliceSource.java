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
	 * Whether {@link #get(int)} may be called from several threads at once. Sources that read files
	 * on demand (virtual stacks, series) say no, and are read one slice at a time.
	 *
	 * @return true when concurrent reads are safe; false by default
	 */
	default boolean concurrentReads() {
		return false;
	}
}
