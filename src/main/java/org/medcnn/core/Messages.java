package org.medcnn.core;

import java.util.Collection;
import java.util.Iterator;
import java.util.StringJoiner;

/**
 * Keeps messages for users to one line of bounded length: an error is one line that names the file or
 * parameter and what is wrong, whatever the input (a card with a million classes, a file name with a line
 * break, an exception whose message spans pages).
 */
public final class Messages {

	/** The longest message, in characters, that {@link #oneLine} returns. */
	public static final int MAX_LENGTH = 500;

	/** How many items {@link #list} shows before it says how many more there are. */
	public static final int MAX_ITEMS = 10;

	private Messages() {}

	/**
	 * Returns a message as one line of at most {@link #MAX_LENGTH} characters: line breaks and other
	 * control characters become spaces, and a longer message is cut with a note of how much was left out.
	 *
	 * @param message the message; null gives an empty string
	 * @return the line
	 */
	public static String oneLine(String message) {
		return clip(message, MAX_LENGTH);
	}

	/**
	 * Returns a message as one line of at most {@code max} characters (see {@link #oneLine}).
	 *
	 * @param message the message; null gives an empty string
	 * @param max the longest line, at least 40
	 * @return the line
	 */
	public static String clip(String message, int max) {
		if (message == null) return "";
		int limit = Math.max(40, max);
		StringBuilder sb = new StringBuilder(Math.min(message.length(), limit));
		int n = message.length();
		for (int i = 0; i < n; i++) {
			char c = message.charAt(i);
			sb.append(Character.isISOControl(c) ? ' ' : c);
			if (sb.length() > limit) break;
		}
		if (sb.length() <= limit) return sb.toString();
		int kept = limit - 40; // the note takes at most 40 characters
		return sb.substring(0, kept) + " ... (" + (n - kept) + " more characters)";
	}

	/**
	 * Describes an exception in one line: its simple class name and its message.
	 *
	 * @param e the exception
	 * @return e.g. {@code NegativeArraySizeException: -1794967296}
	 */
	public static String describe(Throwable e) {
		String m = e.getMessage();
		return oneLine(e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m));
	}

	/**
	 * Lists at most {@link #MAX_ITEMS} items, then how many more there are.
	 *
	 * @param items the items
	 * @return e.g. {@code [a, b, c]} or {@code [a, b, ..., j and 990 more]}
	 */
	public static String list(Collection<?> items) {
		StringJoiner j = new StringJoiner(", ", "[", "]");
		Iterator<?> it = items.iterator();
		for (int i = 0; i < MAX_ITEMS && it.hasNext(); i++) j.add(clip(String.valueOf(it.next()), 80));
		int more = items.size() - MAX_ITEMS;
		if (more > 0) j.add("... and " + more + " more");
		return j.toString();
	}
}
