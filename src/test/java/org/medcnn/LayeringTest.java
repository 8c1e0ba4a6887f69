package org.medcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.medcnn.core.CoreLayeringTest;

/**
 * The layers of docs/architecture.md, checked on the sources: a package may use only the packages of
 * lower layers (and itself), found from its imports and fully qualified names. Front-ends (cli, command,
 * ij1) use app and below; app uses ij, io and core; ij and io use core; inside core, each package has a
 * rank and uses only packages of lower rank.
 */
class LayeringTest {

	private static final Path MAIN = Paths.get("src", "main", "java", "org", "medcnn");

	/** Ranks of the packages under org.medcnn (first segment, or core.<segment>): a package may use lower ranks only. */
	static final Map<String, Integer> RANK = Map.ofEntries(
		// core, bottom up
		Map.entry("core", 0), Map.entry("core.progress", 0), Map.entry("core.math", 0), Map.entry("core.ood", 0),
		Map.entry("core.image", 1), Map.entry("core.data", 2), Map.entry("core.uncertainty", 2),
		Map.entry("core.model", 3), Map.entry("core.engine", 4), Map.entry("core.classify", 5),
		Map.entry("core.explain", 6), Map.entry("core.eval", 6), Map.entry("core.train", 7),
		// adapters
		Map.entry("ij", 10), Map.entry("io", 11),
		// tasks
		Map.entry("app", 20), Map.entry("batch", 20),
		// front-ends
		Map.entry("cli", 30), Map.entry("command", 30), Map.entry("ij1", 31));

	private static final Pattern REF = Pattern.compile("(?<![\\w.])org\\.medcnn\\.([a-z0-9]+)(?:\\.([a-z0-9]+))?\\.[A-Z*]");

	/** The package key of a reference: core.<segment> or the first segment. */
	static String key(String first, String second) {
		return first.equals("core") && second != null ? "core." + second : first;
	}

	@Test
	void everyPackageUsesOnlyLowerLayers() throws IOException {
		List<Path> files;
		try (Stream<Path> s = Files.walk(MAIN)) {
			files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
		}
		assertTrue(files.size() > 100, "found only " + files.size() + " sources under " + MAIN.toAbsolutePath());
		TreeSet<String> problems = new TreeSet<>();
		TreeSet<String> unknown = new TreeSet<>();
		for (Path f : files) {
			Path rel = MAIN.relativize(f.getParent());
			String own = rel.getNameCount() == 0 ? "" : key(rel.getName(0).toString(), rel.getNameCount() > 1 ? rel.getName(1).toString() : null);
			if (!RANK.containsKey(own)) {
				unknown.add(own + " (" + f + ")");
				continue;
			}
			String code = CoreLayeringTest.stripCommentsAndLiterals(Files.readString(f, StandardCharsets.UTF_8));
			problems.addAll(violations(own, MAIN.relativize(f).toString(), code));
		}
		assertEquals(new TreeSet<>(), unknown, "packages without a layer: add them to RANK and docs/architecture.md");
		assertEquals(new TreeSet<>(), problems, "uses of a package of the same or a higher layer");
	}

	static List<String> violations(String own, String file, String code) {
		List<String> out = new ArrayList<>();
		Matcher m = REF.matcher(code);
		while (m.find()) {
			String used = key(m.group(1), m.group(2));
			if (used.equals(own)) continue;
			Integer rank = RANK.get(used);
			int mine = RANK.get(own);
			// the core root (Messages, OutputGuard) is usable from everywhere in core
			if (used.equals("core") && own.startsWith("core")) continue;
			if (rank == null || rank >= mine) out.add(file + ": " + own + " uses " + used);
		}
		return out;
	}

	@Test
	void violationsAreFoundInImportsAndQualifiedNames() {
		assertEquals(1, violations("core.model", "A.java", "import org.medcnn.core.eval.Metrics;").size());
		assertEquals(1, violations("core.model", "A.java", "class A { Object o = org.medcnn.core.engine.EngineThread.class; }").size());
		assertEquals(1, violations("core.eval", "A.java", "import org.medcnn.core.explain.SaliencyMethod;").size(), "same rank");
		assertEquals(1, violations("io", "A.java", "import org.medcnn.cli.ExitCodes;").size());
		assertEquals(List.of(), violations("core.classify", "A.java", "import org.medcnn.core.engine.ClassifierModel;\nimport org.medcnn.core.Messages;"));
		assertEquals(List.of(), violations("cli", "A.java", "import org.medcnn.core.eval.Metrics;"));
	}
}
