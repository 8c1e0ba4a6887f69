package org.medcnn.core.uncertainty;

/**
 * The uncertainty of one slice's prediction, from S samples of its class probabilities.
 *
 * @param samples S, the number of probability vectors combined
 * @param entropy predictive entropy H(mean p) in nats: the total uncertainty
 * @param expectedEntropy mean of the samples' entropies (the aleatoric part)
 * @param mutualInformation entropy minus expected entropy (the epistemic part, disagreement between samples), at least 0
 * @param stdTop standard deviation over the samples of the probability of the predicted (top mean) class
 * @param uncertain 1 when the entropy is above the flag threshold, 0 when not, -1 when no threshold is known
 */
public record UncertaintyEstimate(int samples, double entropy, double expectedEntropy, double mutualInformation, double stdTop, int uncertain) {

	/**
	 * The same estimate with the flag set from a threshold.
	 *
	 * @param threshold entropy threshold in nats, or NaN for unknown
	 * @return the flagged estimate
	 */
	public UncertaintyEstimate flagged(double threshold) {
		int flag = Double.isNaN(threshold) ? -1 : entropy > threshold ? 1 : 0;
		return new UncertaintyEstimate(samples, entropy, expectedEntropy, mutualInformation, stdTop, flag);
	}
}
