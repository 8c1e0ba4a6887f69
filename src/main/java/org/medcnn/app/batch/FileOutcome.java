package org.medcnn.app.batch;

import java.nio.file.Path;
import java.util.List;

/**
 * What became of one input of a batch.
 *
 * @param source the input's path relative to the input folder, with '/'
 * @param input the file or series folder
 * @param status what happened
 * @param slices slices classified (for resumed inputs: rows in their CSV); 0 when none
 * @param millis time spent on the input in milliseconds (for resumed inputs: the time recorded then)
 * @param message for failed and skipped inputs: why, naming the file; otherwise null
 * @param warnings things the user should know (DICOM series left out, GPU fallback); may be empty
 * @param finished when the outputs were written (ISO-8601), or null
 * @param oodFlagged slices flagged outside the model's training data, or -1 when unknown (no detector, or not classified)
 */
public record FileOutcome(String source, Path input, Status status, int slices, double millis, String message, List<String> warnings,
	String finished, int oodFlagged) {

	/**
	 * An outcome without an out-of-distribution count.
	 *
	 * @param source the source
	 * @param input the input path
	 * @param status the status
	 * @param slices slices classified
	 * @param millis time in milliseconds
	 * @param message why it failed or was skipped, or null
	 * @param warnings warnings
	 * @param finished when the outputs were written, or null
	 */
	public FileOutcome(String source, Path input, Status status, int slices, double millis, String message, List<String> warnings, String finished) {
		this(source, input, status, slices, millis, message, warnings, finished, -1);
	}

	/**
	 * Makes the warnings unmodifiable.
	 *
	 * @param source the source
	 * @param input the input path
	 * @param status the status
	 * @param slices slices classified
	 * @param millis time in milliseconds
	 * @param message why it failed or was skipped, or null
	 * @param warnings warnings
	 * @param finished when the outputs were written, or null
	 * @param oodFlagged slices flagged outside the training data, or -1
	 */
	public FileOutcome {
		warnings = List.copyOf(warnings);
	}

	/**
	 * Returns an outcome without slices, time or warnings.
	 *
	 * @param source the source
	 * @param input the input path
	 * @param status the status
	 * @param message why, or null
	 * @return the outcome
	 */
	public static FileOutcome of(String source, Path input, Status status, String message) {
		return new FileOutcome(source, input, status, 0, 0, message, List.of(), null);
	}

	/** The states of an input; {@link #label()} is what the manifest and the tables show. */
	public enum Status {
		/** Not processed yet (in a manifest written while the batch runs, or after it was cancelled). */
		PENDING("pending"),
		/** Classified in this run; outputs written. */
		DONE("done"),
		/** Classified by an earlier run with the same model and parameters; its outputs were kept. */
		RESUMED("resumed"),
		/** Outputs exist that may not be replaced (no resume, or another model or parameters, and no overwrite). */
		SKIPPED_EXISTING("skipped-existing"),
		/** Could not be read, classified or written; see the message. */
		FAILED("failed");

		private final String label;

		Status(String label) {
			this.label = label;
		}

		/** @return the label, e.g. {@code skipped-existing} */
		public String label() {
			return label;
		}

		/**
		 * Returns the status with a label.
		 *
		 * @param label the label
		 * @return the status
		 * @throws IllegalArgumentException for an unknown label
		 */
		public static Status fromLabel(String label) {
			for (Status s : values()) if (s.label.equals(label)) return s;
			throw new IllegalArgumentException("unknown status '" + label + "'");
		}

		/** @return true when the input has current results (done or resumed) */
		public boolean hasResults() {
			return this == DONE || this == RESUMED;
		}
	}
}
