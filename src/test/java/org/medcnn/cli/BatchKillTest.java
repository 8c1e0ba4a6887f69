package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.io.Opener;
import ij.process.ShortProcessor;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.cli.ClassifyCliTest.Result;
import org.medcnn.testing.Fixtures;

/**
 * A batch killed with SIGKILL in the middle loses nothing: every output that exists is complete, and a
 * run with {@code --resume} finishes the job so that the merged CSV equals that of an uninterrupted run
 * (all columns but {@code ms}) and no temporary file is left.
 */
class BatchKillTest {

	private static final int FILES = 30;
	private static final int SLICES = 24;

	@TempDir
	Path dir;

	private Path inputs() throws Exception {
		Path in = Files.createDirectories(dir.resolve("in"));
		for (int f = 0; f < FILES; f++) {
			ImageStack st = new ImageStack(128, 128);
			for (int s = 0; s < SLICES; s++) {
				ShortProcessor ip = new ShortProcessor(128, 128);
				ip.setValue((f + s) % 3 == 0 ? 40 : 200 + f);
				ip.fill();
				st.addSlice("s" + s, ip);
			}
			assertTrue(new FileSaver(new ImagePlus("f", st)).saveAsTiffStack(in.resolve(String.format("scan-%02d.tif", f)).toString()));
		}
		return in;
	}

	private static long records(Path out) throws Exception {
		Path files = out.resolve("files");
		if (!Files.isDirectory(files)) return 0;
		try (Stream<Path> s = Files.list(files)) {
			return s.filter(p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().startsWith(".")).count();
		}
	}

	@Test
	void killedBatchResumesToTheSameResults() throws Exception {
		Path in = inputs();
		Path out = dir.resolve("out");
		String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
		List<String> cmd = List.of(java, "-Dai.djl.offline=true", Fixtures.cacheDirOption(), "-Djava.awt.headless=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp",
			System.getProperty("java.class.path"), MedCnnCli.class.getName(), "batch", "--input-dir", in.toString(), "--output-dir", out.toString(),
			"--model", Fixtures.tinyModel().toString(), "--device", "cpu", "--batch-size", "1");
		File log = dir.resolve("child.log").toFile();
		Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
		long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
		long atKill;
		while ((atKill = records(out)) < 3 && child.isAlive() && System.nanoTime() < deadline) Thread.sleep(2);
		assertTrue(child.isAlive(), "the child was still running when 3 inputs were done; its log:\n" + Files.readString(log.toPath()));
		child.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
		assertTrue(child.waitFor(1, TimeUnit.MINUTES));
		long done = records(out);
		assertTrue(done >= 3 && done < FILES, "killed part-way: " + done + " of " + FILES + " inputs had records (" + atKill + " when the kill was sent)");

		// Whatever exists under its final name is complete.
		try (Stream<Path> s = Files.list(out.resolve("files"))) {
			for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".tif") && !p.getFileName().toString().startsWith(".")).toList()) {
				ImagePlus imp = new Opener().openImage(p.toString());
				assertNotNull(imp, p + " opens");
				assertEquals(SLICES, imp.getStackSize(), p + " is complete");
			}
		}
		for (String shardFile : List.of("results-shard-0-of-1.csv", "errors-shard-0-of-1.csv", "manifest-shard-0-of-1.json")) {
			assertTrue(Files.exists(out.resolve(shardFile)), shardFile + " was written before the first input");
		}
		assertTrue(Files.readString(out.resolve("manifest-shard-0-of-1.json")).contains("\"state\": \"running\""));
		Result early = BatchCliTest.merge(out);
		assertEquals(ExitCodes.BAD_INPUT, early.code(), "a killed shard is not merged: " + early.err());

		Result resumed = BatchCliTest.batch(in, out, "--resume", "--batch-size", "1");
		assertEquals(ExitCodes.OK, resumed.code(), resumed.err());
		assertTrue(resumed.out().contains((FILES - done) + " done, " + done + " resumed"), "inputs with a record are kept, the rest redone: " + resumed.out());
		Result merged = BatchCliTest.merge(out);
		assertEquals(ExitCodes.OK, merged.code(), merged.err());

		Path clean = dir.resolve("uninterrupted");
		assertEquals(ExitCodes.OK, BatchCliTest.batch(in, clean, "--batch-size", "1").code());
		assertEquals(ExitCodes.OK, BatchCliTest.merge(clean).code());
		List<List<String>> expected = BatchCliTest.withoutMs(clean.resolve("results.csv"));
		assertEquals(1 + FILES * SLICES, expected.size());
		assertEquals(expected, BatchCliTest.withoutMs(out.resolve("results.csv")), "resumed = uninterrupted, all columns but ms");

		List<String> left = BatchCliTest.tree(out).stream().filter(f -> Paths.get(f).getFileName().toString().startsWith(".") || f.contains(".part-")).toList();
		assertEquals(List.of(), left, "no temporary or partial files, markers or owner records remain (only the lock file, which tree() leaves out)");
	}
}
