package org.medcnn.app.batch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Lists the inputs of a batch folder and splits them into shards.
 * <p>
 * An input is an image file, or a DICOM series folder (read as one stack). The rules:
 * <ul>
 * <li>Files directly in the input folder are inputs each, DICOM files too.</li>
 * <li>A sub-folder that holds DICOM files and no other image files is a series folder: one input. Other
 * files in it (text, XML) do not matter. With {@code recursive=false} the immediate sub-folders of the
 * input folder are looked at for series (a series is an image, not a folder to search); with
 * {@code recursive=true} every level is, and the sub-folders of a series folder are searched too.</li>
 * <li>With {@code recursive=true}, image files in sub-folders that are not series folders are inputs each.</li>
 * <li>Without a pattern, image files are files ending in {@link #IMAGE_ENDINGS} and files of any name
 * that start like DICOM Part 10 ({@code DICM} at byte 128). NIfTI {@code .img} files are read through
 * their {@code .hdr} and are not inputs themselves.</li>
 * <li>With a pattern (a glob on file names, case-sensitive, e.g. {@code *.nii.gz}), the files whose name
 * matches are inputs, whatever their content; a series folder is taken when the pattern matches its name
 * or the name of one of its files.</li>
 * <li>Hidden files and folders (name starting with '.') and the output folder are never searched.</li>
 * </ul>
 * The list is sorted by source (the path relative to the input folder, with '/'), so that every shard
 * of a cluster job sees the same order.
 */
public final class BatchInputs {

	/** File name endings that are image files when no pattern is given (compared in lower case). */
	public static final List<String> IMAGE_ENDINGS = List.of(".tif", ".tiff", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".dcm", ".dicom",
		".nii", ".nii.gz", ".hdr", ".hdr.gz");

	private static final List<String> DICOM_ENDINGS = List.of(".dcm", ".dicom");

	/** Endings that are never inputs without a pattern: the image half of a NIfTI pair. */
	private static final List<String> NOT_INPUTS = List.of(".img", ".img.gz");

	private BatchInputs() {}

	/**
	 * One input of a batch.
	 *
	 * @param source the path relative to the input folder, with '/' separators; the {@code source} column of the results
	 * @param path the file or series folder
	 * @param series true for a DICOM series folder
	 * @param outputName the base name of its outputs: the source with '/' replaced by {@code __}
	 * @param problem why this input cannot be processed (e.g. its output name collides with another's); null when none
	 */
	public record Input(String source, Path path, boolean series, String outputName, String problem) {}

	/**
	 * Lists the inputs of a folder.
	 *
	 * @param inputDir the input folder
	 * @param recursive whether every level is searched
	 * @param pattern a glob on file names, or null for all image files
	 * @param exclude a folder never searched (the output folder); may be null
	 * @return the inputs, sorted by source
	 * @throws IOException if a folder cannot be listed
	 */
	public static List<Input> list(Path inputDir, boolean recursive, String pattern, Path exclude) throws IOException {
		PathMatcher matcher = pattern == null || pattern.isBlank() ? null : FileSystems.getDefault().getPathMatcher("glob:" + pattern.trim());
		Path excluded = exclude != null && Files.isDirectory(exclude) ? exclude.toRealPath() : null;
		List<Path[]> found = new ArrayList<>(); // {path, 1 when series}
		Set<Path> visited = new HashSet<>();
		walk(inputDir, true, false, recursive, matcher, excluded, visited, found);
		List<Input> out = new ArrayList<>();
		for (Path[] f : found) {
			String source = source(inputDir, f[0]);
			out.add(new Input(source, f[0], f[1] != null, outputName(source), null));
		}
		out.sort(Comparator.comparing(Input::source));
		return markCollisions(out);
	}

	/**
	 * Returns the inputs of one shard: element {@code i} of the list belongs to shard {@code i mod count}.
	 *
	 * @param <T> the element type
	 * @param sorted the whole sorted list
	 * @param index the shard, 0 to count - 1
	 * @param count the number of shards, at least 1
	 * @return the shard's elements, in list order
	 * @throws IllegalArgumentException if index or count are out of range
	 */
	public static <T> List<T> shard(List<T> sorted, int index, int count) {
		if (count < 1 || index < 0 || index >= count) throw new IllegalArgumentException("shard " + index + " of " + count + " does not exist");
		List<T> out = new ArrayList<>();
		for (int i = index; i < sorted.size(); i += count) out.add(sorted.get(i));
		return out;
	}

	/**
	 * Returns the base name of an input's outputs: its source with every '/' replaced by {@code __}. The
	 * extension is kept, so that {@code a.png} and {@code a.tif} get different outputs.
	 *
	 * @param source the source (relative path with '/')
	 * @return the base name
	 */
	public static String outputName(String source) {
		return source.replace("/", "__");
	}

	/**
	 * Visits a folder: its image files are inputs each unless it is a series folder below the top; its
	 * sub-folders are looked at for series, and searched when recursive.
	 */
	private static void walk(Path dir, boolean top, boolean series, boolean recursive, PathMatcher matcher, Path excluded, Set<Path> visited,
		List<Path[]> found) throws IOException {
		if (!visited.add(dir.toRealPath())) return; // a link back up the tree
		List<Path> files = new ArrayList<>();
		List<Path> dirs = new ArrayList<>();
		try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
			for (Path p : s) {
				if (p.getFileName().toString().startsWith(".")) continue;
				if (Files.isDirectory(p)) {
					if (excluded == null || !p.toRealPath().equals(excluded)) dirs.add(p);
				} else if (Files.isRegularFile(p)) {
					files.add(p);
				}
			}
		}
		files.sort(null);
		dirs.sort(null);
		if (top || !series) {
			for (Path f : files) if (isInput(f, matcher)) found.add(new Path[] {f, null});
		}
		for (Path d : dirs) {
			boolean isSeries = isSeriesFolder(d, matcher);
			if (isSeries) found.add(new Path[] {d, d});
			if (recursive) walk(d, false, isSeries, true, matcher, excluded, visited, found);
		}
	}

	/**
	 * Tells whether a folder is a DICOM series folder: it holds at least one DICOM file and no other image
	 * file, and, with a pattern, the pattern matches its name or one of its files.
	 *
	 * @param dir the folder
	 * @param matcher the pattern, or null
	 * @return true for a series folder
	 * @throws IOException if the folder cannot be listed
	 */
	static boolean isSeriesFolder(Path dir, PathMatcher matcher) throws IOException {
		boolean dicom = false;
		boolean matched = matcher == null || matcher.matches(dir.getFileName());
		try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
			for (Path p : s) {
				String n = p.getFileName().toString();
				if (n.startsWith(".") || !Files.isRegularFile(p)) continue;
				if (isDicom(p)) {
					dicom = true;
					if (matcher != null && matcher.matches(p.getFileName())) matched = true;
				} else if (hasEnding(n, IMAGE_ENDINGS) || hasEnding(n, NOT_INPUTS)) {
					return false;
				}
			}
		}
		return dicom && matched;
	}

	private static boolean isInput(Path file, PathMatcher matcher) throws IOException {
		if (matcher != null) return matcher.matches(file.getFileName());
		String n = file.getFileName().toString();
		if (hasEnding(n, NOT_INPUTS)) return false;
		return hasEnding(n, IMAGE_ENDINGS) || hasDicomPreamble(file);
	}

	/** A DICOM file by its ending, or, when it has no image ending, by its Part 10 preamble. */
	private static boolean isDicom(Path file) throws IOException {
		String n = file.getFileName().toString();
		if (hasEnding(n, DICOM_ENDINGS)) return true;
		if (hasEnding(n, IMAGE_ENDINGS) || hasEnding(n, NOT_INPUTS)) return false;
		return hasDicomPreamble(file);
	}

	private static boolean hasDicomPreamble(Path file) {
		try (InputStream in = Files.newInputStream(file)) {
			byte[] h = in.readNBytes(132);
			return h.length == 132 && h[128] == 'D' && h[129] == 'I' && h[130] == 'C' && h[131] == 'M';
		} catch (IOException e) {
			return false; // unreadable: not listed as DICOM; a file listed by name fails later with the reason
		}
	}

	private static boolean hasEnding(String name, List<String> endings) {
		String n = name.toLowerCase(Locale.ROOT);
		for (String e : endings) if (n.endsWith(e) && n.length() > e.length()) return true;
		return false;
	}

	private static String source(Path root, Path p) {
		Path rel = root.relativize(p);
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < rel.getNameCount(); i++) {
			if (i > 0) sb.append('/');
			sb.append(rel.getName(i));
		}
		return sb.toString();
	}

	/** Outputs are compared without case (macOS and Windows file systems ignore it): the later input of a clash cannot be processed. */
	private static List<Input> markCollisions(List<Input> sorted) {
		Map<String, String> first = new HashMap<>();
		List<Input> out = new ArrayList<>(sorted.size());
		for (Input in : sorted) {
			String key = in.outputName().toLowerCase(Locale.ROOT);
			String earlier = first.putIfAbsent(key, in.source());
			if (earlier == null) {
				out.add(in);
			} else {
				out.add(new Input(in.source(), in.path(), in.series(), in.outputName(), "its output name " + in.outputName()
					+ " clashes with that of " + earlier + "; rename one of them"));
			}
		}
		return out;
	}
}
