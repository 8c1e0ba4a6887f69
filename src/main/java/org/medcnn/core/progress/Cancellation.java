package org.medcnn.core.progress;

/**
 * Tells core work whether the user asked to stop. Work checks it between units (batches) and stops
 * with {@link java.util.concurrent.CancellationException}.
 */
@FunctionalInterface
public interface Cancellation {

	/** Never cancelled. */
	Cancellation NEVER = () -> false;

	/** @return true once the user asked to stop */
	boolean isCancelled();

	/**
	 * Throws if cancelled.
	 *
	 * @param what what was interrupted, for the message
	 * @throws java.util.concurrent.CancellationException if cancelled
	 */
	default void check(String what) {
		if (isCancelled()) throw new java.util.concurrent.CancellationException(what + " cancelled");
	}
}
