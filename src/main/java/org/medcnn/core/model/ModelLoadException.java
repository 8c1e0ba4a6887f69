package org.medcnn.core.model;

import org.medcnn.core.Messages;

/**
 * A model package could not be found, verified or loaded. The message names the file and what is wrong.
 */
public class ModelLoadException extends Exception {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what is wrong, naming the file
	 */
	public ModelLoadException(String message) {
		super(Messages.oneLine(message));
	}

	/**
	 * Creates the exception with a cause.
	 *
	 * @param message what is wrong, naming the file
	 * @param cause the underlying failure
	 */
	public ModelLoadException(String message, Throwable cause) {
		super(Messages.oneLine(message), cause);
	}
}
