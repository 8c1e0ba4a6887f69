package org.medcnn.core.model;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.medcnn.core.Messages;

/**
 * Finds model packages by id in a list of model folders, or by path.
 * <p>
 * The default search path is: the folders in the system property {@code medcnn.models} and the
 * environment variable {@code MEDCNN_MODELS} (path-separator lists), {@code models/} in the working
 * directory, and {@code models/} next to and one level above the MedCNN jar (inside Fiji:
 * {@code Fiji.app/models/}).
 */
public final class ModelRepository {

	private final List<Path> roots;

	/**
	 * Creates a repository over explicit folders.
	 *
	 * @param roots folders that hold one sub-folder per model package
	 */
	public ModelRepository(List<Path> roots) {
		this.roots = List.copyOf(roots);
	}

	/**
	 * Creates a repository with the default search path, preceded by extra folders.
	 *
	 * @param extra folders to search first (e.g. one the user named); may be empty
	 * @return the repository
	 */
	public static ModelRepository withDefaults(List<Path> extra) {
		Set<Path> dirs = new LinkedHashSet<>(extra);
		addPathList(dirs, System.getProperty("medcnn.models"));
		addPathList(dirs, System.getenv("MEDCNN_MODELS"));
		dirs.add(Paths.get("models"));
		Path jarDir = jarDir();
		if (jarDir != null) {
			dirs.add(jarDir.resolve("models"));
			if (jarDir.getParent() != null) dirs.add(jarDir.getParent().resolve("models"));
		}
		List<Path> norm = new ArrayList<>();
		for (Path p : dirs) {
			Path n = p.toAbsolutePath().normalize();
			if (!norm.contains(n)) norm.add(n);
		}
		return new ModelRepository(norm);
	}

	private static void addPathList(Set<Path> dirs, String list) {
		if (list == null || list.isBlank()) return;
		for (String s : list.split(File.pathSeparator)) {
			if (!s.isBlank()) dirs.add(Paths.get(s.trim()));
		}
	}

	private static Path jarDir() {
		try {
			var src = ModelRepository.class.getProtectionDomain().getCodeSource();
			if (src == null) return null;
			Path p = Paths.get(src.getLocation().toURI());
			return Files.isRegularFile(p) ? p.getParent() : null;
		} catch (URISyntaxException | RuntimeException e) {
			return null;
		}
	}

	/** @return the folders searched, in order */
	public List<Path> roots() {
		return roots;
	}

	/**
	 * Resolves a model id or a package folder path and opens the package.
	 *
	 * @param idOrPath a model id (e.g. {@code brain-tumor-mri}) or a path to a package folder
	 * @return the verified package
	 * @throws ModelLoadException if nothing matches, listing the folders searched and the ids found
	 */
	public ModelPackage open(String idOrPath) throws ModelLoadException {
		if (idOrPath == null || idOrPath.isBlank()) throw new ModelLoadException("model: no model id or folder given");
		String s = idOrPath.trim();
		if (s.contains(",") && !Files.isDirectory(Paths.get(s))) {
			throw new ModelLoadException("model '" + s + "' names several models (comma-separated); this command takes one model or one ensemble package");
		}
		Path asPath = Paths.get(s);
		boolean looksLikePath = s.contains("/") || s.contains(File.separator) || s.startsWith(".");
		if (looksLikePath || Files.isDirectory(asPath)) return ModelPackage.open(asPath);
		List<Entry> listed = new ArrayList<>();
		Path dir = locate(s, listed);
		if (dir != null) return ModelPackage.open(dir);
		List<String> ids = new ArrayList<>();
		for (Entry e : listed) ids.add(e.id());
		throw new ModelLoadException("model '" + Messages.clip(s, 80) + "' not found; searched " + Messages.list(roots)
			+ "; models available: " + (ids.isEmpty() ? "none" : Messages.list(ids)));
	}

	/**
	 * Returns the package folder that {@link #open} takes for a model id, without verifying it: the first
	 * search folder's sub-folder of that name whose card carries the id, else the first package (in search
	 * order) whose card carries it. Packages of the same id further down the search path are shadowed by it.
	 *
	 * @param id a model id
	 * @return the folder, or null when no package has the id
	 */
	public Path locate(String id) {
		return locate(id, new ArrayList<>());
	}

	private Path locate(String id, List<Entry> listed) {
		for (Path root : roots) {
			Path dir = root.resolve(id);
			// A folder named like the id is taken only when its card carries that id.
			if (Files.isRegularFile(dir.resolve(ModelPackage.CARD)) && id.equals(cardId(dir))) return dir;
		}
		// Folders named otherwise: their cards are read (each bounded by ModelCard.MAX_BYTES), once.
		listed.addAll(list());
		for (Entry e : listed) {
			if (e.id().equals(id)) return e.dir();
		}
		return null;
	}

	private static String cardId(Path dir) {
		try {
			return ModelCard.read(dir.resolve(ModelPackage.CARD)).id();
		} catch (ModelLoadException e) {
			// A broken card under the right folder name: open it so the user sees what is wrong.
			return dir.getFileName().toString();
		}
	}

	/**
	 * Lists the packages found in the search folders, without verifying their files.
	 *
	 * @return one entry per folder holding a {@code model.json}; the id is read from the card when it parses
	 */
	public List<Entry> list() {
		List<Entry> out = new ArrayList<>();
		for (Path root : roots) {
			if (!Files.isDirectory(root)) continue;
			try (Stream<Path> children = Files.list(root)) {
				List<Path> dirs = new ArrayList<>(children.filter(d -> Files.isRegularFile(d.resolve(ModelPackage.CARD))).toList());
				Collections.sort(dirs);
				for (Path d : dirs) {
					String id;
					String problem = null;
					try {
						id = ModelCard.read(d.resolve(ModelPackage.CARD)).id();
					} catch (ModelLoadException e) {
						id = d.getFileName().toString();
						problem = e.getMessage();
					}
					out.add(new Entry(id, d, problem));
				}
			} catch (IOException e) {
				// An unreadable folder holds no usable models; doctor reports roots separately.
			}
		}
		return out;
	}

	/**
	 * A package found on the search path.
	 *
	 * @param id the card's id (or the folder name when the card does not parse)
	 * @param dir the package folder
	 * @param problem why the card does not parse, or null
	 */
	public record Entry(String id, Path dir, String problem) {}
}
