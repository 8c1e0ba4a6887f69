package org.medcnn.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.data.Sample;

class LabelMapTest {

	private static final List<String> CLASSES = List.of("benign", "malignant", "normal");

	private static List<Sample> samples(String... labels) {
		java.util.ArrayList<Sample> out = new java.util.ArrayList<>();
		for (int i = 0; i < labels.length; i++) out.add(new Sample(Path.of("/d/" + labels[i] + "/" + i + ".png"), labels[i], null));
		return out;
	}

	@Test
	void mapsFolderNamesToClassesAndLeavesOutWhatIsMappedToDash() {
		LabelMap m = LabelMap.parse(" cyst = benign, tumour=malignant,healthy=normal, unsure=- ");
		LabelMap.Result r = m.apply(samples("cyst", "tumour", "healthy", "unsure", "unsure", "cyst"), CLASSES);
		assertEquals(List.of("benign", "malignant", "normal", "benign"), r.samples().stream().map(Sample::label).toList());
		assertEquals(Path.of("/d/cyst/5.png"), r.samples().get(3).file());
		assertEquals(Map.of("unsure", 2), r.leftOut());
		assertEquals("-", r.mapping().get("unsure"));
		assertTrue(r.changed());
	}

	@Test
	void labelsThatAreClassesMapToThemselvesAndSeveralLabelsMayShareAClass() {
		LabelMap.Result r = LabelMap.parse("cyst=benign,adenoma=benign").apply(samples("cyst", "adenoma", "normal"), CLASSES);
		assertEquals(List.of("benign", "benign", "normal"), r.samples().stream().map(Sample::label).toList());
		LabelMap.Result same = LabelMap.identity().apply(samples("normal", "benign"), CLASSES);
		assertTrue(!same.changed());
		assertSame(samples("normal").get(0).getClass(), same.samples().get(0).getClass());
	}

	@Test
	void unmappedLabelsAndUnknownTargetsAreNamed() {
		IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> LabelMap.identity().apply(samples("cyst", "normal", "tumour"), CLASSES));
		assertTrue(none.getMessage().contains("[cyst, tumour]") && none.getMessage().contains("--label-map"), none.getMessage());
		IllegalArgumentException partly = assertThrows(IllegalArgumentException.class,
			() -> LabelMap.parse("cyst=benign").apply(samples("cyst", "tumour"), CLASSES));
		assertTrue(partly.getMessage().contains("[tumour]") && partly.getMessage().contains("does not map them"), partly.getMessage());
		IllegalArgumentException target = assertThrows(IllegalArgumentException.class,
			() -> LabelMap.parse("cyst=benigne").apply(samples("cyst"), CLASSES));
		assertTrue(target.getMessage().contains("[benigne]") && target.getMessage().contains("not a class"), target.getMessage());
		IllegalArgumentException all = assertThrows(IllegalArgumentException.class, () -> LabelMap.parse("cyst=-").apply(samples("cyst"), CLASSES));
		assertTrue(all.getMessage().contains("every image"), all.getMessage());
	}

	@Test
	void malformedMapsAreRefusedWithTheEntry() {
		assertTrue(assertThrows(IllegalArgumentException.class, () -> LabelMap.parse("cyst:benign")).getMessage().contains("'cyst:benign' has no '='"));
		assertTrue(assertThrows(IllegalArgumentException.class, () -> LabelMap.parse("a=x,,b=y")).getMessage().contains("empty entry"));
		assertTrue(assertThrows(IllegalArgumentException.class, () -> LabelMap.parse("a=x,a=y")).getMessage().contains("mapped twice"));
		assertTrue(assertThrows(IllegalArgumentException.class, () -> LabelMap.parse("=x")).getMessage().contains("must not be empty"));
	}

	@Test
	void readsACsv(@TempDir Path tmp) throws Exception {
		Path csv = Files.writeString(tmp.resolve("map.csv"), "\uFEFFfolder,class\ncyst,benign\n\"tumour, grade 2\",malignant\nunsure,-\n");
		LabelMap m = LabelMap.of(csv.toString());
		assertEquals(Map.of("cyst", "benign", "tumour, grade 2", "malignant", "unsure", "-"), m.entries());
		Path bad = Files.writeString(tmp.resolve("bad.csv"), "name,target\na,b\n");
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelMap.of(bad.toString()));
		assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("label and class"), e.getMessage());
		IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> LabelMap.of(tmp.resolve("none.csv").toString()));
		assertTrue(missing.getMessage().contains("file not found"), missing.getMessage());
		// text that is not a file is parsed as a map
		assertEquals(Map.of("a", "benign"), LabelMap.of("a=benign").entries());
	}
}
