package org.medcnn.core.classify;

import java.util.List;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;

/**
 * Classifies every slice of a source.
 */
public interface SliceClassifier {

	/**
	 * Classifies all slices, streaming them in batches.
	 *
	 * @param source the slices
	 * @param progress receives progress after each batch
	 * @param cancellation checked between batches
	 * @return one prediction per slice, in source order, with the device actually used
	 * @throws IllegalArgumentException naming the slice when a slice cannot be classified, or if the source is empty
	 * @throws ClassificationException if the engine fails
	 * @throws java.util.concurrent.CancellationException if cancelled
	 */
	ClassificationRun classify(SliceSource source, ProgressListener progress, Cancellation cancellation) throws ClassificationException;

	/** @return class names in output order */
	List<String> classes();
}
