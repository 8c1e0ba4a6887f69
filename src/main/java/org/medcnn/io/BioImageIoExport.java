package org.medcnn.io;

import ai.djl.translate.TranslateException;
import com.google.gson.JsonElement;
import ij.ImagePlus;
import ij.io.FileSaver;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.classify.PassSampler;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.image.Resampling;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.Hashes;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.uncertainty.UncertaintyOptions;

/**
 * Exports a MedCNN model as a bioimage.io model package (format 0.5): {@code rdf.yaml}; {@code model.pt},
 * one TorchScript file for trunk and head (or the whole model) that takes the grey slice after the
 * intensity policy and returns class probabilities ({@link TorchScriptWrapper}); {@code test_input.npy}
 * and {@code test_output.npy} (a slice of the package's examples at the model's input size, and MedCNN's
 * probabilities for it); {@code cover.png}; and {@code README.md} made from the card. The intensity
 * policy becomes the input's preprocessing ({@code scale_range} or {@code scale_linear}, then
 * {@code clip}). Before the package is kept it is checked against the specification's rules that can be
 * checked offline ({@link BioImageIoValidator}) and imported back into MedCNN, which must reproduce the test
 * output through the exported file.
 */
public final class BioImageIoExport {

	/** The format version written. */
	public static final String FORMAT_VERSION = "0.5.4";

	/** Python keywords, which bioimage.io identifiers must not be. */
	static final Set<String> KEYWORDS = Set.of("False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
		"elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
		"return", "try", "while", "with", "yield");

	private BioImageIoExport() {}

	/**
	 * What to export.
	 *
	 * @param pkg the package
	 * @param output the folder to write (new or empty), or a {@code .zip} file to write the package into
	 * @param license an SPDX license id, or null for the card's
	 * @param authors authors' names, or empty for the card's
	 * @param cite citations as {@code TEXT|DOI-or-URL}, or empty for the card's
	 * @param testImage an image to make the test tensors from, or null for the package's first example
	 */
	public record Request(ModelPackage pkg, Path output, String license, List<String> authors, List<String> cite, Path testImage) {

		/**
		 * Validates.
		 *
		 * @param pkg the package
		 * @param output the output
		 * @param license the license
		 * @param authors the authors
		 * @param cite the citations
		 * @param testImage the test image
		 */
		public Request {
			Objects.requireNonNull(pkg, "model");
			Objects.requireNonNull(output, "output");
			authors = authors == null ? List.of() : List.copyOf(authors);
			cite = cite == null ? List.of() : List.copyOf(cite);
		}
	}

	/**
	 * The exported package.
	 *
	 * @param output the folder or zip written
	 * @param maxDifference the largest difference of the exported file's output (run by MedCNN's import) from MedCNN's own
	 * @param classNames the output channel names (class names made identifiers)
	 */
	public record Result(Path output, double maxDifference, List<String> classNames) {}

	/**
	 * Exports.
	 *
	 * @param r the request
	 * @return what was written
	 * @throws IOException if the output is in use, a file cannot be written, or the package fails the checks
	 * @throws IllegalArgumentException for a package that cannot be exported (an ensemble) or a missing license, author or citation
	 * @throws ModelLoadException if the model does not load
	 * @throws TranslateException if the engine fails
	 */
	public static Result export(Request r) throws IOException, ModelLoadException, TranslateException {
		ModelPackage pkg = r.pkg();
		ModelCard card = pkg.card();
		if (card.isEnsemble()) {
			throw new IllegalArgumentException(card.id() + " is an ensemble (" + card.members().size() + " heads): export one model; its members average "
				+ "probabilities, which one linear head cannot");
		}
		String license = r.license() != null ? r.license() : string(card, "license");
		if (license == null || license.isBlank()) {
			throw new IllegalArgumentException(card.id() + ": the card states no license; give one with --license (an SPDX id, e.g. CC-BY-4.0 or MIT, that the "
				+ "weights and their training data allow)");
		}
		List<String> authors = !r.authors().isEmpty() ? r.authors() : split(string(card, "authors"));
		if (authors.isEmpty()) throw new IllegalArgumentException(card.id() + ": the card names no authors; give them with --author NAME");
		List<String[]> cites = new ArrayList<>();
		for (String c : !r.cite().isEmpty() ? r.cite() : citationOfCard(card)) cites.add(citation(c));
		if (cites.isEmpty()) {
			throw new IllegalArgumentException(card.id() + ": the card has no citation with a DOI or URL; give one with --cite 'TEXT|DOI-or-URL'");
		}
		boolean zip = r.output().getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip");
		Path dir;
		if (zip) {
			if (Files.exists(r.output())) throw new IOException(r.output() + ": exists; not replaced");
			dir = Files.createTempDirectory("medcnn-bioimageio-export");
		} else {
			dir = r.output();
			if (Files.exists(dir)) {
				try (Stream<Path> s = Files.list(dir)) {
					if (s.findAny().isPresent()) throw new IOException(dir + ": not empty; give a new or empty folder for the bioimage.io package (nothing there is replaced)");
				}
			}
			if (OutputGuard.overlap(dir, pkg.dir())) throw new IllegalArgumentException("--output " + dir + " is, or lies inside or around, the package " + pkg.dir());
			Files.createDirectories(dir);
		}
		try {
			Result res = write(pkg, dir, license, authors, cites, r.testImage());
			if (zip) {
				zipTree(dir, r.output());
				return new Result(r.output(), res.maxDifference(), res.classNames());
			}
			return res;
		} catch (IOException | RuntimeException | ModelLoadException | TranslateException e) {
			// a package that failed its checks is not left behind
			BioImageIo.deleteTree(zip ? dir : null);
			if (!zip) {
				try (Stream<Path> s = Files.list(dir)) {
					for (Path p : s.toList()) BioImageIo.deleteTree(p);
				}
			}
			throw e;
		} finally {
			if (zip) BioImageIo.deleteTree(dir);
		}
	}

	private static Result write(ModelPackage pkg, Path dir, String license, List<String> authors, List<String[]> cites, Path testImage)
		throws IOException, ModelLoadException, TranslateException {
		ModelCard card = pkg.card();
		InputSpec in = card.input();
		int w = in.width();
		int h = in.height();
		int k = card.classes().size();
		List<String> names = channelNames(card.classes());
		// the test slice: an example (or the given image) at the model's input size, raw values
		Slice original = testSlice(pkg, testImage);
		float[] raw = Resampling.resize(original.pixels(), original.width(), original.height(), w, h);
		Slice slice = new Slice(1, "test_input", w, h, raw);
		float[] probabilities;
		try (ClassifierModel m = ClassifierModel.load(pkg, DeviceSpec.CPU); PassSampler sampler = new PassSampler(Ensemble.of(m), UncertaintyOptions.NONE, 1)) {
			SlicePreprocessor pre = new SlicePreprocessor(in);
			float[] buf = new float[pre.spec().tensorSize()];
			pre.preprocess(slice, buf, 0);
			probabilities = sampler.run(buf, 1, 1, new long[] {1}).probabilities()[0];
		}
		// one TorchScript file: the channel normalisation, the module, the head, temperature and softmax
		int moduleChannels = card.inputChannels();
		float[] mean = moduleChannels == 1 ? new float[] {in.mean()[0]} : in.mean();
		float[] std = moduleChannels == 1 ? new float[] {in.std()[0]} : in.std();
		LinearHead head = pkg.head();
		TorchScriptWrapper.Spec spec = card.isWholeModel()
			? new TorchScriptWrapper.Spec(moduleChannels, mean, std, null, null, k, card.wholeModelOutput() == ModelCard.Output.PROBABILITIES, card.temperature())
			: new TorchScriptWrapper.Spec(3, mean, std, head.weights(), head.bias(), k, false, card.temperature());
		Path model = dir.resolve("model.pt");
		TorchScriptWrapper.write(pkg.trunkFile(), model, spec);
		Npy.write(dir.resolve("test_input.npy"), new long[] {1, 1, h, w}, raw);
		Npy.write(dir.resolve("test_output.npy"), new long[] {1, k}, probabilities);
		cover(dir.resolve("cover.png"), raw, w, h, card, probabilities);
		Files.writeString(dir.resolve("README.md"), readme(card, names, license), StandardCharsets.UTF_8);
		Files.writeString(dir.resolve("rdf.yaml"), Yaml.write(rdf(pkg, dir, names, license, authors, cites)), StandardCharsets.UTF_8);
		List<String> problems = BioImageIoValidator.validate(dir);
		if (!problems.isEmpty()) throw new IOException(dir.resolve("rdf.yaml") + ": does not validate: " + String.join("; ", problems));
		// the exported file must reproduce MedCNN: import it back (its hashes, preprocessing and test tensors) into a scratch folder
		Path scratch = Files.createTempDirectory("medcnn-bioimageio-check");
		try {
			BioImageIo.Imported back = BioImageIo.importModel(new BioImageIo.Request(dir, scratch.resolve("pkg"), "export-check", null));
			return new Result(dir, back.maxDifference(), names);
		} catch (IOException e) {
			throw new IOException("the exported package does not reproduce " + card.id() + ": " + e.getMessage(), e);
		} finally {
			BioImageIo.deleteTree(scratch);
		}
	}

	/** The first slice of the given image, or of the package's first example. */
	private static Slice testSlice(ModelPackage pkg, Path testImage) throws IOException {
		Path file = testImage;
		if (file == null) {
			if (pkg.card().examples() == null) {
				throw new IllegalArgumentException(pkg.card().id() + " has no examples to make the test tensors from; give an image with --test-image");
			}
			Path csv = pkg.dir().resolve(pkg.card().examples().file());
			List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
			if (lines.size() < 2) throw new IllegalArgumentException(csv + ": no examples; give an image with --test-image");
			file = csv.getParent().resolve(Datasets.splitCsv(lines.get(1)).get(0));
		}
		List<Slice> slices = new ImageSampleReader().read(file);
		if (slices.isEmpty()) throw new IOException(file + ": no slice");
		return slices.get(0);
	}

	/** Class names as bioimage.io channel names: Python identifiers, not keywords, unique. */
	static List<String> channelNames(List<String> classes) {
		List<String> out = new ArrayList<>();
		for (String c : classes) {
			String s = c.replaceAll("[^A-Za-z0-9_]", "_");
			if (s.isEmpty() || Character.isDigit(s.charAt(0))) s = "c_" + s;
			if (KEYWORDS.contains(s)) s = s + "_";
			String base = s;
			for (int i = 2; out.contains(s); i++) s = base + "_" + i;
			out.add(s);
		}
		return out;
	}

	private static Map<String, Object> rdf(ModelPackage pkg, Path dir, List<String> names, String license, List<String> authors, List<String[]> cites)
		throws IOException {
		ModelCard card = pkg.card();
		InputSpec in = card.input();
		Map<String, Object> r = new LinkedHashMap<>();
		r.put("type", "model");
		r.put("format_version", FORMAT_VERSION);
		r.put("name", name(card));
		r.put("description", description(card));
		r.put("version", card.version());
		r.put("timestamp", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
		List<Object> au = new ArrayList<>();
		for (String a : authors) au.add(Map.of("name", a));
		r.put("authors", au);
		List<Object> ci = new ArrayList<>();
		for (String[] c : cites) {
			Map<String, Object> e = new LinkedHashMap<>();
			e.put("text", c[0]);
			e.put(c[1].startsWith("10.") ? "doi" : "url", c[1]);
			ci.add(e);
		}
		r.put("cite", ci);
		r.put("license", license);
		r.put("documentation", "README.md");
		r.put("covers", List.of("cover.png"));
		List<Object> tags = new ArrayList<>(List.of("classification", "2d", "medcnn"));
		if (!card.modality().isBlank()) tags.add(card.modality().toLowerCase(Locale.ROOT));
		r.put("tags", tags);
		Map<String, Object> input = new LinkedHashMap<>();
		input.put("id", "input");
		input.put("description", "one grey slice resized to " + in.width() + " x " + in.height() + " (MedCNN resizes by " + in.resize().name().toLowerCase(Locale.ROOT)
			+ "; give slices of this size)");
		input.put("axes", List.of(Map.of("type", "batch"), axis("channel", "channel_names", List.of("grey")), spaceAxis("y", in.height()), spaceAxis("x", in.width())));
		input.put("test_tensor", file(dir, "test_input.npy"));
		input.put("data", Map.of("type", "float32"));
		input.put("preprocessing", preprocessing(in.intensity()));
		Map<String, Object> output = new LinkedHashMap<>();
		output.put("id", "probabilities");
		output.put("description", "the probability of each class (calibrated, softmax inside the model)");
		output.put("axes", List.of(Map.of("type", "batch"), axis("channel", "channel_names", names)));
		output.put("test_tensor", file(dir, "test_output.npy"));
		Map<String, Object> data = new LinkedHashMap<>();
		data.put("type", "float32");
		data.put("range", List.of(0.0, 1.0));
		output.put("data", data);
		r.put("inputs", List.of(input));
		r.put("outputs", List.of(output));
		Map<String, Object> ts = new LinkedHashMap<>(file(dir, "model.pt"));
		ts.put("pytorch_version", "2.5.1");
		r.put("weights", Map.of("torchscript", ts));
		Map<String, Object> medcnn = new LinkedHashMap<>();
		medcnn.put("id", card.id());
		medcnn.put("version", card.version());
		medcnn.put("model_sha256", pkg.sha256());
		medcnn.put("classes", card.classes());
		medcnn.put("input_resize", in.resize().name().toLowerCase(Locale.ROOT));
		medcnn.put("intensity", in.intensity().describe());
		medcnn.put("temperature", card.temperature());
		if (!card.modality().isBlank()) medcnn.put("modality", card.modality());
		for (String k : List.of("intended_use", "limitations")) {
			String v = string(card, k);
			if (v != null) medcnn.put(k, v);
		}
		JsonElement metrics = card.section("metrics");
		if (metrics != null && metrics.isJsonObject() && metrics.getAsJsonObject().size() > 0) medcnn.put("metrics_json", metrics.toString());
		Map<String, Object> tolerance = new LinkedHashMap<>();
		tolerance.put("relative_tolerance", 1e-3);
		tolerance.put("absolute_tolerance", 1e-4);
		Map<String, Object> config = new LinkedHashMap<>();
		config.put("bioimageio", Map.of("reproducibility_tolerance", List.of(tolerance)));
		config.put("medcnn", medcnn);
		r.put("config", config);
		return r;
	}

	private static Map<String, Object> axis(String type, String key, Object value) {
		Map<String, Object> a = new LinkedHashMap<>();
		a.put("type", type);
		a.put(key, value);
		return a;
	}

	private static Map<String, Object> spaceAxis(String id, int size) {
		Map<String, Object> a = new LinkedHashMap<>();
		a.put("type", "space");
		a.put("id", id);
		a.put("size", size);
		return a;
	}

	private static Map<String, Object> file(Path dir, String name) throws IOException {
		Map<String, Object> f = new LinkedHashMap<>();
		f.put("source", name);
		f.put("sha256", Hashes.sha256(dir.resolve(name)));
		return f;
	}

	/** The intensity policy as bioimage.io preprocessing. */
	static List<Object> preprocessing(IntensityPolicy p) {
		List<Object> ops = new ArrayList<>();
		if (p instanceof IntensityPolicy.Percentile pc) {
			ops.add(op("scale_range", kwargs("axes", List.of("y", "x"), "min_percentile", pc.low(), "max_percentile", pc.high(), "eps", 1e-6)));
			ops.add(op("clip", kwargs("min", 0.0, "max", 1.0)));
		} else if (p instanceof IntensityPolicy.Window wi) {
			double lo = wi.center() - wi.width() / 2;
			ops.add(op("scale_linear", kwargs("gain", 1 / wi.width(), "offset", -lo / wi.width())));
			ops.add(op("clip", kwargs("min", 0.0, "max", 1.0)));
		} else if (p instanceof IntensityPolicy.Range ra) {
			ops.add(op("scale_linear", kwargs("gain", 1 / (ra.max() - ra.min()), "offset", -ra.min() / (ra.max() - ra.min()))));
			ops.add(op("clip", kwargs("min", 0.0, "max", 1.0)));
		} else if (p instanceof IntensityPolicy.Steps st) {
			for (IntensityPolicy.Step s : st.steps()) {
				if (s instanceof IntensityPolicy.ScaleRange sr) {
					ops.add(op("scale_range", kwargs("axes", List.of("y", "x"), "min_percentile", sr.low(), "max_percentile", sr.high(), "eps", sr.eps())));
				} else if (s instanceof IntensityPolicy.ZeroMeanUnitVariance z) {
					ops.add(op("zero_mean_unit_variance", kwargs("axes", List.of("y", "x"), "eps", z.eps())));
				} else if (s instanceof IntensityPolicy.FixedZeroMeanUnitVariance f) {
					ops.add(op("fixed_zero_mean_unit_variance", kwargs("mean", f.mean(), "std", f.std())));
				} else if (s instanceof IntensityPolicy.ScaleLinear l) {
					ops.add(op("scale_linear", kwargs("gain", l.gain(), "offset", l.offset())));
				} else if (s instanceof IntensityPolicy.Clip c) {
					Map<String, Object> kw = new LinkedHashMap<>();
					if (Double.isFinite(c.min())) kw.put("min", c.min());
					if (Double.isFinite(c.max())) kw.put("max", c.max());
					ops.add(op("clip", kw));
				}
			}
		}
		return ops;
	}

	private static Map<String, Object> op(String id, Map<String, Object> kwargs) {
		Map<String, Object> o = new LinkedHashMap<>();
		o.put("id", id);
		o.put("kwargs", kwargs);
		return o;
	}

	private static Map<String, Object> kwargs(Object... kv) {
		Map<String, Object> m = new LinkedHashMap<>();
		for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
		return m;
	}

	/** A bioimage.io name: 5 to 128 of letters, digits, '_', '+', '-', ' ', '(' and ')'. */
	static String name(ModelCard card) {
		String n = card.name().replaceAll("[^A-Za-z0-9_+\\- ()]", " ").replaceAll(" +", " ").trim();
		if (n.length() < 5) n = ("MedCNN " + n).trim();
		if (n.length() > 128) n = n.substring(0, 128).trim();
		return n;
	}

	private static String description(ModelCard card) {
		String d = string(card, "description");
		if (d != null && !d.isBlank()) return d;
		return "Classifies each " + (card.modality().isBlank() ? "" : card.modality() + " ") + "slice as one of " + String.join(", ", card.classes())
			+ " (a MedCNN model, " + card.id() + " " + card.version() + ").";
	}

	private static String string(ModelCard card, String key) {
		JsonElement e = card.section(key);
		return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
	}

	private static List<String> split(String s) {
		List<String> out = new ArrayList<>();
		if (s == null) return out;
		for (String p : s.split("[;\n]")) if (!p.isBlank()) out.add(p.trim());
		return out;
	}

	private static List<String> citationOfCard(ModelCard card) {
		String c = string(card, "citation");
		if (c == null) return List.of();
		java.util.regex.Matcher m = java.util.regex.Pattern.compile("(10\\.\\d{4,}/\\S+|https?://\\S+)").matcher(c);
		if (!m.find()) return List.of();
		return List.of(c + "|" + m.group(1).replaceAll("[.,;)]+$", ""));
	}

	/** {text, doi-or-url} of {@code TEXT|DOI-or-URL}. */
	static String[] citation(String c) {
		int bar = c.lastIndexOf('|');
		if (bar <= 0 || bar == c.length() - 1) throw new IllegalArgumentException("--cite '" + c + "' must be TEXT|DOI-or-URL");
		String text = c.substring(0, bar).trim();
		String ref = c.substring(bar + 1).trim().replaceFirst("^(?i)doi:", "").replaceFirst("^https?://(dx\\.)?doi\\.org/", "");
		if (!ref.startsWith("10.") && !ref.matches("https?://\\S+")) throw new IllegalArgumentException("--cite '" + c + "': after '|' a DOI (10....) or an http(s) URL");
		return new String[] {text, ref};
	}

	/** README.md from the card, with the Validation section bioimage.io asks for. */
	static String readme(ModelCard card, List<String> names, String license) {
		InputSpec in = card.input();
		StringBuilder b = new StringBuilder();
		b.append("# ").append(name(card)).append("\n\n").append(description(card)).append("\n\n");
		b.append("Exported from the MedCNN model package `").append(card.id()).append("` ").append(card.version()).append(". License: ").append(license).append(".\n\n");
		b.append("## Classes\n\n");
		for (int i = 0; i < names.size(); i++) {
			b.append("- `").append(names.get(i)).append('`').append(names.get(i).equals(card.classes().get(i)) ? "" : " (" + card.classes().get(i) + ")").append('\n');
		}
		b.append("\n## Input\n\nOne grey slice, ").append(in.width()).append(" x ").append(in.height()).append(" pixels (MedCNN resizes any slice to this size by ")
			.append(in.resize().name().toLowerCase(Locale.ROOT)).append("; give slices of this size). Intensity: ").append(in.intensity().describe())
			.append(", written as the input's preprocessing. The channel normalisation (mean ").append(java.util.Arrays.toString(in.mean())).append(", std ")
			.append(java.util.Arrays.toString(in.std())).append(") and the calibration temperature (").append(card.temperature())
			.append(") are inside model.pt, which returns probabilities.\n\n");
		for (String k : List.of("intended_use", "limitations")) {
			String v = string(card, k);
			if (v != null) b.append("## ").append(k.equals("intended_use") ? "Intended use" : "Limitations").append("\n\n").append(v).append("\n\n");
		}
		b.append("## Validation\n\n");
		JsonElement m = card.section("metrics");
		if (m != null && m.isJsonObject() && m.getAsJsonObject().has("test") && m.getAsJsonObject().get("test").isJsonObject()) {
			var t = m.getAsJsonObject().getAsJsonObject("test");
			b.append("Measured by MedCNN on the held-out test split of its training data");
			if (t.has("images")) b.append(" (").append(t.get("images").getAsString()).append(" images)");
			b.append(":\n\n| metric | value |\n|---|---|\n");
			for (String key : List.of("accuracy", "balanced_accuracy", "macro_f1", "macro_roc_auc", "ece")) {
				if (t.has(key) && t.get(key).isJsonPrimitive()) b.append("| ").append(key).append(" | ").append(t.get(key).getAsString()).append(" |\n");
			}
			b.append("\nEvaluate it on your own labelled slices before use (for example with `medcnn evaluate`, which reports every metric with a bootstrap interval).\n");
		} else {
			b.append("No test metrics are recorded in the MedCNN card. Evaluate the model on your own labelled slices before use "
				+ "(for example with `medcnn evaluate`, which reports every metric with a bootstrap interval).\n");
		}
		b.append("\nThe test tensors were made by MedCNN: `test_input.npy` is a slice of the package's examples at the model's input size, "
			+ "`test_output.npy` the probabilities MedCNN computed for it.\n");
		return b.toString();
	}

	/** A 2:1 cover: the test slice next to the model's probabilities for it. */
	static void cover(Path file, float[] raw, int w, int h, ModelCard card, float[] probabilities) throws IOException {
		FloatProcessor fp = new FloatProcessor(w, h, raw.clone());
		fp.resetMinAndMax();
		ImageProcessor grey = fp.convertToByteProcessor(true);
		grey.setInterpolationMethod(ImageProcessor.BILINEAR);
		ImageProcessor slice = grey.resize(256, 256).convertToRGB();
		ColorProcessor ip = new ColorProcessor(512, 256);
		ip.setColor(Color.WHITE);
		ip.fill();
		ip.insert(slice, 0, 0);
		ip.setAntialiasedText(true);
		ip.setColor(Color.BLACK);
		ip.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
		ip.drawString(card.id(), 268, 28);
		ip.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
		ip.drawString("class probabilities of this slice", 268, 48);
		int k = card.classes().size();
		int rows = Math.min(k, 8);
		int rowH = Math.min(24, 190 / Math.max(1, rows));
		for (int c = 0; c < rows; c++) {
			int y = 64 + c * rowH;
			String label = card.classes().get(c);
			if (label.length() > 14) label = label.substring(0, 13) + "…";
			ip.setColor(Color.BLACK);
			ip.drawString(label, 268, y + rowH - 6);
			ip.setColor(new Color(31, 119, 180));
			ip.setRoi(380, y + 4, Math.max(1, (int) Math.round(80 * probabilities[c])), rowH - 8);
			ip.fill();
			ip.resetRoi();
			ip.setColor(Color.BLACK);
			ip.drawString(String.format(Locale.ROOT, "%.3f", probabilities[c]), 466, y + rowH - 6);
		}
		if (!new FileSaver(new ImagePlus("cover", ip)).saveAsPng(file.toString())) throw new IOException(file + ": cannot be written");
	}

	private static void zipTree(Path dir, Path zip) throws IOException {
		try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip)); Stream<Path> s = Files.walk(dir)) {
			for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
				out.putNextEntry(new java.util.zip.ZipEntry(dir.relativize(p).toString().replace('\\', '/')));
				Files.copy(p, out);
				out.closeEntry();
			}
		}
	}
}
