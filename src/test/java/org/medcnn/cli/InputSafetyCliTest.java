package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.medcnn.testing.TinyImages.stack;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.cli.ClassifyCliTest.Result;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TinyDicom;
import picocli.CommandLine;

/**
 * The command line never replaces an input, never hangs on a special file, rejects numbers that are not
 * finite, and reports every failure as one line (a stack trace only with {@code --debug}).
 */
class InputSafetyCliTest {

	@TempDir
	Path dir;

	private static Result classify(Path input, Path output, String... extra) {
		List<String> a = new ArrayList<>(List.of("classify", "--model", Fixtures.tinyModel().toString(), "--device", "cpu", "--input", input.toString(),
			"--output", output.toString()));
		a.addAll(List.of(extra));
		return ClassifyCliTest.cli(a.toArray(String[]::new));
	}

	private static void assertOneLine(Result r) {
		assertEquals(1, r.errLines().size(), "one line: " + r.err());
		assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
		assertTrue(r.errLines().get(0).length() <= 600, "a bounded line: " + r.errLines().get(0).length() + " characters");
	}

	@Test
	void anOutputThatIsTheInputIsRefusedHoweverSpelled() throws Exception {
		Path d = dir.resolve("d");
		Path input = stack(d.resolve("stack.tif"), 200, 10);
		byte[] original = Files.readAllBytes(input);
		Path link = Files.createSymbolicLink(dir.resolve("link"), d);
		Path hardDir = Files.createDirectories(dir.resolve("hard"));
		Files.createLink(hardDir.resolve("stack.tif"), input);
		for (Path out : List.of(d, d.resolve("."), d.resolve("sub/.."), link, hardDir)) {
			for (String flag : List.of("--quiet", "--overwrite")) {
				Result r = classify(input, out, flag);
				assertEquals(ExitCodes.USAGE, r.code(), out + " " + flag + ": " + r.err());
				assertOneLine(r);
				assertTrue(r.err().contains("would replace the input"), r.err());
				assertArrayEquals(original, Files.readAllBytes(input), "the input is untouched (" + out + " " + flag + ")");
			}
		}
	}

	@Test
	void saliencyAndSanityRefuseToWriteOverTheirInput() throws Exception {
		Path input = stack(dir.resolve("d/scan.tif"), 200, 10);
		byte[] before = Files.readAllBytes(input);
		// Output folders where the file a command would write is a hard link of the input.
		Path sanityOut = Files.createDirectories(dir.resolve("sanity-out"));
		Files.createLink(sanityOut.resolve("scan_sanity.csv"), input);
		Result sanity = ClassifyCliTest.cli("sanity", "--model", Fixtures.tinyModel().toString(), "--input", input.toString(), "--output",
			sanityOut.toString(), "--overwrite");
		assertEquals(ExitCodes.USAGE, sanity.code(), sanity.err());
		assertOneLine(sanity);
		assertTrue(sanity.err().contains("would replace the input"), sanity.err());
		Path saliencyOut = Files.createDirectories(dir.resolve("saliency-out"));
		Files.createLink(saliencyOut.resolve("scan_grad_cam_overlay.tif"), input);
		Result saliency = ClassifyCliTest.cli("saliency", "--model", Fixtures.tinyModel().toString(), "--input", input.toString(), "--output",
			saliencyOut.toString(), "--overwrite");
		assertEquals(ExitCodes.USAGE, saliency.code(), saliency.err());
		assertTrue(saliency.err().contains("would replace the input"), saliency.err());
		assertArrayEquals(before, Files.readAllBytes(input));
	}

	@Test
	void anOutputFolderInsideTheInputSeriesFolderIsRefused() throws Exception {
		Path series = Files.createDirectories(dir.resolve("series"));
		new TinyDicom(8, 8, new short[64]).series("1.2.3.1").instance(1).axialAt(0).write(series.resolve("1.dcm"));
		new TinyDicom(8, 8, new short[64]).series("1.2.3.1").instance(2).axialAt(1).write(series.resolve("2.dcm"));
		Result r = classify(series, series);
		assertEquals(ExitCodes.USAGE, r.code(), r.err());
		assertTrue(r.err().contains("lies inside the input series folder"), r.err());
		assertEquals(2, Files.list(series).count(), "nothing was written into the series folder");
	}

	@Test
	void classifyShowsTheReaderWarningsOfASeriesFolder() throws Exception {
		Path folder = Files.createDirectories(dir.resolve("two-series"));
		for (int i = 1; i <= 3; i++) new TinyDicom(8, 8, new short[64]).series("1.2.3.1").instance(i).axialAt(i).write(folder.resolve("a" + i + ".dcm"));
		new TinyDicom(8, 8, new short[64]).series("1.2.3.2").instance(1).axialAt(0).write(folder.resolve("b1.dcm"));
		Result r = classify(folder, dir.resolve("out"));
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertTrue(r.err().contains("medcnn classify: warning: " + folder + ": the folder holds 2 series; read 1.2.3.1") && r.err().contains("left out 1.2.3.2"),
			r.err());
	}

	@Test
	void specialFilesAreRefusedWithoutHanging() throws Exception {
		Path fifo = dir.resolve("pipe.tif");
		Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
		Assumptions.assumeTrue(p.waitFor() == 0 && Files.exists(fifo), "skipped: mkfifo is not available here");
		Result r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> classify(fifo, dir.resolve("out")));
		assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
		assertOneLine(r);
		assertTrue(r.err().contains(fifo + ": not a regular file"), r.err());
		Path zero = Path.of("/dev/zero");
		if (Files.exists(zero)) {
			Result z = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> classify(zero, dir.resolve("out")));
			assertEquals(ExitCodes.BAD_INPUT, z.code(), z.err());
			assertTrue(z.err().contains("not a regular file"), z.err());
		}
		// A data CSV that is a pipe: refused, not waited on.
		Path csvPipe = dir.resolve("data.csv");
		assertEquals(0, new ProcessBuilder("mkfifo", csvPipe.toString()).start().waitFor());
		Result e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> ClassifyCliTest.cli("evaluate", "--model", Fixtures.tinyModel().toString(),
			"--data-csv", csvPipe.toString(), "--output", dir.resolve("ev").toString()));
		assertEquals(ExitCodes.BAD_INPUT, e.code(), e.err());
		assertTrue(e.err().contains("not a regular file"), e.err());
	}

	@Test
	void aSliceOfMoreThan2To31PixelsIsOneLineAndATraceOnlyWithDebug() throws Exception {
		// A TIFF header that claims 50000 x 50000 8-bit pixels: ImageJ would fail with a NegativeArraySizeException.
		ByteBuffer b = ByteBuffer.allocate(8 + 2 + 8 * 12 + 4 + 16).order(ByteOrder.LITTLE_ENDIAN);
		b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
		int[][] entries = {{256, 4, 1, 50000}, {257, 4, 1, 50000}, {258, 3, 1, 8}, {259, 3, 1, 1}, {262, 3, 1, 1}, {273, 4, 1, 8 + 2 + 8 * 12 + 4},
			{278, 4, 1, 50000}, {279, 4, 1, 16}};
		b.putShort((short) entries.length);
		for (int[] e : entries) {
			b.putShort((short) e[0]).putShort((short) e[1]).putInt(e[2]);
			if (e[1] == 3) b.putShort((short) e[3]).putShort((short) 0);
			else b.putInt(e[3]);
		}
		b.putInt(0);
		Path huge = Files.write(dir.resolve("huge.tif"), b.array());
		Result r = classify(huge, dir.resolve("out"));
		assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
		assertOneLine(r);
		assertTrue(r.err().contains("huge.tif: TIFF image of 50000 x 50000 = 2500000000 pixels per slice"), r.err());
		Result debug = classify(huge, dir.resolve("out"), "--debug");
		assertEquals(ExitCodes.BAD_INPUT, debug.code());
		assertTrue(debug.err().contains("\tat org.medcnn.io.ImageFiles"), "--debug prints the trace: " + debug.err());
	}

	@Test
	void noNumericOptionTakesANumberThatIsNotFinite() {
		// Every double and float option of every command, found through picocli's model of the command line.
		CommandLine root = new CommandLine(new MedCnnCli());
		int checked = 0;
		for (CommandLine sub : root.getSubcommands().values()) {
			for (CommandLine.Model.OptionSpec o : sub.getCommandSpec().options()) {
				Class<?> t = o.type();
				if (t != double.class && t != Double.class && t != float.class && t != Float.class) continue;
				for (String bad : List.of("NaN", "Infinity", "-Infinity")) {
					Result r = ClassifyCliTest.cli(sub.getCommandName(), o.longestName() + "=" + bad);
					assertEquals(ExitCodes.USAGE, r.code(), sub.getCommandName() + " " + o.longestName() + "=" + bad + ": " + r.err());
					assertTrue(r.err().contains("'" + bad + "' is not a finite number"), r.err());
					assertOneLine(r);
				}
				checked++;
			}
		}
		assertTrue(checked >= 10, "found " + checked + " numeric options");
	}

	@Test
	void noCommandIsBadUsageAndHelpNamesEveryInputKind() {
		Result none = ClassifyCliTest.cli();
		assertEquals(ExitCodes.USAGE, none.code());
		assertTrue(none.err().contains("no command given"), none.err());
		Result help = ClassifyCliTest.cli("classify", "--help");
		assertEquals(ExitCodes.OK, help.code());
		for (String kind : List.of("NIfTI", "DICOM", "folder", "GIF", "BMP")) assertTrue(help.out().contains(kind), kind + " in: " + help.out());
		Result bad = ClassifyCliTest.cli("classify", "--batch-size", "x");
		assertEquals(ExitCodes.USAGE, bad.code());
		assertOneLine(bad);
	}

	@Test
	void mcDropoutOnAHeadWithoutDropoutIsTheSameUsageErrorInClassifyAndBatch() throws Exception {
		Path in = dir.resolve("in");
		Path input = stack(in.resolve("a.tif"), 200, 10);
		Result c = classify(input, dir.resolve("c"), "--uncertainty", "mc_dropout");
		Result b = BatchCliTest.batch(in, dir.resolve("b"), "--uncertainty", "mc_dropout");
		assertEquals(ExitCodes.USAGE, c.code(), c.err());
		assertEquals(ExitCodes.USAGE, b.code(), b.err());
		assertTrue(c.err().contains("needs a head trained with dropout") && b.err().contains("needs a head trained with dropout"), c.err() + b.err());
	}

	@Test
	void evaluateRefusesAnOutputThatIsItsDataCsv() throws Exception {
		Path out = Files.createDirectories(dir.resolve("ev"));
		Path data = Files.writeString(out.resolve("predictions.csv"), "path,label\na.tif,bright\n");
		byte[] before = Files.readAllBytes(data);
		Result r = ClassifyCliTest.cli("evaluate", "--model", Fixtures.tinyModel().toString(), "--data-csv", data.toString(), "--output", out.toString(),
			"--overwrite");
		assertEquals(ExitCodes.USAGE, r.code(), r.err());
		assertTrue(r.err().contains("would replace the input"), r.err());
		assertArrayEquals(before, Files.readAllBytes(data));
	}

	@Test
	void aDeviceFallbackIsReportedOnce() throws Exception {
		// A child JVM set up as bin/medcnn (slf4j-simple at warn): the fallback used to appear as a log
		// warning and again as the command's warning.
		Path input = stack(dir.resolve("in/a.tif"), 200);
		String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		Process p = new ProcessBuilder(javaBin, "-Dai.djl.offline=true", Fixtures.cacheDirOption(), "-Djava.awt.headless=true",
			"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"), MedCnnCli.class.getName(), "classify", "--model",
			Fixtures.tinyModel().toString(), "--input", input.toString(), "--output", dir.resolve("out").toString(), "--device", "gpu:63")
			.redirectErrorStream(true).start();
		String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
		assertTrue(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES));
		assertEquals(ExitCodes.OK, p.exitValue(), text);
		int n = text.split("device gpu:63 requested", -1).length - 1;
		assertEquals(1, n, "the fallback is reported once: " + text);
		assertTrue(text.contains("medcnn classify: warning: device gpu:63 requested"), text);
	}
}
