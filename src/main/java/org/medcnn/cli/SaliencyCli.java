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
import org.medcnn.core.explain.DjlSaliency;
import org.medcnn.core.explain.ExplainModel;
import org.medcnn.core.explain.SaliencyException;
import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.core.explain.SaliencyRun;
import org.medcnn.core.explain.SliceSaliency;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.ij.SaliencyMontage;
import org.medcnn.ij.SaliencyOverlays;
import org.medcnn.ij.SaliencyTables;
import org.medcnn.io.ImageFiles;
import org.medcnn.io.ImageReadException;
import org.medcnn.io.SaliencyOutputs;
import org.medcnn.io.TiffOutput;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code medcnn saliency}: saliency maps of every slice of one image file. Writes, with
 * {@code <name>} the input's name without extension and {@code <m>} the method:
 * {@code <name>_<m>_heatmap.tif} (32-bit, the input's dimensions and calibration),
 * {@code <name>_<m>_overlay.tif} (the input with heatmaps and region outlines on its overlay),
 * {@code <name>_<m>_regions.csv} (one row per region) and {@code <name>_<m>_montage.png} (a few slices).
 */
@Command(name = "saliency", mixinStandardHelpOptions = true,
	description = "Saliency maps of every slice of an image file: heatmap TIFF, input TIFF with overlay, regions CSV, PNG montage.")
public final class SaliencyCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id (e.g. brain-tumor-mri) or model package folder.")
	private String model;

	@Option(names = "--input", required = true, paramLabel = "FILE", description = "Image file (TIFF, PNG, JPEG, uncompressed DICOM).")
	private Path input;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for the outputs (created if needed).")
	private Path output;

	@Option(names = "--method", defaultValue = "grad_cam", description = "One of: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
		completionCandidates = MethodNames.class)
	private String method;

	@Option(names = "--top-percent", defaultValue = "5", description = "Regions are made of this share of each slice's most salient pixels (default: ${DEFAULT-VALUE}).")
	private double topPercent;

	@Option(names = "--max-regions", defaultValue = "3", description = "Largest regions kept per slice (default: ${DEFAULT-VALUE}).")
	private int maxRegions;

	@Option(names = "--overlay-opacity", defaultValue = "0.4", description = "Heatmap opacity on the overlay and the montage, 0 to 1 (default: ${DEFAULT-VALUE}).")
	private double opacity;

	@Option(names = "--montage-slices", defaultValue = "6", description = "Slices shown in the montage, evenly spaced (default: ${DEFAULT-VALUE}).")
	private int montageSlices;

	@Mixin
	private SaliencyOptions options;

	@Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--overwrite", description = "Replace existing outputs (default: refuse).")
	private boolean overwrite;

	@Option(names = "--quiet", description = "Print nothing but errors.")
	private boolean quiet;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		DeviceSpec deviceSpec;
		SaliencyRequest request;
		try {
			deviceSpec = DeviceSpec.parse(device);
			request = options.request(SaliencyMethod.parse(method), topPercent, maxRegions);
			if (!(opacity >= 0 && opacity <= 1)) throw new IllegalArgumentException("--overlay-opacity must be between 0 and 1, got " + opacity);
			if (montageSlices < 1 || montageSlices > 64) throw new IllegalArgumentException("--montage-slices must be between 1 and 64, got " + montageSlices);
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn saliency: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		String base = ClassifyTask.baseName(input) + "_" + request.method().id();
		Path heatTif = output.resolve(base + "_heatmap.tif");
		Path overlayTif = output.resolve(base + "_overlay.tif");
		Path csv = output.resolve(base + "_regions.csv");
		Path png = output.resolve(base + "_montage.png");
		String clash = ClassifyTask.outputClash(input, output, heatTif, overlayTif, csv, png);
		if (clash != null) {
			err.println("medcnn saliency: " + clash);
			return ExitCodes.USAGE;
		}
		try {
			Files.createDirectories(output);
		} catch (IOException e) {
			CliErrors.report(err, e, "medcnn saliency: " + output + ": cannot create output folder: " + e.getMessage());
			return ExitCodes.OUTPUT;
		}
		if (!overwrite) {
			for (Path p : List.of(heatTif, overlayTif, csv, png)) {
				if (Files.exists(p)) {
					err.println("medcnn saliency: " + p + ": already exists; not overwritten (use --overwrite to replace it)");
					return ExitCodes.OUTPUT;
				}
			}
		}
		ImagePlus imp;
		try {
			imp = ImageFiles.open(input);
		} catch (ImageReadException e) {
			CliErrors.report(err, e, "medcnn saliency: " + e.getMessage());
			return ExitCodes.BAD_INPUT;
		}
		for (String w : ImageFiles.warnings(imp)) err.println(org.medcnn.core.Messages.oneLine("medcnn saliency: warning: " + input + ": " + w));
		ModelPackage pkg;
		try {
			pkg = ModelRepository.withDefaults(modelsDirs).open(model);
		} catch (ModelLoadException e) {
			CliErrors.report(err, e, "medcnn saliency: " + e.getMessage());
			return ExitCodes.MODEL;
		}
		ImagePlusSlices slices = new ImagePlusSlices(imp, input.getFileName().toString());
		SaliencyRun run;
		try (ExplainModel loaded = ExplainModel.load(pkg, deviceSpec)) {
			try {
				DjlSaliency.check(request, loaded);
			} catch (IllegalArgumentException e) {
				CliErrors.report(err, e, "medcnn saliency: " + e.getMessage());
				return ExitCodes.USAGE;
			}
			run = new DjlSaliency(loaded).explain(slices, request, (msg, done, total) -> { }, Cancellation.NEVER);
		} catch (ModelLoadException e) {
			CliErrors.report(err, e, "medcnn saliency: " + e.getMessage());
			return ExitCodes.MODEL;
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn saliency: " + input + ": " + e.getMessage());
			return ExitCodes.BAD_INPUT;
		} catch (SaliencyException e) {
			CliErrors.report(err, e, "medcnn saliency: " + e.getMessage());
			return ExitCodes.INFERENCE;
		}
		for (String w : run.warnings()) err.println("medcnn saliency: warning: " + w);
		ImagePlus heat = SaliencyOverlays.heatmapStack(slices, run);
		SaliencyOverlays.add(slices, run, opacity);
		try {
			TiffOutput.save(heat, heatTif, overwrite);
			TiffOutput.save(imp, overlayTif, overwrite);
			SaliencyOutputs.writeRegions(run, SaliencyTables.scale(imp.getCalibration()), csv, overwrite);
			SaliencyOutputs.savePng(SaliencyMontage.render(slices, run, montageSlices, opacity), png, overwrite);
		} catch (IOException e) {
			CliErrors.report(err, e, "medcnn saliency: " + e.getMessage());
			return ExitCodes.OUTPUT;
		}
		if (!quiet) {
			double ms = run.slices().stream().mapToDouble(SliceSaliency::ms).average().orElse(0);
			int regions = run.slices().stream().mapToInt(s -> s.regions().size()).sum();
			out.printf(Locale.ROOT, "%s: %s of %d slice(s) with %s (%s) on %s, %.1f ms/slice, %d region(s)%n", input.getFileName(), request.describe(),
				run.slices().size(), run.modelId(), run.modelSha(), run.device(), ms, regions);
			for (Path p : List.of(heatTif, overlayTif, csv, png)) out.println("wrote " + p);
		}
		return ExitCodes.OK;
	}

	/** The method names, for the help text. */
	static final class MethodNames extends ArrayList<String> {
		private static final long serialVersionUID = 1L;

		MethodNames() {
			for (SaliencyMethod m : SaliencyMethod.values()) add(m.id());
		}
	}
}
