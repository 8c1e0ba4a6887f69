package org.medcnn.cli;
import org.medcnn.app.MedCnnException;

/**
 * Exit codes of the {@code medcnn} command line.
 */
public final class ExitCodes {

	/** Everything done. */
	public static final int OK = 0;
	/** An unexpected internal error. */
	public static final int INTERNAL = 1;
	/** Bad command-line usage or parameter value. */
	public static final int USAGE = 2;
	/** An input file is missing, unreadable or cannot be classified. */
	public static final int BAD_INPUT = 3;
	/** The model could not be found, verified or loaded. */
	public static final int MODEL = 4;
	/** An output could not be written, or exists and --overwrite was not given. */
	public static final int OUTPUT = 5;
	/** The engine failed during inference. */
	public static final int INFERENCE = 6;
	/** Batch and merge: some inputs failed or were skipped (outputs exist), or shards were left out; the rest is done. */
	public static final int PARTIAL = 7;
	/** Batch: another live process writes this shard (or another shard count) into the output folder; nothing was done. */
	public static final int BUSY = 8;

	private ExitCodes() {}

	/** The user stopped the run (Ctrl-C), as a shell reports SIGINT. */
	public static final int CANCELLED = 130;

	/**
	 * The exit code of a task's failure: the one place where a kind of failure becomes a code.
	 *
	 * @param kind the kind
	 * @return the exit code
	 */
	public static int of(MedCnnException.Kind kind) {
		return switch (kind) {
			case USAGE -> USAGE;
			case INPUT -> BAD_INPUT;
			case MODEL -> MODEL;
			case INFERENCE -> INFERENCE;
			case OUTPUT -> OUTPUT;
			case BUSY -> BUSY;
			case CANCELLED -> CANCELLED;
		};
	}
}
