package org.medcnn.cli;

import ai.djl.translate.TranslateException;
import ij.io.FileSaver;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.ShiftTest;
import org.medcnn.core.eval.Shifts;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.ij.ShiftPlots;
import org.medcnn.io.AtomicFiles;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.io.JpegShift;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn shift-test}: robustness under graded synthetic shifts of a model's own test slices,
 * accuracy next to the share flagged out of distribution, as {@code shift.csv} and {@code shift.png}.
 */
@Command(name = "shift-test", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Classify a model's own test slices unchanged and under graded synthetic shifts (intensity window, gamma, blur, noise, resolution, "
		+ "JPEG quality, colour-map rendering) and write, per shift and strength, the accuracy and the share flagged out_of_distribution "
		+ "(shift.csv) with a plot (shift.png).")
public final class ShiftTestCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id or package folder.")
	private String model;

	@Option(names = "--data-root", paramLabel = "DIR", description = "The data folder the model's split.csv paths start from (tests its part --part).")
	private Path dataRoot;

	@Option(names = "--part", defaultValue = "test", description = "The part of split.csv to test (default: ${DEFAULT-VALUE}).")
	private String part;

	@Option(names = "--data-dir", paramLabel = "DIR", description = "Instead of the split: an image folder with one sub-folder per class.")
	private Path dataDir;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for shift.csv and shift.png.")
	private Path output;

	@Option(names = "--families", split = ",", description = "Shift families to run (default: all): window, gamma, blur, noise, resolution, colormap, jpeg.")
	private List<String> families = new ArrayList<>();

	@Option(names = "--seed", defaultValue = "0", description = "Seed of the noise (default: ${DEFAULT-VALUE}).")
	private long seed;

	@Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "16", description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--overwrite", description = "Replace existing output files.")
	private boolean overwrite;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		DeviceSpec dev;
		List<Shifts.Shift> shifts = new ArrayList<>(Shifts.arithmetic());
		shifts.addAll(JpegShift.shifts());
		try {
			dev = DeviceSpec.parse(device);
			if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("--batch-size must be between 1 and 1024, got " + batchSize);
			if ((dataRoot == null) == (dataDir == null)) throw new IllegalArgumentException("give exactly one of --data-root (the model's split) and --data-dir");
			if (!families.isEmpty()) {
				List<String> known = shifts.stream().map(Shifts.Shift::family).distinct().toList();
				for (String f : families) if (!known.contains(f)) throw new IllegalArgumentException("--families: '" + f + "' is not one of " + known);
				shifts.removeIf(s -> !families.contains(s.family()));
			}
			for (String f : List.of("shift.csv", "shift.png")) {
				if (!overwrite && Files.exists(output.resolve(f))) throw new IllegalStateException(output.resolve(f) + ": already exists; not overwritten (use --overwrite)");
			}
		} catch (IllegalArgumentException e) {
			err.println("medcnn shift-test: " + e.getMessage());
			return ExitCodes.USAGE;
		} catch (IllegalStateException e) {
			err.println("medcnn shift-test: " + e.getMessage());
			return ExitCodes.OUTPUT;
		}
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			Ensemble loaded;
			try {
				loaded = provider.loadAll(model, dev);
			} catch (ModelLoadException | IllegalArgumentException e) {
				err.println("medcnn shift-test: " + e.getMessage());
				return ExitCodes.MODEL;
			}
			List<Sample> samples;
			try {
				if (dataDir != null) {
					samples = Datasets.scanFolder(dataDir);
				} else {
					Path split = loaded.primary().dir().resolve("split.csv");
					if (!Files.isRegularFile(split)) throw new IllegalArgumentException(split + ": the model has no split.csv; give --data-dir instead");
					samples = Datasets.readCsv(split, dataRoot, part);
					if (samples.isEmpty()) throw new IllegalArgumentException(split + ": no rows of part '" + part + "'");
				}
			} catch (IOException | IllegalArgumentException e) {
				err.println("medcnn shift-test: " + e.getMessage());
				return ExitCodes.BAD_INPUT;
			}
			ShiftTest.Result result;
			try {
				result = new ShiftTest(loaded, new ImageSampleReader(), batchSize).run(samples, shifts, seed,
					(m, d, t) -> err.printf(Locale.ROOT, "medcnn shift-test: %s (%d of %d)%n", m, d, t), Cancellation.NEVER);
			} catch (IllegalArgumentException e) {
				err.println("medcnn shift-test: " + e.getMessage());
				return ExitCodes.BAD_INPUT;
			} catch (TranslateException e) {
				err.println("medcnn shift-test: inference failed: " + e.getMessage());
				return ExitCodes.INFERENCE;
			}
			try {
				Files.createDirectories(output);
				String csv = csv(result, loaded.id());
				AtomicFiles.write(output.resolve("shift.csv"), overwrite, tmp -> Files.writeString(tmp, csv, StandardCharsets.UTF_8));
				ij.ImagePlus plot = ShiftPlots.montage(result, loaded.id());
				AtomicFiles.write(output.resolve("shift.png"), overwrite, tmp -> {
					if (!new FileSaver(plot).saveAsPng(tmp.toString())) throw new IOException(tmp + ": cannot be written");
				});
			} catch (IOException e) {
				err.println("medcnn shift-test: " + e.getMessage());
				return ExitCodes.OUTPUT;
			}
			out.printf(Locale.ROOT, "%-11s %-5s %-46s %7s %8s %8s %9s%n", "shift", "level", "parameter", "slices", "accuracy", "macro_f1", "ood_flag");
			for (ShiftTest.Row r : result.rows()) {
				out.printf(Locale.ROOT, "%-11s %-5d %-46s %7d %8.4f %8.4f %9s%n", r.family(), r.level(), r.parameter(), r.slices(), r.accuracy(), r.macroF1(),
					Double.isNaN(r.oodFlagged()) ? "n/a" : String.format(Locale.ROOT, "%.4f", r.oodFlagged()));
			}
			if (!result.skipped().isEmpty()) err.println("medcnn shift-test: skipped " + result.skipped().size() + " unreadable image(s)");
			out.println("wrote " + output.resolve("shift.csv") + " and " + output.resolve("shift.png"));
			return ExitCodes.OK;
		}
	}

	/**
	 * The CSV of a shift test.
	 *
	 * @param result the result
	 * @param model the model id
	 * @return CSV text
	 */
	static String csv(ShiftTest.Result result, String model) {
		StringBuilder sb = new StringBuilder("model,shift,level,parameter,slices,accuracy,macro_f1,ood_flagged_share,ood_mean_score,accuracy_ood_kept,accuracy_ood_flagged\n");
		for (ShiftTest.Row r : result.rows()) {
			sb.append(String.format(Locale.ROOT, "%s,%s,%d,\"%s\",%d,%s,%s,%s,%s,%s,%s%n", model, r.family(), r.level(), r.parameter().replace("\"", "\"\""), r.slices(),
				num(r.accuracy()), num(r.macroF1()), num(r.oodFlagged()), num(r.oodMeanScore()), num(r.accuracyKept()), num(r.accuracyFlagged())));
		}
		return sb.toString();
	}

	private static String num(double v) {
		return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
	}
}
