package org.medcnn.io;

import ij.IJ;
import ij.ImagePlus;
import ij.io.Opener;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens image files for classification: TIFF (stacks too), PNG, JPEG and uncompressed DICOM, with
 * ImageJ 1.x's readers. Every failure is an {@link ImageReadException} naming the file and saying
 * what is wrong; compressed DICOM gets the name of its transfer syntax and a pointer to Fiji's
 * Bio-Formats.
 */
public final class ImageFiles {

	private ImageFiles() {}

	/**
	 * Opens a file.
	 *
	 * @param file the file
	 * @return the image, with its calibration (DICOM: rescale slope/intercept as the calibration function)
	 * @throws ImageReadException naming the file when it is missing, empty, of an unsupported kind or damaged
	 */
	public static ImagePlus open(Path file) throws ImageReadException {
		if (!Files.exists(file)) throw new ImageReadException(file, "file not found");
		if (Files.isDirectory(file)) throw new ImageReadException(file, "is a folder, not an image file");
		byte[] head;
		try (InputStream in = Files.newInputStream(file)) {
			head = in.readNBytes(512);
		} catch (IOException e) {
			throw new ImageReadException(file, "cannot be read: " + e.getMessage());
		}
		if (head.length == 0) throw new ImageReadException(file, "is empty (0 bytes)");
		Kind kind = kind(head, file);
		if (kind == Kind.DICOM) {
			String ts;
			try {
				ts = DicomHeaders.transferSyntax(file);
			} catch (IOException e) {
				throw new ImageReadException(file, "cannot be read: " + e.getMessage());
			}
			if (!DicomHeaders.isReadable(ts)) {
				throw new ImageReadException(file, "DICOM with compressed transfer syntax " + DicomHeaders.describe(ts)
					+ " cannot be decoded outside Fiji; open it in Fiji (Bio-Formats) or convert it to uncompressed DICOM or TIFF");
			}
		}
		if (kind == Kind.UNKNOWN) {
			throw new ImageReadException(file, "not a TIFF, PNG, JPEG or DICOM file (unrecognised content); "
				+ "for other formats open the file in Fiji (Bio-Formats) and save it as TIFF");
		}
		ImagePlus imp;
		boolean wasRedirect = IJ.redirectingErrorMessages();
		try {
			IJ.redirectErrorMessages(true);
			imp = new Opener().openImage(file.toAbsolutePath().toString());
		} catch (RuntimeException | OutOfMemoryError e) {
			throw new ImageReadException(file, "damaged " + kind.label + " file: " + e);
		} finally {
			IJ.redirectErrorMessages(wasRedirect);
		}
		if (imp == null || imp.getStackSize() < 1 || imp.getWidth() < 1 || imp.getHeight() < 1) {
			throw new ImageReadException(file, "damaged or unsupported " + kind.label + " file: ImageJ could not decode it");
		}
		return imp;
	}

	/** File kinds recognised by their first bytes. */
	enum Kind {
		TIFF("TIFF"), PNG("PNG"), JPEG("JPEG"), DICOM("DICOM"), UNKNOWN("unknown");

		final String label;

		Kind(String label) {
			this.label = label;
		}
	}

	static Kind kind(byte[] h, Path file) {
		if (h.length >= 4 && ((h[0] == 'I' && h[1] == 'I' && h[2] == 42 && h[3] == 0) || (h[0] == 'M' && h[1] == 'M' && h[2] == 0 && h[3] == 42))) {
			return Kind.TIFF;
		}
		if (h.length >= 8 && (h[0] & 0xff) == 0x89 && h[1] == 'P' && h[2] == 'N' && h[3] == 'G') return Kind.PNG;
		if (h.length >= 3 && (h[0] & 0xff) == 0xFF && (h[1] & 0xff) == 0xD8 && (h[2] & 0xff) == 0xFF) return Kind.JPEG;
		if (DicomHeaders.isDicom(h)) return Kind.DICOM;
		String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
		// DICOM files without the Part 10 preamble: trust the extension, ImageJ's reader checks further.
		if (name.endsWith(".dcm") || name.endsWith(".dicom")) return Kind.DICOM;
		return Kind.UNKNOWN;
	}
}
