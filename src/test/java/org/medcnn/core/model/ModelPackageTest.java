package org.medcnn.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.testing.Fixtures;

/** Every way a model package can be broken gives a ModelLoadException that names the file. */
class ModelPackageTest {

	@TempDir
	Path dir;

	static JsonObject card(Path pkg) throws Exception {
		return JsonParser.parseString(Files.readString(pkg.resolve("model.json"))).getAsJsonObject();
	}

	static void writeCard(Path pkg, JsonObject json) throws Exception {
		Files.writeString(pkg.resolve("model.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json), StandardCharsets.UTF_8);
	}

	static void editCard(Path pkg, Consumer<JsonObject> edit) throws Exception {
		JsonObject json = card(pkg);
		edit.accept(json);
		writeCard(pkg, json);
	}

	/** Points the card's trunk hash at the current trunk.pt, so that only loading can fail. */
	static void fixTrunkSha(Path pkg) throws Exception {
		String sha = Hashes.sha256(pkg.resolve("trunk.pt"));
		editCard(pkg, j -> j.getAsJsonObject("trunk").addProperty("sha256", sha));
	}

	private static ModelLoadException openFails(Path pkg) {
		return assertThrows(ModelLoadException.class, () -> ModelPackage.open(pkg));
	}

	private static void assertNames(ModelLoadException e, Path file, String... parts) {
		String m = e.getMessage();
		assertTrue(m.contains(file.toString()), "message names " + file + ": " + m);
		for (String p : parts) assertTrue(m.contains(p), "message contains '" + p + "': " + m);
	}

	@Test
	void theFixtureOpens() throws Exception {
		ModelPackage pkg = ModelPackage.open(Fixtures.copyTinyModel(dir));
		assertEquals("tiny-brightness", pkg.card().id());
		assertEquals(List.of("dark", "bright"), pkg.card().classes());
		assertEquals(2, pkg.head().classes());
		assertEquals(4, pkg.head().features());
		assertEquals(Hashes.sha256(pkg.dir().resolve("model.json")), pkg.sha256());
		assertEquals(pkg.sha256().substring(0, 12), pkg.shortSha());
		assertTrue(pkg.dir().isAbsolute());
	}

	@Test
	void missingFolderAndCard() throws Exception {
		Path nowhere = dir.resolve("nowhere");
		assertNames(openFails(nowhere), nowhere, "not found");
		Path pkg = Fixtures.copyTinyModel(dir);
		Files.delete(pkg.resolve("model.json"));
		assertNames(openFails(pkg), pkg.resolve("model.json"), "model card not found");
	}

	@Test
	void missingTrunk() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		Files.delete(pkg.resolve("trunk.pt"));
		assertNames(openFails(pkg), pkg.resolve("trunk.pt"), "missing");
	}

	@Test
	void headShaMismatch() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		Files.write(pkg.resolve("head.bin"), new byte[] {0}, StandardOpenOption.APPEND);
		assertNames(openFails(pkg), pkg.resolve("head.bin"), "sha256 mismatch", Hashes.sha256(pkg.resolve("head.bin")));
	}

	@Test
	void anUnchangedPackageIsReusedAndAnEditedCardIsSeenAtOnce() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		ModelPackage first = ModelPackage.open(pkg);
		assertSame(first, ModelPackage.open(pkg), "nothing changed: the package verified before is reused");
		assertEquals("tiny-brightness", ModelCard.read(pkg.resolve("model.json")).id());
		// At once, within the file system's timestamp granularity: the card's bytes are compared, not its times.
		editCard(pkg, j -> j.addProperty("id", "tiny-renamed"));
		ModelPackage second = ModelPackage.open(pkg);
		assertEquals("tiny-renamed", second.card().id());
		assertEquals(Hashes.sha256(pkg.resolve("model.json")), second.sha256());
		assertEquals("tiny-renamed", ModelCard.read(pkg.resolve("model.json")).id(), "the card read by itself is the new one too");
	}

	@Test
	void aFileChangedInPlaceAfterAVerifiedOpenIsCaughtEvenWithItsOldSizeAndTime() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		ModelPackage.open(pkg); // hashes verified and remembered
		Thread.sleep(50); // past the file system's timestamp granularity, so that the status-change time moves
		Path head = pkg.resolve("head.bin");
		java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(head);
		byte[] bytes = Files.readAllBytes(head);
		bytes[bytes.length - 1] ^= 1; // same size
		Files.write(head, bytes);
		Files.setLastModifiedTime(head, before); // same modification time, as a copy tool might leave it
		assertNames(openFails(pkg), head, "sha256 mismatch", Hashes.sha256(head));
	}

	@Test
	void trunkThatIsNotTorchScript() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		Files.writeString(pkg.resolve("trunk.pt"), "this is a text file, not a TorchScript archive\n");
		fixTrunkSha(pkg);
		ModelPackage opened = ModelPackage.open(pkg); // the hashes agree now
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ClassifierModel.load(opened, DeviceSpec.CPU).close());
		assertNames(e, opened.trunkFile(), "TorchScript");
		assertTrue(e.getMessage().contains("trunk.pt"), e.getMessage());
	}

	@Test
	void trunkWithFlatOutputIsRefusedWithItsRank() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		Files.copy(Fixtures.resource("/trunks/flat-trunk.pt"), pkg.resolve("trunk.pt"), StandardCopyOption.REPLACE_EXISTING);
		fixTrunkSha(pkg);
		ModelPackage opened = ModelPackage.open(pkg);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ClassifierModel.load(opened, DeviceSpec.CPU).close());
		assertNames(e, opened.trunkFile(), "rank");
		// Also on an "auto" or GPU request: content problems are not retried on the CPU as if the device were at fault.
		ModelLoadException e2 = assertThrows(ModelLoadException.class, () -> ClassifierModel.load(opened, DeviceSpec.AUTO).close());
		assertTrue(e2.getMessage().contains("rank"), e2.getMessage());
	}

	@Test
	void headClassCountDiffersFromCard() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		editCard(pkg, j -> {
			JsonArray classes = new JsonArray();
			for (String c : List.of("dark", "grey", "bright")) classes.add(c);
			j.add("classes", classes);
		});
		assertNames(openFails(pkg), pkg.resolve("head.bin"), "2 classes", "3");
	}

	@Test
	void trunkChannelsDifferFromHead() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		editCard(pkg, j -> j.getAsJsonObject("trunk").addProperty("output_channels", 8));
		assertNames(openFails(pkg), pkg.resolve("head.bin"), "4 features", "8");
	}

	@Test
	void unknownFieldInCard() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		editCard(pkg, j -> j.addProperty("clases", "typo"));
		assertNames(openFails(pkg), pkg.resolve("model.json"), "clases");
		Path pkg2 = Fixtures.copyTinyModel(Files.createDirectories(dir.resolve("b")));
		editCard(pkg2, j -> j.getAsJsonObject("input").addProperty("widht", 32));
		assertNames(openFails(pkg2), pkg2.resolve("model.json"), "widht");
	}

	@Test
	void missingRequiredField() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		editCard(pkg, j -> j.remove("classes"));
		assertNames(openFails(pkg), pkg.resolve("model.json"), "classes");
		Path pkg2 = Fixtures.copyTinyModel(Files.createDirectories(dir.resolve("b")));
		editCard(pkg2, j -> j.getAsJsonObject("head").remove("sha256"));
		assertNames(openFails(pkg2), pkg2.resolve("model.json"), "sha256");
	}

	@Test
	void badJson() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		Files.writeString(pkg.resolve("model.json"), "{\"format\": \"medcnn-model/1\", \"id\": ");
		assertNames(openFails(pkg), pkg.resolve("model.json"), "JSON");
		Files.writeString(pkg.resolve("model.json"), "[1, 2]");
		assertNames(openFails(pkg), pkg.resolve("model.json"), "JSON object");
	}

	@Test
	void fileOutsideThePackageIsRefused() throws Exception {
		Path pkg = Fixtures.copyTinyModel(dir);
		editCard(pkg, j -> j.getAsJsonObject("trunk").addProperty("file", "../other/trunk.pt"));
		assertNames(openFails(pkg), pkg.resolve("model.json"), "inside the package");
	}

	@Test
	void repositoryByIdByPathAndUnknown() throws Exception {
		Path models = Files.createDirectories(dir.resolve("models"));
		Path pkg = Fixtures.copyTinyModel(models);
		Path empty = dir.resolve("absent-models");
		ModelRepository repo = new ModelRepository(List.of(empty, models));
		assertEquals("tiny-brightness", repo.open("tiny-brightness").card().id());
		assertEquals(pkg.toAbsolutePath().normalize(), repo.open(pkg.toString()).dir());
		assertEquals(1, repo.list().size());
		assertEquals("tiny-brightness", repo.list().get(0).id());

		// The id is read from the card, not from the folder name.
		Path renamed = models.resolve("renamed-folder");
		Files.move(pkg, renamed);
		assertEquals(renamed.toAbsolutePath().normalize(), repo.open("tiny-brightness").dir());

		ModelLoadException e = assertThrows(ModelLoadException.class, () -> repo.open("lung-ct"));
		assertTrue(e.getMessage().contains("lung-ct"), e.getMessage());
		assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains(models.toString()), "lists the folders searched: " + e.getMessage());
		assertTrue(e.getMessage().contains("tiny-brightness"), "lists the ids available: " + e.getMessage());
		assertThrows(ModelLoadException.class, () -> repo.open(" "));
	}

	@Test
	void repositoryListsBrokenCardsWithTheirProblem() throws Exception {
		Path models = Files.createDirectories(dir.resolve("models"));
		Path pkg = Fixtures.copyTinyModel(models);
		Files.writeString(pkg.resolve("model.json"), "not json");
		List<ModelRepository.Entry> entries = new ModelRepository(List.of(models)).list();
		assertEquals(1, entries.size());
		assertEquals("tiny-brightness", entries.get(0).id(), "falls back to the folder name");
		assertTrue(entries.get(0).problem().contains("JSON"), entries.get(0).problem());
	}
}
