package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.medcnn.testing.AllocatorProbe;

/**
 * The inference allocator settings are really applied in the process that runs inference, and they
 * change what glibc does with a freed multi-MiB block (kept instead of returned to the system).
 * Results staying the same is checked by DjlSliceClassifierTest, which compares the logits computed
 * in this tuned process with PyTorch's.
 */
class NativeAllocatorTest {

	@Test
	void activeInTheInferenceProcessAndKeepsFreedMemory() {
		Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "glibc only");
		EnginePolicy.init();
		assertTrue(NativeAllocator.isActive(), NativeAllocator.tune());
		assertTrue(EnginePolicy.describe().get("allocator").startsWith("active"));
		long kept = NativeAllocator.retainedAfterFree(8 << 20);
		assertTrue(kept >= 8 << 20, "an 8 MiB block stays in the heap after free, kept " + kept);
	}

	@Test
	void switchedOffTheBlockGoesBackToTheSystem() throws Exception {
		Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "glibc only");
		List<String> tuned = probe();
		List<String> plain = probe("-D" + EngineSetting.ALLOCATOR.key() + "=default");
		assertTrue(tuned.get(0).startsWith("active"), tuned.toString());
		assertTrue(plain.get(0).contains("defaults"), plain.toString());
		long keptTuned = Long.parseLong(tuned.get(1));
		long keptPlain = Long.parseLong(plain.get(1));
		assertTrue(keptTuned >= 8 << 20, "tuned keeps the block: " + keptTuned);
		assertTrue(keptPlain < 8 << 20, "glibc defaults return an 8 MiB block to the system: " + keptPlain);
	}

	private static List<String> probe(String... jvmArgs) throws IOException, InterruptedException {
		List<String> cmd = new java.util.ArrayList<>();
		cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
		cmd.addAll(List.of(jvmArgs));
		cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AllocatorProbe.class.getName()));
		ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
		pb.environment().keySet().removeIf(k -> k.startsWith("MALLOC_"));
		Process p = pb.start();
		String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertEquals(0, p.waitFor(), out);
		List<String> lines = out.lines().toList();
		return lines.subList(lines.size() - 2, lines.size());
	}
}
