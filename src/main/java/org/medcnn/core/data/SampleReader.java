package org.medcnn.core.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.medcnn.core.image.Slice;

/**
 * Reads the slices of an image file for training and evaluation. The core stays free of image
 * libraries: the caller supplies the reader (MedCNN's own uses ImageJ's readers).
 */
@FunctionalInterface
public interface SampleReader {

	/**
	 * Reads every slice of a file, in physical units.
	 *
	 * @param file the file
	 * @return its slices, at least one
	 * @throws IOException naming the file when it cannot be read
	 */
	List<Slice> read(Path file) throws IOException;
}
