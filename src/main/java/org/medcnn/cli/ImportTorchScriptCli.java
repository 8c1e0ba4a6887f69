package org.medcnn.cli;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.io.TorchScriptImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn import-torchscript}: a classifier trained elsewhere, as one TorchScript file, into a
 * whole-model package ({@link TorchScriptImport}).
 */
@Command(name = "import-torchscript", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Write a model package around a TorchScript classifier (N x C x H x W -> N x K logits or probabilities) trained elsewhere, "
		+ "and check it on its examples.")
public final class ImportTorchScriptCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "FILE", description = "The TorchScript file (torch.jit.script or torch.jit.trace, then save).")
	private Path model;

	@Option(names = "--classes", required = true, split = ",", paramLabel = "A,B,...", description = "Class names in the order of the model's outputs.")
	private List<String> classes = new ArrayList<>();

	@Option(names = "--input-size", required = true, paramLabel = "WxH", description = "The input size the model takes, e.g. 224x224 (or 224).")
	private String inputSize;

	@Option(names = "--intensity", required = true, paramLabel = "POLICY", description = "How slice values become model input before the channel "
		+ "normalisation: percentile:LOW:HIGH, window:CENTER:WIDTH (CT, HU), range:MIN:MAX (these three map to [0, 1], clamped), or zscore (per slice mean 0, sd 1).")
	private String intensity;

	@Option(names = "--channels", defaultValue = "3", description = "Input channels: 3 (the grey slice repeated) or 1 (default: ${DEFAULT-VALUE}).")
	private int channels;

	@Option(names = "--mean", split = ",", paramLabel = "M[,M,M]", description = "Channel mean subtracted after the intensity policy (default 0).")
	private List<Float> mean = new ArrayList<>();

	@Option(names = "--std", split = ",", paramLabel = "S[,S,S]", description = "Channel standard deviation divided by after the mean (default 1).")
	private List<Float> std = new ArrayList<>();

	@Option(names = "--resize", defaultValue = "stretch", description = "stretch or letterbox (default: ${DEFAULT-VALUE}).")
	private String resize;

	@Option(names = "--output-kind", defaultValue = "logits", description = "What the model returns: logits (softmax is applied) or probabilities "
		+ "(it is not) (default: ${DEFAULT-VALUE}).")
	private String outputKind;

	@Option(names = "--feature-method", paramLabel = "NAME", description = "A method of the model that returns N x F features (or a N x F x h x w "
		+ "map): lets medcnn fit-ood give the package an out-of-distribution detector.")
	private String featureMethod;

	@Option(names = "--temperature", paramLabel = "T", description = "A calibration temperature: probabilities are softmax(logits / T).")
	private Double temperature;

	@Option(names = "--id", paramLabel = "ID", description = "The model id (default: the output folder's name).")
	private String id;

	@Option(names = "--name", paramLabel = "TEXT", description = "A display name.")
	private String name;

	@Option(names = "--examples", paramLabel = "DIR", description = "Example images (files, or one sub-folder per class): copied into the package "
		+ "with the predictions the package must reproduce.")
	private Path examples;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "The package folder to write (new or empty).")
	private Path output;

	@Option(names = "--overwrite", description = "Replace a model package in the output folder.")
	private boolean overwrite;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		TorchScriptImport.Request request;
		try {
			request = TorchScriptImport.builder().setModel(model).setClasses(classes.stream().map(String::trim).toList())
				.setInput(input(inputSize, intensity, resize, mean, std, channels)).optChannels(channels).optOutputKind(kind(outputKind))
				.optFeatureMethod(featureMethod).optTemperature(temperature == null ? Double.NaN : temperature).optId(id).optName(name).optExamples(examples)
				.setOutput(output).optOverwrite(overwrite).build();
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn import-torchscript: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		TorchScriptImport.Result r;
		try {
			r = TorchScriptImport.run(request);
		} catch (ModelLoadException e) {
			CliErrors.report(err, e, "medcnn import-torchscript: " + e.getMessage());
			return ExitCodes.MODEL;
		} catch (IOException e) {
			CliErrors.report(err, e, "medcnn import-torchscript: " + e.getMessage());
			return ExitCodes.OUTPUT;
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn import-torchscript: " + e.getMessage());
			return ExitCodes.BAD_INPUT;
		} catch (TranslateException e) {
			CliErrors.report(err, e, "medcnn import-torchscript: inference failed: " + e.getMessage());
			return ExitCodes.INFERENCE;
		}
		for (String w : r.warnings()) err.println("medcnn import-torchscript: warning: " + w);
		out.println("wrote model package " + r.card().id() + " to " + r.dir() + " (" + r.card().classes().size() + " classes, " + r.card().wholeModelOutput().key()
			+ (r.card().featureMethod() == null ? ", no feature method: no out-of-distribution detector possible"
				: ", feature method " + r.card().featureMethod() + " with " + r.card().featureCount() + " features; add a detector with medcnn fit-ood") + ")");
		if (r.examples() > 0) {
			out.println("  checked on " + r.examples() + " example slice(s): the package reproduces them" + (r.labelled() > 0
				? "; " + r.correct() + " of " + r.labelled() + " labelled examples predicted right" : ""));
		} else {
			out.println("  no examples given (--examples): the package has none to check it by");
		}
		return ExitCodes.OK;
	}

	/**
	 * The input contract from the command line's spelling of it.
	 *
	 * @param size {@code WxH} or {@code N}
	 * @param intensity the intensity policy
	 * @param resize stretch or letterbox
	 * @param mean 0, 1 or 3 values
	 * @param std 0, 1 or 3 values
	 * @param channels 1 or 3
	 * @return the contract
	 * @throws IllegalArgumentException naming the option that is wrong
	 */
	static InputSpec input(String size, String intensity, String resize, List<Float> mean, List<Float> std, int channels) {
		String[] wh = size.toLowerCase(java.util.Locale.ROOT).split("x");
		int w;
		int h;
		try {
			w = Integer.parseInt(wh[0].trim());
			h = wh.length > 1 ? Integer.parseInt(wh[1].trim()) : w;
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException("--input-size '" + size + "' must be WxH, e.g. 224x224");
		}
		if (wh.length > 2) throw new IllegalArgumentException("--input-size '" + size + "' must be WxH, e.g. 224x224");
		InputSpec.Builder b = InputSpec.builder().setSize(w, h).setIntensity(IntensityPolicy.parse(intensity)).optResize(InputSpec.Resize.parse(resize));
		if (!mean.isEmpty() || !std.isEmpty()) b.optNormalize(triple("--mean", mean, 0f), triple("--std", std, 1f));
		if (channels == 1 && (mean.size() > 1 || std.size() > 1)) throw new IllegalArgumentException("--channels 1 takes one --mean and one --std value");
		return b.build();
	}

	private static float[] triple(String option, List<Float> v, float fallback) {
		if (v.isEmpty()) return new float[] {fallback, fallback, fallback};
		if (v.size() == 1) return new float[] {v.get(0), v.get(0), v.get(0)};
		if (v.size() == 3) return new float[] {v.get(0), v.get(1), v.get(2)};
		throw new IllegalArgumentException(option + " takes 1 or 3 values, got " + v.size());
	}

	private static ModelCard.Output kind(String text) {
		try {
			return ModelCard.Output.parse(text.trim().toLowerCase(java.util.Locale.ROOT));
		} catch (IllegalArgumentException e) {
			throw new IllegalArgumentException("--output-kind " + e.getMessage());
		}
	}
}
