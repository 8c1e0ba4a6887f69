package org.medcnn.batch;

import org.medcnn.core.Messages;

/**
 * A batch (or a merge) cannot run at all. Failures of single inputs are not exceptions: they are
 * {@link FileOutcome}s with status {@link FileOutcome.Status#FAILED}, and the batch goes on.
 */
public class BatchException extends Exception {

	private static final long serialVersionUID = 1L;

	/** What kind of total failure this is; the command line maps each to an exit code. */
	public enum Kind {
		/** The input folder is missing or holds no input; for a merge, the shard outputs are missing or inconsistent. */
		INPUT,
		/** The model cannot be found, verified or loaded. */
		MODEL,
		/** The output folder cannot be created or written, or holds outputs that may not be replaced. */
		OUTPUT,
		/** A parameter does not fit the model (e.g. mc_dropout on a head trained without dropout). */
		USAGE,
		/** Another live process writes this shard (or another shard count) into the output folder. */
		BUSY
	}

	/** What kind of failure this is. */
	private final Kind kind;

	/**
	 * Creates the exception.
	 *
	 * @param kind the kind of failure
	 * @param message what went wrong, naming the file or folder
	 */
	public BatchException(Kind kind, String message) {
		super(Messages.oneLine(message));
		this.kind = kind;
	}

	/**
	 * Creates the exception with a cause.
	 *
	 * @param kind the kind of failure
	 * @param message what went wrong, naming the file or folder
	 * @param cause the underlying exception
	 */
	public BatchException(Kind kind, String message, Throwable cause) {
		super(Messages.oneLine(message), cause);
		this.kind = kind;
	}

	/**
	 * Returns the kind of failure.
	 *
	 * @return the kind
	 */
	public Kind kind() {
		return kind;
	}
}
