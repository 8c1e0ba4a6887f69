package org.medcnn.ij2;

import java.awt.AWTException;
import java.awt.Button;
import java.awt.Component;
import java.awt.Container;
import java.awt.Dialog;
import java.awt.Frame;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.TextArea;
import java.awt.Window;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import javax.swing.AbstractButton;
import javax.swing.JComboBox;
import javax.swing.JEditorPane;
import javax.swing.JLabel;
import javax.swing.JSpinner;
import javax.swing.SwingUtilities;
import javax.swing.text.JTextComponent;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;
import org.scijava.ui.UIService;

/**
 * Drives MedCNN's dialogs in the real ImageJ2 + imagej-legacy under a display (Xvfb), as a user clicking the
 * menu would see them: for each command, its input harvester opens, is captured (PNG) and dumped (every label,
 * choice, field and message, as text), then OK or Cancel is pressed. The macro recorder runs all along, and its
 * text is saved at the end, with captures of the windows the accepted commands opened. Started by
 * ImageJ2RuntimeTest through the runtime's {@code run.sh --gui} ({@code MAIN=org.medcnn.ij2.DialogDriver});
 * also how the screenshots in {@code docs/} were made.
 * <p>
 * Arguments: output folder, image to open, then {@code ok:Class} or {@code cancel:Class} per command (simple
 * class names under {@code org.medcnn.command}). Must not touch {@code ij.*} before the context exists
 * (imagej-legacy patches ImageJ 1.x as it starts), hence the reflection.
 */
public final class DialogDriver {

	private static final long DIALOG_WAIT_MS = 60_000;

	private DialogDriver() {}

	/**
	 * @param args output folder, image, then {@code ok:Class}/{@code cancel:Class}...
	 * @throws Exception when the display or a command fails; the process exits 1 and says why
	 */
	public static void main(String[] args) throws Exception {
		Path out = Files.createDirectories(Paths.get(args[0]));
		StringBuilder report = new StringBuilder();
		int status = 0;
		try {
			Context ctx = new Context();
			ctx.service(UIService.class).showUI();
			Class<?> ij = Class.forName("ij.IJ");
			Object imp = ij.getMethod("openImage", String.class).invoke(null, args[1]);
			imp.getClass().getMethod("show").invoke(imp);
			ij.getMethod("run", String.class).invoke(null, "Record...");
			CommandService commands = ctx.service(CommandService.class);
			ModuleService modules = ctx.service(ModuleService.class);
			for (int i = 2; i < args.length; i++) {
				boolean ok = args[i].startsWith("ok:");
				String cls = "org.medcnn.command." + args[i].substring(args[i].indexOf(':') + 1);
				CommandInfo info = commands.getCommand(cls);
				if (info == null) throw new IllegalStateException("no command " + cls);
				report.append("command ").append(info.getTitle()).append(ok ? " ok" : " cancel").append('\n');
				Future<Module> run = modules.run(info, true);
				Dialog dialog = waitForDialog(info.getTitle());
				if (dialog == null) {
					report.append("  no dialog\n");
				} else {
					Thread.sleep(700); // let the dialog lay itself out and paint
					String name = info.getTitle().toLowerCase().replace(' ', '-');
					capture(dialog, out.resolve("dialog-" + name + ".png"));
					Files.writeString(out.resolve("dialog-" + name + ".txt"), describe(dialog), StandardCharsets.UTF_8);
					report.append("  dialog ").append(dialog.getWidth()).append('x').append(dialog.getHeight()).append('\n');
					press(dialog, ok ? "OK" : "Cancel");
				}
				Module m = run.get(120, TimeUnit.SECONDS);
				report.append("  finished canceled=").append(((org.scijava.Cancelable) m).isCanceled()).append('\n');
				List<String> others = openDialogs();
				if (!others.isEmpty()) report.append("  unexpected dialogs: ").append(others).append('\n');
			}
			Thread.sleep(1000);
			for (Window w : Window.getWindows()) {
				String title = w instanceof Frame f ? f.getTitle() : w instanceof Dialog d ? d.getTitle() : "";
				if (!w.isShowing() || title == null) continue;
				report.append("window ").append(title).append(' ').append(w.getWidth()).append('x').append(w.getHeight()).append('\n');
				if (title.equals("Recorder")) Files.writeString(out.resolve("recorder.txt"), recorderText(w), StandardCharsets.UTF_8);
				// Tables only: an image window captured from here is often not painted yet (the macros capture those).
				String shot = title.startsWith("MedCNN ") ? title.substring(7) : null;
				if (shot != null) {
					// Windows open on top of each other; bring each to the front before its capture.
					SwingUtilities.invokeAndWait(w::toFront);
					Thread.sleep(1200);
					capture(w, out.resolve("window-" + shot.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("-$", "") + ".png"));
				}
			}
		} catch (Exception | Error e) {
			report.append("error ").append(e).append('\n');
			status = 1;
		} finally {
			Files.writeString(out.resolve("driver.txt"), report.toString(), StandardCharsets.UTF_8);
		}
		// No context dispose: with changed images and open tables, ImageJ would ask whether to save them.
		System.exit(status);
	}

	private static Dialog waitForDialog(String title) throws InterruptedException {
		long until = System.currentTimeMillis() + DIALOG_WAIT_MS;
		while (System.currentTimeMillis() < until) {
			for (Window w : Window.getWindows()) {
				if (w instanceof Dialog d && d.isShowing() && title.equals(d.getTitle())) return d;
			}
			Thread.sleep(50);
		}
		return null;
	}

	private static List<String> openDialogs() {
		List<String> out = new ArrayList<>();
		for (Window w : Window.getWindows()) {
			if (w instanceof Dialog d && d.isShowing()) out.add(d.getTitle() + ": " + describe(d).replace('\n', ' '));
		}
		return out;
	}

	private static void capture(Window w, Path file) throws AWTException, IOException {
		Rectangle r = w.getBounds();
		ImageIO.write(new Robot().createScreenCapture(r), "png", file.toFile());
	}

	private static void press(Dialog dialog, String label) throws InterruptedException, InvocationTargetException {
		SwingUtilities.invokeAndWait(() -> {
			if (!click(dialog, label)) throw new IllegalStateException("no button " + label + " in " + dialog.getTitle());
		});
	}

	private static boolean click(Container c, String label) {
		for (Component k : c.getComponents()) {
			if (k instanceof AbstractButton b && label.equals(b.getText())) {
				b.doClick();
				return true;
			}
			if (k instanceof Container cc && click(cc, label)) return true;
		}
		return false;
	}

	/** Every visible text of a dialog, one component per line, in layout order. */
	static String describe(Container c) {
		StringBuilder sb = new StringBuilder();
		describe(c, sb);
		return sb.toString();
	}

	private static void describe(Container c, StringBuilder sb) {
		for (Component k : c.getComponents()) {
			if (!k.isVisible()) continue;
			if (k instanceof JLabel l && l.getText() != null && !l.getText().isBlank()) {
				sb.append("label: ").append(l.getText()).append('\n');
			} else if (k instanceof JComboBox<?> box) {
				List<String> items = new ArrayList<>();
				for (int i = 0; i < box.getItemCount(); i++) items.add(String.valueOf(box.getItemAt(i)));
				sb.append("choice: ").append(box.getSelectedItem()).append(" of ").append(items).append('\n');
			} else if (k instanceof JEditorPane p) {
				sb.append("message: ").append(p.getText().replaceAll("<[^>]*>", " ").replaceAll("\\s+", " ").trim()).append('\n');
			} else if (k instanceof JSpinner s) {
				sb.append("number: ").append(s.getValue()).append('\n');
			} else if (k instanceof AbstractButton b) {
				sb.append(b instanceof javax.swing.JCheckBox ? "checkbox: " : "button: ").append(b.getText()).append(b.isSelected() ? " [x]" : "").append('\n');
			} else if (k instanceof JTextComponent t) {
				sb.append("field: ").append(t.getText()).append('\n');
			} else if (k instanceof Button b) {
				sb.append("button: ").append(b.getLabel()).append('\n');
			}
			if (k instanceof Container cc && !(k instanceof JComboBox) && !(k instanceof JSpinner)) describe(cc, sb);
		}
	}

	private static String recorderText(Window recorder) {
		List<TextArea> areas = new ArrayList<>();
		collect(recorder, areas);
		return areas.isEmpty() ? "" : areas.get(0).getText();
	}

	private static void collect(Container c, List<TextArea> out) {
		for (Component k : c.getComponents()) {
			if (k instanceof TextArea t) out.add(t);
			else if (k instanceof Container cc) collect(cc, out);
		}
	}
}
