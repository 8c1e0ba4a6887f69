package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

	@TempDir
	Path dir;

	private List<String> listing() throws IOException {
		try (Stream<Path> s = Files.list(dir)) {
			return s.map(p -> p.getFileName().toString()).sorted().toList();
		}
	}

	@Test
	void writesNewFileWithoutLeftovers() throws Exception {
		Path target = dir.resolve("a.txt");
		AtomicFiles.write(target, false, tmp -> {
			assertFalse(Files.exists(target), "the target appears only when complete");
			assertEquals(dir, tmp.getParent(), "temporary file in the same folder, so the rename is atomic");
			Files.writeString(tmp, "hello");
		});
		assertEquals("hello", Files.readString(target));
		assertEquals(List.of("a.txt"), listing());
	}

	@Test
	void refusesExistingTargetUnlessOverwrite() throws Exception {
		Path target = dir.resolve("a.txt");
		Files.writeString(target, "old");
		AtomicBoolean called = new AtomicBoolean();
		IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, false, tmp -> {
			called.set(true);
			Files.writeString(tmp, "new");
		}));
		assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("already exists"), e.getMessage());
		assertFalse(called.get(), "nothing is written when the target exists");
		assertEquals("old", Files.readString(target));
		AtomicFiles.write(target, true, tmp -> Files.writeString(tmp, "new"));
		assertEquals("new", Files.readString(target));
		assertEquals(List.of("a.txt"), listing());
	}

	@Test
	void failedWriteLeavesTargetAndNoTemporaryFile() throws Exception {
		Path target = dir.resolve("a.txt");
		Files.writeString(target, "old");
		IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, true, tmp -> {
			Files.writeString(tmp, "half");
			throw new IOException("disk full");
		}));
		assertEquals("disk full", e.getMessage());
		assertEquals("old", Files.readString(target));
		assertEquals(List.of("a.txt"), listing());
		Path fresh = dir.resolve("b.txt");
		assertThrows(IOException.class, () -> AtomicFiles.write(fresh, false, tmp -> {
			Files.writeString(tmp, "half");
			throw new IOException("disk full");
		}));
		assertFalse(Files.exists(fresh));
		assertEquals(List.of("a.txt"), listing());
	}
}
