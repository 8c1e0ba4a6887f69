package org.medcnn.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.medcnn.core.model.Hashes;

/**
 * The rules of the bioimage.io model description (format 0.5) that can be checked without a network
 * and without Python: required fields and their forms, identifiers, axes, files inside the package with
 * matching sha256, test tensors whose shapes fit their axes, documentation with a Validation section,
 * covers, and the tolerance bound. It does not run the model (the import does that) and does not check
 * that a license id is on the SPDX list (only its form).
 */
public final class BioImageIoValidator {

	private static final Set<String> AXIS_TYPES = Set.of("batch", "channel", "index", "space", "time");
	private static final Set<String> PRE = Set.of("binarize", "clip", "ensure_dtype", "fixed_zero_mean_unit_variance", "scale_linear", "scale_range", "sigmoid",
		"softmax", "zero_mean_unit_variance");
	private static final Set<String> POST = Set.of("binarize", "clip", "ensure_dtype", "fixed_zero_mean_unit_variance", "scale_linear", "scale_mean_variance",
		"scale_range", "sigmoid", "softmax", "zero_mean_unit_variance");
	private static final Set<String> DTYPES = Set.of("float32", "float64", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "bool");
	private static final Set<String> COVER_SUFFIXES = Set.of(".gif", ".jpeg", ".jpg", ".png", ".svg", ".tif", ".tiff");

	private BioImageIoValidator() {}

	/**
	 * Checks a package folder.
	 *
	 * @param dir the folder holding {@code rdf.yaml}
	 * @return the problems found, one line each; empty when none
	 * @throws IOException if the description cannot be read
	 */
	public static List<String> validate(Path dir) throws IOException {
		Path file = dir.resolve("rdf.yaml");
		Object rdf = Yaml.read(file);
		List<String> p = new ArrayList<>();
		if (!(rdf instanceof Map)) {
			p.add("rdf.yaml is not a mapping");
			return p;
		}
		expect(p, "model".equals(Yaml.string(rdf, "type")), "type must be model");
		String fv = Yaml.string(rdf, "format_version");
		expect(p, fv != null && fv.matches("0\\.5\\.\\d+"), "format_version must be 0.5.x, is " + fv);
		String name = Yaml.string(rdf, "name");
		expect(p, name != null && name.length() >= 5 && name.length() <= 128 && name.matches("[A-Za-z0-9_+\\- ()]+"),
			"name must have 5 to 128 letters, digits, '_', '+', '-', ' ', '(' or ')', is '" + name + "'");
		String description = Yaml.string(rdf, "description");
		expect(p, description != null && !description.isBlank(), "description is missing");
		List<?> authors = list(rdf, "authors");
		expect(p, authors != null && !authors.isEmpty() && authors.stream().allMatch(a -> Yaml.string(a, "name") != null), "authors: at least one, each with a name");
		List<?> cite = list(rdf, "cite");
		expect(p, cite != null && !cite.isEmpty() && cite.stream().allMatch(c -> Yaml.string(c, "text") != null && (Yaml.string(c, "doi") != null || Yaml.string(c, "url") != null)),
			"cite: at least one entry, each with text and a doi or url");
		String license = Yaml.string(rdf, "license");
		expect(p, license != null && license.matches("[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*"), "license must be an SPDX id, is " + license);
		String doc = Yaml.string(rdf, "documentation");
		Path docFile = local(p, dir, doc, "documentation");
		if (docFile != null) {
			expect(p, doc.toLowerCase(Locale.ROOT).endsWith(".md"), "documentation must be a .md file");
			expect(p, Files.readString(docFile).lines().anyMatch(l -> l.matches("#+.*[vV]alidation.*")), "documentation has no '# Validation' section");
		}
		List<?> covers = list(rdf, "covers");
		if (covers != null) {
			for (Object c : covers) {
				Path f = local(p, dir, c.toString(), "covers");
				if (f == null) continue;
				String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
				expect(p, COVER_SUFFIXES.stream().anyMatch(n::endsWith), "cover " + c + " must be a gif, jpeg, png, svg or tiff");
				expect(p, Files.size(f) < 500_000, "cover " + c + " is " + Files.size(f) + " bytes; keep covers below 500 KB");
				if (n.endsWith(".png")) {
					java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(f.toFile());
					expect(p, img != null && (img.getWidth() == img.getHeight() || img.getWidth() == 2 * img.getHeight()), "cover " + c + " should be 2:1 or 1:1");
				}
			}
		}
		String ts = Yaml.string(rdf, "timestamp");
		if (ts != null) {
			try {
				java.time.OffsetDateTime.parse(ts.endsWith("Z") ? ts : ts + (ts.contains("+") ? "" : "Z"));
			} catch (java.time.format.DateTimeParseException e) {
				p.add("timestamp is not ISO 8601: " + ts);
			}
		}
		Set<String> tensorIds = new HashSet<>();
		List<?> inputs = list(rdf, "inputs");
		List<?> outputs = list(rdf, "outputs");
		expect(p, inputs != null && !inputs.isEmpty(), "inputs: at least one");
		expect(p, outputs != null && !outputs.isEmpty(), "outputs: at least one");
		if (inputs != null) for (int i = 0; i < inputs.size(); i++) tensor(p, dir, inputs.get(i), "inputs[" + i + "]", tensorIds, PRE, "preprocessing");
		if (outputs != null) for (int i = 0; i < outputs.size(); i++) tensor(p, dir, outputs.get(i), "outputs[" + i + "]", tensorIds, POST, "postprocessing");
		Object weights = Yaml.get(rdf, "weights");
		expect(p, weights instanceof Map<?, ?> m && !m.isEmpty(), "weights: at least one format");
		Object torch = Yaml.get(weights, "torchscript");
		if (torch != null) {
			fileDescr(p, dir, torch, "weights.torchscript", true);
			expect(p, Yaml.string(torch, "pytorch_version") != null, "weights.torchscript.pytorch_version is missing");
		}
		Object tol = Yaml.get(rdf, "config", "bioimageio", "reproducibility_tolerance");
		if (tol instanceof List<?> l && outputs != null) {
			for (Object t : l) {
				Object abs = Yaml.get(t, "absolute_tolerance");
				if (!(abs instanceof Yaml.Scalar s) || Double.isNaN(s.number())) continue;
				for (Object o : outputs) {
					Object tt = Yaml.get(o, "test_tensor");
					String src = Yaml.string(tt, "source");
					if (src == null || !Files.isRegularFile(dir.resolve(src))) continue;
					float max = Float.NEGATIVE_INFINITY;
					for (float v : Npy.read(dir.resolve(src)).data()) max = Math.max(max, v);
					expect(p, s.number() <= 0.01 * max, "reproducibility_tolerance.absolute_tolerance " + s.number() + " is above 1 % of the test output's maximum " + max);
				}
			}
		}
		return p;
	}

	private static void tensor(List<String> p, Path dir, Object t, String where, Set<String> ids, Set<String> ops, String opsKey) throws IOException {
		String id = Yaml.string(t, "id");
		expect(p, id != null && identifier(id) && id.equals(id.toLowerCase(Locale.ROOT)) && id.length() <= 32, where + ".id must be a lower-case identifier of at most 32 characters");
		expect(p, id == null || ids.add(id), where + ".id '" + id + "' is used twice");
		List<?> axes = list(t, "axes");
		List<Long> sizes = new ArrayList<>();
		if (axes == null || axes.isEmpty()) {
			p.add(where + ".axes is missing");
		} else {
			Set<String> axisIds = new HashSet<>();
			int batch = 0;
			for (Object a : axes) {
				String type = Yaml.string(a, "type");
				expect(p, type != null && AXIS_TYPES.contains(type), where + " has an axis of unknown type " + type);
				if (type == null) continue;
				String aid = Yaml.string(a, "id");
				if (aid == null) aid = type.equals("space") ? "x" : type;
				expect(p, axisIds.add(aid), where + ": axis id " + aid + " twice");
				switch (type) {
					case "batch" -> {
						batch++;
						sizes.add(-1L);
					}
					case "channel" -> {
						List<?> names = list(a, "channel_names");
						expect(p, names != null && !names.isEmpty(), where + ": channel axis without channel_names");
						if (names != null) {
							Set<String> seen = new HashSet<>();
							for (Object n : names) {
								expect(p, identifier(n.toString()), where + ": channel name '" + n + "' is not an identifier");
								expect(p, seen.add(n.toString()), where + ": channel name '" + n + "' twice");
							}
							sizes.add((long) names.size());
						}
					}
					default -> {
						Object s = Yaml.get(a, "size");
						if (s instanceof Yaml.Scalar sc && sc.number() >= 1 && sc.number() == Math.rint(sc.number())) sizes.add((long) sc.number());
						else if (s instanceof Map) sizes.add(-1L);
						else p.add(where + ": " + type + " axis " + aid + " needs a positive integer size");
					}
				}
			}
			expect(p, batch <= 1, where + " has " + batch + " batch axes");
		}
		Object tt = Yaml.get(t, "test_tensor");
		Path f = fileDescr(p, dir, tt, where + ".test_tensor", true);
		if (f != null && !sizes.isEmpty()) {
			Npy.Array a;
			try {
				a = Npy.read(f);
			} catch (IOException e) {
				p.add(where + ".test_tensor: " + e.getMessage());
				return;
			}
			boolean fits = a.shape().length == sizes.size();
			for (int i = 0; fits && i < sizes.size(); i++) fits = sizes.get(i) < 0 || sizes.get(i) == a.shape()[i];
			expect(p, fits, where + ".test_tensor has shape " + java.util.Arrays.toString(a.shape()) + ", which its axes do not allow");
		}
		String type = Yaml.string(t, "data", "type");
		expect(p, type == null || DTYPES.contains(type), where + ".data.type " + type + " is unknown");
		List<?> proc = list(t, opsKey);
		if (proc != null) {
			for (Object o : proc) {
				String oid = Yaml.string(o, "id");
				expect(p, oid != null && ops.contains(oid), where + "." + opsKey + ": unknown id " + oid);
				if ("scale_range".equals(oid)) {
					Object lo = Yaml.get(o, "kwargs", "min_percentile");
					Object hi = Yaml.get(o, "kwargs", "max_percentile");
					double l = lo instanceof Yaml.Scalar s ? s.number() : 0;
					double h = hi instanceof Yaml.Scalar s ? s.number() : 100;
					expect(p, l >= 0 && l < h && h <= 100, where + ": scale_range needs 0 <= min_percentile < max_percentile <= 100");
				}
				if ("clip".equals(oid)) {
					expect(p, Yaml.get(o, "kwargs", "min") != null || Yaml.get(o, "kwargs", "max") != null, where + ": clip needs min or max");
				}
			}
		}
	}

	/** A file field {source, sha256}: inside the package, present, its sha256 matching. */
	private static Path fileDescr(List<String> p, Path dir, Object node, String where, boolean required) throws IOException {
		if (node == null) {
			if (required) p.add(where + " is missing");
			return null;
		}
		Path f = local(p, dir, Yaml.string(node, "source"), where);
		if (f == null) return null;
		String sha = Yaml.string(node, "sha256");
		expect(p, sha != null, where + ".sha256 is missing");
		if (sha != null) expect(p, Hashes.sha256(f).equalsIgnoreCase(sha), where + ".sha256 does not match " + f.getFileName());
		return f;
	}

	/** A relative path inside the package that exists. */
	private static Path local(List<String> p, Path dir, String src, String where) {
		if (src == null) {
			p.add(where + " is missing");
			return null;
		}
		if (src.matches("(?i)[a-z][a-z0-9+.-]*://.*") || src.startsWith("/")) {
			p.add(where + " " + src + " is not a file of the package");
			return null;
		}
		Path f = dir.resolve(src).normalize();
		if (!f.startsWith(dir.normalize()) || !Files.isRegularFile(f)) {
			p.add(where + " " + src + " is missing from the package");
			return null;
		}
		return f;
	}

	static boolean identifier(String s) {
		return s.matches("[A-Za-z_][A-Za-z0-9_]*") && !BioImageIoExport.KEYWORDS.contains(s);
	}

	private static List<?> list(Object node, String key) {
		Object v = Yaml.get(node, key);
		return v instanceof List<?> l ? l : null;
	}

	private static void expect(List<String> problems, boolean ok, String problem) {
		if (!ok) problems.add(problem);
	}
}
