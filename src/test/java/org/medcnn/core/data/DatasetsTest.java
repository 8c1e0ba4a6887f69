package org.medcnn.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

	@TempDir
	Path tmp;

	/** Creates an empty file (scanFolder only looks at names), with its folders. */
	Path touch(String relative) throws IOException {
		Path p = tmp.resolve(relative);
		Files.createDirectories(p.getParent());
		return Files.write(p, new byte[] {1});
	}

	static List<String> relative(Path root, List<Sample> samples) {
		return samples.stream().map(s -> root.relativize(s.file()).toString().replace('\\', '/')).collect(Collectors.toList());
	}

	@Test
	void scanFolderListsClassesSortedAndRecursively() throws IOException {
		Path root = tmp.resolve("data");
		// Created out of order on purpose.
		touch("data/normal/z.png");
		touch("data/normal/deep/er/b.JPEG");
		touch("data/normal/a.tif");
		touch("data/benign/scan.DCM");
		touch("data/benign/notes.txt"); // not an image
		touch("data/benign/.hidden.png"); // hidden file
		touch("data/benign/.thumbs/cached.png"); // inside a hidden folder
		touch("data/benign/x.dicom");
		touch("data/.git/objects/y.png"); // hidden class folder
		touch("data/README.png"); // a file at the top is no class
		List<Sample> samples = Datasets.scanFolder(root);
		assertEquals(List.of("benign/scan.DCM", "benign/x.dicom", "normal/a.tif", "normal/deep/er/b.JPEG", "normal/z.png"), relative(root, samples));
		assertEquals(List.of("benign", "benign", "normal", "normal", "normal"), samples.stream().map(Sample::label).collect(Collectors.toList()));
		assertEquals(root.resolve("normal").resolve("a.tif"), samples.get(2).file());
		for (Sample s : samples) assertNull(s.group());
	}

	@Test
	void scanFolderErrorsNameTheFolder() throws IOException {
		Path missing = tmp.resolve("nope");
		IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> Datasets.scanFolder(missing));
		assertTrue(none.getMessage().contains(missing.toString()) && none.getMessage().contains("not found"), none.getMessage());

		touch("one/only/a.png");
		touch("one/.hidden/b.png");
		IllegalArgumentException single = assertThrows(IllegalArgumentException.class, () -> Datasets.scanFolder(tmp.resolve("one")));
		assertTrue(single.getMessage().contains(tmp.resolve("one").toString()), single.getMessage());
		assertTrue(single.getMessage().contains("at least 2 classes") && single.getMessage().contains("found 1 (only)"), single.getMessage());

		Files.createDirectories(tmp.resolve("zero"));
		IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> Datasets.scanFolder(tmp.resolve("zero")));
		assertTrue(zero.getMessage().contains("found 0"), zero.getMessage());

		touch("two/cats/a.png");
		touch("two/dogs/readme.txt");
		touch("two/dogs/.b.png");
		IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> Datasets.scanFolder(tmp.resolve("two")));
		assertTrue(empty.getMessage().contains(tmp.resolve("two").resolve("dogs").toString()) && empty.getMessage().contains("no image files"), empty.getMessage());
	}

	Path csv(String relative, String... lines) throws IOException {
		Path p = tmp.resolve(relative);
		Files.createDirectories(p.getParent());
		return Files.write(p, List.of(lines), StandardCharsets.UTF_8);
	}

	@Test
	void readCsvWithQuotesRelativePathsAndGroups() throws IOException {
		Path abs = tmp.resolve("elsewhere/c.png").toAbsolutePath();
		Path file = csv("lists/train.csv",
			"label,path,group",
			"benign,\"img/a, first.png\",p1",
			"\"malignant\",img/b.png,",
			"",
			"benign," + abs + ",\"p\"\"2\"",
			"malignant,../other/./d.png,  p3  ");
		List<Sample> s = Datasets.readCsv(file);
		Path base = tmp.resolve("lists").toAbsolutePath();
		assertEquals(4, s.size(), "the blank line is skipped");
		assertEquals(base.resolve("img/a, first.png"), s.get(0).file());
		assertEquals(base.resolve("img/b.png"), s.get(1).file());
		assertEquals(abs, s.get(2).file());
		assertEquals(tmp.resolve("other/d.png").toAbsolutePath(), s.get(3).file());
		assertEquals(List.of("benign", "malignant", "benign", "malignant"), s.stream().map(Sample::label).collect(Collectors.toList()));
		assertEquals("p1", s.get(0).group());
		assertNull(s.get(1).group(), "an empty group cell is no group");
		assertEquals("p\"2", s.get(2).group());
		assertEquals("p3", s.get(3).group());
	}

	@Test
	void readCsvWithoutGroupColumn() throws IOException {
		Path file = csv("plain.csv", "path,label", "a.png,x", "b.png,y", "c.png,x");
		List<Sample> s = Datasets.readCsv(file);
		assertEquals(3, s.size());
		for (Sample one : s) assertNull(one.group());
		assertEquals(tmp.resolve("c.png").toAbsolutePath(), s.get(2).file());
	}

	@Test
	void readCsvErrorsNameTheFileAndLine() throws IOException {
		Path noPath = csv("nopath.csv", "file,label", "a.png,x", "b.png,y");
		String m1 = assertThrows(IllegalArgumentException.class, () -> Datasets.readCsv(noPath)).getMessage();
		assertTrue(m1.contains(noPath.toString()) && m1.contains("path and label") && m1.contains("[file, label]"), m1);

		Path noLabel = csv("nolabel.csv", "path,class", "a.png,x", "b.png,y");
		String m2 = assertThrows(IllegalArgumentException.class, () -> Datasets.readCsv(noLabel)).getMessage();
		assertTrue(m2.contains(noLabel.toString()) && m2.contains("path and label"), m2);

		Path emptyLabel = csv("emptylabel.csv", "path,label", "a.png,x", "b.png,  ", "c.png,y");
		String m3 = assertThrows(IllegalArgumentException.class, () -> Datasets.readCsv(emptyLabel)).getMessage();
		assertTrue(m3.contains(emptyLabel.toString()) && m3.contains("line 3") && m3.contains("empty label"), m3);

		Path shortRow = csv("short.csv", "path,label", "a.png,x", "b.png");
		String m4 = assertThrows(IllegalArgumentException.class, () -> Datasets.readCsv(shortRow)).getMessage();
		assertTrue(m4.contains("line 3 has 1 cells"), m4);

		Path oneClass = csv("one.csv", "path,label", "a.png,x", "b.png,x");
		String m5 = assertThrows(IllegalArgumentException.class, () -> Datasets.readCsv(oneClass)).getMessage();
		assertTrue(m5.contains(oneClass.toString()) && m5.contains("at least 2 classes"), m5);

		Path empty = Files.createFile(tmp.resolve("empty.csv"));
		String m6 = assertThrows(IllegalArgumentException.class, () -> Datasets.readCsv(empty)).getMessage();
		assertTrue(m6.contains("empty CSV"), m6);
	}

	@Test
	void splitCsvFollowsRfc4180Quotes() {
		assertEquals(List.of("a", "b,c", "d\"e", ""), Datasets.splitCsv("a,\"b,c\",\"d\"\"e\","));
		assertEquals(List.of(""), Datasets.splitCsv(""));
		assertEquals(List.of("x", "", "y"), Datasets.splitCsv("x,,y"));
	}
}
