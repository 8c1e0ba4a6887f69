package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.cli.ExitCodes;
import org.medcnn.core.classify.PassSampler;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.io.TorchScriptImportTest.Result;
import org.medcnn.testing.Fixtures;

/**
 * bioimage.io: import of packages written by Python tools (format 0.5 and 0.4, test tensors by numpy),
 * every refusal with its one line, export that validates offline, and the round trip MedCNN ->
 * bioimage.io -> MedCNN with the same predictions.
 */
class BioImageIoTest {

	@TempDir
	Path tmp;

	private static Result cli(String... args) {
		return TorchScriptImportTest.cli(args);
	}

	private Path copy(String fixture) throws Exception {
		Path from = Fixtures.resource("/byo/" + fixture);
		Path to = Files.createDirectories(tmp.resolve("src-" + fixture + "-" + System.nanoTime()));
		try (Stream<Path> s = Files.list(from)) {
			for (Path f : s.toList()) Files.copy(f, to.resolve(f.getFileName()));
		}
		return to;
	}

	private static void edit(Path dir, String from, String to) throws Exception {
		Path rdf = dir.resolve("rdf.yaml");
		String text = Files.readString(rdf);
		assertTrue(text.contains(from), "fixture holds " + from);
		Files.writeString(rdf, text.replace(from, to));
	}

	@Test
	void importsAPackageWrittenByPythonToolsAndReproducesItsTestOutput() throws Exception {
		Path out = tmp.resolve("imported");
		Result r = cli("import-bioimageio", "--source", Fixtures.resource("/byo/bioimageio-0.5").toString(), "--output", out.toString());
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertTrue(r.out().contains("reproduces the model's test output"), r.out());
		ModelPackage pkg = ModelPackage.open(out);
		ModelCard card = pkg.card();
		assertEquals(List.of("dark", "bright"), card.classes());
		assertTrue(card.isWholeModel());
		assertEquals(ModelCard.Output.LOGITS, card.wholeModelOutput(), "softmax postprocessing: the model returns logits");
		assertEquals(1, card.inputChannels());
		IntensityPolicy.Steps steps = (IntensityPolicy.Steps) card.input().intensity();
		assertEquals(List.of(new IntensityPolicy.ScaleRange(1, 99, 1e-6)), steps.steps());
		assertEquals("MIT", card.section("license").getAsString());
		assertEquals(1, TorchScriptImport.checkExamples(pkg), "the test input is its example");
		// format 0.4 of the same model: no channel names, so the classes are given
		Path out4 = tmp.resolve("imported-04");
		Result r4 = cli("import-bioimageio", "--source", Fixtures.resource("/byo/bioimageio-0.4").toString(), "--output", out4.toString());
		assertEquals(ExitCodes.BAD_INPUT, r4.code(), r4.err());
		assertTrue(r4.err().contains("give their names with --classes"), r4.err());
		Result r4b = cli("import-bioimageio", "--source", Fixtures.resource("/byo/bioimageio-0.4").toString(), "--output", out4.toString(), "--classes", "dark,bright");
		assertEquals(ExitCodes.OK, r4b.code(), r4b.err());
		assertTrue(r4b.out().contains("format 0.4.10"), r4b.out());
	}

	@Test
	void everyRefusalIsOneLineThatSaysWhy() throws Exception {
		List<String[]> cases = new ArrayList<>();
		// a segmentation model: its output has space axes
		Path seg = copy("bioimageio-0.5");
		edit(seg, "        channel_names:\n          - dark\n          - bright\n", "        channel_names: [background, cell]\n      - {type: space, id: y, size: 32}\n      - {type: space, id: x, size: 32}\n");
		cases.add(new String[] {seg.toString(), "a segmentation or image-to-image model"});
		// weights without a program
		Path sd = copy("bioimageio-0.5");
		edit(sd, "  torchscript:\n", "  pytorch_state_dict:\n    architecture: {callable: Net, source: net.py}\n");
		cases.add(new String[] {sd.toString(), "weights in [pytorch_state_dict] only"});
		// no test tensors
		Path noTest = copy("bioimageio-0.5");
		String rdf = Files.readString(noTest.resolve("rdf.yaml"));
		Files.writeString(noTest.resolve("rdf.yaml"), rdf.replaceAll("(?s)    test_tensor:\\n      source: test_input.npy\\n      sha256: [0-9a-f]+\\n", ""));
		cases.add(new String[] {noTest.toString(), "no inputs[0].test_tensor"});
		// a weights file that was altered
		Path altered = copy("bioimageio-0.5");
		byte[] w = Files.readAllBytes(altered.resolve("weights.pt"));
		w[w.length / 2] ^= 1;
		Files.write(altered.resolve("weights.pt"), w);
		cases.add(new String[] {altered.toString(), "sha256 mismatch"});
		// a missing test tensor file
		Path missing = copy("bioimageio-0.5");
		Files.delete(missing.resolve("test_output.npy"));
		cases.add(new String[] {missing.toString(), "test_output.npy is missing from the package"});
		// a source that would need the network
		Path url = copy("bioimageio-0.5");
		edit(url, "source: weights.pt", "source: https://zenodo.org/weights.pt");
		cases.add(new String[] {url.toString(), "is a URL"});
		// statistics over the batch
		Path batch = copy("bioimageio-0.5");
		edit(batch, "axes: [channel, y, x]", "axes: [batch, channel, y, x]");
		cases.add(new String[] {batch.toString(), "over the batch axis"});
		// a multi-label model
		Path sigmoid = copy("bioimageio-0.5");
		edit(sigmoid, "      - id: softmax\n        kwargs: {axis: channel}\n", "      - id: sigmoid\n");
		cases.add(new String[] {sigmoid.toString(), "multi-label"});
		// a dataset, not a model
		Path dataset = copy("bioimageio-0.5");
		edit(dataset, "type: model", "type: dataset");
		cases.add(new String[] {dataset.toString(), "describes a dataset, not a model"});
		// a test output the model does not give
		Path wrong = copy("bioimageio-0.5");
		org.medcnn.io.Npy.write(wrong.resolve("test_output.npy"), new long[] {1, 2}, new float[] {0.2f, 0.8f});
		edit(wrong, "      sha256: " + org.medcnn.core.model.Hashes.sha256(Fixtures.resource("/byo/bioimageio-0.5/test_output.npy")), "      sha256: "
			+ org.medcnn.core.model.Hashes.sha256(wrong.resolve("test_output.npy")));
		cases.add(new String[] {wrong.toString(), "does not reproduce the test output"});
		int i = 0;
		for (String[] c : cases) {
			Path out = tmp.resolve("refused-" + i++);
			Result r = cli("import-bioimageio", "--source", c[0], "--output", out.toString());
			assertTrue(r.code() != ExitCodes.OK, c[1] + ": " + r.out());
			List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
			assertEquals(1, lines.size(), c[1] + ": " + r.err());
			assertTrue(lines.get(0).contains(c[1]), c[1] + ": " + lines.get(0));
			assertFalse(Files.exists(out.resolve("model.json")), c[1] + ": nothing written");
		}
	}

	/** MedCNN's probabilities for slices, through its own engine path. */
	private static float[][] probabilities(ModelPackage pkg, List<Slice> slices) throws Exception {
		float[][] out = new float[slices.size()][];
		try (ClassifierModel m = ClassifierModel.load(pkg, DeviceSpec.CPU); PassSampler sampler = new PassSampler(Ensemble.of(m), UncertaintyOptions.NONE, 1)) {
			SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
			float[] buf = new float[pre.spec().tensorSize()];
			for (int i = 0; i < slices.size(); i++) {
				pre.preprocess(slices.get(i), buf, 0);
				out[i] = sampler.run(buf, 1, 1, new long[] {1}).probabilities()[0];
			}
		}
		return out;
	}

	private static List<Slice> slices(Path data) throws Exception {
		List<Slice> out = new ArrayList<>();
		for (String cls : List.of("bright", "dark")) {
			for (int i = 0; i < 5; i++) out.addAll(new ImageSampleReader().read(data.resolve(cls + "/" + cls + i + ".png")));
		}
		out.add(TorchScriptImportTest.pattern());
		out.add(TorchScriptImportTest.grey25());
		return out;
	}

	private void roundTrip(Path model, Path data, String... exportOptions) throws Exception {
		Path bio = tmp.resolve("bioimageio-" + model.getFileName());
		List<String> args = new ArrayList<>(List.of("export-bioimageio", "--model", model.toString(), "--output", bio.toString(), "--license", "MIT",
			"--author", "MedCNN tests", "--cite", "MedCNN test fixture|https://example.org/medcnn"));
		Collections.addAll(args, exportOptions);
		Result e = cli(args.toArray(new String[0]));
		assertEquals(ExitCodes.OK, e.code(), e.err());
		assertTrue(BioImageIoValidator.validate(bio).isEmpty(), BioImageIoValidator.validate(bio).toString());
		for (String f : List.of("rdf.yaml", "model.pt", "test_input.npy", "test_output.npy", "cover.png", "README.md")) assertTrue(Files.exists(bio.resolve(f)), f);
		assertTrue(Files.readString(bio.resolve("README.md")).contains("## Validation"));
		Path back = tmp.resolve("back-" + model.getFileName());
		Result i = cli("import-bioimageio", "--source", bio.toString(), "--output", back.toString());
		assertEquals(ExitCodes.OK, i.code(), i.err());
		ModelPackage original = ModelPackage.open(model);
		ModelPackage imported = ModelPackage.open(back);
		assertEquals(original.card().classes(), imported.card().classes());
		List<Slice> s = slices(data);
		float[][] a = probabilities(original, s);
		float[][] b = probabilities(imported, s);
		for (int k = 0; k < s.size(); k++) {
			assertEquals(org.medcnn.core.math.Probabilities.argmax(a[k]), org.medcnn.core.math.Probabilities.argmax(b[k]), "same prediction for slice " + k);
			for (int c = 0; c < a[k].length; c++) assertEquals(a[k][c], b[k][c], 1e-5, "probability " + c + " of slice " + k);
		}
		// a validator that checks nothing would pass anything: an altered file fails it
		Files.writeString(bio.resolve("README.md"), "# no section\n");
		assertTrue(BioImageIoValidator.validate(bio).stream().anyMatch(p -> p.contains("Validation")), BioImageIoValidator.validate(bio).toString());
	}

	@Test
	void roundTripOfATrunkAndHeadModelGivesTheSamePredictions() throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 5);
		roundTrip(Fixtures.tinyModel(), data, "--test-image", data.resolve("bright/bright0.png").toString());
	}

	@Test
	void roundTripOfAWholeModelGivesTheSamePredictions() throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 5);
		Path byo = tmp.resolve("byo");
		Result r = cli("import-torchscript", "--model", Fixtures.resource("/byo/probabilities.pt").toString(), "--classes", "dark,bright", "--input-size", "32",
			"--intensity", "percentile:1:99", "--channels", "1", "--output-kind", "probabilities", "--temperature", "1.7", "--examples", data.toString(), "--output",
			byo.toString());
		assertEquals(ExitCodes.OK, r.code(), r.err());
		roundTrip(byo, data);
	}

	@Test
	void exportRefusesWhatItCannotWriteHonestly() throws Exception {
		Path ensemble = Fixtures.resource("/models/tiny-brightness");
		Result noLicense = cli("export-bioimageio", "--model", ensemble.toString(), "--output", tmp.resolve("x").toString());
		assertEquals(ExitCodes.USAGE, noLicense.code(), noLicense.err());
		assertTrue(noLicense.err().contains("states no license; give one with --license"), noLicense.err());
		Path busy = Files.createDirectories(tmp.resolve("busy"));
		Files.writeString(busy.resolve("keep.txt"), "mine");
		Result b = cli("export-bioimageio", "--model", ensemble.toString(), "--output", busy.toString(), "--license", "MIT", "--author", "a", "--cite", "x|10.1/y");
		assertEquals(ExitCodes.OUTPUT, b.code(), b.err());
		assertEquals("mine", Files.readString(busy.resolve("keep.txt")));
	}
}
