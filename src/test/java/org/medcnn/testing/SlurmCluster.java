package org.medcnn.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * A real one-node SLURM cluster (slurmctld, slurmd and munged) brought up in a scratch folder by
 * {@code src/test/scripts/slurm-cluster.sh}, for tests that run jobs under it. {@link #close()} stops
 * every daemon it started (by pid); so do a shutdown hook of this JVM and the script's watcher of this
 * JVM's pid, should the JVM end without closing it.
 */
public final class SlurmCluster implements AutoCloseable {

	/** Job states after which a job does not run again (a requeued job is PENDING, not one of these). */
	public static final Set<String> ENDED = Set.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL",
		"DEADLINE");

	private static final Path SCRIPT = Paths.get("src/test/scripts/slurm-cluster.sh").toAbsolutePath();
	private static final Pattern FIELD = Pattern.compile("(?:^|\\s)([A-Za-z][A-Za-z/:]*)=(\\S*)");

	private final Path dir;
	private final Path conf;
	private final Thread hook;
	private boolean closed;

	/** Exit code and output (stdout and stderr together) of a command. */
	public record Result(int code, String output) {}

	private SlurmCluster(Path dir) {
		this.dir = dir;
		this.conf = dir.resolve("slurm.conf");
		this.hook = new Thread(this::stop, "slurm-cluster-down");
	}

	/**
	 * Starts a cluster in a folder, or skips the calling test with the reason the script gives (SLURM or
	 * munge not installed, not root, a daemon that did not start).
	 *
	 * @param dir the scratch folder (created)
	 * @return the running cluster
	 * @throws IOException if the script cannot be run
	 * @throws InterruptedException if interrupted
	 */
	public static SlurmCluster startOrSkip(Path dir) throws IOException, InterruptedException {
		Files.createDirectories(dir);
		SlurmCluster c = new SlurmCluster(dir);
		Result r = exec(null, Map.of(), Duration.ofSeconds(90), "bash", SCRIPT.toString(), "up", dir.toString(), Long.toString(ProcessHandle.current().pid()));
		if (r.code() == 3) {
			Assumptions.abort("skipped: no SLURM cluster could be started here (" + r.output().trim()
				+ "); .ci/run installs slurmctld, slurmd, slurm-client and munge");
		}
		if (r.code() != 0) {
			c.stop();
			throw new IllegalStateException("slurm-cluster.sh up failed with exit " + r.code() + ":\n" + r.output() + c.logs());
		}
		Runtime.getRuntime().addShutdownHook(c.hook);
		return c;
	}

	/** @return the cluster's slurm.conf (SLURM_CONF for its clients) */
	public Path conf() {
		return conf;
	}

	/** @return the number of CPUs of the cluster's node */
	public int cpus() {
		try {
			Matcher m = Pattern.compile("CPUs=(\\d+)").matcher(Files.readString(conf));
			return m.find() ? Integer.parseInt(m.group(1)) : 1;
		} catch (IOException e) {
			return 1;
		}
	}

	/**
	 * Runs a command with this cluster's SLURM_CONF.
	 *
	 * @param cwd the working folder (null: this JVM's)
	 * @param env more environment variables
	 * @param timeout how long it may take
	 * @param cmd the command
	 * @return its exit code and output
	 * @throws IOException if it cannot be started
	 * @throws InterruptedException if interrupted
	 */
	public Result run(Path cwd, Map<String, String> env, Duration timeout, String... cmd) throws IOException, InterruptedException {
		Map<String, String> e = new HashMap<>(env);
		e.put("SLURM_CONF", conf.toString());
		return exec(cwd, e, timeout, cmd);
	}

	/**
	 * Runs a SLURM client command that must succeed.
	 *
	 * @param cmd the command, e.g. {@code scontrol release 12_3}
	 * @return its output
	 * @throws IOException if it cannot be started or fails
	 * @throws InterruptedException if interrupted
	 */
	public String ok(String... cmd) throws IOException, InterruptedException {
		Result r = run(null, Map.of(), Duration.ofSeconds(30), cmd);
		if (r.code() != 0) throw new IOException(String.join(" ", cmd) + " failed with exit " + r.code() + ": " + r.output());
		return r.output();
	}

	/**
	 * Returns what SLURM holds about a job or array task ({@code scontrol show job}): JobState, ExitCode,
	 * Restarts, Reason, ArrayJobId, ArrayTaskId, StdOut, ...
	 *
	 * @param id a job id or {@code <array job>_<task>}
	 * @return the fields of its first record
	 * @throws IOException if scontrol fails
	 * @throws InterruptedException if interrupted
	 */
	public Map<String, String> job(String id) throws IOException, InterruptedException {
		String out = ok("scontrol", "show", "job", "--oneliner", id);
		String line = out.lines().filter(l -> l.startsWith("JobId=")).findFirst().orElseThrow(() -> new IOException("scontrol knows no job " + id + ": " + out));
		Map<String, String> f = new HashMap<>();
		Matcher m = FIELD.matcher(line);
		while (m.find()) f.putIfAbsent(m.group(1), m.group(2));
		return f;
	}

	/**
	 * Waits until a job's record satisfies a condition.
	 *
	 * @param id the job
	 * @param what the condition, in words, for the failure message
	 * @param until the condition
	 * @param timeout how long to wait
	 * @return the record that satisfied it
	 * @throws IOException if scontrol fails
	 * @throws InterruptedException if interrupted
	 */
	public Map<String, String> await(String id, String what, Predicate<Map<String, String>> until, Duration timeout) throws IOException, InterruptedException {
		long end = System.nanoTime() + timeout.toNanos();
		Map<String, String> j = job(id);
		while (!until.test(j)) {
			if (System.nanoTime() > end) throw new AssertionError("job " + id + " did not become " + what + " within " + timeout.toSeconds() + " s: " + j + logs());
			Thread.sleep(100);
			j = job(id);
		}
		return j;
	}

	/**
	 * Waits until a job has ended for good.
	 *
	 * @param id the job
	 * @param timeout how long to wait
	 * @return its record
	 * @throws IOException if scontrol fails
	 * @throws InterruptedException if interrupted
	 */
	public Map<String, String> awaitEnd(String id, Duration timeout) throws IOException, InterruptedException {
		return await(id, "ended", j -> ENDED.contains(j.get("JobState")), timeout);
	}

	/** @return the tail of the daemons' logs, for failure messages */
	public String logs() {
		StringBuilder sb = new StringBuilder();
		for (String name : List.of("slurmctld.log", "slurmd.log")) {
			try {
				List<String> lines = Files.readAllLines(dir.resolve("log").resolve(name), StandardCharsets.UTF_8);
				sb.append("\n--- ").append(name).append(" (last lines)\n").append(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
			} catch (IOException e) {
				// no log yet
			}
		}
		return sb.toString();
	}

	/** Stops the cluster: cancels its jobs and stops its daemons. */
	@Override
	public void close() {
		stop();
		try {
			Runtime.getRuntime().removeShutdownHook(hook);
		} catch (IllegalStateException e) {
			// the JVM is shutting down: the hook runs or has run
		}
	}

	private synchronized void stop() {
		if (closed) return;
		closed = true;
		try {
			Result r = exec(null, Map.of(), Duration.ofSeconds(60), "bash", SCRIPT.toString(), "down", dir.toString());
			if (r.code() != 0) System.err.println("slurm-cluster.sh down: exit " + r.code() + ": " + r.output());
		} catch (IOException | InterruptedException e) {
			System.err.println("slurm-cluster.sh down failed: " + e);
		}
	}

	private static Result exec(Path cwd, Map<String, String> env, Duration timeout, String... cmd) throws IOException, InterruptedException {
		ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true);
		if (cwd != null) pb.directory(cwd.toFile());
		pb.environment().keySet().removeIf(k -> k.startsWith("SLURM_") || k.startsWith("SBATCH_"));
		pb.environment().putAll(env);
		Path log = Files.createTempFile("slurm-cmd-", ".log");
		try {
			Process p = pb.redirectOutput(log.toFile()).start();
			if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				p.descendants().forEach(ProcessHandle::destroyForcibly);
				p.destroyForcibly();
				throw new IOException(String.join(" ", cmd) + " did not end within " + timeout.toSeconds() + " s: " + Files.readString(log));
			}
			return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
		} finally {
			Files.deleteIfExists(log);
		}
	}
}
