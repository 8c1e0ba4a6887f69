package org.medcnn.core.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.medcnn.core.Messages;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;

/**
 * Maps the labels of a data set (its folder names, or the label column of its CSV) to the model's
 * classes, so that data named otherwise can be evaluated without renaming it: {@code a=x,b=x,c=y}, or a
 * CSV with the columns {@code label,class}. A label mapped to {@value #LEAVE_OUT} is left out (its images
 * are counted and reported, not evaluated). A label that is already a class of the model maps to itself
 * unless the map says otherwise; any other label must be mapped. Immutable.
 */
public final class LabelMap {

	/** The target that leaves a label's images out of the evaluation. */
	public static final String LEAVE_OUT = "-";

	/** The largest label map file read, in bytes. */
	static final long MAX_BYTES = 1L << 20;

	private final Map<String, String> map;
	private final String source;

	private LabelMap(Map<String, String> map, String source) {
		this.map = Collections.unmodifiableMap(new LinkedHashMap<>(map));
		this.source = source;
	}

	/** @return the map that maps nothing: labels must be the model's classes */
	public static LabelMap identity() {
		return new LabelMap(Map.of(), "none");
	}

	/**
	 * Reads a label map given as text ({@code a=x,b=x}) or as the path of a CSV file (any value that names
	 * an existing file, or ends in {@code .csv}).
	 *
	 * @param value the option's value
	 * @return the map
	 * @throws IOException if the CSV cannot be read
	 * @throws IllegalArgumentException naming the entry or line that is malformed
	 */
	public static LabelMap of(String value) throws IOException {
		if (value == null || value.isBlank()) throw new IllegalArgumentException("label map is empty; write it as label=class,label=class or give a CSV");
		String v = value.trim();
		Path p = Path.of(v);
		if (v.toLowerCase(java.util.Locale.ROOT).endsWith(".csv") || (!v.contains("=") && Files.exists(p))) return read(p);
		return parse(v);
	}

	/**
	 * Parses {@code label=class[,label=class...]}.
	 *
	 * @param spec the text
	 * @return the map
	 * @throws IllegalArgumentException naming the malformed or repeated entry
	 */
	public static LabelMap parse(String spec) {
		Map<String, String> m = new LinkedHashMap<>();
		for (String entry : spec.split(",", -1)) {
			if (entry.isBlank()) throw new IllegalArgumentException("label map '" + spec + "': empty entry; write it as label=class,label=class");
			int eq = entry.indexOf('=');
			if (eq < 0) throw new IllegalArgumentException("label map entry '" + entry.trim() + "' has no '='; write it as label=class");
			put(m, entry.substring(0, eq).trim(), entry.substring(eq + 1).trim(), "label map entry '" + entry.trim() + "'");
		}
		return new LabelMap(m, spec);
	}

	/**
	 * Reads a CSV whose header names the columns {@code label} (or {@code folder}) and {@code class}.
	 *
	 * @param csv the file
	 * @return the map
	 * @throws IOException if it cannot be read
	 * @throws IllegalArgumentException naming the file and line of a malformed row
	 */
	public static LabelMap read(Path csv) throws IOException {
		if (!Files.isRegularFile(csv)) {
			throw new IllegalArgumentException("label map " + csv + (Files.exists(csv) ? ": not a regular file" : ": file not found"));
		}
		if (Files.size(csv) > MAX_BYTES) throw new IllegalArgumentException("label map " + csv + ": larger than " + MAX_BYTES + " bytes; not read");
		List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
		if (lines.isEmpty()) throw new IllegalArgumentException("label map " + csv + ": empty file");
		String first = lines.get(0).startsWith("\uFEFF") ? lines.get(0).substring(1) : lines.get(0);
		List<String> header = new ArrayList<>();
		for (String h : Datasets.splitCsv(first)) header.add(h.trim().toLowerCase(java.util.Locale.ROOT));
		int li = header.indexOf("label") >= 0 ? header.indexOf("label") : header.indexOf("folder");
		int ci = header.indexOf("class");
		if (li < 0 || ci < 0) throw new IllegalArgumentException("label map " + csv + ": header must name the columns label and class, got " + header);
		Map<String, String> m = new LinkedHashMap<>();
		for (int i = 1; i < lines.size(); i++) {
			if (lines.get(i).isBlank()) continue;
			List<String> cells = Datasets.splitCsv(lines.get(i));
			if (cells.size() <= Math.max(li, ci)) throw new IllegalArgumentException("label map " + csv + ": line " + (i + 1) + " has " + cells.size() + " cells");
			put(m, cells.get(li).trim(), cells.get(ci).trim(), "label map " + csv + ": line " + (i + 1));
		}
		if (m.isEmpty()) throw new IllegalArgumentException("label map " + csv + ": no rows");
		return new LabelMap(m, csv.toString());
	}

	private static void put(Map<String, String> m, String label, String target, String where) {
		if (label.isEmpty() || target.isEmpty()) throw new IllegalArgumentException(where + ": label and class must not be empty");
		String before = m.put(label, target);
		if (before != null && !before.equals(target)) {
			throw new IllegalArgumentException(where + ": label '" + label + "' is mapped twice ('" + before + "' and '" + target + "')");
		}
	}

	/**
	 * The samples relabelled to the model's classes.
	 *
	 * @param samples the data set's samples (labels as the data names them)
	 * @param leftOut label to the number of files left out ({@value #LEAVE_OUT})
	 * @param mapping every label of the data to the class it became (or {@value #LEAVE_OUT}), in label order
	 */
	public record Result(List<Sample> samples, Map<String, Integer> leftOut, Map<String, String> mapping) {

		/** @return whether any label was renamed or left out */
		public boolean changed() {
			for (Map.Entry<String, String> e : mapping.entrySet()) if (!e.getKey().equals(e.getValue())) return true;
			return false;
		}
	}

	/**
	 * Applies the map.
	 *
	 * @param samples the samples
	 * @param classes the model's classes
	 * @return the relabelled samples, in input order
	 * @throws IllegalArgumentException naming the labels that are neither classes nor mapped, the map's
	 *         targets that are not classes, or when every sample is left out
	 */
	public Result apply(List<Sample> samples, List<String> classes) {
		TreeSet<String> badTargets = new TreeSet<>();
		for (String t : map.values()) if (!t.equals(LEAVE_OUT) && !classes.contains(t)) badTargets.add(t);
		if (!badTargets.isEmpty()) {
			throw new IllegalArgumentException("label map (" + source + ") maps to " + badTargets + ", which " + (badTargets.size() == 1 ? "is not a class" : "are not classes")
				+ " of the model; its classes are " + classes + " (or " + LEAVE_OUT + " to leave a label out)");
		}
		TreeSet<String> unmapped = new TreeSet<>();
		Map<String, String> mapping = new TreeMap<>();
		Map<String, Integer> leftOut = new TreeMap<>();
		List<Sample> out = new ArrayList<>();
		for (Sample s : samples) {
			String target = map.getOrDefault(s.label(), classes.contains(s.label()) ? s.label() : null);
			if (target == null) {
				unmapped.add(s.label());
				continue;
			}
			mapping.put(s.label(), target);
			if (target.equals(LEAVE_OUT)) {
				leftOut.merge(s.label(), 1, Integer::sum);
				continue;
			}
			out.add(target.equals(s.label()) ? s : new Sample(s.file(), target, s.group()));
		}
		if (!unmapped.isEmpty()) {
			throw new IllegalArgumentException("data label(s) " + Messages.list(new ArrayList<>(unmapped)) + " are not classes of the model " + classes
				+ (map.isEmpty() ? "; map them with --label-map label=class,... (label_map in Fiji)" : " and the label map (" + source + ") does not map them"));
		}
		if (out.isEmpty()) throw new IllegalArgumentException("the label map leaves every image out");
		return new Result(out, leftOut, mapping);
	}

	/** @return label to target, as given */
	public Map<String, String> entries() {
		return map;
	}

	/** @return where the map came from (its text or file), or {@code none} */
	public String source() {
		return source;
	}
}
