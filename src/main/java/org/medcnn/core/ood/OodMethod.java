package org.medcnn.core.ood;

import java.util.Arrays;
import java.util.Locale;

/**
 * How an {@link OodDetector} measures the distance of a slice's pooled trunk features from the
 * model's training data.
 */
public enum OodMethod {
	/**
	 * k-nearest-neighbour distance on L2-normalised features (Sun et al. 2022, "Out-of-distribution
	 * detection with deep nearest neighbors"): the squared Euclidean distance to the k-th nearest
	 * training slice, {@code 2 - 2 cos}.
	 */
	KNN(1),
	/**
	 * Mahalanobis distance (Lee et al. 2018): class-conditional means with one covariance shared by
	 * all classes, shrunk towards a multiple of the identity; the squared distance to the nearest class mean.
	 */
	MAHALANOBIS(2);

	private final int code;

	OodMethod(int code) {
		this.code = code;
	}

	/** @return the number stored in the detector file */
	int code() {
		return code;
	}

	/** @return the name used in options and model cards, e.g. {@code knn} */
	public String key() {
		return name().toLowerCase(Locale.ROOT);
	}

	/**
	 * Parses a method name.
	 *
	 * @param text {@code knn} or {@code mahalanobis} (case-insensitive)
	 * @return the method
	 * @throws IllegalArgumentException naming the accepted values
	 */
	public static OodMethod parse(String text) {
		String t = text == null ? "" : text.trim();
		for (OodMethod m : values()) if (m.key().equalsIgnoreCase(t)) return m;
		throw new IllegalArgumentException("ood method '" + text + "' is not one of " + Arrays.stream(values()).map(OodMethod::key).toList());
	}

	/**
	 * The method stored under a number in a detector file.
	 *
	 * @param code the number
	 * @return the method, or null when unknown
	 */
	static OodMethod ofCode(int code) {
		for (OodMethod m : values()) if (m.code == code) return m;
		return null;
	}
}
