package org.medcnn.io;

import java.nio.file.Path;
import org.medcnn.core.Messages;

/**
 * A file could not be read as an image. The message names the file and what is wrong.
 */
public class ImageReadException extends Exception {

	private static final long serialVersionUID = 1L;

	private final Path file;

	/**
	 * Creates the exception.
	 *
	 * @param file the file
	 * @param what what is wrong, without the file name
	 */
	public ImageReadException(Path file, String what) {
		super(Messages.oneLine(file + ": " + what));
		this.file = file;
	}

	/** @return the file that could not be read */
	public Path file() {
		return file;
	}
}
