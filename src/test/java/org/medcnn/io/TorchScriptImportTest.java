package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.cli.ExitCodes;
import org.medcnn.cli.MedCnnCli;
import org.medcnn.core.classify.PassSampler;
import org.medcnn.core.explain.DjlSaliency;
import org.medcnn.core.explain.ExplainModel;
import org.medcnn.core.explain.SaliencyMethod;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.uncertainty.UncertaintyMode;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.testing.Fixtures;

/**
 * Bring your own TorchScript classifier: the whole-model packages of {@code medcnn import-torchscript}
 * reproduce PyTorch (fixtures made by src/test/scripts/make_byo_fixtures.py), never apply softmax to
 * probabilities, explain with the gradient methods and say why Grad-CAM cannot run, take an
 * out-of-distribution detector through their feature method, and refuse what is not a classifier.
 */
class TorchScriptImportTest {

	@TempDir
	static Path tmp;

	private static Path data;

	@BeforeAll
	static void data() throws Exception {
		data = Fixtures.syntheticSet(tmp.resolve("data"), 6);
	}

	record Result(int code, String out, String err) {}

	static Result cli(String... args) {
		StringWriter out = new StringWriter();
		StringWriter err = new StringWriter();
		int code = MedCnnCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
		return new Result(code, out.toString(), err.toString());
	}

	static Path byo(String name) {
		return Fixtures.resource("/byo/" + name);
	}

	/** expected.csv of the fixtures: input -> {logit_dark, logit_bright, p_dark, p_bright, features...}. */
	static double[] expected(String input) throws Exception {
		for (String line : Files.readAllLines(byo("expected.csv"))) {
			String[] c = line.split(",");
			if (!c[0].equals(input)) continue;
			List<Double> v = new ArrayList<>();
			for (int i = 1; i <= 4; i++) v.add(Double.parseDouble(c[i]));
			for (String f : c[5].split(" ")) v.add(Double.parseDouble(f));
			return v.stream().mapToDouble(Double::doubleValue).toArray();
		}
		throw new AssertionError("no row " + input);
	}

	static Slice pattern() {
		float[] px = new float[32 * 32];
		for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) px[y * 32 + x] = (7 * x + 3 * y) % 256;
		return new Slice(1, "pattern", 32, 32, px);
	}

	static Slice grey25() {
		float[] px = new float[32 * 32];
		java.util.Arrays.fill(px, 64);
		return new Slice(2, "grey25", 32, 32, px);
	}

	private static Result importClassifier(Path out, String... more) {
		List<String> args = new ArrayList<>(List.of("import-torchscript", "--model", byo("classifier.pt").toString(), "--classes", "dark,bright",
			"--input-size", "32x32", "--intensity", "range:0:255", "--output", out.toString()));
		Collections.addAll(args, more);
		return cli(args.toArray(new String[0]));
	}

	/** The engine's outputs for a slice: per-slice vector (scores, then features) and the calibrated probabilities. */
	private static float[][] run(ModelPackage pkg, Slice s) throws Exception {
		try (ClassifierModel m = ClassifierModel.load(pkg, DeviceSpec.CPU); ClassifierModel.Session session = m.newSession();
			PassSampler sampler = new PassSampler(Ensemble.of(m), UncertaintyOptions.NONE, 4)) {
			SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
			float[] buf = new float[pre.spec().tensorSize()];
			pre.preprocess(s, buf, 0);
			return new float[][] {session.pooledFeatures(buf, 1), sampler.run(buf, 1, 1, new long[] {1}).probabilities()[0]};
		}
	}

	@Test
	void importedClassifierReproducesPyTorchAndItsExamples() throws Exception {
		Path out = tmp.resolve("byo");
		Result r = importClassifier(out, "--feature-method", "features", "--examples", data.toString(), "--id", "tiny-byo");
		assertEquals(ExitCodes.OK, r.code(), r.err());
		assertTrue(r.out().contains("checked on 12 example slice(s)") && r.out().contains("of 12 labelled examples predicted right"), r.out());
		ModelPackage pkg = ModelPackage.open(out);
		assertTrue(pkg.card().isWholeModel());
		assertEquals(ModelCard.Output.LOGITS, pkg.card().wholeModelOutput());
		assertEquals(4, pkg.card().featureCount());
		assertTrue(Files.exists(out.resolve("examples/expected.csv")) && Files.exists(out.resolve("examples/stack.tif")));
		for (String input : List.of("pattern", "grey25")) {
			double[] e = expected(input);
			float[][] got = run(pkg, input.equals("pattern") ? pattern() : grey25());
			// logits, then the feature method's 4 features, as PyTorch computed them
			assertEquals(6, got[0].length);
			assertEquals(e[0], got[0][0], 1e-4, input + " logit dark");
			assertEquals(e[1], got[0][1], 1e-4, input + " logit bright");
			for (int k = 0; k < 4; k++) assertEquals(e[4 + k], got[0][2 + k], 1e-4, input + " feature " + k);
			double z = Math.exp(e[0]) + Math.exp(e[1]);
			assertEquals(Math.exp(e[1]) / z, got[1][1], 1e-5, input + " probability of bright");
		}
		// the examples must be reproduced: a changed expected.csv is caught by the card's hash, a changed model.pt too
		assertEquals(12, TorchScriptImport.checkExamples(pkg));
		// the package classifies from the command line like any other
		Result c = cli("classify", "--model", out.toString(), "--input", data.resolve("bright/bright0.png").toString(), "--output", tmp.resolve("cls").toString());
		assertEquals(ExitCodes.OK, c.code(), c.err());
		List<String> rows = Files.readAllLines(tmp.resolve("cls/bright0.png.csv").getParent().resolve(Files.list(tmp.resolve("cls"))
			.filter(p -> p.toString().endsWith(".csv")).findFirst().orElseThrow().getFileName()));
		assertTrue(rows.get(0).startsWith("source,slice,slice_label,predicted,p_dark,p_bright,confidence"), rows.get(0));
		assertTrue(rows.get(1).contains(",bright,"), rows.get(1));
	}

	@Test
	void probabilitiesAreNeverSoftmaxedTwice() throws Exception {
		Path out = tmp.resolve("prob");
		Result r = cli("import-torchscript", "--model", byo("probabilities.pt").toString(), "--classes", "dark,bright", "--input-size", "32",
			"--intensity", "range:0:255", "--channels", "1", "--output-kind", "probabilities", "--output", out.toString());
		assertEquals(ExitCodes.OK, r.code(), r.err());
		ModelPackage pkg = ModelPackage.open(out);
		assertEquals(1, pkg.card().inputChannels());
		for (String input : List.of("pattern", "grey25")) {
			double[] e = expected(input);
			float[] p = run(pkg, input.equals("pattern") ? pattern() : grey25())[1];
			assertEquals(e[2], p[0], 1e-5, input + ": the model's own probability of dark");
			assertEquals(e[3], p[1], 1e-5, input + ": the model's own probability of bright");
		}
		// the same file declared as logits: imported with a warning (softmax would flatten its probabilities)
		Result asLogits = cli("import-torchscript", "--model", byo("probabilities.pt").toString(), "--classes", "dark,bright", "--input-size", "32",
			"--intensity", "range:0:255", "--channels", "1", "--output", tmp.resolve("prob-as-logits").toString());
		assertEquals(ExitCodes.OK, asLogits.code(), asLogits.err());
		assertTrue(asLogits.err().contains("--output-kind probabilities"), asLogits.err());
		// and logits declared as probabilities are refused
		Result wrong = importClassifier(tmp.resolve("logits-as-prob"), "--output-kind", "probabilities");
		assertEquals(ExitCodes.MODEL, wrong.code(), wrong.err());
		assertTrue(wrong.err().contains("not probabilities"), wrong.err());
	}

	@Test
	void explainsWithGradientsAndSaysWhyGradCamCannotRun() throws Exception {
		Path out = tmp.resolve("explain");
		assertEquals(ExitCodes.OK, importClassifier(out).code());
		ModelPackage pkg = ModelPackage.open(out);
		try (ExplainModel m = ExplainModel.load(pkg, DeviceSpec.CPU)) {
			assertFalse(m.hasFeatureMap());
			DjlSaliency s = new DjlSaliency(m);
			for (SaliencyMethod method : List.of(SaliencyMethod.GRADIENT, SaliencyMethod.SMOOTHGRAD, SaliencyMethod.INTEGRATED_GRADIENTS, SaliencyMethod.OCCLUSION)) {
				SaliencyRequest req = SaliencyRequest.builder().setMethod(method).optSamples(4).optSteps(4).optOcclusion(8, 4).build();
				var run = s.explain(Fixtures.slices("p", List.of(pattern())), req, (a, b, c) -> { }, org.medcnn.core.progress.Cancellation.NEVER);
				float[] map = run.slices().get(0).map();
				double sum = 0;
				for (float v : map) sum += v;
				assertTrue(sum > 0, method + " gives a map");
			}
			for (SaliencyMethod method : List.of(SaliencyMethod.GRAD_CAM, SaliencyMethod.GRAD_CAM_PP)) {
				SaliencyRequest req = SaliencyRequest.builder().setMethod(method).build();
				IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
					() -> s.explain(Fixtures.slices("p", List.of(pattern())), req, (a, b, c) -> { }, org.medcnn.core.progress.Cancellation.NEVER));
				assertTrue(e.getMessage().contains("needs the feature map") && e.getMessage().contains("use gradient"), e.getMessage());
			}
		}
		// gradient of a logit model by hand: the logits are linear in the pooled ReLU features, so the map is finite and non-zero; mc_dropout is refused
		IllegalArgumentException mc = assertThrows(IllegalArgumentException.class, () -> {
			try (ClassifierModel m = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
				org.medcnn.core.classify.DjlSliceClassifier.check(Ensemble.of(m), new UncertaintyOptions(UncertaintyMode.MC_DROPOUT, 4, 0, Double.NaN));
			}
		});
		assertTrue(mc.getMessage().contains("whole model") && mc.getMessage().contains("try tta"), mc.getMessage());
	}

	@Test
	void aWholeModelWithAFeatureMethodGetsAnOutOfDistributionDetector() throws Exception {
		Path out = tmp.resolve("ood");
		assertEquals(ExitCodes.OK, importClassifier(out, "--feature-method", "features").code());
		// a split of the synthetic set, as training writes it
		StringBuilder split = new StringBuilder("path,label,part\n");
		for (String cls : List.of("bright", "dark")) {
			for (int i = 0; i < 6; i++) split.append(cls).append('/').append(cls).append(i).append(".png,").append(cls).append(',')
				.append(i < 3 ? "train" : i < 5 ? "validation" : "test").append('\n');
		}
		Files.writeString(out.resolve("split.csv"), split);
		Result fit = cli("fit-ood", "--model", out.toString(), "--data-root", data.toString(), "--k", "2", "--device", "cpu");
		assertEquals(ExitCodes.OK, fit.code(), fit.err());
		ModelPackage pkg = ModelPackage.open(out);
		assertEquals(4, pkg.ood().features(), "the detector reads the 4 features of the feature method, not the class scores");
		Result c = cli("classify", "--model", out.toString(), "--input", data.resolve("dark/dark1.png").toString(), "--output", tmp.resolve("ood-cls").toString());
		assertEquals(ExitCodes.OK, c.code(), c.err());
		Path csv;
		try (var s = Files.list(tmp.resolve("ood-cls"))) {
			csv = s.filter(p -> p.toString().endsWith(".csv")).findFirst().orElseThrow();
		}
		List<String> rows = Files.readAllLines(csv);
		List<String> header = List.of(rows.get(0).split(","));
		String score = rows.get(1).split(",")[header.indexOf("ood_score")];
		assertFalse(score.isEmpty(), rows.toString());
		Double.parseDouble(score);
		// the evaluation report draws both flags: uncertain (tta) and out of distribution, with counts and accuracies
		Path ev = tmp.resolve("ood-eval");
		Result e = cli("evaluate", "--model", out.toString(), "--data-dir", data.toString(), "--output", ev.toString(), "--uncertainty", "tta",
			"--uncertainty-passes", "2", "--uncertainty-threshold", "0.5", "--bootstrap", "200", "--device", "cpu");
		assertEquals(ExitCodes.OK, e.code(), e.err());
		assertTrue(Files.exists(ev.resolve("flags.png")));
		String html = Files.readString(ev.resolve("report.html"));
		assertTrue(html.contains("uncertain (tta, threshold 0.5000 nats)") && html.contains("<td class=\"l\">out of distribution</td>"), html);
		assertTrue(e.out().contains("slices flagged uncertain") && e.out().contains("out of distribution:"), e.out());
		java.awt.image.BufferedImage flags = javax.imageio.ImageIO.read(ev.resolve("flags.png").toFile());
		assertTrue(flags.getWidth() >= 480 && flags.getHeight() >= 400);
		// without a feature method there is nothing to fit on
		Path plain = tmp.resolve("ood-plain");
		assertEquals(ExitCodes.OK, importClassifier(plain).code());
		Files.writeString(plain.resolve("split.csv"), split);
		Result none = cli("fit-ood", "--model", plain.toString(), "--data-root", data.toString(), "--device", "cpu");
		assertTrue(none.code() != ExitCodes.OK && none.err().contains("feature method"), none.err());
	}

	@Test
	void whatIsNotAClassifierIsRefusedWithOneLine() throws Exception {
		Result seg = cli("import-torchscript", "--model", byo("segmentation.pt").toString(), "--classes", "a,b", "--input-size", "32", "--intensity", "zscore",
			"--channels", "1", "--output", tmp.resolve("seg").toString());
		assertEquals(ExitCodes.MODEL, seg.code(), seg.err());
		assertTrue(seg.err().contains("segmentation model"), seg.err());
		assertEquals(1, seg.err().lines().count(), seg.err());
		assertFalse(Files.exists(tmp.resolve("seg/model.json")), "nothing written");

		Result state = cli("import-torchscript", "--model", byo("state_dict.pt").toString(), "--classes", "dark,bright", "--input-size", "32",
			"--intensity", "zscore", "--output", tmp.resolve("state").toString());
		assertEquals(ExitCodes.MODEL, state.code(), state.err());
		assertTrue(state.err().contains("a state dict") && state.err().contains("torch.jit.script"), state.err());

		Result classes = cli("import-torchscript", "--model", byo("classifier.pt").toString(), "--classes", "a,b,c", "--input-size", "32",
			"--intensity", "range:0:255", "--output", tmp.resolve("three").toString());
		assertEquals(ExitCodes.MODEL, classes.code(), classes.err());
		assertTrue(classes.err().contains("returns 2 scores per slice, but 3 classes"), classes.err());

		Path text = Files.writeString(tmp.resolve("notes.pt"), "not a model");
		Result notModel = cli("import-torchscript", "--model", text.toString(), "--classes", "a,b", "--input-size", "32", "--intensity", "zscore",
			"--output", tmp.resolve("text").toString());
		assertEquals(ExitCodes.MODEL, notModel.code(), notModel.err());
		assertTrue(notModel.err().contains("not a TorchScript file"), notModel.err());

		Result size = importClassifier(tmp.resolve("size"), "--input-size", "32x3x2");
		assertEquals(ExitCodes.USAGE, size.code(), size.err());

		// a folder holding someone's files is never written into
		Path busy = Files.createDirectories(tmp.resolve("busy"));
		Files.writeString(busy.resolve("thesis.txt"), "mine");
		Result b = importClassifier(busy);
		assertEquals(ExitCodes.OUTPUT, b.code(), b.err());
		assertTrue(b.err().contains("not a model package"), b.err());
		assertEquals(List.of(busy.resolve("thesis.txt")), Files.list(busy).toList());
	}
}
