package org.medcnn.command;

import ij.IJ;
import ij.ImagePlus;
import java.awt.GraphicsEnvironment;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.medcnn.ij.MacroRuns;
import org.scijava.event.EventHandler;
import org.scijava.log.LogService;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.event.ModuleCanceledEvent;
import org.scijava.module.event.ModuleErroredEvent;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.service.AbstractService;
import org.scijava.service.SciJavaService;
import org.scijava.service.Service;

/**
 * Tells the user, once, why a MedCNN command did not run, and stops the macro that called it.
 * <p>
 * ImageJ2 only publishes a command's cancel reason as an event: nothing shows it, and a macro goes on after
 * the failed command as if it had worked (headless, to the end of a cluster job). This service listens to
 * those events for MedCNN's commands: in a macro it writes the reason as one line to ImageJ's log (the Log
 * window, or standard output headless) and stops the macro; from the menu, with a display, it shows the
 * reason in an error dialog; otherwise (a script, {@code --run}) it logs it as an error. Commands therefore
 * only {@code cancel(reason)} and never log their own failure too.
 */
@Plugin(type = Service.class)
public class FailureReporter extends AbstractService implements SciJavaService {

	/** Where MedCNN's commands live. */
	private static final String PACKAGE = "org.medcnn.command.";

	/** SciJava's cancel reason for a required input without a value. */
	private static final Pattern UNSET = Pattern.compile("'(\\w+)' is required but unset\\.?");

	@Parameter(required = false)
	private LogService log;

	/**
	 * Whether a module is one of MedCNN's commands.
	 *
	 * @param module the module
	 * @return true for MedCNN's commands
	 */
	static boolean isMedCnn(Module module) {
		String cls = module.getInfo().getDelegateClassName();
		return cls != null && cls.startsWith(PACKAGE);
	}

	@EventHandler
	private void onEvent(ModuleCanceledEvent e) {
		String reason = e.getReason();
		// A dialog the user cancelled has no reason; that is not a failure.
		if (!isMedCnn(e.getModule()) || reason == null || reason.isBlank()) return;
		report(e.getModule(), reason);
	}

	@EventHandler
	private void onEvent(ModuleErroredEvent e) {
		if (!isMedCnn(e.getModule())) return;
		Throwable t = e.getException();
		report(e.getModule(), "failed: " + t);
	}

	private void report(Module module, String reason) {
		String title = module.getInfo().getTitle();
		Matcher unset = UNSET.matcher(reason);
		if (unset.matches()) {
			// SciJava's words for a required input nobody gave; for the image that means none is open.
			ModuleItem<?> item = module.getInfo().getInput(unset.group(1));
			reason = item != null && ImagePlus.class.isAssignableFrom(item.getType()) ? "no image is open"
				: unset.group(1) + " is required (" + unset.group(1) + "=...)";
		}
		String line = "MedCNN " + (reason.startsWith(title + ":") ? reason : title + ": " + reason);
		if (MacroRuns.isMacro()) {
			MacroRuns.failMacro(line);
		} else if (!GraphicsEnvironment.isHeadless()) {
			IJ.error("MedCNN " + title, line);
		} else if (log != null) {
			log.error(line);
		}
	}
}
