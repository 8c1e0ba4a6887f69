package org.medcnn.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

class TrainingConfigTest {

	/** A builder with the three required settings. */
	static TrainingConfig.Builder minimal() {
		return TrainingConfig.builder().setDataDir(Paths.get("data")).setOutputDir(Paths.get("out", "busi-resnet")).setBaseModel("resnet18.pt");
	}

	static String message(TrainingConfig.Builder b) {
		return assertThrows(IllegalArgumentException.class, b::build).getMessage();
	}

	@Test
	void groupKeyJoinsCapturesAndBinsNumbers() {
		TrainingConfig c = minimal().optGroups("^([a-z]+)/.*\\((\\d+)\\)", 20).build();
		String k12 = c.groupKey("benign/Bengin case (12).jpg");
		// 12 / 20 = 0 and 19 / 20 = 0: one bin; 20 / 20 = 1: the next.
		assertEquals("benign|#0", k12);
		assertEquals(k12, c.groupKey("benign/Bengin case (19).jpg"));
		assertEquals(k12, c.groupKey("benign/Bengin case (0).jpg"));
		assertNotEquals(k12, c.groupKey("benign/Bengin case (20).jpg"));
		assertEquals("benign|#1", c.groupKey("benign/Bengin case (39).jpg"));
		// Same number, other class folder: another group.
		assertEquals("malignant|#0", c.groupKey("malignant/Malignant case (12).jpg"));
		assertNotEquals(k12, c.groupKey("malignant/Malignant case (12).jpg"));
		// No match: no group.
		assertNull(c.groupKey("normal/image.jpg"));
	}

	@Test
	void groupKeyWithoutBinKeepsNumbersAndWithoutCapturesUsesTheMatch() {
		TrainingConfig exact = minimal().optGroups("^([a-z]+)/.*\\((\\d+)\\)", 0).build();
		assertEquals("benign|12", exact.groupKey("benign/Bengin case (12).jpg"));
		assertNotEquals(exact.groupKey("benign/Bengin case (12).jpg"), exact.groupKey("benign/Bengin case (13).jpg"));
		// No capture group: the whole match, binned when it is all digits.
		TrainingConfig whole = minimal().optGroups("\\d+", 10).build();
		assertEquals("#2", whole.groupKey("patient 23/slice.png"));
		assertEquals("#2", whole.groupKey("patient 27/slice.png"));
		TrainingConfig patient = minimal().optGroups("patient-[0-9a-f]+", 10).build();
		assertEquals("patient-1a", patient.groupKey("x/patient-1a/7.png"));
		// An optional capture that did not take part counts as empty.
		TrainingConfig optional = minimal().optGroups("^(a)?(b)", 0).build();
		assertEquals("|b", optional.groupKey("b.png"));
	}

	@Test
	void noRegexNoGroup() {
		assertNull(minimal().build().groupKey("benign/Bengin case (12).jpg"));
		assertNull(minimal().optGroups("  ", 5).build().groupKey("benign/Bengin case (12).jpg"));
		assertNull(minimal().optGroups(null, 0).build().groupKey("x"));
	}

	@Test
	void defaultModelIdIsTheOutputFolderName() {
		assertEquals("busi-resnet", minimal().build().modelId);
		assertEquals("my.model_2", minimal().setOutputDir(Paths.get("a", "b", "my.model_2")).build().modelId);
		assertEquals("chosen", minimal().optModelId("chosen").build().modelId);
		// A folder name that is no valid id is refused, naming the id.
		String m = message(minimal().setOutputDir(Paths.get("out", "My Model")));
		assertTrue(m.contains("model id 'My Model'"), m);
	}

	@Test
	void buildKeepsTheSettings() {
		TrainingConfig c = minimal().optEpochs(0).optBatchSize(512).optImageSize(32).optLearningRate(0.5).optSeed(7).optFractions(0.1, 0.2).build();
		assertEquals(0, c.epochs);
		assertEquals(512, c.batchSize);
		assertEquals(32, c.imageSize);
		assertEquals(0.5, c.learningRate);
		assertEquals(7, c.seed());
		assertEquals(0.1, c.validationFraction);
		assertEquals(0.2, c.testFraction);
		assertEquals(Path.of("out", "busi-resnet"), c.outputDir());
	}

	@Test
	void validationMessagesNameTheParameter() {
		assertTrue(message(minimal().optEpochs(-1)).startsWith("epochs"));
		assertTrue(message(minimal().optEpochs(1001)).startsWith("epochs"));
		assertTrue(message(minimal().optBatchSize(0)).startsWith("batch_size"));
		assertTrue(message(minimal().optBatchSize(513)).startsWith("batch_size"));
		assertTrue(message(minimal().optImageSize(31)).startsWith("image_size"));
		assertTrue(message(minimal().optImageSize(1025)).startsWith("image_size"));
		assertTrue(message(minimal().optLearningRate(0)).startsWith("learning_rate"));
		assertTrue(message(minimal().optLearningRate(1)).startsWith("learning_rate"));
		assertTrue(message(minimal().optLearningRate(Double.NaN)).startsWith("learning_rate"));
		String regex = message(minimal().optGroups("([a-z]+", 0));
		assertTrue(regex.startsWith("group_regex") && regex.contains("not a valid regular expression"), regex);
		assertTrue(message(minimal().optGroups("x", -1)).contains("group_bin"));
		assertTrue(message(minimal().optModelId("Bad Id")).contains("model id 'Bad Id'"));
		assertTrue(message(minimal().optModelId("-lead")).contains("model id"));
		assertTrue(message(minimal().optFractions(0.6, 0.1)).startsWith("validation_fraction"));
		assertTrue(message(minimal().optFractions(0.1, 0.6)).startsWith("test_fraction"));
		assertTrue(message(minimal().optNearDuplicateBits(65)).contains("near-duplicate"));
		assertTrue(message(minimal().setDataDir(null)).startsWith("data_dir"));
		assertTrue(message(minimal().setBaseModel(" ")).startsWith("base_model"));
		assertTrue(message(minimal().optPatience(0)).contains("patience"));
		// A CSV list replaces the data folder.
		assertNull(minimal().setDataDir(null).optDataCsv(Paths.get("list.csv")).build().dataDir);
	}
}
