package org.medcnn.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.testing.Fixtures;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;
import org.scijava.module.process.ServicePreprocessor;

/**
 * The model parameter in the dialogs: the installed models as choices, and a description of the chosen one
 * from its card; a model a macro names stays whatever it names.
 */
class ModelChoicesTest {

	private static final ModelRepository SHIPPED = new ModelRepository(List.of(Path.of("models")));
	private static Context ctx;

	@BeforeAll
	static void context() {
		ctx = new Context(CommandService.class, ModelService.class, StatusService.class, LogService.class);
	}

	@AfterAll
	static void dispose() {
		ctx.dispose();
	}

	@Test
	void installedListsTheShippedModels() {
		assertEquals(List.of("brain-tumor-mri", "brain-tumor-mri-ensemble", "lung-ct", "lung-ct-ensemble"), ModelChoices.installed(SHIPPED));
		assertEquals(List.of(), ModelChoices.installed(new ModelRepository(List.of(Path.of("no-such-folder")))));
	}

	@Test
	void describeNamesModalityClassesUseAndData() {
		String d = ModelChoices.describe(SHIPPED, "lung-ct");
		assertTrue(d.startsWith("<html><b>lung-ct</b> 1.0.0<br>Modality: <b>CT</b><br>Classes: benign, malignant, normal<br>Intended use: Research use:"), d);
		assertTrue(d.contains("Trained on: IQ-OTH/NCCD"), d);
		for (String line : d.replace("<br>", "\n").split("\n")) assertTrue(line.replace("&nbsp;", " ").length() < 90, "lines stay short: " + line);
		String ensemble = ModelChoices.describe(SHIPPED, "brain-tumor-mri-ensemble");
		assertTrue(ensemble.contains(", ensemble of 5") && ensemble.contains("Modality: <b>not stated in the card</b>"), ensemble);
		assertTrue(ModelChoices.describe(SHIPPED, Fixtures.tinyModel().toString()).contains("<b>tiny-brightness</b>"), "a package folder too");
		assertTrue(ModelChoices.describe(SHIPPED, "no-such-model").contains("no-such-model: not an installed model"));
		assertTrue(ModelChoices.describe(SHIPPED, "a,b").contains("several models, used as an ensemble"));
	}

	/** Creates a command's module and runs what runs before its dialog: services, then the initializers. */
	private static Module beforeDialog(Object... given) throws Exception {
		ModuleService modules = ctx.service(ModuleService.class);
		Module m = modules.createModule(ctx.service(CommandService.class).getCommand(ClassifySlicesCommand.class));
		for (int i = 0; i < given.length; i += 2) {
			m.setInput((String) given[i], given[i + 1]);
			m.resolveInput((String) given[i]);
		}
		ServicePreprocessor services = new ServicePreprocessor();
		services.setContext(ctx);
		services.process(m);
		m.initialize();
		return m;
	}

	@Test
	void theDialogOffersTheInstalledModelsAndDescribesTheDefault() throws Exception {
		Module m = beforeDialog();
		// The default search path of this checkout includes ./models, the shipped models.
		assertTrue(m.getInfo().getInput("model").getChoices().containsAll(ModelChoices.installed(SHIPPED)), String.valueOf(m.getInfo().getInput("model").getChoices()));
		assertEquals("brain-tumor-mri", m.getInput("model"));
		assertTrue(((String) m.getInput("model_info")).contains("Modality: <b>MRI</b>"), (String) m.getInput("model_info"));
	}

	@Test
	void aModelTheMacroGaveIsKeptAndDescribed() throws Exception {
		String folder = Fixtures.tinyModel().toString();
		Module m = beforeDialog("model", folder);
		assertEquals(folder, m.getInput("model"));
		assertTrue(m.getInfo().getInput("model").getChoices().isEmpty(), "no choices forced on a given model");
		assertTrue(((String) m.getInput("model_info")).contains("<b>tiny-brightness</b>"), (String) m.getInput("model_info"));
	}
}
