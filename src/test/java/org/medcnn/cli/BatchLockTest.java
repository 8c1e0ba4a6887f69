package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.process.ShortProcessor;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.app.batch.ShardLock;
import org.medcnn.cli.ClassifyCliTest.Result;
import org.medcnn.testing.Fixtures;

/**
 * One live process owns a shard's outputs, tested with two real processes: a batch running in a child JVM,
 * and runs of this JVM against the same output folder. Another run of the shard, a {@code --resume}, a
 * run with another model or another shard count are refused with exit code 8 and a line naming the
 * child (pid, host, start); another shard of the same count runs alongside; after {@code kill -9} the
 * operating system has released the lock and {@code --resume} finishes without any clean-up. A SIGTERM
 * leaves the manifest "cancelled", with a line saying so.
 */
class BatchLockTest {

	/** Inputs: enough that the child is still busy while the test runs against it (they are hard links of a few files). */
	private static final int FILES = 120;
	private static final int DISTINCT = 6;
	private static final int SLICES = 24;

	@TempDir
	Path dir;

	private Path inputs() throws Exception {
		Path in = Files.createDirectories(dir.resolve("in"));
		Path originals = Files.createDirectories(dir.resolve("originals"));
		for (int f = 0; f < DISTINCT; f++) {
			ImageStack st = new ImageStack(128, 128);
			for (int s = 0; s < SLICES; s++) {
				ShortProcessor ip = new ShortProcessor(128, 128);
				ip.setValue((f + s) % 3 == 0 ? 40 : 200 + f);
				ip.fill();
				st.addSlice("s" + s, ip);
			}
			assertTrue(new FileSaver(new ImagePlus("f", st)).saveAsTiffStack(originals.resolve(f + ".tif").toString()));
		}
		for (int f = 0; f < FILES; f++) {
			Path link = in.resolve(String.format("scan-%03d.tif", f));
			Path original = originals.resolve((f % DISTINCT) + ".tif");
			try {
				Files.createLink(link, original);
			} catch (UnsupportedOperationException | java.io.IOException e) {
				Files.copy(original, link);
			}
		}
		return in;
	}

	/** Starts {@code medcnn batch} in a child JVM (batch size 1, so that it runs a few seconds). */
	private Process child(Path in, Path out, Path log, String... extra) throws Exception {
		String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
		List<String> cmd = new ArrayList<>(List.of(java, "-Dai.djl.offline=true", Fixtures.cacheDirOption(), "-Djava.awt.headless=true",
			"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"), MedCnnCli.class.getName(), "batch",
			"--input-dir", in.toString(), "--output-dir", out.toString(), "--model", Fixtures.tinyModel().toString(), "--device", "cpu",
			"--batch-size", "1"));
		cmd.addAll(List.of(extra));
		File f = log.toFile();
		return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(f).start();
	}

	private static long records(Path out) throws Exception {
		Path files = out.resolve("files");
		if (!Files.isDirectory(files)) return 0;
		try (Stream<Path> s = Files.list(files)) {
			return s.filter(p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().startsWith(".")).count();
		}
	}

	/** Waits until the child has written a few inputs of its shard (it holds the lock by then). */
	private static void awaitProgress(Process child, Path out, Path log) throws Exception {
		long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
		while (records(out) < 2 && child.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
		assertTrue(child.isAlive(), "the child still runs; its log:\n" + Files.readString(log));
	}

	private static void assertBusy(Result r, Process owner, String... parts) {
		assertEquals(ExitCodes.BUSY, r.code(), r.out() + r.err());
		assertEquals(1, r.errLines().size(), "one line: " + r.err());
		String line = r.errLines().get(0);
		assertTrue(line.contains("process " + owner.pid()), "names the owner's pid " + owner.pid() + ": " + line);
		assertTrue(line.contains("on host ") && line.contains("started 20"), "names host and start time: " + line);
		for (String p : parts) assertTrue(line.contains(p), "'" + p + "' in: " + line);
	}

	@Test
	void aShardIsWrittenByOneLiveProcessAtATime() throws Exception {
		Path in = inputs();
		Path out = dir.resolve("out");
		Path log = dir.resolve("child.log");
		Process owner = child(in, out, log, "--shard-index", "0", "--shard-count", "2");
		try {
			awaitProgress(owner, out, log);
			Path manifest = out.resolve("manifest-shard-0-of-2.json");
			byte[] manifestBefore = Files.readAllBytes(manifest);

			// The same shard again, resumed, with another model: each refused, nothing written.
			assertBusy(BatchCliTest.batch(in, out, "--shard-index", "0", "--shard-count", "2"), owner, "shard 0 of 2 is being written by");
			assertBusy(BatchCliTest.batch(in, out, "--shard-index", "0", "--shard-count", "2", "--resume"), owner, "--resume");
			Path otherModel = Fixtures.copyTinyModel(dir.resolve("models"));
			List<String> a = new ArrayList<>(List.of("batch", "--input-dir", in.toString(), "--output-dir", out.toString(), "--model",
				otherModel.toString(), "--device", "cpu", "--shard-index", "0", "--shard-count", "2", "--overwrite"));
			assertBusy(ClassifyCliTest.cli(a.toArray(String[]::new)), owner);
			// Another shard count would overlap the owner's shard: refused too.
			assertBusy(BatchCliTest.batch(in, out, "--shard-index", "1", "--shard-count", "3"), owner, "another shard count");
			String now = Files.readString(manifest);
			assertTrue(now.contains("\"state\": \"running\"") && now.contains("\"model\""), "the owner's manifest, not replaced by a refused run");
			assertFalse(Files.exists(out.resolve("manifest-shard-1-of-3.json")));
			assertTrue(manifestBefore.length > 0);
			// Another shard of the same count may be written alongside: its lock is free.
			try (ShardLock alongside = ShardLock.acquire(out, 1, 2, "test")) {
				assertTrue(Files.exists(ShardLock.ownerFile(out, 1, 2)));
			}
			// Merge tells a running shard from a killed one.
			Result early = BatchCliTest.merge(out, "--shard-count", "2");
			assertEquals(ExitCodes.BAD_INPUT, early.code(), early.err());
			assertTrue(early.err().contains("[0] still running (shard 0: process " + owner.pid()), early.err());
			assertTrue(owner.isAlive(), "the owner was still running during all of this; its log:\n" + Files.readString(log));
		} finally {
			owner.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block; the OS releases the lock
		}
		assertTrue(owner.waitFor(1, TimeUnit.MINUTES));
		assertTrue(Files.exists(ShardLock.ownerFile(out, 0, 2)), "the killed owner's record is left behind");
		Result killed = BatchCliTest.merge(out, "--shard-count", "2");
		assertTrue(killed.err().contains("(killed or cancelled: rerun with --resume)") && !killed.err().contains("still running"), killed.err());
		Result resumed = BatchCliTest.batch(in, out, "--shard-index", "0", "--shard-count", "2", "--resume", "--batch-size", "1");
		assertEquals(ExitCodes.OK, resumed.code(), "no clean-up needed after kill -9: " + resumed.err());
		assertFalse(Files.exists(ShardLock.ownerFile(out, 0, 2)), "the owner record goes when its run ends");
		Result other = BatchCliTest.batch(in, out, "--shard-index", "1", "--shard-count", "2", "--batch-size", "1");
		assertEquals(ExitCodes.OK, other.code(), other.err());
		Result merged = BatchCliTest.merge(out);
		assertEquals(ExitCodes.OK, merged.code(), merged.err());
		assertEquals(1 + FILES * SLICES, BatchCliTest.withoutMs(out.resolve("results.csv")).size());
	}

	@Test
	void sigtermLeavesTheManifestCancelledAndSaysSo() throws Exception {
		Path in = inputs();
		Path out = dir.resolve("out");
		Path log = dir.resolve("child.log");
		Process run = child(in, out, log);
		awaitProgress(run, out, log);
		run.destroy(); // SIGTERM on Linux, as SLURM sends it before SIGKILL
		assertTrue(run.waitFor(1, TimeUnit.MINUTES), "the run stops at its next batch of slices");
		String text = Files.readString(log);
		JsonObject m = BatchCliTest.json(out.resolve("manifest-shard-0-of-1.json"));
		assertEquals("cancelled", m.get("state").getAsString(), "manifest state; child log:\n" + text);
		assertFalse(m.get("ended").isJsonNull());
		assertTrue(text.contains("stopped by a signal") && text.contains("--resume"), "the run says what happened: " + text);
		Map<String, String> st = BatchCliTest.statuses(m);
		assertTrue(st.containsValue("done") && st.containsValue("pending"), st.toString());
		// What it left is resumable as it stands.
		Result resumed = BatchCliTest.batch(in, out, "--resume", "--batch-size", "1");
		assertEquals(ExitCodes.OK, resumed.code(), resumed.err());
		List<String> left = BatchCliTest.tree(out).stream().filter(f -> Paths.get(f).getFileName().toString().startsWith(".") || f.contains(".part-")).toList();
		assertEquals(List.of(), left, "no temporary files, markers or owner records remain");
	}
}
