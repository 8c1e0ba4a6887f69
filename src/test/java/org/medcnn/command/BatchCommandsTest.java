package org.medcnn.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.medcnn.testing.Modules.canceled;
import static org.medcnn.testing.Modules.reason;

import ij.measure.ResultsTable;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.app.batch.ShardLock;
import org.medcnn.testing.TinyImages;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.Modules;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.module.Module;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;

/** Batch Classify Folder and Merge Batch Results run the way Fiji and macros run them: through CommandService. */
class BatchCommandsTest {

	private static Context ctx;
	private static CommandService commands;

	@TempDir
	Path dir;

	@BeforeAll
	static void context() {
		ctx = new Context(CommandService.class, ModelService.class, StatusService.class, LogService.class);
		commands = ctx.service(CommandService.class);
	}

	@AfterAll
	static void dispose() {
		ctx.dispose();
	}

	private Module batch(Path in, Path out, Object... more) throws Exception {
		Object[] base = {"input_dir", in.toFile(), "output_dir", out.toFile(), "model", Fixtures.tinyModel().toString(), "device", "cpu"};
		Object[] all = new Object[base.length + more.length];
		System.arraycopy(base, 0, all, 0, base.length);
		System.arraycopy(more, 0, all, base.length, more.length);
		return Modules.run(commands, BatchClassifyFolderCommand.class, all);
	}

	@Test
	void batchReturnsOneRowPerInputAndGoesOnAfterAFailure() throws Exception {
		Path in = dir.resolve("in");
		TinyImages.stack(in.resolve("a.tif"), 200, 10);
		TinyImages.png(in.resolve("b.png"), 32, 32, 10);
		Files.createFile(in.resolve("empty.tif"));
		Path out = dir.resolve("out");
		Module m = batch(in, out, "batch_size", 2);
		assertFalse(canceled(m), "a failing input does not cancel the batch: " + reason(m));
		ResultsTable rt = (ResultsTable) m.getOutput("summary");
		assertEquals(3, rt.size());
		assertEquals(List.of("a.tif", "b.png", "empty.tif"), List.of(rt.getStringValue("source", 0), rt.getStringValue("source", 1), rt.getStringValue("source", 2)));
		assertEquals("done", rt.getStringValue("status", 0));
		assertEquals(2, (int) rt.getValue("slices", 0));
		assertEquals("failed", rt.getStringValue("status", 2));
		assertTrue(rt.getStringValue("message", 2).contains(in.resolve("empty.tif").toString()), rt.getStringValue("message", 2));
		assertEquals(4, TinyImages.csv(out.resolve("results-shard-0-of-1.csv")).size());

		// The same again: refused as a whole; with resume everything is kept.
		Module again = batch(in, out);
		assertTrue(canceled(again));
		assertTrue(reason(again).contains("resume"), reason(again));
		Module resumed = batch(in, out, "resume", true, "batch_size", 2);
		assertFalse(canceled(resumed), reason(resumed));
		ResultsTable r2 = (ResultsTable) resumed.getOutput("summary");
		assertEquals("resumed", r2.getStringValue("status", 0));
		assertEquals("failed", r2.getStringValue("status", 2), "failed inputs are tried again");
	}

	@Test
	void shardsThenMergeCommand() throws Exception {
		Path in = dir.resolve("in");
		for (int i = 0; i < 5; i++) TinyImages.stack(in.resolve("f" + i + ".tif"), i % 2 == 0 ? 200 : 10);
		Path out = dir.resolve("out");
		Module s0 = batch(in, out, "shard_index", 0, "shard_count", 2);
		assertEquals(3, ((ResultsTable) s0.getOutput("summary")).size(), "f0, f2, f4");
		Module early = Modules.run(commands, MergeBatchResultsCommand.class, "output_dir", out.toFile());
		assertTrue(canceled(early));
		assertTrue(reason(early).contains("missing shard(s) [1]"), reason(early));
		assertEquals(2, ((ResultsTable) batch(in, out, "shard_index", 1, "shard_count", 2).getOutput("summary")).size());
		Module merged = Modules.run(commands, MergeBatchResultsCommand.class, "output_dir", out.toFile());
		assertFalse(canceled(merged), reason(merged));
		ResultsTable rt = (ResultsTable) merged.getOutput("summary");
		assertEquals(5, (int) rt.getValue("rows", 0));
		assertEquals(6, TinyImages.csv(out.resolve("results.csv")).size());
	}

	@Test
	void totalFailuresCancelWithTheReason() throws Exception {
		Path in = Files.createDirectories(dir.resolve("in"));
		Module none = batch(in, dir.resolve("out"));
		assertTrue(canceled(none));
		assertTrue(reason(none).contains("no input files") && reason(none).contains(in.toString()), reason(none));
		assertNull(none.getOutput("summary"));
		TinyImages.stack(in.resolve("a.tif"), 200);
		Module badModel = Modules.run(commands, BatchClassifyFolderCommand.class, "input_dir", in.toFile(), "output_dir", dir.resolve("o").toFile(),
			"model", "no-such-model", "device", "cpu");
		assertTrue(canceled(badModel));
		assertTrue(reason(badModel).contains("no-such-model"), reason(badModel));
		File file = Files.writeString(dir.resolve("f"), "x").toFile();
		Module badOut = batch(in, file.toPath().resolve("sub"));
		assertTrue(canceled(badOut));
		assertTrue(reason(badOut).contains("is a file, not a folder"), reason(badOut));
		Module badShard = batch(in, dir.resolve("o"), "shard_index", 2, "shard_count", 2);
		assertTrue(canceled(badShard));
		assertTrue(reason(badShard).contains("shard_index"), reason(badShard));
	}

	@Test
	void aShardThatAnotherRunWritesIsRefusedWithItsOwner() throws Exception {
		// Fiji running a batch into a folder whose shard is being written (here by a lock this test holds,
		// as another Batch Classify Folder in the same Fiji would): cancelled, naming the owner; nothing written.
		Path in = dir.resolve("in");
		TinyImages.stack(in.resolve("a.tif"), 200);
		Path out = Files.createDirectories(dir.resolve("out"));
		try (ShardLock held = ShardLock.acquire(out, 0, 1, "another batch")) {
			Module m = batch(in, out);
			assertTrue(canceled(m));
			assertTrue(reason(m).contains("shard 0 of 1 is being written by another run in this process")
				&& reason(m).contains("another batch"), reason(m));
			assertFalse(Files.exists(out.resolve("manifest-shard-0-of-1.json")));
			// And a run with another shard count would overlap it.
			Module other = batch(in, out, "shard_index", 1, "shard_count", 2);
			assertTrue(canceled(other));
			assertTrue(reason(other).contains("shard count"), reason(other));
		}
		Module after = batch(in, out);
		assertFalse(canceled(after), reason(after));
	}

	@Test
	void outputInsideTheInputFolderIsRefusedHoweverSpelled() throws Exception {
		Path in = dir.resolve("in");
		TinyImages.stack(in.resolve("a.tif"), 200);
		for (Path out : List.of(in.resolve("out"), in.resolve("sub/../out2"), dir.resolve("./in/x/.."))) {
			Module m = batch(in, out);
			assertTrue(canceled(m), out.toString());
			assertTrue(reason(m).contains("output_dir") && reason(m).contains("input"), reason(m));
		}
		Module around = batch(in, dir);
		assertTrue(canceled(around));
		assertTrue(reason(around).contains("lies inside output_dir"), reason(around));
	}
}
