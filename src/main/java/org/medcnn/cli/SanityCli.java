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
import org.medcnn.app.ClassifyTask;
import org.medcnn.core.explain.SaliencyException;
import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.core.explain.SanityCheck;
import org.medcnn.core.explain.SanityReport;
import org.medcnn.core.explain.SanityRuns;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.io.ImageFiles;
import org.medcnn.io.ImageReadException;
import org.medcnn.io.SaliencyOutputs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code medcnn sanity}: the model-parameter randomisation test (Adebayo et al. 2018) and the
 * deletion / insertion AUCs (Petsiuk et al. 2018) of the saliency methods, on a few slices of an image
 * file. Prints the table; with {@code --output}, also writes {@code <name>_sanity.csv}. Exits 0 when
 * the check ran, whatever the verdicts (they are in the table and on stdout).
 */
@Command(name = "sanity", mixinStandardHelpOptions = true,
	description = "Sanity check of the saliency methods: randomisation test (Spearman, SSIM) and deletion/insertion AUC, as a table.")
public final class SanityCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id or model package folder.")
	private String model;

	@Option(names = "--input", required = true, paramLabel = "FILE", description = "Image file whose slices are explained.")
	private Path input;

	@Option(names = "--output", paramLabel = "DIR", description = "Folder for <name>_sanity.csv (optional).")
	private Path output;

	@Option(names = "--methods", defaultValue = "all", description = "'all' or a comma-separated list of methods (default: ${DEFAULT-VALUE}).")
	private String methods;

	@Option(names = "--max-slices", defaultValue = "4", description = "Slices, evenly spaced, to average over (default: ${DEFAULT-VALUE}).")
	private int maxSlices;

	@Option(names = "--blocks", defaultValue = "3", description = "Trunk blocks randomised after the head, from the last (default: ${DEFAULT-VALUE}).")
	private int blocks;

	@Option(names = "--repeats", defaultValue = "3", description = "Independent randomisations averaged (default: ${DEFAULT-VALUE}).")
	private int repeats;

	@Option(names = "--max-correlation", defaultValue = "0.5", description = "Fail a method whose mean Spearman at the last stage is at least this (default: ${DEFAULT-VALUE}).")
	private double maxCorrelation;

	@Option(names = "--auc-steps", defaultValue = "16", description = "Points of the deletion and insertion curves (default: ${DEFAULT-VALUE}).")
	private int aucSteps;

	@Mixin
	private SaliencyOptions options;

	@Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--overwrite", description = "Replace an existing CSV (default: refuse).")
	private boolean overwrite;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		DeviceSpec deviceSpec;
		SaliencyRequest base;
		SanityCheck check;
		List<SaliencyMethod> list;
		try {
			deviceSpec = DeviceSpec.parse(device);
			list = SanityRuns.methods(methods);
			base = options.request(SaliencyMethod.GRAD_CAM, 5, 0);
			check = SanityCheck.builder().optBlocks(blocks).optRepeats(repeats).optMaxCorrelation(maxCorrelation).optAucSteps(aucSteps)
				.optBatchSize(options.batchSize).optSeed(options.seed).build();
			if (maxSlices < 1) throw new IllegalArgumentException("--max-slices must be at least 1, got " + maxSlices);
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn sanity: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		Path csv = output == null ? null : output.resolve(ClassifyTask.baseName(input) + "_sanity.csv");
		if (csv != null) {
			String clash = ClassifyTask.outputClash(input, output, csv);
			if (clash != null) {
				err.println("medcnn sanity: " + clash);
				return ExitCodes.USAGE;
			}
			try {
				Files.createDirectories(output);
			} catch (IOException e) {
				CliErrors.report(err, e, "medcnn sanity: " + output + ": cannot create output folder: " + e.getMessage());
				return ExitCodes.OUTPUT;
			}
			if (!overwrite && Files.exists(csv)) {
				err.println("medcnn sanity: " + csv + ": already exists; not overwritten (use --overwrite to replace it)");
				return ExitCodes.OUTPUT;
			}
		}
		ImagePlus imp;
		try {
			imp = ImageFiles.open(input);
		} catch (ImageReadException e) {
			CliErrors.report(err, e, "medcnn sanity: " + e.getMessage());
			return ExitCodes.BAD_INPUT;
		}
		for (String w : ImageFiles.warnings(imp)) err.println(org.medcnn.core.Messages.oneLine("medcnn sanity: warning: " + input + ": " + w));
		ModelPackage pkg;
		try {
			pkg = ModelRepository.withDefaults(modelsDirs).open(model);
			base.targetIndex(pkg.card().classes());
		} catch (ModelLoadException e) {
			CliErrors.report(err, e, "medcnn sanity: " + e.getMessage());
			return ExitCodes.MODEL;
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn sanity: --target: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		SanityReport report;
		try {
			report = SanityRuns.run(check, pkg, deviceSpec, new ImagePlusSlices(imp, input.getFileName().toString()), maxSlices, base, list,
				(msg, done, total) -> { }, Cancellation.NEVER);
		} catch (ModelLoadException e) {
			CliErrors.report(err, e, "medcnn sanity: " + e.getMessage());
			return ExitCodes.MODEL;
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn sanity: " + input + ": " + e.getMessage());
			return ExitCodes.BAD_INPUT;
		} catch (SaliencyException e) {
			CliErrors.report(err, e, "medcnn sanity: " + e.getMessage());
			return ExitCodes.INFERENCE;
		}
		print(report, out);
		if (csv != null) {
			try {
				SaliencyOutputs.writeSanity(report, csv, overwrite);
			} catch (IOException e) {
				CliErrors.report(err, e, "medcnn sanity: " + e.getMessage());
				return ExitCodes.OUTPUT;
			}
			out.println("wrote " + csv);
		}
		return ExitCodes.OK;
	}

	private static void print(SanityReport report, PrintWriter out) {
		out.printf(Locale.ROOT, "model %s (%s) on %s, %d slice(s); a method fails when its Spearman correlation at the last stage is >= %.2f%n",
			report.modelId(), report.modelSha(), report.device(), report.slices(), report.maxCorrelation());
		out.printf(Locale.ROOT, "%-22s %-40s %9s %7s %9s %9s  %s%n", "method", "randomised", "spearman", "ssim", "deletion", "insertion", "verdict");
		for (SanityReport.Row r : report.rows()) {
			out.printf(Locale.ROOT, "%-22s %-40s %9.3f %7.3f %9.3f %9.3f  %s%n", r.method(), r.randomised(), r.spearman(), r.ssim(), r.deletionAuc(),
				r.insertionAuc(), r.verdict());
		}
	}
}
