package org.medcnn.io;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.Prediction;
import org.medcnn.core.classify.ResultColumns;

/**
 * Writes classification results as CSV (RFC 4180 quoting), with the columns of {@link ResultColumns}.
 */
public final class PredictionCsv {

	private PredictionCsv() {}

	/**
	 * Writes a run to a CSV file atomically.
	 *
	 * @param run the run
	 * @param target the CSV file
	 * @param overwrite whether an existing file may be replaced
	 * @throws IOException if the file exists (and overwrite is false) or cannot be written
	 */
	public static void write(ClassificationRun run, Path target, boolean overwrite) throws IOException {
		List<String> header = ResultColumns.header(run, List.of());
		AtomicFiles.write(target, overwrite, tmp -> {
			try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
				w.write(line(header));
				for (Prediction p : run.predictions()) {
					List<Object> row = ResultColumns.row(run, p);
					String[] cells = new String[row.size()];
					for (int i = 0; i < cells.length; i++) cells[i] = ResultColumns.format(row.get(i));
					w.write(line(List.of(cells)));
				}
			}
		});
	}

	private static String line(List<String> cells) {
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < cells.size(); i++) {
			if (i > 0) sb.append(',');
			sb.append(quote(cells.get(i)));
		}
		return sb.append('\n').toString();
	}

	/**
	 * Quotes a CSV cell when it holds a comma, quote or line break.
	 *
	 * @param s the cell
	 * @return the cell as written
	 */
	static String quote(String s) {
		if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
		return '"' + s.replace("\"", "\"\"") + '"';
	}
}
