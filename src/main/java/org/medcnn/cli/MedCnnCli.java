package org.medcnn.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.medcnn.core.Messages;
import org.medcnn.core.engine.EnginePolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/**
 * The {@code medcnn} command line: {@code classify}, {@code batch}, {@code merge}, {@code saliency}, {@code sanity},
 * {@code train}, {@code evaluate}, {@code doctor}, {@code bench} and {@code bench-saliency}.
 */
@Command(name = "medcnn", mixinStandardHelpOptions = true, versionProvider = MedCnnCli.Version.class,
	description = "Classify every slice of medical image stacks with a CNN, offline.",
	subcommands = {ClassifyCli.class, BatchCli.class, MergeCli.class, SaliencyCli.class, SanityCli.class, TrainCli.class, EvaluateCli.class,
		DoctorCli.class, EnsembleCli.class, CalibrateUncertaintyCli.class, FitOodCli.class, ShiftTestCli.class, ImportTorchScriptCli.class,
		ImportBioImageIoCli.class, ExportBioImageIoCli.class},
	exitCodeListHeading = "%nExit codes:%n",
	exitCodeList = {"0:done", "1:internal error", "2:bad usage or parameter", "3:bad input file", "4:model could not be loaded",
		"5:output exists or cannot be written", "6:inference failed",
		"7:batch or merge: some inputs failed or were skipped, the rest is done",
		"8:batch: another live process writes this shard into the output folder"})
public final class MedCnnCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print the stack trace with an error (for bug reports).")
	private boolean debug;

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

	/** The benchmark commands, added when their classes are on the class path. */
	private static final String[] BENCHMARKS = {"org.medcnn.bench.BenchCli", "org.medcnn.bench.SaliencyBenchCli"};

	private static int execute(PrintWriter out, PrintWriter err, String[] args) {
		EnginePolicy.init();
		CommandLine cl = new CommandLine(new MedCnnCli());
		// The benchmarks are tools, not product: in their own jar (target/medcnn-*-bench.jar), which bin/medcnn
		// puts on the class path when the build made it.
		for (String bench : BENCHMARKS) {
			try {
				cl.addSubcommand(Class.forName(bench).getDeclaredConstructor().newInstance());
			} catch (ReflectiveOperationException | LinkageError e) {
				// not on the class path: medcnn without benchmarks
			}
		}
		if (out != null) cl.setOut(out);
		// Every line on stderr stays bounded, whatever a message holds.
		cl.setErr(new PrintWriter(new CliErrors.LineClipping(err != null ? err : cl.getErr()), true));
		// No numeric option takes NaN or Infinity.
		cl.registerConverter(Double.class, new CliErrors.FiniteDouble());
		cl.registerConverter(double.class, new CliErrors.FiniteDouble());
		cl.registerConverter(Float.class, new CliErrors.FiniteFloat());
		cl.registerConverter(float.class, new CliErrors.FiniteFloat());
		// A bad option is one line that names it, not the whole usage text.
		cl.setParameterExceptionHandler((ex, arguments) -> {
			CommandLine c = ex.getCommandLine();
			String name = c.getCommandSpec().qualifiedName(" ");
			c.getErr().println(Messages.oneLine(name + ": " + ex.getMessage()) + " (see '" + name + " --help')");
			return ExitCodes.USAGE;
		});
		cl.setExecutionStrategy(parsed -> {
			CliErrors.setDebug(matchedAnywhere(parsed, "--debug"));
			return new CommandLine.RunLast().execute(parsed);
		});
		cl.setExecutionExceptionHandler((ex, line, parsed) -> {
			String where = line.getCommandName().equals("medcnn") ? "medcnn" : "medcnn " + line.getCommandName();
			CliErrors.report(line.getErr(), ex, where + ": internal error: " + Messages.describe(ex)
				+ (CliErrors.debug() ? "" : " (run again with --debug for the stack trace, and please report it)"));
			return ExitCodes.INTERNAL;
		});
		int code = cl.execute(args);
		cl.getErr().flush();
		return code;
	}

	private static boolean matchedAnywhere(CommandLine.ParseResult parsed, String option) {
		for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
			if (p.hasMatchedOption(option)) return true;
		}
		return false;
	}

	/** Without a command: the usage on stderr, and the exit code of bad usage. */
	@Override
	public Integer call() {
		CommandLine cl = spec.commandLine();
		cl.getErr().println("medcnn: no command given");
		cl.usage(cl.getErr());
		return ExitCodes.USAGE;
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
