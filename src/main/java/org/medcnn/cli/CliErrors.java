package org.medcnn.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.Locale;
import org.medcnn.app.MedCnnException;
import org.medcnn.core.Messages;
import org.medcnn.core.engine.ClassifierModel;
import picocli.CommandLine;

/**
 * How the command line reports failures: one line on stderr that names the file or parameter and what is
 * wrong, never a stack trace; {@code --debug} adds the stack trace of the failure (for bug reports).
 */
public final class CliErrors {

	/** The longest line written to stderr; longer ones are cut (a safety net: messages are bounded at their source). */
	static final int MAX_LINE = 1000;

	private static volatile boolean debug;

	private CliErrors() {}

	/**
	 * Sets whether stack traces are printed with errors.
	 *
	 * @param on true for {@code --debug}
	 */
	static void setDebug(boolean on) {
		debug = on;
	}

	/** @return whether {@code --debug} was given */
	static boolean debug() {
		return debug;
	}

	/**
	 * Prints a failure: its line, and with {@code --debug} the stack trace of its cause.
	 *
	 * @param err stderr
	 * @param cause the exception behind it
	 * @param line the line, e.g. {@code "medcnn classify: " + cause.getMessage()}
	 */
	public static void report(PrintWriter err, Throwable cause, String line) {
		err.println(Messages.oneLine(line));
		if (debug && cause != null) cause.printStackTrace(err);
		err.flush();
	}

	/**
	 * Reports a task's failure: one line, {@code <command>: <message>}, and returns its exit code.
	 *
	 * @param err stderr
	 * @param command e.g. {@code medcnn classify}
	 * @param e the failure
	 * @return the exit code of its kind ({@link ExitCodes#of})
	 */
	public static int fail(PrintWriter err, String command, MedCnnException e) {
		report(err, e, command + ": " + e.getMessage());
		return ExitCodes.of(e.kind());
	}

	/**
	 * Reports a task's failure in the words of the command line: the tasks name parameters by their macro
	 * keys ({@code batch_size}), which become the command's options ({@code --batch-size}).
	 *
	 * @param spec the command
	 * @param e the failure
	 * @return the exit code of its kind ({@link ExitCodes#of})
	 */
	public static int fail(CommandLine.Model.CommandSpec spec, MedCnnException e) {
		String message = e.getMessage();
		for (CommandLine.Model.OptionSpec o : spec.options()) {
			String name = o.longestName();
			if (!name.startsWith("--")) continue;
			String key = name.substring(2).replace('-', '_');
			String k = java.util.regex.Pattern.quote(key);
			// A key of several words is a parameter wherever it stands; a one-word key (model, output) only where a
			// message names it as one: "key: ...", "key must ..." or "use key".
			String where = key.contains("_") ? "(?<![\\w./-])" + k + "(?![\\w])" : "(?<![\\w./-])" + k + "(?=:| must\\b)|(?<=\\b(?:use|choose|give) )" + k + "\\b";
			message = message.replaceAll(where, java.util.regex.Matcher.quoteReplacement(name));
		}
		report(spec.commandLine().getErr(), e, "medcnn " + spec.name() + ": " + message);
		return ExitCodes.of(e.kind());
	}

	/**
	 * Prints the device fallbacks of loaded models (e.g. a GPU asked for but not available): the engine logs
	 * them at info level only, because the commands that classify report them with their results.
	 *
	 * @param err stderr
	 * @param command e.g. {@code medcnn evaluate}
	 * @param models the loaded models
	 */
	static void deviceWarnings(PrintWriter err, String command, java.util.List<ClassifierModel> models) {
		java.util.Set<String> seen = new java.util.LinkedHashSet<>();
		for (ClassifierModel m : models) if (m.fallbackWarning() != null) seen.add(m.fallbackWarning());
		for (String w : seen) err.println(Messages.oneLine(command + ": warning: " + w));
	}

	/**
	 * Converts option values to double and rejects what is not a finite number, so that no numeric
	 * option accepts {@code NaN} or {@code Infinity}.
	 */
	static final class FiniteDouble implements CommandLine.ITypeConverter<Double> {
		@Override
		public Double convert(String value) {
			double v;
			try {
				v = Double.parseDouble(value.trim());
			} catch (NumberFormatException e) {
				throw new CommandLine.TypeConversionException("'" + Messages.clip(value, 60) + "' is not a number");
			}
			if (!Double.isFinite(v)) throw new CommandLine.TypeConversionException("'" + Messages.clip(value, 60) + "' is not a finite number");
			return v;
		}
	}

	/** Like {@link FiniteDouble}, for float options (finite as a float, too). */
	static final class FiniteFloat implements CommandLine.ITypeConverter<Float> {
		@Override
		public Float convert(String value) {
			double d = new FiniteDouble().convert(value);
			float f = (float) d;
			if (!Float.isFinite(f)) throw new CommandLine.TypeConversionException("'" + Messages.clip(value, 60) + "' is out of range");
			return f;
		}
	}

	/**
	 * A writer that passes text through but cuts every line longer than {@link #MAX_LINE} characters, with
	 * a note of how much was cut.
	 */
	static final class LineClipping extends Writer {
		private final Writer out;
		private long column;

		LineClipping(Writer out) {
			this.out = out;
		}

		@Override
		public void write(char[] buf, int off, int len) throws java.io.IOException {
			int start = off;
			int end = off + len;
			for (int i = off; i < end; i++) {
				char c = buf[i];
				if (c == '\n') {
					if (column > MAX_LINE) out.write(String.format(Locale.ROOT, " ... (%d more characters)", column - MAX_LINE));
					out.write(buf, start, i + 1 - start);
					start = i + 1;
					column = 0;
				} else {
					column++;
					if (column == MAX_LINE + 1) {
						out.write(buf, start, i - start);
						start = i;
					}
					if (column > MAX_LINE) start = i + 1;
				}
			}
			if (start < end) out.write(buf, start, end - start);
		}

		@Override
		public void flush() throws java.io.IOException {
			out.flush();
		}

		@Override
		public void close() throws java.io.IOException {
			out.close();
		}
	}
}
