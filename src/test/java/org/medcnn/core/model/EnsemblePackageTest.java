package org.medcnn.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TestPackages;

class EnsemblePackageTest {

	@TempDir
	Path dir;

	private Path ensemble() throws Exception {
		LinearHead a = new LinearHead(4, 2, 0.2f, new float[] {1, 0, 0, 0, 0, 1, 0, 0}, new float[] {0, 1});
		LinearHead b = new LinearHead(4, 2, 0.2f, new float[] {3, 0, 0, 0, 0, 3, 0, 0}, new float[] {2, 1});
		return TestPackages.writeEnsemble(dir, "ens", Fixtures.tinyModel().resolve("trunk.pt"), List.of("dark", "bright"), List.of(a, b), List.of(0.8, 1.5),
			32, 32, 255);
	}

	private static JsonObject card(Path pkg) throws Exception {
		return JsonParser.parseString(Files.readString(pkg.resolve("model.json"))).getAsJsonObject();
	}

	private static void write(Path pkg, JsonObject card) throws Exception {
		Files.writeString(pkg.resolve("model.json"), card.toString(), StandardCharsets.UTF_8);
	}

	@Test
	void membersLoadWithTheirTemperaturesAndExplainWithTheMeanHead() throws Exception {
		ModelPackage p = ModelPackage.open(ensemble());
		assertTrue(p.card().isEnsemble());
		assertNull(p.card().head());
		assertEquals(2, p.heads().size());
		assertEquals("m0", p.heads().get(0).name());
		assertEquals(0.8, p.heads().get(0).temperature(), 1e-12);
		assertEquals(1.5, p.heads().get(1).temperature(), 1e-12);
		// The explained head is the mean head: its logits are the mean of the members' logits.
		float[] x = {0.5f, 0.25f, 1, 2};
		float[] la = p.heads().get(0).head().logits(x);
		float[] lb = p.heads().get(1).head().logits(x);
		assertArrayEquals(new float[] {(la[0] + lb[0]) / 2, (la[1] + lb[1]) / 2}, p.head().logits(x), 1e-6f);
		assertEquals(1.0, p.combinedTemperature(), 0);
	}

	@Test
	void aChangedMemberHeadIsNamed() throws Exception {
		Path pkg = ensemble();
		Files.write(pkg.resolve("heads/m1.bin"), new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelPackage.open(pkg));
		assertTrue(e.getMessage().contains("heads/m1.bin") && e.getMessage().contains("sha256 mismatch"),
			e.getMessage());
	}

	@Test
	void cardNeedsExactlyOneOfHeadAndEnsemble() throws Exception {
		Path pkg = ensemble();
		JsonObject c = card(pkg);
		JsonObject head = c.getAsJsonObject("ensemble").getAsJsonArray("members").get(0).getAsJsonObject().getAsJsonObject("head").deepCopy();
		c.add("head", head);
		write(pkg, c);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelPackage.open(pkg));
		assertTrue(e.getMessage().contains("exactly one of 'head' (one model) and 'ensemble'"), e.getMessage());
	}

	@Test
	void oneMemberOrDuplicateNamesAreRefused() throws Exception {
		Path pkg = ensemble();
		JsonObject c = card(pkg);
		JsonArray members = c.getAsJsonObject("ensemble").getAsJsonArray("members");
		members.get(1).getAsJsonObject().addProperty("name", "m0");
		write(pkg, c);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelPackage.open(pkg));
		assertTrue(e.getMessage().contains("ensemble member name 'm0' is used twice"), e.getMessage());
		members.remove(1);
		write(pkg, c);
		e = assertThrows(ModelLoadException.class, () -> ModelPackage.open(pkg));
		assertTrue(e.getMessage().contains("at least 2 members"), e.getMessage());
	}

	@Test
	void thresholdsAreReadPerMode() throws Exception {
		Path pkg = ensemble();
		JsonObject c = card(pkg);
		JsonObject t = new JsonObject();
		JsonObject e = new JsonObject();
		e.addProperty("entropy", 0.42);
		e.addProperty("target_coverage", 0.9);
		t.add("ensemble", e);
		JsonObject u = new JsonObject();
		u.add("thresholds", t);
		c.add("uncertainty", u);
		write(pkg, c);
		ModelCard card = ModelPackage.open(pkg).card();
		assertEquals(0.42, card.flagThreshold("ensemble").entropy(), 0);
		assertEquals(0.9, card.flagThreshold("ensemble").targetCoverage(), 0);
		assertNull(card.flagThreshold("tta"));
		t.add("bayes", e);
		write(pkg, c);
		ModelLoadException err = assertThrows(ModelLoadException.class, () -> ModelPackage.open(pkg));
		assertTrue(err.getMessage().contains("uncertainty.thresholds.bayes: unknown mode"), err.getMessage());
	}
}
