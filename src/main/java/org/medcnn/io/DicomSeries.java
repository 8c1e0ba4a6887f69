package org.medcnn.io;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.plugin.DICOM;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.medcnn.core.BioFormatsRuntime;

/**
 * One DICOM series read from a folder of single-slice files into one ImageJ stack.
 * <p>
 * <b>Files.</b> The regular, non-hidden files directly in the folder are considered (no sub-folders). A
 * file is DICOM when it has the "DICM" preamble or a {@code .dcm}, {@code .dicom} or {@code .ima} name.
 * Uncompressed files are read with ImageJ's {@link DICOM} reader. Files with a compressed syntax (JPEG,
 * JPEG-LS, JPEG 2000, RLE...) are read one by one with Bio-Formats when it is on the class path (Fiji), their
 * header values read by {@link DicomHeaders#values} and their calibration set as ImageJ's reader sets it
 * ({@link ImageFiles#openCompressedDicom}), so that they group, sort and calibrate like the others; without
 * Bio-Formats they are skipped with a warning naming the syntax, as are non-DICOM files and DICOM files
 * without pixel data. The image property {@link ImageFiles#READER_PROPERTY} says which readers read the slices. When no slice is left, {@link #open(Path)}
 * throws an {@link ImageReadException} that names the folder and says why each kind of file was left out.
 * <p>
 * <b>Series.</b> Slices are grouped by Series Instance UID (0020,000E). With several series in the folder
 * the largest is read (ties: the one whose first file name sorts first) and a warning names the others;
 * {@link #open(Path, String)} picks one by UID instead.
 * <p>
 * <b>Order.</b> When every slice has Image Position (Patient) (0020,0032) and all share one Image
 * Orientation (Patient) (0020,0037), slices are sorted by their position projected on the slice normal
 * (row direction cross column direction), ties broken by Instance Number (0020,0013); the direction is
 * then chosen so that instance numbers increase along the stack, as the scanner numbered them (when
 * instance numbers are missing, the order is ascending along the normal). Otherwise slices are sorted by
 * Instance Number, and as a last resort by file name, with a warning.
 * <p>
 * <b>Pixels and calibration.</b> All slices must have the same rows, columns, bits allocated and samples
 * per pixel; otherwise an exception names the odd file. Pixel width and height come from the first slice
 * (a warning says when other slices differ). The slice spacing ({@code pixelDepth}) is the mean distance
 * between successive distinct positions along the normal (warnings for uneven spacing and for slices that
 * share a position); without positions it is what ImageJ read from the first slice (Spacing Between
 * Slices or Slice Thickness). The value calibration that ImageJ's DICOM reader sets (rescale slope and
 * intercept as a straight-line calibration function, e.g. Hounsfield units for CT, including ImageJ's
 * +32768 offset for signed pixels; slopes other than 1 too, see {@link ImageFiles#open(Path)}) is kept
 * when all slices share it. When it differs between slices, every slice is converted to 32-bit float in
 * calibrated units (e.g. HU) and a warning says so.
 * <p>
 * <b>Labels and metadata.</b> Each slice label is the file name and the instance number
 * ({@code "IM0007.dcm #7"}), followed on the next lines by that file's DICOM header, as ImageJ's own
 * DICOM stacks do. The {@code Info} property holds the first slice's header and the warnings are also
 * stored, one per line, as the image property {@link #WARNINGS_PROPERTY}. Multi-frame files are read as
 * they are when the series is that one file; several multi-frame files are refused. Siemens mosaics
 * (Image Type {@code MOSAIC}) are unpacked into their slices ({@link DicomMosaic}); a folder of several
 * mosaics of one series (an fMRI or diffusion run) becomes a hyperstack with one time point per file, in
 * Instance Number order.
 */
public final class DicomSeries {

	/** Image property (a String, one warning per line) that holds the warnings; absent when there are none. */
	public static final String WARNINGS_PROPERTY = "MedCNN.DicomSeries.warnings";

	private static final String SERIES_UID = "0020,000E";
	private static final String SERIES_NUMBER = "0020,0011";
	private static final String SERIES_DESCRIPTION = "0008,103E";
	private static final String INSTANCE_NUMBER = "0020,0013";
	private static final String POSITION = "0020,0032";
	private static final String ORIENTATION = "0020,0037";
	private static final String FRAMES = "0028,0008";
	private static final String ROWS = "0028,0010";
	private static final String COLUMNS = "0028,0011";
	private static final String BITS_ALLOCATED = "0028,0100";
	private static final String SAMPLES = "0028,0002";
	private static final String PIXEL_DATA = "7FE0,0010";
	private static final List<String> TAGS = List.of(SERIES_UID, SERIES_NUMBER, SERIES_DESCRIPTION, INSTANCE_NUMBER, POSITION,
		ORIENTATION, FRAMES, ROWS, COLUMNS, BITS_ALLOCATED, SAMPLES, PIXEL_DATA);

	/** Positions closer than this (mm) along the normal count as the same position. */
	private static final double SAME_POSITION_MM = 1e-3;

	private final ImagePlus image;
	private final List<String> warnings;
	private final String seriesUid;
	private final List<Path> files;

	private DicomSeries(ImagePlus image, List<String> warnings, String seriesUid, List<Path> files) {
		this.image = image;
		this.warnings = List.copyOf(warnings);
		this.seriesUid = seriesUid;
		this.files = List.copyOf(files);
	}

	/**
	 * Reads the largest series in a folder.
	 *
	 * @param folder a folder of DICOM files
	 * @return the series, with warnings about what was left out or is doubtful
	 * @throws ImageReadException naming the folder when it holds no readable DICOM slice, or naming a file
	 *         whose size or bit depth differs from the rest of the series or whose pixels ImageJ cannot decode
	 */
	public static DicomSeries open(Path folder) throws ImageReadException {
		return open(folder, null);
	}

	/**
	 * Reads one series of a folder.
	 *
	 * @param folder a folder of DICOM files
	 * @param seriesInstanceUid the Series Instance UID (0020,000E) to read; null for the largest series
	 * @return the series, with warnings about what was left out or is doubtful
	 * @throws ImageReadException naming the folder when it holds no readable DICOM slice or none of the
	 *         requested series, or naming a file whose size or bit depth differs from the rest of the series
	 *         or whose pixels ImageJ cannot decode
	 */
	public static DicomSeries open(Path folder, String seriesInstanceUid) throws ImageReadException {
		if (!Files.isDirectory(folder)) throw new ImageReadException(folder, "not a folder");
		List<Path> all = list(folder);
		if (all.isEmpty()) {
			long subFolders = countSubFolders(folder);
			throw new ImageReadException(folder, subFolders == 0 ? "folder is empty: no DICOM files to read as a series"
				: "folder holds no files, only " + count((int) subFolders, "sub-folder") + " (sub-folders are not searched): "
					+ "give the folder of one DICOM series");
		}
		List<String> warnings = new ArrayList<>();
		Optional<BioFormatsRuntime.Found> bf = BioFormatsReader.find();
		Scan scan = scan(all, bf.orElse(null));
		if (scan.slices.isEmpty()) throw new ImageReadException(folder, nothingReadable(scan, all.size()));
		scan.skippedWarnings(warnings);

		Map<String, List<Slice>> bySeries = new LinkedHashMap<>();
		for (Slice s : scan.slices) bySeries.computeIfAbsent(s.seriesUid, k -> new ArrayList<>()).add(s);
		String uid = chooseSeries(folder, bySeries, seriesInstanceUid, warnings);
		List<Slice> series = bySeries.get(uid);

		checkSameGeometry(series);
		Slice multi = series.stream().filter(s -> s.frames > 1).findFirst().orElse(null);
		if (multi != null && series.size() > 1) {
			throw new ImageReadException(multi.file, "multi-frame DICOM file (" + multi.frames + " frames) in a series of " + series.size()
				+ " files; a folder of several multi-frame files is not supported: open each file on its own");
		}
		int mosaic = checkMosaics(series);
		double spacing;
		if (mosaic != 0) {
			// Each file of a mosaic series is a volume at the same place: keep the scanner's order, in time.
			series.sort(Comparator.comparing((Slice s) -> s.instance, Comparator.nullsLast(Comparator.naturalOrder())).thenComparing(s -> s.name));
			spacing = Double.NaN;
		} else {
			spacing = sort(series, warnings);
		}
		ImagePlus imp = build(folder, series, spacing, warnings, bf.orElse(null));
		if (!warnings.isEmpty()) imp.setProperty(WARNINGS_PROPERTY, String.join("\n", warnings));
		return new DicomSeries(imp, warnings, uid, series.stream().map(s -> s.file).toList());
	}

	/**
	 * Returns the stack.
	 *
	 * @return the stack, one slice per file in series order, calibrated as described in the class comment
	 */
	public ImagePlus image() {
		return image;
	}

	/**
	 * Returns what the caller should show the user: files left out, other series, uneven spacing and so on.
	 *
	 * @return the warnings, one sentence each; empty when there are none
	 */
	public List<String> warnings() {
		return warnings;
	}

	/**
	 * Returns the Series Instance UID (0020,000E) of the series read.
	 *
	 * @return the UID; empty when its files have none
	 */
	public String seriesInstanceUid() {
		return seriesUid;
	}

	/**
	 * Returns the files of the series.
	 *
	 * @return the files, in stack order
	 */
	public List<Path> files() {
		return files;
	}

	// -- Scanning the folder --

	/** One readable DICOM file and the header values used to group and sort it. */
	private static final class Slice {
		final Path file;
		final String name;
		final String info;
		final String seriesUid;
		final String seriesLabel;
		final Integer instance;
		final double[] position;
		final double[] orientation;
		final int frames;
		final int rows;
		final int columns;
		final int bits;
		final int samples;
		/** Slices in the file when it is a Siemens mosaic ({@link DicomHeaders#mosaicImages}); 0 when it is not one. */
		int mosaic;
		/** The transfer syntax when it is a compressed one, read by Bio-Formats; null for ImageJ's reader. */
		String compressed;
		double along;

		Slice(Path file, String info, Map<String, String> tags) {
			this.file = file;
			this.name = file.getFileName().toString();
			this.info = info;
			this.seriesUid = tags.getOrDefault(SERIES_UID, "");
			String number = tags.getOrDefault(SERIES_NUMBER, "");
			String description = tags.getOrDefault(SERIES_DESCRIPTION, "");
			String extra = ((number.isEmpty() ? "" : "#" + number) + " " + description).strip();
			this.seriesLabel = (seriesUid.isEmpty() ? "(no Series Instance UID)" : seriesUid) + (extra.isEmpty() ? "" : " [" + extra + "]");
			Double in = number(tags.get(INSTANCE_NUMBER));
			this.instance = in == null ? null : (int) Math.round(in);
			this.position = numbers(tags.get(POSITION), 3);
			this.orientation = numbers(tags.get(ORIENTATION), 6);
			Double f = number(tags.get(FRAMES));
			this.frames = f == null ? 1 : (int) Math.round(f);
			this.rows = intOr(tags.get(ROWS), 0);
			this.columns = intOr(tags.get(COLUMNS), 0);
			this.bits = intOr(tags.get(BITS_ALLOCATED), 16);
			this.samples = intOr(tags.get(SAMPLES), 1);
		}

		String label() {
			return instance == null ? name : name + " #" + instance;
		}
	}

	/** What a pass over the folder found. */
	private static final class Scan {
		final List<Slice> slices = new ArrayList<>();
		final List<String> notDicom = new ArrayList<>();
		final Map<String, List<String>> compressed = new TreeMap<>();
		final List<String> noImage = new ArrayList<>();
		final List<String> unreadable = new ArrayList<>();

		void skippedWarnings(List<String> warnings) {
			for (Map.Entry<String, List<String>> e : compressed.entrySet()) {
				warnings.add("skipped " + count(e.getValue().size(), "file") + " with compressed transfer syntax " + e.getKey()
					+ ", which ImageJ cannot decode (open them in Fiji with Bio-Formats): " + names(e.getValue()));
			}
			if (!notDicom.isEmpty()) warnings.add("skipped " + count(notDicom.size(), "file") + (notDicom.size() == 1 ? " that is" : " that are") + " not DICOM: " + names(notDicom));
			if (!noImage.isEmpty()) warnings.add("skipped " + count(noImage.size(), "DICOM file") + " without an image: " + names(noImage));
			warnings.addAll(unreadable);
		}
	}

	private static List<Path> list(Path folder) throws ImageReadException {
		try (Stream<Path> s = Files.list(folder)) {
			return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
				.sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
		} catch (IOException e) {
			throw new ImageReadException(folder, "folder cannot be listed: " + e.getMessage());
		}
	}

	private static long countSubFolders(Path folder) throws ImageReadException {
		try (Stream<Path> s = Files.list(folder)) {
			return s.filter(Files::isDirectory).count();
		} catch (IOException e) {
			throw new ImageReadException(folder, "folder cannot be listed: " + e.getMessage());
		}
	}

	private static Scan scan(List<Path> files, BioFormatsRuntime.Found bf) {
		Scan scan = new Scan();
		for (Path file : files) {
			String name = file.getFileName().toString();
			byte[] head;
			try (InputStream in = Files.newInputStream(file)) {
				head = in.readNBytes(132);
			} catch (IOException e) {
				scan.unreadable.add(file + ": skipped, cannot be read: " + e.getMessage());
				continue;
			}
			if (!DicomHeaders.isDicom(head) && !hasDicomName(name)) {
				scan.notDicom.add(name);
				continue;
			}
			if (name.equalsIgnoreCase("DICOMDIR")) {
				scan.noImage.add(name);
				continue;
			}
			String ts;
			try {
				ts = DicomHeaders.transferSyntax(file);
			} catch (IOException e) {
				scan.unreadable.add(file + ": skipped, cannot be read: " + e.getMessage());
				continue;
			}
			boolean compressed = !DicomHeaders.isReadable(ts);
			if (compressed && bf == null) {
				scan.compressed.computeIfAbsent(DicomHeaders.describe(ts), k -> new ArrayList<>()).add(name);
				continue;
			}
			try {
				String damage = DicomHeaders.damage(file, ts);
				if (damage != null) {
					scan.unreadable.add(file + ": skipped, damaged DICOM file: " + damage);
					continue;
				}
			} catch (IOException e) {
				scan.unreadable.add(file + ": skipped, cannot be read: " + e.getMessage());
				continue;
			}
			String info;
			Map<String, String> tags;
			if (compressed) {
				// ImageJ lists no header for a compressed file: read the values from the file itself.
				try {
					Set<String> wanted = new HashSet<>(TAGS);
					wanted.addAll(BioFormatsReader.CALIBRATION_TAGS);
					tags = DicomHeaders.values(file, ts, wanted);
				} catch (IOException e) {
					scan.unreadable.add(file + ": skipped, cannot be read: " + e.getMessage());
					continue;
				}
				info = BioFormatsReader.info(tags, ts, BioFormatsReader.name(bf));
			} else {
				info = headerText(file);
				tags = info == null ? Map.of() : topLevel(info);
			}
			if (!tags.containsKey(PIXEL_DATA) || intOr(tags.get(ROWS), 0) < 1 || intOr(tags.get(COLUMNS), 0) < 1) {
				if (DicomHeaders.isDicom(head) || !tags.isEmpty()) scan.noImage.add(name);
				else scan.notDicom.add(name);
				continue;
			}
			Slice slice = new Slice(file, info, tags);
			slice.compressed = compressed ? ts : null;
			try {
				slice.mosaic = DicomHeaders.mosaicImages(file, ts);
			} catch (IOException e) {
				scan.unreadable.add(file + ": skipped, cannot be read: " + e.getMessage());
				continue;
			}
			scan.slices.add(slice);
		}
		return scan;
	}

	private static boolean hasDicomName(String name) {
		String n = name.toLowerCase(Locale.ROOT);
		return n.endsWith(".dcm") || n.endsWith(".dicom") || n.endsWith(".ima");
	}

	private static String headerText(Path file) {
		try {
			return ImageJReads.call(file, "DICOM", () -> new DICOM().getInfo(file.toAbsolutePath().toString()));
		} catch (ImageReadException e) {
			return null;
		}
	}

	/**
	 * Picks the top-level values of the tags we use from ImageJ's header text ("gggg,eeee  Name: value"
	 * lines). ImageJ marks elements of undefined-length sequences with '>', and those are skipped. Elements
	 * of defined-length sequences are not marked; the last occurrence wins because the sequences that may
	 * repeat these tags (Referenced or Related Series Sequence, group 0008) come before them.
	 */
	static Map<String, String> topLevel(String info) {
		Map<String, String> out = new LinkedHashMap<>();
		for (String line : info.split("\n")) {
			if (line.length() < 10 || line.charAt(4) != ',') continue;
			String tag = line.substring(0, 9).toUpperCase(Locale.ROOT);
			if (!TAGS.contains(tag)) continue;
			String rest = line.substring(9).strip();
			if (rest.startsWith(">")) continue;
			int colon = rest.indexOf(':');
			out.put(tag, colon < 0 ? "" : rest.substring(colon + 1).strip());
		}
		return out;
	}

	private static String nothingReadable(Scan scan, int nFiles) {
		List<String> why = new ArrayList<>();
		for (Map.Entry<String, List<String>> e : scan.compressed.entrySet()) {
			why.add(count(e.getValue().size(), "file") + " with compressed transfer syntax " + e.getKey() + " (" + names(e.getValue())
				+ "), which ImageJ cannot decode: open them in Fiji (Bio-Formats) or convert them to uncompressed DICOM");
		}
		if (!scan.noImage.isEmpty()) why.add(count(scan.noImage.size(), "DICOM file") + " without an image (" + names(scan.noImage) + ")");
		if (!scan.notDicom.isEmpty()) {
			why.add(count(scan.notDicom.size(), "file") + (scan.notDicom.size() == 1 ? " that is" : " that are") + " not DICOM ("
				+ names(scan.notDicom)
				+ "; DICOM files need the DICM preamble or a .dcm, .dicom or .ima name)");
		}
		for (String u : scan.unreadable) why.add(u);
		String head = scan.compressed.isEmpty() && scan.noImage.isEmpty() && scan.unreadable.isEmpty()
			? "no DICOM files in this folder (" + count(nFiles, "file") + " checked)"
			: "no readable DICOM slice in this folder";
		return head + ": " + String.join("; ", why);
	}

	private static String chooseSeries(Path folder, Map<String, List<Slice>> bySeries, String wanted, List<String> warnings)
		throws ImageReadException {
		String chosen;
		if (wanted != null) {
			if (!bySeries.containsKey(wanted)) {
				throw new ImageReadException(folder, "no slice of series " + wanted + "; the folder holds " + describe(bySeries, null));
			}
			chosen = wanted;
		} else {
			chosen = null;
			for (Map.Entry<String, List<Slice>> e : bySeries.entrySet()) {
				if (chosen == null || e.getValue().size() > bySeries.get(chosen).size()) chosen = e.getKey();
			}
		}
		if (bySeries.size() > 1) {
			List<Slice> s = bySeries.get(chosen);
			warnings.add("the folder holds " + bySeries.size() + " series; read " + s.get(0).seriesLabel + " (" + count(s.size(), "slice") + ")"
				+ (wanted == null ? ", the largest" : "") + ", and left out " + describe(bySeries, chosen));
		}
		return chosen;
	}

	private static String describe(Map<String, List<Slice>> bySeries, String except) {
		List<String> parts = new ArrayList<>();
		for (Map.Entry<String, List<Slice>> e : bySeries.entrySet()) {
			if (e.getKey().equals(except)) continue;
			parts.add(e.getValue().get(0).seriesLabel + " (" + count(e.getValue().size(), "slice") + ")");
		}
		return String.join(", ", parts);
	}

	private static void checkSameGeometry(List<Slice> series) throws ImageReadException {
		Slice first = series.get(0);
		for (Slice s : series) {
			if (s.columns != first.columns || s.rows != first.rows) {
				throw new ImageReadException(s.file, "slice is " + s.columns + " x " + s.rows + " pixels but " + first.name
					+ " of the same series is " + first.columns + " x " + first.rows);
			}
			if (s.bits != first.bits || s.samples != first.samples) {
				throw new ImageReadException(s.file, "slice has " + s.bits + " bits allocated and " + s.samples + " samples per pixel but "
					+ first.name + " of the same series has " + first.bits + " and " + first.samples);
			}
		}
	}

	/**
	 * Checks that the files of a series are all Siemens mosaics of one number of slices, or none is.
	 *
	 * @return the number of slices in each mosaic; 0 when the series is not made of mosaics
	 */
	private static int checkMosaics(List<Slice> series) throws ImageReadException {
		Slice first = series.get(0);
		for (Slice s : series) {
			if (s.mosaic != first.mosaic) {
				throw new ImageReadException(s.file, (s.mosaic == 0 ? "is not a Siemens mosaic" : "is a Siemens mosaic of " + s.mosaic + " slices")
					+ " but " + first.name + " of the same series " + (first.mosaic == 0 ? "is not one" : "is one of " + first.mosaic));
			}
		}
		if (first.mosaic < 0) DicomMosaic.grid(first.file, first.mosaic, first.columns, first.rows); // throws: slices unknown
		if (first.mosaic > 0 && first.frames > 1) {
			throw new ImageReadException(first.file, "multi-frame Siemens mosaic (" + first.frames + " frames) is not supported; convert it with dcm2niix");
		}
		return first.mosaic;
	}

	// -- Order and spacing --

	/**
	 * Sorts the slices in place.
	 *
	 * @return the slice spacing from positions, or NaN when positions do not give one
	 */
	private static double sort(List<Slice> series, List<String> warnings) {
		Comparator<Slice> byInstance = Comparator.comparing((Slice s) -> s.instance, Comparator.nullsLast(Comparator.naturalOrder()))
			.thenComparing(s -> s.name);
		boolean allInstances = series.stream().allMatch(s -> s.instance != null);
		if (series.size() == 1) return Double.NaN;
		double[] normal = normal(series);
		if (normal == null) {
			if (allInstances) {
				series.sort(byInstance);
			} else {
				series.sort(Comparator.comparing(s -> s.name));
				warnings.add("slices have neither Image Position/Orientation (Patient) nor Instance Number everywhere; sorted by file name");
			}
			return Double.NaN;
		}
		for (Slice s : series) s.along = dot(normal, s.position);
		series.sort(Comparator.comparingDouble((Slice s) -> s.along).thenComparing(byInstance));
		if (allInstances && series.get(0).instance > series.get(series.size() - 1).instance) {
			// Keep the scanner's numbering direction: reverse positions, but keep ties in instance order.
			List<Slice> reversed = new ArrayList<>(series);
			reversed.sort(Comparator.comparingDouble((Slice s) -> -s.along).thenComparing(byInstance));
			series.clear();
			series.addAll(reversed);
		}
		if (allInstances) {
			for (int i = 1; i < series.size(); i++) {
				if (series.get(i).instance < series.get(i - 1).instance) {
					warnings.add("instance numbers do not follow the slice positions; slices are in position order");
					break;
				}
			}
		}
		List<Double> distinct = new ArrayList<>();
		for (Slice s : series) {
			if (distinct.isEmpty() || Math.abs(s.along - distinct.get(distinct.size() - 1)) > SAME_POSITION_MM) distinct.add(s.along);
		}
		if (distinct.size() < series.size()) {
			warnings.add(series.size() + " slices lie at only " + count(distinct.size(), "distinct position") + " (several echoes, "
				+ "time points or repeats in one series?)");
		}
		if (distinct.size() < 2) return Double.NaN;
		double mean = Math.abs(distinct.get(distinct.size() - 1) - distinct.get(0)) / (distinct.size() - 1);
		double min = Double.MAX_VALUE;
		double max = 0;
		for (int i = 1; i < distinct.size(); i++) {
			double d = Math.abs(distinct.get(i) - distinct.get(i - 1));
			min = Math.min(min, d);
			max = Math.max(max, d);
		}
		if (max - min > 0.01 * mean + SAME_POSITION_MM) {
			warnings.add("uneven slice spacing, from " + mm(min) + " to " + mm(max) + " mm; the stack uses the mean, " + mm(mean) + " mm");
		}
		return mean;
	}

	/** @return the common slice normal, or null when some slice lacks a position or orientation or orientations differ */
	private static double[] normal(List<Slice> series) {
		double[] o = series.get(0).orientation;
		if (o == null) return null;
		for (Slice s : series) {
			if (s.position == null || s.orientation == null) return null;
			for (int k = 0; k < 6; k++) if (Math.abs(s.orientation[k] - o[k]) > 1e-4) return null;
		}
		double[] n = {o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
		double len = Math.sqrt(dot(n, n));
		if (!(len > 1e-6)) return null;
		for (int k = 0; k < 3; k++) n[k] /= len;
		return n;
	}

	private static double dot(double[] a, double[] b) {
		return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
	}

	// -- Pixels --

	private static ImagePlus build(Path folder, List<Slice> series, double spacing, List<String> warnings, BioFormatsRuntime.Found bf)
		throws ImageReadException {
		List<ImagePlus> opened = new ArrayList<>(series.size());
		for (Slice s : series) opened.add(s.compressed != null ? ImageFiles.openCompressedDicom(bf, s.file, s.compressed) : openPixels(s));
		ImagePlus first = opened.get(0);
		Calibration cal0 = first.getCalibration();
		boolean uniform = true;
		for (int i = 0; i < opened.size(); i++) {
			ImagePlus imp = opened.get(i);
			Slice s = series.get(i);
			if (imp.getWidth() != first.getWidth() || imp.getHeight() != first.getHeight()) {
				throw new ImageReadException(s.file, "slice is " + imp.getWidth() + " x " + imp.getHeight() + " pixels but "
					+ series.get(0).name + " of the same series is " + first.getWidth() + " x " + first.getHeight());
			}
			int bd = imp.getBitDepth();
			if (bd != first.getBitDepth() && (bd == 24 || first.getBitDepth() == 24)) {
				throw new ImageReadException(s.file, "slice is " + bd + "-bit but " + series.get(0).name + " of the same series is "
					+ first.getBitDepth() + "-bit");
			}
			Calibration c = imp.getCalibration();
			if (bd != first.getBitDepth() || c.getFunction() != cal0.getFunction()
				|| !Arrays.equals(c.getCoefficients(), cal0.getCoefficients())) {
				uniform = false;
			}
			if (Math.abs(c.pixelWidth - cal0.pixelWidth) > 1e-6 * cal0.pixelWidth
				|| Math.abs(c.pixelHeight - cal0.pixelHeight) > 1e-6 * cal0.pixelHeight) {
				warnings.add(s.file + ": pixel spacing " + c.pixelWidth + " x " + c.pixelHeight + " differs from the first slice's "
					+ cal0.pixelWidth + " x " + cal0.pixelHeight + "; the stack uses the first");
			}
		}
		int mosaic = series.get(0).mosaic;
		int grid = mosaic > 0 ? DicomMosaic.grid(series.get(0).file, mosaic, first.getWidth(), first.getHeight()) : 1;
		int w = first.getWidth() / grid;
		int h = first.getHeight() / grid;
		ImageStack stack = new ImageStack(w, h);
		for (int i = 0; i < opened.size(); i++) {
			ImagePlus imp = opened.get(i);
			Slice s = series.get(i);
			ImageStack st = mosaic > 0 ? DicomMosaic.unpack(imp, mosaic, grid, s.label()) : imp.getStack();
			for (int k = 1; k <= st.getSize(); k++) {
				ImageProcessor ip = st.getProcessor(k);
				if (!uniform) ip = calibratedFloat(ip, imp.getCalibration());
				String label = mosaic > 0 ? st.getSliceLabel(k) : st.getSize() > 1 ? s.label() + " frame " + k : s.label();
				stack.addSlice(label + "\n" + s.info, ip);
			}
		}
		ImagePlus out = new ImagePlus(folder.getFileName() != null ? folder.getFileName().toString() : folder.toString(), stack);
		if (mosaic > 0) {
			warnings.add(DicomMosaic.note(mosaic, grid, w, h) + (opened.size() > 1 ? ", " + opened.size() + " volumes as time points" : ""));
			if (opened.size() > 1) {
				out.setDimensions(1, mosaic, opened.size());
				out.setOpenAsHyperStack(true);
			}
		}
		Calibration cal = cal0.copy();
		if (!uniform) {
			cal.setFunction(Calibration.NONE, null, cal0.getValueUnit());
			warnings.add("rescale slope/intercept differ between slices: all slices converted to 32-bit float in calibrated units");
		}
		if (!Double.isNaN(spacing) && spacing > 0) cal.pixelDepth = spacing;
		out.setCalibration(cal);
		if (uniform) {
			out.setDisplayRange(first.getDisplayRangeMin(), first.getDisplayRangeMax());
		} else {
			out.resetDisplayRange();
		}
		out.setProperty("Info", series.get(0).info);
		out.setProperty(ImageFiles.READER_PROPERTY, readers(series, bf));
		return out;
	}

	/** Which readers read the slices, e.g. {@code DICOM series: ImageJ DICOM (4 files), Bio-Formats 8.0.0 (2 files, JPEG 2000 (...))}. */
	private static String readers(List<Slice> series, BioFormatsRuntime.Found bf) {
		long byImageJ = series.stream().filter(s -> s.compressed == null).count();
		Map<String, Integer> bySyntax = new TreeMap<>();
		for (Slice s : series) if (s.compressed != null) bySyntax.merge(DicomHeaders.describe(s.compressed), 1, Integer::sum);
		List<String> parts = new ArrayList<>();
		if (byImageJ > 0) parts.add("ImageJ DICOM (" + count((int) byImageJ, "file") + ")");
		for (Map.Entry<String, Integer> e : bySyntax.entrySet()) {
			parts.add(BioFormatsReader.name(bf) + " DICOM (" + count(e.getValue(), "file") + ", " + e.getKey() + ")");
		}
		return "DICOM series: " + String.join(", ", parts);
	}

	private static ImagePlus openPixels(Slice s) throws ImageReadException {
		ImagePlus imp = ImageJReads.call(s.file, "DICOM", () -> ImageFiles.openDicom(s.file));
		if (imp == null || imp.getHeight() < 1 || imp.getStackSize() < 1) {
			throw new ImageReadException(s.file, "damaged or unsupported DICOM file: ImageJ could not decode its pixel data");
		}
		return imp;
	}

	private static FloatProcessor calibratedFloat(ImageProcessor ip, Calibration cal) {
		int n = ip.getPixelCount();
		float[] px = new float[n];
		if (ip instanceof FloatProcessor) {
			for (int i = 0; i < n; i++) px[i] = ip.getf(i);
		} else {
			float[] table = cal.getCTable();
			for (int i = 0; i < n; i++) px[i] = table != null ? table[ip.get(i)] : ip.get(i);
		}
		return new FloatProcessor(ip.getWidth(), ip.getHeight(), px);
	}

	// -- Small helpers --

	private static Double number(String s) {
		if (s == null) return null;
		String t = s.strip();
		int bs = t.indexOf('\\');
		if (bs >= 0) t = t.substring(0, bs).strip();
		try {
			double v = Double.parseDouble(t);
			return Double.isFinite(v) ? v : null;
		} catch (NumberFormatException e) {
			return null;
		}
	}

	private static int intOr(String s, int fallback) {
		Double v = number(s);
		return v == null ? fallback : (int) Math.round(v);
	}

	private static double[] numbers(String s, int n) {
		if (s == null) return null;
		String[] parts = s.strip().split("\\\\");
		if (parts.length != n) return null;
		double[] v = new double[n];
		for (int k = 0; k < n; k++) {
			try {
				v[k] = Double.parseDouble(parts[k].strip());
			} catch (NumberFormatException e) {
				return null;
			}
			if (!Double.isFinite(v[k])) return null;
		}
		return v;
	}

	/** @return a length with at most 4 significant digits and no trailing zeros, e.g. "1" or "2.346" */
	private static String mm(double v) {
		return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
	}

	private static String count(int n, String noun) {
		return n + " " + noun + (n == 1 ? "" : "s");
	}

	private static String names(List<String> names) {
		int shown = Math.min(5, names.size());
		String s = String.join(", ", names.subList(0, shown));
		return names.size() > shown ? s + " and " + (names.size() - shown) + " more" : s;
	}
}
