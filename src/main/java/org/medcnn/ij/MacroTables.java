package org.medcnn.ij;

import ij.IJ;
import ij.WindowManager;
import ij.measure.ResultsTable;
import ij.text.TextWindow;
import java.awt.GraphicsEnvironment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Publishes MedCNN's result tables under their titles so that a macro can read every row, on screen and
 * headless alike, with the same text.
 * <p>
 * With a display the table opens in a window with its title, where ImageJ's {@code Table.*} macro functions
 * find it ({@code Table.size("MedCNN Classification")}). Headless there is no such window: ImageJ 1.x looks
 * tables up by their window, and a headless JVM cannot make one (even {@code Table.create("X")} fails there), so
 * the {@code Table.*} functions reach only the "Results" table. MedCNN therefore also keeps the latest table
 * of each title here, and these static methods read it through the macro function {@code call}, which works
 * in every mode:
 * <pre>
 * n = call("org.medcnn.ij.MacroTables.size", "MedCNN Classification");
 * for (i = 0; i &lt; n; i++) print(call("org.medcnn.ij.MacroTables.get", "MedCNN Classification", "predicted", i));
 * </pre>
 * The user's own "Results" table is never touched. A title, column or row that does not exist is one line
 * in the log and stops the macro (ImageJ's {@code call} would print a stack trace and go on).
 */
public final class MacroTables {

	private static final Map<String, ResultsTable> TABLES = new ConcurrentHashMap<>();

	private MacroTables() {}

	/**
	 * Keeps a copy of the table under its title, replacing an earlier one, and shows it in a window of that
	 * title when there is a display.
	 *
	 * @param table the table
	 * @param title its title
	 */
	public static void publish(ResultsTable table, String title) {
		TABLES.put(title, (ResultsTable) table.clone());
		if (GraphicsEnvironment.isHeadless()) return;
		boolean opened = WindowManager.getFrame(title) == null;
		table.show(title);
		// ImageJ opens a table at most 700 pixels wide, which shows 6 of the 13 columns of a classification;
		// a new window gets the width its columns need, up to most of the screen.
		if (opened && WindowManager.getFrame(title) instanceof TextWindow w) {
			int chars = Math.max(table.getColumnHeadings().length(), table.size() > 0 ? table.getRowAsString(0).length() : 0);
			int screen = IJ.getScreenSize().width;
			int wanted = Math.min(screen * 9 / 10, 100 + chars * 10);
			if (wanted > w.getWidth()) {
				// Wider, and moved left as far as needed to stay on the screen.
				w.setBounds(Math.max(0, Math.min(w.getX(), screen - wanted)), w.getY(), wanted, w.getHeight());
				w.validate();
			}
		}
	}

	/**
	 * Returns the latest table published under a title.
	 *
	 * @param title the title
	 * @return the table (a copy kept at publication), or null if none was published
	 */
	public static ResultsTable table(String title) {
		return TABLES.get(title);
	}

	/**
	 * Macro: {@code call("org.medcnn.ij.MacroTables.size", title)}.
	 *
	 * @param title the table's title
	 * @return the number of rows, as text; empty (and the macro stopped) when no MedCNN table has that title
	 */
	public static String size(String title) {
		ResultsTable rt = require(title);
		return rt == null ? "" : Integer.toString(rt.size());
	}

	/**
	 * Macro: {@code call("org.medcnn.ij.MacroTables.get", title, column, row)}; numbers come back as text
	 * ({@code parseFloat} turns them into numbers).
	 *
	 * @param title the table's title
	 * @param column the column heading
	 * @param row the 0-based row, as text (a macro passes a number as text)
	 * @return the value as text (numbers at full precision); empty (and the macro stopped) when the title, the
	 *         column or the row does not exist
	 */
	public static String get(String title, String column, String row) {
		ResultsTable rt = require(title);
		if (rt == null) return "";
		int col = rt.getColumnIndex(column);
		if (col < 0 || !rt.columnExists(col)) return fail("table \"" + title + "\" has no column '" + column + "' (columns: " + headings(title) + ")");
		int r;
		try {
			r = (int) Math.round(Double.parseDouble(row.trim()));
		} catch (NumberFormatException e) {
			return fail("row '" + row + "' of table \"" + title + "\" is not a number");
		}
		if (r < 0 || r >= rt.size()) return fail("row " + r + " is out of range: table \"" + title + "\" has " + rt.size() + " rows (0 to " + (rt.size() - 1) + ")");
		double v = rt.getValueAsDouble(col, r);
		String s = rt.getStringValue(col, r);
		if (!Double.isNaN(v) && (s == null || isNumber(s))) return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
		return s == null ? "" : s;
	}

	/**
	 * Macro: {@code call("org.medcnn.ij.MacroTables.headings", title)}.
	 *
	 * @param title the table's title
	 * @return the column headings, separated by commas; empty (and the macro stopped) when no MedCNN table
	 *         has that title
	 */
	public static String headings(String title) {
		ResultsTable rt = require(title);
		if (rt == null) return "";
		List<String> out = new ArrayList<>();
		for (String h : rt.getHeadings()) {
			if (!h.isBlank()) out.add(h);
		}
		return String.join(",", out);
	}

	private static ResultsTable require(String title) {
		ResultsTable rt = TABLES.get(title);
		if (rt == null) fail("no table \"" + title + "\" (tables so far: " + new java.util.TreeSet<>(TABLES.keySet()) + ")");
		return rt;
	}

	private static String fail(String message) {
		MacroRuns.failMacro("MedCNN: " + message);
		return "";
	}

	private static boolean isNumber(String s) {
		try {
			Double.parseDouble(s);
			return true;
		} catch (NumberFormatException e) {
			return false;
		}
	}
}
