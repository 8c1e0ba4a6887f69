package org.medcnn.core.progress;

/**
 * Receives progress from long-running core work. Adapters forward it to ImageJ's progress bar,
 * SciJava's status service or the console.
 */
@FunctionalInterface
public interface ProgressListener {

	/** A listener that ignores progress. */
	ProgressListener NONE = (message, done, total) -> {};

	/**
	 * Reports progress.
	 *
	 * @param message what is being done, e.g. {@code classifying}
	 * @param done units finished
	 * @param total units in all
	 */
	void progress(String message, long done, long total);
}
