package org.medcnn.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.data.Sample;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.core.uncertainty.FlagThresholds;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TestPackages;

class UncertaintyCalibratorTest {

	@TempDir
	Path dir;

	@Test
	void thresholdGivesTheStatedCoverageOnValidation() throws Exception {
		Path data = Fixtures.syntheticSet(dir.resolve("data"), 20);
		// A split list like the split.csv of a trained package: half validation, half test.
		StringBuilder csv = new StringBuilder("path,slice,label,part\n");
		int k = 0;
		for (String cls : List.of("bright", "dark")) {
			for (int i = 0; i < 20; i++) csv.append(cls).append('/').append(cls).append(i).append(".png,1,").append(cls).append(',').append(k++ % 2 == 0 ? "validation" : "test").append('\n');
		}
		Path split = Files.writeString(dir.resolve("split.csv"), csv);
		List<Sample> validation = Datasets.readCsv(split, data, "validation");
		List<Sample> test = Datasets.readCsv(split, data, "test");
		assertEquals(20, validation.size());
		LinearHead tiny = LinearHead.read(Fixtures.tinyModel().resolve("head.bin"));
		LinearHead head = new LinearHead(tiny.features(), 2, 0.3f, tiny.weights(), tiny.bias());
		Path pkg = TestPackages.write(dir, "tiny-dropout", Fixtures.tinyModel().resolve("trunk.pt"), List.of("dark", "bright"), head, 32, 32, "stretch", 255);
		try (ModelProvider provider = new ModelProvider(new ModelRepository(List.of()))) {
			Ensemble m = provider.loadAll(pkg.toString(), DeviceSpec.CPU);
			List<UncertaintyOptions> modes = new ArrayList<>();
			modes.add(new UncertaintyOptions(UncertaintyMode.MC_DROPOUT, 8, 1, Double.NaN));
			modes.add(new UncertaintyOptions(UncertaintyMode.TTA, 4, 1, Double.NaN));
			for (double target : new double[] {0.8, 0.95}) {
				List<UncertaintyCalibrator.ModeResult> results = new UncertaintyCalibrator(m, new ImageSampleReader(), 8).calibrate(validation, test, modes, target,
					ProgressListener.NONE, Cancellation.NEVER);
				assertEquals(2, results.size());
				for (UncertaintyCalibrator.ModeResult r : results) {
					double kept = r.validation().flagCoverage();
					assertTrue(kept >= target && kept < target + 1.0 / 20 + 1e-9, r.options().mode() + ": coverage " + kept + " for target " + target);
					double[] e = r.validation().rows().stream().mapToDouble(x -> x.uncertainty().entropy()).toArray();
					assertEquals(kept, FlagThresholds.coverage(e, r.threshold()), 1e-12);
					assertEquals(20, r.test().rows().size());
					assertEquals(r.threshold(), r.thresholdJson().get("entropy").getAsDouble(), 1e-4);
					assertTrue(r.testJson().has("coverage_unflagged"));
				}
			}
		}
	}
}
