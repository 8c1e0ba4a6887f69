package org.medcnn.ij;

import ij.IJ;
import ij.Macro;
import ij.macro.Interpreter;

/**
 * What MedCNN's commands need to know about a running ImageJ 1.x macro, and how they stop it. Used by the
 * SciJava commands in Fiji (through imagej-legacy) and by the plain ImageJ 1.x bridge alike.
 */
public final class MacroRuns {

	/** How long {@link #abort()} waits for the interpreter to take the abort. */
	private static final long ABORT_WAIT_MS = 2000;

	private MacroRuns() {}

	/** @return true while an ImageJ 1.x macro (or {@code IJ.run} with options) is running */
	public static boolean isMacro() {
		return IJ.isMacro();
	}

	/** @return the option string of the current {@code run(...)} call, or null when there is none */
	public static String options() {
		return Macro.getOptions();
	}

	/**
	 * Stops the running macro after its current statement, so that nothing after a failed MedCNN command runs.
	 * <p>
	 * The interpreter is told to finish at once ({@code done}), which it checks before its next statement;
	 * ImageJ's own {@code Interpreter.abort()} would also wait up to two seconds for the macro to end, and
	 * then stop every macro thread, while the macro's thread is still waiting for the command that calls
	 * this. So the abort runs in a thread of its own, and this method returns as soon as the interpreter has
	 * taken it. A no-op when no macro is running.
	 */
	public static void abort() {
		Interpreter interp = Interpreter.getInstance();
		if (interp == null) return;
		Thread t = new Thread(interp::abortMacro, "medcnn-macro-abort");
		t.setDaemon(true);
		t.start();
		long until = System.nanoTime() + ABORT_WAIT_MS * 1_000_000L;
		while (!interp.done() && System.nanoTime() < until) {
			try {
				Thread.sleep(1);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	/**
	 * Reports a failure of a MedCNN command in a macro: one line in ImageJ's log (the Log window on screen,
	 * standard output headless), then stops the macro. Never opens a dialog, which nobody could close in a
	 * headless or cluster run.
	 *
	 * @param message the line, naming the command and what is wrong
	 */
	public static void failMacro(String message) {
		IJ.log(message);
		abort();
	}
}
