package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.medcnn.testing.TinyImages.csv;
import static org.medcnn.testing.TinyImages.png;
import static org.medcnn.testing.TinyImages.stack;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.ImagePlus;
import ij.io.Opener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.app.batch.ShardLock;
import org.medcnn.cli.ClassifyCliTest.Result;
import org.medcnn.core.classify.ResultColumns;
import org.medcnn.ij.PredictionOverlays;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TinyDicom;

/** {@code medcnn batch} and {@code medcnn merge} end to end, in process, on folders of tiny images and damaged files. */
class BatchCliTest {

	@TempDir
	Path dir;

	static final List<String> HEADER = ResultColumns.header(List.of("dark", "bright"));

	static Result batch(Path in, Path out, String... extra) {
		List<String> a = new ArrayList<>(List.of("batch", "--input-dir", in.toString(), "--output-dir", out.toString(), "--model",
			Fixtures.tinyModel().toString(), "--device", "cpu"));
		a.addAll(List.of(extra));
		return ClassifyCliTest.cli(a.toArray(String[]::new));
	}

	static Result merge(Path out, String... extra) {
		List<String> a = new ArrayList<>(List.of("merge", "--output-dir", out.toString()));
		a.addAll(List.of(extra));
		return ClassifyCliTest.cli(a.toArray(String[]::new));
	}

	static JsonObject json(Path file) throws IOException {
		return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
	}

	/** The rows of a results CSV without the ms column (timing differs between runs). */
	static List<List<String>> withoutMs(Path file) throws IOException {
		List<List<String>> rows = csv(file);
		int ms = rows.get(0).indexOf("ms");
		List<List<String>> out = new ArrayList<>();
		for (List<String> r : rows) {
			List<String> c = new ArrayList<>(r);
			c.remove(ms);
			out.add(c);
		}
		return out;
	}

	/** Every file below a folder, relative, sorted; but the batch lock file, which stays (see ShardLock). */
	static List<String> tree(Path root) throws IOException {
		try (Stream<Path> s = Files.walk(root)) {
			return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).filter(f -> !f.equals(ShardLock.LOCK_FILE)).sorted().toList();
		}
	}

	static Map<String, byte[]> snapshot(Path root) throws IOException {
		Map<String, byte[]> m = new LinkedHashMap<>();
		for (String f : tree(root)) m.put(f, Files.readAllBytes(root.resolve(f)));
		return m;
	}

	static void assertSameFiles(Map<String, byte[]> before, Path root) throws IOException {
		Map<String, byte[]> after = snapshot(root);
		assertEquals(before.keySet(), after.keySet());
		for (String f : before.keySet()) assertArrayEquals(before.get(f), after.get(f), f + " unchanged");
	}

	static Map<String, String> statuses(JsonObject manifest) {
		Map<String, String> m = new LinkedHashMap<>();
		for (JsonElement e : manifest.getAsJsonArray("files")) m.put(e.getAsJsonObject().get("source").getAsString(), e.getAsJsonObject().get("status").getAsString());
		return m;
	}

	/** a.tif: bright, dark, bright; b.png: dark; sub/c.tif: dark, bright. */
	private Path smallFolder() throws IOException {
		Path in = dir.resolve("in");
		stack(in.resolve("a.tif"), 200, 10, 200);
		png(in.resolve("b.png"), 32, 32, 10);
		stack(in.resolve("sub/c.tif"), 10, 200);
		Files.writeString(in.resolve("notes.txt"), "not an image");
		return in;
	}

	@Test
	void batchWritesPerFileOutputsShardFilesAndManifest() throws Exception {
		Path in = smallFolder();
		Path out = dir.resolve("out");
		Result r = batch(in, out);
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertEquals(List.of("errors-shard-0-of-1.csv", "files/a.tif.csv", "files/a.tif.json", "files/a.tif.tif", "files/b.png.csv", "files/b.png.json",
			"files/b.png.tif", "manifest-shard-0-of-1.json", "results-shard-0-of-1.csv"), tree(out), "sub/ is not searched without --recursive; no temporary files");
		List<List<String>> rows = csv(out.resolve("results-shard-0-of-1.csv"));
		assertEquals(HEADER, rows.get(0), "the columns of ResultColumns and nothing else");
		assertEquals(5, rows.size());
		int src = HEADER.indexOf("source");
		int pred = HEADER.indexOf("predicted");
		int slice = HEADER.indexOf("slice");
		assertEquals(List.of("a.tif:1:bright", "a.tif:2:dark", "a.tif:3:bright", "b.png:1:dark"),
			rows.subList(1, 5).stream().map(c -> c.get(src) + ":" + c.get(slice) + ":" + c.get(pred)).toList());
		assertEquals(csv(out.resolve("files/a.tif.csv")), csv(out.resolve("results-shard-0-of-1.csv")).subList(0, 4), "the shard CSV joins the per-file CSVs");
		assertEquals(List.of(List.of("file", "error")), csv(out.resolve("errors-shard-0-of-1.csv")));
		ImagePlus tif = new Opener().openImage(out.resolve("files/a.tif.tif").toString());
		assertEquals(3, tif.getStackSize());
		assertEquals(3, PredictionOverlays.count(tif.getOverlay()), "one label per slice on the overlay");

		JsonObject m = json(out.resolve("manifest-shard-0-of-1.json"));
		assertEquals("finished", m.get("state").getAsString());
		assertEquals("tiny-brightness", m.getAsJsonObject("model").get("id").getAsString());
		assertEquals(64, m.getAsJsonObject("model").get("sha256").getAsString().length());
		assertNotNull(m.getAsJsonObject("software").get("medcnn"));
		assertNotNull(m.get("started").getAsString());
		assertNotNull(m.get("ended").getAsString());
		JsonObject p = m.getAsJsonObject("parameters");
		for (String k : List.of("input_dir", "output_dir", "model", "recursive", "pattern", "shard_index", "shard_count", "resume", "overwrite", "device",
			"batch_size")) {
			assertTrue(p.has(k), "parameter " + k);
		}
		assertEquals(16, m.get("parameter_hash").getAsString().length());
		assertEquals(2, m.getAsJsonObject("counts").get("done").getAsInt());
		JsonArray files = m.getAsJsonArray("files");
		assertEquals(2, files.size());
		JsonObject a = files.get(0).getAsJsonObject();
		assertEquals("a.tif", a.get("source").getAsString());
		assertEquals("done", a.get("status").getAsString());
		assertEquals(3, a.get("slices").getAsInt());
		assertTrue(a.get("ms").getAsDouble() > 0);
		assertEquals("files/a.tif.tif", a.getAsJsonObject("outputs").get("tif").getAsString());
		JsonObject rec = json(out.resolve("files/a.tif.json"));
		assertEquals(m.get("parameter_hash").getAsString(), rec.get("parameter_hash").getAsString());
		assertEquals(m.getAsJsonObject("model").get("sha256").getAsString(), rec.getAsJsonObject("model").get("sha256").getAsString());

		assertTrue(r.out().contains("2 done, 0 resumed, 0 skipped (outputs exist), 0 failed"), r.out());
		assertTrue(r.err().contains("[1/2]") && r.err().contains("[2/2] 100%") && r.err().contains("files/s") && r.err().contains("ETA"), r.err());
		assertTrue(r.err().contains("done a.tif (3 slices)"), r.err());
	}

	@Test
	void saliencyWritesHeatmapsAndRegionsPerInput() throws Exception {
		Path in = dir.resolve("in");
		stack(in.resolve("a.tif"), 200, 10, 200);
		Path out = dir.resolve("out");
		Result r = batch(in, out, "--saliency", "grad_cam", "--quiet");
		assertEquals(0, r.code(), r.err());
		ij.ImagePlus heat = ij.IJ.openImage(out.resolve("files/a.tif_heatmap.tif").toString());
		assertEquals(3, heat.getStackSize(), "one map per slice");
		assertEquals(32, heat.getBitDepth());
		assertTrue(Files.readAllLines(out.resolve("files/a.tif_regions.csv")).size() >= 2, "regions of the bright slices");
		assertTrue(json(out.resolve("manifest-shard-0-of-1.json")).toString().contains("grad_cam"), "the manifest records the saliency setting");
		Result bad = batch(in, dir.resolve("out2"), "--saliency", "magic");
		assertEquals(2, bad.code());
		assertTrue(bad.err().contains("grad_cam"), bad.err());
	}

	@Test
	void recursivePatternAndSeriesFolders() throws Exception {
		Path in = smallFolder();
		Path series = Files.createDirectories(in.resolve("patient7"));
		for (int i = 1; i <= 3; i++) {
			short[] px = new short[32 * 32];
			Arrays.fill(px, (short) (i == 2 ? 10 : 200));
			new TinyDicom(32, 32, px).series("1.2.826.7").instance(i).axialAt(i * 2.5).write(series.resolve("IM" + i));
		}
		Path out = dir.resolve("out");
		Result r = batch(in, out, "--recursive", "--pattern", "*");
		// '*' takes notes.txt too, which fails; the rest is done.
		assertEquals(ExitCodes.PARTIAL, r.code(), r.err());
		JsonObject m = json(out.resolve("manifest-shard-0-of-1.json"));
		assertEquals(Map.of("a.tif", "done", "b.png", "done", "notes.txt", "failed", "patient7", "done", "sub/c.tif", "done"), statuses(m));
		assertTrue(Files.exists(out.resolve("files/sub__c.tif.tif")), "sub-folders flattened with __");
		List<List<String>> series7 = csv(out.resolve("files/patient7.csv"));
		assertEquals(4, series7.size(), "the series folder is one input of 3 slices");
		assertEquals(List.of("bright", "dark", "bright"), series7.subList(1, 4).stream().map(c -> c.get(HEADER.indexOf("predicted"))).toList());
		assertEquals("patient7", series7.get(1).get(0));
		List<List<String>> errors = csv(out.resolve("errors-shard-0-of-1.csv"));
		assertEquals(2, errors.size());
		assertEquals("notes.txt", errors.get(1).get(0));
		assertTrue(errors.get(1).get(1).contains(in.resolve("notes.txt").toString()), errors.toString());

		Path out2 = dir.resolve("out2");
		assertEquals(ExitCodes.OK, batch(in, out2, "--pattern", "*.tif").code());
		assertEquals(Map.of("a.tif", "done"), statuses(json(out2.resolve("manifest-shard-0-of-1.json"))));
	}

	@Test
	void shardsCoverEveryFileOnceAndMergeEqualsOneRun() throws Exception {
		Path in = dir.resolve("in");
		for (int i = 0; i < 7; i++) stack(in.resolve("f" + i + ".tif"), i % 2 == 0 ? 200 : 10, 10 + 25 * i);
		Path whole = dir.resolve("whole");
		assertEquals(ExitCodes.OK, batch(in, whole, "--batch-size", "2").code());
		Result m1 = merge(whole);
		assertEquals(ExitCodes.OK, m1.code(), m1.err());
		Path sharded = dir.resolve("sharded");
		for (int i = 0; i < 3; i++) {
			Result r = batch(in, sharded, "--shard-index", Integer.toString(i), "--shard-count", "3", "--batch-size", "2");
			assertEquals(ExitCodes.OK, r.code(), r.err());
			List<String> expected = new ArrayList<>();
			for (int k = i; k < 7; k += 3) expected.add("f" + k + ".tif");
			assertEquals(expected, new ArrayList<>(statuses(json(sharded.resolve("manifest-shard-" + i + "-of-3.json"))).keySet()),
				"shard " + i + " holds the files i, i+3, ... of the sorted list");
		}
		Result m3 = merge(sharded);
		assertEquals(ExitCodes.OK, m3.code(), m3.err());
		assertTrue(m3.out().contains("merged 3 shard(s): 7 input(s), 7 with results"), m3.out());
		List<List<String>> merged = withoutMs(sharded.resolve("results.csv"));
		assertEquals(15, merged.size());
		assertEquals(withoutMs(whole.resolve("results.csv")), merged, "three shards merged = one run");
		assertEquals(List.of(List.of("file", "error")), csv(sharded.resolve("errors.csv")));
		int src = HEADER.indexOf("source");
		List<String> order = merged.subList(1, merged.size()).stream().map(c -> c.get(src) + "#" + c.get(1)).toList();
		List<String> sorted = new ArrayList<>(order);
		sorted.sort(null);
		assertEquals(sorted, order, "sorted by source, then slice");
	}

	@Test
	void mergeRefusesMissingOrUnfinishedShardsUnlessAllowed() throws Exception {
		Path in = dir.resolve("in");
		for (int i = 0; i < 5; i++) stack(in.resolve("f" + i + ".tif"), 200);
		Path out = dir.resolve("out");
		assertEquals(ExitCodes.OK, batch(in, out, "--shard-index", "0", "--shard-count", "3").code());
		assertEquals(ExitCodes.OK, batch(in, out, "--shard-index", "2", "--shard-count", "3").code());
		Result refused = merge(out);
		assertEquals(ExitCodes.BAD_INPUT, refused.code());
		assertTrue(refused.err().contains("missing shard(s) [1]") && refused.err().contains("--allow-partial"), refused.err());
		assertFalse(Files.exists(out.resolve("results.csv")));
		// A killed shard: its manifest says running.
		Path m2 = out.resolve("manifest-shard-2-of-3.json");
		Files.writeString(m2, Files.readString(m2).replace("\"state\": \"finished\"", "\"state\": \"running\""));
		Result partial = merge(out, "--allow-partial");
		assertEquals(ExitCodes.PARTIAL, partial.code(), partial.err());
		assertTrue(partial.err().contains("left out missing shard(s) [1]") && partial.err().contains("shard 2 of 3 was killed (no process runs it)"), partial.err());
		assertEquals(4, csv(out.resolve("results.csv")).size(), "rows of shards 0 (f0, f3) and 2 (f2)");
		Result again = merge(out, "--allow-partial");
		assertEquals(ExitCodes.OUTPUT, again.code(), "results.csv exists");
		assertTrue(again.err().contains("--overwrite"), again.err());
		assertEquals(ExitCodes.BAD_INPUT, merge(dir.resolve("in")).code(), "no manifests");
		// Shards of another split in the same folder need --shard-count.
		Result split1 = batch(in, out, "--shard-count", "1");
		assertEquals(ExitCodes.PARTIAL, split1.code(), "per-file outputs of the 3-way split exist: skipped without --resume");
		assertTrue(split1.err().contains("same model and parameters") && split1.err().contains("--resume"), split1.err());
		assertTrue(split1.out().contains("2 done, 0 resumed, 3 skipped"), "f1.tif and f4.tif (shard 1 of 3) had no outputs: " + split1.out());
		Result resplit = batch(in, out, "--shard-count", "1", "--resume");
		assertEquals(ExitCodes.OK, resplit.code(), "resumed from the per-file outputs: " + resplit.err());
		assertTrue(resplit.out().contains("0 done, 5 resumed"), resplit.out());
		Result ambiguous = merge(out, "--overwrite");
		assertEquals(ExitCodes.BAD_INPUT, ambiguous.code());
		assertTrue(ambiguous.err().contains("[1, 3]"), ambiguous.err());
		assertEquals(ExitCodes.OK, merge(out, "--overwrite", "--shard-count", "1").code());
		assertEquals(6, csv(out.resolve("results.csv")).size());
	}

	@Test
	void mergeRefusesShardsThatSawDifferentInputs() throws Exception {
		Path in = dir.resolve("in");
		for (int i = 0; i < 4; i++) stack(in.resolve("f" + i + ".tif"), 200);
		Path out = dir.resolve("out");
		assertEquals(ExitCodes.OK, batch(in, out, "--shard-index", "0", "--shard-count", "2").code());
		stack(in.resolve("f9.tif"), 10); // added while the array job ran
		assertEquals(ExitCodes.OK, batch(in, out, "--shard-index", "1", "--shard-count", "2").code());
		Result r = merge(out);
		assertEquals(ExitCodes.BAD_INPUT, r.code());
		assertTrue(r.err().contains("different input lists") && r.err().contains("--resume"), r.err());
		// Rerunning both shards with --resume brings them in line.
		assertEquals(ExitCodes.OK, batch(in, out, "--shard-index", "0", "--shard-count", "2", "--resume").code());
		assertEquals(ExitCodes.OK, batch(in, out, "--shard-index", "1", "--shard-count", "2", "--resume").code());
		assertEquals(ExitCodes.OK, merge(out).code());
		assertEquals(6, csv(out.resolve("results.csv")).size());
	}

	@Test
	void rerunIsRefusedResumeKeepsAndOverwriteRedoes() throws Exception {
		Path in = smallFolder();
		Path out = dir.resolve("out");
		assertEquals(ExitCodes.OK, batch(in, out).code());
		Map<String, byte[]> before = snapshot(out);

		Result again = batch(in, out);
		assertEquals(ExitCodes.OUTPUT, again.code());
		assertEquals(1, again.errLines().size(), again.err());
		assertTrue(again.err().contains("manifest-shard-0-of-1.json") && again.err().contains("--resume") && again.err().contains("--overwrite"), again.err());
		assertSameFiles(before, out);

		Result resumed = batch(in, out, "--resume");
		assertEquals(ExitCodes.OK, resumed.code(), resumed.err());
		assertTrue(resumed.out().contains("0 done, 2 resumed"), resumed.out());
		assertTrue(resumed.err().contains("2 already done (resumed)"), resumed.err());
		for (String f : List.of("files/a.tif.tif", "files/a.tif.csv", "files/a.tif.json", "results-shard-0-of-1.csv")) {
			assertArrayEquals(before.get(f), Files.readAllBytes(out.resolve(f)), f + " kept as it was");
		}
		assertEquals(Map.of("a.tif", "resumed", "b.png", "resumed"), statuses(json(out.resolve("manifest-shard-0-of-1.json"))));

		Result redo = batch(in, out, "--overwrite");
		assertEquals(ExitCodes.OK, redo.code(), redo.err());
		assertTrue(redo.out().contains("2 done, 0 resumed"), redo.out());
		assertEquals(withoutMs(out.resolve("results-shard-0-of-1.csv")).size(), 5);
	}

	@Test
	void uncertaintyColumnsAndSettingsTakePartInResume() throws Exception {
		Path in = smallFolder();
		Path out = dir.resolve("out");
		Result r = batch(in, out, "--uncertainty", "tta", "--uncertainty-passes", "3", "--uncertainty-threshold", "0.5");
		assertEquals(ExitCodes.OK, r.code(), r.err());
		List<List<String>> rows = csv(out.resolve("results-shard-0-of-1.csv"));
		List<String> header = ResultColumns.header(List.of("dark", "bright"), true);
		assertEquals(header, rows.get(0));
		for (List<String> row : rows.subList(1, rows.size())) {
			double e = Double.parseDouble(row.get(header.indexOf("entropy")));
			assertEquals(e > 0.5 ? "1" : "0", row.get(header.indexOf("uncertain")), row.toString());
		}
		JsonObject manifest = json(out.resolve("manifest-shard-0-of-1.json"));
		assertEquals("tta", manifest.getAsJsonObject("parameters").get("uncertainty").getAsString());
		assertEquals(3, manifest.getAsJsonObject("result_parameters").get("uncertainty_passes").getAsInt());
		// Another seed gives other rows: the finished files are not resumed as if they matched.
		Result other = batch(in, out, "--resume", "--uncertainty", "tta", "--uncertainty-passes", "3", "--uncertainty-threshold", "0.5", "--uncertainty-seed", "9");
		assertEquals(ExitCodes.PARTIAL, other.code(), other.out() + other.err());
		assertTrue((other.out() + other.err()).contains("exist from other parameters"), other.out() + other.err());
		Result same = batch(in, out, "--resume", "--uncertainty", "tta", "--uncertainty-passes", "3", "--uncertainty-threshold", "0.5");
		assertEquals(ExitCodes.OK, same.code(), same.err());
		assertTrue(same.out().contains("0 done, 2 resumed"), same.out());
	}

	@Test
	void resumeRedoesInterruptedInputsAndLeavesChangedOnesUnlessOverwrite() throws Exception {
		Path in = smallFolder();
		Path out = dir.resolve("out");
		assertEquals(ExitCodes.OK, batch(in, out).code());
		// Outputs without their record (and without the marker a MedCNN run writes before them) are not
		// MedCNN's: they are left alone with --resume and --overwrite too. (A killed run leaves its marker:
		// BatchKillTest.)
		Files.delete(out.resolve("files/b.png.json"));
		byte[] userCsv = Files.readAllBytes(out.resolve("files/b.png.csv"));
		byte[] userTif = Files.readAllBytes(out.resolve("files/b.png.tif"));
		for (String flag : List.of("--resume", "--overwrite")) {
			Result kept = batch(in, out, flag);
			assertEquals(ExitCodes.PARTIAL, kept.code(), kept.err());
			assertTrue(kept.err().contains("no MedCNN record") && kept.err().contains("not replaced"), kept.err());
			assertArrayEquals(userCsv, Files.readAllBytes(out.resolve("files/b.png.csv")), flag);
			assertArrayEquals(userTif, Files.readAllBytes(out.resolve("files/b.png.tif")), flag);
			assertFalse(Files.exists(out.resolve("files/b.png.json")), flag);
		}
		Files.delete(out.resolve("files/b.png.csv"));
		Files.delete(out.resolve("files/b.png.tif"));
		Result r = batch(in, out, "--resume");
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertEquals(Map.of("a.tif", "resumed", "b.png", "done"), statuses(json(out.resolve("manifest-shard-0-of-1.json"))));

		// The input changed since: its old outputs are not the current result, and not replaced without --overwrite.
		png(in.resolve("b.png"), 32, 32, 200);
		Files.setLastModifiedTime(in.resolve("b.png"), java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
		byte[] oldCsv = Files.readAllBytes(out.resolve("files/b.png.csv"));
		Result changed = batch(in, out, "--resume");
		assertEquals(ExitCodes.PARTIAL, changed.code(), changed.err());
		assertTrue(changed.err().contains("skipped " + in.resolve("b.png")) && changed.err().contains("changed since") && changed.err().contains("--overwrite"),
			changed.err());
		assertArrayEquals(oldCsv, Files.readAllBytes(out.resolve("files/b.png.csv")));
		assertEquals(4, csv(out.resolve("results-shard-0-of-1.csv")).size(), "the shard CSV holds current results only");
		assertEquals(2, csv(out.resolve("errors-shard-0-of-1.csv")).size(), "the skipped file is listed with the reason");

		Result both = batch(in, out, "--resume", "--overwrite");
		assertEquals(ExitCodes.OK, both.code(), both.err());
		assertEquals(Map.of("a.tif", "resumed", "b.png", "done"), statuses(json(out.resolve("manifest-shard-0-of-1.json"))));
		assertEquals("bright", csv(out.resolve("files/b.png.csv")).get(1).get(HEADER.indexOf("predicted")));

		// Another batch size is another parameter set: the outputs count as existing.
		Result other = batch(in, out, "--resume", "--batch-size", "3");
		assertEquals(ExitCodes.PARTIAL, other.code());
		assertTrue(other.err().contains("other parameters"), other.err());
	}

	// -- Faults: each names the file, the batch goes on, the exit code says partial failure --

	/** Runs a folder of one good stack plus the damaged file and checks the damaged one is reported and the good one done. */
	private void assertFailsAlone(Path damaged, String... messageParts) throws Exception {
		Path in = damaged.getParent();
		stack(in.resolve("good.tif"), 200, 10);
		Path out = dir.resolve("out");
		Result r = batch(in, out);
		assertEquals(ExitCodes.PARTIAL, r.code(), r.err());
		assertEquals(7, r.code());
		String source = in.relativize(damaged).toString();
		Map<String, String> st = statuses(json(out.resolve("manifest-shard-0-of-1.json")));
		assertEquals("done", st.get("good.tif"), st.toString());
		assertEquals("failed", st.get(source), st.toString());
		List<List<String>> errors = csv(out.resolve("errors-shard-0-of-1.csv"));
		assertEquals(2, errors.size(), errors.toString());
		assertEquals(source, errors.get(1).get(0));
		String message = Files.readAllLines(out.resolve("errors-shard-0-of-1.csv")).get(1);
		assertTrue(message.contains(damaged.toString()), "the message names the file: " + message);
		for (String p : messageParts) assertTrue(message.contains(p), "'" + p + "' in: " + message);
		assertTrue(r.err().contains("FAILED " + damaged), r.err());
		assertEquals(3, csv(out.resolve("results-shard-0-of-1.csv")).size(), "the good file's rows");
		assertTrue(r.out().contains("1 done, 0 resumed, 0 skipped (outputs exist), 1 failed"), r.out());
		assertFalse(tree(out).stream().anyMatch(f -> f.startsWith("files/" + source)), "no outputs for the damaged file: " + tree(out));
	}

	@Test
	void truncatedTiff() throws Exception {
		Path whole = stack(dir.resolve("tmp/whole.tif"), 200, 10, 200, 10);
		byte[] b = Files.readAllBytes(whole);
		Path cut = Files.write(Files.createDirectories(dir.resolve("in")).resolve("cut.tif"), Arrays.copyOf(b, b.length / 2));
		assertFailsAlone(cut, "truncated TIFF");
	}

	@Test
	void jpegOfGarbageBytes() throws Exception {
		byte[] g = new byte[4000];
		new Random(1).nextBytes(g);
		g[0] = (byte) 0xFF;
		g[1] = (byte) 0xD8;
		g[2] = (byte) 0xFF;
		Path jpg = Files.write(Files.createDirectories(dir.resolve("in")).resolve("garbage.jpg"), g);
		assertFailsAlone(jpg, "JPEG");
	}

	@Test
	void dicomWithABadHeader() throws Exception {
		byte[] h = new byte[700];
		new Random(3).nextBytes(h);
		Arrays.fill(h, 0, 128, (byte) 0);
		h[128] = 'D';
		h[129] = 'I';
		h[130] = 'C';
		h[131] = 'M';
		Path dcm = Files.write(Files.createDirectories(dir.resolve("in")).resolve("bad.dcm"), h);
		assertFailsAlone(dcm, "DICOM");
	}

	@Test
	void compressedDicomSample() throws Exception {
		Path sample = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-osirix-cta-jpeg2000/osirix-toutatix-100.dcm");
		Path copy = Files.copy(sample, Files.createDirectories(dir.resolve("in")).resolve("cta-j2k.dcm"));
		assertFailsAlone(copy, "JPEG 2000", "Bio-Formats");
	}

	@Test
	void emptyFile() throws Exception {
		Path empty = Files.createFile(Files.createDirectories(dir.resolve("in")).resolve("empty.png"));
		assertFailsAlone(empty, "empty");
	}

	@Test
	void onePixelImage() throws Exception {
		Path one = png(dir.resolve("in/one.png"), 1, 1, 200);
		assertFailsAlone(one, "1x1");
	}

	@Test
	void folderWithNoImages() throws Exception {
		Path in = Files.createDirectories(dir.resolve("in"));
		Files.writeString(in.resolve("notes.txt"), "x");
		Files.createDirectories(in.resolve("empty-sub"));
		Path out = dir.resolve("out");
		Result r = batch(in, out, "--recursive");
		assertEquals(ExitCodes.BAD_INPUT, r.code());
		assertEquals(3, r.code());
		assertEquals(1, r.errLines().size(), r.err());
		assertTrue(r.err().contains(in.toString()) && r.err().contains("no input files"), r.err());
		assertFalse(Files.exists(out), "nothing written");
		Result missing = batch(dir.resolve("nowhere"), out);
		assertEquals(3, missing.code());
		assertTrue(missing.err().contains("nowhere") && missing.err().contains("not found"), missing.err());
	}

	@Test
	void unwritableOutputFolder() throws Exception {
		Path in = smallFolder();
		// Under a regular file: fails for root too (a read-only folder would not stop root).
		Path file = Files.writeString(dir.resolve("a-file"), "x");
		Result r = batch(in, file.resolve("sub"));
		assertEquals(ExitCodes.OUTPUT, r.code());
		assertEquals(5, r.code());
		assertEquals(1, r.errLines().size(), r.err());
		assertTrue(r.err().contains(file.resolve("sub").toString()) && r.err().contains("is a file, not a folder"), r.err());
	}

	@Test
	void modelThatFailsToLoadLosesNothing() throws Exception {
		Path in = smallFolder();
		Path out = dir.resolve("out");
		assertEquals(ExitCodes.OK, batch(in, out).code());
		Map<String, byte[]> before = snapshot(out);
		Path pkg = Fixtures.copyTinyModel(dir.resolve("models"));
		Files.write(pkg.resolve("head.bin"), new byte[] {9}, StandardOpenOption.APPEND);
		stack(in.resolve("new.tif"), 200);
		Result r = ClassifyCliTest.cli("batch", "--input-dir", in.toString(), "--output-dir", out.toString(), "--model", pkg.toString(), "--device",
			"cpu", "--resume");
		assertEquals(ExitCodes.MODEL, r.code());
		assertEquals(4, r.code());
		assertEquals(1, r.errLines().size(), r.err());
		assertTrue(r.err().contains(pkg.resolve("head.bin").toString()) && r.err().contains("sha256 mismatch"), r.err());
		assertSameFiles(before, out);
	}

	@Test
	void everyFaultAtOnceAndOnlyBadFiles() throws Exception {
		Path in = Files.createDirectories(dir.resolve("in"));
		Files.createFile(in.resolve("empty.tif"));
		png(in.resolve("one.png"), 1, 1, 10);
		Files.write(in.resolve("x.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
		Path out = dir.resolve("out");
		Result r = batch(in, out);
		assertEquals(ExitCodes.BAD_INPUT, r.code(), "no input could be classified: " + r.err());
		assertEquals(4, csv(out.resolve("errors-shard-0-of-1.csv")).size());
		assertEquals(List.of(HEADER), csv(out.resolve("results-shard-0-of-1.csv")));
		stack(in.resolve("ok.tif"), 10);
		Result again = batch(in, out, "--resume");
		assertEquals(ExitCodes.PARTIAL, again.code(), again.err());
		assertTrue(again.out().contains("1 done, 0 resumed, 0 skipped (outputs exist), 3 failed"), again.out());
	}

	@Test
	void badOptionsAreUsageErrors() throws Exception {
		Path in = smallFolder();
		Path out = dir.resolve("out");
		Result index = batch(in, out, "--shard-index", "3", "--shard-count", "3");
		assertEquals(ExitCodes.USAGE, index.code());
		assertTrue(index.err().contains("--shard-index"), index.err());
		assertEquals(ExitCodes.USAGE, batch(in, out, "--batch-size", "0").code());
		assertEquals(ExitCodes.USAGE, batch(in, out, "--device", "quantum").code());
		Result same = batch(in, in);
		assertEquals(ExitCodes.USAGE, same.code());
		assertTrue(same.err().contains("is the input folder"), same.err());
		assertEquals(ExitCodes.USAGE, batch(in, out, "--pattern", "[a-").code());
		assertFalse(Files.exists(out));
	}

	@Test
	void emptyShardWritesHeaderOnlyAndMergesCleanly() throws Exception {
		Path in = dir.resolve("in");
		stack(in.resolve("only.tif"), 200);
		Path out = dir.resolve("out");
		assertEquals(ExitCodes.OK, batch(in, out, "--shard-index", "0", "--shard-count", "2").code());
		Result empty = batch(in, out, "--shard-index", "1", "--shard-count", "2");
		assertEquals(ExitCodes.OK, empty.code(), empty.err());
		assertEquals(List.of(HEADER), csv(out.resolve("results-shard-1-of-2.csv")));
		assertEquals(ExitCodes.OK, merge(out).code());
		assertEquals(2, csv(out.resolve("results.csv")).size());
	}
}
