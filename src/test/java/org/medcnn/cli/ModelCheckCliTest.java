package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.ImagePlus;
import ij.io.FileSaver;
import ij.process.ByteProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.cli.ClassifyCliTest.Result;
import org.medcnn.core.eval.Shifts;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.testing.Fixtures;

/**
 * The model checks that run on a labelled set, end to end through the command line on the tiny
 * dark/bright model: shift-test (accuracy per shift and strength) and calibrate-uncertainty (thresholds
 * into the card); their parameters are checked before any work, and nothing is replaced unasked.
 */
class ModelCheckCliTest {

	@TempDir
	Path tmp;

	private Path data;

	/** Eight textured images per class: dark ones around 40, bright ones around 210. */
	@BeforeEach
	void labelledImages() throws Exception {
		data = tmp.resolve("data");
		Random r = new Random(7);
		for (String label : List.of("dark", "bright")) {
			Path dir = Files.createDirectories(data.resolve(label));
			for (int i = 0; i < 8; i++) {
				ByteProcessor ip = new ByteProcessor(40, 40);
				int base = label.equals("dark") ? 40 : 210;
				for (int p = 0; p < 40 * 40; p++) ip.set(p, base + r.nextInt(21) - 10);
				assertTrue(new FileSaver(new ImagePlus(label + i, ip)).saveAsPng(dir.resolve(label + i + ".png").toString()));
			}
		}
	}

	@Test
	void shiftTestWritesOneRowPerShiftAndRefusesToReplaceItsTable() throws Exception {
		Path out = tmp.resolve("shift");
		Result r = ClassifyCliTest.cli("shift-test", "--model", Fixtures.tinyModel().toString(), "--data-dir", data.toString(), "--output", out.toString(),
			"--families", "gamma,blur", "--device", "cpu");
		assertEquals(ExitCodes.OK, r.code(), r.err());
		List<String> lines = Files.readAllLines(out.resolve("shift.csv"));
		long expected = Shifts.arithmetic().stream().filter(s -> s.family().equals("gamma") || s.family().equals("blur")).count();
		assertTrue(expected >= 2, "the families exist");
		assertEquals(1 + 1 + expected, lines.size(), "header, the unchanged row and one row per shift: " + lines);
		assertTrue(lines.get(0).startsWith("model,shift,level,parameter,slices,accuracy,"), lines.get(0));
		String[] unchanged = lines.get(1).split(",");
		assertEquals("tiny-brightness", unchanged[0]);
		assertEquals("16", unchanged[4], "every image is one slice: " + lines.get(1));
		assertEquals(1.0, Double.parseDouble(unchanged[5]), 1e-9, "the tiny model tells dark from bright: " + lines.get(1));
		for (String line : lines.subList(2, lines.size())) {
			String family = line.split(",")[1];
			assertTrue(family.equals("gamma") || family.equals("blur"), "only the families asked for: " + line);
		}
		assertTrue(Files.size(out.resolve("shift.png")) > 1000, "the plot");

		// Run again without --overwrite: refused before any work, the table unchanged.
		byte[] before = Files.readAllBytes(out.resolve("shift.csv"));
		Result again = ClassifyCliTest.cli("shift-test", "--model", Fixtures.tinyModel().toString(), "--data-dir", data.toString(), "--output", out.toString(),
			"--families", "gamma", "--device", "cpu");
		assertEquals(ExitCodes.OUTPUT, again.code(), again.err());
		assertTrue(again.err().contains("shift.csv: already exists"), again.err());
		assertArrayEquals(before, Files.readAllBytes(out.resolve("shift.csv")));
	}

	@Test
	void shiftTestNamesTheOptionThatIsWrong() {
		String model = Fixtures.tinyModel().toString();
		Result family = ClassifyCliTest.cli("shift-test", "--model", model, "--data-dir", data.toString(), "--output", tmp.resolve("o").toString(), "--families",
			"sepia");
		assertEquals(ExitCodes.USAGE, family.code(), family.err());
		assertTrue(family.err().contains("--families: 'sepia' is not one of"), family.err());
		Result both = ClassifyCliTest.cli("shift-test", "--model", model, "--data-dir", data.toString(), "--data-root", data.toString(), "--output",
			tmp.resolve("o").toString());
		assertEquals(ExitCodes.USAGE, both.code(), both.err());
		assertTrue(both.err().contains("--data-root") && both.err().contains("--data-dir"), both.err());
		Result inside = ClassifyCliTest.cli("shift-test", "--model", model, "--data-dir", data.toString(), "--output", data.resolve("dark/out").toString());
		assertEquals(ExitCodes.USAGE, inside.code(), inside.err());
		assertTrue(inside.err().contains("--output") && inside.err().contains("lies inside --data-dir"), inside.err());
		Result batch = ClassifyCliTest.cli("shift-test", "--model", model, "--data-dir", data.toString(), "--output", tmp.resolve("o").toString(), "--batch-size",
			"0");
		assertEquals(ExitCodes.USAGE, batch.code(), batch.err());
		assertTrue(batch.err().contains("--batch-size must be between 1 and 1024"), batch.err());
		assertFalse(Files.exists(tmp.resolve("o")), "nothing written after a refusal");
	}

	@Test
	void calibrateUncertaintyWritesTheThresholdIntoTheCardAndKeepsTheOldOne() throws Exception {
		Path model = copy(Fixtures.tinyModel(), tmp.resolve("model"));
		List<String> split = new ArrayList<>(List.of("path,slice,label,part"));
		for (String label : List.of("dark", "bright")) {
			for (int i = 0; i < 8; i++) split.add(label + "/" + label + i + ".png,1," + label + "," + (i < 4 ? "validation" : "test"));
		}
		Files.write(model.resolve("split.csv"), split);
		byte[] oldCard = Files.readAllBytes(model.resolve(ModelPackage.CARD));

		Result bad = ClassifyCliTest.cli("calibrate-uncertainty", "--model", model.toString(), "--data-root", data.toString(), "--modes", "none");
		assertEquals(ExitCodes.USAGE, bad.code(), bad.err());
		assertTrue(bad.err().contains("--modes: 'none' has no threshold"), bad.err());
		Result coverage = ClassifyCliTest.cli("calibrate-uncertainty", "--model", model.toString(), "--data-root", data.toString(), "--target-coverage", "1.5");
		assertEquals(ExitCodes.USAGE, coverage.code(), coverage.err());
		assertTrue(coverage.err().contains("--target-coverage must be in (0, 1]"), coverage.err());
		assertArrayEquals(oldCard, Files.readAllBytes(model.resolve(ModelPackage.CARD)), "a refusal leaves the card alone");

		Result r = ClassifyCliTest.cli("calibrate-uncertainty", "--model", model.toString(), "--data-root", data.toString(), "--modes", "tta", "--passes", "4",
			"--device", "cpu");
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertTrue(r.out().startsWith("tta ") && r.out().contains("threshold"), r.out());
		assertArrayEquals(oldCard, Files.readAllBytes(model.resolve("model.json.bak")), "the previous card is kept");
		JsonObject card = JsonParser.parseString(Files.readString(model.resolve(ModelPackage.CARD))).getAsJsonObject();
		JsonObject tta = card.getAsJsonObject("uncertainty").getAsJsonObject("thresholds").getAsJsonObject("tta");
		assertEquals(4, tta.get("passes").getAsInt(), tta.toString());
		assertTrue(tta.get("entropy").getAsDouble() >= 0, tta.toString());
		assertTrue(card.getAsJsonObject("metrics").getAsJsonObject("test_uncertainty").has("tta"));
		ModelPackage.open(model);
	}

	private static Path copy(Path from, Path to) throws Exception {
		Files.createDirectories(to);
		try (Stream<Path> files = Files.list(from)) {
			for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
		}
		return to;
	}
}
