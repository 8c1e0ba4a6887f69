package org.medcnn.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** Test fixtures: the tiny committed model, copies of it, and ../shared when present. */
public final class Fixtures {

	private Fixtures() {}

	/**
	 * Sets a system property back to a value read earlier.
	 *
	 * @param key the property
	 * @param value its earlier value; null clears it
	 */
	public static void restoreProperty(String key, String value) {
		if (value == null) System.clearProperty(key);
		else System.setProperty(key, value);
	}

	/**
	 * Slices held in memory as a source, read one at a time (no concurrent reads).
	 *
	 * @param name the source's name
	 * @param slices the slices, in order
	 * @return the source
	 */
	public static org.medcnn.core.image.SliceSource slices(String name, List<org.medcnn.core.image.Slice> slices) {
		return new org.medcnn.core.image.SliceSource() {
			@Override
			public String name() {
				return name;
			}

			@Override
			public int size() {
				return slices.size();
			}

			@Override
			public org.medcnn.core.image.Slice get(int position) {
				return slices.get(position);
			}
		};
	}

	/**
	 * The {@code -D} option that points a child JVM at this test run's cache folder
	 * ({@code medcnn.cache.dir}, set by the build), so that tests never write under the user's home.
	 *
	 * @return the option
	 */
	public static String cacheDirOption() {
		String dir = System.getProperty(org.medcnn.core.engine.EngineSetting.CACHE_DIR.key());
		if (dir == null) dir = Paths.get("target", "medcnn-cache").toAbsolutePath().toString();
		return "-D" + org.medcnn.core.engine.EngineSetting.CACHE_DIR.key() + "=" + dir;
	}

	/** @return the committed tiny-brightness model package folder */
	public static Path tinyModel() {
		return resource("/models/tiny-brightness");
	}

	/**
	 * Returns a test resource as a path.
	 *
	 * @param name resource name starting with '/'
	 * @return the path
	 */
	public static Path resource(String name) {
		try {
			return Paths.get(Fixtures.class.getResource(name).toURI());
		} catch (URISyntaxException | NullPointerException e) {
			throw new IllegalStateException("missing test resource " + name, e);
		}
	}

	/**
	 * Copies the tiny model into a folder so a test can damage it.
	 *
	 * @param dir target parent folder
	 * @return the copy
	 */
	public static Path copyTinyModel(Path dir) {
		Path target = dir.resolve("tiny-brightness");
		try {
			Files.createDirectories(target);
			try (Stream<Path> files = Files.list(tinyModel())) {
				for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, target.resolve(f.getFileName()));
			}
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return target;
	}

	/**
	 * Returns the shared folder (../shared next to the checkout, or the {@code medcnn.shared} property),
	 * skipping the calling test with a clear message when it is absent.
	 *
	 * @param sub a sub-path that must exist, e.g. {@code data/samples}
	 * @return the path of the sub-path
	 */
	public static Path sharedOrSkip(String sub) {
		String prop = System.getProperty("medcnn.shared");
		Path shared = prop != null ? Paths.get(prop) : Paths.get("..", "shared").toAbsolutePath().normalize();
		Path p = shared.resolve(sub);
		Assumptions.assumeTrue(Files.exists(p), "skipped: " + p + " is absent (the shared data folder is only on CI and developer machines)");
		return p;
	}

		/**
	 * Writes a tiny two-class PNG data set: "bright" slices around 170 and "dark" ones around 60, with
	 * seeded noise and a disc that grows with the index (so no two images are near-duplicates).
	 *
	 * @param dir the data folder to create
	 * @param n images per class
	 * @return the data folder
	 * @throws IOException if writing fails
	 */
	public static Path syntheticSet(Path dir, int n) throws IOException {
		java.util.Random r = new java.util.Random(5);
		for (String cls : List.of("bright", "dark")) {
			Path d = Files.createDirectories(dir.resolve(cls));
			for (int i = 0; i < n; i++) {
				java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
				int base = cls.equals("bright") ? 170 : 60;
				for (int y = 0; y < 32; y++) {
					for (int x = 0; x < 32; x++) {
						int v = base + r.nextInt(60) - 30 + ((x - 16) * (x - 16) + (y - 16) * (y - 16) < 40 + i ? 20 : 0);
						img.getRaster().setSample(x, y, 0, Math.max(0, Math.min(255, v)));
					}
				}
				javax.imageio.ImageIO.write(img, "png", d.resolve(cls + i + ".png").toFile());
			}
		}
		return dir;
	}

	/**
	 * Deletes a folder tree (for tests that must clean up outside their temp folder).
	 *
	 * @param dir the folder
	 */
	public static void deleteTree(Path dir) {
		if (!Files.exists(dir)) return;
		try (Stream<Path> s = Files.walk(dir)) {
			s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
