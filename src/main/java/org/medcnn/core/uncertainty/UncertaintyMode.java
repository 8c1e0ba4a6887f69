package org.medcnn.core.uncertainty;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a classification estimates its own uncertainty. Every mode except {@link #NONE} draws several
 * probability vectors per slice ("samples") and reports how much they disagree.
 */
public enum UncertaintyMode {
	/** One pass; no uncertainty columns. An ensemble still averages its members. */
	NONE,
	/** Test-time augmentation: the slice itself, then seeded flips and small rotations of it. */
	TTA,
	/** Monte-Carlo dropout on the head: dropout stays active for several passes over the same features. */
	MC_DROPOUT,
	/** The members of an ensemble, one sample each. */
	ENSEMBLE;

	/** @return the name used in parameters, cards and result files, e.g. {@code mc_dropout} */
	public String key() {
		return name().toLowerCase(Locale.ROOT);
	}

	/**
	 * Parses a mode name.
	 *
	 * @param text {@code none}, {@code tta}, {@code mc_dropout} or {@code ensemble} (case-insensitive; empty means none)
	 * @return the mode
	 * @throws IllegalArgumentException naming the accepted values
	 */
	public static UncertaintyMode parse(String text) {
		String t = text == null ? "" : text.trim();
		if (t.isEmpty()) return NONE;
		for (UncertaintyMode m : values()) if (m.key().equalsIgnoreCase(t) || m.name().equalsIgnoreCase(t)) return m;
		throw new IllegalArgumentException("uncertainty '" + text + "' is not one of " + Arrays.stream(values()).map(UncertaintyMode::key).toList());
	}
}
