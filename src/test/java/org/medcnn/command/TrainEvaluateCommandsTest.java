package org.medcnn.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.medcnn.testing.Modules.canceled;
import static org.medcnn.testing.Modules.reason;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.Modules;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.module.Module;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;

/** Train Classifier and Evaluate Classifier end to end on a tiny synthetic set, through CommandService. */
class TrainEvaluateCommandsTest {

	private static Context ctx;
	private static CommandService commands;

	@BeforeAll
	static void context() {
		ctx = new Context(CommandService.class, ModelService.class, StatusService.class, LogService.class);
		commands = ctx.service(CommandService.class);
	}

	@AfterAll
	static void dispose() {
		ctx.dispose();
	}

	@Test
	void trainThenEvaluate(@TempDir Path tmp) throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 20);
		File out = tmp.resolve("models/tiny-cmd").toFile();
		Module train = Modules.run(commands, TrainClassifierCommand.class, "data_dir", data.toFile(), "output_dir", out, "base_model",
			Fixtures.tinyModel().resolve("trunk.pt").toString(), "epochs", 1, "batch_size", 8, "image_size", 32, "learning_rate", 0.01,
			"validation_fraction", 0.2, "test_fraction", 0.2, "group_regex", "", "group_bin", 0, "augment", true, "flip", true,
			"intensity", "range:0:255", "seed", 7L, "overwrite", false);
		assertFalse(canceled(train), String.valueOf(reason(train)));
		ModelPackage pkg = ModelPackage.open(out.toPath());
		assertEquals(List.of("bright", "dark"), pkg.card().classes());
		ResultsTable history = (ResultsTable) train.getOutput("history");
		assertTrue(history.size() >= 2, "history has the head epochs and the fine-tuning epoch");
		assertEquals("finetune", history.getStringValue("phase", history.size() - 1));
		ImagePlus plot = (ImagePlus) train.getOutput("history_plot");
		assertNotNull(plot);
		ResultsTable metrics = (ResultsTable) train.getOutput("test_metrics");
		assertEquals("accuracy", metrics.getStringValue("name", 2));
		assertTrue(Files.exists(out.toPath().resolve("training_history.csv")));
		java.awt.image.BufferedImage curves = javax.imageio.ImageIO.read(out.toPath().resolve("training_history.png").toFile());
		assertTrue(curves != null && curves.getWidth() >= 400, "training curves drawn headless");

		// Refuses to overwrite the model it just wrote.
		Module again = Modules.run(commands, TrainClassifierCommand.class, "data_dir", data.toFile(), "output_dir", out, "base_model",
			Fixtures.tinyModel().resolve("trunk.pt").toString(), "epochs", 0, "image_size", 32, "intensity", "range:0:255");
		assertTrue(canceled(again));
		assertTrue(reason(again).contains("already holds a model"), reason(again));

		File csvOut = tmp.resolve("eval").toFile();
		Module eval = Modules.run(commands, EvaluateClassifierCommand.class, "model", out.getPath(), "data_dir", data.toFile(), "output_dir", csvOut,
			"device", "cpu", "batch_size", 4);
		assertFalse(canceled(eval), String.valueOf(reason(eval)));
		ResultsTable m = (ResultsTable) eval.getOutput("metrics");
		assertEquals("bright", m.getStringValue("name", 0));
		assertEquals(40, (int) m.getValue("value", row(m, "images")), "images row");
		double ece = m.getValue("value", row(m, "ece"));
		double raw = m.getValue("value", row(m, "ece_uncalibrated"));
		assertTrue(ece >= 0 && ece <= 1 && raw >= 0 && raw <= 1, ece + " " + raw);
		assertTrue(m.getValue("value", row(m, "aurc")) >= 0);
		assertNotNull(eval.getOutput("risk_coverage"));
		ResultsTable conf = (ResultsTable) eval.getOutput("confusion");
		assertEquals(40, (int) (conf.getValue("pred_bright", 0) + conf.getValue("pred_dark", 0) + conf.getValue("pred_bright", 1) + conf.getValue("pred_dark", 1)));
		assertNotNull(eval.getOutput("reliability"));
		for (String f : List.of("metrics.csv", "confusion.csv", "predictions.csv", "reliability.csv", "risk_coverage.csv")) {
			assertTrue(Files.exists(csvOut.toPath().resolve(f)), f);
		}
		assertEquals(41, Files.readAllLines(csvOut.toPath().resolve("predictions.csv")).size());

		// A label that is not a class of the model is a clear error.
		Files.createDirectories(data.resolve("grey"));
		Files.copy(data.resolve("dark/dark0.png"), data.resolve("grey/g.png"));
		Module bad = Modules.run(commands, EvaluateClassifierCommand.class, "model", out.getPath(), "data_dir", data.toFile(), "device", "cpu");
		assertTrue(canceled(bad));
		assertTrue(reason(bad).contains("grey"), reason(bad));
	}

	private static int row(ResultsTable t, String name) {
		for (int i = 0; i < t.size(); i++) if (name.equals(t.getStringValue("name", i))) return i;
		throw new AssertionError("no row " + name);
	}
}
