package org.medcnn.cli;

import ij.ImagePlus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.core.Messages;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.classify.ClassificationException;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.ij.PredictionOverlays;
import org.medcnn.io.ImageFiles;
import org.medcnn.io.ImageReadException;
import org.medcnn.io.PredictionCsv;
import org.medcnn.io.TiffOutput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn classify}: classifies every slice of one image file and writes {@code <name>.csv}
 * and {@code <name>.tif} (the stack with the predictions on its overlay).
 */
@Command(name = "classify", mixinStandardHelpOptions = true,
	description = {"Classify every slice of an image file (TIFF, PNG, JPEG, GIF, BMP, uncompressed DICOM, NIfTI-1 .nii/.nii.gz/.hdr+.img)",
		"or of a folder holding one DICOM series; write <name>.csv and <name>.tif."})
public final class ClassifyCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id (e.g. brain-tumor-mri) or model package folder; several separated by commas form an ensemble.")
	private String model;

	@Option(names = "--input", required = true, paramLabel = "FILE|DIR",
		description = "Image file to classify, or a folder of DICOM slices read as one series (the largest, when it holds several).")
	private Path input;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for the outputs (created if needed).")
	private Path output;

	@Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "8", description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--overwrite", description = "Replace existing outputs (default: refuse).")
	private boolean overwrite;

	@Option(names = "--quiet", description = "Print nothing but errors.")
	private boolean quiet;

	@CommandLine.Mixin
	private UncertaintyCliOptions uncertaintyOptions = new UncertaintyCliOptions();

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		DeviceSpec deviceSpec;
		UncertaintyOptions uncertainty;
		try {
			deviceSpec = DeviceSpec.parse(device);
			uncertainty = uncertaintyOptions.options();
			if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("--batch-size must be between 1 and 1024, got " + batchSize);
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn classify: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		String base = baseName(input);
		Path csv = output.resolve(base + ".csv");
		Path tif = output.resolve(base + ".tif");
		String clash = outputClash(input, output, csv, tif);
		if (clash != null) {
			err.println("medcnn classify: " + clash);
			return ExitCodes.USAGE;
		}
		try {
			Files.createDirectories(output);
		} catch (IOException e) {
			CliErrors.report(err, e, "medcnn classify: " + output + ": cannot create output folder: " + e.getMessage());
			return ExitCodes.OUTPUT;
		}
		if (!overwrite) {
			for (Path p : List.of(csv, tif)) {
				if (Files.exists(p)) {
					err.println("medcnn classify: " + p + ": already exists; not overwritten (use --overwrite to replace it)");
					return ExitCodes.OUTPUT;
				}
			}
		}
		ImagePlus imp;
		try {
			imp = ImageFiles.open(input);
		} catch (ImageReadException e) {
			CliErrors.report(err, e, "medcnn classify: " + e.getMessage());
			return ExitCodes.BAD_INPUT;
		}
		for (String w : ImageFiles.warnings(imp)) err.println(Messages.oneLine("medcnn classify: warning: " + input + ": " + w));
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			Ensemble loaded;
			try {
				loaded = provider.loadAll(model, deviceSpec);
			} catch (ModelLoadException e) {
				CliErrors.report(err, e, "medcnn classify: " + e.getMessage());
				return ExitCodes.MODEL;
			} catch (IllegalArgumentException e) {
				CliErrors.report(err, e, "medcnn classify: " + e.getMessage());
				return ExitCodes.USAGE;
			}
			DjlSliceClassifier classifier;
			try {
				classifier = new DjlSliceClassifier(loaded, batchSize, uncertainty, provider::cpuCopy);
			} catch (IllegalArgumentException e) {
				CliErrors.report(err, e, "medcnn classify: " + e.getMessage());
				return ExitCodes.USAGE;
			}
			ImagePlusSlices slices = new ImagePlusSlices(imp, input.getFileName().toString());
			ClassificationRun run;
			try {
				run = classifier.classify(slices, (msg, done, total) -> { }, Cancellation.NEVER);
			} catch (IllegalArgumentException e) {
				CliErrors.report(err, e, "medcnn classify: " + input + ": " + e.getMessage());
				return ExitCodes.BAD_INPUT;
			} catch (ClassificationException e) {
				CliErrors.report(err, e, "medcnn classify: " + e.getMessage());
				return ExitCodes.INFERENCE;
			}
			for (String w : run.warnings()) err.println("medcnn classify: warning: " + w);
			// Flagged slices come as a warning above; an unflagged stack still says that it was checked.
			if (run.oodScored() > 0 && run.oodFlagged() == 0) err.println("medcnn classify: " + run.oodSummary());
			PredictionOverlays.add(slices, run);
			try {
				PredictionCsv.write(run, csv, overwrite);
				TiffOutput.save(imp, tif, overwrite);
			} catch (IOException e) {
				CliErrors.report(err, e, "medcnn classify: " + e.getMessage());
				return ExitCodes.OUTPUT;
			}
			if (!quiet) {
				out.printf(Locale.ROOT, "%s: %d slice(s) classified with %s (%s) on %s%n", input.getFileName(), run.predictions().size(),
					run.modelId(), run.modelSha(), run.device());
				summary(run, out);
				out.println("wrote " + csv);
				out.println("wrote " + tif);
			}
			return ExitCodes.OK;
		}
	}

	private static void summary(ClassificationRun run, PrintWriter out) {
		java.util.Map<String, Integer> counts = new java.util.LinkedHashMap<>();
		int flagged = 0;
		for (var p : run.predictions()) {
			counts.merge(p.predicted(), 1, Integer::sum);
			if (p.uncertainty() != null && p.uncertainty().uncertain() == 1) flagged++;
		}
		out.println("predicted: " + counts);
		if (run.uncertainty() != org.medcnn.core.uncertainty.UncertaintyMode.NONE) {
			out.println("uncertainty " + run.uncertainty().key() + ": " + flagged + " of " + run.predictions().size() + " slice(s) flagged uncertain");
		}
		if (run.oodScored() > 0) out.println("out of distribution: " + run.oodFlagged() + " of " + run.oodScored() + " slice(s) outside the training data");
	}

	/**
	 * Tells why outputs may not be written where asked: an output that is the input file itself (compared on
	 * disk: other spellings, links), or an output folder inside the input series folder. Refused with or
	 * without {@code --overwrite}.
	 *
	 * @param input the input file or series folder
	 * @param outputDir the output folder
	 * @param outputs the output files
	 * @return the problem, one line naming both; null when there is none
	 */
	static String outputClash(Path input, Path outputDir, Path... outputs) {
		for (Path o : outputs) {
			try {
				OutputGuard.refuseInput(o, input, "--output folder");
			} catch (IllegalArgumentException e) {
				return e.getMessage();
			}
		}
		if (Files.isDirectory(input) && OutputGuard.within(outputDir, input)) {
			return "--output " + outputDir + " lies inside the input series folder " + input
				+ ": outputs would be mixed with its DICOM files; choose a folder outside it";
		}
		return null;
	}

	/**
	 * Returns the output base name of an input file: the file name without its image extension.
	 *
	 * @param input the input file
	 * @return the base name
	 */
	static String baseName(Path input) {
		String n = input.getFileName().toString();
		String lower = n.toLowerCase(Locale.ROOT);
		for (String ext : List.of(".nii.gz", ".ome.tiff", ".ome.tif", ".tiff", ".tif", ".png", ".jpeg", ".jpg", ".dcm", ".dicom", ".nii")) {
			if (lower.endsWith(ext) && n.length() > ext.length()) return n.substring(0, n.length() - ext.length());
		}
		return n;
	}
}
