package org.medcnn.ij;

import ij.IJ;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;

/**
 * Adapters from core progress and cancellation to ImageJ 1.x's status bar, progress bar and Esc key.
 */
public final class IjProgress {

	private IjProgress() {}

	/** @return a listener that updates ImageJ's status and progress bars */
	public static ProgressListener listener() {
		return (message, done, total) -> {
			IJ.showStatus(message + " " + done + "/" + total);
			IJ.showProgress(done >= total ? 1.0 : (double) done / Math.max(1, total));
		};
	}

	/**
	 * Combines a cancellation with ImageJ's Esc key.
	 *
	 * @param other another cancellation, may be null
	 * @return cancelled when Esc was pressed or {@code other} is cancelled
	 */
	public static Cancellation escapeOr(Cancellation other) {
		return () -> IJ.escapePressed() || (other != null && other.isCancelled());
	}
}
