package org.medcnn.app;

import org.medcnn.core.Messages;

/**
 * Why a task could not do what it was asked: one line for the user (kept to a few hundred characters) that names the file or parameter and
 * what is wrong, and a {@link Kind} that each front-end maps in one place (the command line to its exit
 * code, a Fiji command to its cancel reason).
 */
public final class MedCnnException extends Exception {

	private static final long serialVersionUID = 1L;

	/** What went wrong, in the terms of the user's choices. */
	public enum Kind {
		/** A parameter or option is missing, malformed or out of range. */
		USAGE,
		/** An input file is missing, unreadable or cannot be classified. */
		INPUT,
		/** The model could not be found, verified or loaded. */
		MODEL,
		/** The engine failed while running the model. */
		INFERENCE,
		/** An output exists (and may not be replaced) or cannot be written. */
		OUTPUT,
		/** The user stopped the task. */
		CANCELLED,
		/** Another live process owns the output (a batch shard). */
		BUSY
	}

	private final Kind kind;

	/**
	 * @param kind what went wrong
	 * @param message one line naming the file or parameter
	 */
	public MedCnnException(Kind kind, String message) {
		super(Messages.oneLine(message));
		this.kind = kind;
	}

	/**
	 * @param kind what went wrong
	 * @param message one line naming the file or parameter
	 * @param cause the cause
	 */
	public MedCnnException(Kind kind, String message, Throwable cause) {
		super(Messages.oneLine(message), cause);
		this.kind = kind;
	}

	/** @return what went wrong */
	public Kind kind() {
		return kind;
	}

	/**
	 * A usage error.
	 *
	 * @param message one line naming the parameter
	 * @return the exception
	 */
	public static MedCnnException usage(String message) {
		return new MedCnnException(Kind.USAGE, message);
	}
}
