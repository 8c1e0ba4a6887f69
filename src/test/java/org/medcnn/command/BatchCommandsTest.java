package org.medcnn.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.measure.ResultsTable;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.batch.ShardLock;
import org.medcnn.testing.TinyImages;
import org.medcnn.testing.Fixtures;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandModule;
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

	private CommandModule batch(Path in, Path out, Object... more) throws Exception {
		Object[] base = {"input_dir", in.toFile(), "output_dir", out.toFile(), "model", Fixtures.tinyModel().toString(), "device", "cpu"};
		Object[] all = new Object[base.length + more.length];
		System.arraycopy(base, 0, all, 0, base.length);
		System.arraycopy(more, 0, all, base.length, more.length);
		return commands.run(BatchClassifyFolderCommand.class, true, all).get();
	}

	@Test
	void batchReturnsOneRowPerInputAndGoesOnAfterAFailure() throws Exception {
		Path in = dir.resolve("in");
		TinyImages.stack(in.resolve("a.tif"), 200, 10);
		TinyImages.png(in.resolve("b.png"), 32, 32, 10);
		Files.createFile(in.resolve("empty.tif"));
		Path out = dir.resolve("out");
		CommandModule m = batch(in, out, "batch_size", 2);
		assertFalse(m.isCanceled(), "a failing input does not cancel the batch: " + m.getCancelReason());
		ResultsTable rt = (ResultsTable) m.getOutput("summary");
		assertEquals(3, rt.size());
		assertEquals(List.of("a.tif", "b.png", "empty.tif"), List.of(rt.getStringValue("source", 0), rt.getStringValue("source", 1), rt.getStringValue("source", 2)));
		assertEquals("done", rt.getStringValue("status", 0));
		assertEquals(2, (int) rt.getValue("slices", 0));
		assertEquals("failed", rt.getStringValue("status", 2));
		assertTrue(rt.getStringValue("message", 2).contains(in.resolve("empty.tif").toString()), rt.getStringValue("message", 2));
		assertEquals(4, TinyImages.csv(out.resolve("results-shard-0-of-1.csv")).size());

		// The same again: refused as a whole; with resume everything is kept.
		CommandModule again = batch(in, out);
		assertTrue(again.isCanceled());
		assertTrue(again.getCancelReason().contains("resume"), again.getCancelReason());
		CommandModule resumed = batch(in, out, "resume", true, "batch_size", 2);
		assertFalse(resumed.isCanceled(), resumed.getCancelReason());
		ResultsTable r2 = (ResultsTable) resumed.getOutput("summary");
		assertEquals("resumed", r2.getStringValue("status", 0));
		assertEquals("failed", r2.getStringValue("status", 2), "failed inputs are tried again");
	}

	@Test
	void shardsThenMergeCommand() throws Exception {
		Path in = dir.resolve("in");
		for (int i = 0; i < 5; i++) TinyImages.stack(in.resolve("f" + i + ".tif"), i % 2 == 0 ? 200 : 10);
		Path out = dir.resolve("out");
		CommandModule s0 = batch(in, out, "shard_index", 0, "shard_count", 2);
		assertEquals(3, ((ResultsTable) s0.getOutput("summary")).size(), "f0, f2, f4");
		CommandModule early = commands.run(MergeBatchResultsCommand.class, true, "output_dir", out.toFile()).get();
		assertTrue(early.isCanceled());
		assertTrue(early.getCancelReason().contains("missing shard(s) [1]"), early.getCancelReason());
		assertEquals(2, ((ResultsTable) batch(in, out, "shard_index", 1, "shard_count", 2).getOutput("summary")).size());
		CommandModule merged = commands.run(MergeBatchResultsCommand.class, true, "output_dir", out.toFile()).get();
		assertFalse(merged.isCanceled(), merged.getCancelReason());
		ResultsTable rt = (ResultsTable) merged.getOutput("summary");
		assertEquals(5, (int) rt.getValue("rows", 0));
		assertEquals(6, TinyImages.csv(out.resolve("results.csv")).size());
	}

	@Test
	void totalFailuresCancelWithTheReason() throws Exception {
		Path in = Files.createDirectories(dir.resolve("in"));
		CommandModule none = batch(in, dir.resolve("out"));
		assertTrue(none.isCanceled());
		assertTrue(none.getCancelReason().contains("no input files") && none.getCancelReason().contains(in.toString()), none.getCancelReason());
		assertNull(none.getOutput("summary"));
		TinyImages.stack(in.resolve("a.tif"), 200);
		CommandModule badModel = commands.run(BatchClassifyFolderCommand.class, true, "input_dir", in.toFile(), "output_dir", dir.resolve("o").toFile(),
			"model", "no-such-model", "device", "cpu").get();
		assertTrue(badModel.isCanceled());
		assertTrue(badModel.getCancelReason().contains("no-such-model"), badModel.getCancelReason());
		File file = Files.writeString(dir.resolve("f"), "x").toFile();
		CommandModule badOut = batch(in, file.toPath().resolve("sub"));
		assertTrue(badOut.isCanceled());
		assertTrue(badOut.getCancelReason().contains("is a file, not a folder"), badOut.getCancelReason());
		CommandModule badShard = batch(in, dir.resolve("o"), "shard_index", 2, "shard_count", 2);
		assertTrue(badShard.isCanceled());
		assertTrue(badShard.getCancelReason().contains("shard_index"), badShard.getCancelReason());
	}

	@Test
	void aShardThatAnotherRunWritesIsRefusedWithItsOwner() throws Exception {
		// Fiji running a batch into a folder whose shard is being written (here by a lock this test holds,
		// as another Batch Classify Folder in the same Fiji would): cancelled, naming the owner; nothing written.
		Path in = dir.resolve("in");
		TinyImages.stack(in.resolve("a.tif"), 200);
		Path out = Files.createDirectories(dir.resolve("out"));
		try (ShardLock held = ShardLock.acquire(out, 0, 1, "another batch")) {
			CommandModule m = batch(in, out);
			assertTrue(m.isCanceled());
			assertTrue(m.getCancelReason().contains("shard 0 of 1 is being written by another run in this process")
				&& m.getCancelReason().contains("another batch"), m.getCancelReason());
			assertFalse(Files.exists(out.resolve("manifest-shard-0-of-1.json")));
			// And a run with another shard count would overlap it.
			CommandModule other = batch(in, out, "shard_index", 1, "shard_count", 2);
			assertTrue(other.isCanceled());
			assertTrue(other.getCancelReason().contains("shard count"), other.getCancelReason());
		}
		CommandModule after = batch(in, out);
		assertFalse(after.isCanceled(), after.getCancelReason());
	}

	@Test
	void outputInsideTheInputFolderIsRefusedHoweverSpelled() throws Exception {
		Path in = dir.resolve("in");
		TinyImages.stack(in.resolve("a.tif"), 200);
		for (Path out : List.of(in.resolve("out"), in.resolve("sub/../out2"), dir.resolve("./in/x/.."))) {
			CommandModule m = batch(in, out);
			assertTrue(m.isCanceled(), out.toString());
			assertTrue(m.getCancelReason().contains("output_dir") && m.getCancelReason().contains("input"), m.getCancelReason());
		}
		CommandModule around = batch(in, dir);
		assertTrue(around.isCanceled());
		assertTrue(around.getCancelReason().contains("lies inside output_dir"), around.getCancelReason());
	}
}
