package org.medcnn.command;

import java.util.Map;
import org.medcnn.ij.MacroRuns;
import org.scijava.Priority;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.process.AbstractPreprocessorPlugin;
import org.scijava.module.process.PreprocessorPlugin;
import org.scijava.plugin.Plugin;

/**
 * In Fiji, reads the options of a macro call to a MedCNN command with {@link MacroOptions}, so that Fiji and
 * plain ImageJ 1.x read the same macro text the same way and a bad value stops the command.
 * <p>
 * imagej-legacy's own macro preprocessor (priority {@code 2 * VERY_HIGH}) finds each key with ImageJ 1.x's
 * {@code Macro.getValue}, which also matches a key inside a longer one ({@code steps=} in {@code auc_steps=}),
 * keeps the default for a value it cannot convert ({@code batch_size=abc}) and ignores bare checkbox words
 * ({@code resume}). This one runs after it and before the initializers ({@code HIGH}): it parses the whole
 * option string, cancels the command with one line naming a bad key or value (the macro then stops, see
 * {@link FailureReporter}), sets every given parameter and marks the others resolved with their defaults, so
 * that no dialog opens in a macro. Only MedCNN's commands, and only inside a macro call with options.
 */
@Plugin(type = PreprocessorPlugin.class, priority = Priority.VERY_HIGH + 2)
public class MacroOptionsPreprocessor extends AbstractPreprocessorPlugin {

	@Override
	public void process(Module module) {
		if (!FailureReporter.isMedCnn(module) || !MacroRuns.isMacro()) return;
		String options = MacroRuns.options();
		if (options == null) return;
		Map<String, Object> values;
		try {
			values = MacroOptions.parse(module.getInfo().inputs(), options);
		} catch (IllegalArgumentException e) {
			cancel(module.getInfo().getTitle() + ": " + e.getMessage());
			return;
		}
		for (ModuleItem<?> item : module.getInfo().inputs()) {
			// An image is given by its title, which imagej-legacy has already turned into the image, or is the
			// current image, which imagej-legacy fills in after this.
			if (!MacroOptions.isParameter(item) || !MacroOptions.isValueType(item.getType())) continue;
			String name = item.getName();
			if (values.containsKey(name)) module.setInput(name, values.get(name));
			module.resolveInput(name);
		}
	}
}
