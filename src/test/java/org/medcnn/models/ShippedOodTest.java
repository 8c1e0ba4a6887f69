package org.medcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.ImagePlus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.medcnn.app.batch.BatchInputs;
import org.medcnn.app.batch.BatchOutputs;
import org.medcnn.cli.MedCnnCli;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.classify.Prediction;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.ij.PredictionOverlays;
import org.medcnn.io.ImageFiles;
import org.medcnn.testing.Fixtures;

/**
 * The shipped models know when not to answer: each flags slices of the other modality (the other model's
 * example stack, always in the repository), natural images and chest X-rays (from ../shared), and its card
 * states the measured figures against the targets.
 */
class ShippedOodTest {

	@TempDir
	Path tmp;

	private static Path pkg(String id) {
		return Paths.get("models", id);
	}

	private static ClassificationRun classify(String model, Path file) throws Exception {
		try (ClassifierModel m = ClassifierModel.load(ModelPackage.open(pkg(model)), DeviceSpec.CPU)) {
			ImagePlus imp = ImageFiles.open(file);
			return new DjlSliceClassifier(m, 4, null).classify(new ImagePlusSlices(imp, file.getFileName().toString()), ProgressListener.NONE, Cancellation.NEVER);
		}
	}

	@ParameterizedTest
	@CsvSource({"brain-tumor-mri, brain-tumor-mri, lung-ct", "brain-tumor-mri-ensemble, brain-tumor-mri, lung-ct", "lung-ct, lung-ct, brain-tumor-mri",
		"lung-ct-ensemble, lung-ct, brain-tumor-mri"})
	void everyShippedModelFlagsTheOtherModality(String model, String base, String other) throws Exception {
		// The cards' target is 95 % of a whole foreign set; of the 9-12 example slices at most one may pass.
		ClassificationRun foreign = classify(model, pkg(other).resolve("examples/stack.tif"));
		long missed = foreign.predictions().stream().filter(p -> p.outOfDistribution() != 1).count();
		assertTrue(missed <= 1, model + " on " + other + ": " + missed + " slice(s) not flagged, scores "
			+ foreign.predictions().stream().map(p -> String.format(java.util.Locale.ROOT, "%.2f", p.oodScore())).toList());
		assertTrue(foreign.warnings().stream().anyMatch(w -> w.contains("outside the training data of " + model)), foreign.warnings().toString());
		// Its own examples (test-part images) score lower: most stay unflagged, and the typical one lies below every foreign slice.
		ClassificationRun own = classify(model, pkg(base).resolve("examples/stack.tif"));
		double[] ownScores = own.predictions().stream().mapToDouble(Prediction::oodScore).sorted().toArray();
		double[] foreignScores = foreign.predictions().stream().mapToDouble(Prediction::oodScore).sorted().toArray();
		assertTrue(own.oodFlagged() < own.predictions().size() / 2, model + " flags " + own.oodFlagged() + " of its own " + ownScores.length + " example slices");
		assertTrue(ownScores[ownScores.length / 2] < foreignScores[0], model + ": own median " + ownScores[ownScores.length / 2] + ", foreign minimum " + foreignScores[0]);
	}

	@ParameterizedTest
	@ValueSource(strings = {"brain-tumor-mri", "brain-tumor-mri-ensemble", "lung-ct", "lung-ct-ensemble"})
	void cardsStateTheMeasuredFiguresAndMeetTheTargets(String model) throws Exception {
		ModelPackage p = ModelPackage.open(pkg(model));
		assertNotNull(p.ood(), model + " ships an out-of-distribution detector");
		JsonObject ood = JsonParser.parseString(Files.readString(pkg(model).resolve("model.json"))).getAsJsonObject().getAsJsonObject("ood");
		assertEquals(p.ood().threshold(), ood.get("threshold").getAsDouble(), 0);
		JsonObject measured = ood.getAsJsonObject("measured");
		assertTrue(measured.getAsJsonObject("own_test").get("flagged").getAsDouble() <= 0.10, model + ": at most 10 % of its own test part flagged");
		int foreign = 0;
		for (var e : measured.entrySet()) {
			if (e.getKey().equals("own_test")) continue;
			foreign++;
			JsonObject f = e.getValue().getAsJsonObject();
			assertTrue(f.get("flagged").getAsDouble() >= 0.95, model + " on " + e.getKey() + ": " + f);
			assertTrue(f.get("auroc_vs_own_test").getAsDouble() >= 0.98, model + " on " + e.getKey() + ": " + f);
		}
		assertTrue(foreign >= 3, model + " is measured on the other modality, chest X-rays and natural images");
	}

	@ParameterizedTest
	@ValueSource(strings = {"brain-tumor-mri", "lung-ct"})
	void naturalImagesAndChestXraysAreFlagged(String model) throws Exception {
		Path cat = Fixtures.sharedOrSkip("models/imagenet-mobilenet-v2/check-cat.jpg");
		assertEquals(1, classify(model, cat).predictions().get(0).outOfDistribution(), model + " on a cat photo");
		Path xrays = Fixtures.sharedOrSkip("data/samples/pneumoniamnist");
		List<Path> files;
		try (Stream<Path> s = Files.walk(xrays)) {
			files = s.filter(Files::isRegularFile).sorted().toList();
		}
		assertFalse(files.isEmpty());
		for (Path f : files) assertEquals(1, classify(model, f).predictions().get(0).outOfDistribution(), model + " on chest X-ray " + f.getFileName());
	}

	@Test
	void classifyAndBatchReportFlaggedSlices() throws Exception {
		Path lungStack = pkg("lung-ct").resolve("examples/stack.tif");
		StringWriter out = new StringWriter();
		StringWriter err = new StringWriter();
		int code = MedCnnCli.run(new PrintWriter(out, true), new PrintWriter(err, true), "classify", "--model", pkg("brain-tumor-mri").toString(), "--input",
			lungStack.toString(), "--output", tmp.resolve("c").toString(), "--device", "cpu");
		assertEquals(0, code, err.toString());
		List<String> lines = Files.readAllLines(tmp.resolve("c/stack.csv"));
		List<String> header = List.of(lines.get(0).split(","));
		int flag = header.indexOf("out_of_distribution");
		assertTrue(flag > 0, header.toString());
		int slices = lines.size() - 1;
		long flagged = lines.subList(1, lines.size()).stream().filter(row -> row.split(",")[flag].equals("1")).count();
		assertTrue(flagged >= slices - 1, "at most one lung slice passes the brain model's detector: " + lines);
		assertTrue(err.toString().contains("outside the training data of brain-tumor-mri"), err.toString());
		assertTrue(out.toString().contains("out of distribution: " + flagged + " of " + slices), out.toString());
		ImagePlus written = ImageFiles.open(tmp.resolve("c/stack.tif"));
		long frames = Stream.of(written.getOverlay().toArray()).filter(r -> r.getName().endsWith(":out_of_distribution")).count();
		assertEquals(flagged, frames, "one red frame per flagged slice");
		assertTrue(Stream.of(written.getOverlay().toArray()).anyMatch(r -> r.getStrokeColor().equals(PredictionOverlays.OUT_OF_DISTRIBUTION)));

		Path in = Files.createDirectories(tmp.resolve("in"));
		Files.copy(lungStack, in.resolve("lung.tif"));
		Files.copy(pkg("brain-tumor-mri").resolve("examples/stack.tif"), in.resolve("brain.tif"));
		out = new StringWriter();
		err = new StringWriter();
		code = MedCnnCli.run(new PrintWriter(out, true), new PrintWriter(err, true), "batch", "--input-dir", in.toString(), "--output-dir",
			tmp.resolve("b").toString(), "--model", pkg("brain-tumor-mri").toString(), "--device", "cpu");
		assertEquals(0, code, err.toString());
		JsonObject lung = JsonParser.parseString(Files.readString(BatchOutputs.record(tmp.resolve("b"), BatchInputs.outputName("lung.tif")))).getAsJsonObject()
			.getAsJsonObject("out_of_distribution");
		assertEquals(flagged, lung.get("flagged_slices").getAsInt());
		assertEquals(flagged / (double) slices, lung.get("flagged_share").getAsDouble(), 1e-4);
		JsonObject brain = JsonParser.parseString(Files.readString(BatchOutputs.record(tmp.resolve("b"), BatchInputs.outputName("brain.tif")))).getAsJsonObject()
			.getAsJsonObject("out_of_distribution");
		assertTrue(brain.get("flagged_slices").getAsInt() < brain.get("scored_slices").getAsInt() / 2, brain.toString());
		assertTrue(out.toString().contains("outside the training data of brain-tumor-mri"), out.toString());
	}
}
