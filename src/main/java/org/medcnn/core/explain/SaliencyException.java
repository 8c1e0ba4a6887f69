package org.medcnn.core.explain;

import org.medcnn.core.Messages;

/**
 * A saliency computation failed in the engine (not because of bad input, which is an
 * {@link IllegalArgumentException}). The message names the source and slices when known.
 */
public class SaliencyException extends Exception {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what failed
	 */
	public SaliencyException(String message) {
		super(Messages.oneLine(message));
	}

	/**
	 * Creates the exception with its cause.
	 *
	 * @param message what failed
	 * @param cause the engine's exception
	 */
	public SaliencyException(String message, Throwable cause) {
		super(Messages.oneLine(message), cause);
	}
}
