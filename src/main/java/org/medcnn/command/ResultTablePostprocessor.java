package org.medcnn.command;

import ij.measure.ResultsTable;
import org.medcnn.ij.MacroTables;
import org.scijava.Priority;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.process.AbstractPostprocessorPlugin;
import org.scijava.module.process.PostprocessorPlugin;
import org.scijava.plugin.Plugin;

/**
 * Publishes the ImageJ 1.x result tables that MedCNN's commands return, each under its output's label as
 * title ({@link MacroTables}): a window with a display, and for macros in every mode. ImageJ2 has no display
 * for an {@code ij.measure.ResultsTable} output and would only log "Ignoring unsupported output", so the
 * output is marked handled here; it stays an output for Java and script callers. Runs before ImageJ2's
 * display postprocessor ({@code VERY_LOW}).
 */
@Plugin(type = PostprocessorPlugin.class, priority = Priority.VERY_LOW + 1)
public class ResultTablePostprocessor extends AbstractPostprocessorPlugin {

	@Override
	public void process(Module module) {
		if (!FailureReporter.isMedCnn(module)) return;
		for (ModuleItem<?> out : module.getInfo().outputs()) {
			if (module.isOutputResolved(out.getName())) continue;
			if (module.getOutput(out.getName()) instanceof ResultsTable rt) {
				MacroTables.publish(rt, out.getLabel());
				module.resolveOutput(out.getName());
			}
		}
	}
}
