package org.medcnn.cli;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.ood.OodMethod;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.train.OodFitting;
import org.medcnn.io.ImageSampleReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn fit-ood}: fits (or refits) the out-of-distribution detector of an existing model package
 * from its {@code split.csv}, without retraining, and records it and its measured figures in the card.
 */
@Command(name = "fit-ood", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Fit a model package's out-of-distribution detector (ood.bin) on the pooled trunk features of the training part of its split.csv, "
		+ "choose the threshold on the validation part, measure it on the test part and on any --foreign data, and write it with its figures into "
		+ "the card (the old card is kept as model.json.bak).")
public final class FitOodCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "DIR", description = "The model package folder (its card is updated).")
	private Path model;

	@Option(names = "--data-root", required = true, paramLabel = "DIR", description = "The data folder the package's split.csv paths start from.")
	private Path dataRoot;

	@Option(names = "--method", defaultValue = "knn", description = "knn or mahalanobis (default: ${DEFAULT-VALUE}).")
	private String method;

	@Option(names = "--k", defaultValue = "5", description = "The k of knn: the distance to the k-th nearest training slice (default: ${DEFAULT-VALUE}).")
	private int k;

	@Option(names = "--shrinkage", defaultValue = "0.1", description = "Covariance shrinkage of mahalanobis, in (0, 1] (default: ${DEFAULT-VALUE}).")
	private double shrinkage;

	@Option(names = "--coverage", defaultValue = "0.95", description = "Fraction of the validation slices kept unflagged (default: ${DEFAULT-VALUE}).")
	private double coverage;

	@Option(names = "--float32", description = "Store the detector's matrices as float32 instead of float16 (twice the file).")
	private boolean float32;

	@Option(names = "--foreign", paramLabel = "NAME=DIR", description = "A folder of images known to be foreign to the model (any readable files, "
		+ "searched recursively); the share flagged and the AUROC against the test part go into the card. Repeatable.")
	private List<String> foreign = new ArrayList<>();

	@Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
	private String device;

	@Option(names = "--batch-size", defaultValue = "16", description = "Slices per engine call (default: ${DEFAULT-VALUE}).")
	private int batchSize;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		OodFitting.Options options;
		DeviceSpec dev;
		Map<String, Path> foreignDirs = new LinkedHashMap<>();
		List<Sample> train;
		List<Sample> validation;
		List<Sample> test;
		Path split = model.resolve("split.csv");
		try {
			dev = DeviceSpec.parse(device);
			if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("--batch-size must be between 1 and 1024, got " + batchSize);
			options = new OodFitting.Options(OodMethod.parse(method), k, shrinkage, coverage, !float32);
			for (String f : foreign) {
				int eq = f.indexOf('=');
				if (eq < 1 || eq == f.length() - 1) throw new IllegalArgumentException("--foreign '" + f + "' must be NAME=DIR");
				String name = f.substring(0, eq);
				if (!name.matches("[A-Za-z0-9._-]{1,64}")) throw new IllegalArgumentException("--foreign name '" + name + "' must be letters, digits, '.', '_' or '-'");
				Path dir = Path.of(f.substring(eq + 1));
				if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--foreign " + name + ": " + dir + " is not a folder");
				if (foreignDirs.put(name, dir) != null) throw new IllegalArgumentException("--foreign name '" + name + "' is given twice");
			}
			if (!Files.isDirectory(model)) throw new IllegalArgumentException("--model " + model + ": not a folder");
			if (!Files.isRegularFile(split)) {
				throw new IllegalArgumentException(split + ": the package has no split.csv, so its training and validation parts are unknown; "
					+ "fit-ood needs the split the model was trained on (packages made by medcnn train have one)");
			}
			train = Datasets.readCsv(split, dataRoot, "train");
			validation = Datasets.readCsv(split, dataRoot, "validation");
			test = Datasets.readCsv(split, dataRoot, "test");
			if (train.isEmpty()) throw new IllegalArgumentException(split + ": no rows of part 'train'");
			if (validation.isEmpty()) throw new IllegalArgumentException(split + ": no rows of part 'validation' to choose the threshold on");
		} catch (IllegalArgumentException | IOException e) {
			err.println("medcnn fit-ood: " + e.getMessage());
			return ExitCodes.USAGE;
		}
		ImageSampleReader reader = new ImageSampleReader();
		ModelPackage pkg;
		try {
			pkg = ModelPackage.open(model);
		} catch (ModelLoadException e) {
			err.println("medcnn fit-ood: " + e.getMessage());
			return ExitCodes.MODEL;
		}
		List<String> classes = pkg.card().classes();
		OodFitting.Fitted fitted;
		List<OodFitting.Measured> measured = new ArrayList<>();
		try (ClassifierModel loaded = ClassifierModel.load(pkg, dev)) {
			err.println("medcnn fit-ood: features of " + train.size() + " training, " + validation.size() + " validation and " + test.size() + " test files");
			OodFitting.Features tr = OodFitting.features(loaded, train, classes, reader, batchSize, false, Cancellation.NEVER);
			OodFitting.Features va = OodFitting.features(loaded, validation, classes, reader, batchSize, false, Cancellation.NEVER);
			OodFitting.Features te = OodFitting.features(loaded, test, classes, reader, batchSize, false, Cancellation.NEVER);
			fitted = OodFitting.fit(tr, va, te, classes.size(), options);
			for (Map.Entry<String, Path> e : foreignDirs.entrySet()) {
				List<Sample> files = listFiles(e.getValue());
				OodFitting.Features ff = OodFitting.features(loaded, files, null, reader, batchSize, true, Cancellation.NEVER);
				if (ff.x().length == 0) {
					err.println("medcnn fit-ood: --foreign " + e.getKey() + ": no readable slices in " + e.getValue());
					return ExitCodes.BAD_INPUT;
				}
				measured.add(OodFitting.measure(fitted, e.getKey(), "foreign data: " + e.getValue().getFileName() + " (" + files.size() + " files)", ff));
			}
		} catch (ModelLoadException e) {
			err.println("medcnn fit-ood: " + e.getMessage());
			return ExitCodes.MODEL;
		} catch (IOException e) {
			err.println("medcnn fit-ood: " + e.getMessage());
			return ExitCodes.BAD_INPUT;
		} catch (IllegalArgumentException e) {
			err.println("medcnn fit-ood: " + e.getMessage());
			return ExitCodes.USAGE;
		} catch (TranslateException e) {
			err.println("medcnn fit-ood: inference failed: " + e.getMessage());
			return ExitCodes.INFERENCE;
		}
		try {
			Path cardFile = model.resolve(ModelPackage.CARD);
			Files.copy(cardFile, model.resolve("model.json.bak"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
			OodFitting.write(model, fitted, measured, "medcnn fit-ood (--method " + options.method().key()
				+ (options.method() == OodMethod.KNN ? " --k " + options.k() : " --shrinkage " + options.shrinkage()) + " --coverage " + options.coverage() + ")");
		} catch (IOException e) {
			err.println("medcnn fit-ood: " + e.getMessage());
			return ExitCodes.OUTPUT;
		} catch (ModelLoadException e) {
			err.println("medcnn fit-ood: the updated package does not verify (old card in model.json.bak): " + e.getMessage());
			return ExitCodes.OUTPUT;
		}
		out.printf(Locale.ROOT, "%s: %s detector on %d training slices, threshold %.6g (keeps %.1f %% of %d validation slices)%n", pkg.card().id(),
			fitted.detector().method().key(), fitted.trainSlices(), fitted.detector().threshold(), 100 * (1 - fitted.validationFlagged()), fitted.validationSlices());
		if (fitted.testDistances().length > 0) {
			out.printf(Locale.ROOT, "own test part: %.1f %% of %d slices flagged%n", 100 * fitted.testFlagged(), fitted.testDistances().length);
		}
		for (OodFitting.Measured m : measured) {
			out.printf(Locale.ROOT, "foreign %s: %.1f %% of %d slices flagged, AUROC %.4f%s%n", m.name(), 100 * m.flagged(), m.slices(), m.auroc(),
				m.skippedFiles() > 0 ? " (" + m.skippedFiles() + " file(s) unreadable, skipped)" : "");
		}
		out.println("wrote " + model.resolve("ood.bin") + " and updated " + model.resolve(ModelPackage.CARD) + " (previous card: model.json.bak)");
		return ExitCodes.OK;
	}

	/** Every regular, non-hidden file below a folder, as unlabelled samples, in name order. */
	static List<Sample> listFiles(Path dir) throws IOException {
		List<Sample> out = new ArrayList<>();
		try (Stream<Path> s = Files.walk(dir)) {
			s.filter(Files::isRegularFile).filter(p -> !dir.relativize(p).toString().startsWith(".") && !p.getFileName().toString().startsWith("."))
				.sorted().forEach(p -> out.add(new Sample(p, "", null)));
		}
		return out;
	}
}
