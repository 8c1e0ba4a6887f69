package org.medcnn.core.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** SHA-256 of files, as lower-case hex. */
public final class Hashes {

	/** Hashes of files already read in this process, by what identifies one version of a file. */
	private static final Map<String, String> SEEN = new ConcurrentHashMap<>();

	private Hashes() {}

	/**
	 * The SHA-256 of a file, read again only when the file may have changed since this process last
	 * hashed it: same path, inode, size, modification and status-change times (the latter cannot be
	 * set back by tools, unlike the modification time). Model packages are verified at every command
	 * run; this keeps that from re-reading a 9 MB trunk each time (about 10 ms).
	 *
	 * @param file the file
	 * @return 64 lower-case hex digits
	 * @throws IOException if the file cannot be read
	 */
	public static String sha256Cached(Path file) throws IOException {
		String key = stamp(file);
		String known = SEEN.get(key);
		if (known != null) return known;
		String sha = sha256(file.toRealPath());
		if (SEEN.size() > 4096) SEEN.clear();
		SEEN.put(key, sha);
		return sha;
	}

	/**
	 * What identifies one version of a file for {@link #sha256Cached}: its real path, inode, size,
	 * modification and status-change times. A file whose stamp is unchanged is taken to be unchanged.
	 *
	 * @param file the file
	 * @return the stamp
	 * @throws IOException if the file cannot be reached
	 */
	public static String stamp(Path file) throws IOException {
		Path real = file.toRealPath();
		BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
		Object ctime;
		try {
			ctime = Files.getAttribute(real, "unix:ctime");
		} catch (UnsupportedOperationException | IllegalArgumentException e) {
			ctime = "";
		}
		return real + "|" + a.fileKey() + "|" + a.size() + "|" + a.lastModifiedTime() + "|" + ctime;
	}

	/**
	 * Computes the SHA-256 of bytes.
	 *
	 * @param bytes the bytes
	 * @return 64 lower-case hex digits
	 */
	public static String sha256(byte[] bytes) {
		return HexFormat.of().formatHex(digest().digest(bytes));
	}

	private static MessageDigest digest() {
		try {
			return MessageDigest.getInstance("SHA-256");
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("SHA-256 is missing from this JVM", e);
		}
	}

	/**
	 * Computes the SHA-256 of a file.
	 *
	 * @param file the file
	 * @return 64 lower-case hex digits
	 * @throws IOException if the file cannot be read
	 */
	public static String sha256(Path file) throws IOException {
		MessageDigest md = digest();
		byte[] buf = new byte[1 << 16];
		try (InputStream in = Files.newInputStream(file)) {
			int n;
			while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
		}
		return HexFormat.of().formatHex(md.digest());
	}
}
