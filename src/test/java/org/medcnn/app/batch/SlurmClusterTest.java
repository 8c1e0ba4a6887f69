package org.medcnn.app.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.app.MedCnnException;
import org.medcnn.cli.MedCnnCli;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.SlurmCluster;
import org.opentest4j.TestAbortedException;

/**
 * {@code scripts/slurm-batch.sh} on a real one-node SLURM cluster ({@link SlurmCluster}): a 4-task job array
 * and its merge job over a folder of real images from {@code ../shared/data}, through the command line and
 * through headless Fiji (ImageJ2 + imagej-legacy from {@code ../shared/imagej2} with MedCNN installed into a
 * {@code Fiji.app}), with the faults a cluster produces: a task preempted by an urgent job and requeued, a
 * task frozen mid-write ({@code scontrol suspend}) while a restarted copy of it starts, a running task
 * requeued ({@code scontrol requeue}), a task cancelled ({@code scancel}) and resubmitted, and a shard whose
 * inputs are all corrupt. Each merged {@code results.csv} must equal a single-process {@code medcnn batch}
 * of the same folder, and every task's exit code, as SLURM records it, must be the one the script documents.
 * Skipped, with the reason, where the shared data or SLURM (and munge) are missing or cannot be started.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlurmClusterTest {

	private static final int SHARDS = 4;
	/** Inputs per shard: shards 0-2 hold real images with a long stack third; shard 3 only corrupt files. */
	private static final int PER_SHARD = 10;
	/**
	 * Slices of each long stack: long enough to stop its task in the middle of it, whatever the machine:
	 * about 4-5 s of inference on a quiet 2-core machine (120 slices, under a second there, were done
	 * before a preemption reached the task). Small slices (64 x 64, resized by the model like any other)
	 * keep the files small.
	 */
	private static final int STACK_SLICES = 600;
	private static final String MODEL = "brain-tumor-mri";
	private static final Duration STEP = Duration.ofMinutes(3);

	/** One folder for the class: the cluster, the inputs and the reference serve both tests. */
	@TempDir
	static Path tmp;

	private SlurmCluster cluster;
	private Path in;
	/** Input names by shard, in the order the shard processes them. */
	private final Map<Integer, List<String>> shards = new TreeMap<>();
	/** The single-process run of the same folder. */
	private Path reference;

	/** Why the tests skip (null: they run); found once, reported by each test. */
	private String skip;

	@BeforeAll
	void startClusterAndMakeData() throws Exception {
		// A skip here would only hide the class (surefire counts no test): each test reports it instead.
		try {
			setUp();
		} catch (TestAbortedException e) {
			skip = e.getMessage();
			System.out.println("SlurmClusterTest: " + skip);
		}
	}

	@BeforeEach
	void skipWithTheReason() {
		Assumptions.assumeTrue(skip == null, skip);
	}

	private void setUp() throws Exception {
		Path samples = Fixtures.sharedOrSkip("data/samples");
		Path training = Fixtures.sharedOrSkip("data/brain-tumor-mri-sartaj/Training");
		// munged runs as the user munge, which must reach its socket in the cluster's folder.
		Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
		cluster = SlurmCluster.startOrSkip(tmp.resolve("cluster"));
		in = makeInputs(samples, training, tmp.resolve("in"));
		reference = tmp.resolve("reference");
		long t0 = System.nanoTime();
		StringWriter err = new StringWriter();
		int code = MedCnnCli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "batch", "--input-dir", in.toString(), "--output-dir",
			reference.toString(), "--model", MODEL, "--models-dir", Paths.get("models").toAbsolutePath().toString(), "--device", "cpu", "--quiet");
		assertEquals(7, code, "the corrupt inputs fail, the rest is done: " + err);
		assertEquals(7, MedCnnCli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "merge", "--output-dir", reference.toString()));
		System.out.printf("SlurmClusterTest: single-process batch of %d inputs took %.1f s%n", SHARDS * PER_SHARD, (System.nanoTime() - t0) / 1e9);
	}

	@AfterAll
	void stopCluster() {
		if (cluster != null) cluster.close();
	}

	/**
	 * The command-line path, with every fault: the merge of the array, which ran while one shard was
	 * cancelled, refuses and names it; the merge after the resubmitted task equals the single-process run,
	 * and every interrupted shard kept the inputs it had finished.
	 */
	@Test
	void commandLineArrayThroughPreemptionRequeueCancelAndACopyOfATask() throws Exception {
		Path out = tmp.resolve("cli-out");
		Path logs = Files.createDirectories(tmp.resolve("cli-logs"));
		Map<String, String> env = Map.of("MEDCNN", medcnnLauncher().toString(), "SBATCH_EXTRA", "--cpus-per-task=1 --mem=1G --hold");
		long t0 = System.nanoTime();
		String[] ids = submit(logs, env, "submit", in.toString(), out.toString(), MODEL, Integer.toString(SHARDS), "device=cpu");
		String array = ids[0];
		String merge = ids[1];

		// Shard 3: every input corrupt. The task finishes with exit 7.
		cluster.ok("scontrol", "release", task(array, 3));
		cluster.ok("scontrol", "release", task(array, 0));
		Map<String, String> t3 = cluster.awaitEnd(task(array, 3), STEP);
		assertEquals("FAILED", t3.get("JobState"), t3.toString());
		assertEquals("7:0", t3.get("ExitCode"), "a shard whose inputs all fail exits 7: " + log(logs, array, 3));

		// Preemption: an urgent job that needs every CPU preempts task 0 in the middle of its stack; SLURM
		// requeues it (SIGTERM: the manifest says cancelled) and it restarts after the urgent job.
		awaitStackStarted(out, array, 0);
		Map<String, byte[]> kept0 = finishedRecords(out, 0);
		String urgent = cluster.ok("sbatch", "--parsable", "--partition=urgent", "--cpus-per-task=" + cluster.cpus(), "--mem=1G", "--output=/dev/null",
			"--wrap=sleep 1").trim();
		Map<String, String> preempted = cluster.await(task(array, 0), "requeued", j -> j.get("JobState").equals("PENDING") && !j.get("Restarts").equals("0"), STEP);
		assertInterrupted(out, 0, kept0, "preempted");
		assertEquals("COMPLETED", cluster.awaitEnd(urgent, STEP).get("JobState"));
		// A requeued task waits about two minutes (its begin time) before SLURM starts it again.
		assertTrue(preempted.get("Reason").contains("BeginTime"), preempted.toString());
		cluster.ok("scontrol", "update", "JobId=" + task(array, 0), "StartTime=now");

		// A copy of a task started while the task still writes: task 1 is frozen in the middle of its stack
		// (scontrol suspend: SIGSTOP, as suspend-preemption does; it keeps its lock) and a restarted copy of
		// shard 1 runs on the CPU it frees. The copy is refused (exit 8), names task 1, and writes nothing.
		cluster.ok("scontrol", "release", task(array, 1));
		awaitStackStarted(out, array, 1);
		cluster.ok("scontrol", "suspend", task(array, 1));
		Map<String, String> before = snapshot(out, 1);
		String copy = cluster.run(logs, env(env, "SBATCH_EXTRA", ""), Duration.ofSeconds(30), "sbatch", "--parsable", "--array=1", "--cpus-per-task=1", "--mem=1G",
			"--output=copy-%A_%a.log", script(), "shard", in.toString(), out.toString(), MODEL, Integer.toString(SHARDS), "device=cpu").output().trim();
		Map<String, String> refused = cluster.awaitEnd(copy + "_1", STEP);
		String copyLog = Files.readString(logs.resolve("copy-" + copy + "_1.log"));
		assertEquals("8:0", refused.get("ExitCode"), "the copy is refused while task 1 holds the shard: " + copyLog);
		assertTrue(copyLog.contains("shard 1 of 4 is being written by process") && copyLog.contains("(SLURM job " + task(array, 1) + ", job id "), copyLog);
		assertEquals(before, snapshot(out, 1), "the refused copy wrote nothing of shard 1");
		// Task 1 goes on, and is requeued while it runs (scontrol requeue): it restarts and resumes.
		cluster.ok("scontrol", "resume", task(array, 1));
		awaitNotStopped(out, 1);
		Map<String, byte[]> kept1 = finishedRecords(out, 1);
		cluster.ok("scontrol", "requeue", task(array, 1));
		cluster.await(task(array, 1), "requeued", j -> j.get("JobState").equals("PENDING") && !j.get("Restarts").equals("0"), STEP);
		assertInterrupted(out, 1, kept1, "requeued");
		cluster.ok("scontrol", "update", "JobId=" + task(array, 1), "StartTime=now");

		// scancel in the middle of task 2's stack; it is resubmitted (held until the first merge has run).
		cluster.ok("scontrol", "release", task(array, 2));
		awaitStackStarted(out, array, 2);
		Map<String, byte[]> kept2 = finishedRecords(out, 2);
		cluster.ok("scancel", task(array, 2));
		Map<String, String> cancelled = cluster.awaitEnd(task(array, 2), STEP);
		assertEquals("CANCELLED 143:0", cancelled.get("JobState") + " " + cancelled.get("ExitCode"), "SIGTERM: the task stopped cleanly");
		assertInterrupted(out, 2, kept2, "cancelled");
		String[] again = submit(logs, env, "resubmit", in.toString(), out.toString(), MODEL, Integer.toString(SHARDS), "2", "device=cpu");

		// The array's merge job runs once every task has ended: shard 2 was cancelled, so it refuses.
		cluster.ok("scontrol", "release", merge);
		Map<String, String> m1 = cluster.awaitEnd(merge, STEP);
		String m1Log = Files.readString(logs.resolve("medcnn-merge-" + merge + ".log"));
		assertEquals("1:0", m1.get("ExitCode"), m1Log);
		assertTrue(m1Log.contains("task 3: FAILED, exit code 7"), "the merge job's log shows task 3's exit code 7: " + m1Log);
		assertTrue(m1Log.contains("task 2: CANCELLED, exit code 143") && m1Log.contains("unfinished shard(s) [2]"), m1Log);
		for (int s : List.of(0, 1)) {
			Map<String, String> t = cluster.job(task(array, s));
			assertEquals("COMPLETED 0:0 1", t.get("JobState") + " " + t.get("ExitCode") + " " + t.get("Restarts"), "task " + s + " restarted once and finished");
			String l = log(logs, array, s);
			assertTrue(l.contains("stopped by a signal") && l.contains("medcnn: shard-" + s + "-of-4 finished"), "its log keeps both runs: " + l);
		}

		// The resubmitted task and its merge.
		cluster.ok("scontrol", "release", task(again[0], 2));
		cluster.ok("scontrol", "release", again[1]);
		Map<String, String> m2 = cluster.awaitEnd(again[1], STEP);
		String m2Log = Files.readString(logs.resolve("medcnn-merge-" + again[1] + ".log"));
		assertEquals("0:0", cluster.job(task(again[0], 2)).get("ExitCode"), log(logs, again[0], 2));
		assertEquals("7:0", m2.get("ExitCode"), "merged; shard 3's inputs failed: " + m2Log);
		assertTrue(m2Log.contains("shard-3-of-4: finished, " + PER_SHARD + " input(s) failed or skipped"), m2Log);
		System.out.printf("SlurmClusterTest: command-line array with its faults and two merges took %.1f s%n", (System.nanoTime() - t0) / 1e9);

		for (int s = 0; s < 3; s++) assertResumed(out, s, List.of(kept0, kept1, kept2).get(s));
		assertSameAsReference(out);
		try (Stream<Path> owners = Files.list(out)) {
			assertEquals(List.of(), owners.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".medcnn-owner-")).toList(), "no run still owns a shard");
		}
	}

	/** The Fiji path: the same array with headless Fiji, as a user's Fiji.app runs it. */
	@Test
	void fijiArrayEqualsOneProcess() throws Exception {
		Path imagej2 = Fixtures.sharedOrSkip("imagej2");
		Path fiji = fijiApp(imagej2, tmp.resolve("fiji"));
		Path out = tmp.resolve("fiji-out");
		Path logs = Files.createDirectories(tmp.resolve("fiji-logs"));
		long t0 = System.nanoTime();
		String[] ids = submit(logs, Map.of("FIJI", fiji.resolve("ImageJ-linux64").toString(), "SBATCH_EXTRA", "--cpus-per-task=1 --mem=2G"), "submit",
			in.toString(), out.toString(), MODEL, Integer.toString(SHARDS), "device=cpu");
		Map<String, String> merge = cluster.awaitEnd(ids[1], Duration.ofMinutes(4));
		double seconds = (System.nanoTime() - t0) / 1e9;
		String mergeLog = Files.readString(logs.resolve("medcnn-merge-" + ids[1] + ".log"));
		for (int s = 0; s < SHARDS; s++) {
			Map<String, String> t = cluster.job(task(ids[0], s));
			String expected = s == 3 ? "FAILED 7:0" : "COMPLETED 0:0";
			assertEquals(expected, t.get("JobState") + " " + t.get("ExitCode"), "task " + s + ": " + log(logs, ids[0], s));
			assertTrue(mergeLog.contains("task " + s + ": " + expected.replace(" ", ", exit code ").replace(":0", "")), mergeLog);
		}
		assertEquals("7:0", merge.get("ExitCode"), "merged; shard 3's inputs failed: " + mergeLog);
		assertTrue(mergeLog.contains(PER_SHARD + " input(s) failed or were skipped, see " + out.resolve("errors.csv")), mergeLog);
		System.out.printf("SlurmClusterTest: Fiji array of %d tasks and its merge took %.1f s%n", SHARDS, seconds);
		assertSameAsReference(out);
	}

	// -- the inputs --

	/**
	 * Writes the input folder: named so that the sorted list deals shard 0-2 nine images of
	 * {@code ../shared/data/samples} each with a stack of real brain MRI slices third, and shard 3 ten
	 * corrupt files (truncated JPEG and TIFF, text and random bytes under image names, empty files).
	 */
	private Path makeInputs(Path samples, Path training, Path dir) throws IOException {
		Files.createDirectories(dir);
		List<Path> images;
		try (Stream<Path> s = Files.walk(samples)) {
			images = s.filter(Files::isRegularFile).filter(p -> p.toString().matches(".*\\.(jpg|png)$")).sorted().toList();
		}
		List<Path> slices;
		try (Stream<Path> s = Files.walk(training)) {
			slices = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
		}
		Random random = new Random(25);
		byte[] jpeg = Files.readAllBytes(images.get(0));
		int next = 0;
		int nextSlice = 0;
		for (int j = 0; j < PER_SHARD; j++) {
			for (int s = 0; s < SHARDS; s++) {
				String prefix = String.format("p%02d-", j * SHARDS + s);
				String name;
				if (s == 3) {
					name = switch (j % 5) {
						case 0 -> write(dir, prefix + "truncated.jpg", Arrays.copyOf(jpeg, jpeg.length / 3));
						case 1 -> write(dir, prefix + "text.png", "not an image\n".getBytes(StandardCharsets.UTF_8));
						case 2 -> write(dir, prefix + "empty.tif", new byte[0]);
						case 3 -> {
							byte[] b = new byte[4096];
							random.nextBytes(b);
							yield write(dir, prefix + "random.jpg", b);
						}
						default -> write(dir, prefix + "truncated.tif", Arrays.copyOf(Files.readAllBytes(dir.resolve("p08-stack.tif")), 20000));
					};
				} else if (j == 2) {
					name = prefix + "stack.tif";
					ImageStack stack = new ImageStack(64, 64);
					while (stack.getSize() < STACK_SLICES) {
						ImagePlus im = IJ.openImage(slices.get(nextSlice++ % slices.size()).toString());
						if (im != null && im.getWidth() == 256 && im.getHeight() == 256) {
							stack.addSlice(im.getTitle(), im.getProcessor().convertToByte(true).resize(64, 64, true));
						}
					}
					assertTrue(new FileSaver(new ImagePlus(name, stack)).saveAsTiffStack(dir.resolve(name).toString()));
				} else {
					Path src = images.get(next++ * images.size() / (3 * (PER_SHARD - 1)));
					name = prefix + src.getFileName();
					Files.copy(src, dir.resolve(name));
				}
				shards.computeIfAbsent(s, k -> new ArrayList<>()).add(name);
			}
		}
		return dir;
	}

	private static String write(Path dir, String name, byte[] bytes) throws IOException {
		Files.write(dir.resolve(name), bytes);
		return name;
	}

	// -- launchers --

	/** The {@code medcnn} launcher: bin/medcnn's JVM options with this build's class path (no jar in {@code mvn test}). */
	private static Path medcnnLauncher() throws IOException {
		Path f = tmp.resolve("medcnn");
		if (Files.exists(f)) return f;
		String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
		return executable(f, "#!/usr/bin/env bash\n"
			+ "exec '" + java + "' -Dai.djl.offline=true -Djava.awt.headless=true -Dmedcnn.models='" + Paths.get("models").toAbsolutePath() + "' '"
			+ Fixtures.cacheDirOption() + "' -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl=error -cp '"
			+ System.getProperty("java.class.path") + "' org.medcnn.cli.MedCnnCli \"$@\"\n");
	}

	/**
	 * A Fiji.app as a user has it: MedCNN installed into its {@code jars/} and {@code models/}, and a launcher
	 * {@code ImageJ-linux64} that runs ImageJ2 with imagej-legacy (the core of Fiji, from
	 * {@code ../shared/imagej2}, with the jars Fiji ships beside it) on what the Fiji.app holds.
	 */
	private static Path fijiApp(Path imagej2, Path dir) throws IOException {
		Path app = Files.createDirectories(dir.resolve("Fiji.app"));
		Files.createDirectories(app.resolve("jars"));
		// Once the build makes the Fiji-layout zip before the tests, this becomes the user's own step:
		// scripts/install-into-fiji.sh Fiji.app (which installs target/medcnn-fiji.zip).
		installMedCnn(app);
		executable(app.resolve("ImageJ-linux64"), "#!/usr/bin/env bash\n"
			+ "# Fiji's launcher, played by ImageJ2 + imagej-legacy with this Fiji.app's jars\n"
			+ "here=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\"\n"
			+ "export JAVA_OPTS=\"${JAVA_OPTS:-} " + Fixtures.cacheDirOption() + "\"\n"
			+ "exec '" + imagej2.resolve("run.sh") + "' --classpath \"$here/jars/*:" + imagej2.resolve("fiji-extras") + "/*\" -- \"$@\"\n");
		return app;
	}

	/**
	 * Installs MedCNN into a Fiji.app as {@code scripts/install-into-fiji.sh} does: its jar and the DJL and
	 * PyTorch jars into {@code jars/}, the model into {@code models/}. ({@code mvn test} makes no jar, so the
	 * jar is made here from the compiled classes; the rest of the class path comes from the build.)
	 */
	private static void installMedCnn(Path app) throws IOException {
		Manifest mf = new Manifest();
		mf.getMainAttributes().putValue("Manifest-Version", "1.0");
		Path classes = Paths.get("target", "classes").toAbsolutePath();
		try (OutputStream os = Files.newOutputStream(app.resolve("jars/medcnn.jar")); JarOutputStream jar = new JarOutputStream(os, mf);
			Stream<Path> files = Files.walk(classes)) {
			for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
				jar.putNextEntry(new ZipEntry(classes.relativize(f).toString().replace('\\', '/')));
				Files.copy(f, jar);
				jar.closeEntry();
			}
		}
		for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
			if (entry.replace('\\', '/').contains("/ai/djl/")) Files.copy(Paths.get(entry), app.resolve("jars").resolve(Paths.get(entry).getFileName()));
		}
		copyTree(Paths.get("models", MODEL).toAbsolutePath(), app.resolve("models").resolve(MODEL));
	}

	private static void copyTree(Path from, Path to) throws IOException {
		try (Stream<Path> files = Files.walk(from)) {
			for (Path f : (Iterable<Path>) files::iterator) {
				Path t = to.resolve(from.relativize(f).toString());
				if (Files.isDirectory(f)) Files.createDirectories(t);
				else Files.copy(f, t, StandardCopyOption.COPY_ATTRIBUTES);
			}
		}
	}

	private static Path executable(Path file, String text) throws IOException {
		Files.writeString(file, text);
		Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
		return file;
	}

	// -- SLURM --

	private static String script() {
		return Paths.get("scripts", "slurm-batch.sh").toAbsolutePath().toString();
	}

	private static String task(String array, int index) {
		return array + "_" + index;
	}

	private static Map<String, String> env(Map<String, String> env, String key, String value) {
		Map<String, String> e = new LinkedHashMap<>(env);
		e.put(key, value);
		return e;
	}

	/** Runs slurm-batch.sh submit or resubmit from a log folder; returns the array's and the merge's job ids. */
	private String[] submit(Path logs, Map<String, String> env, String... args) throws Exception {
		List<String> cmd = new ArrayList<>(List.of("bash", script()));
		cmd.addAll(List.of(args));
		SlurmCluster.Result r = cluster.run(logs, env, Duration.ofSeconds(60), cmd.toArray(String[]::new));
		assertEquals(0, r.code(), r.output());
		Matcher m = Pattern.compile("submitted shards: job (\\d+) \\(array [^)]*\\); merge: job (\\d+)").matcher(r.output());
		assertTrue(m.find(), r.output());
		return new String[] {m.group(1), m.group(2)};
	}

	private static String log(Path logs, String array, int index) {
		try {
			return Files.readString(logs.resolve("medcnn-medcnn-batch-" + task(array, index) + ".log"));
		} catch (IOException e) {
			return "(no log: " + e.getMessage() + ")";
		}
	}

	// -- what the shards wrote --

	private String stack(int shard) {
		return shards.get(shard).get(2);
	}

	/**
	 * Waits until a shard's task works on its stack: the input before it is done (its record written), so
	 * the task reads and classifies the stack now, for some seconds; its outputs (and their marker) come
	 * only after that.
	 */
	private void awaitStackStarted(Path out, String array, int shard) throws Exception {
		Path before = BatchOutputs.record(out, shards.get(shard).get(1));
		long end = System.nanoTime() + STEP.toNanos();
		while (!Files.exists(before)) {
			Map<String, String> j = cluster.job(task(array, shard));
			if (SlurmCluster.ENDED.contains(j.get("JobState")) || System.nanoTime() > end) {
				throw new AssertionError("task " + shard + " never worked on " + stack(shard) + ": " + j + "\n" + log(out.resolveSibling("cli-logs"), array, shard));
			}
			Thread.sleep(20);
		}
	}

	/** The records of a shard's finished inputs, by name. */
	private Map<String, byte[]> finishedRecords(Path out, int shard) throws IOException {
		Map<String, byte[]> kept = new LinkedHashMap<>();
		for (String name : shards.get(shard)) {
			Path record = BatchOutputs.record(out, name);
			if (Files.exists(record)) kept.put(name, Files.readAllBytes(record));
		}
		return kept;
	}

	/**
	 * Waits until no process holds a shard any more: SLURM shows a requeued task as pending while its old
	 * process may still be stopping (it has KillWait seconds after SIGTERM), and only after that is its
	 * manifest final. The shard's lock is the process's own: free once the process has ended.
	 */
	private void awaitShardReleased(Path out, int shard) throws Exception {
		long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
		while (true) {
			try (ShardLock free = ShardLock.acquire(out, shard, SHARDS, "SlurmClusterTest")) {
				return;
			} catch (MedCnnException e) {
				if (System.nanoTime() > end) throw new AssertionError("shard " + shard + " is still held: " + e.getMessage(), e);
				Thread.sleep(100);
			}
		}
	}

	/**
	 * Waits until the process that holds a shard runs again after {@code scontrol resume}. The resume
	 * reaches the node asynchronously, and a step that slurmstepd still counts as suspended does not get
	 * the SIGTERM of a requeue (only the SIGKILL after KillWait), so a requeue sent at once can find the
	 * task still stopped and kill it without a chance to record itself as cancelled.
	 */
	private void awaitNotStopped(Path out, int shard) throws Exception {
		JsonObject owner = JsonParser.parseString(Files.readString(ShardLock.ownerFile(out, shard, SHARDS))).getAsJsonObject();
		Path stat = Paths.get("/proc", owner.get("pid").getAsString(), "stat");
		long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (true) {
			String s = Files.readString(stat);
			// state is the first field after the command name in parentheses: T (stopped) until SIGCONT
			char state = s.charAt(s.lastIndexOf(')') + 2);
			if (state != 'T' && state != 't') break;
			if (System.nanoTime() > end) throw new AssertionError("task " + shard + " is still stopped 30 s after scontrol resume: " + s);
			Thread.sleep(20);
		}
		// slurmstepd sends SIGCONT and then marks the step resumed; a moment for the second half.
		Thread.sleep(200);
	}

	/** After a task was stopped in the middle of its stack: the inputs before the stack are kept, the stack was abandoned. */
	private void assertInterrupted(Path out, int shard, Map<String, byte[]> kept, String how) throws Exception {
		awaitShardReleased(out, shard);
		assertEquals(shards.get(shard).subList(0, 2), List.copyOf(kept.keySet()), "the inputs before the stack were done when task " + shard + " was " + how);
		JsonObject m = JsonParser.parseString(Files.readString(BatchOutputs.manifest(out, shard, SHARDS))).getAsJsonObject();
		assertEquals("cancelled", m.get("state").getAsString(), "task " + shard + " was " + how + " by SIGTERM: " + m.get("counts"));
		assertFalse(Files.exists(BatchOutputs.record(out, stack(shard))), "the stack was done before task " + shard + " was " + how
			+ " (a stack too short for this machine?)");
		assertFalse(Files.exists(FileRecord.marker(BatchOutputs.record(out, stack(shard)))), "the abandoned stack's partial outputs are removed");
	}

	/** After the shard's last run: the inputs finished before the interruption are untouched and counted as resumed. */
	private void assertResumed(Path out, int shard, Map<String, byte[]> kept) throws IOException {
		for (Map.Entry<String, byte[]> e : kept.entrySet()) {
			assertArrayEquals(e.getValue(), Files.readAllBytes(BatchOutputs.record(out, e.getKey())), e.getKey() + " was kept, not redone");
		}
		JsonObject m = JsonParser.parseString(Files.readString(BatchOutputs.manifest(out, shard, SHARDS))).getAsJsonObject();
		JsonObject counts = m.getAsJsonObject("counts");
		assertEquals("finished", m.get("state").getAsString());
		assertEquals(kept.size(), counts.get("resumed").getAsInt(), "shard " + shard + ": " + counts);
		assertEquals(PER_SHARD - kept.size(), counts.get("done").getAsInt(), "shard " + shard + ": " + counts);
	}

	/** The files of one shard (its shard files, owner record and its inputs' outputs) with size and time. */
	private Map<String, String> snapshot(Path out, int shard) throws IOException {
		Map<String, String> s = new TreeMap<>();
		String tag = BatchOutputs.shardTag(shard, SHARDS);
		List<Path> files = new ArrayList<>(List.of(BatchOutputs.manifest(out, shard, SHARDS), BatchOutputs.resultsCsv(out, shard, SHARDS),
			BatchOutputs.errorsCsv(out, shard, SHARDS), ShardLock.ownerFile(out, shard, SHARDS)));
		try (Stream<Path> all = Files.list(out.resolve(BatchOutputs.FILES_DIR))) {
			for (Path f : (Iterable<Path>) all::iterator) {
				if (shards.get(shard).stream().anyMatch(n -> f.getFileName().toString().contains(n))) files.add(f);
			}
		}
		for (Path f : files) {
			s.put(out.relativize(f).toString(), Files.exists(f) ? Files.size(f) + " " + Files.getLastModifiedTime(f) : "absent");
		}
		assertTrue(s.get("manifest-" + tag + ".json").contains(" "), "shard " + shard + " has a manifest: " + s);
		return s;
	}

	/**
	 * The merged results equal the single-process run's: the same rows and columns, probabilities within 1e-5
	 * (everything but the time column), and the same failed inputs with the same messages.
	 */
	private void assertSameAsReference(Path out) throws IOException {
		List<List<String>> expected = Csv.read(reference.resolve(BatchOutputs.MERGED_RESULTS));
		List<List<String>> actual = Csv.read(out.resolve(BatchOutputs.MERGED_RESULTS));
		List<String> header = expected.get(0);
		assertEquals(header, actual.get(0));
		assertEquals(expected.size(), actual.size(), "rows");
		assertEquals(3 * (PER_SHARD - 1) + 3 * STACK_SLICES, expected.size() - 1, "one row per slice of every readable input");
		for (int r = 1; r < expected.size(); r++) {
			for (int c = 0; c < header.size(); c++) {
				String h = header.get(c);
				String e = expected.get(r).get(c);
				String a = actual.get(r).get(c);
				if (h.equals("ms")) continue;
				if (h.startsWith("p_") || h.equals("confidence") || h.equals("ood_score")) {
					assertEquals(Double.parseDouble(e), Double.parseDouble(a), 1e-5, "row " + r + " " + h);
				} else {
					assertEquals(e, a, "row " + r + " " + h);
				}
			}
		}
		assertEquals(Csv.read(reference.resolve(BatchOutputs.MERGED_ERRORS)), Csv.read(out.resolve(BatchOutputs.MERGED_ERRORS)));
		assertEquals(PER_SHARD + 1, Csv.read(out.resolve(BatchOutputs.MERGED_ERRORS)).size(), "header + shard 3's corrupt inputs");
	}
}
