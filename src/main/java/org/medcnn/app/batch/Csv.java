package org.medcnn.app.batch;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.medcnn.io.AtomicFiles;

/** Reads and writes RFC 4180 CSV (quoted cells may hold commas, quotes and line breaks). */
final class Csv {

	private Csv() {}

	/**
	 * Reads a whole CSV file.
	 *
	 * @param file the file
	 * @return its records, the header first
	 * @throws IOException if it cannot be read
	 */
	static List<List<String>> read(Path file) throws IOException {
		String text = Files.readString(file, StandardCharsets.UTF_8);
		List<List<String>> records = new ArrayList<>();
		List<String> cells = new ArrayList<>();
		StringBuilder cell = new StringBuilder();
		boolean quoted = false;
		boolean any = false;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (quoted) {
				if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
					cell.append('"');
					i++;
				} else if (c == '"') {
					quoted = false;
				} else {
					cell.append(c);
				}
			} else if (c == '"') {
				quoted = true;
				any = true;
			} else if (c == ',') {
				cells.add(cell.toString());
				cell.setLength(0);
				any = true;
			} else if (c == '\n' || c == '\r') {
				if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') i++;
				if (any || cell.length() > 0) {
					cells.add(cell.toString());
					records.add(cells);
				}
				cells = new ArrayList<>();
				cell.setLength(0);
				any = false;
			} else {
				cell.append(c);
				any = true;
			}
		}
		if (any || cell.length() > 0) {
			cells.add(cell.toString());
			records.add(cells);
		}
		return records;
	}

	/**
	 * Writes records atomically.
	 *
	 * @param file the file
	 * @param header the header
	 * @param rows the rows
	 * @param overwrite whether an existing file may be replaced
	 * @throws IOException if it exists (and overwrite is false) or cannot be written
	 */
	static void write(Path file, List<String> header, List<List<String>> rows, boolean overwrite) throws IOException {
		AtomicFiles.write(file, overwrite, tmp -> {
			try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
				w.write(line(header));
				for (List<String> r : rows) w.write(line(r));
			}
		});
	}

	/**
	 * Formats one record, with its line break.
	 *
	 * @param cells the cells
	 * @return the line
	 */
	static String line(List<String> cells) {
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < cells.size(); i++) {
			if (i > 0) sb.append(',');
			String s = cells.get(i) == null ? "" : cells.get(i);
			if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) sb.append(s);
			else sb.append('"').append(s.replace("\"", "\"\"")).append('"');
		}
		return sb.append('\n').toString();
	}
}
