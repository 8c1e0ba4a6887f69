package org.medcnn.io;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ImageProcessor;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Unpacks a Siemens mosaic: an MR volume stored as one DICOM image whose tiles are its slices (Image Type
 * {@code MOSAIC}; EPI, diffusion and perfusion series). {@code n} slices lie on a grid of
 * {@code ceil(sqrt(n))} x {@code ceil(sqrt(n))} tiles, row by row from the top left, each
 * {@code Columns / grid} x {@code Rows / grid} pixels; the tiles after the n-th are empty. Classified as one
 * image, a mosaic would be one slice of 35 tiny brains: unpacked, each slice is classified on its own,
 * in the order the scanner stored them (as dcm2niix converts them).
 */
final class DicomMosaic {

	private DicomMosaic() {}

	/**
	 * Returns the tile grid of a mosaic, checking that the image divides into it.
	 *
	 * @param file the file, for messages
	 * @param images the number of slices in the mosaic ({@link DicomHeaders#mosaicImages}); -1 when unknown
	 * @param width the mosaic's width (Columns)
	 * @param height the mosaic's height (Rows)
	 * @return tiles per row (and per column)
	 * @throws ImageReadException naming the file when the number of slices is unknown or the image does not
	 *         divide into the grid
	 */
	static int grid(Path file, int images, int width, int height) throws ImageReadException {
		if (images < 1) {
			throw new ImageReadException(file, "Siemens mosaic (Image Type MOSAIC) without NumberOfImagesInMosaic in its CSA header or (0019,xx0A): "
				+ "cannot tell which of its tiles are slices; convert it with dcm2niix and classify the NIfTI file");
		}
		int grid = (int) Math.ceil(Math.sqrt(images));
		if (grid < 1 || width % grid != 0 || height % grid != 0) {
			throw new ImageReadException(file, String.format(Locale.ROOT,
				"Siemens mosaic of %d slices should be a %d x %d grid of tiles, but its %d x %d pixels do not divide into it", images, grid, grid,
				width, height));
		}
		return grid;
	}

	/**
	 * Unpacks the tiles of every plane of an image into slices.
	 *
	 * @param mosaic the image as read (one plane, or one per file when called for each file)
	 * @param images the number of slices in the mosaic
	 * @param grid tiles per row, from {@link #grid}
	 * @param label the label of the unpacked slices, followed by " slice k"
	 * @return a stack of {@code images} slices per plane, with the mosaic's pixel type
	 */
	static ImageStack unpack(ImagePlus mosaic, int images, int grid, String label) {
		int w = mosaic.getWidth() / grid;
		int h = mosaic.getHeight() / grid;
		ImageStack in = mosaic.getStack();
		ImageStack out = new ImageStack(w, h);
		for (int p = 1; p <= in.getSize(); p++) {
			ImageProcessor ip = in.getProcessor(p);
			for (int k = 0; k < images; k++) {
				ip.setRoi((k % grid) * w, (k / grid) * h, w, h);
				out.addSlice(label + " slice " + (k + 1), ip.crop());
			}
			ip.resetRoi();
		}
		return out;
	}

	/**
	 * Returns the warning that tells the user a mosaic was unpacked.
	 *
	 * @param images slices in the mosaic
	 * @param grid tiles per row
	 * @param width a tile's width
	 * @param height a tile's height
	 * @return the sentence
	 */
	static String note(int images, int grid, int width, int height) {
		return "Siemens mosaic unpacked into its " + images + " slices (" + grid + " x " + grid + " tiles of " + width + " x " + height + " pixels)";
	}
}
