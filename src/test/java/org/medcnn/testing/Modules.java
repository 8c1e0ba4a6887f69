package org.medcnn.testing;

import org.scijava.Cancelable;
import org.scijava.command.Command;
import org.scijava.command.CommandService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;

/** Reads the outcome of a command run through the CommandService, whether the command is its own module or not. */
public final class Modules {

	private Modules() {}

	/**
	 * Runs a command with pre- and postprocessing, as Fiji and macros do, and waits for it. Goes through the
	 * ModuleService: the CommandService gives no result for commands that are their own module (DynamicCommand).
	 *
	 * @param commands the context's command service
	 * @param cls the command class
	 * @param inputs name, value, name, value...
	 * @return the finished module
	 * @throws Exception if the run fails
	 */
	public static Module run(CommandService commands, Class<? extends Command> cls, Object... inputs) throws Exception {
		return commands.getContext().service(ModuleService.class).run(commands.getCommand(cls), true, inputs).get();
	}

	/**
	 * @param m the finished module
	 * @return whether it was cancelled
	 */
	public static boolean canceled(Module m) {
		return ((Cancelable) m).isCanceled();
	}

	/**
	 * @param m the finished module
	 * @return why it was cancelled, or null
	 */
	public static String reason(Module m) {
		return ((Cancelable) m).getCancelReason();
	}
}
