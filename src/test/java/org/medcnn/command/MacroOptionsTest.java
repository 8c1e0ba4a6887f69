package org.medcnn.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.Macro;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.module.ModuleItem;

/**
 * How MedCNN reads the options of a macro call, against the real parameters of its commands: the one parser
 * that both ImageJ2 (through {@link MacroOptionsPreprocessor}) and the plain ImageJ 1.x bridge use.
 */
class MacroOptionsTest {

	private static Context ctx;
	private static CommandService commands;

	@BeforeAll
	static void context() {
		ctx = new Context(CommandService.class);
		commands = ctx.service(CommandService.class);
	}

	@AfterAll
	static void dispose() {
		ctx.dispose();
	}

	private static Map<String, Object> parse(Class<? extends org.scijava.command.Command> cmd, String options) {
		return MacroOptions.parse(commands.getCommand(cmd).inputs(), options);
	}

	private static String error(Class<? extends org.scijava.command.Command> cmd, String options) {
		return assertThrows(IllegalArgumentException.class, () -> parse(cmd, options)).getMessage();
	}

	@Test
	void tokensTakeBracketsQuotesAndBareWords() {
		Map<String, String> expected = new LinkedHashMap<>();
		expected.put("model", "/data/my models/a [1]");
		expected.put("device", "cpu");
		expected.put("target", "a b");
		expected.put("add_overlay", null);
		expected.put("results_csv", "");
		assertEquals(expected, MacroOptions.tokens("model=[/data/my models/a [1]]  device=cpu target='a b' add_overlay results_csv=[]"));
		assertEquals(Map.of(), MacroOptions.tokens(null));
		assertEquals(Map.of(), MacroOptions.tokens("   "));
		assertTrue(assertThrows(IllegalArgumentException.class, () -> MacroOptions.tokens("model=[abc device=cpu")).getMessage().contains("never closes"));
		assertTrue(assertThrows(IllegalArgumentException.class, () -> MacroOptions.tokens("model=a model=b")).getMessage().contains("model is given twice"));
		assertTrue(assertThrows(IllegalArgumentException.class, () -> MacroOptions.tokens("=5")).getMessage().contains("without a key"));
	}

	@Test
	void numbersAreParsedAndRangeChecked() {
		Map<String, Object> v = parse(ClassifySlicesCommand.class, "batch_size=8.0 uncertainty_seed=12345678901 uncertainty_threshold=0.25 uncertainty_passes=3");
		assertEquals(8, v.get("batch_size"));
		assertEquals(12345678901L, v.get("uncertainty_seed"));
		assertEquals(0.25, v.get("uncertainty_threshold"));
		assertEquals(3, v.get("uncertainty_passes"));
		assertEquals("batch_size=abc is not a whole number", error(ClassifySlicesCommand.class, "batch_size=abc"));
		assertEquals("batch_size=8.5 is not a whole number", error(ClassifySlicesCommand.class, "batch_size=8.5"));
		assertEquals("batch_size=0 is out of range (at least 1, at most 1024)", error(ClassifySlicesCommand.class, "batch_size=0"));
		assertEquals("uncertainty_passes=1 is out of range (at least 2, at most 256)", error(ClassifySlicesCommand.class, "uncertainty_passes=1"));
		assertEquals("batch_size=99999999999 is out of range", error(ClassifySlicesCommand.class, "batch_size=99999999999"));
		assertEquals("uncertainty_threshold=NaN is not a finite number", error(ClassifySlicesCommand.class, "uncertainty_threshold=NaN"));
		assertEquals("uncertainty_threshold=x is not a number", error(ClassifySlicesCommand.class, "uncertainty_threshold=x"));
		assertEquals("overlay_opacity=1.5 is out of range (at least 0, at most 1)", error(SaliencyMapsCommand.class, "overlay_opacity=1.5"));
		assertEquals("batch_size needs a value (batch_size=...)", error(ClassifySlicesCommand.class, "batch_size"));
	}

	@Test
	void checkboxesAreTrueFalseOrABareWord() {
		assertEquals(Boolean.TRUE, parse(ClassifySlicesCommand.class, "add_overlay").get("add_overlay"));
		assertEquals(Boolean.TRUE, parse(ClassifySlicesCommand.class, "add_overlay=TRUE").get("add_overlay"));
		assertEquals(Boolean.FALSE, parse(ClassifySlicesCommand.class, "add_overlay=false").get("add_overlay"));
		assertFalse(parse(ClassifySlicesCommand.class, "model=x").containsKey("add_overlay"), "a key left out keeps the default");
		assertEquals("add_overlay=maybe is not true or false", error(ClassifySlicesCommand.class, "add_overlay=maybe"));
		// Batch's resume as a bare word, as the shipped macros and README wrote it: ImageJ2 alone ignores it.
		assertEquals(Boolean.TRUE, parse(BatchClassifyFolderCommand.class, "input_dir=/a output_dir=/b resume").get("resume"));
	}

	@Test
	void filesTextAndTheImageTitle() {
		Map<String, Object> v = parse(ClassifySlicesCommand.class, "image=[my stack.tif] model=[/models/a b] results_csv=[] models_dir=/m");
		assertEquals("my stack.tif", v.get("image"), "the caller looks the image up by its title");
		assertEquals("/models/a b", v.get("model"), "any id or folder, whatever the dialog offers");
		assertTrue(v.containsKey("results_csv"));
		assertNull(v.get("results_csv"), "an empty file means none");
		assertEquals(new File("/m"), v.get("models_dir"));
		// A choice is read by the command, in its own spellings; the parser passes it on.
		assertEquals("Grad-CAM++", parse(SaliencyMapsCommand.class, "method=Grad-CAM++").get("method"));
	}

	@Test
	void unknownKeysAndTheDialogMessageAreRefused() {
		String e = error(ClassifySlicesCommand.class, "model=brain-tumor-mri batchsize=8");
		assertTrue(e.startsWith("unknown key 'batchsize' (keys: image, model, models_dir, device, batch_size, add_overlay, uncertainty,"), e);
		assertTrue(error(ClassifySlicesCommand.class, "model_info=x").startsWith("unknown key 'model_info'"), "the model description is no parameter");
		assertTrue(error(ClassifySlicesCommand.class, "models=x").startsWith("unknown key 'models'"), "services are no parameters");
	}

	@Test
	void keysMatchWhole() {
		// ImageJ's Macro.getValue finds "steps=" inside "auc_steps=": Fiji's own macro reader would set steps to 4 here.
		String options = "auc_steps=4 steps=16";
		assertEquals("4", Macro.getValue(options, "steps", null));
		Map<String, Object> v = parse(SaliencySanityCheckCommand.class, options);
		assertEquals(4, v.get("auc_steps"));
		assertEquals(16, v.get("steps"));
	}

	@Test
	void everyCommandParameterIsAValueTypeOrTheImage() {
		// The preprocessor resolves every parameter of these types in a macro, so no dialog opens; anything else
		// (only the image) is filled in by ImageJ2 itself.
		for (Class<? extends org.scijava.command.Command> c : List.of(ClassifySlicesCommand.class, SaliencyMapsCommand.class, SaliencySanityCheckCommand.class,
			TrainClassifierCommand.class, EvaluateClassifierCommand.class, BatchClassifyFolderCommand.class, MergeBatchResultsCommand.class,
			EngineDoctorCommand.class)) {
			CommandInfo info = commands.getCommand(c);
			for (ModuleItem<?> item : info.inputs()) {
				if (!MacroOptions.isParameter(item)) continue;
				assertTrue(MacroOptions.isValueType(item.getType()) || item.getType() == ij.ImagePlus.class, c.getSimpleName() + "." + item.getName());
				assertFalse(item.isPersisted(), c.getSimpleName() + "." + item.getName() + " must not persist");
			}
		}
	}
}
