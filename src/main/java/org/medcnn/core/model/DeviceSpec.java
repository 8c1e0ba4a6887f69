package org.medcnn.core.model;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which device the user asked for: {@code auto} (a GPU if the engine sees one, else the CPU),
 * {@code cpu}, {@code gpu} (the first GPU) or {@code gpu:N}.
 *
 * @param kind what was asked for
 * @param gpuIndex the GPU index for {@link Kind#GPU}, otherwise -1
 */
public record DeviceSpec(Kind kind, int gpuIndex) {

	/** Device kinds. */
	public enum Kind {
		/** GPU when available, else CPU. */
		AUTO,
		/** CPU only. */
		CPU,
		/** A GPU; falls back to the CPU with a warning when it cannot be used. */
		GPU
	}

	private static final Pattern GPU_N = Pattern.compile("gpu(?::(\\d{1,3}))?");

	/** The default, {@code auto}. */
	public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, -1);

	/** The CPU. */
	public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, -1);

	/**
	 * Parses a device string.
	 *
	 * @param text {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}; null or blank means auto
	 * @return the spec
	 * @throws IllegalArgumentException naming the parameter and the accepted values
	 */
	public static DeviceSpec parse(String text) {
		if (text == null || text.isBlank()) return AUTO;
		String t = text.trim().toLowerCase(Locale.ROOT);
		if (t.equals("auto")) return AUTO;
		if (t.equals("cpu")) return CPU;
		Matcher m = GPU_N.matcher(t);
		if (m.matches()) return new DeviceSpec(Kind.GPU, m.group(1) == null ? 0 : Integer.parseInt(m.group(1)));
		throw new IllegalArgumentException("device '" + text + "' is not one of auto, cpu, gpu, gpu:N");
	}

	@Override
	public String toString() {
		return switch (kind) {
			case AUTO -> "auto";
			case CPU -> "cpu";
			case GPU -> "gpu:" + gpuIndex;
		};
	}
}
