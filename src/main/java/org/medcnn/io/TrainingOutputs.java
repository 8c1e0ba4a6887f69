package org.medcnn.io;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ImageProcessor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.train.EpochRecord;
import org.medcnn.core.train.TrainingResult;
import org.medcnn.ij.EvaluationFigures;

/**
 * Writes what a training run leaves next to its model package: {@code training_history.csv} and
 * {@code training_history.png} (loss and accuracy curves), {@code test_predictions.csv}, and {@code examples/stack.tif}, a stack of the example images of the
 * most common size for trying the model in Fiji or with {@code medcnn classify}.
 */
public final class TrainingOutputs {

	private TrainingOutputs() {}

	/**
	 * Writes the history, the test predictions and the example stack.
	 *
	 * @param result the training result
	 * @param dir the package folder
	 * @throws IOException if writing fails
	 */
	public static void write(TrainingResult result, Path dir) throws IOException {
		StringBuilder h = new StringBuilder("phase,epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds,best\n");
		for (EpochRecord r : result.history()) {
			h.append(String.format(Locale.ROOT, "%s,%d,%.6f,%.6f,%.6f,%.6f,%.3f,%b%n", r.phase(), r.epoch(), r.trainLoss(), r.trainAccuracy(),
				r.validationLoss(), r.validationAccuracy(), r.seconds(), r.best()));
		}
		AtomicFiles.write(dir.resolve("training_history.csv"), true, tmp -> Files.writeString(tmp, h.toString(), StandardCharsets.UTF_8));
		if (!result.history().isEmpty()) {
			// the loss and accuracy curves as a picture, drawn headless like the evaluation report's figures
			ij.gui.Plot plot = EvaluationFigures.training(result.history(), dir.getFileName() == null ? "model" : dir.getFileName().toString());
			ImagePlus imp = new ImagePlus("training history", plot.getProcessor().convertToRGB());
			AtomicFiles.write(dir.resolve("training_history.png"), true, tmp -> {
				if (!new ij.io.FileSaver(imp).saveAsPng(tmp.toString())) throw new IOException(tmp + ": cannot be written");
			});
		}
		if (result.test() == null) return;
		List<String> classes = result.test().classes();
		StringBuilder p = new StringBuilder("path,slice,truth,predicted");
		for (String c : classes) p.append(",p_").append(c);
		p.append('\n');
		Path root = commonFolder(result.testPredictions().stream().map(TrainingResult.ImagePrediction::file).toList());
		for (TrainingResult.ImagePrediction ip : result.testPredictions()) {
			Path f = ip.file().toAbsolutePath().normalize();
			p.append(PredictionCsv.quote((root == null ? f : root.relativize(f)).toString().replace('\\', '/'))).append(',').append(ip.slice()).append(',').append(ip.truth()).append(',').append(ip.predicted());
			for (float v : ip.probabilities()) p.append(String.format(Locale.ROOT, ",%.6f", v));
			p.append('\n');
		}
		AtomicFiles.write(dir.resolve("test_predictions.csv"), true, tmp -> Files.writeString(tmp, p.toString(), StandardCharsets.UTF_8));
		exampleStack(dir.resolve("examples"));
	}

	/** The deepest folder holding all files (so written paths do not depend on where the data lives), or null. */
	static Path commonFolder(List<Path> files) {
		Path root = null;
		for (Path file : files) {
			Path parent = file.toAbsolutePath().normalize().getParent();
			if (root == null) {
				root = parent;
			} else {
				while (root != null && !parent.startsWith(root)) root = root.getParent();
			}
		}
		return root;
	}

	/**
	 * Stacks every example image, in expected.csv order, as 8-bit grey at the most common example size
	 * (examples of other sizes are resized, bilinear), each slice labelled with its file name. The stack
	 * is for trying the model; the tests check the examples themselves.
	 *
	 * @param examples the package's examples folder
	 * @throws IOException if the stack cannot be written
	 */
	public static void exampleStack(Path examples) throws IOException {
		Path expected = examples.resolve("expected.csv");
		if (!Files.exists(expected)) return;
		List<String> lines = Files.readAllLines(expected, StandardCharsets.UTF_8);
		List<ImageProcessor> slices = new ArrayList<>();
		List<String> names = new ArrayList<>();
		Map<String, Integer> sizes = new HashMap<>();
		for (String line : lines.subList(1, lines.size())) {
			String name = line.split(",")[0];
			try {
				ImagePlus imp = ImageFiles.open(examples.resolve(name));
				slices.add(imp.getProcessor().convertToByteProcessor());
				names.add(name);
				sizes.merge(imp.getWidth() + "x" + imp.getHeight(), 1, Integer::sum);
			} catch (ImageReadException e) {
				// Unreadable examples cannot be stacked; the tests of the package report them.
			}
		}
		String mode = sizes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
		if (mode == null) return;
		int w = Integer.parseInt(mode.substring(0, mode.indexOf('x')));
		int h = Integer.parseInt(mode.substring(mode.indexOf('x') + 1));
		ImageStack stack = new ImageStack(w, h);
		for (int i = 0; i < slices.size(); i++) {
			ImageProcessor ip = slices.get(i);
			if (ip.getWidth() != w || ip.getHeight() != h) {
				ip.setInterpolationMethod(ImageProcessor.BILINEAR);
				ip = ip.resize(w, h, true);
			}
			stack.addSlice(names.get(i), ip);
		}
		TiffOutput.save(new ImagePlus("examples", stack), examples.resolve("stack.tif"), true);
	}

	/**
	 * Formats the headline test metrics: every metric with its 95 % interval, per class, and the
	 * confusion matrix with the class names on both axes ({@link EvaluationText#metrics}).
	 *
	 * @param m the metrics
	 * @return several lines of text
	 */
	public static String summary(Metrics m) {
		return EvaluationText.metrics(m, "test");
	}
}
