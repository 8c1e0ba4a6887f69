package org.medcnn.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.Messages;
import org.medcnn.core.engine.EngineDoctor;
import org.medcnn.testing.Fixtures;

/**
 * Model cards are read within bounds: a card larger than {@link ModelCard#MAX_BYTES} is refused before it
 * is read, one with too many classes is refused, and every message is one line of bounded length; a lookup
 * of a missing id does not parse oversized cards; doctor reports the package that classify uses.
 */
class BoundedReadsTest {

	@TempDir
	Path dir;

	private static String tinyCard() throws IOException {
		return Files.readString(Fixtures.tinyModel().resolve(ModelPackage.CARD), StandardCharsets.UTF_8);
	}

	@Test
	void anOversizedCardIsRefusedBeforeItIsRead() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		Path card = pkg.resolve(ModelPackage.CARD);
		String text = tinyCard();
		// 200 MB of padding inside a valid card: it used to be parsed whole (1.8 GB of heap) and accepted.
		try (Writer w = Files.newBufferedWriter(card, StandardCharsets.UTF_8)) {
			w.write(text.substring(0, text.lastIndexOf('}')));
			w.write(", \"description\": \"");
			char[] block = new char[1 << 20];
			java.util.Arrays.fill(block, 'x');
			for (int i = 0; i < 200; i++) w.write(block);
			w.write("\"}\n");
		}
		long used = usedHeap();
		ModelLoadException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(ModelLoadException.class, () -> ModelPackage.open(pkg)));
		assertTrue(e.getMessage().contains("model card of 2097") && e.getMessage().contains("at most " + ModelCard.MAX_BYTES), e.getMessage());
		assertTrue(usedHeap() - used < 100L << 20, "not read into memory");
		ModelLoadException viaRead = assertThrows(ModelLoadException.class, () -> ModelCard.read(card));
		assertTrue(viaRead.getMessage().startsWith(card.toString()), viaRead.getMessage());
	}

	private static long usedHeap() {
		Runtime r = Runtime.getRuntime();
		return r.totalMemory() - r.freeMemory();
	}

	@Test
	void aMillionClassesGiveOneShortLine() throws Exception {
		StringBuilder classes = new StringBuilder();
		for (int i = 0; i < 1_000_000; i++) classes.append(i == 0 ? "" : ",").append("\"c").append(i).append('"');
		String text = tinyCard().replace("\"classes\": [\"dark\", \"bright\"]", "\"classes\": [" + classes + "]");
		// A million classes (about 10 MB) is over the size bound: one short line, nothing parsed.
		Path million = Files.writeString(dir.resolve("million.json"), text);
		ModelLoadException big = assertThrows(ModelLoadException.class, () -> ModelCard.read(million));
		assertTrue(big.getMessage().contains("model card of " + Files.size(million) + " bytes") && big.getMessage().length() <= Messages.MAX_LENGTH,
			big.getMessage());
		Path small = dir.resolve("card.json");
		// Within the size bound (class names of 2-8 characters), the class count is refused.
		String bounded = tinyCard().replace("\"classes\": [\"dark\", \"bright\"]", "\"classes\": [" + classes.substring(0, classes.indexOf("\"c300000\"") - 1) + "]");
		Files.writeString(small, bounded);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelCard.read(small));
		assertTrue(e.getMessage().contains("lists 300000 classes; a card may list at most " + ModelCard.MAX_CLASSES), e.getMessage());
		assertTrue(e.getMessage().length() <= Messages.MAX_LENGTH, e.getMessage().length() + " characters");
		// Unknown fields by the thousand: listed ten at a time.
		StringBuilder fields = new StringBuilder();
		for (int i = 0; i < 5000; i++) fields.append(", \"x").append(i).append("\": 1");
		String unknown = tinyCard().substring(0, tinyCard().lastIndexOf('}')) + fields + "}";
		ModelLoadException u = assertThrows(ModelLoadException.class, () -> ModelCard.parse(unknown, small));
		assertTrue(u.getMessage().contains("and 4990 more") && u.getMessage().length() <= Messages.MAX_LENGTH, u.getMessage());
	}

	@Test
	void aMissingIdIsReportedWithoutParsingOversizedCards() throws Exception {
		Path root = Files.createDirectories(dir.resolve("models"));
		Fixtures.copyTinyModel(root);
		Path big = Files.createDirectories(root.resolve("big"));
		byte[] block = new byte[1 << 20];
		java.util.Arrays.fill(block, (byte) ' ');
		try (var out = Files.newOutputStream(big.resolve(ModelPackage.CARD))) {
			out.write('{');
			for (int i = 0; i < 50; i++) out.write(block);
			out.write('}');
		}
		ModelRepository repo = new ModelRepository(List.of(root));
		ModelLoadException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(ModelLoadException.class, () -> repo.open("no-such-id")));
		assertTrue(e.getMessage().contains("model 'no-such-id' not found") && e.getMessage().contains("tiny-brightness"), e.getMessage());
		assertTrue(e.getMessage().length() <= Messages.MAX_LENGTH);
		assertEquals(root.resolve("tiny-brightness"), repo.locate("tiny-brightness"));
	}

	@Test
	void doctorReportsThePackageClassifyUsesAndMarksShadowedOnes() throws Exception {
		Path first = Files.createDirectories(dir.resolve("first"));
		Path second = Files.createDirectories(dir.resolve("second"));
		Path healthy = Fixtures.copyTinyModel(first);
		Path broken = Fixtures.copyTinyModel(second);
		Files.write(broken.resolve("head.bin"), new byte[] {1, 2, 3});
		// Classify takes the first: its folder comes first on the search path.
		ModelRepository repo = new ModelRepository(List.of(first, second));
		assertEquals(healthy, repo.locate("tiny-brightness"));
		Map<String, String> facts = EngineDoctor.diagnose(repo);
		assertTrue(facts.get("model.tiny-brightness").startsWith("ok, hashes verified") && facts.get("model.tiny-brightness").contains(healthy.toString()),
			facts.toString());
		String shadowed = facts.get("model.tiny-brightness.shadowed");
		assertTrue(shadowed.startsWith("not used (classify takes the package at " + healthy + ")") && shadowed.contains("BROKEN"), shadowed);
		// The other way round: the broken one is used, and doctor says so.
		Map<String, String> swapped = EngineDoctor.diagnose(new ModelRepository(List.of(second, first)));
		assertTrue(swapped.get("model.tiny-brightness").startsWith("BROKEN"), swapped.toString());
		assertTrue(swapped.get("model.tiny-brightness.shadowed").startsWith("not used"), swapped.toString());
		assertFalse(swapped.get("model.tiny-brightness.shadowed").contains("BROKEN"), swapped.toString());
	}
}
