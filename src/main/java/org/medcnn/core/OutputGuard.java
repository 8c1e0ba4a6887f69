package org.medcnn.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps outputs away from inputs. Paths are compared by what they are on disk, not by how they are
 * spelled: {@code D/./x.tif}, {@code D/sub/../x.tif}, a symbolic link and a hard link to {@code D/x.tif}
 * all are {@code D/x.tif}, and a folder reached through a bind mount or a link is the folder itself.
 */
public final class OutputGuard {

	private OutputGuard() {}

	/**
	 * Tells whether two paths are the same file or folder on disk (hard and symbolic links, other spellings,
	 * case on file systems that ignore it).
	 *
	 * @param a a path
	 * @param b another path
	 * @return true when both exist and are one file or folder
	 */
	public static boolean sameFile(Path a, Path b) {
		if (a == null || b == null || !Files.exists(a) || !Files.exists(b)) return false;
		try {
			return Files.isSameFile(a, b);
		} catch (IOException | SecurityException e) {
			return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
		}
	}

	/**
	 * Tells whether a path is a folder or lies inside it, at any depth, on disk: the nearest existing
	 * ancestor of {@code path} (the path itself when it exists) or one of that ancestor's ancestors is the
	 * folder. A path that does not exist yet is compared through the part of it that does.
	 *
	 * @param path a file or folder, existing or not
	 * @param folder an existing folder
	 * @return true when {@code path} is {@code folder} or lies in it
	 */
	public static boolean within(Path path, Path folder) {
		if (path == null || folder == null || !Files.isDirectory(folder)) return false;
		Path p = existingPart(path);
		if (p == null) return false;
		try {
			// Walk up the real path: the parent of a link is not where the link leads.
			p = p.toRealPath();
		} catch (IOException | SecurityException e) {
			p = p.normalize();
		}
		for (; p != null; p = p.getParent()) {
			if (sameFile(p, folder)) return true;
		}
		return false;
	}

	/**
	 * Tells whether two folders overlap: one is the other or lies inside it.
	 *
	 * @param a a folder, existing or not
	 * @param b another folder, existing or not
	 * @return true when one lies in the other
	 */
	public static boolean overlap(Path a, Path b) {
		return within(a, b) || within(b, a);
	}

	/**
	 * Refuses an output that is one of the inputs.
	 *
	 * @param output the output file
	 * @param input an input file
	 * @param outputParameter the parameter that named the output folder, for the message (e.g. {@code --output})
	 * @throws IllegalArgumentException naming both when writing the output would replace the input
	 */
	public static void refuseInput(Path output, Path input, String outputParameter) {
		// Same file on disk, or the same path once the part that does not exist yet is created (D/new/../x.tif is D/x.tif).
		if (sameFile(output, input) || Files.exists(input) && real(output).equals(real(input))) {
			throw new IllegalArgumentException(output + " would replace the input " + input + " (the same file on disk); choose another "
				+ outputParameter + " (this is refused with or without --overwrite)");
		}
	}

	/**
	 * Returns the absolute path with the part that exists resolved on disk (links followed,
	 * {@code .} and {@code ..} resolved as the file system does), and the rest appended normalised.
	 *
	 * @param path a path, existing or not
	 * @return the path as it is, or would be, on disk
	 */
	public static Path real(Path path) {
		Path abs = path.toAbsolutePath();
		Path existing = existingPart(abs);
		if (existing == null) return abs.normalize();
		try {
			Path real = existing.toRealPath();
			return existing.equals(abs) ? real : real.resolve(existing.relativize(abs)).normalize();
		} catch (IOException | RuntimeException e) {
			return abs.normalize();
		}
	}

	/** The path itself when it exists, else its nearest existing ancestor; null when none exists. */
	private static Path existingPart(Path path) {
		Path p = path.toAbsolutePath();
		while (p != null && !Files.exists(p)) p = p.getParent();
		return p;
	}
}
