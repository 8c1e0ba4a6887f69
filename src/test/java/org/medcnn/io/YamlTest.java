package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class YamlTest {

	private static Object parse(String s) throws IOException {
		return Yaml.parse(s, "test.yaml");
	}

	@Test
	void readsTheBlockAndFlowFormsOfModelDescriptions() throws Exception {
		Object d = parse("""
			# a comment
			---
			type: model   # trailing comment
			name: 'It''s a model'
			url: https://example.org/a#b
			description: >-
			  folded
			  text

			  second paragraph
			notes: |
			  line one
			    indented
			authors:
			  - name: A. Author
			    affiliation: "Lab \\"X\\""
			  - {name: B, github_user: b}
			tags: [a, 'b c', "d"]
			inputs:
			- id: raw
			  axes:
			    - type: batch
			    - {type: space, id: y, size: 32}
			  data: {type: float32, range: [null, 1.0e-06]}
			empty:
			nested: {a: {b: [1, [2, 3]]}}
			plain: this continues
			  on the next line
			""");
		assertEquals("model", Yaml.string(d, "type"));
		assertEquals("It's a model", Yaml.string(d, "name"));
		assertEquals("https://example.org/a#b", Yaml.string(d, "url"));
		assertEquals("folded text\nsecond paragraph", Yaml.string(d, "description"));
		assertEquals("line one\n  indented\n", Yaml.string(d, "notes"));
		List<?> authors = (List<?>) Yaml.get(d, "authors");
		assertEquals("A. Author", Yaml.string(authors.get(0), "name"));
		assertEquals("Lab \"X\"", Yaml.string(authors.get(0), "affiliation"));
		assertEquals("b", Yaml.string(authors.get(1), "github_user"));
		assertEquals(List.of("a", "b c", "d"), ((List<?>) Yaml.get(d, "tags")).stream().map(Object::toString).toList());
		Object input = ((List<?>) Yaml.get(d, "inputs")).get(0);
		assertEquals("raw", Yaml.string(input, "id"));
		Object y = ((List<?>) Yaml.get(input, "axes")).get(1);
		assertEquals(32, ((Yaml.Scalar) Yaml.get(y, "size")).number());
		List<?> range = (List<?>) Yaml.get(input, "data", "range");
		assertTrue(((Yaml.Scalar) range.get(0)).isNull());
		assertEquals(1e-6, ((Yaml.Scalar) range.get(1)).number());
		assertNull(Yaml.get(d, "empty"));
		assertEquals("3", ((List<?>) ((List<?>) Yaml.get(d, "nested", "a", "b")).get(1)).get(1).toString());
		assertEquals("this continues on the next line", Yaml.string(d, "plain"));
	}

	@Test
	void numbersInTheFormsAuthorsWrite() {
		assertEquals(1e-6, new Yaml.Scalar("1e-6", false).number());
		assertEquals(1e-6, new Yaml.Scalar("1.0e-06", false).number());
		assertEquals(0.5, new Yaml.Scalar(".5", false).number());
		assertEquals(-3, new Yaml.Scalar("-3", false).number());
		assertEquals(Double.POSITIVE_INFINITY, new Yaml.Scalar(".inf", false).number());
		assertTrue(Double.isNaN(new Yaml.Scalar("0.5.4", false).number()));
		assertTrue(Double.isNaN(new Yaml.Scalar("e5", false).number()));
	}

	@Test
	void whatItDoesNotUnderstandIsRefusedWithTheLine() {
		IOException anchor = assertThrows(IOException.class, () -> parse("a: &x 1\nb: *x\n"));
		assertTrue(anchor.getMessage().contains("test.yaml: line 1") && anchor.getMessage().contains("anchors"), anchor.getMessage());
		assertTrue(assertThrows(IOException.class, () -> parse("a: !!str 1\n")).getMessage().contains("tags"));
		assertTrue(assertThrows(IOException.class, () -> parse("a: 1\na: 2\n")).getMessage().contains("appears twice"));
		assertTrue(assertThrows(IOException.class, () -> parse("a: [1, 2\n")).getMessage().contains("unclosed"));
		assertTrue(assertThrows(IOException.class, () -> parse("a:\n\tb: 1\n")).getMessage().contains("tab"));
		assertTrue(assertThrows(IOException.class, () -> parse("a: 1\n  b: 2\n c: 3\n")).getMessage().contains("line"));
	}

	@Test
	void writesWhatItReadsBack() throws Exception {
		Map<String, Object> doc = new LinkedHashMap<>();
		doc.put("type", "model");
		doc.put("version", "1.0");
		doc.put("yes", "no");
		doc.put("text", "a: b # not a comment");
		doc.put("multi", "line one\nline two");
		doc.put("eps", 1e-6);
		doc.put("size", 32);
		doc.put("flag", true);
		doc.put("names", List.of("dark", "bright", "null"));
		doc.put("axes", List.of(Map.of("type", "batch"), Map.of("type", "space", "size", 8)));
		doc.put("empty", Map.of());
		String text = Yaml.write(doc);
		Object back = parse(text);
		assertEquals("model", Yaml.string(back, "type"));
		assertEquals("1.0", Yaml.string(back, "version"));
		assertTrue(((Yaml.Scalar) Yaml.get(back, "version")).quoted(), "a version that looks like a number is quoted: " + text);
		assertEquals("no", Yaml.string(back, "yes"));
		assertEquals("a: b # not a comment", Yaml.string(back, "text"));
		assertEquals("line one\nline two", Yaml.string(back, "multi"));
		assertEquals(1e-6, ((Yaml.Scalar) Yaml.get(back, "eps")).number());
		assertTrue(text.contains("eps: 1.0e-06"), text);
		assertEquals(32, ((Yaml.Scalar) Yaml.get(back, "size")).number());
		assertEquals(Boolean.TRUE, ((Yaml.Scalar) Yaml.get(back, "flag")).bool());
		assertEquals("null", Yaml.string(((List<?>) Yaml.get(back, "names")).get(2) instanceof Yaml.Scalar s ? Map.of("x", s) : null, "x"));
		assertEquals("8", Yaml.string(((List<?>) Yaml.get(back, "axes")).get(1), "size"));
	}
}
