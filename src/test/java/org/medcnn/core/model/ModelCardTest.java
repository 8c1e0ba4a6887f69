package org.medcnn.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.testing.Fixtures;

class ModelCardTest {

	private static final Path SOURCE = Paths.get("models", "x", "model.json");

	/** The fixture card, edited. */
	private static String card(Consumer<JsonObject> edit) throws Exception {
		JsonObject j = JsonParser.parseString(Files.readString(Fixtures.tinyModel().resolve("model.json"))).getAsJsonObject();
		edit.accept(j);
		return j.toString();
	}

	private static String intensity(String json) throws Exception {
		return card(j -> j.getAsJsonObject("input").add("intensity", JsonParser.parseString(json)));
	}

	private static IntensityPolicy policy(String json) throws Exception {
		return ModelCard.parse(intensity(json), SOURCE).input().intensity();
	}

	private static String error(String text) {
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelCard.parse(text, SOURCE));
		assertTrue(e.getMessage().startsWith(SOURCE.toString()), "names the card: " + e.getMessage());
		return e.getMessage();
	}

	@Test
	void fixtureCard() throws Exception {
		ModelCard c = ModelCard.read(Fixtures.tinyModel().resolve("model.json"));
		assertEquals("tiny-brightness", c.id());
		assertEquals("1.0.0", c.version());
		assertEquals("slice-classification", c.task());
		assertEquals("test", c.modality());
		assertEquals("Tiny brightness test net", c.name());
		assertEquals(32, c.input().width());
		assertEquals(InputSpec.Resize.STRETCH, c.input().resize());
		assertEquals(new IntensityPolicy.Range(0, 255), c.input().intensity());
		assertEquals(4, c.input().minSliceSize());
		assertEquals(4, c.trunkChannels());
		assertEquals("trunk.pt", c.trunk().file());
		assertNull(c.examples());
		assertEquals(false, c.section("provenance").getAsJsonObject().get("trained").getAsBoolean());
		assertNull(c.section("sanity"));
	}

	@Test
	void intensityPolicies() throws Exception {
		assertEquals(new IntensityPolicy.Window(-600, 1500), policy("{\"policy\": \"window\", \"center\": -600, \"width\": 1500}"));
		assertEquals(new IntensityPolicy.Percentile(0.5, 99.5), policy("{\"policy\": \"percentile\", \"low\": 0.5, \"high\": 99.5}"));
		assertEquals(new IntensityPolicy.Range(-1024, 3071), policy("{\"policy\": \"range\", \"min\": -1024, \"max\": 3071}"));
		assertEquals("window(center=-600, width=1500)", policy("{\"policy\": \"window\", \"center\": -600, \"width\": 1500}").describe());
	}

	@Test
	void intensityErrors() throws Exception {
		assertTrue(error(intensity("{\"policy\": \"zscore\"}")).contains("zscore"));
		assertTrue(error(intensity("{\"policy\": \"window\", \"center\": 40}")).contains("width"));
		assertTrue(error(intensity("{\"policy\": \"window\", \"center\": 40, \"width\": 0}")).contains("width must be positive"));
		assertTrue(error(intensity("{\"policy\": \"window\", \"center\": 40, \"width\": 400, \"level\": 3}")).contains("level"));
		assertTrue(error(intensity("{\"policy\": \"percentile\", \"low\": 99, \"high\": 1}")).contains("low"));
		assertTrue(error(intensity("{\"policy\": \"percentile\", \"low\": 1, \"high\": 101}")).contains("high"));
		assertTrue(error(intensity("{\"policy\": \"range\", \"min\": 10, \"max\": 10}")).contains("max"));
		assertTrue(error(intensity("{\"policy\": \"range\", \"min\": \"zero\", \"max\": 10}")).contains("min"));
		assertTrue(error(intensity("{\"min\": 0, \"max\": 10}")).contains("policy"));
	}

	@Test
	void inputErrors() throws Exception {
		assertTrue(error(card(j -> j.getAsJsonObject("input").addProperty("resize", "crop"))).contains("crop"));
		assertTrue(error(card(j -> j.getAsJsonObject("input").addProperty("channels", 1))).contains("channels"));
		assertTrue(error(card(j -> j.getAsJsonObject("input").remove("std"))).contains("std"));
		assertTrue(error(card(j -> j.getAsJsonObject("input").add("std", JsonParser.parseString("[1, 0, 1]")))).contains("positive"));
		assertTrue(error(card(j -> j.getAsJsonObject("input").add("mean", JsonParser.parseString("[0, 0]")))).contains("mean"));
		assertTrue(error(card(j -> j.getAsJsonObject("input").addProperty("width", 2))).contains("input size"));
		assertTrue(error(card(j -> j.getAsJsonObject("input").addProperty("width", 32.5))).contains("width"));
		assertTrue(error(card(j -> j.getAsJsonObject("input").remove("height"))).contains("height"));
	}

	@Test
	void letterboxAndNormalisationAreRead() throws Exception {
		ModelCard c = ModelCard.parse(card(j -> {
			JsonObject in = j.getAsJsonObject("input");
			in.addProperty("resize", "letterbox");
			in.add("mean", JsonParser.parseString("[0.485, 0.456, 0.406]"));
			in.add("std", JsonParser.parseString("[0.229, 0.224, 0.225]"));
		}), SOURCE);
		assertEquals(InputSpec.Resize.LETTERBOX, c.input().resize());
		assertEquals(0.456f, c.input().mean()[1], 1e-7f);
		assertEquals(0.225f, c.input().std()[2], 1e-7f);
	}

	@Test
	void identityErrors() throws Exception {
		assertTrue(error(card(j -> j.addProperty("format", "medcnn-model/2"))).contains("medcnn-model/2"));
		assertTrue(error(card(j -> j.addProperty("id", "Brain Tumor"))).contains("Brain Tumor"));
		assertTrue(error(card(j -> j.addProperty("task", "segmentation"))).contains("segmentation"));
		assertTrue(error(card(j -> j.add("classes", JsonParser.parseString("[\"only\"]")))).contains("at least 2"));
		assertTrue(error(card(j -> j.add("classes", JsonParser.parseString("[\"a\", \"a\"]")))).contains("twice"));
		assertTrue(error(card(j -> j.getAsJsonObject("trunk").addProperty("sha256", "ABC"))).contains("sha256"));
		assertTrue(error(card(j -> j.getAsJsonObject("head").addProperty("format", "onnx"))).contains("onnx"));
		assertTrue(error(card(j -> j.remove("version"))).contains("version"));
		assertTrue(error(card(j -> j.addProperty("colour", "red"))).contains("colour"));
	}

	@Test
	void readNamesMissingFile() {
		Path missing = Paths.get("does", "not", "exist", "model.json");
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelCard.read(missing));
		assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
	}
}
