package org.medcnn.core.train;

/**
 * The figures of one training epoch.
 *
 * @param phase {@code head} (trunk frozen, cached features) or {@code finetune}
 * @param epoch 1-based epoch within the phase
 * @param trainLoss mean training loss (class-weighted cross-entropy)
 * @param trainAccuracy training accuracy
 * @param validationLoss validation loss (same weighting)
 * @param validationAccuracy validation accuracy
 * @param seconds wall time of the epoch
 * @param best whether this epoch gave the best validation loss so far (the kept checkpoint)
 */
public record EpochRecord(String phase, int epoch, double trainLoss, double trainAccuracy, double validationLoss, double validationAccuracy,
	double seconds, boolean best) {}
