package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.app.ExplainTask;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.Parameters;
import org.medcnn.app.SaliencySettings;
import org.medcnn.core.Messages;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRun;
import org.medcnn.core.explain.SliceSaliency;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

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

	@Option(names = "--method", defaultValue = SaliencySettings.METHOD, description = "One of: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
		completionCandidates = MethodNames.class)
	private String method;

	@Option(names = "--top-percent", defaultValue = "" + SaliencySettings.TOP_PERCENT, description = "Regions are made of this share of each slice's most salient pixels (default: ${DEFAULT-VALUE}).")
	private double topPercent;

	@Option(names = "--max-regions", defaultValue = "" + SaliencySettings.MAX_REGIONS, description = "Largest regions kept per slice (default: ${DEFAULT-VALUE}).")
	private int maxRegions;

	@Option(names = "--overlay-opacity", defaultValue = "" + SaliencySettings.OVERLAY_OPACITY, description = "Heatmap opacity on the overlay and the montage, 0 to 1 (default: ${DEFAULT-VALUE}).")
	private double opacity;

	@Option(names = "--montage-slices", defaultValue = "" + SaliencySettings.MONTAGE_SLICES, description = "Slices shown in the montage, evenly spaced (default: ${DEFAULT-VALUE}).")
	private int montageSlices;

	@Mixin
	private SaliencyOptions options;

	@Option(names = "--device", defaultValue = Parameters.DEVICE, description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
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
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			ExplainTask.Request r = ExplainTask.builder().setModel(model).setInput(input, output).optDevice(device)
				.optSettings(options.settings(method, topPercent, maxRegions)).optOverlay(true, opacity).optMontageSlices(montageSlices).optOverwrite(overwrite)
				.build();
			ExplainTask.Result result = new ExplainTask(provider).run(r, ProgressListener.NONE, Cancellation.NEVER);
			for (String w : result.warnings()) err.println(Messages.oneLine("medcnn saliency: warning: " + w));
			if (!quiet) {
				SaliencyRun run = result.run();
				double ms = run.slices().stream().mapToDouble(SliceSaliency::ms).average().orElse(0);
				int regions = run.slices().stream().mapToInt(s -> s.regions().size()).sum();
				out.printf(Locale.ROOT, "%s: %s of %d slice(s) with %s (%s) on %s, %.1f ms/slice, %d region(s)%n", input.getFileName(), r.saliency().describe(),
					run.slices().size(), run.modelId(), run.modelSha(), run.device(), ms, regions);
				for (Path p : result.written()) out.println("wrote " + p);
			}
			return ExitCodes.OK;
		} catch (MedCnnException e) {
			return CliErrors.fail(spec, e);
		}
	}

	/** The method names, for the help text. */
	static final class MethodNames extends ArrayList<String> {
		private static final long serialVersionUID = 1L;

		MethodNames() {
			for (SaliencyMethod m : SaliencyMethod.values()) add(m.id());
		}
	}
}
