package org.medcnn.command;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;
import org.scijava.command.DynamicCommand;
import org.scijava.module.MutableModuleItem;

/**
 * The installed models as a dialog offers them, and what a dialog says about the chosen one (modality,
 * classes, intended use, training data), so that nobody classifies a CT with an MRI model unawares. Read
 * from the model cards only; nothing is loaded or verified here.
 */
public final class ModelChoices {

	/** The field name of the model parameter in every command that has one. */
	public static final String MODEL_FIELD = "model";

	/** The longest text taken from a card's free-form sections. */
	private static final int MAX_TEXT = 220;

	/** The width of the description's lines, in characters. */
	private static final int LINE = 72;

	private ModelChoices() {}

	/**
	 * Whether a field is a command's model parameter.
	 *
	 * @param name the field name
	 * @return true for {@value #MODEL_FIELD}
	 */
	public static boolean isModelField(String name) {
		return MODEL_FIELD.equals(name);
	}

	/**
	 * Lists the ids of the models installed in the repository's folders whose cards can be read, in search
	 * order, without repeats.
	 *
	 * @param repository the repository
	 * @return the ids
	 */
	public static List<String> installed(ModelRepository repository) {
		List<String> ids = new ArrayList<>();
		for (ModelRepository.Entry e : repository.list()) {
			if (e.problem() == null && !ids.contains(e.id())) ids.add(e.id());
		}
		return ids;
	}

	/**
	 * Offers the installed models as the choices of a command's {@value #MODEL_FIELD} parameter, for its
	 * dialog. Nothing changes when the model was already given (by a macro or a caller, which may name any id
	 * or folder) or when no model is installed (the field stays free text).
	 *
	 * @param command the command, before its dialog
	 * @param repository where to look for models
	 * @param current the field's value
	 * @return the value the field should hold: {@code current}, or the first installed model when the dialog
	 *         would not offer {@code current}
	 */
	public static String offer(DynamicCommand command, ModelRepository repository, String current) {
		if (command.isInputResolved(MODEL_FIELD)) return current;
		List<String> ids = installed(repository);
		if (ids.isEmpty()) return current;
		MutableModuleItem<String> item = command.getInfo().getMutableInput(MODEL_FIELD, String.class);
		item.setChoices(ids);
		return ids.contains(current) ? current : ids.get(0);
	}

	/**
	 * One line per installed model: id, modality and classes.
	 *
	 * @param repository the repository
	 * @return the lines, or a sentence saying where models go when none is installed
	 */
	public static String summary(ModelRepository repository) {
		List<String> lines = new ArrayList<>();
		for (ModelRepository.Entry e : repository.list()) {
			if (e.problem() != null) continue;
			try {
				ModelCard card = ModelCard.read(e.dir().resolve(ModelPackage.CARD));
				lines.add(card.id() + ": " + modality(card) + ", " + card.classes());
			} catch (ModelLoadException x) {
				// listed as readable a moment ago; skip it rather than fail the dialog
			}
		}
		return lines.isEmpty() ? "No model installed; searched " + repository.roots() : String.join("\n", lines);
	}

	/**
	 * Describes a model for a dialog, as HTML: id and version, modality, classes, intended use and training
	 * data from its card.
	 *
	 * @param repository the repository to resolve an id in
	 * @param idOrPath a model id, a package folder, or several separated by commas
	 * @return the description; a sentence saying what is wrong when the model cannot be found or read
	 */
	public static String describe(ModelRepository repository, String idOrPath) {
		if (idOrPath == null || idOrPath.isBlank()) return "<html>No model chosen.";
		if (idOrPath.contains(",") && !Files.isDirectory(Paths.get(idOrPath.trim()))) {
			return "<html>" + escape(idOrPath) + ": several models, used as an ensemble.";
		}
		Path dir = null;
		for (ModelRepository.Entry e : repository.list()) {
			if (e.id().equals(idOrPath.trim()) && e.problem() == null) {
				dir = e.dir();
				break;
			}
		}
		if (dir == null) dir = Paths.get(idOrPath.trim());
		ModelCard card;
		try {
			card = ModelCard.read(dir.resolve(ModelPackage.CARD));
		} catch (ModelLoadException e) {
			return "<html>" + escape(idOrPath) + ": not an installed model (" + escape(e.getMessage()) + ")";
		}
		StringBuilder sb = new StringBuilder("<html>");
		sb.append("<b>").append(escape(card.id())).append("</b> ").append(escape(card.version()));
		if (card.isEnsemble()) sb.append(", ensemble of ").append(card.members().size());
		sb.append("<br>Modality: <b>").append(escape(modality(card))).append("</b>");
		sb.append("<br>").append(wrap("Classes: " + String.join(", ", card.classes())));
		String use = text(card.section("intended_use"));
		if (use != null) sb.append("<br>").append(wrap("Intended use: " + use));
		String data = data(card);
		if (data != null) sb.append("<br>").append(wrap("Trained on: " + data));
		return sb.toString();
	}

	private static String modality(ModelCard card) {
		String m = card.modality();
		return m == null || m.isBlank() ? "not stated in the card" : m;
	}

	private static String data(ModelCard card) {
		JsonElement p = card.section("provenance");
		if (p instanceof JsonObject o && o.has("data")) return text(o.get("data"));
		return null;
	}

	private static String text(JsonElement e) {
		if (e == null || !e.isJsonPrimitive()) return null;
		String s = e.getAsString().trim();
		return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT - 1) + "\u2026";
	}

	/** Escapes a line and breaks it at spaces every {@value #LINE} characters or so: a dialog is as wide as its longest line. */
	private static String wrap(String line) {
		StringBuilder out = new StringBuilder();
		int col = 0;
		for (String word : line.split(" ")) {
			if (col > 0 && col + 1 + word.length() > LINE) {
				out.append("<br>&nbsp;&nbsp;");
				col = 2;
			} else if (col > 0) {
				out.append(' ');
				col++;
			}
			out.append(escape(word));
			col += word.length();
		}
		return out.toString();
	}

	private static String escape(String s) {
		return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
	}
}
