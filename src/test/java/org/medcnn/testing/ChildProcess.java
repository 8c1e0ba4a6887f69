package org.medcnn.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program to its end or a time limit, with its output (stdout and stderr together) in a file: for the
 * tests that start ImageJ2 or ImageJ 1.x as a user does. A program still running at the limit is killed with
 * everything it started (a dialog nobody closes, a hung JVM), so no test ever waits forever.
 */
public final class ChildProcess {

	private ChildProcess() {}

	/**
	 * What a run gave.
	 *
	 * @param exitCode the exit code, or -1 when killed
	 * @param timedOut whether the time limit ended it
	 * @param output what it printed
	 * @param seconds how long it ran
	 */
	public record Result(int exitCode, boolean timedOut, String output, double seconds) {}

	/**
	 * Runs a command.
	 *
	 * @param cmd the command and its arguments
	 * @param dir the working folder
	 * @param env variables to set; a null value removes the variable
	 * @param limit the time limit
	 * @return the result
	 * @throws IOException if it cannot start or its output cannot be read
	 * @throws InterruptedException if interrupted while waiting
	 */
	public static Result run(List<String> cmd, Path dir, Map<String, String> env, Duration limit) throws IOException, InterruptedException {
		Path log = Files.createTempFile(dir, "run-", ".log");
		ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
		for (Map.Entry<String, String> e : env.entrySet()) {
			if (e.getValue() == null) pb.environment().remove(e.getKey());
			else pb.environment().put(e.getKey(), e.getValue());
		}
		long t0 = System.nanoTime();
		Process p = pb.start();
		boolean finished = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
		if (!finished) {
			p.descendants().forEach(ProcessHandle::destroyForcibly);
			p.destroyForcibly();
			p.waitFor(10, TimeUnit.SECONDS);
		}
		double seconds = (System.nanoTime() - t0) / 1e9;
		return new Result(finished ? p.exitValue() : -1, !finished, Files.readString(log, StandardCharsets.UTF_8), seconds);
	}

	/**
	 * Finds a program on the PATH.
	 *
	 * @param name the program, e.g. {@code xvfb-run}
	 * @return its path, or null when it is not installed
	 */
	public static Path onPath(String name) {
		for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
			Path p = Paths.get(d, name);
			if (Files.isExecutable(p)) return p;
		}
		return null;
	}
}
