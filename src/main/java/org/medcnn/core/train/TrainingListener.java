package org.medcnn.core.train;

/**
 * Receives live training progress. Adapters show it in Fiji's status bar or print it on the console.
 */
public interface TrainingListener {

	/** A listener that ignores everything. */
	TrainingListener NONE = new TrainingListener() {};

	/**
	 * A message worth showing (data found, split made, phase started, images skipped).
	 *
	 * @param message the message
	 */
	default void info(String message) {}

	/**
	 * Progress inside an epoch.
	 *
	 * @param phase {@code head} or {@code finetune}
	 * @param epoch 1-based epoch
	 * @param batch 1-based batch
	 * @param batches batches in the epoch
	 * @param loss running mean training loss of the epoch
	 * @param accuracy running training accuracy of the epoch
	 */
	default void batch(String phase, int epoch, int batch, int batches, double loss, double accuracy) {}

	/**
	 * An epoch finished.
	 *
	 * @param record the epoch's figures
	 */
	default void epoch(EpochRecord record) {}
}
