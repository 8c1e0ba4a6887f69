package org.medcnn.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.train.EnsembleTrainer;
import org.medcnn.io.ImageSampleReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn train-ensemble}: trains an ensemble package of heads on the trunk of an existing
 * package, on that package's own split.
 */
@Command(name = "train-ensemble", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Train an ensemble package: several heads (one per seed, each on a bootstrap resample of the base model's training split) on the base model's trunk.")
public final class EnsembleCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--base", required = true, paramLabel = "ID|DIR", description = "The base model package (must ship its split.csv).")
	private String baseModel;

	@Option(names = "--data-root", required = true, paramLabel = "DIR", description = "The data folder the base model's split.csv paths start from.")
	private Path dataRoot;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "The new package folder.")
	private Path output;

	@Option(names = "--id", required = true, description = "The new model id.")
	private String id;

	@Option(names = "--seeds", defaultValue = "1,2,3,4,5", split = ",", description = "One seed per member (default: ${DEFAULT-VALUE}).")
	private List<Long> seeds = new ArrayList<>();

	@Option(names = "--no-bootstrap", description = "Train every member on the whole training split (members then differ only by seed).")
	private boolean noBootstrap;

	@Option(names = "--dropout", defaultValue = "0.2", description = "Dropout on the features while training the heads (default: ${DEFAULT-VALUE}).")
	private double dropout;

	@Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Option(names = "--overwrite", description = "Replace an existing package in --output.")
	private boolean overwrite;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		EnsembleTrainer.Request request;
		DeviceSpec dev;
		try {
			dev = DeviceSpec.parse(device);
			request = new EnsembleTrainer.Request(dataRoot, output, id, seeds, !noBootstrap, dropout, 16, overwrite);
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn train-ensemble: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		try (ModelProvider provider = new ModelProvider(ModelRepository.withDefaults(modelsDirs))) {
			ClassifierModel base;
			try {
				base = provider.load(baseModel, dev);
			} catch (ModelLoadException e) {
				CliErrors.report(err, e, "medcnn train-ensemble: " + e.getMessage());
				return ExitCodes.MODEL;
			}
			CliErrors.deviceWarnings(err, "medcnn train-ensemble", java.util.List.of(base));
			EnsembleTrainer.Result r;
			try {
				r = new EnsembleTrainer(base, new ImageSampleReader()).train(request, out::println, Cancellation.NEVER);
			} catch (IOException | IllegalArgumentException e) {
				CliErrors.report(err, e, "medcnn train-ensemble: " + e.getMessage());
				return ExitCodes.BAD_INPUT;
			} catch (ModelLoadException e) {
				CliErrors.report(err, e, "medcnn train-ensemble: the written package does not verify: " + e.getMessage());
				return ExitCodes.OUTPUT;
			} catch (ai.djl.translate.TranslateException e) {
				CliErrors.report(err, e, "medcnn train-ensemble: inference failed: " + e.getMessage());
				return ExitCodes.INFERENCE;
			}
			out.println("test split of " + base.pkg().card().id() + ":");
			line(out, "base model", r.single());
			for (int k = 0; k < r.memberTest().size(); k++) line(out, "member seed " + seeds.get(k), r.memberTest().get(k));
			line(out, "ensemble", r.ensemble());
			out.println("wrote " + r.dir());
			return ExitCodes.OK;
		}
	}

	private static void line(PrintWriter out, String what, Metrics m) {
		out.printf(Locale.ROOT, "  %-16s accuracy %.4f, balanced accuracy %.4f, macro F1 %.4f, ECE %.4f (%d images)%n", what, m.accuracy(), m.balancedAccuracy(),
			m.macroF1(), m.ece(), m.count());
	}
}
