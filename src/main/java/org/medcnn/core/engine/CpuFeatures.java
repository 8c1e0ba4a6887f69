package org.medcnn.core.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The CPU instruction-set features that decide which inference precision can pay on this machine, read
 * from {@code /proc/cpuinfo} on Linux (elsewhere they are reported as not detected).
 * <p>
 * Why these: oneDNN runs bfloat16 convolutions natively only with {@code avx512_bf16} or AMX
 * ({@code amx_bf16}); without them a bf16 model is converted back and forth around fp32 kernels and runs
 * slower than fp32 (measured on an AVX2-only EPYC, docs/benchmarks.md). int8 kernels (fbgemm, oneDNN)
 * use {@code avx512_vnni}, {@code avx_vnni} or {@code amx_int8} and fall back to slower AVX2 paths.
 * MedCNN runs fp32 only; {@link #precision()} says so and says what a reduced precision would need.
 *
 * @param model the CPU model name ({@code model name} of the first processor), or {@code unknown}
 * @param flags the flags of the first processor (all of them, as the kernel names them)
 * @param detected whether the flags were read; false off Linux or when {@code /proc/cpuinfo} is unreadable
 */
public record CpuFeatures(String model, Set<String> flags, boolean detected) {

	/** The flags {@code medcnn doctor} reports, in this order: the vector units and the reduced-precision ones. */
	public static final List<String> REPORTED = List.of("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16", "amx_int8");

	private static final Path CPUINFO = Path.of("/proc/cpuinfo");

	/**
	 * Reads the features of this machine's CPU.
	 *
	 * @return the features; {@link #detected()} is false when they could not be read
	 */
	public static CpuFeatures detect() {
		if (!Files.isReadable(CPUINFO)) return new CpuFeatures("unknown", Set.of(), false);
		try {
			return parse(Files.readString(CPUINFO, StandardCharsets.UTF_8));
		} catch (IOException | RuntimeException e) {
			return new CpuFeatures("unknown", Set.of(), false);
		}
	}

	/**
	 * Parses the text of {@code /proc/cpuinfo}: the {@code model name} and {@code flags} of the first
	 * processor listed (a virtual machine shows the same flags on every one).
	 *
	 * @param cpuinfo the file's text
	 * @return the features; not detected when the text has no {@code flags} line
	 */
	public static CpuFeatures parse(String cpuinfo) {
		String model = null;
		Set<String> flags = null;
		for (String line : cpuinfo.split("\n")) {
			int colon = line.indexOf(':');
			if (colon < 0) continue;
			String key = line.substring(0, colon).trim();
			String value = line.substring(colon + 1).trim();
			if (model == null && key.equals("model name")) model = value;
			if (flags == null && key.equals("flags")) flags = new LinkedHashSet<>(Arrays.asList(value.split("\\s+")));
			if (model != null && flags != null) break;
		}
		return flags == null ? new CpuFeatures(model == null ? "unknown" : model, Set.of(), false)
			: new CpuFeatures(model == null ? "unknown" : model, Set.copyOf(flags), true);
	}

	/**
	 * Whether the CPU has a flag.
	 *
	 * @param flag a flag as {@code /proc/cpuinfo} names it ({@code avx512_bf16})
	 * @return true when present
	 */
	public boolean has(String flag) {
		return flags.contains(flag);
	}

	/** @return whether oneDNN has native bfloat16 kernels here ({@code avx512_bf16} or {@code amx_bf16}) */
	public boolean bf16Native() {
		return has("avx512_bf16") || has("amx_bf16");
	}

	/** @return whether int8 kernels have their dot-product instructions here (VNNI or AMX) */
	public boolean int8Native() {
		return has("avx512_vnni") || has("avx_vnni") || has("amx_int8");
	}

	/**
	 * The doctor's {@code cpu_features} line: the model, then the reported flags present and absent.
	 *
	 * @return one line
	 */
	public String describe() {
		if (!detected) return "not detected (" + model + "; no readable /proc/cpuinfo on " + System.getProperty("os.name") + ")";
		List<String> present = new ArrayList<>();
		List<String> absent = new ArrayList<>();
		for (String f : REPORTED) (has(f) ? present : absent).add(f);
		return model + ": " + (present.isEmpty() ? "none of " + String.join(" ", REPORTED) : String.join(" ", present))
			+ (absent.isEmpty() ? "" : "; absent: " + String.join(" ", absent));
	}

	/**
	 * The doctor's {@code precision} line: which precision inference runs in and why. Always fp32: MedCNN
	 * has no reduced-precision path, and on a CPU without native bf16 kernels bf16 was measured slower.
	 *
	 * @return one line
	 */
	public String precision() {
		String base = "fp32 (weights, activations and accumulation), the only precision MedCNN runs; ";
		if (!detected) return base + "the CPU's features are unknown";
		if (bf16Native()) {
			return base + "this CPU has native bf16 kernels (" + (has("amx_bf16") ? "amx_bf16" : "avx512_bf16")
				+ "), where bf16 could pay, but MedCNN has no bf16 path with an accuracy guard yet (docs/benchmarks.md)";
		}
		return base + "bf16 would need avx512_bf16 or amx_bf16, absent here (without them bf16 runs slower than fp32, measured: docs/benchmarks.md)"
			+ (int8Native() ? "" : "; int8 kernels would lack VNNI/AMX too");
	}
}
