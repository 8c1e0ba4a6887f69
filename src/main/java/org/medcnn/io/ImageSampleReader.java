package org.medcnn.io;

import ij.ImagePlus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.medcnn.core.data.SampleReader;
import org.medcnn.core.image.Slice;
import org.medcnn.ij.ImagePlusSlices;

/**
 * Reads training and evaluation images with {@link ImageFiles}: every slice, in physical units.
 */
public final class ImageSampleReader implements SampleReader {

	@Override
	public List<Slice> read(Path file) throws IOException {
		ImagePlus imp;
		try {
			imp = ImageFiles.open(file);
		} catch (ImageReadException e) {
			throw new IOException(e.getMessage(), e);
		}
		ImagePlusSlices src = new ImagePlusSlices(imp, file.getFileName().toString());
		List<Slice> out = new ArrayList<>(src.size());
		for (int i = 0; i < src.size(); i++) out.add(src.get(i));
		return out;
	}
}
