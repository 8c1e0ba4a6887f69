package org.medcnn.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The engine's tuning switches, all in one place: each is a Java system property ({@code -Dmedcnn.graph=plain})
 * with its default, the values it accepts and what it does. The engine reads them only through here,
 * and {@code medcnn doctor} prints those that are set ({@link #describeSet}). They are for diagnosis and
 * benchmarks; the defaults are what MedCNN was measured with.
 */
public enum EngineSetting {

	/** {@code caller}: each caller's thread runs the engine instead of the one engine thread. */
	ENGINE_THREAD("medcnn.engine_thread", "", "run every engine call on the engine thread, or on the caller's thread", "", "caller"),
	/** Microseconds an idle engine thread or lane waits awake for its next task (0 to 10000). */
	ENGINE_SPIN_US("medcnn.engine_spin_us", "300", "microseconds an idle engine thread waits awake for its next task (0 to 10000)"),
	/** {@code 1}: every batch on the engine thread's OpenMP threads, no second lane. */
	LANES("medcnn.lanes", "2", "engine lanes on the CPU: 2 splits batches over two lanes, 1 keeps one", "1", "2"),
	/** {@code lanes}, {@code parallel} or {@code overlap}: how batches are read and preprocessed. */
	PREPARE("medcnn.prepare", "", "how batches are prepared: lanes (CPU default), parallel (all cores first) or overlap (GPU default)", "", "lanes",
		"parallel", "overlap"),
	/** {@code fused} (default), {@code optimized} or {@code plain}: the inference graph on the CPU. */
	GRAPH("medcnn.graph", "fused", "the CPU inference graph: fused, optimized (libtorch's alone) or plain TorchScript", "fused", "optimized", "plain"),
	/** Forces the input layout on the CPU. */
	LAYOUT("medcnn.layout", "", "force the CPU input layout: channels_last or contiguous", "", "channels_last", "contiguous"),
	/** {@code default}: leaves glibc's allocator untuned. */
	ALLOCATOR("medcnn.allocator", "", "default leaves glibc's allocator as it is (no tuning)", "", "default"),
	/** {@code default}: leaves OpenMP's waiting policy as libtorch sets it. */
	OPENMP("medcnn.openmp", "", "default leaves OpenMP's thread waiting policy as it is", "", "default"),
	/** The folder where the verdicts of the graph check are kept ({@code ~/.medcnn/cache} by default). */
	CACHE_DIR("medcnn.cache.dir", "", "folder of the inference graph's check verdicts (default ~/.medcnn/cache)");

	private final String key;
	private final String defaultValue;
	private final String description;
	private final List<String> allowed;

	EngineSetting(String key, String defaultValue, String description, String... allowed) {
		this.key = key;
		this.defaultValue = defaultValue;
		this.description = description;
		this.allowed = List.of(allowed);
	}

	/** @return the system property, e.g. {@code medcnn.graph} */
	public String key() {
		return key;
	}

	/** @return the default value ("" where the default is "not set") */
	public String defaultValue() {
		return defaultValue;
	}

	/** @return what the setting does */
	public String description() {
		return description;
	}

	/** @return the values it accepts, empty for free text or numbers */
	public List<String> allowed() {
		return allowed;
	}

	/** @return whether the property is set (to anything but blanks) */
	public boolean isSet() {
		String v = System.getProperty(key);
		return v != null && !v.isBlank();
	}

	/**
	 * The value in effect: the property, trimmed and lower-cased where it is a choice, or the default where it
	 * is unset or is not one of the accepted values ({@link #describeSet} names those).
	 *
	 * @return the value
	 */
	public String value() {
		String v = System.getProperty(key);
		if (v == null || v.isBlank()) return defaultValue;
		v = v.trim();
		if (allowed.isEmpty()) return v;
		String lower = v.toLowerCase(Locale.ROOT);
		return allowed.contains(lower) ? lower : defaultValue;
	}

	/**
	 * @param value a value
	 * @return whether the setting is at that value
	 */
	public boolean is(String value) {
		return value().equals(value);
	}

	/**
	 * The value as a whole number in a range.
	 *
	 * @param min the smallest
	 * @param max the largest
	 * @return the value, clamped, or the default where it is not a number
	 */
	public long number(long min, long max) {
		try {
			return Math.max(min, Math.min(max, Long.parseLong(value())));
		} catch (NumberFormatException e) {
			return Long.parseLong(defaultValue);
		}
	}

	/**
	 * Describes the settings that are set, for doctor: {@code medcnn.graph=plain} each, with a note where a
	 * value is not accepted (and so the default is used).
	 *
	 * @return the described settings; empty when none is set
	 */
	public static List<String> describeSet() {
		List<String> out = new ArrayList<>();
		for (EngineSetting s : values()) {
			if (!s.isSet()) continue;
			String raw = System.getProperty(s.key).trim();
			boolean ok = s.allowed.isEmpty() ? s.numeric() == null || s.numeric() : s.allowed.contains(raw.toLowerCase(Locale.ROOT));
			out.add(s.key + "=" + raw + (ok ? "" : " (not accepted: " + (s.allowed.isEmpty() ? "a number" : String.join(", ", s.allowed.stream()
				.filter(a -> !a.isEmpty()).toList())) + "; the default " + (s.defaultValue.isEmpty() ? "behaviour" : s.defaultValue) + " is used)"));
		}
		return out;
	}

	/** @return whether the set value is a number, for numeric settings; null for free text */
	private Boolean numeric() {
		if (!defaultValue.matches("\\d+")) return null;
		try {
			Long.parseLong(System.getProperty(key).trim());
			return true;
		} catch (NumberFormatException e) {
			return false;
		}
	}
}
