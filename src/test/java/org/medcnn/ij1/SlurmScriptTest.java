package org.medcnn.ij1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TinyImages;

/**
 * {@code scripts/slurm-batch.sh} without a cluster: its shard and merge steps run with a stand-in for
 * Fiji's launcher that runs plain ImageJ 1.x under Xvfb (the same macro, the same arguments), and its
 * submit step with a stand-in {@code sbatch} that records what it was asked. On a real SLURM cluster:
 * {@link org.medcnn.app.batch.SlurmClusterTest}.
 */
class SlurmScriptTest {

	@TempDir
	Path tmp;

	/** Exit code and output of the script. */
	record Run(int code, String output) {}

	private Run script(Map<String, String> env, String... args) throws Exception {
		List<String> cmd = new ArrayList<>(List.of("bash", Paths.get("scripts/slurm-batch.sh").toAbsolutePath().toString()));
		cmd.addAll(List.of(args));
		ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
		pb.environment().keySet().removeIf(k -> k.startsWith("SLURM_") || k.equals("MEDCNN_MACRO"));
		pb.environment().putAll(env);
		Path log = Files.createTempFile(tmp, "script-", ".log");
		Process p = pb.redirectOutput(log.toFile()).start();
		boolean finished = p.waitFor(5, TimeUnit.MINUTES);
		if (!finished) {
			p.descendants().forEach(ProcessHandle::destroyForcibly);
			p.destroyForcibly();
		}
		String out = Files.readString(log, StandardCharsets.UTF_8);
		assertTrue(finished, "the script finished within 5 minutes; it printed:\n" + out);
		return new Run(p.exitValue(), out);
	}

	private static Path executable(Path file, String text) throws Exception {
		Files.writeString(file, text);
		Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
		return file;
	}

	/** ImageJ-linux64 --headless --console -macro MACRO ARGS, played by plain ImageJ 1.x with -batch under Xvfb. */
	private Path fakeFiji(Path xvfb) throws Exception {
		Path ij = Files.createDirectories(tmp.resolve("imagej"));
		MacroBridgeTest.writeBridgeJar(Files.createDirectories(ij.resolve("plugins")));
		String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
		return executable(tmp.resolve("ImageJ-linux64"), "#!/usr/bin/env bash\n"
			+ "[[ \"$1 $2 $3\" == \"--headless --console -macro\" && $# -eq 5 ]] || { echo \"fake Fiji: unexpected arguments: $*\" >&2; exit 9; }\n"
			+ "exec '" + xvfb + "' -a '" + java + "' -Dplugins.dir='" + ij + "' -Dai.djl.offline=true '" + Fixtures.cacheDirOption() + "' -cp '" + System.getProperty("java.class.path")
			+ "' ij.ImageJ -batch \"$4\" \"$5\"\n");
	}

	@Test
	void shardTasksThenMerge() throws Exception {
		Path xvfb = MacroBridgeTest.xvfbRun();
		Assumptions.assumeTrue(xvfb != null, "skipped: xvfb-run is not installed (apt-get install xvfb); .ci/run installs it");
		Path fiji = fakeFiji(xvfb);
		Path in = tmp.resolve("in");
		TinyImages.stack(in.resolve("a.tif"), 200);
		TinyImages.png(in.resolve("b.png"), 32, 32, 10);
		TinyImages.stack(in.resolve("c.tif"), 10);
		Files.createFile(in.resolve("empty.tif"));
		Path out = tmp.resolve("out");
		String model = Fixtures.tinyModel().toString();
		// Task i is shard i, whatever else the array holds (a resubmitted --array=1 has one task, numbered 1).
		Run task1 = script(Map.of("FIJI", fiji.toString(), "SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_COUNT", "1"),
			"shard", in.toString(), out.toString(), model, "2", "device=cpu");
		assertEquals(0, task1.code(), task1.output());
		assertTrue(task1.output().contains("medcnn: shard-0-of-2 finished"), task1.output());
		Run merge1 = script(Map.of("FIJI", fiji.toString()), "merge", out.toString());
		assertEquals(1, merge1.code(), "shard 1 has not run: " + merge1.output());
		assertTrue(merge1.output().contains("missing shard(s) [1]"), merge1.output());
		Run partial = script(Map.of("FIJI", fiji.toString()), "merge", out.toString(), "allow_partial");
		assertEquals(7, partial.code(), "merged without shard 1: " + partial.output());
		assertTrue(partial.output().contains("without 1 missing or unfinished shard(s)"), partial.output());
		// Held by another process (an earlier copy of the task): refused, exit 8, and nothing written.
		try (org.medcnn.app.batch.ShardLock held = org.medcnn.app.batch.ShardLock.acquire(Files.createDirectories(out), 1, 2, "an earlier copy")) {
			Run copy = script(Map.of("FIJI", fiji.toString(), "SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_COUNT", "1"),
				"shard", in.toString(), out.toString(), model, "2", "device=cpu");
			assertEquals(8, copy.code(), copy.output());
			assertTrue(copy.output().contains("shard 1 of 2 is being written by process " + ProcessHandle.current().pid())
				&& copy.output().contains("shard-1-of-2 not started"), copy.output());
			assertFalse(Files.exists(out.resolve("manifest-shard-1-of-2.json")), copy.output());
		}
		Run task2 = script(Map.of("FIJI", fiji.toString(), "SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_COUNT", "1"),
			"shard", in.toString(), out.toString(), model, "2", "device=cpu");
		assertEquals(7, task2.code(), "empty.tif (shard 1) fails: " + task2.output());
		assertTrue(task2.output().contains("1 input(s) failed or were skipped"), task2.output());
		Run merge2 = script(Map.of("FIJI", fiji.toString()), "merge", out.toString(), "overwrite");
		assertEquals(7, merge2.code(), "merged; empty.tif failed: " + merge2.output());
		assertTrue(merge2.output().contains("1 input(s) failed or were skipped, see " + out.resolve("errors.csv")), merge2.output());
		List<List<String>> rows = TinyImages.csv(out.resolve("results.csv"));
		assertEquals(4, rows.size(), "header + a.tif, b.png, c.tif");
		Run again = script(Map.of("FIJI", fiji.toString()), "merge", out.toString());
		assertEquals(1, again.code(), "results.csv exists and is not replaced: " + again.output());
		assertEquals(7, script(Map.of("FIJI", fiji.toString()), "merge", out.toString(), "overwrite").code());
		// A rerun whose model cannot load must not pass for finished because an earlier manifest is.
		Run broken = script(Map.of("FIJI", fiji.toString(), "SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_COUNT", "2"),
			"shard", in.toString(), out.toString(), "no-such-model", "2", "device=cpu");
		assertEquals(1, broken.code(), broken.output());
		assertTrue(broken.output().contains("no-such-model") && broken.output().contains("shard-0-of-2 did not finish"), broken.output());
	}

	@Test
	void submitQueuesTheArrayAndAMergeThatWaitsForIt() throws Exception {
		Path bin = Files.createDirectories(tmp.resolve("bin"));
		Path calls = tmp.resolve("sbatch-calls");
		executable(bin.resolve("sbatch"), "#!/usr/bin/env bash\n"
			+ "echo \"$*\" >> '" + calls + "'\n"
			+ "n=$(wc -l < '" + calls + "'); echo $((1000 + n))\n");
		Path in = Files.createDirectories(tmp.resolve("in"));
		Run r = script(Map.of("PATH", bin + ":" + System.getenv("PATH"), "FIJI", "/opt/Fiji.app/ImageJ-linux64"), "submit", in.toString(),
			tmp.resolve("out").toString(), "lung-ct", "3", "device=cpu", "recursive");
		assertEquals(0, r.code(), r.output());
		List<String> lines = Files.readAllLines(calls);
		assertEquals(2, lines.size(), lines.toString());
		assertTrue(lines.get(0).contains("--array=0-2") && lines.get(0).endsWith("shard " + in + " " + tmp.resolve("out") + " lung-ct 3 device=cpu recursive"),
			lines.get(0));
		assertTrue(lines.get(0).contains("MEDCNN_MACRO=" + Paths.get("macros/batch-folder.ijm").toAbsolutePath()), lines.get(0));
		assertTrue(lines.get(1).contains("--dependency=afterany:1001") && lines.get(1).contains("MEDCNN_ARRAY_JOB=1001")
			&& lines.get(1).endsWith("merge " + tmp.resolve("out")), lines.get(1));
		assertTrue(r.output().contains("job 1001") && r.output().contains("job 1002"), r.output());
		Run bad = script(Map.of("PATH", bin + ":" + System.getenv("PATH")), "submit", in.toString(), tmp.resolve("out").toString(), "lung-ct", "zero");
		assertEquals(2, bad.code(), bad.output());

		// Resubmitting tasks 1 and 2 of the same 3 shards: the task numbers are the shards; the new merge replaces results.csv.
		Run again = script(Map.of("PATH", bin + ":" + System.getenv("PATH"), "FIJI", "/opt/Fiji.app/ImageJ-linux64"), "resubmit", in.toString(),
			tmp.resolve("out").toString(), "lung-ct", "3", "1,2", "device=cpu");
		assertEquals(0, again.code(), again.output());
		lines = Files.readAllLines(calls);
		assertTrue(lines.get(2).contains("--array=1,2") && lines.get(2).endsWith("shard " + in + " " + tmp.resolve("out") + " lung-ct 3 device=cpu"), lines.get(2));
		assertTrue(lines.get(3).contains("--dependency=afterany:1003") && lines.get(3).endsWith("merge " + tmp.resolve("out") + " overwrite"), lines.get(3));
		Run noSuchTask = script(Map.of("PATH", bin + ":" + System.getenv("PATH")), "resubmit", in.toString(), tmp.resolve("out").toString(), "lung-ct", "3", "3");
		assertEquals(2, noSuchTask.code(), noSuchTask.output());
		assertTrue(noSuchTask.output().contains("task 3 does not exist: the tasks of 3 shards are 0-2"), noSuchTask.output());

		// The command line instead of Fiji: the macro's keys are checked at submit time.
		Path medcnn = executable(tmp.resolve("medcnn"), "#!/usr/bin/env bash\nexit 0\n");
		Run unknown = script(Map.of("PATH", bin + ":" + System.getenv("PATH"), "MEDCNN", medcnn.toString()), "submit", in.toString(), tmp.resolve("out").toString(),
			"lung-ct", "3", "device=cpu", "colour=red");
		assertEquals(2, unknown.code(), unknown.output());
		assertTrue(unknown.output().contains("unknown key 'colour=red'"), unknown.output());
		assertEquals(4, Files.readAllLines(calls).size(), "nothing submitted");
	}

	@Test
	void commandLineShardTaskGetsTheKeysAsOptions() throws Exception {
		// A stand-in medcnn that prints its arguments and fails as a refused run does (exit 8).
		Path medcnn = executable(tmp.resolve("medcnn"), "#!/usr/bin/env bash\nfor a in \"$@\"; do echo \"arg[$a]\"; done\nexit 8\n");
		Path out = Files.createDirectories(tmp.resolve("out"));
		Run r = script(Map.of("MEDCNN", medcnn.toString(), "SLURM_ARRAY_TASK_ID", "2"), "shard", "/data/in dir", out.toString(), "lung-ct", "3",
			"device=cpu", "batch_size=16", "pattern=*.nii.gz", "recursive", "overwrite=false", "resume");
		assertEquals(8, r.code(), r.output());
		assertTrue(r.output().contains("arg[batch]\narg[--input-dir]\narg[/data/in dir]\narg[--output-dir]\narg[" + out + "]\narg[--model]\narg[lung-ct]\n"
			+ "arg[--shard-index]\narg[2]\narg[--shard-count]\narg[3]\narg[--resume]\narg[--device]\narg[cpu]\narg[--batch-size]\narg[16]\n"
			+ "arg[--pattern]\narg[*.nii.gz]\narg[--recursive]\nmedcnn:"), r.output());
		assertTrue(r.output().contains("shard-2-of-3 not started: another live process writes this shard"), r.output());
		Run outside = script(Map.of("MEDCNN", medcnn.toString(), "SLURM_ARRAY_TASK_ID", "3"), "shard", "/data/in", out.toString(), "lung-ct", "3");
		assertEquals(2, outside.code(), outside.output());
		assertTrue(outside.output().contains("array task 3 is not a shard of 3 (tasks 0-2)"), outside.output());
	}
}
