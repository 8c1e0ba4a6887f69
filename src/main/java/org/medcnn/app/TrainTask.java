package org.medcnn.app;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.train.ClassifierTrainer;
import org.medcnn.core.train.TrainingConfig;
import org.medcnn.core.train.TrainingListener;
import org.medcnn.core.train.TrainingResult;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.io.TrainingOutputs;

/**
 * Trains a classifier and writes its package, history, test metrics and examples (Train Classifier,
 * medcnn train). The parameters and their defaults are {@link TrainingConfig}'s; this task checks them
 * once ({@link #config}) and turns what goes wrong into a {@link MedCnnException} of the right kind.
 */
public final class TrainTask {

	private TrainTask() {}

	/**
	 * Checks the parameters and builds the configuration.
	 *
	 * @param config the parameters set so far
	 * @param intensity the intensity policy as text ({@code percentile:LOW:HIGH}, {@code window:CENTER:WIDTH}, {@code range:MIN:MAX})
	 * @return the configuration
	 * @throws MedCnnException (usage) naming the first parameter that is wrong
	 */
	public static TrainingConfig config(TrainingConfig.Builder config, String intensity) throws MedCnnException {
		IntensityPolicy policy;
		try {
			policy = IntensityPolicy.parse(intensity);
		} catch (IllegalArgumentException e) {
			throw MedCnnException.usage("intensity: " + e.getMessage());
		}
		try {
			return config.optIntensity(policy).build();
		} catch (IllegalArgumentException e) {
			throw MedCnnException.usage(e.getMessage());
		}
	}

	/**
	 * The outcome.
	 *
	 * @param training the package folder, history, test metrics and predictions
	 * @param warnings what the user should know (images that could not be read)
	 */
	public record Result(TrainingResult training, List<String> warnings) {}

	/**
	 * Trains and writes the outputs into the configuration's output folder.
	 *
	 * @param config the configuration
	 * @param listener receives progress and every epoch
	 * @param cancellation checked between batches
	 * @return the result
	 * @throws MedCnnException naming the file or parameter that is wrong, with the kind of failure
	 */
	public static Result run(TrainingConfig config, TrainingListener listener, Cancellation cancellation) throws MedCnnException {
		TrainingResult result;
		try {
			result = new ClassifierTrainer(config, new ImageSampleReader(), listener, cancellation).train();
			TrainingOutputs.write(result, config.outputDir());
		} catch (IllegalArgumentException e) {
			throw new MedCnnException(MedCnnException.Kind.INPUT, e.getMessage(), e);
		} catch (ModelLoadException e) {
			throw new MedCnnException(MedCnnException.Kind.MODEL, e.getMessage(), e);
		} catch (IOException e) {
			throw new MedCnnException(MedCnnException.Kind.OUTPUT, e.getMessage(), e);
		} catch (CancellationException e) {
			throw new MedCnnException(MedCnnException.Kind.CANCELLED, "cancelled before any checkpoint", e);
		}
		List<String> warnings = new ArrayList<>();
		List<String> skipped = result.skipped();
		if (!skipped.isEmpty()) {
			warnings.add("skipped " + skipped.size() + " unreadable image(s): " + String.join("; ", skipped.subList(0, Math.min(20, skipped.size())))
				+ (skipped.size() > 20 ? "; ..." : ""));
		}
		return new Result(result, warnings);
	}
}
