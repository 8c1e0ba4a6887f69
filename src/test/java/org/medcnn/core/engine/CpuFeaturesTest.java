package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link CpuFeatures}: /proc/cpuinfo texts of the CPUs MedCNN has met (an AVX2-only EPYC, a Xeon with
 * avx512_bf16 and AMX), text without flags, and the doctor's two lines on this machine.
 */
class CpuFeaturesTest {

	private static final String EPYC = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n"
		+ "flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 sha_ni vaes\n\n"
		+ "processor\t: 1\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 sha_ni vaes\n";

	private static final String SAPPHIRE_RAPIDS = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8488C\n"
		+ "flags\t\t: fpu sse2 avx fma avx2 avx512f avx512dq avx512_vnni avx512_bf16 avx_vnni amx_bf16 amx_tile amx_int8\n";

	@Test
	void avx2OnlyCpuRunsFp32AndSaysWhy() {
		CpuFeatures f = CpuFeatures.parse(EPYC);
		assertTrue(f.detected());
		assertEquals("AMD EPYC", f.model());
		assertTrue(f.has("avx2") && f.has("fma"));
		assertFalse(f.bf16Native() || f.int8Native() || f.has("avx512f"));
		assertEquals("AMD EPYC: avx2 fma; absent: avx512f avx512_bf16 avx512_vnni avx_vnni amx_bf16 amx_int8", f.describe());
		assertTrue(f.precision().startsWith("fp32 "), f.precision());
		assertTrue(f.precision().contains("bf16 would need avx512_bf16 or amx_bf16, absent here"), f.precision());
	}

	@Test
	void bf16HardwareIsRecognisedButFp32StillRuns() {
		CpuFeatures f = CpuFeatures.parse(SAPPHIRE_RAPIDS);
		assertTrue(f.bf16Native() && f.int8Native());
		assertEquals("Intel(R) Xeon(R) Platinum 8488C: avx2 fma avx512f avx512_bf16 avx512_vnni avx_vnni amx_bf16 amx_int8", f.describe());
		// Reported as present, yet nothing but fp32 is claimed to run: MedCNN has no bf16 path.
		assertTrue(f.precision().startsWith("fp32 ") && f.precision().contains("native bf16 kernels (amx_bf16)"), f.precision());
	}

	@Test
	void textWithoutFlagsIsNotDetected() {
		CpuFeatures f = CpuFeatures.parse("processor\t: 0\nmodel name\t: Some ARM\nFeatures\t: fp asimd\n");
		assertFalse(f.detected());
		assertTrue(f.describe().startsWith("not detected"), f.describe());
		assertTrue(f.precision().contains("unknown"), f.precision());
		// A flag's name must match whole: "avx2" is not found in "avx512f".
		assertFalse(CpuFeatures.parse("flags : avx512f\n").has("avx2"));
	}

	@Test
	void doctorShowsThisMachinesFeaturesAndPrecision() throws Exception {
		Map<String, String> facts = EnginePolicy.describe();
		assertEquals(CpuFeatures.detect().describe(), facts.get("cpu_features"));
		assertTrue(facts.get("precision").startsWith("fp32 "), facts.get("precision"));
		if (Files.isReadable(Path.of("/proc/cpuinfo"))) {
			String text = Files.readString(Path.of("/proc/cpuinfo"));
			assertEquals(text.contains(" avx2"), facts.get("cpu_features").matches("[^;]*: (\\S+ )*avx2( .*|)"), facts.get("cpu_features"));
		}
	}
}
