package org.medcnn.io;

import ai.djl.translate.TranslateException;
import com.google.gson.JsonObject;
import ij.ImagePlus;
import ij.process.FloatProcessor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.Hashes;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;

/**
 * Imports bioimage.io model packages (model description {@code rdf.yaml}, format 0.5, and 0.4 where it
 * is simple) whose TorchScript weights classify: one input with batch, channel (1 or 3) and y, x axes;
 * one output with batch and channel (class names from {@code channel_names}) or index axes. The input's
 * preprocessing becomes the package's intensity policy (a chain of {@code scale_range},
 * {@code zero_mean_unit_variance}, {@code fixed_zero_mean_unit_variance}, {@code scale_linear} and
 * {@code clip}; a per-channel operation at the end becomes the channel mean and std); a {@code softmax}
 * postprocessing says the model returns logits. Every file's sha256 given in the description is
 * verified, and the package MedCNN writes must reproduce the description's test output from its test
 * input to the stated tolerance, through MedCNN's own preprocessing and engine, before it is kept.
 * Nothing is ever fetched: a source that is a URL is refused.
 * <p>
 * The fields relied on are listed in the README (section bioimage.io).
 */
public final class BioImageIo {

	/** The description file names looked for in a package folder, in order. */
	public static final List<String> DESCRIPTIONS = List.of("rdf.yaml", "bioimageio.yaml", "model.yaml");

	/** Default tolerances of the bioimage.io specification 0.5 (relative, absolute). */
	static final double RTOL = 1e-3;
	static final double ATOL = 1e-4;

	/** The most bytes unpacked from a zip package. */
	static final long MAX_UNZIPPED = 4L << 30;

	private BioImageIo() {}

	/**
	 * What to import.
	 *
	 * @param source a package folder, its description file, or a {@code .zip} package
	 * @param output the package folder to write (new or empty)
	 * @param id the model id, or null for one made from the description's name
	 * @param classes class names in output order, or null to take them from the output's channel names
	 *        (needed for an index axis and for format 0.4)
	 */
	public record Request(Path source, Path output, String id, List<String> classes) {}

	/**
	 * An imported model.
	 *
	 * @param pkg the package written
	 * @param formatVersion the description's format version
	 * @param maxDifference the largest difference of MedCNN's output from the test output
	 * @param tolerance the tolerance it was checked against, as text
	 * @param warnings what the user should know
	 */
	public record Imported(ModelPackage pkg, String formatVersion, double maxDifference, String tolerance, List<String> warnings) {}

	/** The parts of a description MedCNN uses, read and checked. */
	record Description(Path dir, Path file, Object rdf, String formatVersion, String name, Path weights, List<String> classes, int channels, int width,
		int height, List<IntensityPolicy.Step> steps, float[] mean, float[] std, boolean softmax, Path testInput, Path testOutput, double rtol,
		double atol, double mismatchedPerMillion, List<String> warnings) {}

	/**
	 * Imports a bioimage.io model into a MedCNN package.
	 *
	 * @param r the request
	 * @return the package and how closely it reproduced the test output
	 * @throws IOException if a file cannot be read, is missing or altered, the output folder is in use, or
	 *         the description is not a classifier MedCNN can run (the message says which field)
	 * @throws ModelLoadException if the weights do not load or run
	 * @throws TranslateException if the engine fails
	 */
	public static Imported importModel(Request r) throws IOException, ModelLoadException, TranslateException {
		Path unpacked = null;
		try {
			Path source = r.source();
			if (Files.isRegularFile(source) && source.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
				unpacked = Files.createTempDirectory("medcnn-bioimageio");
				unzip(source, unpacked);
				source = unpacked;
			}
			Description d = describe(source, r.classes());
			return write(d, r, source);
		} finally {
			if (unpacked != null) deleteTree(unpacked);
		}
	}

	private static Imported write(Description d, Request r, Path source) throws IOException, ModelLoadException, TranslateException {
		Path out = r.output();
		if (Files.exists(out)) {
			try (Stream<Path> s = Files.list(out)) {
				if (s.findAny().isPresent()) throw new IOException(out + ": not empty; give a new or empty folder for the imported package (nothing there is replaced)");
			}
		}
		OutputGuard.refuseInput(out.resolve(TorchScriptImport.MODEL_FILE), d.weights(), "--output folder");
		if (OutputGuard.overlap(out, d.dir())) throw new IllegalArgumentException("--output " + out + " is, or lies inside or around, the package " + d.dir());
		Npy.Array input = Npy.read(d.testInput());
		Npy.Array expected = Npy.read(d.testOutput());
		float[] grey = testSlice(d, input);
		Path staging = Files.createTempDirectory("medcnn-bioimageio-import");
		try {
			Path examples = Files.createDirectories(staging.resolve("examples"));
			// the test input, as a 32-bit TIFF, is the package's example: MedCNN reads it like any slice
			ImagePlus imp = new ImagePlus("test_input", new FloatProcessor(d.width(), d.height(), grey.clone()));
			TiffOutput.save(imp, examples.resolve("test_input.tif"), true);
			String id = r.id() != null ? r.id() : slug(d.name());
			JsonObject prov = new JsonObject();
			prov.addProperty("bioimageio_format_version", d.formatVersion());
			String bioId = Yaml.string(d.rdf(), "id");
			if (bioId != null) prov.addProperty("bioimageio_id", bioId);
			prov.addProperty("bioimageio_description", d.file().getFileName().toString());
			prov.addProperty("bioimageio_description_sha256", Hashes.sha256(d.file()));
			String license = Yaml.string(d.rdf(), "license");
			JsonObject extra = new JsonObject();
			if (license != null) extra.addProperty("license", license);
			String authors = names(Yaml.get(d.rdf(), "authors"), "name");
			if (!authors.isEmpty()) extra.addProperty("authors", authors);
			String cite = names(Yaml.get(d.rdf(), "cite"), "text");
			if (!cite.isEmpty()) extra.addProperty("citation", cite);
			restore(d.rdf(), extra);
			InputSpec spec = InputSpec.builder().setSize(d.width(), d.height())
				.setIntensity(new IntensityPolicy.Steps(d.steps().isEmpty() ? List.of(new IntensityPolicy.ScaleLinear(1, 0)) : d.steps()))
				.optNormalize(d.mean(), d.std()).optMinSliceSize(1).build();
			TorchScriptImport.Result result = TorchScriptImport.run(TorchScriptImport.builder().setModel(d.weights()).setClasses(d.classes()).setInput(spec)
				.optChannels(d.channels()).optOutputKind(d.softmax() ? ModelCard.Output.LOGITS : outputKind(expected)).optId(id).optName(d.name())
				.optDescription(Yaml.string(d.rdf(), "description")).optExamples(examples).optProvenance(prov).optCardFields(extra)
				.setOutput(staging.resolve("package")).build());
			ModelPackage pkg = ModelPackage.open(result.dir());
			double[] check = reproduce(pkg, d, grey, expected);
			Files.createDirectories(out);
			moveTree(staging.resolve("package"), out);
			ModelPackage moved = ModelPackage.open(out);
			List<String> warnings = new ArrayList<>(d.warnings());
			warnings.addAll(result.warnings());
			if (license != null) warnings.add("license of the model: " + license + " (its description's; see " + d.file() + ")");
			return new Imported(moved, d.formatVersion(), check[0], String.format(Locale.ROOT, "relative %.0e, absolute %.0e", d.rtol(), d.atol()), warnings);
		} finally {
			deleteTree(staging);
		}
	}

	/** The given field of each entry of a list (authors' names, citations' texts), joined by "; ". */
	private static String names(Object list, String field) {
		if (!(list instanceof List<?> l)) return "";
		List<String> out = new ArrayList<>();
		for (Object o : l) {
			String s = Yaml.string(o, field);
			if (s != null && !s.isBlank()) out.add(s.trim());
		}
		return String.join("; ", out);
	}

	/** A package MedCNN exported carries its card's intended use, limitations and test metrics in config.medcnn: they come back with it. */
	private static void restore(Object rdf, JsonObject extra) {
		Object medcnn = Yaml.get(rdf, "config", "medcnn");
		if (medcnn == null) return;
		for (String k : List.of("intended_use", "limitations", "modality")) {
			String v = Yaml.string(medcnn, k);
			if (v != null) extra.addProperty(k, v);
		}
		String metrics = Yaml.string(medcnn, "metrics_json");
		if (metrics != null) {
			try {
				extra.add("metrics", com.google.gson.JsonParser.parseString(metrics));
			} catch (RuntimeException e) {
				// not JSON: left out
			}
		}
	}

	/** Probabilities for a model without softmax postprocessing whose test output rows are probabilities; logits otherwise. */
	private static ModelCard.Output outputKind(Npy.Array expected) {
		float[] v = expected.data();
		long k = expected.shape()[expected.shape().length - 1];
		for (float x : v) if (x < 0 || x > 1) return ModelCard.Output.LOGITS;
		for (int i = 0; i + k <= v.length; i += (int) k) {
			double s = 0;
			for (int c = 0; c < k; c++) s += v[i + c];
			if (Math.abs(s - 1) > 1e-3) return ModelCard.Output.LOGITS;
		}
		return ModelCard.Output.PROBABILITIES;
	}

	/** The grey slice of a test input tensor (1 x C x H x W): its one channel, or its three equal channels. */
	private static float[] testSlice(Description d, Npy.Array input) throws IOException {
		long[] s = input.shape();
		long[] want = {1, d.channels(), d.height(), d.width()};
		if (!Arrays.equals(s, want)) {
			throw new IOException(d.testInput() + ": test input of shape " + Arrays.toString(s) + ", but the description's input axes give " + Arrays.toString(want));
		}
		int plane = d.width() * d.height();
		float[] v = input.data();
		for (int c = 1; c < d.channels(); c++) {
			for (int i = 0; i < plane; i++) {
				if (v[c * plane + i] != v[i]) {
					throw new IOException(d.testInput() + ": the test input's " + d.channels() + " channels differ (a colour image): MedCNN feeds one grey slice "
						+ "to every channel, so it cannot run this model as its authors did");
				}
			}
		}
		return Arrays.copyOf(v, plane);
	}

	/**
	 * Runs the test input through the imported package (MedCNN's preprocessing and engine) and compares with
	 * the test output as numpy's {@code assert_allclose} does: {@code |out - test| <= atol + rtol |test|}.
	 *
	 * @return {largest absolute difference}
	 * @throws IOException naming the description and the difference when the output is not reproduced
	 */
	private static double[] reproduce(ModelPackage pkg, Description d, float[] grey, Npy.Array expected) throws IOException, ModelLoadException, TranslateException {
		int k = d.classes().size();
		long[] es = expected.shape();
		if (expected.size() != k || es[0] != 1) {
			throw new IOException(d.testOutput() + ": test output of shape " + Arrays.toString(es) + "; the output axes give 1 x " + k);
		}
		float[] got;
		try (ClassifierModel m = ClassifierModel.load(pkg, DeviceSpec.CPU); ClassifierModel.Session s = m.newSession()) {
			SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
			float[] buf = new float[pre.spec().tensorSize()];
			pre.preprocess(new Slice(1, "test_input", d.width(), d.height(), grey), buf, 0);
			float[] scores = Arrays.copyOf(s.pooledFeatures(buf, 1), k);
			if (d.softmax()) {
				got = Probabilities.softmax(scores, 1);
			} else if (pkg.card().wholeModelOutput() == ModelCard.Output.PROBABILITIES) {
				got = new float[k];
				for (int c = 0; c < k; c++) got[c] = (float) Math.exp(scores[c]);
			} else {
				got = scores;
			}
		}
		float[] e = expected.data();
		double max = 0;
		int mismatched = 0;
		for (int c = 0; c < k; c++) {
			double diff = Math.abs(got[c] - e[c]);
			max = Math.max(max, diff);
			if (diff > d.atol() + d.rtol() * Math.abs(e[c])) mismatched++;
		}
		if (mismatched > d.mismatchedPerMillion() * k / 1e6) {
			throw new IOException(d.file() + ": MedCNN does not reproduce the test output: " + Arrays.toString(got) + " against " + Arrays.toString(e)
				+ String.format(Locale.ROOT, " (largest difference %.3g; tolerance relative %.0e, absolute %.0e)", max, d.rtol(), d.atol()));
		}
		return new double[] {max};
	}

	// -- reading a description --

	/**
	 * Finds and reads a package's description, refusing anything MedCNN cannot run as a classifier.
	 *
	 * @param source the package folder or its description file
	 * @param classes class names given by the user, or null
	 * @return the parts MedCNN uses
	 * @throws IOException naming the file and field that is missing, altered or not supported
	 */
	static Description describe(Path source, List<String> classes) throws IOException {
		Path file = descriptionFile(source);
		Path dir = file.toAbsolutePath().getParent();
		Object rdf = Yaml.read(file);
		if (!(rdf instanceof Map)) throw new IOException(file + ": not a model description (a YAML mapping was expected)");
		String type = Yaml.string(rdf, "type");
		if (type == null) throw new IOException(file + ": no 'type' field; is this a bioimage.io description?");
		if (!type.equals("model")) throw new IOException(file + ": describes a " + type + ", not a model");
		String version = Yaml.string(rdf, "format_version");
		if (version == null) throw new IOException(file + ": no 'format_version' field");
		boolean v05 = version.startsWith("0.5.");
		boolean v04 = version.startsWith("0.4.");
		if (!v05 && !v04) throw new IOException(file + ": format_version " + version + " is not supported (0.5.x, and 0.4.x where simple)");
		List<String> warnings = new ArrayList<>();
		String name = Yaml.string(rdf, "name");
		if (name == null || name.isBlank()) name = file.getParent().getFileName().toString();
		Path weights = weights(file, dir, rdf, warnings);
		List<Object> inputs = list(file, rdf, "inputs");
		List<Object> outputs = list(file, rdf, "outputs");
		if (inputs.size() != 1) throw new IOException(file + ": " + inputs.size() + " inputs; MedCNN feeds a model one tensor");
		if (outputs.size() != 1) throw new IOException(file + ": " + outputs.size() + " outputs; a classifier returns one tensor of class scores");
		Object in = inputs.get(0);
		Object out = outputs.get(0);
		int[] geometry = v05 ? inputAxes05(file, in) : inputAxes04(file, in);
		int channels = geometry[0];
		String dataType = v05 ? Yaml.string(in, "data", "type") : Yaml.string(in, "data_type");
		if (dataType != null && !dataType.equals("float32")) {
			throw new IOException(file + ": inputs[0] data type " + dataType + "; MedCNN feeds float32 tensors");
		}
		List<String> outNames = v05 ? outputAxes05(file, out) : outputAxes04(file, out);
		// a package MedCNN exported keeps the original class names (channel names must be identifiers)
		List<String> original = new ArrayList<>();
		for (Object o : list(file, Yaml.get(rdf, "config", "medcnn"), "classes", true)) original.add(o.toString());
		List<String> names = classes != null && !classes.isEmpty() ? classes : original.size() == outNames.size() ? original
			: outNames.get(0) == null ? null : outNames;
		if (names == null) {
			throw new IOException(file + ": the output has " + outNames.size() + " classes but no channel_names: give their names with --classes");
		}
		if (names.size() != outNames.size()) {
			throw new IOException(file + ": the output has " + outNames.size() + " classes, but " + names.size() + " names were given " + names);
		}
		Preprocessing pre = preprocessing(file, v05 ? list(file, in, "preprocessing", true) : list(file, in, "preprocessing", true), channels, v05);
		boolean softmax = postprocessing(file, v05 ? list(file, out, "postprocessing", true) : list(file, out, "postprocessing", true));
		Path testIn;
		Path testOut;
		if (v05) {
			testIn = fileField(file, dir, Yaml.get(in, "test_tensor"), "inputs[0].test_tensor", true);
			testOut = fileField(file, dir, Yaml.get(out, "test_tensor"), "outputs[0].test_tensor", true);
		} else {
			testIn = fileEntry(file, dir, first(file, rdf, "test_inputs"), "test_inputs");
			testOut = fileEntry(file, dir, first(file, rdf, "test_outputs"), "test_outputs");
		}
		double[] tol = tolerance(rdf, v05);
		return new Description(dir, file, rdf, version, name, weights, List.copyOf(names), channels, geometry[2], geometry[1], pre.steps(), pre.mean(), pre.std(),
			softmax, testIn, testOut, tol[0], tol[1], tol[2], warnings);
	}

	private static Path descriptionFile(Path source) throws IOException {
		if (Files.isRegularFile(source)) return source;
		if (!Files.isDirectory(source)) throw new IOException(source + ": not found");
		for (String n : DESCRIPTIONS) if (Files.isRegularFile(source.resolve(n))) return source.resolve(n);
		try (Stream<Path> s = Files.list(source)) {
			List<Path> rdf = s.filter(p -> p.getFileName().toString().endsWith(".bioimageio.yaml")).toList();
			if (rdf.size() == 1) return rdf.get(0);
		}
		throw new IOException(source + ": no model description (" + String.join(", ", DESCRIPTIONS) + " or *.bioimageio.yaml)");
	}

	private static Path weights(Path file, Path dir, Object rdf, List<String> warnings) throws IOException {
		Object w = Yaml.get(rdf, "weights");
		if (!(w instanceof Map<?, ?> formats) || formats.isEmpty()) throw new IOException(file + ": no weights");
		Object ts = Yaml.get(w, "torchscript");
		if (ts == null) {
			Set<String> have = new LinkedHashSet<>();
			for (Object k : formats.keySet()) have.add(k.toString());
			String hint = have.contains("pytorch_state_dict") ? " (pytorch_state_dict weights need the model's Python code to rebuild the network, "
				+ "which MedCNN does not run; export the model as TorchScript with torch.jit.script or torch.jit.trace)" : "";
			throw new IOException(file + ": weights in " + have + " only; MedCNN runs torchscript weights" + hint);
		}
		return fileField(file, dir, ts, "weights.torchscript", true);
	}

	/** A file named by {@code {source, sha256}} (0.5) or {@code source}, checked to exist, lie in the package and match its sha256. */
	private static Path fileField(Path file, Path dir, Object node, String field, boolean required) throws IOException {
		if (node == null) {
			if (required) throw new IOException(file + ": no " + field + (field.contains("test_tensor") ? " (MedCNN checks every imported model on its test tensors)" : ""));
			return null;
		}
		String src = Yaml.string(node, "source");
		if (src == null) src = Yaml.string(node, "uri"); // 0.4 used uri for some file fields
		if (src == null) throw new IOException(file + ": " + field + " has no source");
		Path p = resolve(file, dir, src, field);
		String sha = Yaml.string(node, "sha256");
		if (sha != null) {
			String actual = Hashes.sha256(p);
			if (!actual.equalsIgnoreCase(sha.trim())) {
				throw new IOException(p + ": sha256 mismatch: " + file.getFileName() + " expects " + sha.trim() + " for " + field + " but the file has " + actual
					+ " (file changed or corrupted)");
			}
		}
		return p;
	}

	private static Path fileEntry(Path file, Path dir, Object entry, String field) throws IOException {
		if (entry instanceof Yaml.Scalar s) return resolve(file, dir, s.text(), field);
		return fileField(file, dir, entry, field, true);
	}

	private static Object first(Path file, Object rdf, String key) throws IOException {
		List<Object> l = list(file, rdf, key, true);
		if (l.isEmpty()) throw new IOException(file + ": no " + key + " (MedCNN checks every imported model on its test tensors)");
		return l.get(0);
	}

	/** A relative file inside the package: URLs are refused (nothing is fetched), and so are paths that leave the package. */
	static Path resolve(Path file, Path dir, String src, String field) throws IOException {
		String s = src.trim();
		if (s.matches("(?i)[a-z][a-z0-9+.-]*://.*")) {
			throw new IOException(file + ": " + field + " is a URL (" + s + "); MedCNN never fetches files: download the package and give its folder or zip");
		}
		Path p = dir.resolve(s).normalize();
		if (!p.startsWith(dir.normalize())) throw new IOException(file + ": " + field + " '" + s + "' lies outside the package");
		if (!Files.isRegularFile(p)) throw new IOException(file + ": " + field + " " + s + " is missing from the package");
		return p;
	}

	@SuppressWarnings("unchecked")
	private static List<Object> list(Path file, Object node, String key) throws IOException {
		return list(file, node, key, false);
	}

	@SuppressWarnings("unchecked")
	private static List<Object> list(Path file, Object node, String key, boolean optional) throws IOException {
		Object v = Yaml.get(node, key);
		if (v == null) {
			if (optional) return List.of();
			throw new IOException(file + ": no '" + key + "'");
		}
		if (!(v instanceof List)) throw new IOException(file + ": '" + key + "' must be a list");
		return (List<Object>) v;
	}

	/** {channels, height, width} of a 0.5 input: axes batch, channel (optional: 1), y, x, in that order. */
	private static int[] inputAxes05(Path file, Object in) throws IOException {
		List<Object> axes = list(file, in, "axes");
		List<String> order = new ArrayList<>();
		int channels = 1;
		int h = -1;
		int w = -1;
		for (Object a : axes) {
			String type = Yaml.string(a, "type");
			if (type == null) throw new IOException(file + ": inputs[0] has an axis without type");
			String id = Yaml.string(a, "id");
			switch (type) {
				case "batch" -> order.add("batch");
				case "channel" -> {
					List<Object> names = list(file, a, "channel_names", true);
					channels = names.isEmpty() ? (int) number(file, Yaml.get(a, "size"), "inputs[0] channel size") : names.size();
					order.add("channel");
				}
				case "space" -> {
					String axis = id == null ? "x" : id;
					int size = size05(file, a, "inputs[0] axis " + axis);
					if (axis.equals("y")) h = size;
					else if (axis.equals("x")) w = size;
					else if (size != 1) throw new IOException(file + ": inputs[0] has a space axis " + axis + " of size " + size + " (3-D input); MedCNN classifies 2-D slices");
					order.add(axis.equals("y") || axis.equals("x") ? axis : "z");
				}
				default -> throw new IOException(file + ": inputs[0] has a " + type + " axis; MedCNN feeds batch, channel, y, x");
			}
		}
		order.remove("z");
		List<String> want = order.contains("channel") ? List.of("batch", "channel", "y", "x") : List.of("batch", "y", "x");
		if (!order.equals(want)) throw new IOException(file + ": inputs[0] axes " + order + "; MedCNN feeds batch, channel, y, x in that order");
		if (!order.contains("channel")) {
			throw new IOException(file + ": inputs[0] has no channel axis; MedCNN feeds batch, channel, y, x");
		}
		if (channels != 1 && channels != 3) throw new IOException(file + ": inputs[0] has " + channels + " channels; MedCNN feeds 1 or 3 (the grey slice)");
		return new int[] {channels, h, w};
	}

	private static int size05(Path file, Object axis, String what) throws IOException {
		Object s = Yaml.get(axis, "size");
		if (s instanceof Yaml.Scalar) return (int) number(file, s, what + " size");
		if (s instanceof Map) {
			// a parameterized size {min, step}: the smallest valid size
			return (int) number(file, Yaml.get(s, "min"), what + " size.min");
		}
		throw new IOException(file + ": " + what + " has no fixed size (a size that refers to another tensor is not supported)");
	}

	/** {channels, height, width} of a 0.4 input: axes "bcyx" with a shape list (or {min, step}). */
	private static int[] inputAxes04(Path file, Object in) throws IOException {
		String axes = Yaml.string(in, "axes");
		if (!"bcyx".equals(axes)) throw new IOException(file + ": inputs[0] axes '" + axes + "'; MedCNN feeds bcyx (batch, channel, y, x)");
		Object shape = Yaml.get(in, "shape");
		long[] s;
		if (shape instanceof List<?> l) {
			s = new long[l.size()];
			for (int i = 0; i < l.size(); i++) s[i] = (long) number(file, l.get(i), "inputs[0].shape");
		} else if (shape instanceof Map) {
			List<Object> min = list(file, shape, "min");
			s = new long[min.size()];
			for (int i = 0; i < min.size(); i++) s[i] = (long) number(file, min.get(i), "inputs[0].shape.min");
		} else {
			throw new IOException(file + ": inputs[0] has no shape");
		}
		if (s.length != 4) throw new IOException(file + ": inputs[0].shape has " + s.length + " values for axes bcyx");
		if (s[1] != 1 && s[1] != 3) throw new IOException(file + ": inputs[0] has " + s[1] + " channels; MedCNN feeds 1 or 3 (the grey slice)");
		return new int[] {(int) s[1], (int) s[2], (int) s[3]};
	}

	/** The class names of a 0.5 output (nulls when it gives none): axes batch and one channel or index axis; anything spatial is a segmentation. */
	private static List<String> outputAxes05(Path file, Object out) throws IOException {
		List<Object> axes = list(file, out, "axes");
		List<String> names = null;
		int k = -1;
		boolean batch = false;
		for (Object a : axes) {
			String type = Yaml.string(a, "type");
			if ("batch".equals(type)) {
				batch = true;
			} else if ("channel".equals(type) || "index".equals(type)) {
				if (k >= 0) throw new IOException(file + ": outputs[0] has two channel or index axes; a classifier returns batch x classes");
				List<Object> cn = list(file, a, "channel_names", true);
				if (!cn.isEmpty()) {
					names = new ArrayList<>();
					for (Object o : cn) names.add(o.toString());
					k = names.size();
				} else {
					k = (int) number(file, Yaml.get(a, "size"), "outputs[0] " + type + " axis size");
				}
			} else if ("space".equals(type) || "time".equals(type)) {
				throw new IOException(file + ": outputs[0] has " + type + " axes (an image per input: a segmentation or image-to-image model); "
					+ "MedCNN imports classifiers, whose output has batch and channel (or index) axes");
			} else {
				throw new IOException(file + ": outputs[0] has a " + type + " axis");
			}
		}
		if (!batch || k < 0) throw new IOException(file + ": outputs[0] axes must be batch and channel (or index): one score per class");
		if (k < 2) throw new IOException(file + ": outputs[0] has " + k + " class; a classifier needs at least 2");
		if (names == null) {
			names = new ArrayList<>();
			for (int i = 0; i < k; i++) names.add(null);
		}
		return names;
	}

	private static List<String> outputAxes04(Path file, Object out) throws IOException {
		String axes = Yaml.string(out, "axes");
		if (axes == null) throw new IOException(file + ": outputs[0] has no axes");
		if (axes.contains("x") || axes.contains("y") || axes.contains("z")) {
			throw new IOException(file + ": outputs[0] axes '" + axes + "' (an image per input: a segmentation or image-to-image model); MedCNN imports classifiers (axes bc)");
		}
		if (!axes.equals("bc") && !axes.equals("bi")) throw new IOException(file + ": outputs[0] axes '" + axes + "'; a classifier's are bc");
		Object shape = Yaml.get(out, "shape");
		int k;
		if (shape instanceof List<?> l && l.size() == 2) {
			k = (int) number(file, l.get(1), "outputs[0].shape");
		} else {
			throw new IOException(file + ": outputs[0].shape must be [batch, classes] (a shape that refers to the input is not supported)");
		}
		List<String> names = new ArrayList<>();
		for (int i = 0; i < k; i++) names.add(null);
		return names;
	}

	private record Preprocessing(List<IntensityPolicy.Step> steps, float[] mean, float[] std) {}

	private static Preprocessing preprocessing(Path file, List<Object> ops, int channels, boolean v05) throws IOException {
		List<IntensityPolicy.Step> steps = new ArrayList<>();
		float[] mean = {0, 0, 0};
		float[] std = {1, 1, 1};
		for (int i = 0; i < ops.size(); i++) {
			Object op = ops.get(i);
			String id = v05 ? Yaml.string(op, "id") : Yaml.string(op, "name");
			String where = "inputs[0].preprocessing[" + i + "] (" + id + ")";
			Object kw = Yaml.get(op, "kwargs");
			boolean last = i == ops.size() - 1;
			if (id == null) throw new IOException(file + ": inputs[0].preprocessing[" + i + "] has no " + (v05 ? "id" : "name"));
			refuseBatchAxes(file, kw, where);
			if (Yaml.get(kw, "reference_tensor") != null) throw new IOException(file + ": " + where + " refers to another tensor; not supported");
			String mode = Yaml.string(kw, "mode");
			if (mode != null && !mode.equals("per_sample") && !mode.equals("fixed")) {
				throw new IOException(file + ": " + where + " mode " + mode + ": statistics over a data set are not stored in the description; not supported");
			}
			try {
				switch (id) {
					case "scale_range" -> steps.add(new IntensityPolicy.ScaleRange(opt(file, kw, "min_percentile", 0), opt(file, kw, "max_percentile", 100),
						opt(file, kw, "eps", 1e-6)));
					case "zero_mean_unit_variance" -> {
						if ("fixed".equals(mode)) {
							float[][] ms = perChannel(file, kw, where, channels);
							if (ms[0].length == 1) steps.add(new IntensityPolicy.FixedZeroMeanUnitVariance(ms[0][0], ms[1][0] + opt(file, kw, "eps", 1e-6)));
							else if (last) {
								mean = ms[0];
								std = ms[1];
							} else {
								throw new IOException(file + ": " + where + ": per-channel values before further steps are not supported");
							}
						} else {
							steps.add(new IntensityPolicy.ZeroMeanUnitVariance(opt(file, kw, "eps", 1e-6)));
						}
					}
					case "fixed_zero_mean_unit_variance" -> {
						float[][] ms = perChannel(file, kw, where, channels);
						if (ms[0].length == 1) steps.add(new IntensityPolicy.FixedZeroMeanUnitVariance(ms[0][0], ms[1][0]));
						else if (last) {
							mean = ms[0];
							std = ms[1];
						} else {
							throw new IOException(file + ": " + where + ": per-channel values before further steps are not supported");
						}
					}
					case "scale_linear" -> {
						Object g = Yaml.get(kw, "gain");
						Object o = Yaml.get(kw, "offset");
						if (g instanceof List || o instanceof List) {
							float[] gain = values(file, g, 1, channels, where + " gain");
							float[] offset = values(file, o, 0, channels, where + " offset");
							if (!last) throw new IOException(file + ": " + where + ": per-channel values before further steps are not supported");
							// x * g + o = (x - m) / s with s = 1 / g, m = -o / g
							for (int c = 0; c < 3; c++) {
								int k = channels == 1 ? 0 : c;
								mean[c] = -offset[k] / gain[k];
								std[c] = 1 / gain[k];
							}
						} else {
							steps.add(new IntensityPolicy.ScaleLinear(opt(file, kw, "gain", 1), opt(file, kw, "offset", 0)));
						}
					}
					case "clip" -> steps.add(new IntensityPolicy.Clip(opt(file, kw, "min", Double.NEGATIVE_INFINITY), opt(file, kw, "max", Double.POSITIVE_INFINITY)));
					case "ensure_dtype" -> {
						if (!"float32".equals(Yaml.string(kw, "dtype"))) throw new IOException(file + ": " + where + " casts to " + Yaml.string(kw, "dtype") + "; MedCNN feeds float32");
					}
					default -> throw new IOException(file + ": " + where + " is not supported (scale_range, zero_mean_unit_variance, fixed_zero_mean_unit_variance, "
						+ "scale_linear, clip and ensure_dtype float32 are)");
				}
			} catch (IllegalArgumentException e) {
				throw new IOException(file + ": " + where + ": " + e.getMessage(), e);
			}
		}
		return new Preprocessing(steps, mean, std);
	}

	private static void refuseBatchAxes(Path file, Object kw, String where) throws IOException {
		Object axes = Yaml.get(kw, "axes");
		boolean batch = axes instanceof List<?> l ? l.stream().anyMatch(a -> a.toString().equals("batch") || a.toString().equals("b"))
			: axes instanceof Yaml.Scalar s && s.text().contains("b");
		if (batch) {
			throw new IOException(file + ": " + where + " computes its statistics over the batch axis, which depends on which slices are batched together; "
				+ "MedCNN preprocesses each slice on its own");
		}
	}

	private static double opt(Path file, Object kw, String key, double fallback) throws IOException {
		Object v = Yaml.get(kw, key);
		return v == null ? fallback : number(file, v, key);
	}

	private static float[][] perChannel(Path file, Object kw, String where, int channels) throws IOException {
		Object m = Yaml.get(kw, "mean");
		Object s = Yaml.get(kw, "std");
		if (m == null || s == null) throw new IOException(file + ": " + where + " needs mean and std");
		if (m instanceof List || s instanceof List) {
			float[] mv = values(file, m, 0, channels, where + " mean");
			float[] sv = values(file, s, 1, channels, where + " std");
			if (channels == 1) return new float[][] {{mv[0]}, {sv[0]}};
			return new float[][] {mv, sv};
		}
		return new float[][] {{(float) number(file, m, "mean")}, {(float) number(file, s, "std")}};
	}

	private static float[] values(Path file, Object v, double fallback, int channels, String what) throws IOException {
		if (v == null) {
			float[] f = new float[channels];
			Arrays.fill(f, (float) fallback);
			return f;
		}
		if (v instanceof List<?> l) {
			if (l.size() != channels) throw new IOException(file + ": " + what + " has " + l.size() + " values for " + channels + " channels");
			float[] f = new float[channels];
			for (int i = 0; i < channels; i++) f[i] = (float) number(file, l.get(i), what);
			return f;
		}
		float[] f = new float[channels];
		Arrays.fill(f, (float) number(file, v, what));
		return f;
	}

	/** Whether the output's postprocessing is a softmax over the classes; anything else but nothing is refused. */
	private static boolean postprocessing(Path file, List<Object> ops) throws IOException {
		boolean softmax = false;
		for (int i = 0; i < ops.size(); i++) {
			Object op = ops.get(i);
			String id = Yaml.string(op, "id") != null ? Yaml.string(op, "id") : Yaml.string(op, "name");
			if ("softmax".equals(id)) {
				String axis = Yaml.string(op, "kwargs", "axis");
				if (axis != null && !axis.equals("channel") && !axis.equals("c") && !axis.equals("index") && !axis.equals("i")) {
					throw new IOException(file + ": outputs[0].postprocessing softmax over axis " + axis + "; a classifier's is over its classes");
				}
				softmax = true;
			} else if ("ensure_dtype".equals(id) && "float32".equals(Yaml.string(op, "kwargs", "dtype"))) {
				continue;
			} else if ("sigmoid".equals(id)) {
				throw new IOException(file + ": outputs[0].postprocessing sigmoid gives an independent probability per class (multi-label), which MedCNN's "
					+ "single-label classification does not model");
			} else {
				throw new IOException(file + ": outputs[0].postprocessing " + id + " is not supported (softmax is)");
			}
		}
		return softmax;
	}

	/** {relative, absolute, mismatched elements per million} of the description, or the specification's defaults. */
	private static double[] tolerance(Object rdf, boolean v05) {
		double rtol = RTOL;
		double atol = ATOL;
		double mism = 0;
		Object list = Yaml.get(rdf, "config", "bioimageio", "reproducibility_tolerance");
		if (v05 && list instanceof List<?> l) {
			for (Object t : l) {
				Object wf = Yaml.get(t, "weights_formats");
				if (wf instanceof List<?> formats && !formats.isEmpty() && formats.stream().noneMatch(f -> f.toString().equals("torchscript"))) continue;
				rtol = num(Yaml.get(t, "relative_tolerance"), rtol);
				atol = num(Yaml.get(t, "absolute_tolerance"), atol);
				mism = num(Yaml.get(t, "mismatched_elements_per_million"), mism);
				break;
			}
		}
		Object legacy = Yaml.get(rdf, "config", "bioimageio", "test_kwargs", "torchscript");
		if (legacy != null && !(list instanceof List)) {
			rtol = num(Yaml.get(legacy, "relative_tolerance"), rtol);
			atol = num(Yaml.get(legacy, "absolute_tolerance"), atol);
		}
		return new double[] {rtol, atol, mism};
	}

	private static double num(Object v, double fallback) {
		if (v instanceof Yaml.Scalar s && !Double.isNaN(s.number())) return s.number();
		return fallback;
	}

	private static double number(Path file, Object v, String what) throws IOException {
		if (v instanceof Yaml.Scalar s) {
			double d = s.number();
			if (!Double.isNaN(d)) return d;
		}
		throw new IOException(file + ": " + what + " must be a number, got " + v);
	}

	/** A model id from a name: lower case, runs of other characters as one '-'. */
	static String slug(String name) {
		String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-").replaceAll("^[-._]+|[-._]+$", "");
		if (s.isEmpty()) s = "bioimageio-model";
		return s.length() > 64 ? s.substring(0, 64) : s;
	}

	// -- files --

	/** Unpacks a zip package, refusing entries that leave the folder and more than {@link #MAX_UNZIPPED} bytes. */
	static void unzip(Path zip, Path dir) throws IOException {
		long total = 0;
		int entries = 0;
		try (InputStream raw = Files.newInputStream(zip); ZipInputStream in = new ZipInputStream(raw)) {
			ZipEntry e;
			while ((e = in.getNextEntry()) != null) {
				if (++entries > 10000) throw new IOException(zip + ": more than 10000 entries; not a model package");
				Path target = dir.resolve(e.getName()).normalize();
				if (!target.startsWith(dir)) throw new IOException(zip + ": entry " + e.getName() + " lies outside the package; not unpacked");
				if (e.isDirectory()) {
					Files.createDirectories(target);
					continue;
				}
				Files.createDirectories(target.getParent());
				byte[] buf = new byte[1 << 16];
				try (var os = Files.newOutputStream(target)) {
					int n;
					while ((n = in.read(buf)) > 0) {
						total += n;
						if (total > MAX_UNZIPPED) throw new IOException(zip + ": unpacks to more than " + MAX_UNZIPPED + " bytes; not unpacked");
						os.write(buf, 0, n);
					}
				}
			}
		} catch (java.util.zip.ZipException e) {
			throw new IOException(zip + ": not a readable zip file: " + e.getMessage(), e);
		}
		if (entries == 0) throw new IOException(zip + ": not a zip package (no entries)");
		// a zip may hold the package inside one folder
		if (DESCRIPTIONS.stream().noneMatch(n -> Files.exists(dir.resolve(n)))) {
			try (Stream<Path> s = Files.list(dir)) {
				List<Path> subs = s.toList();
				if (subs.size() == 1 && Files.isDirectory(subs.get(0))) {
					try (Stream<Path> inner = Files.list(subs.get(0))) {
						for (Path p : inner.toList()) Files.move(p, dir.resolve(p.getFileName()));
					}
				}
			}
		}
	}

	static void moveTree(Path from, Path to) throws IOException {
		Files.createDirectories(to);
		try (Stream<Path> s = Files.walk(from)) {
			for (Path p : s.sorted().toList()) {
				Path t = to.resolve(from.relativize(p).toString());
				if (Files.isDirectory(p)) Files.createDirectories(t);
				else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
			}
		}
	}

	static void deleteTree(Path dir) {
		if (dir == null || !Files.exists(dir)) return;
		try (Stream<Path> s = Files.walk(dir)) {
			for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
		} catch (IOException e) {
			// a temporary folder left behind is harmless
		}
	}
}
