package org.medcnn.ij1;

import ij.IJ;
import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import java.io.File;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;
import org.medcnn.command.BatchClassifyFolderCommand;
import org.medcnn.command.ClassifySlicesCommand;
import org.medcnn.command.EngineDoctorCommand;
import org.medcnn.command.EvaluateClassifierCommand;
import org.medcnn.command.MergeBatchResultsCommand;
import org.medcnn.command.ModelService;
import org.medcnn.command.TrainClassifierCommand;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;
import org.scijava.module.ModuleItem;
import org.scijava.service.Service;

/**
 * Runs MedCNN's SciJava commands from plain ImageJ 1.x, so that the macro text recorded in Fiji,
 * e.g. {@code run("Classify Slices", "model=brain-tumor-mri batch_size=8 add_overlay");}, works
 * unchanged. The command's {@code @Parameter} fields become a GenericDialog whose labels are the field
 * names, so macro keys equal field names, checkboxes follow ImageJ's rule (present means true), and
 * the ImageJ recorder records what Fiji records. Registered by {@code plugins.config} in the separate
 * {@code MedCNN_.jar}, which only plain ImageJ installs; Fiji does not get duplicate menu entries.
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
		"Saliency Maps", org.medcnn.command.SaliencyMapsCommand.class,
		"Saliency Sanity Check", org.medcnn.command.SaliencySanityCheckCommand.class);

	@Override
	public void run(String arg) {
		Class<? extends Command> cmd = COMMANDS.get(arg);
		if (cmd == null) {
			IJ.error("MedCNN", "Unknown MedCNN command '" + arg + "'");
			return;
		}
		String error = run(cmd, arg);
		if (error != null) {
			IJ.log("MedCNN " + arg + ": " + error);
			if (Macro.getOptions() != null || IJ.isMacro()) {
				Macro.abort();
				// Macro.abort() stops only macros running in a "...Macro$" thread; in -batch mode (the main thread) it
				// returns and the macro would go on as if the command had worked.
				ij.macro.Interpreter.abort();
			} else {
				IJ.error("MedCNN " + arg, error);
			}
		}
	}

	/**
	 * Collects the inputs of a command (from macro options or a dialog), runs it, and shows its image
	 * outputs.
	 *
	 * @param cmd the command class
	 * @param title the dialog title
	 * @return null on success, else why the command did not run
	 */
	static String run(Class<? extends Command> cmd, String title) {
		CommandService commands = context().service(CommandService.class);
		CommandInfo info = commands.getCommand(cmd);
		Map<String, Object> inputs = new LinkedHashMap<>();
		String problem = collect(info, cmd, title, inputs);
		if (problem != null) return problem;
		CommandModule module;
		try {
			module = commands.run(cmd, true, inputs).get();
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return "interrupted";
		} catch (java.util.concurrent.ExecutionException e) {
			return String.valueOf(e.getCause());
		}
		if (module.isCanceled()) return module.getCancelReason();
		for (ModuleItem<?> out : info.outputs()) {
			Object v = module.getOutput(out.getName());
			if (v instanceof ImagePlus imp) imp.show();
		}
		return null;
	}

	/** Fills the inputs from a GenericDialog built from the command's parameters (macro options fill it silently). */
	private static String collect(CommandInfo info, Class<? extends Command> cmd, String title, Map<String, Object> inputs) {
		Command defaults;
		try {
			defaults = cmd.getDeclaredConstructor().newInstance();
		} catch (ReflectiveOperationException e) {
			return "cannot create " + cmd.getSimpleName() + ": " + e;
		}
		GenericDialog gd = new GenericDialog("MedCNN " + title);
		Map<String, Class<?>> asked = new LinkedHashMap<>();
		for (ModuleItem<?> in : info.inputs()) {
			Class<?> type = in.getType();
			String name = in.getName();
			if (Service.class.isAssignableFrom(type) || Context.class.isAssignableFrom(type)) continue;
			if (type == ImagePlus.class) {
				ImagePlus imp = WindowManager.getCurrentImage();
				if (imp == null) return "no image is open";
				inputs.put(name, imp);
				continue;
			}
			Object def = defaultValue(defaults, name);
			if (type == String.class) {
				gd.addStringField(name, def == null ? "" : def.toString(), 30);
			} else if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
				gd.addNumericField(name, def == null ? 0 : ((Number) def).doubleValue(), 0);
			} else if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
				gd.addNumericField(name, def == null ? 0 : ((Number) def).doubleValue(), 6);
			} else if (type == boolean.class || type == Boolean.class) {
				gd.addCheckbox(name, def != null && (Boolean) def);
			} else if (type == File.class) {
				String d = def == null ? "" : def.toString();
				if ("directory".equals(in.getWidgetStyle())) gd.addDirectoryField(name, d);
				else gd.addFileField(name, d);
			} else {
				continue; // not a user parameter
			}
			asked.put(name, type);
		}
		if (asked.isEmpty()) return null; // nothing to ask (Engine Doctor): no dialog
		gd.showDialog();
		if (gd.wasCanceled()) return "cancelled";
		for (Map.Entry<String, Class<?>> e : asked.entrySet()) {
			Class<?> type = e.getValue();
			String name = e.getKey();
			if (type == String.class) {
				inputs.put(name, gd.getNextString());
			} else if (type == int.class || type == Integer.class) {
				inputs.put(name, (int) Math.round(gd.getNextNumber()));
			} else if (type == long.class || type == Long.class) {
				inputs.put(name, Math.round(gd.getNextNumber()));
			} else if (type == double.class || type == Double.class) {
				inputs.put(name, gd.getNextNumber());
			} else if (type == float.class || type == Float.class) {
				inputs.put(name, (float) gd.getNextNumber());
			} else if (type == boolean.class || type == Boolean.class) {
				inputs.put(name, gd.getNextBoolean());
			} else if (type == File.class) {
				String s = gd.getNextString();
				inputs.put(name, s == null || s.isBlank() ? null : new File(s));
			}
		}
		for (Map.Entry<String, Object> e : inputs.entrySet()) {
			if (e.getValue() instanceof Double d && d.isNaN()) return e.getKey() + ": not a number";
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
