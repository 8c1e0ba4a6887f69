package org.medcnn.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The card of a whole-model package: strict like every card. */
class WholeModelCardTest {

	private static final String TRUNK = "\"trunk\": {\"file\": \"model.pt\", \"sha256\": \"" + "a".repeat(64) + "\"}";

	private static String card(String input, String head) {
		return "{\"format\": \"medcnn-model/1\", \"id\": \"m\", \"version\": \"1\", \"task\": \"slice-classification\", \"classes\": [\"a\", \"b\"], "
			+ "\"input\": {\"width\": 32, \"height\": 32, " + input + "\"intensity\": {\"policy\": \"steps\", \"steps\": [{\"op\": \"zero_mean_unit_variance\", \"eps\": 1e-6}, "
			+ "{\"op\": \"clip\", \"max\": 3}]}}, " + TRUNK + ", \"head\": " + head + "}";
	}

	private static String fails(String text) {
		return assertThrows(ModelLoadException.class, () -> ModelCard.parse(text, null)).getMessage();
	}

	@Test
	void parsesAWholeModel() throws Exception {
		ModelCard c = ModelCard.parse(card("\"channels\": 1, ", "{\"format\": \"in-model\", \"output\": \"probabilities\", \"feature_method\": \"features\", \"feature_count\": 8}"), null);
		assertTrue(c.isWholeModel());
		assertTrue(!c.isEnsemble());
		assertEquals(ModelCard.Output.PROBABILITIES, c.wholeModelOutput());
		assertEquals("features", c.featureMethod());
		assertEquals(8, c.featureCount());
		assertEquals(1, c.inputChannels());
		assertEquals("steps(zero_mean_unit_variance(eps=1.0E-6), clip(-inf, 3))", c.input().intensity().describe());
	}

	@Test
	void refusesWhatDoesNotFit() {
		assertTrue(fails(card("", "{\"format\": \"in-model\", \"output\": \"scores\"}")).contains("head.output 'scores' is not logits or probabilities"));
		assertTrue(fails(card("", "{\"format\": \"in-model\", \"output\": \"logits\", \"feature_method\": \"f\"}")).contains("go together"));
		assertTrue(fails(card("", "{\"format\": \"in-model\", \"output\": \"logits\", \"file\": \"head.bin\"}")).contains("unknown field(s) [head.file]"));
		assertTrue(fails(card("\"channels\": 1, ", "{\"file\": \"head.bin\", \"sha256\": \"" + "b".repeat(64) + "\", \"format\": \"medcnn-linear-head/1\"}"))
			.contains("1 is for a whole model"));
		assertTrue(fails(card("\"channels\": 2, ", "{\"format\": \"in-model\", \"output\": \"logits\"}")).contains("input.channels must be 3"));
		assertTrue(fails(card("\"channels\": 1, \"mean\": [0.1, 0.2, 0.3], \"std\": [1, 1, 1], ", "{\"format\": \"in-model\", \"output\": \"logits\"}"))
			.contains("the one channel's value three times"));
		assertTrue(fails(card("", "{\"format\": \"in-model\", \"output\": \"logits\", \"feature_method\": \"a b\", \"feature_count\": 2}"))
			.contains("not a TorchScript method name"));
	}
}
