package org.medcnn.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.testing.Fixtures;

class EnsembleTrainerTest {

	@Test
	void trainsHeadsOnTheBaseTrunkAndSplit(@TempDir Path tmp) throws Exception {
		Path data = Fixtures.syntheticSet(tmp.resolve("data"), 30);
		Path base = tmp.resolve("models/tiny-base");
		new ClassifierTrainer(ClassifierTrainerTest.tinyConfig(data, base).optEpochs(0).build(), new ImageSampleReader(), TrainingListener.NONE,
			Cancellation.NEVER).train();
		Path out = tmp.resolve("models/tiny-ens");
		List<String> log = new ArrayList<>();
		EnsembleTrainer.Result r;
		try (ClassifierModel m = ClassifierModel.load(ModelPackage.open(base), DeviceSpec.CPU)) {
			EnsembleTrainer.Request req = new EnsembleTrainer.Request(data, out, "tiny-ens", List.of(7L, 8L, 9L), true, 0.2, 8, false);
			r = new EnsembleTrainer(m, new ImageSampleReader()).train(req, log::add, Cancellation.NEVER);
			// The package exists now: a second run refuses to replace it.
			IOException again = assertThrows(IOException.class, () -> new EnsembleTrainer(m, new ImageSampleReader()).train(req, log::add, Cancellation.NEVER));
			assertTrue(again.getMessage().contains("already holds a model"), again.getMessage());
		}
		ModelPackage p = ModelPackage.open(out); // verifies every hash, examples included
		assertTrue(p.card().isEnsemble());
		assertEquals(3, p.heads().size());
		assertEquals(List.of("seed-7", "seed-8", "seed-9"), p.heads().stream().map(ModelPackage.Head::name).toList());
		for (ModelPackage.Head h : p.heads()) {
			assertEquals(0.2f, h.head().dropout());
			assertTrue(h.temperature() > 0);
		}
		assertFalse(Arrays.equals(p.heads().get(0).head().weights(), p.heads().get(1).head().weights()), "seeds and resamples differ");
		assertEquals(Files.readString(base.resolve("split.csv")), Files.readString(out.resolve("split.csv")));
		assertEquals(Files.size(base.resolve("trunk.pt")), Files.size(out.resolve("trunk.pt")));
		JsonObject card = JsonParser.parseString(Files.readString(out.resolve("model.json"))).getAsJsonObject();
		JsonObject metrics = card.getAsJsonObject("metrics");
		int testImages = metrics.getAsJsonObject("test").get("images").getAsInt();
		assertEquals(r.ensemble().count(), testImages);
		assertEquals(testImages, metrics.getAsJsonObject("test_base_model").get("images").getAsInt(), "base and ensemble on the same test part");
		assertEquals(3, metrics.getAsJsonArray("test_members").size());
		assertTrue(card.getAsJsonObject("provenance").get("split_rule").getAsString().contains("near-identical"));
		assertEquals(3, log.stream().filter(l -> l.startsWith("member seed")).count(), log.toString());
		assertEquals(3, log.stream().filter(l -> l.contains(": features of")).count(), "train, validation and test parts: " + log);
		IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> new EnsembleTrainer.Request(data, out, "x", List.of(1L), true, 0.2, 8, false));
		assertTrue(one.getMessage().contains("at least 2 members"), one.getMessage());
	}
}
