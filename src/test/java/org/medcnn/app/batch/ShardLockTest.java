package org.medcnn.app.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.app.MedCnnException;

/**
 * The shard lock within one process (two batches in one Fiji): one run per shard, shards of one count side
 * by side, no two shard counts at once, whatever the folder's spelling. Across processes: BatchLockTest.
 */
class ShardLockTest {

	@TempDir
	Path dir;

	@Test
	void oneRunPerShardAndOneShardCountPerFolder() throws Exception {
		Path out = Files.createDirectories(dir.resolve("out"));
		Path link = Files.createSymbolicLink(dir.resolve("link"), out);
		try (ShardLock a = ShardLock.acquire(out, 0, 4, "first")) {
			JsonObject owner = JsonParser.parseString(Files.readString(ShardLock.ownerFile(out, 0, 4))).getAsJsonObject();
			assertEquals(ProcessHandle.current().pid(), owner.get("pid").getAsLong());
			assertEquals("first", owner.get("command").getAsString());
			assertTrue(owner.has("host") && owner.has("started"));
			assertTrue(ShardLock.liveOwner(out, 0, 4).contains("first"));
			assertNull(ShardLock.liveOwner(out, 1, 4));

			MedCnnException same = assertThrows(MedCnnException.class, () -> ShardLock.acquire(link, 0, 4, "second"));
			assertEquals(MedCnnException.Kind.BUSY, same.kind());
			assertTrue(same.getMessage().contains("shard 0 of 4 is being written by another run in this process") && same.getMessage().contains("first"),
				same.getMessage());
			MedCnnException count = assertThrows(MedCnnException.class, () -> ShardLock.acquire(out, 0, 2, "other count"));
			assertEquals(MedCnnException.Kind.BUSY, count.kind());
			assertTrue(count.getMessage().contains("shard count"), count.getMessage());
			try (ShardLock b = ShardLock.acquire(link, 3, 4, "alongside")) {
				assertTrue(Files.exists(ShardLock.ownerFile(out, 3, 4)));
			}
			assertFalse(Files.exists(ShardLock.ownerFile(out, 3, 4)), "its owner record goes with it");
			// The refused attempts did not release the first run's lock (closing a second channel would have).
			assertThrows(MedCnnException.class, () -> ShardLock.acquire(out, 0, 4, "third"));
		}
		assertNull(ShardLock.liveOwner(out, 0, 4));
		try (ShardLock again = ShardLock.acquire(out, 0, 2, "after")) {
			assertTrue(Files.exists(ShardLock.ownerFile(out, 0, 2)));
		}
		try (ShardLock extreme = ShardLock.acquire(out, Integer.MAX_VALUE - 1, Integer.MAX_VALUE, "many shards")) {
			assertTrue(ShardLock.liveOwner(out, Integer.MAX_VALUE - 1, Integer.MAX_VALUE) != null);
		}
		assertTrue(Files.exists(out.resolve(ShardLock.LOCK_FILE)), "the lock file stays");
	}

	@Test
	void ownerOfAnArrayTaskIsNamedAsSqueueShowsIt() throws Exception {
		Path owner = dir.resolve(".medcnn-owner-shard-1-of-4.json");
		Files.writeString(owner, "{\"host\": \"node7\", \"pid\": 4242, \"started\": \"2026-01-01T00:00:00Z\", \"command\": \"medcnn batch\", "
			+ "\"slurm_job_id\": \"17\", \"slurm_array_task\": \"15_1\"}");
		assertEquals("process 4242 on host node7 (SLURM job 15_1, job id 17), started 2026-01-01T00:00:00Z, running 'medcnn batch'", ShardLock.describeOwner(owner));
		Files.writeString(owner, "{\"host\": \"node7\", \"pid\": 4242, \"started\": \"2026-01-01T00:00:00Z\", \"slurm_job_id\": \"991\"}");
		assertEquals("process 4242 on host node7 (SLURM job 991), started 2026-01-01T00:00:00Z", ShardLock.describeOwner(owner));
	}
}
