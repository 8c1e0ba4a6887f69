package org.medcnn.command;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.scijava.Context;
import org.scijava.ItemVisibility;
import org.scijava.module.ModuleItem;
import org.scijava.service.Service;

/**
 * Reads the option string of a macro call, {@code run("Classify Slices", "model=lung-ct batch_size=8 add_overlay=true")},
 * for a MedCNN command, the same way in Fiji (ImageJ2) and in plain ImageJ 1.x: keys are the command's field
 * names, matched whole; values are parsed by MedCNN, so that a bad value stops the command with one line that
 * names the key and the value instead of being skipped (ImageJ2 keeps the default for a value it cannot
 * convert) or reaching ImageJ 1.x's dialog, whose error box waits for a click that never comes on a cluster.
 * <p>
 * Values: {@code key=value}, {@code key=[value with spaces]} or {@code key='value'}. Whole numbers for int and
 * long fields, numbers for double and float fields, both within the field's {@code min}/{@code max}; {@code true}
 * or {@code false} for checkboxes, where a bare {@code key} also means true (as ImageJ 1.x records a ticked box);
 * text as it is (the command checks a choice, as it does for every caller); an empty value for a file means none. A key the
 * command does not have, a key given twice, or a value of the wrong kind is an error. Keys that are left out
 * keep the field's default.
 */
public final class MacroOptions {

	private MacroOptions() {}

	/**
	 * Splits an option string into keys and raw values, in order.
	 *
	 * @param options the option string; null or blank gives an empty map
	 * @return key to value; a bare word maps to null
	 * @throws IllegalArgumentException for an unterminated {@code [} or {@code '}, an empty key, or a key given twice
	 */
	public static Map<String, String> tokens(String options) {
		Map<String, String> out = new LinkedHashMap<>();
		if (options == null) return out;
		String s = options;
		int n = s.length();
		int i = 0;
		while (i < n) {
			while (i < n && Character.isWhitespace(s.charAt(i))) i++;
			if (i >= n) break;
			int start = i;
			while (i < n && s.charAt(i) != '=' && !Character.isWhitespace(s.charAt(i))) i++;
			String key = s.substring(start, i);
			String value = null;
			if (i < n && s.charAt(i) == '=') {
				i++;
				if (i < n && s.charAt(i) == '[') {
					int depth = 1;
					int from = ++i;
					while (i < n && depth > 0) {
						char c = s.charAt(i);
						if (c == '[') depth++;
						else if (c == ']') depth--;
						i++;
					}
					if (depth > 0) throw new IllegalArgumentException("the value of " + key + " opens '[' but never closes it");
					value = s.substring(from, i - 1);
				} else if (i < n && s.charAt(i) == '\'') {
					int close = s.indexOf('\'', i + 1);
					if (close < 0) throw new IllegalArgumentException("the value of " + key + " opens a quote (') but never closes it");
					value = s.substring(i + 1, close);
					i = close + 1;
				} else {
					int from = i;
					while (i < n && !Character.isWhitespace(s.charAt(i))) i++;
					value = s.substring(from, i);
				}
			}
			if (key.isEmpty()) throw new IllegalArgumentException("a value without a key near '" + s.substring(start, Math.min(n, start + 20)) + "'");
			if (out.containsKey(key)) throw new IllegalArgumentException(key + " is given twice");
			out.put(key, value);
		}
		return out;
	}

	/**
	 * Whether an input is one a macro sets: not a service, the context, or a message shown in the dialog.
	 *
	 * @param item the input
	 * @return true for a user parameter
	 */
	public static boolean isParameter(ModuleItem<?> item) {
		Class<?> type = item.getType();
		if (Service.class.isAssignableFrom(type) || Context.class.isAssignableFrom(type)) return false;
		return item.getVisibility() != ItemVisibility.MESSAGE && item.getVisibility() != ItemVisibility.INVISIBLE;
	}

	/**
	 * Whether values of a type are read from the option string by {@link #value}: numbers, booleans, text and
	 * files (an image, for instance, is not: it is given by its title and looked up by the caller).
	 *
	 * @param type the field type
	 * @return true for the types this class converts
	 */
	public static boolean isValueType(Class<?> type) {
		return type.isPrimitive() || Number.class.isAssignableFrom(type) || type == Boolean.class || type == String.class || type == File.class;
	}

	/**
	 * Parses an option string against a command's inputs.
	 *
	 * @param inputs the command's inputs (services and messages are skipped)
	 * @param options the option string
	 * @return the given parameters, by field name, converted to their field types, in the order given; an image
	 *         input keeps its raw value (an image title) for the caller to look up
	 * @throws IllegalArgumentException naming the first key that is unknown or whose value is wrong
	 */
	public static Map<String, Object> parse(Iterable<? extends ModuleItem<?>> inputs, String options) {
		Map<String, ModuleItem<?>> byName = new LinkedHashMap<>();
		for (ModuleItem<?> item : inputs) {
			if (isParameter(item)) byName.put(item.getName(), item);
		}
		Map<String, Object> out = new LinkedHashMap<>();
		for (Map.Entry<String, String> e : tokens(options).entrySet()) {
			ModuleItem<?> item = byName.get(e.getKey());
			if (item == null) {
				throw new IllegalArgumentException("unknown key '" + e.getKey() + "' (keys: " + String.join(", ", byName.keySet()) + ")");
			}
			out.put(item.getName(), value(item, e.getValue()));
		}
		return out;
	}

	/**
	 * Converts one raw value to the type of its field and checks it against the field's range and choices.
	 *
	 * @param item the input
	 * @param raw the raw value; null for a bare key
	 * @return the value: Integer, Long, Double, Float, Boolean, File (null for an empty value) or String; for
	 *         an image input the raw text
	 * @throws IllegalArgumentException naming the key and the value when it does not fit
	 */
	public static Object value(ModuleItem<?> item, String raw) {
		String key = item.getName();
		Class<?> type = item.getType();
		if (type == boolean.class || type == Boolean.class) {
			if (raw == null || raw.equalsIgnoreCase("true")) return Boolean.TRUE;
			if (raw.equalsIgnoreCase("false")) return Boolean.FALSE;
			throw new IllegalArgumentException(key + "=" + raw + " is not true or false");
		}
		if (raw == null) throw new IllegalArgumentException(key + " needs a value (" + key + "=...)");
		String s = raw.trim();
		if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
			long v = whole(key, s);
			if ((type == int.class || type == Integer.class) && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
				throw new IllegalArgumentException(key + "=" + raw + " is out of range");
			}
			checkRange(item, key, raw, v);
			return type == int.class || type == Integer.class ? (Object) (int) v : (Object) v;
		}
		if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
			double v;
			try {
				v = Double.parseDouble(s);
			} catch (NumberFormatException e) {
				throw new IllegalArgumentException(key + "=" + raw + " is not a number");
			}
			if (!Double.isFinite(v)) throw new IllegalArgumentException(key + "=" + raw + " is not a finite number");
			checkRange(item, key, raw, v);
			return type == float.class || type == Float.class ? (Object) (float) v : (Object) v;
		}
		if (type == File.class) return s.isEmpty() ? null : new File(raw);
		// Text (a choice such as method=grad_cam too: the command reads it, also in other spellings, and names
		// the choices when it is none of them), or an image title, looked up by the caller.
		return raw;
	}

	private static long whole(String key, String s) {
		try {
			return Long.parseLong(s);
		} catch (NumberFormatException e) {
			// "8.0" is a whole number too (ImageJ 1.x writes numbers so); "8.5" and "abc" are not.
		}
		double d;
		try {
			d = Double.parseDouble(s);
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException(key + "=" + s + " is not a whole number");
		}
		if (!Double.isFinite(d) || d != Math.rint(d) || Math.abs(d) > 9.0e15) {
			throw new IllegalArgumentException(key + "=" + s + " is not a whole number");
		}
		return (long) d;
	}

	private static void checkRange(ModuleItem<?> item, String key, String raw, double v) {
		Double min = bound(item.getMinimumValue());
		Double max = bound(item.getMaximumValue());
		if ((min != null && v < min) || (max != null && v > max)) {
			throw new IllegalArgumentException(key + "=" + raw + " is out of range (" + describe(min, max) + ")");
		}
	}

	private static Double bound(Object o) {
		if (o instanceof Number n) return n.doubleValue();
		if (o instanceof String s && !s.isBlank()) {
			try {
				return Double.parseDouble(s.trim());
			} catch (NumberFormatException e) {
				return null;
			}
		}
		return null;
	}

	private static String describe(Double min, Double max) {
		List<String> parts = new ArrayList<>();
		if (min != null) parts.add("at least " + plain(min));
		if (max != null) parts.add("at most " + plain(max));
		return String.join(", ", parts);
	}

	private static String plain(double d) {
		return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : String.format(Locale.ROOT, "%s", d);
	}
}
