package org.medcnn.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes files atomically: to a temporary name in the same folder, then renamed over the target, so
 * that a killed process never leaves a half-written output.
 */
public final class AtomicFiles {

	private AtomicFiles() {}

	/** Writes content to a path. */
	@FunctionalInterface
	public interface Writer {
		/**
		 * Writes the content.
		 *
		 * @param tmp the temporary file to write
		 * @throws IOException if writing fails
		 */
		void write(Path tmp) throws IOException;
	}

	/**
	 * Writes a file atomically.
	 *
	 * @param target the final path
	 * @param overwrite whether an existing target may be replaced
	 * @param writer writes the temporary file
	 * @throws IOException if the target exists and overwrite is false, or writing fails
	 */
	public static void write(Path target, boolean overwrite, Writer writer) throws IOException {
		if (!overwrite && Files.exists(target)) {
			throw new IOException(target + ": already exists; not overwritten (use --overwrite to replace it)");
		}
		Path dir = target.toAbsolutePath().getParent();
		Path tmp = dir.resolve("." + target.getFileName() + ".part-" + ProcessHandle.current().pid());
		try {
			writer.write(tmp);
			try {
				Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			} catch (AtomicMoveNotSupportedException e) {
				Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
			}
		} finally {
			Files.deleteIfExists(tmp);
		}
	}
}
