package org.medcnn.io;

import ai.djl.translate.TranslateException;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.classify.PassSampler;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.WholeModels;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.Hashes;
import org.medcnn.core.model.ModelCard;
import org.medcnn.core.model.ModelCards;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.uncertainty.UncertaintyOptions;

/**
 * Brings a classifier trained elsewhere (PyTorch, MONAI; any TorchScript file N x C x H x W to N x K) to
 * MedCNN: writes a whole-model package around it ({@code model.json} with its hashes, input contract,
 * intensity policy, optional calibration temperature and feature method; {@code model.pt};
 * {@code examples/} with {@code expected.csv}) and checks it: the file must be TorchScript and return
 * one score per class for an input of the stated size, and the package, opened again from disk,
 * must reproduce its examples.
 */
public final class TorchScriptImport {

	/** The name of the TorchScript file inside a whole-model package. */
	public static final String MODEL_FILE = "model.pt";

	/** The most example files copied into a package. */
	public static final int MAX_EXAMPLES = 64;

	private TorchScriptImport() {}

	/**
	 * What to import. Build with {@link #builder()}.
	 *
	 * @param model the TorchScript file
	 * @param classes class names in the model's output order
	 * @param spec the input contract (size, resize, intensity policy, channel mean and std)
	 * @param channels the input channels the model takes, 1 or 3
	 * @param output what the model returns
	 * @param featureMethod the method that returns features for an out-of-distribution detector, or null
	 * @param id the package id
	 * @param version the package version
	 * @param name a display name, or null
	 * @param description a description, or null
	 * @param temperature a calibration temperature, or NaN for none
	 * @param examples a folder of example images (files, or one sub-folder per class), or null
	 * @param provenance extra provenance for the card (e.g. where the model came from), or null
	 * @param extra further card fields (license, citation, authors, intended_use, limitations, metrics), or null
	 * @param outputDir the package folder to write
	 * @param overwrite whether an existing package there may be replaced
	 */
	public record Request(Path model, List<String> classes, InputSpec spec, int channels, ModelCard.Output output, String featureMethod, String id,
		String version, String name, String description, double temperature, Path examples, JsonObject provenance, JsonObject extra, Path outputDir,
		boolean overwrite) {}

	/** @return a new builder */
	public static Builder builder() {
		return new Builder();
	}

	/** Builds a {@link Request}: {@code set*} required, {@code opt*} optional. */
	public static final class Builder {
		private Path model;
		private List<String> classes;
		private InputSpec spec;
		private int channels = 3;
		private ModelCard.Output output = ModelCard.Output.LOGITS;
		private String featureMethod;
		private String id;
		private String version = "1.0.0";
		private String name;
		private String description;
		private double temperature = Double.NaN;
		private Path examples;
		private JsonObject provenance;
		private JsonObject extra;
		private Path outputDir;
		private boolean overwrite;

		private Builder() {}

		/**
		 * @param file the TorchScript file
		 * @return this builder
		 */
		public Builder setModel(Path file) {
			this.model = file;
			return this;
		}

		/**
		 * @param names class names in output order
		 * @return this builder
		 */
		public Builder setClasses(List<String> names) {
			this.classes = names == null ? null : List.copyOf(names);
			return this;
		}

		/**
		 * @param input the input contract
		 * @return this builder
		 */
		public Builder setInput(InputSpec input) {
			this.spec = input;
			return this;
		}

		/**
		 * @param dir the package folder
		 * @return this builder
		 */
		public Builder setOutput(Path dir) {
			this.outputDir = dir;
			return this;
		}

		/**
		 * @param n 1 or 3 (default 3)
		 * @return this builder
		 */
		public Builder optChannels(int n) {
			this.channels = n;
			return this;
		}

		/**
		 * @param kind what the model returns (default logits)
		 * @return this builder
		 */
		public Builder optOutputKind(ModelCard.Output kind) {
			this.output = kind;
			return this;
		}

		/**
		 * @param method the feature method, or null
		 * @return this builder
		 */
		public Builder optFeatureMethod(String method) {
			this.featureMethod = method == null || method.isBlank() ? null : method.trim();
			return this;
		}

		/**
		 * @param value the package id (default: the output folder's name)
		 * @return this builder
		 */
		public Builder optId(String value) {
			this.id = value;
			return this;
		}

		/**
		 * @param value the version (default 1.0.0)
		 * @return this builder
		 */
		public Builder optVersion(String value) {
			this.version = value;
			return this;
		}

		/**
		 * @param value a display name
		 * @return this builder
		 */
		public Builder optName(String value) {
			this.name = value;
			return this;
		}

		/**
		 * @param value a description
		 * @return this builder
		 */
		public Builder optDescription(String value) {
			this.description = value;
			return this;
		}

		/**
		 * @param t a positive calibration temperature (NaN: none)
		 * @return this builder
		 */
		public Builder optTemperature(double t) {
			this.temperature = t;
			return this;
		}

		/**
		 * @param dir a folder of examples
		 * @return this builder
		 */
		public Builder optExamples(Path dir) {
			this.examples = dir;
			return this;
		}

		/**
		 * @param json extra provenance
		 * @return this builder
		 */
		public Builder optProvenance(JsonObject json) {
			this.provenance = json;
			return this;
		}

		/**
		 * @param json further card fields: license, citation, authors, intended_use, limitations, metrics
		 * @return this builder
		 */
		public Builder optCardFields(JsonObject json) {
			this.extra = json;
			return this;
		}

		/**
		 * @param value whether an existing package may be replaced
		 * @return this builder
		 */
		public Builder optOverwrite(boolean value) {
			this.overwrite = value;
			return this;
		}

		/**
		 * Validates and builds.
		 *
		 * @return the request
		 * @throws IllegalArgumentException naming the first invalid setting
		 */
		public Request build() {
			Objects.requireNonNull(model, "model");
			Objects.requireNonNull(spec, "input");
			Objects.requireNonNull(outputDir, "output");
			if (classes == null || classes.size() < 2) throw new IllegalArgumentException("--classes: a classifier needs at least 2 class names, got " + classes);
			if (classes.stream().distinct().count() != classes.size()) throw new IllegalArgumentException("--classes: a class is listed twice: " + classes);
			for (String c : classes) if (c.isBlank()) throw new IllegalArgumentException("--classes: empty class name in " + classes);
			if (channels != 1 && channels != 3) throw new IllegalArgumentException("--channels must be 1 or 3, got " + channels);
			if (!Double.isNaN(temperature) && !(temperature > 0 && Double.isFinite(temperature))) {
				throw new IllegalArgumentException("--temperature must be positive, got " + temperature);
			}
			if (channels == 1) {
				float[] m = spec.mean();
				float[] s = spec.std();
				if (m[0] != m[1] || m[0] != m[2] || s[0] != s[1] || s[0] != s[2]) throw new IllegalArgumentException("--channels 1 takes one mean and one std");
			}
			String pkgId = id != null ? id : outputDir.toAbsolutePath().normalize().getFileName().toString().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
			if (!pkgId.matches("[a-z0-9][a-z0-9._-]{0,63}")) throw new IllegalArgumentException("--id '" + pkgId + "' must be lower-case letters, digits, '.', '_' or '-'");
			if (extra != null) {
				for (String k : extra.keySet()) {
					if (!java.util.Set.of("license", "citation", "authors", "intended_use", "limitations", "metrics", "modality").contains(k)) {
						throw new IllegalArgumentException("card field " + k + " cannot be given at import");
					}
				}
			}
			return new Request(model, classes, spec, channels, output, featureMethod, pkgId, version, name, description, temperature, examples, provenance,
				extra, outputDir, overwrite);
		}
	}

	/**
	 * The imported package.
	 *
	 * @param dir the package folder
	 * @param card the card written
	 * @param examples examples checked
	 * @param labelled examples whose folder named their class
	 * @param correct labelled examples predicted right
	 * @param warnings what the user should know (e.g. probabilities that look like logits)
	 */
	public record Result(Path dir, ModelCard card, int examples, int labelled, int correct, List<String> warnings) {}

	/**
	 * Imports.
	 *
	 * @param r the request
	 * @return the package
	 * @throws IOException if the output folder is in use or a file cannot be written
	 * @throws ModelLoadException if the file is not TorchScript, does not load, or does not return one score per class
	 * @throws TranslateException if the engine fails on an example
	 * @throws IllegalArgumentException for an example folder without images, an unreadable example, or examples the package does not reproduce
	 */
	public static Result run(Request r) throws IOException, ModelLoadException, TranslateException {
		WholeModels.checkTorchScript(r.model());
		Path dir = r.outputDir();
		OutputGuard.refuseInput(dir.resolve(MODEL_FILE), r.model(), "--output folder");
		if (r.examples() != null && OutputGuard.overlap(dir, r.examples())) {
			throw new IllegalArgumentException("--output " + dir + " is, or lies inside or around, the examples folder " + r.examples() + "; choose another folder");
		}
		boolean fresh = checkOutput(dir, r.overwrite());
		List<String> warnings = new ArrayList<>();
		WholeModels.Probe probe = WholeModels.probe(r.model(), r.channels(), r.spec().width(), r.spec().height(), r.featureMethod());
		checkOutputShape(r, probe, warnings);
		List<Example> examples = r.examples() == null ? List.of() : listExamples(r.examples(), r.classes());
		Files.createDirectories(dir);
		try {
			return write(r, dir, probe, examples, warnings);
		} catch (IOException | ModelLoadException | TranslateException | RuntimeException e) {
			// a package that failed its checks is not left behind in a folder that was new or empty
			if (fresh) {
				for (String f : List.of(ModelPackage.CARD, MODEL_FILE, "examples")) BioImageIo.deleteTree(dir.resolve(f));
			}
			throw e;
		}
	}

	private static Result write(Request r, Path dir, WholeModels.Probe probe, List<Example> examples, List<String> warnings)
		throws IOException, ModelLoadException, TranslateException {
		Files.copy(r.model(), dir.resolve(MODEL_FILE), StandardCopyOption.REPLACE_EXISTING);
		JsonObject card = ModelCards.wholeModel(dir, MODEL_FILE, r.id(), r.version(), r.classes(), r.spec(), r.channels(), r.output(), r.featureMethod(),
			probe.featureCount());
		if (r.name() != null) card.addProperty("name", r.name());
		if (r.description() != null) card.addProperty("description", r.description());
		if (!Double.isNaN(r.temperature())) {
			JsonObject cal = new JsonObject();
			cal.addProperty("temperature", r.temperature());
			cal.addProperty("method", "given when the model was imported");
			card.add("calibration", cal);
		}
		JsonObject prov = r.provenance() != null ? r.provenance().deepCopy() : new JsonObject();
		prov.addProperty("imported_from", r.model().getFileName().toString());
		prov.addProperty("imported_sha256", Hashes.sha256(r.model()));
		prov.addProperty("imported", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
		prov.addProperty("imported_with", "MedCNN " + version());
		card.add("provenance", prov);
		card.addProperty("intended_use", "Brought to MedCNN as a TorchScript classifier; its intended use is that of its authors.");
		card.addProperty("limitations", "Not trained or measured by MedCNN: its test figures are those of its authors, if any.");
		if (r.extra() != null) for (String k : r.extra().keySet()) card.add(k, r.extra().get(k).deepCopy());
		Path cardFile = dir.resolve(ModelPackage.CARD);
		int labelled = 0;
		int correct = 0;
		if (!examples.isEmpty()) {
			// the examples are classified by the package as written (without examples), then the package is completed and checked again
			writeCard(cardFile, card);
			Path ex = Files.createDirectories(dir.resolve("examples"));
			StringBuilder csv = new StringBuilder("file,slice,truth,predicted,confidence\n");
			ModelPackage pkg = ModelPackage.open(dir);
			try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
				for (Example e : examples) {
					Path copy = ex.resolve(e.name());
					Files.copy(e.file(), copy, StandardCopyOption.REPLACE_EXISTING);
					for (Classified c : classify(model, copy)) {
						csv.append(PredictionCsv.quote(e.name())).append(',').append(c.slice()).append(',').append(e.truth() == null ? "" : PredictionCsv.quote(e.truth()))
							.append(',').append(PredictionCsv.quote(r.classes().get(c.predicted()))).append(String.format(Locale.ROOT, ",%.6f%n", c.confidence()));
						if (e.truth() != null) {
							labelled++;
							if (r.classes().get(c.predicted()).equals(e.truth())) correct++;
						}
					}
				}
			}
			AtomicFiles.write(ex.resolve("expected.csv"), true, tmp -> Files.writeString(tmp, csv.toString(), StandardCharsets.UTF_8));
			TrainingOutputs.exampleStack(ex);
			JsonObject ref = new JsonObject();
			ref.addProperty("file", "examples/expected.csv");
			ref.addProperty("sha256", Hashes.sha256(ex.resolve("expected.csv")));
			card.add("examples", ref);
		}
		writeCard(cardFile, card);
		ModelPackage pkg = ModelPackage.open(dir);
		int checked = examples.isEmpty() ? 0 : checkExamples(pkg);
		return new Result(pkg.dir(), pkg.card(), checked, labelled, correct, warnings);
	}

	/**
	 * A package folder may be new, empty, or (with overwrite) a package: anything else is refused, so that
	 * no one's files are replaced.
	 *
	 * @return whether it is new or empty
	 */
	static boolean checkOutput(Path dir, boolean overwrite) throws IOException {
		if (!Files.exists(dir)) return true;
		if (!Files.isDirectory(dir)) throw new IOException(dir + ": exists and is not a folder");
		boolean empty;
		try (Stream<Path> s = Files.list(dir)) {
			empty = s.findAny().isEmpty();
		}
		if (empty) return true;
		if (!Files.exists(dir.resolve(ModelPackage.CARD))) {
			throw new IOException(dir + ": not empty and not a model package; choose a new or empty folder (nothing there is replaced)");
		}
		if (!overwrite) throw new IOException(dir + " already holds a model (model.json); not replaced (use --overwrite)");
		return false;
	}

	private static void checkOutputShape(Request r, WholeModels.Probe probe, List<String> warnings) throws ModelLoadException {
		long[] s = probe.output();
		int k = r.classes().size();
		if (s.length != 2) {
			throw new ModelLoadException(r.model() + ": the model returns shape " + Arrays.toString(s) + (s.length > 2 ? ", an image per input (a segmentation model?)" : "")
				+ "; a classifier returns N x " + k + " class scores");
		}
		if (s[1] != k) throw new ModelLoadException(r.model() + ": the model returns " + s[1] + " scores per slice, but " + k + " classes were given " + r.classes());
		boolean looksLikeProbabilities = probe.min() >= 0 && probe.max() <= 1 && Math.abs(probe.rowSums() - 1) < 1e-3;
		if (r.output() == ModelCard.Output.PROBABILITIES && !looksLikeProbabilities) {
			throw new ModelLoadException(r.model() + ": --output-kind probabilities, but its outputs on a zero input are not probabilities (values "
				+ (float) probe.min() + " to " + (float) probe.max() + ", rows summing to " + (float) probe.rowSums() + "): logits? then say --output-kind logits");
		}
		if (r.output() == ModelCard.Output.LOGITS && looksLikeProbabilities) {
			warnings.add("the model's outputs on a zero input lie in [0, 1] and sum to 1: if they are probabilities, import with --output-kind probabilities "
				+ "(else softmax is applied to probabilities)");
		}
	}

	/** An example file, with the class its folder names (null when the examples are not in class folders). */
	private record Example(Path file, String name, String truth) {}

	private static List<Example> listExamples(Path dir, List<String> classes) throws IOException {
		if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--examples " + dir + ": folder not found");
		List<Example> out = new ArrayList<>();
		List<Path> subs;
		try (Stream<Path> s = Files.list(dir)) {
			subs = s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
		}
		for (Path p : subs) {
			if (Files.isRegularFile(p) && isImage(p)) {
				out.add(new Example(p, p.getFileName().toString(), null));
			} else if (Files.isDirectory(p)) {
				String cls = p.getFileName().toString();
				if (!classes.contains(cls)) {
					throw new IllegalArgumentException("--examples: sub-folder " + cls + " is not one of the classes " + classes + " (examples in class folders are labelled)");
				}
				try (Stream<Path> s = Files.list(p)) {
					for (Path f : s.filter(Files::isRegularFile).filter(TorchScriptImport::isImage).sorted().toList()) {
						out.add(new Example(f, cls + "_" + f.getFileName(), cls));
					}
				}
			}
		}
		if (out.isEmpty()) throw new IllegalArgumentException("--examples " + dir + ": no image files (" + Datasets.IMAGE_ENDINGS + ")");
		out.sort(Comparator.comparing(Example::name));
		return out.size() > MAX_EXAMPLES ? out.subList(0, MAX_EXAMPLES) : out;
	}

	private static boolean isImage(Path p) {
		String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		if (n.startsWith(".")) return false;
		for (String e : Datasets.IMAGE_ENDINGS) if (n.endsWith(e)) return true;
		return n.endsWith(".nii") || n.endsWith(".nii.gz");
	}

	/** One classified slice of an example. */
	private record Classified(int slice, int predicted, double confidence) {}

	private static List<Classified> classify(ClassifierModel model, Path file) throws TranslateException {
		List<Slice> slices;
		try {
			slices = new ImageSampleReader().read(file);
		} catch (IOException e) {
			throw new IllegalArgumentException("example " + file.getFileName() + ": " + e.getMessage(), e);
		}
		SlicePreprocessor pre = new SlicePreprocessor(model.pkg().card().input());
		List<Classified> out = new ArrayList<>();
		float[] buf = new float[pre.spec().tensorSize()];
		try (PassSampler sampler = new PassSampler(Ensemble.of(model), UncertaintyOptions.NONE, 1)) {
			for (Slice s : slices) {
				try {
					pre.check(s);
				} catch (IllegalArgumentException e) {
					throw new IllegalArgumentException("example " + file.getFileName() + ": " + e.getMessage(), e);
				}
				pre.preprocess(s, buf, 0);
				float[] p = sampler.run(buf, 1, 1, new long[] {s.index()}).probabilities()[0];
				int top = Probabilities.argmax(p);
				out.add(new Classified(s.index(), top, p[top]));
			}
		}
		return out;
	}

	/**
	 * Classifies a package's examples and compares them with its {@code expected.csv}: the same class, and
	 * the confidence within 1e-4.
	 *
	 * @param pkg the package
	 * @return the number of example slices checked
	 * @throws IOException if an example cannot be read
	 * @throws ModelLoadException if the model does not load
	 * @throws TranslateException if the engine fails
	 * @throws IllegalArgumentException naming the first example that differs
	 */
	public static int checkExamples(ModelPackage pkg) throws IOException, ModelLoadException, TranslateException {
		Path ex = pkg.dir().resolve(pkg.card().examples().file());
		List<String> lines = Files.readAllLines(ex, StandardCharsets.UTF_8);
		int n = 0;
		try (ClassifierModel model = ClassifierModel.load(pkg, DeviceSpec.CPU)) {
			String last = null;
			List<Classified> got = null;
			for (String line : lines.subList(1, lines.size())) {
				if (line.isBlank()) continue;
				List<String> c = Datasets.splitCsv(line);
				if (!c.get(0).equals(last)) {
					got = classify(model, ex.getParent().resolve(c.get(0)));
					last = c.get(0);
				}
				int slice = Integer.parseInt(c.get(1));
				Classified k = got.stream().filter(g -> g.slice() == slice).findFirst()
					.orElseThrow(() -> new IllegalArgumentException(ex + ": example " + c.get(0) + " has no slice " + slice));
				String predicted = pkg.card().classes().get(k.predicted());
				double confidence = Double.parseDouble(c.get(4));
				if (!predicted.equals(c.get(3)) || Math.abs(k.confidence() - confidence) > 1e-4) {
					throw new IllegalArgumentException(ex + ": example " + c.get(0) + " slice " + slice + " is now " + predicted + " (" + (float) k.confidence()
						+ "), expected " + c.get(3) + " (" + confidence + ")");
				}
				n++;
			}
		}
		return n;
	}

	private static void writeCard(Path file, JsonObject card) throws IOException {
		String text = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(card) + "\n";
		AtomicFiles.write(file, true, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
	}

	private static String version() {
		String v = TorchScriptImport.class.getPackage().getImplementationVersion();
		return v == null ? "(development build)" : v;
	}
}
