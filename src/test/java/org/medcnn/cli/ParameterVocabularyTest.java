package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.command.BatchClassifyFolderCommand;
import org.medcnn.command.ClassifySlicesCommand;
import org.medcnn.command.EvaluateClassifierCommand;
import org.medcnn.command.SaliencyMapsCommand;
import org.medcnn.command.SaliencySanityCheckCommand;
import org.medcnn.command.TrainClassifierCommand;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.plugin.Parameter;
import picocli.CommandLine;

/**
 * One vocabulary for both front-ends: every parameter of a Fiji command that has a command-line twin
 * ({@code batch_size} and {@code --batch-size}) has the same default there, and the range that the dialog
 * offers is the range that the command line accepts: the bounds pass the task's validation, values just
 * outside are refused as bad usage naming the option.
 */
class ParameterVocabularyTest {

	/**
	 * Each Fiji command, its command-line twin, its parameters that have no twin there (with why), and the
	 * twins whose names differ (macro key to option; recorded macros keep the old keys).
	 */
	private record Pair(Class<?> command, String cli, Map<String, String> fijiOnly, Map<String, String> renamed) {
		Pair(Class<?> command, String cli, Map<String, String> fijiOnly) {
			this(command, cli, fijiOnly, Map.of());
		}

		String option(String key) {
			return renamed.getOrDefault(key, "--" + key.replace('_', '-'));
		}
	}

	private static final List<Pair> PAIRS = List.of(
		new Pair(ClassifySlicesCommand.class, "classify", Map.of("image", "the open image; the command line reads --input", "add_overlay",
			"the open image's overlay; the command line writes the overlay TIFF", "results_csv", "the command line writes into --output")),
		new Pair(EvaluateClassifierCommand.class, "evaluate", Map.of("save_report", "the command line always writes the report into --output"),
			Map.of("test_list", "--data-csv", "output_dir", "--output")),
		new Pair(BatchClassifyFolderCommand.class, "batch", Map.of()),
		new Pair(SaliencyMapsCommand.class, "saliency", Map.of("image", "the open image", "add_overlay", "the command line always writes the overlay TIFF",
			"results_csv", "the command line writes into --output")),
		new Pair(SaliencySanityCheckCommand.class, "sanity", Map.of("image", "the open image", "results_csv", "the command line writes into --output")),
		new Pair(TrainClassifierCommand.class, "train", Map.of()));

	private static CommandLine.Model.CommandSpec cli(String name) {
		CommandLine root = new CommandLine(new MedCnnCli());
		CommandLine sub = root.getSubcommands().get(name);
		assertTrue(sub != null, "no command line command " + name);
		return sub.getCommandSpec();
	}

	/** The command's input parameters a user sets: not services, messages or outputs. */
	private static List<Field> userParameters(Class<?> c) {
		List<Field> out = new ArrayList<>();
		for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
			for (Field f : k.getDeclaredFields()) {
				Parameter p = f.getAnnotation(Parameter.class);
				if (p == null || Modifier.isStatic(f.getModifiers()) || p.type() == ItemIO.OUTPUT || p.visibility() == ItemVisibility.MESSAGE) continue;
				Class<?> t = f.getType();
				if (!(t.isPrimitive() || t == String.class || t == File.class || t.getName().equals("ij.ImagePlus"))) continue;
				out.add(f);
			}
		}
		return out;
	}

	@Test
	void everyParameterHasItsTwinWithTheSameDefault() throws Exception {
		List<String> problems = new ArrayList<>();
		for (Pair pair : PAIRS) {
			CommandLine.Model.CommandSpec spec = cli(pair.cli());
			Object command = pair.command().getDeclaredConstructor().newInstance();
			for (Field f : userParameters(pair.command())) {
				String key = f.getName();
				String where = pair.command().getSimpleName() + "." + key;
				if (pair.fijiOnly().containsKey(key)) continue;
				CommandLine.Model.OptionSpec o = spec.findOption(pair.option(key));
				if (o == null) {
					problems.add(where + ": no " + pair.option(key) + " in medcnn " + pair.cli());
					continue;
				}
				f.setAccessible(true);
				Object fiji = f.get(command);
				String cliDefault = o.defaultValue();
				// A required option has no default: the dialog's is a suggestion.
				if (o.required()) continue;
				if (!sameDefault(f.getType(), fiji, cliDefault, o)) {
					problems.add(where + " = " + fiji + " but " + pair.option(key) + " defaults to " + cliDefault);
				}
			}
		}
		assertEquals(List.of(), problems);
	}

	private static boolean sameDefault(Class<?> type, Object fiji, String cli, CommandLine.Model.OptionSpec o) {
		if (type == File.class || type.getName().equals("ij.ImagePlus")) return fiji == null && (cli == null || cli.isEmpty());
		if (type == boolean.class) {
			boolean c = cli == null ? false : Boolean.parseBoolean(cli);
			return c == (Boolean) fiji;
		}
		if (type == String.class) {
			String f = (String) fiji;
			if ((f == null || f.isEmpty()) && (cli == null || cli.isEmpty())) return true;
			return f != null && f.equals(cli);
		}
		if (cli == null) return false;
		return Double.parseDouble(cli) == ((Number) fiji).doubleValue();
	}

	/** Arguments that get each command past parsing to its task; the task then fails on the model or data, not on usage. */
	private static List<String> base(String cli, Path tmp) {
		String in = tmp.resolve("in.tif").toString();
		String out = tmp.resolve("out").toString();
		String model = tmp.resolve("no-such-model").toString();
		return switch (cli) {
			case "classify", "saliency" -> List.of(cli, "--model", model, "--input", in, "--output", out);
			case "sanity" -> List.of(cli, "--model", model, "--input", in);
			case "evaluate" -> List.of(cli, "--model", model, "--data-dir", tmp.toString(), "--output", out);
			case "batch" -> List.of(cli, "--model", model, "--input-dir", tmp.resolve("in").toString(), "--output-dir", out);
			case "train" -> List.of(cli, "--data-dir", tmp.resolve("no-data").toString(), "--output-dir", out, "--base-model", model);
			default -> throw new IllegalArgumentException(cli);
		};
	}

	private record Run(int code, String err) {}

	private static Run run(List<String> args) {
		StringWriter out = new StringWriter();
		StringWriter err = new StringWriter();
		int code = MedCnnCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
		return new Run(code, err.toString());
	}

	@Test
	void theDialogsRangesAreTheRangesTheCommandLineAccepts(@TempDir Path tmp) throws Exception {
		List<String> problems = new ArrayList<>();
		Set<String> checked = new java.util.TreeSet<>();
		for (Pair pair : PAIRS) {
			for (Field f : userParameters(pair.command())) {
				Parameter p = f.getAnnotation(Parameter.class);
				Class<?> t = f.getType();
				if (!(t == int.class || t == long.class || t == double.class || t == float.class)) continue;
				if (pair.fijiOnly().containsKey(f.getName())) continue;
				String opt = pair.option(f.getName());
				Map<String, String> values = new LinkedHashMap<>();
				boolean integral = t == int.class || t == long.class;
				if (!p.min().isEmpty()) {
					double min = Double.parseDouble(p.min());
					values.put(number(min, integral), "accepted");
					values.put(number(integral ? min - 1 : min - Math.max(1e-6, Math.abs(min) * 1e-6), integral), "refused");
				}
				if (!p.max().isEmpty()) {
					double max = Double.parseDouble(p.max());
					values.put(number(max, integral), "accepted");
					values.put(number(integral ? max + 1 : max + Math.max(1e-6, Math.abs(max) * 1e-6), integral), "refused");
				}
				for (Map.Entry<String, String> v : values.entrySet()) {
					List<String> args = new ArrayList<>(base(pair.cli(), tmp));
					args.addAll(List.of(opt, v.getKey()));
					Run r = run(args);
					String where = "medcnn " + pair.cli() + " " + opt + " " + v.getKey() + " (dialog range " + p.min() + ".." + p.max() + ")";
					checked.add(pair.cli() + " " + opt);
					if (v.getValue().equals("refused")) {
						if (r.code() != ExitCodes.USAGE || !r.err().contains(opt)) problems.add(where + ": expected bad usage naming " + opt + ", got " + r.code() + ": " + r.err().strip());
					} else if (r.code() == ExitCodes.USAGE) {
						problems.add(where + ": refused although the dialog offers it: " + r.err().strip());
					}
				}
			}
		}
		assertTrue(checked.size() > 20, "checked " + checked);
		assertEquals(List.of(), problems);
	}

	private static String number(double v, boolean integral) {
		return integral ? Long.toString((long) v) : Double.toString(v);
	}
}
