package org.medcnn.app.batch;

/**
 * Where a batch stands after an input.
 *
 * @param finished inputs of the shard with a final status (resumed ones included)
 * @param total inputs in the shard
 * @param filesPerSecond inputs processed per second in this run (resumed and skipped ones left out); 0 before the first
 * @param etaSeconds estimated seconds until the shard is finished; NaN while unknown
 */
public record BatchProgress(int finished, int total, double filesPerSecond, double etaSeconds) {}
