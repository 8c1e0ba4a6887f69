package org.medcnn.app.batch;

import java.nio.file.Path;
import java.util.List;

/**
 * The result of one batch run (one shard).
 *
 * @param shardIndex the shard
 * @param shardCount the number of shards
 * @param allInputs inputs in the whole folder
 * @param files one outcome per input of the shard, in list order
 * @param cancelled whether the run was cancelled before every input was processed
 * @param seconds wall time of the run
 * @param modelId the model id
 * @param modelSha256 the model's SHA-256 (of its card, which pins every file)
 * @param device the device the model was loaded on
 * @param resultsCsv the shard's results CSV
 * @param errorsCsv the shard's errors CSV
 * @param manifest the shard's run manifest
 */
public record BatchSummary(int shardIndex, int shardCount, int allInputs, List<FileOutcome> files, boolean cancelled, double seconds,
	String modelId, String modelSha256, String device, Path resultsCsv, Path errorsCsv, Path manifest) {

	/**
	 * Makes the list unmodifiable.
	 *
	 * @param shardIndex the shard
	 * @param shardCount the number of shards
	 * @param allInputs inputs in the folder
	 * @param files outcomes
	 * @param cancelled whether cancelled
	 * @param seconds wall time
	 * @param modelId model id
	 * @param modelSha256 model hash
	 * @param device device
	 * @param resultsCsv results CSV
	 * @param errorsCsv errors CSV
	 * @param manifest manifest
	 */
	public BatchSummary {
		files = List.copyOf(files);
	}

	/**
	 * Counts the inputs with a status.
	 *
	 * @param status the status
	 * @return how many inputs of the shard have it
	 */
	public int count(FileOutcome.Status status) {
		return (int) files.stream().filter(f -> f.status() == status).count();
	}

	/** @return true when every input of the shard has current results (done or resumed) */
	public boolean complete() {
		return files.stream().allMatch(f -> f.status().hasResults());
	}

	/** @return one line: done, resumed, skipped and failed counts */
	public String countsLine() {
		return count(FileOutcome.Status.DONE) + " done, " + count(FileOutcome.Status.RESUMED) + " resumed, " + count(FileOutcome.Status.SKIPPED_EXISTING)
			+ " skipped (outputs exist), " + count(FileOutcome.Status.FAILED) + " failed"
			+ (cancelled ? ", " + count(FileOutcome.Status.PENDING) + " not processed (cancelled)" : "") + oodLine();
	}

	/** @return the inputs with slices outside the model's training data, as an addition to the counts line (empty when none) */
	private String oodLine() {
		long inputs = files.stream().filter(f -> f.oodFlagged() > 0).count();
		if (inputs == 0) return "";
		int slices = files.stream().filter(f -> f.oodFlagged() > 0).mapToInt(FileOutcome::oodFlagged).sum();
		return "; " + inputs + " input(s) with " + slices + " slice(s) outside the training data of " + modelId + " (out_of_distribution = 1)";
	}
}
