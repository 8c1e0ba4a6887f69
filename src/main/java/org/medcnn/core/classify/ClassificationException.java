package org.medcnn.core.classify;

import org.medcnn.core.Messages;

/**
 * The engine failed while classifying slices.
 */
public class ClassificationException extends Exception {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what failed, naming the source and slices
	 * @param cause the engine failure
	 */
	public ClassificationException(String message, Throwable cause) {
		super(Messages.oneLine(message), cause);
	}
}
