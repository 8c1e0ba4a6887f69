package org.medcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.io.ImageFiles;
import org.medcnn.testing.Fixtures;

/**
 * Classifies the real sample slices of ../shared/data/samples with the shipped models. The samples
 * may have been training images, so this is a smoke test of the whole path on real files (JPEG
 * reading, calibration, preprocessing, engine), not an accuracy figure: those are in the model cards.
 */
class SharedSamplesTest {

	@ParameterizedTest
	@CsvSource({"brain-tumor-mri, data/samples/brain-tumor-mri-sartaj", "lung-ct, data/samples/lung-ct-iq-othnccd"})
	void shippedModelsClassifyRealSamples(String modelId, String samples) throws Exception {
		Path dir = Fixtures.sharedOrSkip(samples);
		Path pkgDir = Paths.get("models", modelId);
		Assumptions.assumeTrue(Files.isDirectory(pkgDir), "model " + modelId + " is not in models/");
		int right = 0;
		int total = 0;
		List<String> wrong = new ArrayList<>();
		try (ClassifierModel model = ClassifierModel.load(ModelPackage.open(pkgDir), DeviceSpec.CPU)) {
			try (Stream<Path> classes = Files.list(dir)) {
				for (Path cls : classes.filter(Files::isDirectory).sorted().toList()) {
					try (Stream<Path> files = Files.list(cls)) {
						for (Path f : files.sorted().toList()) {
							ClassificationRun run = new DjlSliceClassifier(model, 4, null)
								.classify(new ImagePlusSlices(ImageFiles.open(f), f.getFileName().toString()), ProgressListener.NONE, Cancellation.NEVER);
							assertEquals(1, run.predictions().size());
							String predicted = run.predictions().get(0).predicted();
							total++;
							if (predicted.equals(cls.getFileName().toString())) right++;
							else wrong.add(f.getFileName() + " -> " + predicted);
						}
					}
				}
			}
		}
		assertTrue(total >= 10, "samples found: " + total);
		assertTrue(right >= 0.8 * total, right + "/" + total + " right; wrong: " + wrong);
	}
}
