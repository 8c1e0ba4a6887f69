package org.medcnn.core.engine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;

/**
 * The loaded models one classification uses: a single package, an ensemble package (several heads on
 * one trunk), or several packages given together (comma-separated ids or folders). All must agree on
 * the classes (same names, same order) and on the input contract, so that their probabilities can be
 * averaged slice by slice.
 */
public final class Ensemble {

	private final List<ClassifierModel> models;
	private final String id;
	private final String sha256;

	private Ensemble(List<ClassifierModel> models, String id, String sha256) {
		this.models = List.copyOf(models);
		this.id = id;
		this.sha256 = sha256;
	}

	/**
	 * Wraps one loaded package (which may itself be an ensemble package).
	 *
	 * @param model the model
	 * @return the set
	 */
	public static Ensemble of(ClassifierModel model) {
		return new Ensemble(List.of(model), model.pkg().card().id(), model.pkg().sha256());
	}

	/**
	 * Combines loaded packages.
	 *
	 * @param models one or more models
	 * @return the set; its id joins the member ids with '+', its hash is the SHA-256 of the members'
	 *         card hashes in order
	 * @throws ModelLoadException naming both packages when classes or input contracts differ
	 */
	public static Ensemble of(List<ClassifierModel> models) throws ModelLoadException {
		if (models.isEmpty()) throw new IllegalArgumentException("no models given");
		if (models.size() == 1) return of(models.get(0));
		ModelPackage first = models.get(0).pkg();
		List<String> ids = new ArrayList<>();
		StringBuilder shas = new StringBuilder();
		for (ClassifierModel m : models) {
			ModelPackage p = m.pkg();
			if (!p.card().classes().equals(first.card().classes())) {
				throw new ModelLoadException("models " + first.card().id() + " (" + first.dir() + ") and " + p.card().id() + " (" + p.dir()
					+ ") cannot be combined: their classes differ, " + first.card().classes() + " vs " + p.card().classes());
			}
			if (!p.card().input().toString().equals(first.card().input().toString())) {
				throw new ModelLoadException("models " + first.card().id() + " (" + first.dir() + ") and " + p.card().id() + " (" + p.dir()
					+ ") cannot be combined: their input contracts differ, " + first.card().input() + " vs " + p.card().input());
			}
			ids.add(p.card().id());
			shas.append(p.sha256()).append('\n');
		}
		return new Ensemble(models, String.join("+", ids), sha(shas.toString()));
	}

	private static String sha(String text) {
		try {
			byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(d);
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}

	/** @return the loaded packages */
	public List<ClassifierModel> models() {
		return models;
	}

	/** @return the first package, whose card gives classes and input contract for all */
	public ModelPackage primary() {
		return models.get(0).pkg();
	}

	/** @return the id shown in results: the package id, or the member ids joined with '+' */
	public String id() {
		return id;
	}

	/** @return the SHA-256 of the package card, or of the members' card hashes for several packages */
	public String sha256() {
		return sha256;
	}

	/** @return the first 12 hex digits of {@link #sha256()}, as shown in results */
	public String shortSha() {
		return sha256.substring(0, 12);
	}

	/** @return the number of members: heads over all packages */
	public int memberCount() {
		int n = 0;
		for (ClassifierModel m : models) n += m.pkg().heads().size();
		return n;
	}

	/** @return whether more than one member is averaged */
	public boolean isEnsemble() {
		return memberCount() > 1;
	}

	/**
	 * The flag threshold the card states for a mode; only a single package (plain or ensemble) has one.
	 *
	 * @param mode the mode key, e.g. {@code mc_dropout}
	 * @return the threshold, or null
	 */
	public ModelCard.FlagThreshold flagThreshold(String mode) {
		return models.size() == 1 ? primary().card().flagThreshold(mode) : null;
	}

	/** @return the devices used, e.g. {@code cpu}; distinct names joined with '+' */
	public String deviceName() {
		return models.stream().map(ClassifierModel::deviceName).distinct().reduce((a, b) -> a + "+" + b).orElse("cpu");
	}

	/** @return whether any member runs on a GPU */
	public boolean onGpu() {
		return models.stream().anyMatch(m -> m.device().isGpu());
	}

	/**
	 * The same set with every model replaced (e.g. by its CPU copy after a GPU failure).
	 *
	 * @param replace maps a model to its replacement
	 * @return the new set, with the same id and hash
	 * @throws ModelLoadException if a replacement cannot be loaded
	 */
	public Ensemble map(ModelMapper replace) throws ModelLoadException {
		List<ClassifierModel> out = new ArrayList<>();
		for (ClassifierModel m : models) out.add(replace.apply(m));
		return new Ensemble(out, id, sha256);
	}

	/** Maps a loaded model to another. */
	@FunctionalInterface
	public interface ModelMapper {
		/**
		 * @param model the model
		 * @return its replacement
		 * @throws ModelLoadException if loading fails
		 */
		ClassifierModel apply(ClassifierModel model) throws ModelLoadException;
	}
}
