package org.medcnn.io;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.medcnn.core.BioFormatsRuntime;
import org.medcnn.core.Messages;

/**
 * Reads what MedCNN's own readers cannot (compressed DICOM, vendor microscopy formats and the rest of what
 * Bio-Formats knows) through Bio-Formats, when it is on the class path at run time ({@link BioFormatsRuntime}):
 * always by reflection, never compiled against, because Bio-Formats is GPL and not on Maven Central.
 * <p>
 * A file is opened with {@code loci.plugins.BF.openImagePlus(ImporterOptions)}, the importer that also works
 * headless (the "Bio-Formats Importer" command does not), one file at a time: files are never grouped with
 * their neighbours (MedCNN groups DICOM series itself, {@link DicomSeries}), and the options are set here
 * rather than taken from the user's importer preferences: no virtual stack, no split channels, no windows.
 * Only the first series of a multi-series file is read, with a warning naming how many there are.
 * <p>
 * For DICOM, Bio-Formats does not apply Rescale Slope and Intercept (and gives signed 16-bit pixels as
 * unsigned + 32768 with a calibration function), so {@link #calibrateDicom} reads them from the file's
 * header and sets the calibration function ImageJ's own DICOM reader would set: Hounsfield units for CT.
 */
final class BioFormatsReader {

	/** Image property: which reader read the image, e.g. {@code Bio-Formats 8.0.0} (also set by {@link ImageFiles}). */
	static final String READER_PROPERTY = "MedCNN.reader";

	/** The DICOM header values used to calibrate an image Bio-Formats read. */
	static final String PIXEL_SPACING = "0028,0030";
	static final String PIXEL_REPRESENTATION = "0028,0103";
	static final String RESCALE_INTERCEPT = "0028,1052";
	static final String RESCALE_SLOPE = "0028,1053";
	static final String SLICE_THICKNESS = "0018,0050";
	static final String SLICE_SPACING = "0018,0088";
	static final Set<String> CALIBRATION_TAGS = Set.of(PIXEL_SPACING, PIXEL_REPRESENTATION, RESCALE_INTERCEPT, RESCALE_SLOPE, SLICE_THICKNESS,
		SLICE_SPACING);

	private BioFormatsReader() {}

	/**
	 * Returns Bio-Formats when it is on the class path.
	 *
	 * @return Bio-Formats, or empty
	 */
	static Optional<BioFormatsRuntime.Found> find() {
		return BioFormatsRuntime.find();
	}

	/**
	 * Returns the name of the reader, for messages and the batch records.
	 *
	 * @param found Bio-Formats
	 * @return e.g. {@code Bio-Formats 8.0.0}
	 */
	static String name(BioFormatsRuntime.Found found) {
		return "Bio-Formats " + found.version();
	}

	/**
	 * Opens one file with Bio-Formats: the first series, all its planes, one file only.
	 *
	 * @param found Bio-Formats, from {@link #find()}
	 * @param file the file
	 * @param warnings receives what the user should know (other series left out)
	 * @return the image; its slice labels are the file name (and the plane when there are several)
	 * @throws ImageReadException naming the file, with Bio-Formats' reason ({@code Bio-Formats 8.0.0 could not read it: ...}),
	 *         when it cannot read it
	 */
	static ImagePlus open(BioFormatsRuntime.Found found, Path file, List<String> warnings) throws ImageReadException {
		String path = file.toAbsolutePath().toString();
		ClassLoader loader = found.loader();
		Thread thread = Thread.currentThread();
		ClassLoader before = thread.getContextClassLoader();
		Object[] images;
		int series;
		try {
			// Bio-Formats finds its readers and services through the context class loader.
			thread.setContextClassLoader(loader);
			Class<?> optionsClass = Class.forName("loci.plugins.in.ImporterOptions", true, loader);
			Object options = optionsClass.getConstructor().newInstance();
			set(optionsClass, options, "setId", String.class, path);
			set(optionsClass, options, "setUngroupFiles", boolean.class, true);
			set(optionsClass, options, "setGroupFiles", boolean.class, false);
			set(optionsClass, options, "setOpenAllSeries", boolean.class, false);
			set(optionsClass, options, "setVirtual", boolean.class, false);
			set(optionsClass, options, "setConcatenate", boolean.class, false);
			set(optionsClass, options, "setSplitChannels", boolean.class, false);
			set(optionsClass, options, "setSplitFocalPlanes", boolean.class, false);
			set(optionsClass, options, "setSplitTimepoints", boolean.class, false);
			set(optionsClass, options, "setCrop", boolean.class, false);
			set(optionsClass, options, "setSpecifyRanges", boolean.class, false);
			set(optionsClass, options, "setShowMetadata", boolean.class, false);
			set(optionsClass, options, "setShowOMEXML", boolean.class, false);
			set(optionsClass, options, "setShowROIs", boolean.class, false);
			set(optionsClass, options, "setAutoscale", boolean.class, true);
			set(optionsClass, options, "setQuiet", boolean.class, true);
			set(optionsClass, options, "setWindowless", boolean.class, true);
			set(optionsClass, options, "setStackFormat", String.class, "Hyperstack");
			set(optionsClass, options, "setColorMode", String.class, "Default");
			Method open = Class.forName(BioFormatsRuntime.IMPORTER, true, loader).getMethod("openImagePlus", optionsClass);
			images = (Object[]) open.invoke(null, options);
			series = seriesCount(loader, path);
		} catch (InvocationTargetException e) {
			throw failure(found, file, e.getCause() == null ? e : e.getCause());
		} catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
			throw failure(found, file, e);
		} catch (OutOfMemoryError e) {
			throw ImageJReads.tooLarge(file);
		} finally {
			thread.setContextClassLoader(before);
		}
		if (images == null || images.length == 0 || !(images[0] instanceof ImagePlus imp) || imp.getWidth() < 1 || imp.getStackSize() < 1) {
			throw new ImageReadException(file, name(found) + " could not read it: it returned no image");
		}
		if (series > 1) {
			warnings.add(file.getFileName() + " holds " + series + " series (images); " + name(found) + " read the first, '" + imp.getTitle()
				+ "' (" + imp.getStackSize() + (imp.getStackSize() == 1 ? " plane" : " planes") + "), and the others were left out");
		}
		String name = file.getFileName().toString();
		ImageStack stack = imp.getStack();
		for (int k = 1; k <= stack.getSize(); k++) stack.setSliceLabel(stack.getSize() == 1 ? name : name + " plane " + k, k);
		imp.setTitle(name);
		imp.setProperty(READER_PROPERTY, name(found));
		return imp;
	}

	/** Sets an importer option; an option that this version of Bio-Formats does not have is left as it is, except the file. */
	private static void set(Class<?> c, Object o, String method, Class<?> type, Object value) throws ReflectiveOperationException {
		Method m;
		try {
			m = c.getMethod(method, type);
		} catch (NoSuchMethodException e) {
			if (method.equals("setId")) throw e;
			return;
		}
		m.invoke(o, value);
	}

	/** The number of series in a file, from a second, metadata-only look with Bio-Formats' readers; 1 when that look fails. */
	private static int seriesCount(ClassLoader loader, String path) {
		Object reader = null;
		try {
			Class<?> c = Class.forName("loci.formats.ImageReader", true, loader);
			reader = c.getConstructor().newInstance();
			c.getMethod("setGroupFiles", boolean.class).invoke(reader, false);
			c.getMethod("setId", String.class).invoke(reader, path);
			return (Integer) c.getMethod("getSeriesCount").invoke(reader);
		} catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
			return 1;
		} finally {
			if (reader != null) {
				try {
					reader.getClass().getMethod("close").invoke(reader);
				} catch (ReflectiveOperationException | RuntimeException e) {
					// nothing more to release
				}
			}
		}
	}

	private static ImageReadException failure(BioFormatsRuntime.Found found, Path file, Throwable e) {
		if (e instanceof OutOfMemoryError) return ImageJReads.tooLarge(file);
		String m = e.getMessage();
		String path = file.toAbsolutePath().toString();
		// Bio-Formats often repeats the path in its messages; the line names the file already.
		if (m != null) m = m.replace(path, "the file").strip();
		String what = e.getClass().getSimpleName().equals("UnknownFormatException") ? "it does not know the format"
			: Messages.oneLine(m == null || m.isBlank() ? e.getClass().getSimpleName() : m);
		return new ImageReadException(file, name(found) + " could not read it: " + what);
	}

	/**
	 * Returns what an exception says about its file, without the file name that starts its message.
	 *
	 * @param e the exception
	 * @return the reason
	 */
	static String reason(ImageReadException e) {
		String m = e.getMessage();
		String prefix = e.file() + ": ";
		return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
	}

	/**
	 * Gives an image that Bio-Formats read from a DICOM file the calibration ImageJ's own DICOM reader would:
	 * the value function from Rescale Slope and Intercept of the header (Bio-Formats leaves them out, and
	 * shifts signed 16-bit pixels by 32768 with a calibration function of its own, which is folded in), the
	 * pixel size in mm from Pixel Spacing, and the slice spacing from Spacing Between Slices or Slice
	 * Thickness.
	 *
	 * @param imp the image as Bio-Formats gave it; changed in place
	 * @param header the header values ({@link DicomHeaders#values} of {@link #CALIBRATION_TAGS})
	 * @param file the file, for messages
	 * @throws ImageReadException naming the file when Bio-Formats' calibration is not one MedCNN can fold in
	 */
	static void calibrateDicom(ImagePlus imp, Map<String, String> header, Path file) throws ImageReadException {
		double slope = number(header.get(RESCALE_SLOPE), 1);
		double intercept = number(header.get(RESCALE_INTERCEPT), 0);
		if (slope == 0) slope = 1; // a zero slope is a broken header; ImageJ ignores it too
		Calibration cal = imp.getCalibration().copy();
		double a = 0;
		double b = 1;
		int fn = cal.getFunction();
		if (fn == Calibration.STRAIGHT_LINE && cal.getCoefficients() != null && cal.getCoefficients().length >= 2) {
			a = cal.getCoefficients()[0];
			b = cal.getCoefficients()[1];
		} else if (fn != Calibration.NONE && fn != Calibration.UNCALIBRATED_OD) {
			throw new ImageReadException(file, "Bio-Formats gave the pixels a calibration function (" + fn + ") other than a straight line; "
				+ "MedCNN cannot combine it with the DICOM rescale slope and intercept");
		}
		boolean signed = "1".equals(header.get(PIXEL_REPRESENTATION));
		if (signed && imp.getBitDepth() == 16 && fn == Calibration.NONE) {
			// Signed 16-bit pixels need Bio-Formats' offset of 32768, which is missing: the values would be wrong.
			throw new ImageReadException(file, "signed 16-bit DICOM pixels came from Bio-Formats without their offset of 32768; "
				+ "the values cannot be trusted");
		}
		// stored value = a + b * pixel; calibrated value = slope * stored + intercept
		double c0 = slope * a + intercept;
		double c1 = slope * b;
		if (imp.getBitDepth() == 32 || imp.getBitDepth() == 24) {
			if (imp.getBitDepth() == 32 && (c0 != 0 || c1 != 1)) {
				ImageStack stack = imp.getStack();
				for (int s = 1; s <= stack.getSize(); s++) {
					float[] px = (float[]) stack.getPixels(s);
					for (int i = 0; i < px.length; i++) px[i] = (float) (c0 + c1 * px[i]);
				}
			}
			cal.setFunction(Calibration.NONE, null, "Gray Value");
		} else if (c0 == 0 && c1 == 1) {
			cal.setFunction(Calibration.NONE, null, "Gray Value");
		} else {
			cal.setFunction(Calibration.STRAIGHT_LINE, new double[] {c0, c1}, "Gray Value");
		}
		double[] spacing = numbers(header.get(PIXEL_SPACING));
		if (spacing != null && spacing.length == 2 && spacing[0] > 0 && spacing[1] > 0) {
			// DICOM Pixel Spacing is row spacing (y) then column spacing (x), in mm.
			cal.pixelHeight = spacing[0];
			cal.pixelWidth = spacing[1];
			cal.setUnit("mm");
			double depth = number(header.get(SLICE_SPACING), number(header.get(SLICE_THICKNESS), Double.NaN));
			cal.pixelDepth = depth > 0 ? Math.abs(depth) : 1;
		}
		imp.setCalibration(cal);
		if (imp.getBitDepth() == 32) imp.resetDisplayRange();
	}

	/**
	 * Makes the {@code Info} text of a DICOM file whose header ImageJ cannot list: the values MedCNN read, one
	 * {@code "gggg,eeee  value"} line each, as ImageJ's header lines look.
	 *
	 * @param header the values, by tag
	 * @param transferSyntax the transfer syntax
	 * @param reader the reader's name
	 * @return the text
	 */
	static String info(Map<String, String> header, String transferSyntax, String reader) {
		List<String> lines = new ArrayList<>();
		lines.add("0002,0010  Transfer Syntax UID: " + DicomHeaders.describe(transferSyntax));
		for (Map.Entry<String, String> e : header.entrySet()) {
			if (e.getKey().equals(DicomHeaders.PIXEL_DATA)) continue;
			lines.add(e.getKey() + "  " + e.getValue());
		}
		lines.add("(pixels decoded by " + reader + "; only these header values were read)");
		return String.join("\n", lines) + "\n";
	}

	private static double number(String s, double fallback) {
		if (s == null) return fallback;
		String t = s.strip();
		int bs = t.indexOf('\\');
		if (bs >= 0) t = t.substring(0, bs).strip();
		try {
			double v = Double.parseDouble(t);
			return Double.isFinite(v) ? v : fallback;
		} catch (NumberFormatException e) {
			return fallback;
		}
	}

	private static double[] numbers(String s) {
		if (s == null || s.isBlank()) return null;
		String[] parts = s.strip().split("\\\\");
		double[] v = new double[parts.length];
		for (int i = 0; i < parts.length; i++) {
			v[i] = number(parts[i], Double.NaN);
			if (Double.isNaN(v[i])) return null;
		}
		return v;
	}

	/**
	 * Says in one line that a file needs Bio-Formats, which is not on the class path.
	 *
	 * @param what what the file is, e.g. {@code DICOM with compressed transfer syntax JPEG 2000 (1.2...)}
	 * @return the message, without the file name
	 */
	static String missing(String what) {
		return String.format(Locale.ROOT, "%s cannot be decoded outside Fiji; open it in Fiji (Bio-Formats), give the command line "
			+ "Fiji's Bio-Formats (%s=/path/to/Fiji.app), or convert it to uncompressed DICOM or TIFF", what, BioFormatsRuntime.ENVIRONMENT_VARIABLE);
	}
}
