package org.medcnn.ij1;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import ij.plugin.frame.Recorder;
import java.io.File;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.medcnn.command.BatchClassifyFolderCommand;
import org.medcnn.command.ClassifySlicesCommand;
import org.medcnn.command.EngineDoctorCommand;
import org.medcnn.command.EvaluateClassifierCommand;
import org.medcnn.command.MacroOptions;
import org.medcnn.command.MergeBatchResultsCommand;
import org.medcnn.command.ModelChoices;
import org.medcnn.command.ModelService;
import org.medcnn.command.SaliencyMapsCommand;
import org.medcnn.command.SaliencySanityCheckCommand;
import org.medcnn.command.TrainClassifierCommand;
import org.medcnn.ij.MacroRuns;
import org.scijava.Cancelable;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.ModuleService;

/**
 * Runs MedCNN's SciJava commands from plain ImageJ 1.x, so that the macro text recorded in Fiji,
 * e.g. {@code run("Classify Slices", "model=brain-tumor-mri batch_size=8 add_overlay=true");}, works
 * unchanged. Registered by {@code plugins.config} in the separate {@code MedCNN_.jar}, which only plain ImageJ
 * installs; Fiji does not get duplicate menu entries.
 * <p>
 * In a macro, the options are read by {@link MacroOptions}, as in Fiji: keys are field names, a bad value
 * or an unknown key stops the command and the macro with one line in the log, and no dialog ever opens (a
 * {@code run} without options takes the defaults, as in Fiji). From the menu, a GenericDialog built from the
 * command's parameters asks for the values (labels are the field names, so ImageJ's recorder records the
 * macro keys) and the same parser checks them.
 * <p>
 * The jars sit in ImageJ's {@code plugins/jars}, loaded by ImageJ's plugin class loader; SciJava finds its
 * plugins through the thread's context class loader, so the bridge sets that to its own while it works.
 */
public final class MacroBridge implements PlugIn {

	private static Context context;

	/** The commands reachable through the bridge, by menu label. */
	static final Map<String, Class<? extends Command>> COMMANDS = Map.of(
		"Classify Slices", ClassifySlicesCommand.class,
		"Train Classifier", TrainClassifierCommand.class,
		"Evaluate Classifier", EvaluateClassifierCommand.class,
		"Engine Doctor", EngineDoctorCommand.class,
		"Batch Classify Folder", BatchClassifyFolderCommand.class,
		"Merge Batch Results", MergeBatchResultsCommand.class,
		"Saliency Maps", SaliencyMapsCommand.class,
		"Saliency Sanity Check", SaliencySanityCheckCommand.class);

	@Override
	public void run(String arg) {
		Thread thread = Thread.currentThread();
		ClassLoader before = thread.getContextClassLoader();
		thread.setContextClassLoader(MacroBridge.class.getClassLoader());
		String error;
		try {
			Class<? extends Command> cmd = COMMANDS.get(arg);
			error = cmd == null ? "unknown MedCNN command '" + arg + "'" : run(cmd, arg);
		} catch (RuntimeException | LinkageError e) {
			// Whatever breaks (a missing jar, a context that cannot start) is one line and stops the macro.
			error = "failed: " + e;
		} finally {
			thread.setContextClassLoader(before);
		}
		if (error == null) return;
		String line = "MedCNN " + arg + ": " + (error.startsWith(arg + ": ") ? error.substring(arg.length() + 2) : error);
		if (MacroRuns.isMacro()) MacroRuns.failMacro(line);
		else IJ.error("MedCNN " + arg, line);
	}

	/**
	 * Collects the inputs of a command (from macro options or a dialog) and runs it; MedCNN's outputs
	 * postprocessor shows its images and publishes its tables, as in Fiji.
	 *
	 * @param cmd the command class
	 * @param title the menu label
	 * @return null on success, "cancelled" when the user cancelled the dialog, else why the command did not run
	 */
	static String run(Class<? extends Command> cmd, String title) {
		CommandService commands = context().service(CommandService.class);
		CommandInfo info = commands.getCommand(cmd);
		Map<String, Object> inputs = new LinkedHashMap<>();
		String problem = MacroRuns.isMacro() ? fromMacro(info, inputs) : fromDialog(info, cmd, title, inputs);
		if (problem != null) return problem;
		Module module;
		try {
			// Through the ModuleService: the CommandService returns nothing for commands that are their own module.
			module = context().service(ModuleService.class).run(info, true, inputs).get();
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return "interrupted";
		} catch (java.util.concurrent.ExecutionException e) {
			return "failed: " + e.getCause();
		}
		if (module instanceof Cancelable c && c.isCanceled()) return c.getCancelReason() == null ? "cancelled" : c.getCancelReason();
		return null;
	}

	/** Reads the inputs from the macro's options; never opens a dialog. */
	private static String fromMacro(CommandInfo info, Map<String, Object> inputs) {
		Map<String, Object> given;
		try {
			given = MacroOptions.parse(info.inputs(), MacroRuns.options());
		} catch (IllegalArgumentException e) {
			return e.getMessage();
		}
		for (ModuleItem<?> in : info.inputs()) {
			if (!MacroOptions.isParameter(in)) continue;
			String name = in.getName();
			if (in.getType() == ImagePlus.class) {
				ImagePlus imp;
				if (given.get(name) != null) {
					imp = WindowManager.getImage(given.get(name).toString());
					if (imp == null) return name + "=" + given.get(name) + ": no open image has that title";
				} else {
					imp = WindowManager.getCurrentImage();
					if (imp == null) return "no image is open";
				}
				inputs.put(name, imp);
			} else if (given.containsKey(name)) {
				inputs.put(name, given.get(name));
			}
		}
		return null;
	}

	/** Asks for the inputs in a GenericDialog; numbers are text fields, read by {@link MacroOptions} too. */
	private static String fromDialog(CommandInfo info, Class<? extends Command> cmd, String title, Map<String, Object> inputs) {
		Command defaults;
		try {
			defaults = cmd.getDeclaredConstructor().newInstance();
		} catch (ReflectiveOperationException e) {
			return "cannot create " + cmd.getSimpleName() + ": " + e;
		}
		GenericDialog gd = new GenericDialog("MedCNN " + title);
		// Text and number fields left at their defaults (empty files among them) are not recorded: a key left out
		// keeps its default.
		gd.setSmartRecording(true);
		List<ModuleItem<?>> asked = new ArrayList<>();
		List<String> models = ModelChoices.installed(context().service(ModelService.class).provider().repository());
		for (ModuleItem<?> in : info.inputs()) {
			if (!MacroOptions.isParameter(in)) continue;
			Class<?> type = in.getType();
			String name = in.getName();
			if (type == ImagePlus.class) {
				ImagePlus imp = WindowManager.getCurrentImage();
				if (imp == null) return "no image is open";
				inputs.put(name, imp);
				continue;
			}
			if (!MacroOptions.isValueType(type)) continue;
			Object def = defaultValue(defaults, name);
			String text = def == null ? "" : def.toString();
			List<?> choices = in.getChoices();
			if (ModelChoices.isModelField(name) && !models.isEmpty()) {
				gd.addChoice(name, models.toArray(new String[0]), models.contains(text) ? text : models.get(0));
				gd.addMessage(ModelChoices.summary(context().service(ModelService.class).provider().repository()));
			} else if (type == boolean.class || type == Boolean.class) {
				gd.addCheckbox(name, def != null && (Boolean) def);
			} else if (choices != null && !choices.isEmpty()) {
				String[] items = choices.stream().map(Object::toString).toArray(String[]::new);
				gd.addChoice(name, items, text);
			} else if (type == File.class) {
				if ("directory".equals(in.getWidgetStyle())) gd.addDirectoryField(name, text);
				else gd.addFileField(name, text);
			} else {
				gd.addStringField(name, text, type == String.class ? 30 : 10);
			}
			asked.add(in);
		}
		if (asked.isEmpty()) return null; // nothing to ask (Engine Doctor): no dialog
		gd.showDialog();
		if (gd.wasCanceled()) return "cancelled";
		for (ModuleItem<?> in : asked) {
			Class<?> type = in.getType();
			String name = in.getName();
			List<?> choices = in.getChoices();
			try {
				if (type == boolean.class || type == Boolean.class) {
					boolean on = gd.getNextBoolean();
					// ImageJ records a ticked box as a bare word and an unticked one not at all; a missing key keeps the
					// default (as in Fiji), so an unticked box is recorded explicitly.
					if (!on && Recorder.record) Recorder.recordOption(name, "false");
					inputs.put(name, on);
				} else if ((ModelChoices.isModelField(name) && !models.isEmpty()) || (choices != null && !choices.isEmpty())) {
					inputs.put(name, MacroOptions.value(in, gd.getNextChoice()));
				} else {
					inputs.put(name, MacroOptions.value(in, gd.getNextString()));
				}
			} catch (IllegalArgumentException e) {
				return e.getMessage();
			}
		}
		return null;
	}

	private static Object defaultValue(Command instance, String name) {
		for (Class<?> c = instance.getClass(); c != null; c = c.getSuperclass()) {
			try {
				Field f = c.getDeclaredField(name);
				f.setAccessible(true);
				return f.get(instance);
			} catch (NoSuchFieldException e) {
				// look in the superclass
			} catch (IllegalAccessException e) {
				return null;
			}
		}
		return null;
	}

	private static synchronized Context context() {
		if (context == null) {
			context = new Context(CommandService.class, ModelService.class, StatusService.class, LogService.class);
		}
		return context;
	}

}
