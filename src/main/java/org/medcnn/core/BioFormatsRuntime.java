package org.medcnn.core;

import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds Bio-Formats at run time. Bio-Formats is GPL and not on Maven Central, so MedCNN never compiles
 * against it: Fiji ships it, and the command line can be given its jars ({@code MEDCNN_BIOFORMATS}, see
 * {@code bin/medcnn}). It is looked for by class name, first on the current thread's context class loader,
 * then on the class loader that loaded MedCNN; nothing is cached, so a class path that changes (a test,
 * a plugin class loader) is seen at once.
 */
public final class BioFormatsRuntime {

	/** The importer MedCNN calls ({@code bio-formats_plugins}); it needs ImageJ 1.x too. */
	public static final String IMPORTER = "loci.plugins.BF";

	/** The readers ({@code formats-api}); its {@code VERSION} field gives the version. */
	public static final String FORMAT_TOOLS = "loci.formats.FormatTools";

	/** The environment variable that {@code bin/medcnn} reads to put Bio-Formats on the command line's class path. */
	public static final String ENVIRONMENT_VARIABLE = "MEDCNN_BIOFORMATS";

	/**
	 * Bio-Formats as found.
	 *
	 * @param version its version, e.g. {@code 8.0.0}
	 * @param loader the class loader that has it
	 * @param where the jar (or folder) its importer was loaded from, for the doctor; empty when unknown
	 */
	public record Found(String version, ClassLoader loader, String where) {}

	private BioFormatsRuntime() {}

	/**
	 * Looks for Bio-Formats: both its readers and its ImageJ importer.
	 *
	 * @return Bio-Formats, or empty when it is not on the class path (or only part of it is)
	 */
	public static Optional<Found> find() {
		for (ClassLoader loader : loaders()) {
			Class<?> importer = load(IMPORTER, loader);
			Class<?> tools = load(FORMAT_TOOLS, loader);
			if (importer == null || tools == null) continue;
			return Optional.of(new Found(version(tools), importer.getClassLoader(), where(importer)));
		}
		return Optional.empty();
	}

	/**
	 * Says whether Bio-Formats is available and which version, one line for {@code medcnn doctor} and the
	 * Engine Doctor command.
	 *
	 * @return e.g. {@code available, version 8.0.0 (...)}, or {@code not available: ...} with how to get it
	 */
	public static String describe() {
		Optional<Found> found = find();
		if (found.isPresent()) {
			Found f = found.get();
			return "available, version " + f.version() + (f.where().isEmpty() ? "" : " (" + f.where() + ")")
				+ "; used for compressed DICOM and formats MedCNN's own readers do not know";
		}
		boolean partly = loaders().stream().anyMatch(l -> load(FORMAT_TOOLS, l) != null);
		String why = partly ? "incomplete: its readers (" + FORMAT_TOOLS + ") are on the class path but not its ImageJ importer (" + IMPORTER
			+ ", the bio-formats_plugins jar)" : "not available";
		return why + "; compressed DICOM (JPEG, JPEG 2000, RLE) and formats such as vendor microscopy files need it: Fiji has it, "
			+ "and the command line uses it when " + ENVIRONMENT_VARIABLE + " names a Fiji.app or a folder of Bio-Formats jars";
	}

	private static List<ClassLoader> loaders() {
		List<ClassLoader> out = new ArrayList<>(2);
		ClassLoader context = Thread.currentThread().getContextClassLoader();
		if (context != null) out.add(context);
		ClassLoader own = BioFormatsRuntime.class.getClassLoader();
		if (own != null && own != context) out.add(own);
		return out;
	}

	private static Class<?> load(String name, ClassLoader loader) {
		try {
			return Class.forName(name, false, loader);
		} catch (ClassNotFoundException | LinkageError e) {
			return null;
		}
	}

	private static String version(Class<?> tools) {
		try {
			Object v = tools.getField("VERSION").get(null);
			return v == null ? "unknown" : v.toString();
		} catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
			return "unknown";
		}
	}

	private static String where(Class<?> c) {
		try {
			CodeSource cs = c.getProtectionDomain().getCodeSource();
			URL url = cs == null ? null : cs.getLocation();
			return url == null ? "" : java.nio.file.Path.of(url.toURI()).toString();
		} catch (java.net.URISyntaxException | RuntimeException e) {
			return "";
		}
	}
}
