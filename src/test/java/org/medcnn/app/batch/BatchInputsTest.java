package org.medcnn.app.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.app.batch.BatchInputs.Input;
import org.medcnn.testing.TinyDicom;

/** Which files and folders of a batch folder are inputs, in which order, and how shards split them. */
class BatchInputsTest {

	@TempDir
	Path dir;

	private Path touch(String rel) throws IOException {
		Path p = dir.resolve(rel);
		Files.createDirectories(p.getParent());
		return Files.write(p, new byte[] {1, 2, 3});
	}

	private Path dicom(String rel) throws IOException {
		Path p = dir.resolve(rel);
		Files.createDirectories(p.getParent());
		return new TinyDicom(2, 2, new short[4]).series("1.2.3").write(p);
	}

	private List<String> sources(boolean recursive, String pattern) throws IOException {
		return BatchInputs.list(dir, recursive, pattern, null).stream().map(Input::source).toList();
	}

	@Test
	void imageFilesByEndingAndDicomByPreambleSorted() throws IOException {
		for (String f : List.of("b.png", "a.TIF", "c.nii.gz", "d.hdr", "d.img", "e.jpeg", "f.gif", "g.bmp", "h.dcm", "notes.txt", "table.csv",
			".hidden.png", "k.nii")) {
			touch(f);
		}
		dicom("IM0001");
		assertEquals(List.of("IM0001", "a.TIF", "b.png", "c.nii.gz", "d.hdr", "e.jpeg", "f.gif", "g.bmp", "h.dcm", "k.nii"), sources(false, null),
			"image endings in any case, DICOM without an ending by its preamble; no .img (read through its .hdr), no text, no hidden files");
	}

	@Test
	void patternSelectsFileNamesWhateverTheirContent() throws IOException {
		touch("a.png");
		touch("b.nii.gz");
		touch("c.nii.gz");
		touch("raw.dat");
		assertEquals(List.of("b.nii.gz", "c.nii.gz"), sources(false, "*.nii.gz"));
		assertEquals(List.of("raw.dat"), sources(false, "*.dat"), "a pattern takes what it names");
		assertEquals(List.of(), sources(false, "*.PNG"), "globs are case-sensitive");
	}

	@Test
	void seriesSubFoldersAreOneInputEachAlsoWithoutRecursion() throws IOException {
		touch("top.png");
		dicom("patient1/s1.dcm");
		dicom("patient1/s2.dcm");
		touch("patient1/readme.txt"); // not an image: does not stop the folder being a series
		dicom("patient2/IM1");
		touch("mixed/x.dcm");
		touch("mixed/y.png");
		touch("pngs/z.png");
		dicom("deep/study/series/1.dcm");
		List<Input> flat = BatchInputs.list(dir, false, null, null);
		assertEquals(List.of("patient1", "patient2", "top.png"), flat.stream().map(Input::source).toList(),
			"immediate series sub-folders count; a folder with other images does not; nothing deeper without recursion");
		assertTrue(flat.get(0).series() && flat.get(1).series() && !flat.get(2).series());
		assertEquals(List.of("deep/study/series", "mixed/x.dcm", "mixed/y.png", "patient1", "patient2", "pngs/z.png", "top.png"), sources(true, null),
			"recursive: series folders at any depth are one input, other folders' images one input each");
	}

	@Test
	void patternOnSeriesFolderNameOrItsFiles() throws IOException {
		dicom("ct-1/a.dcm");
		dicom("mr-1/IM1");
		assertEquals(List.of("ct-1"), sources(false, "ct-*"), "folder name");
		assertEquals(List.of("ct-1"), sources(false, "*.dcm"), "file name");
		assertEquals(List.of("mr-1"), sources(false, "IM*"));
	}

	@Test
	void theOutputFolderIsNeverSearched() throws IOException {
		touch("a.png");
		touch("out/files/a.png.tif");
		touch("sub/b.png");
		assertEquals(List.of("a.png", "sub/b.png"), BatchInputs.list(dir, true, null, dir.resolve("out")).stream().map(Input::source).toList());
	}

	@Test
	void outputNamesFlattenThePathAndKeepTheExtension() throws IOException {
		assertEquals("p1__ct.nii.gz", BatchInputs.outputName("p1/ct.nii.gz"));
		touch("a/b.png");
		touch("a__b.png");
		touch("A__B.png");
		List<Input> in = BatchInputs.list(dir, true, null, null);
		assertEquals(List.of("A__B.png", "a/b.png", "a__b.png"), in.stream().map(Input::source).toList());
		assertNull(in.get(0).problem());
		assertNotNull(in.get(1).problem(), "a/b.png clashes with A__B.png (file systems that ignore case)");
		assertTrue(in.get(1).problem().contains("A__B.png"), in.get(1).problem());
		assertNotNull(in.get(2).problem());
	}

	@Test
	void shardsCoverEveryInputExactlyOnceInListOrder() {
		List<Integer> list = IntStream.range(0, 23).boxed().toList();
		for (int n = 1; n <= 30; n++) {
			Set<Integer> seen = new HashSet<>();
			List<Integer> all = new ArrayList<>();
			for (int i = 0; i < n; i++) {
				List<Integer> shard = BatchInputs.shard(list, i, n);
				for (int v : shard) assertEquals(i, v % n, "element " + v + " belongs to shard " + v % n);
				all.addAll(shard);
				seen.addAll(shard);
			}
			assertEquals(23, all.size(), "no element twice for n=" + n);
			assertEquals(23, seen.size(), "every element once for n=" + n);
		}
		assertEquals(List.of(1, 4, 7), BatchInputs.shard(List.of(0, 1, 2, 3, 4, 5, 6, 7), 1, 3));
		assertEquals(List.of(), BatchInputs.shard(List.of(0), 1, 2), "more shards than inputs: empty shards");
		assertThrows(IllegalArgumentException.class, () -> BatchInputs.shard(list, 2, 2));
		assertThrows(IllegalArgumentException.class, () -> BatchInputs.shard(list, 0, 0));
	}
}
