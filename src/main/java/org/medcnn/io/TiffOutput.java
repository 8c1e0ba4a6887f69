package org.medcnn.io;

import ij.ImagePlus;
import ij.io.FileSaver;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Saves an image with its overlay as TIFF, atomically.
 */
public final class TiffOutput {

	private TiffOutput() {}

	/**
	 * Saves an image (stack or single slice) with its overlay.
	 *
	 * @param imp the image
	 * @param target the TIFF file
	 * @param overwrite whether an existing file may be replaced
	 * @throws IOException if the file exists (and overwrite is false) or cannot be written
	 */
	public static void save(ImagePlus imp, Path target, boolean overwrite) throws IOException {
		AtomicFiles.write(target, overwrite, tmp -> {
			String title = imp.getTitle();
			FileSaver saver = new FileSaver(imp);
			boolean ok = imp.getStackSize() > 1 ? saver.saveAsTiffStack(tmp.toString()) : saver.saveAsTiff(tmp.toString());
			// FileSaver renames the image after the (temporary) file; keep the user's title.
			imp.setTitle(title);
			if (!ok) throw new IOException(target + ": could not be written");
		});
	}
}
