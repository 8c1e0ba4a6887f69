package org.medcnn.io;

import ij.IJ;
import java.lang.reflect.Field;
import java.nio.file.Path;
import org.medcnn.core.Messages;

/**
 * Runs ImageJ 1.x readers so that their failures become one {@link ImageReadException} naming the file,
 * never a stack trace on the console.
 * <p>
 * ImageJ's readers catch what goes wrong inside them (a {@code NegativeArraySizeException} for a slice of
 * more than 2^31 pixels, an {@code EOFException} in a damaged strip) and hand it to
 * {@link IJ#handleException}, which prints the whole stack trace to standard output when ImageJ has no
 * window, and then return null. Here a delegating exception handler, installed once, keeps the first
 * such exception of a read that runs on the current thread and turns it into the read's error; exceptions
 * of other threads go where they went before (the handler that was installed, or ImageJ's own default).
 * The error message of {@link IJ#error} that a failed read leaves is used too when there is no exception.
 */
final class ImageJReads {

	/** A read that returns an ImageJ object, or null when ImageJ could not decode the file. */
	@FunctionalInterface
	interface Read<T> {
		T get();
	}

	private static final ThreadLocal<Throwable[]> CAUGHT = new ThreadLocal<>();
	private static final Object LOCK = new Object();
	private static IJ.ExceptionHandler installed;
	private static IJ.ExceptionHandler previous;

	private ImageJReads() {}

	/**
	 * Runs a read.
	 *
	 * @param <T> what the read returns
	 * @param file the file, for messages
	 * @param label the kind of file, for messages (e.g. {@code TIFF})
	 * @param read the read
	 * @return what the read returned; null when ImageJ returned null without an exception or error message
	 * @throws ImageReadException naming the file when ImageJ reported an exception or an error message,
	 *         or ran out of memory
	 */
	static <T> T call(Path file, String label, Read<T> read) throws ImageReadException {
		install();
		Throwable[] box = new Throwable[1];
		Throwable[] outer = CAUGHT.get();
		boolean wasRedirect = IJ.redirectingErrorMessages();
		String errorBefore = IJ.getErrorMessage();
		CAUGHT.set(box);
		T result;
		String error;
		try {
			IJ.redirectErrorMessages(true);
			result = read.get();
			// Read before the flag is restored: setting it clears the message.
			error = IJ.getErrorMessage();
		} catch (OutOfMemoryError e) {
			throw tooLarge(file);
		} catch (RuntimeException e) {
			throw new ImageReadException(file, "damaged or unsupported " + label + " file: " + Messages.describe(e));
		} finally {
			IJ.redirectErrorMessages(wasRedirect);
			if (outer == null) CAUGHT.remove();
			else CAUGHT.set(outer);
		}
		if (box[0] instanceof OutOfMemoryError) throw tooLarge(file);
		if (box[0] != null) {
			throw new ImageReadException(file, "damaged or unsupported " + label + " file: " + Messages.describe(box[0]));
		}
		if (result == null && error != null && !error.equals(errorBefore)) {
			throw new ImageReadException(file, "damaged or unsupported " + label + " file: " + Messages.oneLine(error));
		}
		return result;
	}

	/**
	 * Returns the error for a file whose pixels do not fit in the Java heap.
	 *
	 * @param file the file
	 * @return the exception
	 */
	static ImageReadException tooLarge(Path file) {
		return new ImageReadException(file, "too large for the Java heap (" + (Runtime.getRuntime().maxMemory() >> 20)
			+ " MiB at most); give Java more memory (-Xmx, MEDCNN_JAVA_OPTS, or Edit > Options > Memory in Fiji)");
	}

	/** Installs the delegating handler once (again if someone replaced it since). */
	private static void install() {
		synchronized (LOCK) {
			IJ.ExceptionHandler current = current();
			if (installed != null && current == installed) return;
			previous = current;
			installed = ImageJReads::handle;
			IJ.setExceptionHandler(installed);
		}
	}

	private static void handle(Throwable e) {
		Throwable[] box = CAUGHT.get();
		if (box != null) {
			if (box[0] == null) box[0] = e;
			return;
		}
		IJ.ExceptionHandler before;
		synchronized (LOCK) {
			before = previous;
		}
		if (before != null) {
			before.handle(e);
			return;
		}
		// ImageJ's own behaviour for other threads' exceptions: let it run without this handler.
		synchronized (LOCK) {
			IJ.setExceptionHandler(null);
			try {
				IJ.handleException(e);
			} finally {
				IJ.setExceptionHandler(installed);
			}
		}
	}

	/** The handler ImageJ has now; its field has no getter. */
	private static IJ.ExceptionHandler current() {
		try {
			Field f = IJ.class.getDeclaredField("exceptionHandler");
			f.setAccessible(true);
			return (IJ.ExceptionHandler) f.get(null);
		} catch (ReflectiveOperationException | RuntimeException e) {
			return installed;
		}
	}
}
