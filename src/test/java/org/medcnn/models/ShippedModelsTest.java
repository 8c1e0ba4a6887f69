package org.medcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.classify.Prediction;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.io.ImageFiles;

/**
 * The models shipped in {@code models/}: their hashes verify, their cards carry test metrics from a
 * leakage-aware split, and they predict their own {@code examples/} as recorded.
 */
class ShippedModelsTest {

	static List<Path> shipped() throws IOException {
		Path root = Paths.get("models");
		List<Path> out = new ArrayList<>();
		if (!Files.isDirectory(root)) return out;
		try (Stream<Path> s = Files.list(root)) {
			s.filter(d -> Files.isRegularFile(d.resolve("model.json"))).sorted().forEach(out::add);
		}
		return out;
	}

	@TestFactory
	Stream<DynamicTest> shippedModelsPredictTheirExamples() throws IOException {
		List<Path> dirs = shipped();
		Assumptions.assumeFalse(dirs.isEmpty(), "no model packages in models/");
		return dirs.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir)));
	}

	/** The README's first command: classify the brain model's example stack by id. */
	@org.junit.jupiter.api.Test
	void readmeDemoClassifiesTheExampleStack(@org.junit.jupiter.api.io.TempDir Path out) throws Exception {
		Path stack = Paths.get("models/brain-tumor-mri/examples/stack.tif");
		Assumptions.assumeTrue(Files.exists(stack), "no brain-tumor-mri example stack in models/");
		int code = org.medcnn.cli.MedCnnCli.run("classify", "--model", "brain-tumor-mri", "--models-dir", "models", "--input", stack.toString(),
			"--output", out.toString(), "--quiet");
		assertEquals(0, code);
		int slices = ImageFiles.open(stack).getStackSize();
		assertEquals(slices + 1, Files.readAllLines(out.resolve("stack.csv")).size(), "header + one row per slice");
		// one label per slice, and a frame and a text for each slice outside the training data
		long flagged = Files.readAllLines(out.resolve("stack.csv")).stream().skip(1).filter(l -> l.contains(",1,brain-tumor-mri,")).count();
		assertEquals(slices + 2 * flagged, ImageFiles.open(out.resolve("stack.tif")).getOverlay().size(), "one label per slice on the overlay");
	}

	static void check(Path dir) throws Exception {
		ModelPackage pkg = ModelPackage.open(dir); // verifies every sha256
		assertTrue(Files.size(pkg.trunkFile()) < 25L << 20, "trunk under 25 MB");
		JsonObject card = JsonParser.parseString(Files.readString(dir.resolve("model.json"))).getAsJsonObject();
		JsonObject test = card.getAsJsonObject("metrics").getAsJsonObject("test");
		assertTrue(test.get("images").getAsInt() > 0 && test.has("accuracy_ci95") && test.has("macro_f1"), "card has test metrics");
		assertTrue(card.getAsJsonObject("provenance").get("split_rule").getAsString().contains("near-identical"), "card states the split rule");
		assertTrue(card.has("examples"), "package ships examples");
		List<String> lines = Files.readAllLines(dir.resolve("examples/expected.csv"));
		assertTrue(lines.size() > pkg.card().classes().size(), "at least one example per class");
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			for (String line : lines.subList(1, lines.size())) {
				String[] c = line.split(",");
				Path file = dir.resolve("examples").resolve(c[0]);
				ImagePlusSlices slices = new ImagePlusSlices(ImageFiles.open(file), c[0]);
				ClassificationRun run = new DjlSliceClassifier(model, 1, null).classify(slices, ProgressListener.NONE, Cancellation.NEVER);
				Prediction p = run.predictions().get(Integer.parseInt(c[1]) - 1);
				assertEquals(c[3], p.predicted(), c[0]);
				assertEquals(Double.parseDouble(c[4]), p.confidence(), 1e-3, c[0]);
			}
		}
	}
}
