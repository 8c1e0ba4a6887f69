package org.medcnn.ij1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.io.Opener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.ij.PredictionOverlays;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TinyImages;

/**
 * Runs the shipped macros {@code macros/batch-folder.ijm} (two shards, then the merge) and
 * {@code macros/train.ijm} in real, plain ImageJ 1.x under Xvfb through the bridge jar, as
 * {@link MacroBridgeTest} does for classify-stack.ijm, and checks what they write.
 */
class BatchMacrosTest {

	/** Runs a shipped macro in plain ImageJ 1.x under Xvfb and returns its log; skips where xvfb-run is missing. */
	private static String runMacro(Path tmp, String macro, String args) throws Exception {
		Path xvfb = MacroBridgeTest.xvfbRun();
		Assumptions.assumeTrue(xvfb != null, "skipped: xvfb-run is not installed (apt-get install xvfb); .ci/run installs it");
		return MacroBridgeTest.runMacro(xvfb, tmp, Paths.get("macros", macro), args);
	}

	@Test
	void batchFolderMacroRunsShardsAndMerges(@TempDir Path tmp) throws Exception {
		Path in = tmp.resolve("in put");
		TinyImages.stack(in.resolve("a.tif"), 200, 10, 200);
		TinyImages.png(in.resolve("b.png"), 32, 32, 10);
		TinyImages.stack(in.resolve("sub/c.tif"), 10);
		Files.createFile(in.resolve("empty.tif"));
		Path out = tmp.resolve("out");
		String common = "input=[" + in + "] output=[" + out + "] model=[" + Fixtures.tinyModel() + "] device=cpu batch_size=2 recursive shard_count=2";
		String log0 = runMacro(tmp, "batch-folder.ijm", common + " shard_index=0");
		assertTrue(log0.contains("MedCNN: batch shard 0 of 2 finished"), log0);
		// Sorted: a.tif, b.png, empty.tif, sub/c.tif; shard 0 takes a.tif and empty.tif.
		assertEquals(4, TinyImages.csv(out.resolve("results-shard-0-of-2.csv")).size(), "header + a.tif's 3 slices");
		assertTrue(Files.readString(out.resolve("errors-shard-0-of-2.csv")).contains("empty.tif"));
		String log1 = runMacro(tmp, "batch-folder.ijm", common + " shard_index=1 resume=true");
		assertTrue(log1.contains("MedCNN: batch shard 1 of 2 finished"), log1);
		String merge = runMacro(tmp, "batch-folder.ijm", "output=[" + out + "] merge");
		assertTrue(merge.contains("MedCNN: merged"), merge);
		List<List<String>> rows = TinyImages.csv(out.resolve("results.csv"));
		assertEquals(6, rows.size(), "header + a.tif 3 + b.png 1 + sub/c.tif 1");
		int src = rows.get(0).indexOf("source");
		int pred = rows.get(0).indexOf("predicted");
		assertEquals(List.of("a.tif:bright", "a.tif:dark", "a.tif:bright", "b.png:dark", "sub/c.tif:dark"),
			rows.subList(1, 6).stream().map(r -> r.get(src) + ":" + r.get(pred)).toList());
		assertEquals(2, Files.readAllLines(out.resolve("errors.csv")).size(), "header + empty.tif");
		ImagePlus tif = new Opener().openImage(out.resolve("files/a.tif.tif").toString());
		assertEquals(3, PredictionOverlays.count(tif.getOverlay()));
		String refused = runMacro(tmp, "batch-folder.ijm", common + " shard_index=1");
		assertTrue(refused.contains("already holds the outputs of shard 1 of 2"), "a rerun without resume is refused: " + refused);
		assertFalse(refused.contains("finished"), "and the macro stops there: " + refused);
	}

	@Test
	void trainMacroWritesAModelPackage(@TempDir Path tmp) throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 8);
		Path bad = tmp.resolve("Bad Name");
		String refused = runMacro(tmp, "train.ijm", "data=[" + data + "] output=[" + bad + "] base_model=[" + Fixtures.tinyModel().resolve("trunk.pt")
			+ "] epochs=0 image_size=32");
		assertTrue(refused.contains("model id 'Bad Name' must be"), refused);
		assertFalse(refused.contains("MedCNN: trained"), "a failing command stops the macro: " + refused);
		Path model = tmp.resolve("my-model");
		String log = runMacro(tmp, "train.ijm", "data=[" + data + "] output=[" + model + "] base_model=[" + Fixtures.tinyModel().resolve("trunk.pt")
			+ "] epochs=0 image_size=32 intensity=range:0:255 augment=false");
		assertTrue(Files.exists(model.resolve("model.json")), "model package written; ImageJ said:\n" + log);
		assertTrue(log.contains("MedCNN: trained a model package"), log);
		String card = Files.readString(model.resolve("model.json"));
		assertTrue(card.contains("\"bright\"") && card.contains("\"dark\""), card);
	}
}
