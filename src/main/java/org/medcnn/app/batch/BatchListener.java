package org.medcnn.app.batch;

/**
 * Receives the progress of a batch: the command line prints it, the SciJava command shows it in the
 * status bar. Methods are called on the batch's thread.
 */
public interface BatchListener {

	/** A listener that ignores everything. */
	BatchListener NONE = new BatchListener() {};

	/**
	 * Called once the inputs are listed, the model is loaded and earlier outputs are checked.
	 *
	 * @param shardInputs inputs in this shard
	 * @param allInputs inputs in the whole folder
	 * @param resumed inputs of this shard kept from an earlier run
	 */
	default void started(int shardInputs, int allInputs, int resumed) {}

	/**
	 * Called for every input of the shard once its status is final: first for those decided before any
	 * work (resumed, skipped-existing), then as each one is processed.
	 *
	 * @param outcome what became of the input
	 * @param progress where the batch stands
	 */
	default void finished(FileOutcome outcome, BatchProgress progress) {}

	/**
	 * Called when the process began to shut down (SIGTERM, Ctrl-C, Fiji quitting) during the run, once the
	 * run has stopped and recorded itself as cancelled, just before the process ends: the last chance to
	 * tell the user.
	 *
	 * @param summary what became of every input
	 */
	default void interrupted(BatchSummary summary) {}
}
