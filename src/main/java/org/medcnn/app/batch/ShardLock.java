package org.medcnn.app.batch;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.medcnn.app.MedCnnException.Kind;
import org.medcnn.app.MedCnnException;
import org.medcnn.io.AtomicFiles;

/**
 * Makes one live process the owner of a shard's outputs. Two runs of one shard into one output folder
 * (a cluster requeue while the first task still runs, a {@code --resume} started too early, Fiji and a
 * terminal) would otherwise overwrite each other's files and leave a manifest that describes neither.
 * <p>
 * The lock is an operating-system lock ({@link FileChannel#tryLock}) on a byte of the file
 * {@value #LOCK_FILE} in the output folder: the operating system releases it when the process ends, however
 * it ends ({@code kill -9}, a node crash that ends the process), so a later run never finds a stale lock
 * and needs no clean-up. Locked bytes:
 * <ul>
 * <li>one byte per shard ({@code i} of {@code n}), exclusive: one run per shard;</li>
 * <li>one byte per shard count {@code n}, shared by every run of a shard of {@code n}; a run also checks,
 * with a short exclusive lock on all other counts' bytes, that no run with another shard count writes into
 * the folder (their shards would overlap: input {@code k} is in shard {@code k mod n}).</li>
 * </ul>
 * The owner writes who it is (host, process id, start time, shard, command) to
 * {@code .medcnn-owner-shard-<i>-of-<n>.json}, so that a refused run can name it. Inside one Java process
 * (Fiji running two batches) the same rules hold, through a table of the locks this process holds: the
 * operating system does not lock a process out of its own locks.
 * <p>
 * The lock works wherever the file system honours {@code fcntl} locks: local disks, NFS with locking
 * (v4, or v3 with lockd), Lustre and GPFS mounted with locking. A file system that refuses locks makes
 * the run fail with a message instead of running unprotected.
 */
public final class ShardLock implements AutoCloseable {

	/** The lock file in the output folder (kept: deleting a lock file while others have it open breaks locking). */
	public static final String LOCK_FILE = ".medcnn-batch.lock";

	private static final Pattern OWNER_NAME = Pattern.compile("\\.medcnn-owner-shard-(\\d+)-of-(\\d+)\\.json");
	/** First locked byte of the shard counts: byte COUNTS + n is count n. */
	private static final long COUNTS = 1L << 32;
	/** Bytes of the shard counts: counts up to Integer.MAX_VALUE. */
	private static final long COUNT_SPAN = 1L << 31;
	/** First locked byte of the shards: shard i of n is byte SHARDS + n (n - 1) / 2 + i. */
	private static final long SHARDS = 1L << 34;
	/** Tries of the short exclusive lock on the other counts (another run may hold it for a moment). */
	private static final int TRIES = 50;

	/** The folders this process holds locks in, by lock file. */
	private static final Map<Path, Folder> FOLDERS = new HashMap<>();

	private final Folder folder;
	private final int index;
	private final int count;
	private final Path ownerFile;
	private boolean closed;

	private ShardLock(Folder folder, int index, int count, Path ownerFile) {
		this.folder = folder;
		this.index = index;
		this.count = count;
		this.ownerFile = ownerFile;
	}

	/**
	 * Makes this process the owner of a shard's outputs.
	 *
	 * @param outputDir the output folder (it exists)
	 * @param index the shard
	 * @param count the number of shards
	 * @param command what runs, for the owner record (e.g. {@code medcnn batch --resume})
	 * @return the lock; close it when the run has written its last file
	 * @throws MedCnnException {@link Kind#BUSY} naming the other process when another run of this shard, or
	 *         a run with another shard count, writes into the folder; {@link Kind#OUTPUT} when the folder
	 *         cannot be locked
	 */
	public static ShardLock acquire(Path outputDir, int index, int count, String command) throws MedCnnException {
		Path lockFile = outputDir.resolve(LOCK_FILE);
		synchronized (FOLDERS) {
			Path key = key(outputDir);
			Folder f = FOLDERS.get(key);
			boolean opened = false;
			try {
				if (f == null) {
					f = new Folder(FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE));
					opened = true;
				}
				ShardLock lock = f.acquire(outputDir, index, count, command);
				if (opened) FOLDERS.put(key, f);
				return lock;
			} catch (IOException e) {
				throw new MedCnnException(Kind.OUTPUT, "output_dir " + outputDir + ": cannot lock " + LOCK_FILE + " (" + e.getMessage()
					+ "); the file system must support file locks (local disks, NFS with locking) so that two runs cannot write one shard at once", e);
			} finally {
				if (opened && !FOLDERS.containsKey(key)) f.closeQuietly();
			}
		}
	}

	/**
	 * Tells whether a live process writes a shard now, and which.
	 *
	 * @param outputDir the output folder
	 * @param index the shard
	 * @param count the number of shards
	 * @return the owner (process, host, start, what it runs), or null when no live process holds the shard
	 */
	public static String liveOwner(Path outputDir, int index, int count) {
		Path lockFile = outputDir.resolve(LOCK_FILE);
		if (!Files.isRegularFile(lockFile)) return null;
		synchronized (FOLDERS) {
			Folder mine = FOLDERS.get(key(outputDir));
			if (mine != null) {
				String who = mine.shardOwners.get(shardByte(index, count));
				if (who != null) return who;
			}
			// Probe through this process's channel when it has one: closing another channel on the file would
			// release every lock this process holds on it (POSIX locks belong to the process, not the channel).
			FileChannel ch = null;
			try {
				ch = mine != null ? mine.channel : FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
				FileLock probe;
				try {
					probe = ch.tryLock(shardByte(index, count), 1, true);
				} catch (OverlappingFileLockException e) {
					probe = null;
				}
				if (probe != null) {
					probe.release();
					return null;
				}
				return describeOwner(ownerFile(outputDir, index, count));
			} catch (IOException e) {
				return null;
			} finally {
				if (mine == null && ch != null) {
					try {
						ch.close();
					} catch (IOException e) {
						// nothing was locked through it
					}
				}
			}
		}
	}

	/** One key per folder on disk, however it is spelled: a second channel on the lock file would release this process's locks when closed. */
	private static Path key(Path outputDir) {
		Path abs = outputDir.toAbsolutePath();
		try {
			return abs.toRealPath().resolve(LOCK_FILE);
		} catch (IOException e) {
			return abs.normalize().resolve(LOCK_FILE);
		}
	}

	/**
	 * Returns the owner file of a shard.
	 *
	 * @param outputDir the output folder
	 * @param index the shard
	 * @param count the number of shards
	 * @return {@code .medcnn-owner-shard-<i>-of-<n>.json}
	 */
	public static Path ownerFile(Path outputDir, int index, int count) {
		return outputDir.resolve(".medcnn-owner-" + BatchOutputs.shardTag(index, count) + ".json");
	}

	/** Releases the lock and removes the owner record. */
	@Override
	public void close() {
		synchronized (FOLDERS) {
			if (closed) return;
			closed = true;
			try {
				Files.deleteIfExists(ownerFile);
			} catch (IOException e) {
				// a stale owner record is harmless: it is read only while its shard is locked
			}
			folder.release(index, count);
			if (folder.empty()) {
				FOLDERS.values().remove(folder);
				folder.closeQuietly();
			}
		}
	}

	private static long shardByte(int index, int count) {
		return SHARDS + (long) count * (count - 1) / 2 + index;
	}

	/** The locks this process holds in one output folder. */
	private static final class Folder {
		private final FileChannel channel;
		private final Map<Long, FileLock> shards = new HashMap<>();
		private final Map<Long, String> shardOwners = new HashMap<>();
		private final Map<Integer, FileLock> counts = new HashMap<>();
		private final Map<Integer, Integer> countUsers = new HashMap<>();

		Folder(FileChannel channel) {
			this.channel = channel;
		}

		ShardLock acquire(Path outputDir, int index, int count, String command) throws IOException, MedCnnException {
			long shard = shardByte(index, count);
			String shardName = "shard " + index + " of " + count;
			if (shards.containsKey(shard)) {
				throw busy(outputDir, shardName + " is being written by another run in this process (" + shardOwners.get(shard) + ")");
			}
			for (int other : counts.keySet()) {
				if (other != count) {
					throw busy(outputDir, "another run in this process writes a shard of " + other + " into it; runs into one output folder must use one shard count");
				}
			}
			FileLock shardLock = tryLock(shard, false);
			if (shardLock == null) {
				throw busy(outputDir, shardName + " is being written by " + describeOwner(ownerFile(outputDir, index, count)));
			}
			boolean ok = false;
			try {
				if (!counts.containsKey(count)) {
					FileLock countLock = null;
					for (int t = 0; t < TRIES && countLock == null; t++) {
						countLock = tryLock(COUNTS + count, true);
						if (countLock == null) pause();
					}
					if (countLock == null || !noOtherCount(count)) {
						if (countLock != null) countLock.release();
						throw busy(outputDir, "a run with another shard count writes into it (" + otherOwners(outputDir, count)
							+ "); runs into one output folder must use one shard count");
					}
					counts.put(count, countLock);
				}
				countUsers.merge(count, 1, Integer::sum);
				Path owner = ownerFile(outputDir, index, count);
				String who = writeOwner(owner, index, count, command);
				shards.put(shard, shardLock);
				shardOwners.put(shard, who);
				ok = true;
				return new ShardLock(this, index, count, owner);
			} finally {
				if (!ok) shardLock.release();
			}
		}

		/** Whether no process holds the byte of another shard count (checked with a short exclusive lock). */
		private boolean noOtherCount(int count) throws IOException {
			for (int t = 0; t < TRIES; t++) {
				// (A lock of size 0 would reach to the end of all files: never asked for.)
				long aboveSize = COUNT_SPAN - count - 1;
				FileLock below = count > 0 ? tryLock(COUNTS, count, false) : null;
				FileLock above = aboveSize > 0 ? tryLock(COUNTS + count + 1, aboveSize, false) : null;
				boolean free = (count == 0 || below != null) && (aboveSize <= 0 || above != null);
				if (below != null) below.release();
				if (above != null) above.release();
				if (free) return true;
				pause();
			}
			return false;
		}

		void release(int index, int count) {
			long shard = shardByte(index, count);
			FileLock l = shards.remove(shard);
			shardOwners.remove(shard);
			releaseQuietly(l);
			int users = countUsers.merge(count, -1, Integer::sum);
			if (users <= 0) {
				countUsers.remove(count);
				releaseQuietly(counts.remove(count));
			}
		}

		boolean empty() {
			return shards.isEmpty() && counts.isEmpty();
		}

		void closeQuietly() {
			try {
				channel.close();
			} catch (IOException e) {
				// closing releases the locks; nothing else to do
			}
		}

		private FileLock tryLock(long position, boolean shared) throws IOException {
			return tryLock(position, 1, shared);
		}

		private FileLock tryLock(long position, long size, boolean shared) throws IOException {
			try {
				return channel.tryLock(position, size, shared);
			} catch (OverlappingFileLockException e) {
				return null; // held through another channel of this process: busy as well
			}
		}

		private static void releaseQuietly(FileLock l) {
			if (l == null) return;
			try {
				l.release();
			} catch (IOException e) {
				// the channel is closed, which released it
			}
		}

		private static void pause() {
			try {
				Thread.sleep(20);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		}

		/** Names the owners of shards with other counts whose shard byte is locked now. */
		private String otherOwners(Path outputDir, int count) {
			List<String> owners = new ArrayList<>();
			try (DirectoryStream<Path> s = Files.newDirectoryStream(outputDir, ".medcnn-owner-shard-*")) {
				for (Path p : s) {
					Matcher m = OWNER_NAME.matcher(p.getFileName().toString());
					if (!m.matches()) continue;
					int i;
					int n;
					try {
						i = Integer.parseInt(m.group(1));
						n = Integer.parseInt(m.group(2));
					} catch (NumberFormatException e) {
						continue;
					}
					if (n == count || i >= n) continue;
					FileLock probe = tryLock(shardByte(i, n), true);
					if (probe != null) {
						probe.release(); // nobody holds it: a record left by a killed run
						continue;
					}
					owners.add("shard " + i + " of " + n + ": " + describeOwner(p));
					if (owners.size() >= 3) break;
				}
			} catch (IOException e) {
				// fall through with what was found
			}
			return owners.isEmpty() ? "its owner record is not written yet" : String.join("; ", owners);
		}
	}

	private static MedCnnException busy(Path outputDir, String what) {
		return new MedCnnException(Kind.BUSY, "output_dir " + outputDir + ": " + what
			+ "; not started, so that two runs do not overwrite each other's outputs. Wait for it to end, or stop it "
			+ "(a killed run releases the lock at once) and rerun with --resume");
	}

	/** Writes the owner record; returns its one-line description. */
	private static String writeOwner(Path owner, int index, int count, String command) throws IOException {
		JsonObject o = new JsonObject();
		o.addProperty("host", host());
		o.addProperty("pid", ProcessHandle.current().pid());
		o.addProperty("started", Instant.now().toString());
		o.addProperty("shard_index", index);
		o.addProperty("shard_count", count);
		o.addProperty("command", command);
		String job = System.getenv("SLURM_JOB_ID");
		if (job != null) o.addProperty("slurm_job_id", job);
		// squeue and scancel name an array task as <array job>_<task>, not by its own job id.
		String array = System.getenv("SLURM_ARRAY_JOB_ID");
		String task = System.getenv("SLURM_ARRAY_TASK_ID");
		if (array != null && task != null) o.addProperty("slurm_array_task", array + "_" + task);
		String text = o + "\n";
		AtomicFiles.write(owner, true, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
		return describe(o);
	}

	/** Describes the owner recorded in a file, or says that it is not known yet. */
	static String describeOwner(Path owner) {
		try {
			if (Files.isRegularFile(owner) && Files.size(owner) < 64 * 1024) {
				return describe(JsonParser.parseString(Files.readString(owner, StandardCharsets.UTF_8)).getAsJsonObject());
			}
		} catch (IOException | RuntimeException e) {
			// not readable: say so below
		}
		return "another process (it has not written " + owner.getFileName() + " yet)";
	}

	private static String describe(JsonObject o) {
		StringBuilder sb = new StringBuilder("process ");
		sb.append(o.has("pid") ? o.get("pid").getAsString() : "?");
		sb.append(" on host ").append(o.has("host") ? o.get("host").getAsString() : "?");
		if (o.has("slurm_array_task")) {
			sb.append(" (SLURM job ").append(o.get("slurm_array_task").getAsString());
			if (o.has("slurm_job_id")) sb.append(", job id ").append(o.get("slurm_job_id").getAsString());
			sb.append(')');
		} else if (o.has("slurm_job_id")) {
			sb.append(" (SLURM job ").append(o.get("slurm_job_id").getAsString()).append(')');
		}
		sb.append(", started ").append(o.has("started") ? o.get("started").getAsString() : "?");
		if (o.has("command")) sb.append(", running '").append(o.get("command").getAsString()).append('\'');
		return sb.toString();
	}

	private static String host() {
		String h = System.getenv("HOSTNAME");
		if (h != null && !h.isBlank()) return h;
		try {
			return InetAddress.getLocalHost().getHostName();
		} catch (IOException | RuntimeException e) {
			String name = ManagementFactory.getRuntimeMXBean().getName();
			int at = name.indexOf('@');
			return at >= 0 ? name.substring(at + 1) : "unknown";
		}
	}
}
