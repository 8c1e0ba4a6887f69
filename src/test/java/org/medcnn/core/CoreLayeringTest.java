package org.medcnn.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core knows nothing of ImageJ, SciJava or a UI (DESIGN.md, STYLE.md P1): no file under
 * {@code org/medcnn/core} imports or names {@code ij.*}, {@code org.scijava.*}, {@code java.awt.*}
 * or {@code javax.swing.*}.
 */
public class CoreLayeringTest {

	private static final Path CORE = Paths.get("src", "main", "java", "org", "medcnn", "core");

	/** A forbidden package at a word start, as in an import or a fully qualified name. */
	private static final Pattern FORBIDDEN = Pattern.compile("(?<![\\w.])(ij|org\\.scijava|java\\.awt|javax\\.swing)\\.[A-Za-z_*]");

	@Test
	void coreUsesNoImageJSciJavaOrUiTypes() throws IOException {
		assertTrue(Files.isDirectory(CORE), "run from the project root; " + CORE.toAbsolutePath() + " is missing");
		List<Path> files;
		try (Stream<Path> s = Files.walk(CORE)) {
			files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
		}
		assertTrue(files.size() >= 10, "found only " + files.size() + " core sources");
		List<String> problems = new ArrayList<>();
		for (Path f : files) problems.addAll(violations(CORE.relativize(f).toString(), Files.readString(f, StandardCharsets.UTF_8)));
		assertEquals(List.of(), problems, "core must not depend on ImageJ, SciJava, AWT or Swing");
	}

	@Test
	void detectorCatchesImportsAndQualifiedNamesButNotComments() {
		assertEquals(1, violations("A.java", "package x;\nimport ij.ImagePlus;\nclass A {}").size());
		assertEquals(1, violations("A.java", "import static ij.IJ.log;\nclass A {}").size());
		assertEquals(1, violations("A.java", "import org.scijava.plugin.Parameter;").size());
		assertEquals(1, violations("A.java", "import java.awt.*;").size());
		assertEquals(1, violations("A.java", "import javax.swing.JFrame;").size());
		assertEquals(1, violations("A.java", "class A { java.awt.Color c = null; }").size());
		assertEquals(1, violations("A.java", "class A { Object o = new ij.process.ByteProcessor(1, 1); }").size());
		assertEquals(List.of(), violations("A.java", "// this is not java.awt.Color\n/* nor ij.ImagePlus */ class A {}"));
		assertEquals(List.of(), violations("A.java", "class A { String s = \"uses ij.ImagePlus in Fiji\"; }"));
		assertEquals(List.of(), violations("A.java", "class A { int obj; void f() { this.obj = obj; } Object x = my.ij.Thing.class; }"));
		assertEquals(List.of(), violations("A.java", "import java.awtx.Foo;\nimport java.util.List;"));
	}

	/** Lists forbidden references in a source file, ignoring comments and string or char literals. */
	static List<String> violations(String name, String source) {
		String code = stripCommentsAndLiterals(source);
		List<String> out = new ArrayList<>();
		String[] lines = code.split("\n", -1);
		for (int i = 0; i < lines.length; i++) {
			Matcher m = FORBIDDEN.matcher(lines[i]);
			if (m.find()) out.add(name + ":" + (i + 1) + ": " + lines[i].trim());
		}
		return out;
	}

	/** Blanks comments, string, text-block and char literals, keeping line breaks so line numbers stay right. */
	public static String stripCommentsAndLiterals(String s) {
		StringBuilder out = new StringBuilder(s.length());
		int i = 0;
		int n = s.length();
		while (i < n) {
			char c = s.charAt(i);
			if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
				while (i < n && s.charAt(i) != '\n') i++;
			} else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
				i += 2;
				while (i < n && !(s.charAt(i) == '*' && i + 1 < n && s.charAt(i + 1) == '/')) {
					if (s.charAt(i) == '\n') out.append('\n');
					i++;
				}
				i += 2;
			} else if (s.startsWith("\"\"\"", i)) {
				i += 3;
				while (i < n && !s.startsWith("\"\"\"", i)) {
					if (s.charAt(i) == '\n') out.append('\n');
					if (s.charAt(i) == '\\') i++;
					i++;
				}
				i += 3;
				out.append("\"\"");
			} else if (c == '"' || c == '\'') {
				i++;
				while (i < n && s.charAt(i) != c && s.charAt(i) != '\n') {
					if (s.charAt(i) == '\\') i++;
					i++;
				}
				i++;
				out.append(c).append(c);
			} else {
				out.append(c);
				i++;
			}
		}
		return out.toString();
	}
}
