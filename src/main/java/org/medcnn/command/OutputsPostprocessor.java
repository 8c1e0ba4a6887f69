package org.medcnn.command;

import ij.ImagePlus;
import ij.WindowManager;
import ij.measure.ResultsTable;
import org.medcnn.ij.MacroRuns;
import org.medcnn.ij.MacroTables;
import org.scijava.Priority;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.process.AbstractPostprocessorPlugin;
import org.scijava.module.process.PostprocessorPlugin;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.thread.ThreadService;

/**
 * Hands the ImageJ 1.x outputs of MedCNN's commands to ImageJ 1.x, so that a macro finds them, headless as
 * on screen. Runs before ImageJ2's display postprocessor ({@code VERY_LOW}), and marks what it handled.
 * <ul>
 * <li>Result tables are published under their output's label as title ({@link MacroTables}): a window with a
 * display, and for macros in every mode. ImageJ2 has no display for an {@code ij.measure.ResultsTable} and
 * would only log "Ignoring unsupported output".</li>
 * <li>Images (the saliency heatmap stack, plots): shown the ImageJ 1.x way, at once, and made the current
 * image of the macro that called the command. ImageJ2's headless display would only print them, so a macro's
 * {@code saveAs} would save the image it had before; with a display ImageJ2 opens the window later, so the
 * macro's next statement may not see it yet.</li>
 * </ul>
 * The values stay outputs for Java and script callers.
 */
@Plugin(type = PostprocessorPlugin.class, priority = Priority.VERY_LOW + 1)
public class OutputsPostprocessor extends AbstractPostprocessorPlugin {

	@Parameter(required = false)
	private ThreadService threads;

	@Override
	public void process(Module module) {
		if (!FailureReporter.isMedCnn(module)) return;
		for (ModuleItem<?> out : module.getInfo().outputs()) {
			String name = out.getName();
			if (module.isOutputResolved(name)) continue;
			Object value = module.getOutput(name);
			if (value instanceof ResultsTable rt) {
				MacroTables.publish(rt, out.getLabel());
				module.resolveOutput(name);
			} else if (value instanceof ImagePlus imp && MacroRuns.canShowImages()) {
				imp.show();
				// In batch mode (always, headless) show() makes it the current image of this thread only: ImageJ keeps
				// a current image per thread. The macro waits in the thread that started this one, so it goes there;
				// and not here, where the next command run by this pooled thread would take it as its input.
				Thread caller = threads == null ? null : threads.getParent(Thread.currentThread());
				if (caller != null && caller != Thread.currentThread()) {
					if (MacroRuns.isMacro()) WindowManager.setTempCurrentImage(caller, imp);
					WindowManager.setTempCurrentImage(null);
				}
				module.resolveOutput(name);
			}
		}
	}
}
