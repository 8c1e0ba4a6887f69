package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.cli.ClassifyCliTest.Result;
import org.medcnn.testing.Fixtures;

/**
 * {@code medcnn evaluate}'s report: figures that render headless, report.html with them embedded, an
 * interval for every metric, the same intervals for the same images given as a folder or a CSV, label
 * maps, absent classes as n/a, the binary report, and outputs that are never replaced silently.
 */
class EvaluateReportCliTest {

	@TempDir
	static Path tmp;

	private static Path data;

	@BeforeAll
	static void data() throws Exception {
		data = Fixtures.syntheticSet(tmp.resolve("data"), 12);
	}

	private static Result evaluate(Path out, String... more) {
		List<String> args = new ArrayList<>(List.of("evaluate", "--model", Fixtures.tinyModel().toString(), "--output", out.toString(), "--device", "cpu",
			"--batch-size", "5", "--bootstrap", "300"));
		Collections.addAll(args, more);
		return ClassifyCliTest.cli(args.toArray(new String[0]));
	}

	@Test
	void reportHasEveryFigureEmbeddedAndAsPng() throws Exception {
		Path out = tmp.resolve("report");
		Result r = evaluate(out, "--data-dir", data.toString(), "--positive", "bright");
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertTrue(r.out().contains("true \\ predicted") && r.out().contains("binary bright vs dark: sensitivity"), r.out());
		String html = Files.readString(out.resolve("report.html"), StandardCharsets.UTF_8);
		List<String> pngs = List.of("confusion", "reliability", "roc", "risk_coverage", "training");
		// the tiny model has no detector, no uncertainty mode and no training history: no flags or training figure
		assertFalse(Files.exists(out.resolve("flags.png")));
		assertFalse(Files.exists(out.resolve("training.png")));
		Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
		int embedded = 0;
		while (m.find()) {
			BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
			assertTrue(img != null && img.getWidth() >= 400 && img.getHeight() >= 300, "embedded figure " + embedded);
			embedded++;
		}
		assertEquals(4, embedded);
		for (String f : pngs.subList(0, 4)) {
			BufferedImage img = ImageIO.read(out.resolve(f + ".png").toFile());
			assertTrue(img.getWidth() >= 400, f);
			assertTrue(distinctColours(img) > 8, f + " is not blank");
		}
		// the summary names what each average runs over, and every metric has its interval
		assertTrue(html.contains("balanced accuracy") && html.contains("2 of 2 classes: dark, bright"), html);
		assertTrue(html.contains("Binary report: bright vs dark") && html.contains("specificity"), html);
		assertTrue(html.contains("stratified bootstrap") && html.contains("300 resamples"), html);
		List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
		assertTrue(metrics.get(0).contains("precision_ci95_low") && metrics.get(0).endsWith(",over"), metrics.get(0));
		for (String line : metrics.subList(1, 3)) {
			String[] c = line.split(",", -1);
			for (int i = 9; i <= 16; i++) assertFalse(c[i].isEmpty(), "per-class interval column " + i + " of " + line);
		}
		for (String name : List.of("accuracy", "balanced_accuracy", "macro_f1", "macro_roc_auc", "ece", "ece_uncalibrated", "aurc")) {
			String line = metrics.stream().filter(l -> l.startsWith(name + ",")).findFirst().orElseThrow();
			String[] c = line.split(",", -1);
			assertFalse(c[7].isEmpty() || c[8].isEmpty(), "interval of " + name + ": " + line);
			assertTrue(Double.parseDouble(c[7]) <= Double.parseDouble(c[6]) && Double.parseDouble(c[6]) <= Double.parseDouble(c[8]), line);
		}
		List<String> binary = Files.readAllLines(out.resolve("binary.csv"));
		assertTrue(binary.get(1).startsWith("sensitivity,") && binary.get(1).endsWith(",bright,dark"), binary.get(1));
		assertEquals("bin_low,bin_high,mean_confidence,accuracy,count,mean_confidence_t1,accuracy_t1,count_t1",
			Files.readAllLines(out.resolve("reliability.csv")).get(0));
	}

	private static int distinctColours(BufferedImage img) {
		java.util.Set<Integer> c = new java.util.HashSet<>();
		for (int y = 0; y < img.getHeight(); y += 3) for (int x = 0; x < img.getWidth(); x += 3) c.add(img.getRGB(x, y));
		return c.size();
	}

	@Test
	void theSameImagesAsAFolderOrAReorderedCsvGiveTheSameIntervals() throws Exception {
		Path a = tmp.resolve("folder");
		assertEquals(ExitCodes.OK, evaluate(a, "--data-dir", data.toString(), "--positive", "dark").code());
		// the CSV lists the files in reverse order, relative to another folder
		List<String> rows = new ArrayList<>();
		try (Stream<Path> s = Files.walk(data)) {
			s.filter(Files::isRegularFile).sorted(java.util.Comparator.reverseOrder())
				.forEach(f -> rows.add("data/" + data.relativize(f).toString().replace('\\', '/') + "," + f.getParent().getFileName()));
		}
		Path csv = Files.writeString(tmp.resolve("list.csv"), "path,label\n" + String.join("\n", rows) + "\n");
		Path b = tmp.resolve("csv");
		Result r = evaluate(b, "--data-csv", csv.toString(), "--positive", "dark");
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertEquals(Files.readString(a.resolve("metrics.csv")), Files.readString(b.resolve("metrics.csv")));
		assertEquals(Files.readString(a.resolve("binary.csv")), Files.readString(b.resolve("binary.csv")));
	}

	@Test
	void labelMapEvaluatesOtherNamesAndAbsentClassesReadNotAvailable() throws Exception {
		Path renamed = tmp.resolve("renamed");
		Files.createDirectories(renamed);
		copyTree(data.resolve("bright"), renamed.resolve("hell"));
		copyTree(data.resolve("dark"), renamed.resolve("dunkel"));
		Files.createDirectories(renamed.resolve("grau"));
		Files.copy(data.resolve("dark/dark0.png"), renamed.resolve("grau/g.png"));
		Result refused = evaluate(tmp.resolve("unmapped"), "--data-dir", renamed.toString());
		assertEquals(ExitCodes.USAGE, refused.code(), refused.err());
		assertTrue(refused.err().contains("[dunkel, grau, hell]") && refused.err().contains("--label-map"), refused.err());
		assertFalse(Files.exists(tmp.resolve("unmapped/metrics.csv")));

		Path out = tmp.resolve("mapped");
		Result r = evaluate(out, "--data-dir", renamed.toString(), "--label-map", "hell=bright,dunkel=dark,grau=-");
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertTrue(r.out().contains("left out: {grau=1}"), r.out());
		assertTrue(Files.readString(out.resolve("metrics.csv")).contains("images,,,,,,24,"), Files.readString(out.resolve("metrics.csv")));
		String html = Files.readString(out.resolve("report.html"));
		assertTrue(html.contains("dunkel → dark") && html.contains("grau → left out"), html);

		// every image mapped to bright: dark has no images, so its recall, F1 and AUC read n/a and the averages run over bright only
		Path one = tmp.resolve("one-class");
		Result r1 = evaluate(one, "--data-dir", renamed.toString(), "--label-map", "hell=bright,dunkel=bright,grau=bright");
		assertEquals(ExitCodes.OK, r1.code(), r1.err());
		List<String> metrics = Files.readAllLines(one.resolve("metrics.csv"));
		String dark = metrics.stream().filter(l -> l.startsWith("dark,")).findFirst().orElseThrow();
		String[] c = dark.split(",", -1);
		assertEquals("n/a", c[2], dark); // recall
		assertEquals("n/a", c[3], dark); // F1
		assertEquals("0", c[4], dark); // images
		assertEquals("n/a", c[5], dark); // AUC
		String macro = metrics.stream().filter(l -> l.startsWith("macro_f1,")).findFirst().orElseThrow();
		assertTrue(macro.endsWith(",bright"), macro);
		assertTrue(r1.out().contains("over 1 of 2 classes (bright)"), r1.out());
		assertTrue(Files.readString(one.resolve("report.html")).contains("1 of 2 classes: bright"));
	}

	@Test
	void existingOutputsAreRefusedBeforeAnythingIsComputedOrWritten() throws Exception {
		Path out = Files.createDirectories(tmp.resolve("existing"));
		Path mine = Files.writeString(out.resolve("report.html"), "my notes");
		Result r = evaluate(out, "--data-dir", data.toString());
		assertEquals(ExitCodes.OUTPUT, r.code(), r.err());
		assertTrue(r.err().contains("report.html") && r.err().contains("--overwrite"), r.err());
		assertEquals("my notes", Files.readString(mine));
		try (Stream<Path> s = Files.list(out)) {
			assertEquals(1, s.count(), "nothing else written");
		}
		assertEquals(ExitCodes.OK, evaluate(out, "--data-dir", data.toString(), "--overwrite").code());
		assertTrue(Files.readString(mine).startsWith("<!DOCTYPE html>"));
	}

	@Test
	void aPositiveClassThatIsNotAClassIsAUsageError() {
		Result r = evaluate(tmp.resolve("bad-positive"), "--data-dir", data.toString(), "--positive", "grey");
		assertEquals(ExitCodes.USAGE, r.code(), r.err());
		assertTrue(r.err().contains("--positive: 'grey' is not a class"), r.err());
		assertEquals(1, r.errLines().size(), r.err());
	}

	private static void copyTree(Path from, Path to) throws Exception {
		Files.createDirectories(to);
		try (Stream<Path> s = Files.list(from)) {
			for (Path f : (Iterable<Path>) s::iterator) Files.copy(f, to.resolve(f.getFileName()));
		}
	}
}
