package org.medcnn.ij1;

import ij.IJ;
import ij.ImageJ;
import ij.plugin.frame.Recorder;
import java.awt.Button;
import java.awt.Checkbox;
import java.awt.Component;
import java.awt.Container;
import java.awt.Dialog;
import java.awt.EventQueue;
import java.awt.Frame;
import java.awt.TextArea;
import java.awt.TextField;
import java.awt.Window;
import java.awt.event.ActionEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * Clicks through the plain ImageJ 1.x dialog of Classify Slices as a user would, with the macro recorder on:
 * opens an image, picks the menu command, types a batch size, unticks the overlay, presses OK, and prints what
 * followed ({@code error: ...}, {@code window: ...}, {@code recorded: ...}). Started by {@link ImageJ1InstallTest}
 * with {@code java -cp ij.jar:test-classes} in an ImageJ folder where MedCNN is installed; MedCNN itself comes from
 * {@code plugins/}, as for a user.
 * <p>
 * Arguments: the ImageJ folder, the image, the batch size to type.
 */
public final class BridgeDialogDriver {

	private BridgeDialogDriver() {}

	/**
	 * @param args ImageJ folder, image, batch size text
	 * @throws Exception when the display fails; then the process exits 1
	 */
	public static void main(String[] args) throws Exception {
		System.setProperty("plugins.dir", args[0]);
		new ImageJ();
		IJ.openImage(args[1]).show();
		new Recorder();
		IJ.doCommand("Classify Slices");
		Dialog dialog = null;
		for (int i = 0; i < 600 && dialog == null; i++) {
			Thread.sleep(100);
			for (Window w : Window.getWindows()) {
				if (w instanceof Dialog d && d.isShowing() && "MedCNN Classify Slices".equals(d.getTitle())) dialog = d;
			}
		}
		if (dialog == null) {
			System.out.println("no dialog");
			System.exit(1);
		}
		Thread.sleep(1000);
		// Typed and clicked on the event thread, as a user's input arrives.
		Dialog shown = dialog;
		EventQueue.invokeAndWait(() -> {
			for (Component c : all(shown)) {
				if (c instanceof TextField t && t.getText().equals("8")) {
					t.setText(args[2]); // the first "8" is batch_size
					break;
				}
			}
			for (Component c : all(shown)) {
				if (c instanceof Checkbox cb) cb.setState(false);
			}
		});
		Thread.sleep(300);
		EventQueue.invokeAndWait(() -> {
			for (Component c : all(shown)) {
				if (c instanceof Button b && b.getLabel().trim().equals("OK")) b.dispatchEvent(new ActionEvent(b, ActionEvent.ACTION_PERFORMED, "OK"));
			}
		});
		String error = null;
		boolean table = false;
		for (int i = 0; i < 600 && error == null && !table; i++) {
			Thread.sleep(100);
			error = IJ.getErrorMessage();
			for (Window w : Window.getWindows()) table |= w instanceof Frame f && f.isShowing() && "MedCNN Classification".equals(f.getTitle());
		}
		Thread.sleep(500);
		if (error != null) System.out.println("error: " + error);
		if (table) System.out.println("window: MedCNN Classification");
		for (Window w : Window.getWindows()) {
			if (w instanceof Frame f && "Recorder".equals(f.getTitle())) {
				for (Component c : all(f)) if (c instanceof TextArea ta) System.out.println("recorded: " + ta.getText().trim());
			}
		}
		System.exit(0);
	}

	private static List<Component> all(Container c) {
		List<Component> out = new ArrayList<>();
		for (Component k : c.getComponents()) {
			out.add(k);
			if (k instanceof Container cc) out.addAll(all(cc));
		}
		return out;
	}
}
