package org.medcnn.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.Npz;

class ClassifierTrainerTest {

	static TrainingConfig.Builder tinyConfig(Path data, Path out) {
		// The tiny test trunk (4 channels) stands in for an ImageNet trunk; range 0-255 matches its fixture.
		return TrainingConfig.builder().setDataDir(data).setOutputDir(out).setBaseModel(Fixtures.tinyModel().resolve("trunk.pt").toString())
			.optImageSize(32).optBatchSize(8).optEpochs(2).optHeadEpochs(60).optTrainableBlocks(1).optLearningRate(0.01)
			.optIntensity(new IntensityPolicy.Range(0, 255)).optNearDuplicateBits(0).optExamplesPerClass(1).optSeed(3);
	}

	@Test
	void trainsAVerifiedPackageWithCardHistoryAndMetrics(@TempDir Path tmp) throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 30);
		Path out = tmp.resolve("out/tiny-trained");
		TrainingResult r = new ClassifierTrainer(tinyConfig(data, out).build(), new ImageSampleReader(), TrainingListener.NONE, Cancellation.NEVER).train();
		ModelPackage pkg = ModelPackage.open(out);
		assertEquals(List.of("bright", "dark"), pkg.card().classes());
		assertEquals("tiny-trained", pkg.card().id());
		assertTrue(r.history().stream().anyMatch(e -> e.phase().equals("head")));
		assertTrue(r.history().stream().anyMatch(e -> e.phase().equals("finetune")), "fine-tuning ran");
		assertTrue(r.test().accuracy() > 0.8, "bright vs dark is easy: " + r.test().accuracy());
		JsonObject card = JsonParser.parseString(Files.readString(out.resolve("model.json"))).getAsJsonObject();
		JsonObject prov = card.getAsJsonObject("provenance");
		for (String key : List.of("split_rule", "split_counts", "duplicate_clusters_merged", "hyper_parameters", "head_epochs_run", "finetune_epochs_run",
			"training_seconds", "software", "base_model")) {
			assertTrue(prov.has(key), "card provenance has " + key);
		}
		JsonObject test = card.getAsJsonObject("metrics").getAsJsonObject("test");
		assertEquals(r.test().accuracy(), test.get("accuracy").getAsDouble(), 1e-4);
		assertEquals(2, test.getAsJsonArray("accuracy_ci95").size());
		assertTrue(Files.exists(out.resolve("examples/expected.csv")));
		assertEquals(3, Files.readAllLines(out.resolve("examples/expected.csv")).size(), "header + 1 example per class");
		int split = 0;
		for (var e : prov.getAsJsonObject("split_counts").entrySet()) for (var c : e.getValue().getAsJsonObject().entrySet()) split += c.getValue().getAsInt();
		assertEquals(60, split, "every image is in exactly one split");
		// the out-of-distribution detector is fitted on the training part, its threshold on the validation part
		assertTrue(pkg.ood() != null, "training fits the out-of-distribution detector");
		JsonObject ood = card.getAsJsonObject("ood");
		assertEquals(prov.getAsJsonObject("split_counts").getAsJsonObject("train").entrySet().stream().mapToInt(e -> e.getValue().getAsInt()).sum(),
			ood.get("training_slices").getAsInt());
		assertEquals("knn", ood.get("method").getAsString());
		assertTrue(ood.getAsJsonObject("measured").has("own_test"));
	}

	@Test
	void sameSeedSameMetrics(@TempDir Path tmp) throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 20);
		TrainingResult a = new ClassifierTrainer(tinyConfig(data, tmp.resolve("a/m")).build(), new ImageSampleReader(), TrainingListener.NONE, Cancellation.NEVER).train();
		TrainingResult b = new ClassifierTrainer(tinyConfig(data, tmp.resolve("b/m")).build(), new ImageSampleReader(), TrainingListener.NONE, Cancellation.NEVER).train();
		assertEquals(a.history().size(), b.history().size());
		for (int i = 0; i < a.history().size(); i++) {
			assertEquals(a.history().get(i).validationLoss(), b.history().get(i).validationLoss(), 1e-9, "epoch " + i);
		}
		for (int i = 0; i < a.testPredictions().size(); i++) {
			assertEquals(a.testPredictions().get(i).probabilities()[0], b.testPredictions().get(i).probabilities()[0], 1e-6);
		}
	}

	@Test
	void badInputIsRefusedWithClearMessages(@TempDir Path tmp) throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 10);
		// An output folder that already holds a model.
		Path out = tmp.resolve("taken");
		Files.createDirectories(out);
		Files.writeString(out.resolve("model.json"), "{}");
		IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
			() -> new ClassifierTrainer(tinyConfig(data, out).build(), new ImageSampleReader(), TrainingListener.NONE, Cancellation.NEVER).train());
		assertTrue(taken.getMessage().contains("already holds a model"), taken.getMessage());
		assertEquals("{}", Files.readString(out.resolve("model.json")), "the existing model is untouched");
		// A base model that is not a trunk (rank-2 output).
		ModelLoadException notTrunk = assertThrows(ModelLoadException.class, () -> new ClassifierTrainer(
			tinyConfig(data, tmp.resolve("x/m")).setBaseModel(Fixtures.resource("/trunks/flat-trunk.pt").toString()).build(), new ImageSampleReader(),
			TrainingListener.NONE, Cancellation.NEVER).train());
		assertTrue(notTrunk.getMessage().contains("not a trunk"), notTrunk.getMessage());
		// Unreadable images are skipped and counted, not silently dropped.
		Files.writeString(data.resolve("dark/broken.png"), "not a png");
		TrainingResult r = new ClassifierTrainer(tinyConfig(data, tmp.resolve("y/m")).optEpochs(0).build(), new ImageSampleReader(),
			TrainingListener.NONE, Cancellation.NEVER).train();
		assertEquals(1, r.skipped().size());
		assertTrue(r.skipped().get(0).contains("broken.png"), r.skipped().get(0));
		JsonObject card = JsonParser.parseString(Files.readString(tmp.resolve("y/m/model.json"))).getAsJsonObject();
		assertEquals(1, card.getAsJsonObject("provenance").get("images_skipped_unreadable").getAsInt());
		assertEquals(0f, org.medcnn.core.model.LinearHead.read(tmp.resolve("y/m/head.bin")).dropout(), "a head trained without dropout says so (MC dropout relies on it)");
		// An empty class folder.
		Files.createDirectories(data.resolve("empty"));
		IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
			() -> new ClassifierTrainer(tinyConfig(data, tmp.resolve("z/m")).build(), new ImageSampleReader(), TrainingListener.NONE, Cancellation.NEVER).train());
		assertTrue(empty.getMessage().contains("holds no image files"), empty.getMessage());
	}

	@Test
	void cancellationKeepsTheBestCheckpoint(@TempDir Path tmp) throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 20);
		int[] epochs = {0};
		TrainingListener count = new TrainingListener() {
			@Override
			public void epoch(EpochRecord r) {
				epochs[0]++;
			}
		};
		// Cancel after 5 head epochs: the run stops and still writes a verified package of the best head.
		TrainingResult r = new ClassifierTrainer(tinyConfig(data, tmp.resolve("c/m")).build(), new ImageSampleReader(), count, () -> epochs[0] >= 5).train();
		assertTrue(r.cancelled());
		assertEquals(5, r.history().size());
		ModelPackage.open(tmp.resolve("c/m"));
		JsonObject card = JsonParser.parseString(Files.readString(tmp.resolve("c/m/model.json"))).getAsJsonObject();
		assertTrue(card.getAsJsonObject("provenance").get("cancelled").getAsBoolean());
	}

	/** A short real training run on PneumoniaMNIST chest X-rays: the loss falls and accuracy is well above chance. */
	@Test
	void learnsPneumoniaMnist(@TempDir Path tmp) throws Exception {
		Path npz = Fixtures.sharedOrSkip("data/pneumoniamnist/pneumoniamnist.npz");
		Path imagenet = Fixtures.sharedOrSkip("models/imagenet-mobilenet-v2/features.pt");
		Map<String, Npz.Array> arrays = Npz.read(npz);
		Npz.Array images = arrays.get("train_images");
		Npz.Array labels = arrays.get("train_labels");
		int per = 150;
		int[] taken = new int[2];
		for (int i = 0; i < labels.data().length && (taken[0] < per || taken[1] < per); i++) {
			int y = labels.data()[i];
			if (taken[y] >= per) continue;
			BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
			img.getRaster().setDataElements(0, 0, 28, 28, java.util.Arrays.copyOfRange(images.data(), i * 784, (i + 1) * 784));
			Path d = Files.createDirectories(tmp.resolve("pmnist").resolve(y == 0 ? "normal" : "pneumonia"));
			ImageIO.write(img, "png", d.resolve("train" + i + ".png").toFile());
			taken[y]++;
		}
		TrainingConfig cfg = TrainingConfig.builder().setDataDir(tmp.resolve("pmnist")).setOutputDir(tmp.resolve("out/pmnist")).setBaseModel(imagenet.toString())
			.optImageSize(64).optBatchSize(16).optEpochs(1).optHeadEpochs(40).optTrainableBlocks(3).optSeed(1).optFractions(0.15, 0.2).build();
		TrainingResult r = new ClassifierTrainer(cfg, new ImageSampleReader(), TrainingListener.NONE, Cancellation.NEVER).train();
		List<EpochRecord> head = r.history().stream().filter(e -> e.phase().equals("head")).toList();
		assertTrue(head.get(head.size() - 1).trainLoss() < 0.8 * head.get(0).trainLoss(),
			"training loss falls: " + head.get(0).trainLoss() + " -> " + head.get(head.size() - 1).trainLoss());
		assertTrue(r.test().accuracy() > 0.75, "test accuracy well above chance (0.5): " + r.test().accuracy());
		assertFalse(r.cancelled());
	}
}
