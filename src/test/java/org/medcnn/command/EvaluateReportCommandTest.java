package org.medcnn.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.Modules;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;
import org.scijava.module.Module;

/** Evaluate Classifier: the report's figures as images, label maps, the binary report, and the report saved when asked. */
class EvaluateReportCommandTest {

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
	void figuresAsImagesAndTheReportWhenAsked(@TempDir Path tmp) throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 6);
		// the data's folders named otherwise, mapped onto the model's classes
		Files.move(data.resolve("bright"), data.resolve("hell"));
		Path out = tmp.resolve("out");
		Module m = Modules.run(commands, EvaluateClassifierCommand.class, "model", Fixtures.tinyModel().toString(), "data_dir", data.toFile(),
			"label_map", "hell=bright", "positive", "bright", "output_dir", out.toFile(), "save_report", true, "device", "cpu", "batch_size", 4);
		assertFalse(Modules.canceled(m), String.valueOf(Modules.reason(m)));
		for (String name : List.of("confusion_matrix", "reliability", "roc", "risk_coverage")) {
			ImagePlus imp = (ImagePlus) m.getOutput(name);
			assertNotNull(imp, name);
			assertTrue(imp.getWidth() >= 400 && imp.getBitDepth() == 24, name);
		}
		assertNull(m.getOutput("flags"), "no uncertainty mode and no detector: no flags figure");
		ResultsTable binary = (ResultsTable) m.getOutput("binary");
		assertEquals("sensitivity", binary.getStringValue("metric", 0));
		assertTrue(binary.getValue("ci95_low", 0) <= binary.getValue("value", 0));
		ResultsTable metrics = (ResultsTable) m.getOutput("metrics");
		assertTrue(metrics.columnExists("precision_ci95_low") && metrics.columnExists("over"));
		assertTrue(Files.readString(out.resolve("report.html")).contains("hell → bright"));
		try (Stream<Path> s = Files.list(out)) {
			assertTrue(s.map(p -> p.getFileName().toString()).toList().containsAll(List.of("report.html", "confusion.png", "roc.png", "binary.csv", "metrics.csv")));
		}

		// without save_report only the CSVs are written; save_report without an output folder is refused
		Module noReport = Modules.run(commands, EvaluateClassifierCommand.class, "model", Fixtures.tinyModel().toString(), "data_dir", data.toFile(),
			"label_map", "hell=bright", "output_dir", tmp.resolve("csv").toFile(), "device", "cpu");
		assertFalse(Modules.canceled(noReport), String.valueOf(Modules.reason(noReport)));
		assertFalse(Files.exists(tmp.resolve("csv/report.html")));
		Module refused = Modules.run(commands, EvaluateClassifierCommand.class, "model", Fixtures.tinyModel().toString(), "data_dir", data.toFile(),
			"label_map", "hell=bright", "save_report", true, "device", "cpu");
		assertTrue(Modules.canceled(refused));
		assertTrue(Modules.reason(refused).contains("save_report needs an output_dir"), Modules.reason(refused));
		// an unmapped label is named
		Module unmapped = Modules.run(commands, EvaluateClassifierCommand.class, "model", Fixtures.tinyModel().toString(), "data_dir", data.toFile(),
			"device", "cpu");
		assertTrue(Modules.canceled(unmapped));
		assertTrue(Modules.reason(unmapped).contains("[hell]"), Modules.reason(unmapped));
	}
}
