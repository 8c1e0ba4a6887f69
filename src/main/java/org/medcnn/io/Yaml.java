package org.medcnn.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A small YAML reader and writer for model descriptions ({@code rdf.yaml} of bioimage.io): block
 * mappings and sequences, flow collections ({@code [a, b]}, {@code {k: v}}), plain, single- and
 * double-quoted scalars, block scalars ({@code |}, {@code >} with {@code -} or {@code +}), comments and a
 * leading {@code ---}. Anchors, aliases and tags are refused with a message that says so, and so is
 * anything else outside that subset: a file is never half understood.
 * <p>
 * A document reads as nested {@link Map} (keys in file order), {@link List}, {@link Scalar} and null.
 * Scalars keep their text; the typed accessors convert it, so that {@code 1e-6}, {@code '1e-6'} and
 * {@code 0.000001} all read as the number a model's author meant.
 */
public final class Yaml {

	/** The largest document read, in bytes (descriptions are a few kilobytes). */
	public static final long MAX_BYTES = 1L << 20;

	private final List<String> lines;
	private final String source;
	private int line;

	private Yaml(List<String> lines, String source) {
		this.lines = lines;
		this.source = source;
	}

	/**
	 * A scalar: its text, and whether it was quoted (a quoted {@code null} is the string "null").
	 *
	 * @param text the text, unescaped
	 * @param quoted whether it was quoted or a block scalar
	 */
	public record Scalar(String text, boolean quoted) {

		/** @return whether it is YAML's null ({@code ~}, {@code null} or nothing, unquoted) */
		public boolean isNull() {
			return !quoted && (text.isEmpty() || text.equals("~") || text.equalsIgnoreCase("null"));
		}

		/** @return the number it spells, or NaN when it is not a number */
		public double number() {
			String t = text.trim();
			switch (t.toLowerCase(Locale.ROOT)) {
				case ".inf", "+.inf" -> {
					return Double.POSITIVE_INFINITY;
				}
				case "-.inf" -> {
					return Double.NEGATIVE_INFINITY;
				}
				default -> {
					// fall through to the numeric forms below
				}
			}
			if (!t.matches("[-+]?(\\d[\\d_]*)?(\\.\\d*)?([eE][-+]?\\d+)?") || t.replaceAll("[^0-9]", "").isEmpty()) return Double.NaN;
			try {
				return Double.parseDouble(t.replace("_", ""));
			} catch (NumberFormatException e) {
				return Double.NaN;
			}
		}

		/** @return true or false as YAML spells them, or null when it is neither */
		public Boolean bool() {
			String t = text.trim().toLowerCase(Locale.ROOT);
			if (t.equals("true")) return Boolean.TRUE;
			if (t.equals("false")) return Boolean.FALSE;
			return null;
		}

		@Override
		public String toString() {
			return text;
		}
	}

	/**
	 * Reads a YAML file.
	 *
	 * @param file the file
	 * @return the document: a map, list, scalar or null
	 * @throws IOException if the file cannot be read, is too large, or is not YAML this reader knows
	 */
	public static Object read(Path file) throws IOException {
		if (!Files.isRegularFile(file)) throw new IOException(file + (Files.exists(file) ? ": not a regular file" : ": file not found"));
		if (Files.size(file) > MAX_BYTES) throw new IOException(file + ": larger than " + MAX_BYTES + " bytes; not read");
		return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
	}

	/**
	 * Parses YAML text.
	 *
	 * @param text the text
	 * @param source the file it came from, for messages
	 * @return the document
	 * @throws IOException naming the source and line of what is not understood
	 */
	public static Object parse(String text, String source) throws IOException {
		String t = text.startsWith("\uFEFF") ? text.substring(1) : text;
		List<String> ls = new ArrayList<>(List.of(t.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1)));
		for (int i = 0; i < ls.size(); i++) {
			if (ls.get(i).indexOf('\t') >= 0 && ls.get(i).substring(0, indent(ls.get(i).replace('\t', ' '))).indexOf('\t') >= 0) {
				throw new IOException(source + ": line " + (i + 1) + ": a tab in the indentation (YAML indents with spaces)");
			}
		}
		Yaml y = new Yaml(ls, source);
		y.skipBlank();
		if (y.line < ls.size() && ls.get(y.line).startsWith("%")) throw y.error("YAML directives (%) are not supported");
		if (y.line < ls.size() && ls.get(y.line).trim().equals("---")) {
			y.line++;
			y.skipBlank();
		}
		if (y.line >= ls.size()) return null;
		Object doc = y.node(0);
		y.skipBlank();
		if (y.line < ls.size() && !ls.get(y.line).trim().equals("...")) {
			if (ls.get(y.line).trim().equals("---")) throw y.error("a second YAML document; a description is one document");
			throw y.error("unexpected text (check the indentation)");
		}
		return doc;
	}

	private IOException error(String what) {
		return new IOException(source + ": line " + (line + 1) + ": " + what);
	}

	private static int indent(String s) {
		int i = 0;
		while (i < s.length() && s.charAt(i) == ' ') i++;
		return i;
	}

	/** The line without its comment (a {@code #} at the start or after a space, outside quotes). */
	private static String stripComment(String s) {
		boolean single = false;
		boolean dbl = false;
		for (int i = 0; i < s.length(); i++) {
			char c = s.charAt(i);
			if (dbl && c == '\\') {
				i++;
				continue;
			}
			if (c == '\'' && !dbl) single = !single;
			else if (c == '"' && !single) dbl = !dbl;
			else if (c == '#' && !single && !dbl && (i == 0 || s.charAt(i - 1) == ' ')) return s.substring(0, i);
		}
		return s;
	}

	private boolean blank(int i) {
		String s = stripComment(lines.get(i));
		return s.isBlank();
	}

	private void skipBlank() {
		while (line < lines.size() && blank(line)) line++;
	}

	/** A node whose first line is at {@link #line}, indented at least {@code min}. */
	private Object node(int min) throws IOException {
		skipBlank();
		if (line >= lines.size()) return null;
		String raw = stripComment(lines.get(line));
		int ind = indent(raw);
		if (ind < min) return null;
		String content = raw.substring(ind).stripTrailing();
		refuseSpecial(content);
		if (content.equals("-") || content.startsWith("- ")) return sequence(ind);
		if (keyEnd(content) >= 0) return mapping(ind);
		line++;
		return inline(content, ind);
	}

	private void refuseSpecial(String content) throws IOException {
		String c = content.startsWith("- ") ? content.substring(2).trim() : content;
		int k = keyEnd(c);
		String value = k >= 0 ? c.substring(k + 1).trim() : c;
		for (String v : new String[] {c, value}) {
			if (v.startsWith("&") || v.startsWith("*")) throw error("YAML anchors and aliases (& and *) are not supported");
			if (v.startsWith("!")) throw error("YAML tags (!) are not supported");
			if (v.startsWith("? ")) throw error("complex mapping keys (?) are not supported");
		}
	}

	/**
	 * The index of the colon that ends a mapping key in a line's content, or -1 when the content is not a
	 * {@code key: value} line.
	 */
	private static int keyEnd(String c) {
		if (c.isEmpty() || c.startsWith("- ") || c.equals("-") || c.startsWith("[") || c.startsWith("{") || c.startsWith("#")) return -1;
		int i = 0;
		if (c.charAt(0) == '"' || c.charAt(0) == '\'') {
			char q = c.charAt(0);
			i = 1;
			while (i < c.length()) {
				if (q == '"' && c.charAt(i) == '\\') {
					i += 2;
					continue;
				}
				if (c.charAt(i) == q) {
					if (q == '\'' && i + 1 < c.length() && c.charAt(i + 1) == '\'') {
						i += 2;
						continue;
					}
					break;
				}
				i++;
			}
			i++;
			while (i < c.length() && c.charAt(i) == ' ') i++;
			return i < c.length() && c.charAt(i) == ':' && (i + 1 == c.length() || c.charAt(i + 1) == ' ') ? i : -1;
		}
		for (; i < c.length(); i++) {
			if (c.charAt(i) == ':' && (i + 1 == c.length() || c.charAt(i + 1) == ' ')) return i;
		}
		return -1;
	}

	private Map<String, Object> mapping(int ind) throws IOException {
		Map<String, Object> m = new LinkedHashMap<>();
		while (true) {
			skipBlank();
			if (line >= lines.size()) break;
			String raw = stripComment(lines.get(line));
			int i = indent(raw);
			if (i < ind) break;
			if (i > ind) throw error("unexpected indentation");
			String content = raw.substring(ind).stripTrailing();
			refuseSpecial(content);
			int k = keyEnd(content);
			if (k < 0) {
				if (content.startsWith("- ") || content.equals("-")) break; // a sequence at the key's indentation belongs to the key before
				throw error("expected 'key: value'");
			}
			String key = keyText(content.substring(0, k).trim());
			if (m.containsKey(key)) throw error("key '" + key + "' appears twice");
			String rest = content.substring(k + 1).trim();
			line++;
			m.put(key, value(rest, ind, true));
		}
		return m;
	}

	private String keyText(String k) throws IOException {
		if (k.startsWith("\"") || k.startsWith("'")) {
			Object v = new Flow(k, 0).scalar();
			return v.toString();
		}
		return k;
	}

	/** The value after {@code key:} or {@code -}: on the same line, a block scalar, or the more indented (or sequence) lines below. */
	private Object value(String rest, int ind, boolean inMapping) throws IOException {
		if (rest.isEmpty()) {
			skipBlank();
			if (line >= lines.size()) return null;
			String raw = stripComment(lines.get(line));
			int i = indent(raw);
			String c = raw.substring(i);
			if (i > ind) return node(ind + 1);
			// a block sequence may sit at the key's own indentation
			if (inMapping && i == ind && (c.startsWith("- ") || c.trim().equals("-"))) return sequence(ind);
			return null;
		}
		if (rest.startsWith("|") || rest.startsWith(">")) return blockScalar(rest, ind);
		return inline(rest, ind);
	}

	private List<Object> sequence(int ind) throws IOException {
		List<Object> out = new ArrayList<>();
		while (true) {
			skipBlank();
			if (line >= lines.size()) break;
			String raw = stripComment(lines.get(line));
			int i = indent(raw);
			if (i != ind) {
				if (i > ind) throw error("unexpected indentation");
				break;
			}
			String content = raw.substring(ind).stripTrailing();
			if (!(content.startsWith("- ") || content.equals("-"))) break;
			String rest = content.length() > 1 ? content.substring(2) : "";
			int pad = indent(rest);
			rest = rest.trim();
			if (rest.isEmpty()) {
				line++;
				out.add(value("", ind, false));
			} else if (rest.startsWith("- ") || keyEnd(rest) >= 0) {
				// "- key: value" or "- - x": the rest is a node indented where it starts
				int col = ind + 2 + pad;
				lines.set(line, " ".repeat(col) + rest);
				out.add(node(col));
			} else if (rest.startsWith("|") || rest.startsWith(">")) {
				line++;
				out.add(blockScalar(rest, ind));
			} else {
				line++;
				out.add(inline(rest, ind));
			}
		}
		return out;
	}

	/** A value on one line (or a flow collection or plain scalar continued on the lines below). */
	private Object inline(String text, int ind) throws IOException {
		String t = text;
		if (t.startsWith("[") || t.startsWith("{")) {
			// a flow collection may span lines until its brackets close
			while (!balanced(t)) {
				if (line >= lines.size()) throw error("unclosed " + t.charAt(0));
				t = t + " " + stripComment(lines.get(line)).trim();
				line++;
			}
			Flow f = new Flow(t, 0);
			Object v = f.value();
			f.spaces();
			if (f.pos < t.length()) throw error("unexpected text after a flow collection: " + t.substring(f.pos));
			return v;
		}
		if (t.startsWith("\"") || t.startsWith("'")) {
			// a quoted scalar may span lines too
			while (!closedQuote(t)) {
				if (line >= lines.size()) throw error("unclosed quote");
				t = t + "\n" + lines.get(line).trim();
				line++;
			}
			Flow f = new Flow(t.replace("\n", " "), 0);
			Object v = f.scalar();
			f.spaces();
			if (f.pos < f.text.length()) throw error("unexpected text after a quoted string");
			return v;
		}
		// a plain scalar continues on more indented lines that are not keys
		StringBuilder b = new StringBuilder(t.trim());
		while (line < lines.size() && !blank(line)) {
			String raw = stripComment(lines.get(line));
			int i = indent(raw);
			if (i <= ind) break;
			String c = raw.trim();
			if (keyEnd(c) >= 0 || c.startsWith("- ")) break;
			b.append(' ').append(c);
			line++;
		}
		return new Scalar(b.toString(), false);
	}

	private static boolean balanced(String t) {
		int depth = 0;
		boolean single = false;
		boolean dbl = false;
		for (int i = 0; i < t.length(); i++) {
			char c = t.charAt(i);
			if (dbl && c == '\\') {
				i++;
				continue;
			}
			if (c == '\'' && !dbl) single = !single;
			else if (c == '"' && !single) dbl = !dbl;
			else if (!single && !dbl && (c == '[' || c == '{')) depth++;
			else if (!single && !dbl && (c == ']' || c == '}')) depth--;
		}
		return depth <= 0;
	}

	private static boolean closedQuote(String t) {
		char q = t.charAt(0);
		for (int i = 1; i < t.length(); i++) {
			char c = t.charAt(i);
			if (q == '"' && c == '\\') {
				i++;
				continue;
			}
			if (c == q) {
				if (q == '\'' && i + 1 < t.length() && t.charAt(i + 1) == '\'') {
					i++;
					continue;
				}
				return true;
			}
		}
		return false;
	}

	/** A block scalar ({@code |} keeps line breaks, {@code >} folds them; {@code -} strips the final break, {@code +} keeps all). */
	private Scalar blockScalar(String header, int ind) throws IOException {
		boolean literal = header.charAt(0) == '|';
		String h = header.substring(1).trim();
		char chomp = ' ';
		int explicit = 0;
		for (char c : h.toCharArray()) {
			if (c == '-' || c == '+') chomp = c;
			else if (Character.isDigit(c)) explicit = c - '0';
			else throw error("block scalar header '" + header + "' is not understood");
		}
		List<String> body = new ArrayList<>();
		int blockIndent = explicit > 0 ? ind + explicit : -1;
		while (line < lines.size()) {
			String raw = lines.get(line);
			if (raw.isBlank()) {
				body.add("");
				line++;
				continue;
			}
			int i = indent(raw);
			if (blockIndent < 0) {
				if (i <= ind) break;
				blockIndent = i;
			}
			if (i < blockIndent) break;
			body.add(raw.substring(blockIndent));
			line++;
		}
		// trailing empty lines are chomped by the indicator
		int end = body.size();
		while (end > 0 && body.get(end - 1).isEmpty()) end--;
		List<String> kept = body.subList(0, end);
		StringBuilder b = new StringBuilder();
		for (int k = 0; k < kept.size(); k++) {
			String l = kept.get(k);
			if (k == 0 || literal) {
				b.append(k == 0 ? "" : "\n").append(l);
				continue;
			}
			String prev = kept.get(k - 1);
			// folding: a break between two text lines is a space, each empty line one break, more-indented lines keep theirs
			if (l.isEmpty()) b.append('\n');
			else if (prev.isEmpty()) b.append(l);
			else if (l.startsWith(" ") || prev.startsWith(" ")) b.append('\n').append(l);
			else b.append(' ').append(l);
		}
		if (chomp == '+') b.append("\n".repeat(body.size() - end + 1));
		else if (chomp != '-' && end > 0) b.append('\n');
		return new Scalar(b.toString(), true);
	}

	/** A flow collection or quoted scalar inside one string. */
	private final class Flow {
		final String text;
		int pos;

		Flow(String text, int pos) {
			this.text = text;
			this.pos = pos;
		}

		void spaces() {
			while (pos < text.length() && text.charAt(pos) == ' ') pos++;
		}

		Object value() throws IOException {
			spaces();
			if (pos >= text.length()) throw error("a value is missing");
			char c = text.charAt(pos);
			if (c == '[') return list();
			if (c == '{') return map();
			if (c == '&' || c == '*') throw error("YAML anchors and aliases (& and *) are not supported");
			if (c == '!') throw error("YAML tags (!) are not supported");
			return scalar();
		}

		List<Object> list() throws IOException {
			pos++;
			List<Object> out = new ArrayList<>();
			spaces();
			if (pos < text.length() && text.charAt(pos) == ']') {
				pos++;
				return out;
			}
			while (true) {
				out.add(value());
				spaces();
				if (pos >= text.length()) throw error("unclosed [");
				char c = text.charAt(pos++);
				if (c == ']') return out;
				if (c != ',') throw error("expected ',' or ']' in a flow list");
				spaces();
				if (pos < text.length() && text.charAt(pos) == ']') {
					pos++;
					return out;
				}
			}
		}

		Map<String, Object> map() throws IOException {
			pos++;
			Map<String, Object> out = new LinkedHashMap<>();
			spaces();
			if (pos < text.length() && text.charAt(pos) == '}') {
				pos++;
				return out;
			}
			while (true) {
				spaces();
				Object k = scalar();
				spaces();
				if (pos >= text.length() || text.charAt(pos) != ':') throw error("expected ':' after the key '" + k + "' in a flow mapping");
				pos++;
				spaces();
				Object v = pos < text.length() && (text.charAt(pos) == ',' || text.charAt(pos) == '}') ? new Scalar("", false) : value();
				if (out.put(k.toString(), v) != null) throw error("key '" + k + "' appears twice");
				spaces();
				if (pos >= text.length()) throw error("unclosed {");
				char c = text.charAt(pos++);
				if (c == '}') return out;
				if (c != ',') throw error("expected ',' or '}' in a flow mapping");
				spaces();
				if (pos < text.length() && text.charAt(pos) == '}') {
					pos++;
					return out;
				}
			}
		}

		Scalar scalar() throws IOException {
			spaces();
			if (pos >= text.length()) return new Scalar("", false);
			char c = text.charAt(pos);
			if (c == '\'') {
				StringBuilder b = new StringBuilder();
				pos++;
				while (true) {
					if (pos >= text.length()) throw error("unclosed '");
					char d = text.charAt(pos++);
					if (d == '\'') {
						if (pos < text.length() && text.charAt(pos) == '\'') {
							b.append('\'');
							pos++;
						} else {
							return new Scalar(b.toString(), true);
						}
					} else {
						b.append(d);
					}
				}
			}
			if (c == '"') {
				StringBuilder b = new StringBuilder();
				pos++;
				while (true) {
					if (pos >= text.length()) throw error("unclosed \"");
					char d = text.charAt(pos++);
					if (d == '"') return new Scalar(b.toString(), true);
					if (d != '\\') {
						b.append(d);
						continue;
					}
					if (pos >= text.length()) throw error("unclosed \"");
					char e = text.charAt(pos++);
					switch (e) {
						case 'n' -> b.append('\n');
						case 't' -> b.append('\t');
						case 'r' -> b.append('\r');
						case '0' -> b.append('\0');
						case '"', '\\', '/', ' ' -> b.append(e);
						case 'u' -> {
							if (pos + 4 > text.length()) throw error("bad \\u escape");
							b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
							pos += 4;
						}
						default -> throw error("escape \\" + e + " is not supported");
					}
				}
			}
			// plain: up to ", ", "]", "}" or ": " (in a flow mapping)
			int start = pos;
			while (pos < text.length()) {
				char d = text.charAt(pos);
				if (d == ',' || d == ']' || d == '}') break;
				if (d == ':' && (pos + 1 == text.length() || text.charAt(pos + 1) == ' ' || text.charAt(pos + 1) == ',')) break;
				pos++;
			}
			return new Scalar(text.substring(start, pos).trim(), false);
		}
	}

	// -- typed access --

	/**
	 * The value at a path of keys.
	 *
	 * @param node a map
	 * @param keys the keys
	 * @return the value, or null when a key is absent (or a node on the way is not a map)
	 */
	public static Object get(Object node, String... keys) {
		Object n = node;
		for (String k : keys) {
			if (!(n instanceof Map<?, ?> m)) return null;
			n = m.get(k);
		}
		if (n instanceof Scalar s && s.isNull()) return null;
		return n;
	}

	/**
	 * A string value.
	 *
	 * @param node a map
	 * @param keys the keys
	 * @return the text, or null when absent
	 */
	public static String string(Object node, String... keys) {
		Object v = get(node, keys);
		return v instanceof Scalar s ? s.text() : null;
	}

	// -- writing --

	/**
	 * Writes a document (maps, lists, strings, numbers, booleans and null) as block YAML with two-space
	 * indentation; strings are quoted whenever they could read as something else; lists of short scalars
	 * are written in flow style.
	 *
	 * @param doc the document
	 * @return the text
	 */
	public static String write(Object doc) {
		StringBuilder b = new StringBuilder();
		write(b, doc, 0, false);
		return b.toString();
	}

	private static void write(StringBuilder b, Object v, int ind, boolean inList) {
		String pad = " ".repeat(ind);
		if (v instanceof Map<?, ?> m) {
			boolean first = true;
			for (Map.Entry<?, ?> e : m.entrySet()) {
				if (!(first && inList)) b.append(pad);
				first = false;
				b.append(key(String.valueOf(e.getKey()))).append(':');
				Object x = e.getValue();
				if (x instanceof Map<?, ?> xm && !xm.isEmpty()) {
					b.append('\n');
					write(b, x, ind + 2, false);
				} else if (x instanceof List<?> xl && !xl.isEmpty() && !flowList(xl)) {
					b.append('\n');
					write(b, x, ind + 2, false);
				} else {
					b.append(' ').append(inline(x)).append('\n');
				}
			}
		} else if (v instanceof List<?> l) {
			for (Object x : l) {
				b.append(pad).append("- ");
				if (x instanceof Map<?, ?> xm && !xm.isEmpty()) {
					write(b, x, ind + 2, true);
				} else if (x instanceof List<?> xl && !xl.isEmpty() && !flowList(xl)) {
					b.append('\n');
					write(b, x, ind + 2, false);
				} else {
					b.append(inline(x)).append('\n');
				}
			}
		} else {
			b.append(pad).append(inline(v)).append('\n');
		}
	}

	private static boolean flowList(List<?> l) {
		if (l.size() > 16) return false;
		int length = 0;
		for (Object x : l) {
			if (x instanceof Map || x instanceof List) return false;
			length += inline(x).length() + 2;
		}
		return length < 80;
	}

	private static String inline(Object x) {
		if (x == null) return "null";
		if (x instanceof Map<?, ?> m && m.isEmpty()) return "{}";
		if (x instanceof List<?> l) {
			StringBuilder b = new StringBuilder("[");
			for (int i = 0; i < l.size(); i++) b.append(i > 0 ? ", " : "").append(inline(l.get(i)));
			return b.append(']').toString();
		}
		if (x instanceof Boolean || x instanceof Integer || x instanceof Long) return x.toString();
		if (x instanceof Number n) {
			double d = n.doubleValue();
			if (Double.isNaN(d)) return ".nan";
			if (Double.isInfinite(d)) return d > 0 ? ".inf" : "-.inf";
			// a float keeps its point or exponent so that every YAML reader reads a float (1.0e-06, not 1e-06)
			String s = Double.toString(d);
			if (s.contains("E")) {
				String[] p = s.split("E");
				String mant = p[0].contains(".") ? p[0] : p[0] + ".0";
				int exp = Integer.parseInt(p[1]);
				return mant + "e" + (exp < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exp));
			}
			return s;
		}
		if (x instanceof Scalar s) return s.quoted() ? quote(s.text()) : s.text();
		return string(x.toString());
	}

	private static String key(String k) {
		return k.matches("[A-Za-z_][A-Za-z0-9_.-]*") ? k : quote(k);
	}

	/** A string, plain when it cannot read as anything else, else double-quoted. */
	static String string(String s) {
		if (s.isEmpty() || !s.equals(s.strip()) || s.matches("(?i)(null|~|true|false|yes|no|on|off|y|n)") || !Double.isNaN(new Scalar(s, false).number())
			|| s.matches("[-+]?\\.?(inf|nan)") || "-?:,[]{}#&*!|>'\"%@`".indexOf(s.charAt(0)) >= 0 || s.contains(": ") || s.contains(" #") || s.endsWith(":")
			|| s.indexOf('\n') >= 0 || s.matches(".*[\\p{Cntrl}].*")) {
			return quote(s);
		}
		return s;
	}

	private static String quote(String s) {
		StringBuilder b = new StringBuilder("\"");
		for (char c : s.toCharArray()) {
			switch (c) {
				case '"' -> b.append("\\\"");
				case '\\' -> b.append("\\\\");
				case '\n' -> b.append("\\n");
				case '\t' -> b.append("\\t");
				case '\r' -> b.append("\\r");
				default -> {
					if (c < 0x20) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
					else b.append(c);
				}
			}
		}
		return b.append('"').toString();
	}
}
