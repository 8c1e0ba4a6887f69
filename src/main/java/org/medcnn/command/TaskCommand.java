package org.medcnn.command;

import org.medcnn.app.MedCnnException;
import org.medcnn.core.progress.ProgressListener;
import org.scijava.app.StatusService;
import org.scijava.command.DynamicCommand;
import org.scijava.plugin.Parameter;

/**
 * A MedCNN command: maps its parameters onto a task's request, runs it, and turns the result into its
 * outputs. A task's failure becomes the command's cancel reason in one place ({@link #fail}); Fiji shows
 * it, and a macro stops with it ({@link FailureReporter} reports it once).
 */
abstract class TaskCommand extends DynamicCommand {

	@Parameter(required = false)
	protected StatusService status;

	/** @return the command's name in messages, e.g. {@code Classify Slices} */
	protected abstract String title();

	/**
	 * Cancels the command with a task's failure.
	 *
	 * @param e the failure
	 */
	protected void fail(MedCnnException e) {
		cancel(title() + ": " + e.getMessage());
	}

	/** @return progress on Fiji's status bar */
	protected ProgressListener progress() {
		return (message, done, total) -> {
			if (status != null) status.showStatus((int) Math.min(done, Integer.MAX_VALUE), (int) Math.min(total, Integer.MAX_VALUE), message);
		};
	}

	/** Clears the status bar after a run. */
	protected void clearStatus() {
		if (status != null) status.clearStatus();
	}
}
