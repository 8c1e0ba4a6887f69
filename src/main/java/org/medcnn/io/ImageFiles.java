package org.medcnn.io;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.Prefs;
import ij.io.FileInfo;
import ij.io.Opener;
import ij.io.TiffDecoder;
import ij.measure.Calibration;
import ij.plugin.DICOM;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.medcnn.core.BioFormatsRuntime;
import org.medcnn.core.Messages;

/**
 * Opens image files for classification: TIFF (stacks too), PNG, JPEG, GIF, BMP and uncompressed DICOM
 * with ImageJ 1.x's readers, NIfTI-1 with {@link NiftiReader}, and a folder of DICOM slices as one series
 * with {@link DicomSeries}. When Bio-Formats is on the class path at run time (Fiji; the command line with
 * {@code MEDCNN_BIOFORMATS}), it reads what these cannot: compressed DICOM (JPEG, JPEG-LS, JPEG 2000, RLE),
 * TIFFs that ImageJ cannot decode, and files of any other format it knows ({@link BioFormatsReader}).
 * Every image says which reader read it ({@link #reader}). Every failure is an {@link ImageReadException}
 * naming the file and saying what is wrong; without Bio-Formats, compressed DICOM gets the name of its
 * transfer syntax and a pointer to Fiji's Bio-Formats.
 */
public final class ImageFiles {

	/** Image property (a String): which reader read the image; see {@link #reader}. */
	public static final String READER_PROPERTY = BioFormatsReader.READER_PROPERTY;

	private ImageFiles() {}

	/**
	 * Opens a file, or a folder of DICOM slices.
	 * <p>
	 * NIfTI-1 is recognised by name ({@code .nii}, {@code .nii.gz}, {@code .hdr}, {@code .img}, also
	 * gzipped) or by the magic {@code "n+1\0"} at byte 344. A folder is read as the largest DICOM series
	 * in it; the warnings of {@link DicomSeries} are then in the image property
	 * {@link DicomSeries#WARNINGS_PROPERTY}.
	 *
	 * @param file the file or folder
	 * @return the image, with its calibration (DICOM: rescale slope and intercept as the calibration
	 *         function, slopes other than 1 included; NIfTI: see {@link NiftiReader})
	 * @throws ImageReadException naming the file when it is missing, empty, of an unsupported kind or
	 *         damaged, or naming the folder when it holds no readable DICOM series
	 */
	public static ImagePlus open(Path file) throws ImageReadException {
		if (!Files.exists(file)) throw new ImageReadException(file, "file not found");
		if (Files.isDirectory(file)) return DicomSeries.open(file).image();
		return openFile(file);
	}

	/** Opens one file; every reader names itself in {@link #READER_PROPERTY}. */
	private static ImagePlus openFile(Path file) throws ImageReadException {
		requireRegularFile(file);
		byte[] head;
		try (InputStream in = Files.newInputStream(file)) {
			head = in.readNBytes(512);
		} catch (IOException e) {
			throw new ImageReadException(file, "cannot be read: " + e.getMessage());
		}
		if (head.length == 0) throw new ImageReadException(file, "is empty (0 bytes)");
		Kind kind = kind(head, file);
		if (kind == Kind.NIFTI) return named(NiftiReader.open(file), "MedCNN NIfTI-1");
		if (kind == Kind.UNKNOWN) {
			Optional<BioFormatsRuntime.Found> bf = BioFormatsReader.find();
			if (bf.isEmpty()) {
				throw new ImageReadException(file, "not a TIFF, PNG, JPEG, GIF, BMP, DICOM or NIfTI-1 file (unrecognised content); "
					+ "for other formats open the file in Fiji (Bio-Formats) and save it as TIFF, or give the command line Fiji's Bio-Formats ("
					+ BioFormatsRuntime.ENVIRONMENT_VARIABLE + "=/path/to/Fiji.app)");
			}
			try {
				return withWarnings(file, bf.get());
			} catch (ImageReadException e) {
				throw new ImageReadException(file, "not a TIFF, PNG, JPEG, GIF, BMP, DICOM or NIfTI-1 file, and " + BioFormatsReader.reason(e));
			}
		}
		if (kind == Kind.DICOM) return openDicomFile(file);
		if (kind == Kind.JPEG) return named(openJpeg(file), "Java ImageIO JPEG");
		boolean virtual = false;
		if (kind == Kind.TIFF) {
			long decoded = checkTiff(file);
			// A stack that would take a large part of the heap is read slice by slice, as a virtual stack:
			// classification streams slices in batches anyway, so the whole stack never has to be in memory.
			virtual = decoded > Runtime.getRuntime().maxMemory() / 4;
		} else {
			checkDimensions(file, kind, head);
		}
		boolean asVirtual = virtual;
		ImagePlus imp;
		try {
			imp = ImageJReads.call(file, kind.label, () -> asVirtual ? IJ.openVirtual(file.toAbsolutePath().toString())
				: new Opener().openImage(file.toAbsolutePath().toString()));
			if (imp == null || imp.getStackSize() < 1 || imp.getWidth() < 1 || imp.getHeight() < 1) {
				throw new ImageReadException(file, "damaged or unsupported " + kind.label + " file: ImageJ could not decode it");
			}
		} catch (ImageReadException e) {
			// A TIFF that ImageJ cannot decode (a compression or layout it does not know) may be one Bio-Formats reads.
			Optional<BioFormatsRuntime.Found> bf = kind == Kind.TIFF ? BioFormatsReader.find() : Optional.empty();
			if (bf.isEmpty()) throw e;
			try {
				return withWarnings(file, bf.get());
			} catch (ImageReadException again) {
				throw new ImageReadException(file, BioFormatsReader.reason(e) + "; " + BioFormatsReader.reason(again));
			}
		}
		return named(imp, "ImageJ " + kind.label);
	}

	/**
	 * Returns which reader read an image: e.g. {@code ImageJ DICOM}, {@code Bio-Formats 8.0.0 DICOM, JPEG 2000
	 * (1.2.840.10008.1.2.4.91)}, {@code MedCNN NIfTI-1}, or for a DICOM series folder each reader with its
	 * number of slices.
	 *
	 * @param imp an image from {@link #open}
	 * @return the reader; empty for an image that did not come from {@link #open}
	 */
	public static String reader(ImagePlus imp) {
		return imp.getProperty(READER_PROPERTY) instanceof String r ? r : "";
	}

	/** Records which reader read an image. */
	static ImagePlus named(ImagePlus imp, String reader) {
		if (imp != null) imp.setProperty(READER_PROPERTY, reader);
		return imp;
	}

	/** Opens a file with Bio-Formats, keeping its warnings (other series left out) with the image. */
	private static ImagePlus withWarnings(Path file, BioFormatsRuntime.Found bf) throws ImageReadException {
		List<String> warnings = new ArrayList<>();
		ImagePlus imp = BioFormatsReader.open(bf, file, warnings);
		if (!warnings.isEmpty()) imp.setProperty(DicomSeries.WARNINGS_PROPERTY, String.join("\n", warnings));
		return imp;
	}

	/**
	 * Returns the warnings a reader attached to an image: files left out of a DICOM series, other series in
	 * its folder, uneven spacing, a Siemens mosaic unpacked.
	 *
	 * @param imp an image from {@link #open}
	 * @return the warnings, one sentence each; empty when there are none
	 */
	public static List<String> warnings(ImagePlus imp) {
		return imp.getProperty(DicomSeries.WARNINGS_PROPERTY) instanceof String w && !w.isBlank() ? w.lines().toList() : List.of();
	}

	/**
	 * Refuses what is not a regular file: reading a named pipe waits for a writer forever, and a device
	 * such as {@code /dev/zero} never ends.
	 *
	 * @param file an existing path
	 * @throws ImageReadException naming the file when it is not a regular file
	 */
	static void requireRegularFile(Path file) throws ImageReadException {
		if (!Files.isRegularFile(file)) {
			throw new ImageReadException(file, "not a regular file (a device, named pipe or socket); give an image file or a DICOM series folder");
		}
	}

	/**
	 * Opens one DICOM file: uncompressed ones with ImageJ, compressed ones with Bio-Formats when it is there
	 * (refused with the name of the transfer syntax when it is not); refuses damaged ones, unpacks Siemens mosaics.
	 */
	private static ImagePlus openDicomFile(Path file) throws ImageReadException {
		String ts;
		String damage;
		int mosaic;
		Optional<BioFormatsRuntime.Found> bf = Optional.empty();
		try {
			ts = DicomHeaders.transferSyntax(file);
			if (!DicomHeaders.isReadable(ts)) {
				bf = BioFormatsReader.find();
				if (bf.isEmpty()) throw new ImageReadException(file, BioFormatsReader.missing("DICOM with compressed transfer syntax " + DicomHeaders.describe(ts)));
			}
			damage = DicomHeaders.damage(file, ts);
			mosaic = damage == null ? DicomHeaders.mosaicImages(file, ts) : 0;
		} catch (IOException e) {
			throw new ImageReadException(file, "cannot be read: " + e.getMessage());
		}
		if (damage != null) throw new ImageReadException(file, "damaged DICOM file: " + damage);
		ImagePlus imp = bf.isPresent() ? openCompressedDicom(bf.get(), file, ts)
			: named(ImageJReads.call(file, "DICOM", () -> openDicom(file)), "ImageJ DICOM");
		if (imp == null || imp.getStackSize() < 1 || imp.getWidth() < 1 || imp.getHeight() < 1) {
			throw new ImageReadException(file, "damaged or unsupported DICOM file: ImageJ could not decode it");
		}
		if (mosaic == 0) return imp;
		int grid = DicomMosaic.grid(file, mosaic, imp.getWidth(), imp.getHeight());
		ImagePlus out = new ImagePlus(imp.getTitle(), DicomMosaic.unpack(imp, mosaic, grid, file.getFileName().toString()));
		// ImageJ's calibration keeps the value function and the slice spacing (Spacing Between Slices) of the header.
		out.setCalibration(imp.getCalibration().copy());
		out.setProperty("Info", imp.getProperty("Info"));
		out.setProperty(DicomSeries.WARNINGS_PROPERTY, DicomMosaic.note(mosaic, grid, out.getWidth(), out.getHeight()));
		out.setDisplayRange(imp.getDisplayRangeMin(), imp.getDisplayRangeMax());
		return named(out, reader(imp));
	}

	/**
	 * Opens one DICOM file of a compressed transfer syntax with Bio-Formats, calibrated from its header as
	 * ImageJ calibrates the uncompressed ones ({@link BioFormatsReader#calibrateDicom}).
	 *
	 * @param bf Bio-Formats
	 * @param file the file
	 * @param ts its transfer syntax
	 * @return the image, named as read by Bio-Formats with the transfer syntax
	 * @throws ImageReadException naming the file when Bio-Formats cannot read it or its header cannot be read
	 */
	static ImagePlus openCompressedDicom(BioFormatsRuntime.Found bf, Path file, String ts) throws ImageReadException {
		Map<String, String> header;
		try {
			header = DicomHeaders.values(file, ts, BioFormatsReader.CALIBRATION_TAGS);
		} catch (IOException e) {
			throw new ImageReadException(file, "cannot be read: " + e.getMessage());
		}
		List<String> warnings = new ArrayList<>();
		ImagePlus imp;
		try {
			imp = BioFormatsReader.open(bf, file, warnings);
		} catch (ImageReadException e) {
			throw new ImageReadException(file, "DICOM with compressed transfer syntax " + DicomHeaders.describe(ts) + ": " + BioFormatsReader.reason(e));
		}
		BioFormatsReader.calibrateDicom(imp, header, file);
		imp.setProperty("Info", BioFormatsReader.info(header, ts, BioFormatsReader.name(bf)));
		if (!warnings.isEmpty()) imp.setProperty(DicomSeries.WARNINGS_PROPERTY, String.join("\n", warnings));
		return named(imp, BioFormatsReader.name(bf) + " DICOM, " + DicomHeaders.describe(ts));
	}

	/**
	 * Opens a JPEG file with Java's JPEG reader, as ImageJ's own opener would give it (grey JPEGs 8-bit, the
	 * EXIF orientation applied; the pixels are the same, checked on the 4361 JPEGs of the shared data sets),
	 * but refusing a damaged or truncated file: ImageJ decodes JPEG on a JDK thread that prints a stack trace
	 * for a damaged file, and fills a truncated one with grey without a word. Every warning of the decoder
	 * ("Premature end of JPEG file", "Corrupt JPEG data") makes the file damaged.
	 */
	private static ImagePlus openJpeg(Path file) throws ImageReadException {
		java.awt.image.BufferedImage image;
		List<String> warnings = new java.util.ArrayList<>();
		try (javax.imageio.stream.ImageInputStream in = javax.imageio.ImageIO.createImageInputStream(file.toFile())) {
			java.util.Iterator<javax.imageio.ImageReader> readers = in == null ? null : javax.imageio.ImageIO.getImageReaders(in);
			if (readers == null || !readers.hasNext()) throw new ImageReadException(file, "damaged JPEG file: its header is not readable");
			javax.imageio.ImageReader reader = readers.next();
			try {
				reader.setInput(in, true, true);
				reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
				checkPixels(file, "JPEG", reader.getWidth(0), reader.getHeight(0), 4);
				image = reader.read(0);
			} finally {
				reader.dispose();
			}
		} catch (IOException | RuntimeException e) {
			throw new ImageReadException(file, "damaged or unsupported JPEG file: " + Messages.describe(e));
		} catch (OutOfMemoryError e) {
			throw ImageJReads.tooLarge(file);
		}
		if (!warnings.isEmpty()) throw new ImageReadException(file, "damaged JPEG file: " + warnings.get(0));
		String name = file.getFileName().toString();
		ImagePlus imp = image.getType() == java.awt.image.BufferedImage.TYPE_BYTE_GRAY ? new ImagePlus(name, new ij.process.ByteProcessor(image))
			: new ImagePlus(name, image);
		if (imp.getType() == ImagePlus.COLOR_RGB) Opener.convertGrayJpegTo8Bits(imp);
		FileInfo fi = new FileInfo();
		fi.fileFormat = FileInfo.GIF_OR_JPG;
		fi.fileName = name;
		Path parent = file.toAbsolutePath().getParent();
		fi.directory = parent == null ? "" : parent + java.io.File.separator;
		imp.setFileInfo(fi);
		applyExifOrientation(imp);
		return imp;
	}

	/** Turns a photo the way its EXIF orientation says (as ImageJ's opener does for phone pictures). */
	private static void applyExifOrientation(ImagePlus imp) {
		String exif;
		try {
			exif = new ij.plugin.ImageInfo().getExifData(imp);
		} catch (RuntimeException e) {
			return;
		}
		if (exif == null) return;
		java.util.regex.Matcher m = java.util.regex.Pattern.compile("Orientation:.*?Rotate (90|180|270)").matcher(exif);
		if (!m.find()) return;
		ij.process.ImageProcessor ip = imp.getProcessor();
		switch (m.group(1)) {
			case "90" -> imp.setProcessor(ip.rotateRight());
			case "180" -> imp.setProcessor(ip.rotateRight().rotateRight());
			default -> imp.setProcessor(ip.rotateLeft());
		}
	}

	/**
	 * Checks a PNG, GIF or BMP file with Java's image readers before ImageJ decodes it: refuses one that
	 * claims more pixels than the heap can hold (from its header, before anything is allocated), and a PNG
	 * or GIF that does not decode cleanly (ImageJ reports a damaged PNG on the console, decodes GIF on a JDK
	 * thread that prints stack traces, and does not notice a truncated GIF).
	 */
	private static void checkDimensions(Path file, Kind kind, byte[] h) throws ImageReadException {
		List<String> warnings = new java.util.ArrayList<>();
		try (javax.imageio.stream.ImageInputStream in = javax.imageio.ImageIO.createImageInputStream(file.toFile())) {
			java.util.Iterator<javax.imageio.ImageReader> readers = in == null ? null : javax.imageio.ImageIO.getImageReaders(in);
			if (readers == null || !readers.hasNext()) {
				throw new ImageReadException(file, "damaged " + kind.label + " file: its header is not readable");
			}
			javax.imageio.ImageReader reader = readers.next();
			try {
				reader.setInput(in, true, kind == Kind.BMP);
				reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
				long w = reader.getWidth(0);
				long hgt = reader.getHeight(0);
				if (w > 0 && hgt > 0) checkPixels(file, kind.label, w, hgt, 4);
				if (kind != Kind.BMP) reader.read(0);
			} finally {
				reader.dispose();
			}
		} catch (IOException | RuntimeException e) {
			throw new ImageReadException(file, "damaged or unsupported " + kind.label + " file: " + Messages.describe(e));
		} catch (OutOfMemoryError e) {
			throw ImageJReads.tooLarge(file);
		}
		if (!warnings.isEmpty()) throw new ImageReadException(file, "damaged " + kind.label + " file: " + warnings.get(0));
	}

	/**
	 * Refuses an image whose slices ImageJ cannot hold (more than 2^31 - 1 pixels each) or whose slice would
	 * take more than half of the Java heap, before anything is allocated for it.
	 */
	private static void checkPixels(Path file, String label, long width, long height, long bytesPerPixel) throws ImageReadException {
		long pixels = width * height;
		if (width > Integer.MAX_VALUE || height > Integer.MAX_VALUE || pixels > Integer.MAX_VALUE) {
			throw new ImageReadException(file, String.format(Locale.ROOT, "%s image of %d x %d = %d pixels per slice; ImageJ holds at most %d pixels per slice",
				label, width, height, pixels, Integer.MAX_VALUE));
		}
		long max = Runtime.getRuntime().maxMemory();
		if (pixels * bytesPerPixel > max / 2) {
			throw new ImageReadException(file, String.format(Locale.ROOT,
				"%s image of %d x %d pixels per slice (%d MiB each) is too large for the Java heap (%d MiB at most); "
					+ "give Java more memory (-Xmx, MEDCNN_JAVA_OPTS, or Edit > Options > Memory in Fiji)",
				label, width, height, pixels * bytesPerPixel >> 20, max >> 20));
		}
	}

	/**
	 * Checks a TIFF file before ImageJ reads it: refuses one that ends before its image data does (ImageJ
	 * reads such a file without complaint and returns fewer slices, or slices padded with zeros, which would
	 * silently classify part of a stack), and one whose slices ImageJ cannot hold (more than 2^31 - 1
	 * pixels: ImageJ fails with a NegativeArraySizeException) or whose slice would take more than half of
	 * the heap. Damage that the TIFF decoder itself trips over is left to the reader.
	 *
	 * @param file the TIFF file
	 * @return the bytes of all its decoded slices (0 when the decoder could not read its layout)
	 * @throws ImageReadException naming the file when its strips (or, for an ImageJ stack, its contiguous
	 *         planes) reach beyond its end, or when a slice is too large
	 */
	static long checkTiff(Path file) throws ImageReadException {
		FileInfo[] info;
		long length;
		try {
			Path abs = file.toAbsolutePath();
			info = ImageJReads.call(file, "TIFF", () -> {
				try {
					return new TiffDecoder(abs.getParent().toString() + java.io.File.separator, abs.getFileName().toString()).getTiffInfo();
				} catch (IOException e) {
					return null;
				}
			});
			length = Files.size(file);
		} catch (ImageReadException | IOException e) {
			return 0; // the reader reports it as damaged, with its own reason
		}
		if (info == null) return 0;
		long needed = 0;
		long decoded = 0;
		for (FileInfo fi : info) {
			long bytes = Math.max(1, fi.getBytesPerPixel());
			checkPixels(file, "TIFF", fi.width, fi.height, bytes);
			decoded += (long) fi.width * fi.height * bytes * Math.max(1, fi.nImages);
			needed = Math.max(needed, dataEnd(fi));
		}
		if (needed > length) {
			throw new ImageReadException(file, "truncated TIFF file: it has " + length + " bytes but its image data runs to byte " + needed
				+ " (cut short, e.g. by an interrupted copy or download)");
		}
		return decoded;
	}

	/** Where one IFD's image data ends: its last strip, or for an ImageJ stack (one IFD, n contiguous planes) its last plane. */
	private static long dataEnd(FileInfo fi) {
		long end = 0;
		if (fi.stripOffsets != null && fi.stripLengths != null && fi.stripOffsets.length == fi.stripLengths.length) {
			for (int i = 0; i < fi.stripOffsets.length; i++) {
				end = Math.max(end, (fi.stripOffsets[i] & 0xffffffffL) + (fi.stripLengths[i] & 0xffffffffL));
			}
		}
		boolean wholeBytes = fi.fileType != FileInfo.BITMAP && fi.fileType != FileInfo.GRAY12_UNSIGNED && fi.fileType != FileInfo.GRAY24_UNSIGNED;
		if (fi.nImages > 1 && fi.compression == FileInfo.COMPRESSION_NONE && wholeBytes) {
			long plane = (long) fi.width * fi.height * fi.getBytesPerPixel();
			end = Math.max(end, fi.getOffset() + fi.nImages * plane + (long) (fi.nImages - 1) * fi.gapBetweenImages);
		}
		return end;
	}

	/** Guards ImageJ's global DICOM preferences while {@link #openDicom} changes them. */
	private static final Object DICOM_PREFS = new Object();

	/**
	 * Opens one uncompressed DICOM file with ImageJ's reader so that the rescale slope and intercept end up
	 * in the values, also headless.
	 * <p>
	 * By default ImageJ turns a slice whose rescale slope is not 1 into 32-bit through
	 * {@code IJ.run("32-bit")}, which needs ImageJ's menus: headless, the first such call throws
	 * HeadlessException and later ones silently drop slope and intercept. With
	 * {@code Prefs.fixedDicomScaling} ImageJ keeps the 8/16-bit pixels and puts slope and intercept in the
	 * calibration function instead, so this sets it (and clears the float and ignore-slope preferences)
	 * for the duration of the read only. A 32-bit slice with a calibration function (ImageJ ignores those
	 * for 32-bit images) gets the function applied to its pixels.
	 *
	 * @param file the file
	 * @return the image, or null when ImageJ could not decode it
	 */
	static ImagePlus openDicom(Path file) {
		DICOM dicom = new DICOM();
		synchronized (DICOM_PREFS) {
			boolean fixed = Prefs.fixedDicomScaling;
			boolean asFloat = Prefs.openDicomsAsFloat;
			boolean ignoreSlope = Prefs.ignoreRescaleSlope;
			try {
				Prefs.fixedDicomScaling = true;
				Prefs.openDicomsAsFloat = false;
				Prefs.ignoreRescaleSlope = false;
				dicom.open(file.toAbsolutePath().toString());
			} finally {
				Prefs.fixedDicomScaling = fixed;
				Prefs.openDicomsAsFloat = asFloat;
				Prefs.ignoreRescaleSlope = ignoreSlope;
			}
		}
		if (dicom.getWidth() < 1 || dicom.getProcessor() == null) return null;
		Calibration cal = dicom.getCalibration();
		if (dicom.getBitDepth() == 32 && cal.getFunction() != Calibration.NONE) {
			ImageStack stack = dicom.getStack();
			for (int s = 1; s <= stack.getSize(); s++) {
				float[] px = (float[]) stack.getPixels(s);
				for (int i = 0; i < px.length; i++) px[i] = (float) cal.getCValue((double) px[i]);
			}
			cal.setFunction(Calibration.NONE, null, cal.getValueUnit());
			dicom.setCalibration(cal);
			dicom.resetDisplayRange();
		}
		return dicom;
	}

	/** File kinds recognised by their first bytes. */
	enum Kind {
		TIFF("TIFF"), PNG("PNG"), JPEG("JPEG"), GIF("GIF"), BMP("BMP"), DICOM("DICOM"), NIFTI("NIfTI"), UNKNOWN("unknown");

		final String label;

		Kind(String label) {
			this.label = label;
		}
	}

	static Kind kind(byte[] h, Path file) {
		// DICOM first: its 128-byte preamble may hold anything, a TIFF header included (dual-personality files).
		if (DicomHeaders.isDicom(h)) return Kind.DICOM;
		if (h.length >= 4 && ((h[0] == 'I' && h[1] == 'I' && h[2] == 42 && h[3] == 0) || (h[0] == 'M' && h[1] == 'M' && h[2] == 0 && h[3] == 42))) {
			return Kind.TIFF;
		}
		if (h.length >= 8 && (h[0] & 0xff) == 0x89 && h[1] == 'P' && h[2] == 'N' && h[3] == 'G') return Kind.PNG;
		if (h.length >= 3 && (h[0] & 0xff) == 0xFF && (h[1] & 0xff) == 0xD8 && (h[2] & 0xff) == 0xFF) return Kind.JPEG;
		if (h.length >= 6 && h[0] == 'G' && h[1] == 'I' && h[2] == 'F' && h[3] == '8' && (h[4] == '7' || h[4] == '9') && h[5] == 'a') {
			return Kind.GIF;
		}
		if (isBmp(h)) return Kind.BMP;
		if (NiftiReader.hasNiftiMagic(h) || NiftiReader.hasNiftiName(file)) return Kind.NIFTI;
		String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
		// DICOM files without the Part 10 preamble: trust the extension, ImageJ's reader checks further.
		if (name.endsWith(".dcm") || name.endsWith(".dicom")) return Kind.DICOM;
		return Kind.UNKNOWN;
	}

	/** "BM" followed, at byte 14, by the size of one of the known BMP info headers (12 to 124 bytes). */
	private static boolean isBmp(byte[] h) {
		if (h.length < 18 || h[0] != 'B' || h[1] != 'M') return false;
		int dib = (h[14] & 0xff) | (h[15] & 0xff) << 8 | (h[16] & 0xff) << 16 | (h[17] & 0xff) << 24;
		return dib == 12 || dib == 16 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124;
	}
}
