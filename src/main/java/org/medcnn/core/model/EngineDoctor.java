package org.medcnn.core.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Collects what {@code medcnn doctor} and the Engine Doctor command report.
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
		int i = 0;
		for (Path root : repository.roots()) {
			out.put("models_dir." + (++i), root + (Files.isDirectory(root) ? "" : " (absent)"));
		}
		int found = 0;
		for (ModelRepository.Entry e : repository.list()) {
			found++;
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
			out.put("model." + e.id(), state);
		}
		if (found == 0) out.put("models", "none found");
		return out;
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
