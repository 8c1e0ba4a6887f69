package org.medcnn.io;

import ij.ImagePlus;
import ij.io.FileSaver;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.medcnn.core.explain.RegionColumns;
import org.medcnn.core.explain.SaliencyRun;
import org.medcnn.core.explain.SanityReport;

/**
 * Writes the saliency outputs: the regions CSV (the columns of {@link RegionColumns}), the sanity-check
 * CSV and PNG images, atomically and never over an existing file unless asked.
 */
public final class SaliencyOutputs {

	private SaliencyOutputs() {}

	/**
	 * Writes the regions of a run as CSV.
	 *
	 * @param run the run
	 * @param scale the spatial calibration of the slices
	 * @param target the CSV file
	 * @param overwrite whether an existing file may be replaced
	 * @throws IOException if the file exists (and overwrite is false) or cannot be written
	 */
	public static void writeRegions(SaliencyRun run, RegionColumns.Scale scale, Path target, boolean overwrite) throws IOException {
		List<String[]> rows = new ArrayList<>();
		for (List<Object> row : RegionColumns.rows(run, scale)) rows.add(row.stream().map(RegionColumns::format).toArray(String[]::new));
		writeCsv(target, overwrite, RegionColumns.header(), rows);
	}

	/**
	 * Writes a sanity-check report as CSV, columns as in {@link SanityReport#columns()}.
	 *
	 * @param report the report
	 * @param target the CSV file
	 * @param overwrite whether an existing file may be replaced
	 * @throws IOException if the file exists (and overwrite is false) or cannot be written
	 */
	public static void writeSanity(SanityReport report, Path target, boolean overwrite) throws IOException {
		List<String[]> rows = new ArrayList<>();
		for (SanityReport.Row r : report.rows()) {
			rows.add(new String[] {report.modelId(), r.method(), Integer.toString(r.stage()), r.randomised(), RegionColumns.format(r.spearman()),
				RegionColumns.format(r.ssim()), RegionColumns.format(r.deletionAuc()), RegionColumns.format(r.insertionAuc()), r.passes() ? "yes" : "no",
				r.verdict()});
		}
		writeCsv(target, overwrite, SanityReport.columns(), rows);
	}

	/**
	 * Saves an image as PNG.
	 *
	 * @param imp the image (8-bit, RGB or with a LUT)
	 * @param target the PNG file
	 * @param overwrite whether an existing file may be replaced
	 * @throws IOException if the file exists (and overwrite is false) or cannot be written
	 */
	public static void savePng(ImagePlus imp, Path target, boolean overwrite) throws IOException {
		AtomicFiles.write(target, overwrite, tmp -> {
			String title = imp.getTitle();
			boolean ok = new FileSaver(imp).saveAsPng(tmp.toString());
			imp.setTitle(title);
			if (!ok) throw new IOException(target + ": could not be written");
		});
	}

	private static void writeCsv(Path target, boolean overwrite, List<String> header, List<String[]> rows) throws IOException {
		AtomicFiles.write(target, overwrite, tmp -> {
			try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
				w.write(line(header.toArray(String[]::new)));
				for (String[] row : rows) w.write(line(row));
			}
		});
	}

	private static String line(String[] cells) {
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < cells.length; i++) {
			if (i > 0) sb.append(',');
			String s = cells[i];
			if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) s = '"' + s.replace("\"", "\"\"") + '"';
			sb.append(s);
		}
		return sb.append('\n').toString();
	}
}
