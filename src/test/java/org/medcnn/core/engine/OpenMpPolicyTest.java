package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.medcnn.testing.OpenMpProbe;

/**
 * The shorter OpenMP spin count is really in the environment of the process that runs inference
 * before the engine's OpenMP runtime is loaded (which is when libgomp reads it), and the switch turns
 * it off. Each case runs in a fresh JVM, because the runtime reads its environment once per process.
 * Results do not depend on it (only how idle threads wait); its speed effect is in docs/benchmarks.md.
 */
class OpenMpPolicyTest {

	@Test
	void setBeforeTheEngineLoadsItsOpenMpRuntime() throws Exception {
		Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "libgomp on Linux only");
		List<String> out = probe();
		assertEquals("false", out.get(0), "no OpenMP runtime before the engine starts: " + out);
		assertTrue(out.get(1).startsWith("active"), out.toString());
		assertEquals(OpenMpPolicy.SPIN_COUNT, out.get(2), out.toString());
		assertEquals("true", out.get(3), "the engine's OpenMP runtime was loaded after the variable was set: " + out);
	}

	@Test
	void switchedOffTheEnvironmentIsLeftAlone() throws Exception {
		Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "libgomp on Linux only");
		List<String> out = probe("-D" + EngineSetting.OPENMP.key() + "=default");
		assertTrue(out.get(1).contains("defaults"), out.toString());
		assertEquals("null", out.get(2), out.toString());
	}

	private static List<String> probe(String... jvmArgs) throws IOException, InterruptedException {
		List<String> cmd = new java.util.ArrayList<>();
		cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
		cmd.addAll(List.of(jvmArgs));
		cmd.addAll(List.of("-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), OpenMpProbe.class.getName()));
		ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
		pb.environment().keySet().removeIf(k -> k.startsWith("OMP_") || k.startsWith("GOMP_"));
		pb.redirectError(ProcessBuilder.Redirect.DISCARD);
		Process p = pb.start();
		String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertEquals(0, p.waitFor(), text);
		List<String> lines = text.lines().toList();
		return lines.subList(lines.size() - 4, lines.size());
	}
}
