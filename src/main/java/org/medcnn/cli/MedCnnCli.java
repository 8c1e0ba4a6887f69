package org.medcnn.cli;

import java.io.PrintWriter;
import org.medcnn.core.model.EnginePolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code medcnn} command line: {@code classify}, {@code batch}, {@code merge}, {@code saliency}, {@code sanity},
 * {@code train}, {@code evaluate}, {@code doctor}, {@code bench} and {@code bench-saliency}.
 */
@Command(name = "medcnn", mixinStandardHelpOptions = true, versionProvider = MedCnnCli.Version.class,
	description = "Classify every slice of medical image stacks with a CNN, offline.",
	subcommands = {ClassifyCli.class, BatchCli.class, MergeCli.class, SaliencyCli.class, SanityCli.class, TrainCli.class, EvaluateCli.class,
		DoctorCli.class, BenchCli.class, SaliencyBenchCli.class, EnsembleCli.class, CalibrateUncertaintyCli.class, FitOodCli.class, ShiftTestCli.class},
	exitCodeListHeading = "%nExit codes:%n",
	exitCodeList = {"0:done", "1:internal error", "2:bad usage or parameter", "3:bad input file", "4:model could not be loaded",
		"5:output exists or cannot be written", "6:inference failed",
		"7:batch or merge: some inputs failed or were skipped, the rest is done"})
public final class MedCnnCli implements Runnable {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	/**
	 * Runs the command line and exits with its code.
	 *
	 * @param args the arguments
	 */
	public static void main(String[] args) {
		System.exit(run(args));
	}

	/**
	 * Runs the command line without exiting (for tests and embedding).
	 *
	 * @param args the arguments
	 * @return the exit code
	 */
	public static int run(String... args) {
		return execute(null, null, args);
	}

	/**
	 * Runs the command line without exiting, writing to the given streams instead of stdout and stderr.
	 *
	 * @param out where normal output goes
	 * @param err where error messages go
	 * @param args the arguments
	 * @return the exit code
	 */
	public static int run(PrintWriter out, PrintWriter err, String... args) {
		return execute(out, err, args);
	}

	private static int execute(PrintWriter out, PrintWriter err, String[] args) {
		EnginePolicy.init();
		CommandLine cl = new CommandLine(new MedCnnCli());
		if (out != null) cl.setOut(out);
		if (err != null) cl.setErr(err);
		cl.setExecutionExceptionHandler((ex, line, parsed) -> {
			line.getErr().println("medcnn: internal error: " + ex);
			return ExitCodes.INTERNAL;
		});
		return cl.execute(args);
	}

	@Override
	public void run() {
		spec.commandLine().usage(spec.commandLine().getOut());
	}

	/** Reports the version from the jar manifest. */
	static final class Version implements CommandLine.IVersionProvider {
		@Override
		public String[] getVersion() {
			String v = MedCnnCli.class.getPackage().getImplementationVersion();
			return new String[] {"medcnn " + (v == null ? "(development build)" : v)};
		}
	}
}
