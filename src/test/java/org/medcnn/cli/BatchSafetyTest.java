package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.medcnn.testing.TinyImages.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.cli.ClassifyCliTest.Result;

/**
 * A batch never writes into its input tree, and {@code --resume} and {@code --overwrite} replace only
 * what a MedCNN record or manifest shows MedCNN wrote.
 */
class BatchSafetyTest {

	@TempDir
	Path dir;

	@Test
	void theOutputFolderMayNeitherLieInTheInputTreeNorHoldIt() throws Exception {
		Path in = dir.resolve("in");
		stack(in.resolve("a.tif"), 200);
		stack(in.resolve("deep/b.tif"), 10);
		Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
		Path linkIntoInput = Files.createSymbolicLink(elsewhere.resolve("to-in"), in.resolve("deep"));
		for (Path out : List.of(in, in.resolve("out"), in.resolve("deep/out"), in.resolve("./x/../out"), linkIntoInput.resolve("out"), linkIntoInput,
			dir, dir.resolve("."))) {
			Result r = BatchCliTest.batch(in, out, "--recursive");
			assertEquals(ExitCodes.USAGE, r.code(), out + ": " + r.err());
			assertEquals(1, r.errLines().size(), r.err());
			assertTrue(r.err().contains("use a folder outside the input folder"), r.err());
		}
		// An output folder whose files/ is a link into the input tree.
		Path sneaky = Files.createDirectories(dir.resolve("sneaky"));
		Files.createSymbolicLink(sneaky.resolve("files"), in.resolve("deep"));
		Result r = BatchCliTest.batch(in, sneaky, "--recursive");
		assertEquals(ExitCodes.USAGE, r.code(), r.err());
		assertTrue(r.err().contains("files folder leads into the input folder"), r.err());
		assertEquals(List.of("a.tif", "deep/b.tif"), BatchCliTest.tree(in), "nothing was written into the input tree");
	}

	@Test
	void resumeOnAFolderWithoutAManifestLeavesTheUsersFilesAlone() throws Exception {
		Path in = dir.resolve("in");
		stack(in.resolve("a.tif"), 200, 10);
		stack(in.resolve("b.tif"), 10);
		Path out = dir.resolve("out");
		// The user's own file where a.tif's output would go, in a folder no MedCNN run has written.
		Path mine = Files.writeString(Files.createDirectories(out.resolve("files")).resolve("a.tif.tif"), "my own notes");
		Path mineCsv = Files.writeString(out.resolve("files/a.tif.csv"), "also mine");
		for (String flag : List.of("--resume", "--overwrite")) {
			Result r = BatchCliTest.batch(in, out, flag);
			assertEquals(ExitCodes.PARTIAL, r.code(), flag + ": " + r.err());
			assertTrue(r.err().contains("skipped " + in.resolve("a.tif") + ": files/a.tif.tif, files/a.tif.csv exist, but no MedCNN record"), r.err());
			assertEquals("my own notes", Files.readString(mine), flag);
			assertEquals("also mine", Files.readString(mineCsv), flag);
			Map<String, String> st = BatchCliTest.statuses(BatchCliTest.json(out.resolve("manifest-shard-0-of-1.json")));
			assertEquals(Map.of("a.tif", "skipped-existing", "b.tif", flag.equals("--resume") ? "done" : "done"), st);
		}
	}

	@Test
	void shardFilesWithoutAMedCnnManifestAreNotReplaced() throws Exception {
		Path in = dir.resolve("in");
		stack(in.resolve("a.tif"), 200);
		Path out = Files.createDirectories(dir.resolve("out"));
		Path results = Files.writeString(out.resolve("results-shard-0-of-1.csv"), "somebody else's table\n");
		for (String flag : List.of("--resume", "--overwrite", "--quiet")) {
			Result r = BatchCliTest.batch(in, out, flag);
			assertEquals(ExitCodes.OUTPUT, r.code(), flag + ": " + r.err());
			assertTrue(r.err().contains("results-shard-0-of-1.csv: exists, but no MedCNN manifest"), r.err());
		}
		assertEquals("somebody else's table\n", Files.readString(results));
		assertFalse(Files.exists(out.resolve("manifest-shard-0-of-1.json")));
		// A file named like the manifest that is not one is not replaced either.
		Files.delete(results);
		Path fake = Files.writeString(out.resolve("manifest-shard-0-of-1.json"), "{\"mine\": true}");
		byte[] before = Files.readAllBytes(fake);
		Result r = BatchCliTest.batch(in, out, "--overwrite");
		assertEquals(ExitCodes.OUTPUT, r.code(), r.err());
		assertTrue(r.err().contains("is not a MedCNN batch manifest"), r.err());
		assertArrayEquals(before, Files.readAllBytes(fake));
	}
}
