package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.medcnn.testing.ChildProcess;
import org.medcnn.testing.Fixtures;

/**
 * {@code scripts/gpu-check.sh} and the bundle's {@code run-gpu-check.sh}, on the CPU: the bundle is built
 * from this build (a jlink runtime, the jars without the CPU natives, the brain-tumor-mri package, its
 * example and the CPU predictions), and its check runs here with the libtorch that the CPU natives unpacked
 * (DJL's cache) and {@code --device cpu}: the same steps as on a GPU host, only the device differs. Then
 * the run script's refusals (one line each) and its comparison of prediction tables on altered copies.
 * Skipped where jlink is missing (a JRE without the JDK tools) or off Linux x86-64 (the bundle's JNI
 * and the CPU natives are for linux-x86_64). Tagged {@code runtime}: it starts several JVMs (about a minute).
 */
@Tag("runtime")
class GpuCheckBundleTest {

	private static final Duration LIMIT = Duration.ofMinutes(6);

	private static Path work;
	private static Path bundle;
	private static Path archive;
	private static ChildProcess.Result built;

	@BeforeAll
	static void buildBundleAndRunItsCheck() throws Exception {
		Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64"),
			"skipped: the GPU check bundle is for linux-x86_64; this is " + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
		Assumptions.assumeTrue(ChildProcess.onPath("jlink") != null && ChildProcess.onPath("jdeps") != null,
			"skipped: jlink/jdeps are not on the PATH (they come with a full JDK 17, e.g. Debian's openjdk-17-jdk-headless)");
		work = Files.createTempDirectory(Paths.get("target").toAbsolutePath(), "gpu-check-");
		Path build = buildLayout(work.resolve("build"));
		Path out = work.resolve("out");
		Map<String, String> env = new HashMap<>();
		// The inference graph's check verdicts go to this build's cache folder, never under the home folder.
		env.put("MEDCNN_JAVA_OPTS", Fixtures.cacheDirOption());
		env.put("PYTORCH_LIBRARY_PATH", null);
		env.put("PYTORCH_VERSION", null);
		env.put("PYTORCH_FLAVOR", null);
		built = ChildProcess.run(List.of("bash", Paths.get("scripts/gpu-check.sh").toAbsolutePath().toString(), "--build-dir", build.toString(), "--out",
			out.toString(), "--no-build", "--self-test", "--seconds", "1"), work, env, LIMIT);
		bundle = out.resolve("medcnn-gpu-check");
		archive = out.resolve("medcnn-gpu-check.tar.gz");
	}

	@AfterAll
	static void cleanUp() {
		if (work != null) Fixtures.deleteTree(work);
	}

	/**
	 * A build's target folder as {@code mvn package} leaves it, from what {@code mvn test} has: the product
	 * jar (made at process-classes), a bench jar of the bench classes, the runtime libraries in lib/ (those the
	 * plain ImageJ install zip ships, plus ImageJ), and the command line's logging binding in cli-lib/.
	 */
	private static Path buildLayout(Path build) throws IOException {
		Path target = Paths.get("target").toAbsolutePath();
		Path jar;
		try (Stream<Path> s = Files.list(target)) {
			jar = s.filter(p -> p.getFileName().toString().matches("medcnn-[^-]+(-SNAPSHOT)?\\.jar")).findFirst().orElse(null);
		}
		Path zip = target.resolve("medcnn-imagej1.zip");
		Assumptions.assumeTrue(jar != null && Files.isRegularFile(zip), "skipped: run through Maven (mvn test makes target/medcnn-*.jar and medcnn-imagej1.zip)");
		Set<String> names = new TreeSet<>();
		try (ZipFile z = new ZipFile(zip.toFile())) {
			z.stream().map(e -> e.getName()).filter(n -> n.startsWith("plugins/jars/") && n.endsWith(".jar"))
				.map(n -> n.substring(n.lastIndexOf('/') + 1)).filter(n -> !n.startsWith("medcnn-")).forEach(names::add);
		}
		Files.createDirectories(build.resolve("lib"));
		Files.createDirectories(build.resolve("cli-lib"));
		Files.copy(jar, build.resolve(jar.getFileName()));
		int found = 0;
		for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
			Path p = Paths.get(entry);
			String n = p.getFileName().toString();
			if (names.contains(n) || n.matches("ij-[0-9.]+[a-z]?\\.jar")) {
				Files.createSymbolicLink(build.resolve("lib").resolve(n), p.toAbsolutePath());
				found++;
			} else if (n.startsWith("slf4j-simple-")) {
				Files.createSymbolicLink(build.resolve("cli-lib").resolve(n), p.toAbsolutePath());
			}
		}
		assertEquals(names.size() + 1, found, "every runtime library of the install zip, and ImageJ, is on the test class path: " + names);
		String bench = jar.getFileName().toString().replace(".jar", "-bench.jar");
		Path classes = target.resolve("test-classes");
		try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(build.resolve(bench))); Stream<Path> s = Files.walk(classes.resolve("org/medcnn/bench"))) {
			for (Path f : s.filter(Files::isRegularFile).collect(Collectors.toList())) {
				jos.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
				Files.copy(f, (OutputStream) jos);
				jos.closeEntry();
			}
		}
		return build;
	}

	private static String report() throws IOException {
		Path report = work.resolve("out/self-test/report.txt");
		assertTrue(Files.isRegularFile(report), "the check wrote its report; the scripts printed:\n" + built.output());
		return Files.readString(report, StandardCharsets.UTF_8);
	}

	@Test
	void bundleIsSmallAndLeavesOutTheCpuNatives() throws Exception {
		assertEquals(0, built.exitCode(), "gpu-check.sh --self-test passed; it printed:\n" + built.output());
		long size = Files.size(archive);
		assertTrue(size < 60_000_000L, "the archive is under 60 MB: " + size + " bytes");
		List<String> jars;
		try (Stream<Path> s = Files.list(bundle.resolve("jars"))) {
			jars = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
		}
		assertFalse(jars.stream().anyMatch(n -> n.startsWith("pytorch-native")), "no CPU natives in the bundle: " + jars);
		assertTrue(jars.stream().anyMatch(n -> n.matches("medcnn-.*-bench\\.jar")) && jars.stream().anyMatch(n -> n.startsWith("pytorch-engine-")), jars.toString());
		Path jni = bundle.resolve("jars").resolve(jars.stream().filter(n -> n.startsWith("pytorch-jni-2.5.1-")).findFirst().orElseThrow());
		try (JarFile j = new JarFile(jni.toFile())) {
			Set<String> libs = j.stream().map(JarEntry::getName).filter(n -> n.endsWith(".so") || n.endsWith(".dll") || n.endsWith(".dylib")).collect(Collectors.toSet());
			assertEquals(Set.of("jnilib/linux-x86_64/cpu/libdjl_torch.so", "jnilib/linux-x86_64/cpu-precxx11/libdjl_torch.so",
				"jnilib/linux-x86_64/cu124/libdjl_torch.so", "jnilib/linux-x86_64/cu124-precxx11/libdjl_torch.so"), libs);
			assertTrue(j.getEntry("jnilib/pytorch.properties") != null, "DJL's JNI version file is kept");
		}
		// A runtime with the modules MedCNN uses, not the whole JDK.
		ChildProcess.Result modules = ChildProcess.run(List.of(bundle.resolve("runtime/bin/java").toString(), "--list-modules"), work, Map.of(), Duration.ofMinutes(1));
		assertEquals(0, modules.exitCode(), modules.output());
		assertTrue(modules.output().contains("java.desktop@"), modules.output());
		assertFalse(modules.output().contains("jdk.compiler@") || modules.output().contains("jdk.jshell@"), "no JDK tools in the runtime: " + modules.output());
		assertTrue(Files.isRegularFile(bundle.resolve("models/brain-tumor-mri/trunk.pt")) && Files.isRegularFile(bundle.resolve("example/stack.tif")));
	}

	@Test
	void checkRunsOnTheHostLibtorchWithOnlyTheDeviceDiffering() throws Exception {
		String report = report();
		assertTrue(report.contains("(from PYTORCH_LIBRARY_PATH), PYTORCH_VERSION=2.5.1, PYTORCH_FLAVOR=cpu,"), "the C++11-ABI CPU build is recognised: " + report);
		// The engine ran on the libtorch given, not on natives from a jar.
		String lib = report.replaceAll("(?s).*\nlibtorch: (\\S+) \\(from.*", "$1");
		assertTrue(report.contains("natives: " + lib), report);
		assertTrue(report.contains("classify --device cpu, fp32 (TF32 off): ok: slices 12, top-1 agreement 12/12, max |p diff| "), report);
		assertTrue(report.contains("device cpu; whole command"), report);
		assertTrue(report.matches("(?s).*bench --device cpu: batch 1: [0-9.]+ slices/s on cpu;batch 8: [0-9.]+ slices/s on cpu\n.*"), report);
		assertTrue(report.endsWith("result: PASSED\n"), report);
		// The JNI came from the bundle's pytorch-jni, unpacked into the check's own cache for the version and flavor
		// given (the libtorch folder has none, as on a GPU host), and the engine ran with it.
		Path jni = work.resolve("out/self-test/djl-cache/pytorch/2.5.1-cpu-linux-x86_64/0.33.0-libdjl_torch.so");
		assertTrue(Files.isRegularFile(jni), "JNI in the check's cache");
		assertTrue(report.contains("\njni: " + jni + "\n"), report);
		try (Stream<Path> s = Files.list(Paths.get(lib))) {
			assertFalse(s.anyMatch(p -> p.getFileName().toString().contains("djl_torch")), "no JNI next to the libtorch given");
		}
		// The stored reference is what the CPU gave: the same table as this run's, probability for probability.
		List<String> ref = Files.readAllLines(bundle.resolve("reference/cpu-predictions.csv"));
		assertEquals(13, ref.size(), "header and 12 slices");
		assertTrue(ref.get(0).startsWith("source,slice,slice_label,predicted,p_glioma,p_meningioma,p_notumor,p_pituitary,"), ref.get(0));
	}

	/** Runs the bundle's script; setup errors come back as one line. */
	private static ChildProcess.Result check(Map<String, String> env, String... args) throws Exception {
		List<String> cmd = new ArrayList<>(List.of("bash", bundle.resolve("run-gpu-check.sh").toString()));
		cmd.addAll(List.of(args));
		Map<String, String> all = new HashMap<>();
		all.put("PYTORCH_LIBRARY_PATH", null);
		all.put("PYTORCH_VERSION", null);
		all.put("PYTORCH_FLAVOR", null);
		all.putAll(env);
		return ChildProcess.run(cmd, work, all, Duration.ofMinutes(2));
	}

	private static String cpuLibtorch() throws IOException {
		return report().replaceAll("(?s).*\nlibtorch: (\\S+) \\(from.*", "$1");
	}

	private static void assertOneLine(ChildProcess.Result r, int code, String... parts) {
		assertEquals(code, r.exitCode(), r.output());
		String text = r.output().strip();
		assertFalse(text.contains("\n"), "one line: " + text);
		assertTrue(text.startsWith("gpu-check: "), text);
		for (String p : parts) assertTrue(text.contains(p), "'" + p + "' in: " + text);
	}

	@Test
	void setupErrorsAreOneLineAndStartNothing() throws Exception {
		Assumptions.assumeTrue(bundle != null && Files.isRegularFile(bundle.resolve("run-gpu-check.sh")), "no bundle: " + (built == null ? "" : built.output()));
		Path empty = Files.createDirectories(work.resolve("empty-lib"));
		assertOneLine(check(Map.of("PYTORCH_LIBRARY_PATH", empty.toString()), "--out", work.resolve("r1").toString()), 2, "no libtorch.so in " + empty);
		assertOneLine(check(Map.of("PYTHON", "/nonexistent/python3"), "--out", work.resolve("r2").toString()), 2, "no libtorch found", "PYTORCH_LIBRARY_PATH");
		String lib = cpuLibtorch();
		assertOneLine(check(Map.of("PYTORCH_LIBRARY_PATH", lib), "--out", work.resolve("r3").toString()), 2, "version of the libtorch in " + lib + " is unknown",
			"PYTORCH_VERSION");
		assertOneLine(check(Map.of("PYTORCH_LIBRARY_PATH", lib, "PYTORCH_VERSION", "2.5.1"), "--device", "gpu", "--out", work.resolve("r4").toString()), 2,
			"has no CUDA", "--device gpu");
		assertOneLine(check(Map.of("PYTORCH_LIBRARY_PATH", lib, "PYTORCH_VERSION", "2.3.1+cu121"), "--device", "cpu", "--out", work.resolve("r5").toString()), 2,
			"libtorch 2.3.1", "runs only with libtorch 2.5.1");
		assertOneLine(check(Map.of("PYTORCH_LIBRARY_PATH", lib, "PYTORCH_VERSION", "2.5.1", "PYTORCH_FLAVOR", "cu118"), "--device", "cpu", "--out",
			work.resolve("r6").toString()), 2, "PYTORCH_FLAVOR 'cu118'");
		assertOneLine(check(Map.of(), "--device", "tpu"), 2, "--device 'tpu'");
		// An earlier report is never overwritten silently.
		Path taken = Files.createDirectories(work.resolve("taken"));
		Files.writeString(taken.resolve("report.txt"), "earlier");
		assertOneLine(check(Map.of("PYTORCH_LIBRARY_PATH", lib, "PYTORCH_VERSION", "2.5.1"), "--device", "cpu", "--out", taken.toString()), 2, taken + " exists");
		assertEquals("earlier", Files.readString(taken.resolve("report.txt")));
		// A host whose glibc is older than the runtime's is told so before Java starts.
		Path version = bundle.resolve("VERSION");
		String text = Files.readString(version);
		assertTrue(text.matches("(?s).*\nglibc: 2\\.[0-9]+\n.*"), text);
		try {
			Files.writeString(version, text.replaceAll("\nglibc: [0-9.]+\n", "\nglibc: 2.999\n"));
			assertOneLine(check(Map.of("PYTORCH_LIBRARY_PATH", lib, "PYTORCH_VERSION", "2.5.1"), "--device", "cpu", "--out", work.resolve("r7").toString()), 2,
				"the bundle's Java runtime needs glibc >= 2.999");
		} finally {
			Files.writeString(version, text);
		}
		// None of these started the engine: no JNI was unpacked anywhere in the output folders.
		for (String r : List.of("r1", "r2", "r3", "r4", "r5", "r6", "r7")) assertFalse(Files.exists(work.resolve(r).resolve("djl-cache/pytorch")), r);
	}

	@Test
	void comparisonFailsOnEveryKindOfDifference() throws Exception {
		Assumptions.assumeTrue(bundle != null && Files.isRegularFile(bundle.resolve("reference/cpu-predictions.csv")), "no bundle: " + (built == null ? "" : built.output()));
		Path ref = bundle.resolve("reference/cpu-predictions.csv");
		List<String> lines = Files.readAllLines(ref);
		String[] head = lines.get(0).split(",");
		int predicted = List.of(head).indexOf("predicted");
		int p1 = List.of(head).indexOf("p_meningioma");
		int device = List.of(head).indexOf("device");
		assertEquals(0, compare(ref, lines, "cpu").exitCode(), "identical tables pass");
		List<String> gpu = new ArrayList<>(lines.subList(0, 1));
		for (String l : lines.subList(1, lines.size())) gpu.add(set(l, device, "gpu:0"));
		assertEquals(0, compare(ref, gpu, "gpu").exitCode(), "rows on gpu:0 pass for --device gpu");
		assertTrue(compare(ref, lines, "gpu").output().contains("12 row(s) not on gpu"), "rows that fell back to the cpu fail a gpu check");
		List<String> moved = new ArrayList<>(lines);
		String[] row = moved.get(3).split(",");
		moved.set(3, set(moved.get(3), p1, String.format(Locale.ROOT, "%.6f", Double.parseDouble(row[p1]) + 0.0015)));
		ChildProcess.Result r = compare(ref, moved, "cpu");
		assertEquals(1, r.exitCode(), r.output());
		assertTrue(r.output().contains("max |p diff| 1.50e-03 (tolerance 0.001)"), r.output());
		List<String> small = new ArrayList<>(lines);
		small.set(3, set(small.get(3), p1, String.format(Locale.ROOT, "%.6f", Double.parseDouble(row[p1]) + 0.0005)));
		assertEquals(0, compare(ref, small, "cpu").exitCode(), "a difference within the tolerance passes");
		List<String> flipped = new ArrayList<>(lines);
		flipped.set(2, set(flipped.get(2), predicted, "pituitary".equals(flipped.get(2).split(",")[predicted]) ? "glioma" : "pituitary"));
		r = compare(ref, flipped, "cpu");
		assertEquals(1, r.exitCode(), r.output());
		assertTrue(r.output().contains("top-1 agreement 11/12"), r.output());
		assertEquals(1, compare(ref, lines.subList(0, 5), "cpu").exitCode(), "missing slices fail");
		assertEquals(1, compare(ref, lines.subList(0, 1), "cpu").exitCode(), "no slices fail");
		List<String> nan = new ArrayList<>(lines);
		nan.set(4, set(nan.get(4), p1, "NaN"));
		assertEquals(1, compare(ref, nan, "cpu").exitCode(), "a NaN probability fails");
	}

	private static String set(String line, int col, String value) {
		String[] f = line.split(",", -1);
		f[col] = value;
		return String.join(",", f);
	}

	private static ChildProcess.Result compare(Path ref, List<String> run, String device) throws Exception {
		Path file = Files.createTempFile(work, "run-", ".csv");
		Files.write(file, run);
		return ChildProcess.run(List.of("bash", bundle.resolve("run-gpu-check.sh").toString(), "--compare", ref.toString(), file.toString(), device), work, Map.of(),
			Duration.ofMinutes(1));
	}
}
