package org.medcnn.core.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medcnn.core.eval.Metrics;

/** A card's metrics are written even when a metric is undefined (JSON has no NaN): as null. */
class MetricsJsonTest {

	@Test
	void undefinedMetricsAreNullNotAFailure() {
		// C never predicted (no precision) and without images (no recall, F1, AUC)
		int[] truth = {0, 0, 1, 1};
		float[][] probs = {{0.9f, 0.05f, 0.05f}, {0.8f, 0.1f, 0.1f}, {0.1f, 0.8f, 0.1f}, {0.3f, 0.6f, 0.1f}};
		Metrics m = Metrics.compute(List.of("A", "B", "C"), truth, probs, 100, 1);
		JsonObject j = ClassifierTrainer.metricsJson(m, m, 4);
		String text = new GsonBuilder().create().toJson(j);
		JsonObject c = j.getAsJsonObject("test").getAsJsonObject("per_class").getAsJsonObject("C");
		assertTrue(c.get("precision").isJsonNull() && c.get("recall").isJsonNull() && c.get("roc_auc").isJsonNull(), text);
		assertTrue(text.contains("\"macro_f1\":1.0"), text);
	}
}
