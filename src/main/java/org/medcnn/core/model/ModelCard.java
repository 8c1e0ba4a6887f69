package org.medcnn.core.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.medcnn.core.Messages;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.ood.OodDetector;

/**
 * The model card ({@code model.json}) of a model package: identity, classes in output order, input
 * contract, files with their SHA-256, provenance, measured metrics, intended use and limitations.
 * <p>
 * Parsing is strict: unknown fields and missing required fields are errors that name the card file,
 * so that a typo never silently changes how slices are preprocessed. The free-form sections
 * ({@code provenance}, {@code metrics}, {@code sanity}) are kept as JSON.
 */
public final class ModelCard {

	/** The format tag every card carries. */
	public static final String FORMAT = "medcnn-model/1";

	/**
	 * The largest card read, in bytes (the shipped cards have about 10 KB): a card is parsed whole, and a
	 * card of hundreds of megabytes would take gigabytes of heap before it could be refused.
	 */
	public static final long MAX_BYTES = 4L << 20;

	/** The most classes a card may list. */
	public static final int MAX_CLASSES = 4096;

	private static final Set<String> TOP = Set.of("format", "id", "version", "name", "description", "task", "modality",
		"classes", "input", "trunk", "head", "calibration", "provenance", "metrics", "sanity", "intended_use", "limitations", "license",
		"citation", "authors", "examples", "ensemble", "uncertainty", "ood");
	private static final Set<String> TOP_REQUIRED = Set.of("format", "id", "version", "task", "classes", "input", "trunk");
	private static final Set<String> ENSEMBLE = Set.of("combine", "members", "trained_with");
	private static final Set<String> MEMBER = Set.of("name", "head", "temperature", "seed", "training");
	private static final Set<String> UNCERTAINTY = Set.of("flag", "chosen_on", "thresholds");
	private static final Set<String> THRESHOLD = Set.of("entropy", "passes", "seed", "target_coverage", "validation_slices", "validation_coverage",
		"validation_accuracy_kept", "validation_accuracy_flagged");
	private static final Set<String> MODES = Set.of("none", "tta", "mc_dropout", "ensemble");
	private static final Set<String> INPUT = Set.of("width", "height", "channels", "resize", "intensity", "mean", "std", "min_slice_size");
	private static final Set<String> TRUNK = Set.of("file", "sha256", "output_channels");
	private static final Set<String> HEAD = Set.of("file", "sha256", "format");
	private static final Set<String> IN_MODEL_HEAD = Set.of("format", "output", "feature_method", "feature_count");

	/**
	 * The head format of a whole-model package: the TorchScript file (the card's {@code trunk}) is the
	 * whole classifier, N x C x H x W to N x K class scores, and no head file follows it.
	 */
	public static final String IN_MODEL = "in-model";

	/** What a whole model returns: raw class scores (softmax is applied) or probabilities (it is not). */
	public enum Output {
		/** Class scores before softmax. */
		LOGITS,
		/** Probabilities that sum to 1 per slice; softmax is never applied to them again. */
		PROBABILITIES;

		/** @return the card value */
		public String key() {
			return name().toLowerCase(java.util.Locale.ROOT);
		}

		/**
		 * Parses a card value.
		 *
		 * @param text {@code logits} or {@code probabilities}
		 * @return the output kind
		 * @throws IllegalArgumentException for anything else
		 */
		public static Output parse(String text) {
			for (Output o : values()) if (o.key().equals(text)) return o;
			throw new IllegalArgumentException("'" + text + "' is not logits or probabilities");
		}
	}
	private static final Set<String> EXAMPLES = Set.of("file", "sha256");
	private static final Set<String> OOD = Set.of("file", "sha256", "format", "method", "k", "features", "normalized", "training_slices", "threshold",
		"threshold_rule", "target_coverage", "validation_slices", "validation_flagged", "fitted_with", "fitted", "measured");
	private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
	private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
	private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9._/-]+");
	private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

	private final JsonObject json;
	private final String id;
	private final String version;
	private final String task;
	private final List<String> classes;
	private final InputSpec input;
	private final FileRef trunk;
	private final FileRef head;
	private final FileRef examples;
	private final int trunkChannels;
	private final double temperature;
	private final List<Member> members;
	private final Map<String, FlagThreshold> thresholds;
	private final Ood ood;
	private final Output inModelOutput;
	private final String featureMethod;
	private final int featureCount;
	private final int inputChannels;

	private ModelCard(JsonObject json, Path source) throws ModelLoadException {
		this.json = json;
		String where = source == null ? "model card" : source.toString();
		Reader r = new Reader(where);
		r.checkKeys(json, "", TOP, TOP_REQUIRED);
		String format = r.string(json, "format");
		if (!FORMAT.equals(format)) throw r.error("format is '" + format + "', expected '" + FORMAT + "'");
		id = r.string(json, "id");
		if (!ID.matcher(id).matches()) throw r.error("id '" + id + "' must be lower-case letters, digits, '.', '_' or '-'");
		version = r.string(json, "version");
		task = r.string(json, "task");
		if (!"slice-classification".equals(task)) throw r.error("task '" + task + "' is not supported (expected 'slice-classification')");
		classes = r.classes(json);
		input = r.input(r.object(json, "input"));
		JsonObject inputJson = r.object(json, "input");
		inputChannels = inputJson.has("channels") ? r.positiveInt(inputJson, "channels", "input.") : 3;
		JsonObject t = r.object(json, "trunk");
		r.checkKeys(t, "trunk.", TRUNK, Set.of("file", "sha256"));
		trunk = r.fileRef(t, "trunk");
		trunkChannels = t.has("output_channels") ? r.positiveInt(t, "output_channels", "trunk.") : -1;
		if (json.has("head") == json.has("ensemble")) {
			throw r.error("a card needs exactly one of 'head' (one model) and 'ensemble' (several heads on the trunk)");
		}
		JsonObject headJson = json.has("head") ? r.object(json, "head") : null;
		if (headJson != null && IN_MODEL.equals(headJson.has("format") && headJson.get("format").isJsonPrimitive() ? headJson.get("format").getAsString() : null)) {
			// a whole model: the TorchScript file is the classifier; what it returns is stated, and so is an optional feature method
			r.checkKeys(headJson, "head.", IN_MODEL_HEAD, Set.of("format", "output"));
			try {
				inModelOutput = Output.parse(r.string(headJson, "output"));
			} catch (IllegalArgumentException e) {
				throw r.error("head.output " + e.getMessage() + " (what the whole model returns)");
			}
			String method = headJson.has("feature_method") ? r.string(headJson, "feature_method") : null;
			if (method != null && !method.matches("[A-Za-z_][A-Za-z0-9_]{0,63}")) throw r.error("head.feature_method '" + method + "' is not a TorchScript method name");
			if ((method == null) != !headJson.has("feature_count")) throw r.error("head.feature_method and head.feature_count go together");
			featureMethod = method;
			featureCount = method == null ? 0 : r.positiveInt(headJson, "feature_count", "head.");
			head = null;
			members = List.of();
		} else if (headJson != null) {
			inModelOutput = null;
			featureMethod = null;
			featureCount = 0;
			head = r.head(headJson, "head");
			members = List.of();
		} else {
			inModelOutput = null;
			featureMethod = null;
			featureCount = 0;
			head = null;
			members = r.members(r.object(json, "ensemble"));
		}
		if (inputChannels != 3 && inModelOutput == null) {
			throw r.error("input.channels " + inputChannels + ": a trunk and head package takes 3 channels (grey slices are fed as 3 equal channels); "
				+ "1 is for a whole model (head.format " + IN_MODEL + ")");
		}
		if (inputChannels == 1) {
			float[] m = input.mean();
			float[] sd = input.std();
			if (m[0] != m[1] || m[0] != m[2] || sd[0] != sd[1] || sd[0] != sd[2]) {
				throw r.error("input.channels 1: input.mean and input.std must give the one channel's value three times");
			}
		}
		thresholds = json.has("uncertainty") ? r.thresholds(r.object(json, "uncertainty")) : Map.of();
		if (json.has("calibration")) {
			JsonObject cal = r.object(json, "calibration");
			if (!cal.has("temperature")) throw r.error("missing required field(s) [calibration.temperature]");
			temperature = r.number(cal, "temperature", "calibration.");
			if (!(temperature > 0)) throw r.error("calibration.temperature must be positive, got " + temperature);
		} else {
			temperature = 1;
		}
		ood = json.has("ood") ? r.ood(r.object(json, "ood")) : null;
		if (json.has("examples")) {
			JsonObject e = r.object(json, "examples");
			r.checkKeys(e, "examples.", EXAMPLES, Set.of("file", "sha256"));
			examples = r.fileRef(e, "examples");
		} else {
			examples = null;
		}
	}

	/**
	 * Reads and validates a card file.
	 *
	 * @param file the {@code model.json}
	 * @return the card
	 * @throws ModelLoadException naming the file and the problem
	 */
	public static ModelCard read(Path file) throws ModelLoadException {
		if (!Files.isRegularFile(file)) {
			throw new ModelLoadException(file + (Files.exists(file) ? ": model card is not a regular file" : ": model card not found"));
		}
		String text;
		try {
			checkSize(file, Files.size(file));
			text = Files.readString(file, StandardCharsets.UTF_8);
		} catch (IOException e) {
			throw new ModelLoadException(file + ": cannot read model card: " + e.getMessage(), e);
		}
		Path key = file.toAbsolutePath().normalize();
		Read before = READ.get(key);
		if (before != null && before.text().equals(text)) return before.card();
		ModelCard card = parse(text, file);
		if (READ.size() > 256) READ.clear();
		READ.put(key, new Read(text, card));
		return card;
	}

	/**
	 * Cards read in this process, by file, with their text: listing the models and finding one by id read
	 * every card at every command run, and parsing was most of that (cards are immutable).
	 */
	private static final java.util.Map<Path, Read> READ = new java.util.concurrent.ConcurrentHashMap<>();

	private record Read(String text, ModelCard card) {}

	/**
	 * Parses and validates card text.
	 *
	 * @param text JSON text
	 * @param source the file it came from, for messages; may be null
	 * @return the card
	 * @throws ModelLoadException naming the source and the problem
	 */
	public static ModelCard parse(String text, Path source) throws ModelLoadException {
		checkSize(source, text.length());
		JsonElement root;
		try {
			root = JsonParser.parseString(text);
		} catch (JsonParseException e) {
			throw new ModelLoadException((source == null ? "model card" : source) + ": not valid JSON: " + e.getMessage(), e);
		}
		if (!root.isJsonObject()) throw new ModelLoadException((source == null ? "model card" : source) + ": must be a JSON object");
		return new ModelCard(root.getAsJsonObject(), source);
	}

	/**
	 * Refuses a card larger than {@link #MAX_BYTES}, before it is read.
	 *
	 * @param file the card file, for the message; may be null
	 * @param bytes its size
	 * @throws ModelLoadException naming the file when it is too large
	 */
	public static void checkSize(Path file, long bytes) throws ModelLoadException {
		if (bytes > MAX_BYTES) {
			throw new ModelLoadException((file == null ? "model card" : file) + ": model card of " + bytes + " bytes; a card may have at most "
				+ MAX_BYTES + " (the shipped cards have about 10 KB): not read");
		}
	}

	/**
	 * Returns a class name as used in column names: characters other than letters, digits and '_'
	 * become '_'. Cards must not hold two classes with the same safe name.
	 *
	 * @param className the class name
	 * @return the safe name
	 */
	public static String safeName(String className) {
		return className.replaceAll("[^A-Za-z0-9_]", "_");
	}

	/** @return the model id, e.g. {@code brain-tumor-mri} */
	public String id() {
		return id;
	}

	/** @return the model version */
	public String version() {
		return version;
	}

	/** @return the display name, or the id when the card has none */
	public String name() {
		return json.has("name") ? json.get("name").getAsString() : id;
	}

	/** @return the modality, or an empty string */
	public String modality() {
		return json.has("modality") ? json.get("modality").getAsString() : "";
	}

	/** @return the task; always {@code slice-classification} for now */
	public String task() {
		return task;
	}

	/** @return class names in model output order, unmodifiable */
	public List<String> classes() {
		return classes;
	}

	/** @return the input contract */
	public InputSpec input() {
		return input;
	}

	/** @return the trunk file reference */
	public FileRef trunk() {
		return trunk;
	}

	/** @return the trunk's declared output channels, or -1 when the card does not say */
	public int trunkChannels() {
		return trunkChannels;
	}

	/** @return the head file reference, or null for an ensemble card or a whole model */
	public FileRef head() {
		return head;
	}

	/** @return whether the card describes an ensemble of heads on one trunk */
	public boolean isEnsemble() {
		return head == null && inModelOutput == null;
	}

	/** @return whether the package is one whole TorchScript classifier (head format {@value #IN_MODEL}) rather than a trunk and a head */
	public boolean isWholeModel() {
		return inModelOutput != null;
	}

	/** @return what a whole model returns, or null for a trunk and head package */
	public Output wholeModelOutput() {
		return inModelOutput;
	}

	/**
	 * The TorchScript method of a whole model that returns the features its out-of-distribution detector
	 * uses (N x F, or a N x F x h x w map that is averaged over h and w).
	 *
	 * @return the method name, or null when the card names none
	 */
	public String featureMethod() {
		return featureMethod;
	}

	/** @return the number of features the feature method returns per slice (after averaging a map), 0 without one */
	public int featureCount() {
		return featureCount;
	}

	/** @return the input channels the TorchScript module takes: 3, or 1 for a whole model that takes the grey slice */
	public int inputChannels() {
		return inputChannels;
	}

	/** @return the ensemble members in card order; empty for a single model */
	public List<Member> members() {
		return members;
	}

	/**
	 * Returns the flag threshold chosen on validation data for an uncertainty mode.
	 *
	 * @param mode {@code none}, {@code tta}, {@code mc_dropout} or {@code ensemble}
	 * @return the threshold, or null when the card has none for that mode
	 */
	public FlagThreshold flagThreshold(String mode) {
		return thresholds.get(mode);
	}

	/**
	 * Returns the softmax temperature fitted on validation data (temperature scaling); probabilities are
	 * {@code softmax(logits / T)}.
	 *
	 * @return the temperature, 1 when the card has no calibration
	 */
	public double temperature() {
		return temperature;
	}

	/** @return the out-of-distribution detector the card lists, or null when the package has none */
	public Ood ood() {
		return ood;
	}

	/** @return the examples table reference, or null when the package ships none */
	public FileRef examples() {
		return examples;
	}

	/**
	 * Returns a free-form section as JSON.
	 *
	 * @param key e.g. {@code provenance}, {@code metrics}
	 * @return a deep copy, or null if absent
	 */
	public JsonElement section(String key) {
		JsonElement e = json.get(key);
		return e == null ? null : e.deepCopy();
	}

	/** @return the whole card as pretty-printed JSON */
	public String toJson() {
		return GSON.toJson(json);
	}

	/**
	 * A file of the package with its expected SHA-256.
	 *
	 * @param file path relative to the package folder
	 * @param sha256 expected lower-case hex SHA-256
	 */
	public record FileRef(String file, String sha256) {}

	/**
	 * One member of an ensemble card: a linear head on the package's trunk with its own temperature.
	 *
	 * @param name unique name within the ensemble
	 * @param head the head file
	 * @param temperature its softmax temperature fitted on validation data (1 when not calibrated)
	 * @param seed the training seed, or -1 when the card does not say
	 */
	public record Member(String name, FileRef head, double temperature, long seed) {}

	/**
	 * The card's {@code ood} section: the detector file and what the card states about it (checked
	 * against the file when the package is opened).
	 *
	 * @param file the detector file
	 * @param method the method the card states, or null
	 * @param k the k the card states, or 0
	 * @param features the input features the card states, or 0
	 * @param threshold the threshold the card states, or NaN
	 */
	public record Ood(FileRef file, String method, int k, int features, double threshold) {}

	/**
	 * The threshold of the {@code uncertain} flag for one uncertainty mode: a slice is flagged when its
	 * predictive entropy (nats) is above {@code entropy}.
	 *
	 * @param entropy the threshold in nats
	 * @param passes the number of passes it was chosen with, or 0 when not stated
	 * @param targetCoverage the fraction of validation slices meant to stay unflagged, or NaN
	 */
	public record FlagThreshold(double entropy, int passes, double targetCoverage) {}

	/** Reads fields, throwing errors that name the card file and the field. */
	private static final class Reader {
		private final String where;

		Reader(String where) {
			this.where = where;
		}

		ModelLoadException error(String what) {
			return new ModelLoadException(where + ": " + what);
		}

		void checkKeys(JsonObject o, String prefix, Set<String> known, Set<String> required) throws ModelLoadException {
			List<String> unknown = new ArrayList<>();
			for (String k : o.keySet()) if (!known.contains(k)) unknown.add(prefix + k);
			if (!unknown.isEmpty()) {
				Collections.sort(unknown);
				throw error("unknown field(s) " + Messages.list(unknown) + "; known fields are " + new java.util.TreeSet<>(known));
			}
			List<String> missing = new ArrayList<>();
			for (String k : required) if (!o.has(k) || o.get(k).isJsonNull()) missing.add(prefix + k);
			if (!missing.isEmpty()) {
				Collections.sort(missing);
				throw error("missing required field(s) " + Messages.list(missing));
			}
		}

		String string(JsonObject o, String key) throws ModelLoadException {
			JsonElement e = o.get(key);
			if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString() || e.getAsString().isBlank()) {
				throw error("field '" + key + "' must be a non-empty string");
			}
			return e.getAsString();
		}

		JsonObject object(JsonObject o, String key) throws ModelLoadException {
			JsonElement e = o.get(key);
			if (e == null || !e.isJsonObject()) throw error("field '" + key + "' must be an object");
			return e.getAsJsonObject();
		}

		double number(JsonObject o, String key, String prefix) throws ModelLoadException {
			JsonElement e = o.get(key);
			if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) throw error("field '" + prefix + key + "' must be a number");
			double v = e.getAsDouble();
			if (!Double.isFinite(v)) throw error("field '" + prefix + key + "' must be finite");
			return v;
		}

		int positiveInt(JsonObject o, String key, String prefix) throws ModelLoadException {
			double v = number(o, key, prefix);
			if (v != Math.rint(v) || v < 1 || v > Integer.MAX_VALUE) throw error("field '" + prefix + key + "' must be a positive integer, got " + v);
			return (int) v;
		}

		List<String> classes(JsonObject o) throws ModelLoadException {
			JsonElement e = o.get("classes");
			if (e == null || !e.isJsonArray()) throw error("field 'classes' must be an array of class names");
			JsonArray a = e.getAsJsonArray();
			if (a.size() < 2) throw error("field 'classes' needs at least 2 classes, got " + a.size());
			if (a.size() > MAX_CLASSES) throw error("field 'classes' lists " + a.size() + " classes; a card may list at most " + MAX_CLASSES);
			List<String> out = new ArrayList<>();
			Set<String> seen = new HashSet<>();
			Set<String> columns = new HashSet<>();
			for (JsonElement c : a) {
				if (!c.isJsonPrimitive() || !c.getAsJsonPrimitive().isString() || c.getAsString().isBlank()) {
					throw error("field 'classes' must hold non-empty strings");
				}
				String name = c.getAsString();
				if (!seen.add(name)) throw error("class '" + name + "' is listed twice");
				if (!columns.add(safeName(name))) {
					throw error("classes " + Messages.list(out) + " and '" + name + "' give the same column name '" + safeName(name)
						+ "' in results; rename one");
				}
				out.add(name);
			}
			return Collections.unmodifiableList(out);
		}

		float[] triple(JsonObject o, String key) throws ModelLoadException {
			JsonElement e = o.get(key);
			if (e == null || !e.isJsonArray() || e.getAsJsonArray().size() != 3) throw error("field 'input." + key + "' must be an array of 3 numbers");
			float[] v = new float[3];
			for (int i = 0; i < 3; i++) {
				JsonElement x = e.getAsJsonArray().get(i);
				if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) throw error("field 'input." + key + "' must be an array of 3 numbers");
				v[i] = x.getAsFloat();
			}
			return v;
		}

		InputSpec input(JsonObject in) throws ModelLoadException {
			checkKeys(in, "input.", INPUT, Set.of("width", "height", "intensity"));
			int w = positiveInt(in, "width", "input.");
			int h = positiveInt(in, "height", "input.");
			if (in.has("channels")) {
				int ch = positiveInt(in, "channels", "input.");
				if (ch != 3 && ch != 1) throw error("input.channels must be 3 (grey slices fed as 3 equal channels) or 1 (a whole model that takes the grey slice)");
			}
			try {
				InputSpec.Builder b = InputSpec.builder().setSize(w, h).setIntensity(intensity(object(in, "intensity")));
				if (in.has("resize")) b.optResize(InputSpec.Resize.parse(string(in, "resize")));
				if (in.has("mean") || in.has("std")) {
					if (!in.has("mean") || !in.has("std")) throw error("input.mean and input.std go together");
					b.optNormalize(triple(in, "mean"), triple(in, "std"));
				}
				if (in.has("min_slice_size")) b.optMinSliceSize(positiveInt(in, "min_slice_size", "input."));
				return b.build();
			} catch (IllegalArgumentException e) {
				throw error("input: " + e.getMessage());
			}
		}

		IntensityPolicy intensity(JsonObject o) throws ModelLoadException {
			String policy = string(o, "policy");
			switch (policy) {
				case "range":
					checkKeys(o, "input.intensity.", Set.of("policy", "min", "max"), Set.of("policy", "min", "max"));
					return new IntensityPolicy.Range(number(o, "min", "input.intensity."), number(o, "max", "input.intensity."));
				case "window":
					checkKeys(o, "input.intensity.", Set.of("policy", "center", "width"), Set.of("policy", "center", "width"));
					return new IntensityPolicy.Window(number(o, "center", "input.intensity."), number(o, "width", "input.intensity."));
				case "percentile":
					checkKeys(o, "input.intensity.", Set.of("policy", "low", "high"), Set.of("policy", "low", "high"));
					return new IntensityPolicy.Percentile(number(o, "low", "input.intensity."), number(o, "high", "input.intensity."));
				case "steps":
					checkKeys(o, "input.intensity.", Set.of("policy", "steps"), Set.of("policy", "steps"));
					return new IntensityPolicy.Steps(steps(o.get("steps")));
				default:
					throw error("input.intensity.policy '" + policy + "' is not one of range, window, percentile, steps");
			}
		}

		/** The operations of a {@code steps} policy: the bioimage.io preprocessing operations, with their parameter names. */
		List<IntensityPolicy.Step> steps(JsonElement e) throws ModelLoadException {
			if (e == null || !e.isJsonArray() || e.getAsJsonArray().isEmpty()) throw error("input.intensity.steps must be a non-empty array");
			List<IntensityPolicy.Step> out = new ArrayList<>();
			int i = 0;
			for (JsonElement el : e.getAsJsonArray()) {
				String where = "input.intensity.steps[" + i++ + "].";
				if (!el.isJsonObject()) throw error(where.substring(0, where.length() - 1) + " must be an object");
				JsonObject o = el.getAsJsonObject();
				String op = string(o, "op");
				try {
					switch (op) {
						case "scale_range" -> {
							checkKeys(o, where, Set.of("op", "min_percentile", "max_percentile", "eps"), Set.of("op", "min_percentile", "max_percentile", "eps"));
							out.add(new IntensityPolicy.ScaleRange(number(o, "min_percentile", where), number(o, "max_percentile", where), number(o, "eps", where)));
						}
						case "zero_mean_unit_variance" -> {
							checkKeys(o, where, Set.of("op", "eps"), Set.of("op", "eps"));
							out.add(new IntensityPolicy.ZeroMeanUnitVariance(number(o, "eps", where)));
						}
						case "fixed_zero_mean_unit_variance" -> {
							checkKeys(o, where, Set.of("op", "mean", "std"), Set.of("op", "mean", "std"));
							out.add(new IntensityPolicy.FixedZeroMeanUnitVariance(number(o, "mean", where), number(o, "std", where)));
						}
						case "scale_linear" -> {
							checkKeys(o, where, Set.of("op", "gain", "offset"), Set.of("op", "gain", "offset"));
							out.add(new IntensityPolicy.ScaleLinear(number(o, "gain", where), number(o, "offset", where)));
						}
						case "clip" -> {
							checkKeys(o, where, Set.of("op", "min", "max"), Set.of("op"));
							if (!o.has("min") && !o.has("max")) throw error(where + "clip needs min, max or both");
							out.add(new IntensityPolicy.Clip(o.has("min") ? number(o, "min", where) : Double.NEGATIVE_INFINITY,
								o.has("max") ? number(o, "max", where) : Double.POSITIVE_INFINITY));
						}
						default -> throw error(where + "op '" + op + "' is not one of scale_range, zero_mean_unit_variance, "
							+ "fixed_zero_mean_unit_variance, scale_linear, clip");
					}
				} catch (IllegalArgumentException ex) {
					throw error(where.substring(0, where.length() - 1) + ": " + ex.getMessage());
				}
			}
			return out;
		}

		FileRef head(JsonObject h, String what) throws ModelLoadException {
			checkKeys(h, what + ".", HEAD, Set.of("file", "sha256", "format"));
			String headFormat = string(h, "format");
			if (!LinearHead.FORMAT.equals(headFormat)) throw error(what + ".format '" + headFormat + "' is not supported (expected '" + LinearHead.FORMAT + "')");
			return fileRef(h, what);
		}

		List<Member> members(JsonObject e) throws ModelLoadException {
			checkKeys(e, "ensemble.", ENSEMBLE, Set.of("members"));
			JsonElement m = e.get("members");
			if (!m.isJsonArray() || m.getAsJsonArray().size() < 2) throw error("field 'ensemble.members' must be an array of at least 2 members");
			List<Member> out = new ArrayList<>();
			Set<String> names = new HashSet<>();
			int i = 0;
			for (JsonElement el : m.getAsJsonArray()) {
				String where = "ensemble.members[" + i++ + "]";
				if (!el.isJsonObject()) throw error(where + " must be an object");
				JsonObject o = el.getAsJsonObject();
				checkKeys(o, where + ".", MEMBER, Set.of("name", "head"));
				String name = string(o, "name");
				if (!names.add(name)) throw error("ensemble member name '" + name + "' is used twice");
				double t = o.has("temperature") ? number(o, "temperature", where + ".") : 1;
				if (!(t > 0)) throw error(where + ".temperature must be positive, got " + t);
				long seed = o.has("seed") ? (long) number(o, "seed", where + ".") : -1;
				out.add(new Member(name, head(object(o, "head"), where + ".head"), t, seed));
			}
			return Collections.unmodifiableList(out);
		}

		Map<String, FlagThreshold> thresholds(JsonObject u) throws ModelLoadException {
			checkKeys(u, "uncertainty.", UNCERTAINTY, Set.of("thresholds"));
			JsonObject t = object(u, "thresholds");
			Map<String, FlagThreshold> out = new java.util.LinkedHashMap<>();
			for (String mode : t.keySet()) {
				if (!MODES.contains(mode)) throw error("uncertainty.thresholds." + mode + ": unknown mode; known modes are " + new java.util.TreeSet<>(MODES));
				String prefix = "uncertainty.thresholds." + mode + ".";
				if (!t.get(mode).isJsonObject()) throw error(prefix.substring(0, prefix.length() - 1) + " must be an object");
				JsonObject o = t.get(mode).getAsJsonObject();
				checkKeys(o, prefix, THRESHOLD, Set.of("entropy"));
				double entropy = number(o, "entropy", prefix);
				if (entropy < 0) throw error(prefix + "entropy must be at least 0, got " + entropy);
				int passes = o.has("passes") ? positiveInt(o, "passes", prefix) : 0;
				double coverage = o.has("target_coverage") ? number(o, "target_coverage", prefix) : Double.NaN;
				out.put(mode, new FlagThreshold(entropy, passes, coverage));
			}
			return Collections.unmodifiableMap(out);
		}

		Ood ood(JsonObject o) throws ModelLoadException {
			checkKeys(o, "ood.", OOD, Set.of("file", "sha256", "format"));
			String format = string(o, "format");
			if (!OodDetector.FORMAT.equals(format)) throw error("ood.format '" + format + "' is not supported (expected '" + OodDetector.FORMAT + "')");
			FileRef ref = fileRef(o, "ood");
			String method = o.has("method") ? string(o, "method") : null;
			int k = o.has("k") ? positiveInt(o, "k", "ood.") : 0;
			int features = o.has("features") ? positiveInt(o, "features", "ood.") : 0;
			double threshold = o.has("threshold") ? number(o, "threshold", "ood.") : Double.NaN;
			return new Ood(ref, method, k, features, threshold);
		}

		FileRef fileRef(JsonObject o, String what) throws ModelLoadException {
			String file = string(o, "file");
			if (!FILE_NAME.matcher(file).matches() || file.startsWith("/") || file.contains("..")) {
				throw error(what + ".file '" + file + "' must be a relative path inside the package");
			}
			String sha = string(o, "sha256");
			if (!SHA.matcher(sha).matches()) throw error(what + ".sha256 must be 64 lower-case hex digits");
			return new FileRef(file, sha);
		}
	}
}
