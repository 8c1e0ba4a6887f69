package org.medcnn.ij;

import ij.IJ;
import ij.Macro;
import ij.macro.Interpreter;
import java.awt.GraphicsEnvironment;

/**
 * What MedCNN's commands need to know about a running ImageJ 1.x macro, and how they stop it. Used by the
 * SciJava commands in Fiji (through imagej-legacy) and by the plain ImageJ 1.x bridge alike.
 */
public final class MacroRuns {

	private MacroRuns() {}

	/** @return true while an ImageJ 1.x macro (or {@code IJ.run} with options) is running */
	public static boolean isMacro() {
		return IJ.isMacro();
	}

	/**
	 * Whether {@code ImagePlus.show()} works here: with a display, or in batch mode, where it only registers
	 * the image with the macro (headless ImageJ2 keeps batch mode on). A plain headless JVM (a script, a test)
	 * has neither, and a window there would throw.
	 *
	 * @return true if images can be shown
	 */
	public static boolean canShowImages() {
		return !GraphicsEnvironment.isHeadless() || Interpreter.isBatchMode();
	}

	/** @return the option string of the current {@code run(...)} call, or null when there is none */
	public static String options() {
		return Macro.getOptions();
	}

	/**
	 * Stops the running macro after its current statement, so that nothing after a failed MedCNN command runs.
	 * <p>
	 * The interpreter is told to end quietly: errors ignored, then aborted, which marks it done (checked before
	 * its next statement) without the error dialog that nobody could close in a headless or cluster run.
	 * ImageJ's {@code Interpreter.abort()} is not used: it waits up to two seconds for the static "current
	 * macro" to end and then stops every macro thread, which kills the next macro when one starts meanwhile,
	 * and it would wait for the very thread that is blocked in the failed command. A no-op when no macro runs.
	 *
	 * @param message why, kept as the macro's error message
	 */
	public static void abort(String message) {
		Interpreter interp = Interpreter.getInstance();
		if (interp == null) return;
		interp.setIgnoreErrors(true);
		interp.abort(message);
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
		abort(message);
	}
}
