package org.medcnn.core.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.medcnn.core.BioFormatsRuntime;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;

/**
 * Collects what {@code medcnn doctor} and the Engine Doctor command report: the engine, whether Bio-Formats
 * is there to read compressed DICOM and other formats ({@link BioFormatsRuntime}), and the models.
 */
public final class EngineDoctor {

	private EngineDoctor() {}

	/**
	 * Diagnoses the engine and the models on a search path. Never throws for a broken model: the
	 * problem is reported as its status.
	 *
	 * @param repository the model search path
	 * @return ordered key/value facts
	 */
	public static Map<String, String> diagnose(ModelRepository repository) {
		Map<String, String> out = new LinkedHashMap<>(EnginePolicy.describe());
		out.put("bioformats", BioFormatsRuntime.describe());
		int i = 0;
		for (Path root : repository.roots()) {
			out.put("models_dir." + (++i), root + (Files.isDirectory(root) ? "" : " (absent)"));
		}
		int found = 0;
		Map<String, Path> used = new LinkedHashMap<>();
		Map<String, Integer> shadowed = new LinkedHashMap<>();
		for (ModelRepository.Entry e : repository.list()) {
			found++;
			// Report the package that classify would take for this id; others of the same id are shadowed by it.
			Path chosen = used.computeIfAbsent(e.id(), id -> {
				Path p = repository.locate(id);
				return p == null ? e.dir() : p;
			});
			String state;
			if (e.problem() != null) {
				state = "BROKEN: " + e.problem();
			} else {
				try {
					ModelPackage pkg = ModelPackage.open(e.dir());
					state = "ok, hashes verified, sha256 " + pkg.shortSha() + ", classes " + pkg.card().classes() + ", at " + e.dir() + "; inference graph: "
						+ InferenceGraph.knownState(pkg.card().trunk().sha256(), pkg.card().input().width(), pkg.card().input().height());
				} catch (ModelLoadException ex) {
					state = "BROKEN: " + ex.getMessage();
				}
			}
			if (sameDir(chosen, e.dir())) {
				out.put("model." + e.id(), state);
			} else {
				int n = shadowed.merge(e.id(), 1, Integer::sum);
				out.put("model." + e.id() + ".shadowed" + (n == 1 ? "" : "." + n), "not used (classify takes the package at " + chosen + "): "
					+ (state.startsWith("ok") ? state : state + "; at " + e.dir()));
			}
		}
		if (found == 0) out.put("models", "none found");
		return out;
	}

	private static boolean sameDir(Path a, Path b) {
		return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize()) || OutputGuard.sameFile(a, b);
	}

	/**
	 * Formats facts one per line as {@code key: value}.
	 *
	 * @param facts the facts
	 * @return the text
	 */
	public static String format(Map<String, String> facts) {
		StringBuilder sb = new StringBuilder("MedCNN engine doctor\n");
		for (Map.Entry<String, String> e : facts.entrySet()) sb.append("  ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
		return sb.toString();
	}
}
