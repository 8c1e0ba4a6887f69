package org.medcnn.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import ij.measure.ResultsTable;
import org.junit.jupiter.api.Test;

/** MedCNN's tables as macros read them through {@code call("org.medcnn.ij.MacroTables...")}, here headless. */
class MacroTablesTest {

	private static ResultsTable table() {
		ResultsTable rt = new ResultsTable();
		rt.showRowNumbers(false);
		for (int i = 0; i < 3; i++) {
			rt.incrementCounter();
			rt.addValue("source", "a b.tif");
			rt.addValue("slice", i + 1);
			rt.addValue("predicted", i == 1 ? "dark" : "bright");
			rt.addValue("confidence", 0.5 + i / 8.0);
		}
		return rt;
	}

	@Test
	void macrosReadEveryRowOfAPublishedTable() {
		ResultsTable rt = table();
		MacroTables.publish(rt, "MedCNN Test Table");
		assertEquals("3", MacroTables.size("MedCNN Test Table"));
		assertEquals("source,slice,predicted,confidence", MacroTables.headings("MedCNN Test Table"));
		assertEquals("a b.tif", MacroTables.get("MedCNN Test Table", "source", "0"));
		assertEquals("2", MacroTables.get("MedCNN Test Table", "slice", "1"), "whole numbers without a decimal point");
		assertEquals("dark", MacroTables.get("MedCNN Test Table", "predicted", "1"));
		assertEquals("0.75", MacroTables.get("MedCNN Test Table", "confidence", "2.0"), "full precision; a macro may pass the row as 2.0");
		// The table kept is a copy: changing the returned table later changes nothing a macro reads.
		assertNotSame(rt, MacroTables.table("MedCNN Test Table"));
		rt.setValue("predicted", 1, "changed");
		assertEquals("dark", MacroTables.get("MedCNN Test Table", "predicted", "1"));
		// A newer table of the same title replaces it.
		ResultsTable one = new ResultsTable();
		one.incrementCounter();
		one.addValue("slice", 7);
		MacroTables.publish(one, "MedCNN Test Table");
		assertEquals("1", MacroTables.size("MedCNN Test Table"));
	}

	@Test
	void whatDoesNotExistGivesNothing() {
		MacroTables.publish(table(), "MedCNN Test Table 2");
		// No macro runs here, so only the log line; in a macro it also stops the macro (see the runtime tests).
		assertEquals("", MacroTables.size("No Such Table"));
		assertEquals("", MacroTables.get("MedCNN Test Table 2", "nope", "0"));
		assertEquals("", MacroTables.get("MedCNN Test Table 2", "slice", "3"));
		assertEquals("", MacroTables.get("MedCNN Test Table 2", "slice", "x"));
	}
}
