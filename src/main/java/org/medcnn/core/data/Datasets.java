package org.medcnn.core.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Lists labelled samples: an image folder with one sub-folder per class, or a CSV of
 * {@code path,label[,group]}.
 */
public final class Datasets {

	/** File name endings taken as images when scanning class folders. */
	public static final Set<String> IMAGE_ENDINGS = Set.of(".tif", ".tiff", ".png", ".jpg", ".jpeg", ".dcm", ".dicom", ".bmp", ".gif");

	private Datasets() {}

	/**
	 * Lists a class-folder data set: every sub-folder of {@code root} is a class, and every image file
	 * below it (recursively) a sample. Hidden files and folders are ignored.
	 *
	 * @param root the data folder
	 * @return samples sorted by class then path
	 * @throws IOException if the folder cannot be listed
	 * @throws IllegalArgumentException naming the folder if it is missing, has fewer than 2 classes, or
	 *         a class folder holds no image files
	 */
	public static List<Sample> scanFolder(Path root) throws IOException {
		if (!Files.isDirectory(root)) throw new IllegalArgumentException("data_dir " + root + ": folder not found");
		List<Path> classDirs = new ArrayList<>();
		try (Stream<Path> s = Files.list(root)) {
			s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).forEach(classDirs::add);
		}
		Collections.sort(classDirs);
		if (classDirs.size() < 2) {
			throw new IllegalArgumentException("data_dir " + root + ": needs one sub-folder per class and at least 2 classes, found "
				+ classDirs.size() + (classDirs.isEmpty() ? "" : " (" + classDirs.get(0).getFileName() + ")"));
		}
		List<Sample> out = new ArrayList<>();
		for (Path dir : classDirs) {
			String label = dir.getFileName().toString();
			List<Path> files = new ArrayList<>();
			try (Stream<Path> s = Files.walk(dir)) {
				s.filter(Files::isRegularFile).filter(p -> !inHiddenFolder(dir.relativize(p))).filter(Datasets::isImageName).forEach(files::add);
			}
			if (files.isEmpty()) throw new IllegalArgumentException("class folder " + dir + " holds no image files (" + IMAGE_ENDINGS + ")");
			Collections.sort(files);
			for (Path f : files) out.add(new Sample(f, label, null));
		}
		return out;
	}

	/** Whether a path below a class folder passes through a hidden folder (e.g. {@code .thumbs/a.png}). */
	private static boolean inHiddenFolder(Path relative) {
		for (int i = 0; i < relative.getNameCount() - 1; i++) if (relative.getName(i).toString().startsWith(".")) return true;
		return false;
	}

	private static boolean isImageName(Path p) {
		String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		if (n.startsWith(".")) return false;
		for (String e : IMAGE_ENDINGS) if (n.endsWith(e)) return true;
		return false;
	}

	/**
	 * Reads a CSV with a header naming the columns {@code path}, {@code label} and optionally
	 * {@code group}; relative paths are relative to the CSV's folder.
	 *
	 * @param csv the CSV file
	 * @return the samples, in file order
	 * @throws IOException if the file cannot be read
	 * @throws IllegalArgumentException naming the file and line for a malformed row or missing column
	 */
	public static List<Sample> readCsv(Path csv) throws IOException {
		return readCsv(csv, null, null);
	}

	/**
	 * Reads a CSV list like {@link #readCsv(Path)}, optionally only the rows of one part of a split
	 * (e.g. the {@code split.csv} a trained model package ships, with its {@code part} column) and with
	 * paths relative to another folder (the data folder the split was made from).
	 *
	 * @param csv the CSV file
	 * @param base folder that relative paths start from; null for the CSV's folder
	 * @param part keep only rows whose {@code part} column has this value (e.g. {@code test}); null or blank for all
	 * @return the samples, in file order; a file listed on several rows (several slices) appears once
	 * @throws IOException if the file cannot be read
	 * @throws IllegalArgumentException naming the file and line for a malformed row, a missing column,
	 *         or a part that no row has
	 */
	public static List<Sample> readCsv(Path csv, Path base, String part) throws IOException {
		if (!Files.isRegularFile(csv)) {
			throw new IllegalArgumentException(csv + (Files.exists(csv) ? ": not a regular file (a device, named pipe or socket)" : ": file not found"));
		}
		List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
		if (lines.isEmpty()) throw new IllegalArgumentException(csv + ": empty CSV");
		String first = lines.get(0);
		if (first.startsWith("\uFEFF")) first = first.substring(1); // byte-order mark of spreadsheet exports
		List<String> header = new ArrayList<>();
		for (String h : splitCsv(first)) header.add(h.trim());
		int pi = header.indexOf("path");
		int li = header.indexOf("label");
		int gi = header.indexOf("group");
		int parti = header.indexOf("part");
		if (pi < 0 || li < 0) throw new IllegalArgumentException(csv + ": header must name the columns path and label (and optionally group), got " + header);
		boolean filter = part != null && !part.isBlank();
		if (filter && parti < 0) throw new IllegalArgumentException(csv + ": has no 'part' column to select part '" + part + "' from; columns are " + header);
		List<Sample> out = new ArrayList<>();
		java.util.Set<Path> seen = new java.util.HashSet<>();
		java.util.Set<String> parts = new java.util.TreeSet<>();
		if (base == null) base = csv.toAbsolutePath().getParent();
		for (int i = 1; i < lines.size(); i++) {
			if (lines.get(i).isBlank()) continue;
			List<String> cells = splitCsv(lines.get(i));
			if (filter) {
				String pv = parti < cells.size() ? cells.get(parti).trim() : "";
				parts.add(pv);
				if (!pv.equals(part.trim())) continue;
			}
			if (cells.size() <= Math.max(pi, li)) throw new IllegalArgumentException(csv + ": line " + (i + 1) + " has " + cells.size() + " cells");
			if (cells.get(pi).isBlank()) throw new IllegalArgumentException(csv + ": line " + (i + 1) + " has an empty path");
			String label = cells.get(li).trim();
			if (label.isEmpty()) throw new IllegalArgumentException(csv + ": line " + (i + 1) + " has an empty label");
			String group = gi >= 0 && gi < cells.size() && !cells.get(gi).isBlank() ? cells.get(gi).trim() : null;
			Path file = base.resolve(cells.get(pi).trim()).normalize();
			if (seen.add(file)) out.add(new Sample(file, label, group));
		}
		if (filter && out.isEmpty()) throw new IllegalArgumentException(csv + ": no row has part '" + part + "'; parts present: " + parts);
		if (out.stream().map(Sample::label).distinct().count() < 2) throw new IllegalArgumentException(csv + ": needs at least 2 classes");
		return out;
	}

	/**
	 * Splits one CSV line (RFC 4180 quotes).
	 *
	 * @param line the line
	 * @return its cells, unquoted
	 */
	public static List<String> splitCsv(String line) {
		List<String> out = new ArrayList<>();
		StringBuilder sb = new StringBuilder();
		boolean quoted = false;
		for (int i = 0; i < line.length(); i++) {
			char c = line.charAt(i);
			if (quoted) {
				if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
					sb.append('"');
					i++;
				} else if (c == '"') {
					quoted = false;
				} else {
					sb.append(c);
				}
			} else if (c == '"') {
				quoted = true;
			} else if (c == ',') {
				out.add(sb.toString());
				sb.setLength(0);
			} else {
				sb.append(c);
			}
		}
		out.add(sb.toString());
		return out;
	}
}
