package org.medcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.eval.Evaluator;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.testing.Fixtures;

/**
 * The flag thresholds in the shipped cards keep the coverage they state on the validation part of the
 * package's split (re-measured here through the same path as Classify Slices), and the threshold keeps
 * more accurate slices than it flags.
 */
class ShippedThresholdsTest {

	@ParameterizedTest
	@CsvSource({"brain-tumor-mri, mc_dropout, data/brain-tumor-mri-sartaj", "brain-tumor-mri-ensemble, ensemble, data/brain-tumor-mri-sartaj"})
	void thresholdGivesTheStatedValidationCoverage(String id, String mode, String data) throws Exception {
		Path root = Fixtures.sharedOrSkip(data);
		Path pkg = Paths.get("models", id);
		Assumptions.assumeTrue(Files.isDirectory(pkg), "model " + id + " is not in models/");
		JsonObject t = JsonParser.parseString(Files.readString(pkg.resolve("model.json"))).getAsJsonObject().getAsJsonObject("uncertainty")
			.getAsJsonObject("thresholds").getAsJsonObject(mode);
		int passes = t.has("passes") ? t.get("passes").getAsInt() : UncertaintyOptions.DEFAULT_PASSES;
		long seed = t.has("seed") ? t.get("seed").getAsLong() : 0;
		List<Sample> validation = Datasets.readCsv(pkg.resolve("split.csv"), root, "validation");
		try (ModelProvider provider = new ModelProvider(new ModelRepository(List.of()))) {
			Ensemble m = provider.loadAll(pkg.toString(), DeviceSpec.CPU);
			Evaluator.Evaluation ev = new Evaluator(m, new ImageSampleReader(), 16, new UncertaintyOptions(UncertaintyMode.parse(mode), passes, seed, Double.NaN))
				.evaluate(validation, 0, 1, ProgressListener.NONE, Cancellation.NEVER);
			assertEquals(t.get("validation_slices").getAsInt(), ev.rows().size());
			assertEquals(t.get("entropy").getAsDouble(), ev.flagThreshold(), 1e-9, "the card's threshold is used");
			double target = t.get("target_coverage").getAsDouble();
			// Rounding of the stored threshold (4 decimals) may move a slice or two across it.
			assertEquals(target, ev.flagCoverage(), 3.0 / ev.rows().size(), "coverage on validation");
			assertEquals(t.get("validation_coverage").getAsDouble(), ev.flagCoverage(), 3.0 / ev.rows().size());
			assertTrue(ev.flagAccuracy() > ev.metrics().accuracy(), "the unflagged slices are more accurate than all: " + ev.flagAccuracy());
		}
	}
}
