package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.Prediction;
import org.medcnn.core.classify.ResultColumns;

class PredictionCsvTest {

	@TempDir
	Path dir;

	static final List<String> CLASSES = List.of("dark", "bright");

	static ClassificationRun run(String source, String... labels) {
		List<Prediction> preds = new ArrayList<>();
		for (int i = 0; i < labels.length; i++) {
			float[] p = i % 2 == 0 ? new float[] {0.25f, 0.75f} : new float[] {0.875f, 0.125f};
			preds.add(new Prediction(i + 1, labels[i], i % 2 == 0 ? 1 : 0, CLASSES, p, new float[2], 1.5));
		}
		return new ClassificationRun(source, preds, "tiny-brightness", "0123456789ab", "cpu", List.of());
	}

	/** A small RFC 4180 reader, independent of the writer. */
	static List<List<String>> parse(String text) {
		List<List<String>> rows = new ArrayList<>();
		List<String> row = new ArrayList<>();
		StringBuilder cell = new StringBuilder();
		boolean quoted = false;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (quoted) {
				if (c == '"') {
					if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
						cell.append('"');
						i++;
					} else {
						quoted = false;
					}
				} else {
					cell.append(c);
				}
			} else if (c == '"') {
				quoted = true;
			} else if (c == ',') {
				row.add(cell.toString());
				cell.setLength(0);
			} else if (c == '\n') {
				row.add(cell.toString());
				cell.setLength(0);
				rows.add(row);
				row = new ArrayList<>();
			} else if (c != '\r') {
				cell.append(c);
			}
		}
		assertTrue(row.isEmpty() && cell.length() == 0, "the file ends with a line break");
		return rows;
	}

	@Test
	void headerAndQuoting() throws Exception {
		Path csv = dir.resolve("out.csv");
		String tricky = "IM 1, \"axial\"";
		PredictionCsv.write(run("scan, \"A\".tif", tricky, "plain", "multi\nline"), csv, false);
		String text = Files.readString(csv, StandardCharsets.UTF_8);
		assertTrue(text.contains("\"IM 1, \"\"axial\"\"\""), "comma and quotes are quoted and doubled: " + text);
		List<List<String>> rows = parse(text);
		assertEquals(4, rows.size());
		assertEquals(ResultColumns.header(CLASSES), rows.get(0));
		assertEquals("source,slice,slice_label,predicted,p_dark,p_bright,confidence,ood_score,out_of_distribution,model,model_sha256,device,ms",
			text.substring(0, text.indexOf('\n')));
		for (List<String> r : rows) assertEquals(13, r.size(), "every row has all columns: " + r);
		assertEquals(List.of("scan, \"A\".tif", "1", tricky, "bright", "0.250000", "0.750000", "0.750000", "", "", "tiny-brightness", "0123456789ab",
			"cpu", "1.500"), rows.get(1));
		assertEquals("plain", rows.get(2).get(2));
		assertEquals("dark", rows.get(2).get(3));
		assertEquals("multi\nline", rows.get(3).get(2));
	}

	@Test
	void quoteRules() {
		assertEquals("abc", PredictionCsv.quote("abc"));
		assertEquals("\"a,b\"", PredictionCsv.quote("a,b"));
		assertEquals("\"say \"\"hi\"\"\"", PredictionCsv.quote("say \"hi\""));
		assertEquals("\"a\rb\"", PredictionCsv.quote("a\rb"));
		assertEquals("", PredictionCsv.quote(""));
	}

	@Test
	void refusesToOverwriteUnlessAsked() throws Exception {
		Path csv = dir.resolve("out.csv");
		Files.writeString(csv, "keep me");
		IOException e = assertThrows(IOException.class, () -> PredictionCsv.write(run("s", "a"), csv, false));
		assertTrue(e.getMessage().contains(csv.toString()), e.getMessage());
		assertEquals("keep me", Files.readString(csv));
		PredictionCsv.write(run("s", "a"), csv, true);
		assertEquals(2, parse(Files.readString(csv)).size());
	}
}
