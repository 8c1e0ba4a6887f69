package org.medcnn.core.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.IntensityPolicy;

/**
 * Writes the required part of a model card ({@code model.json}) for a package folder that already
 * holds {@code trunk.pt} and {@code head.bin}: used by training, by the benchmark harnesses and by tests,
 * so that the card format is spelled out in one place (parsed by {@link ModelCard}).
 */
public final class ModelCards {

	private ModelCards() {}

	/**
	 * Builds the required card fields: format, id, version, task, classes, input, trunk and head (with
	 * the SHA-256 of {@code trunk.pt} and {@code head.bin} in {@code dir}).
	 *
	 * @param dir the package folder
	 * @param id the model id
	 * @param version the model version
	 * @param classes class names in output order
	 * @param spec the input contract
	 * @return the card object, to which callers add the optional sections
	 * @throws IOException if the files cannot be hashed
	 */
	public static JsonObject required(Path dir, String id, String version, List<String> classes, InputSpec spec) throws IOException {
		JsonObject c = common(dir, id, version, classes, spec);
		JsonObject head = new JsonObject();
		head.addProperty("file", "head.bin");
		head.addProperty("sha256", Hashes.sha256(dir.resolve("head.bin")));
		head.addProperty("format", LinearHead.FORMAT);
		c.add("head", head);
		return c;
	}

	/** The fields every card has: format, id, version, task, classes, input and trunk. */
	private static JsonObject common(Path dir, String id, String version, List<String> classes, InputSpec spec) throws IOException {
		return common(dir, id, version, classes, spec, 3, "trunk.pt");
	}

	private static JsonObject common(Path dir, String id, String version, List<String> classes, InputSpec spec, int channels, String file) throws IOException {
		JsonObject c = new JsonObject();
		c.addProperty("format", ModelCard.FORMAT);
		c.addProperty("id", id);
		c.addProperty("version", version);
		c.addProperty("task", "slice-classification");
		JsonArray cls = new JsonArray();
		classes.forEach(cls::add);
		c.add("classes", cls);
		JsonObject in = input(spec);
		in.addProperty("channels", channels);
		c.add("input", in);
		JsonObject trunk = new JsonObject();
		trunk.addProperty("file", file);
		trunk.addProperty("sha256", Hashes.sha256(dir.resolve(file)));
		c.add("trunk", trunk);
		return c;
	}

	/**
	 * Builds the required fields of a whole-model card: one TorchScript classifier (the {@code trunk}
	 * entry) and a head of format {@value ModelCard#IN_MODEL} that says what it returns.
	 *
	 * @param dir the package folder holding the TorchScript file
	 * @param file the TorchScript file's name inside the package
	 * @param id the model id
	 * @param version the version
	 * @param classes class names in output order
	 * @param spec the input contract
	 * @param channels the input channels the model takes, 1 or 3
	 * @param output what the model returns
	 * @param featureMethod the method that returns the features of its out-of-distribution detector, or null
	 * @param featureCount the number of those features (0 without a method)
	 * @return the card object
	 * @throws IOException if the file cannot be hashed
	 */
	public static JsonObject wholeModel(Path dir, String file, String id, String version, List<String> classes, InputSpec spec, int channels,
		ModelCard.Output output, String featureMethod, int featureCount) throws IOException {
		JsonObject c = common(dir, id, version, classes, spec, channels, file);
		JsonObject head = new JsonObject();
		head.addProperty("format", ModelCard.IN_MODEL);
		head.addProperty("output", output.key());
		if (featureMethod != null) {
			head.addProperty("feature_method", featureMethod);
			head.addProperty("feature_count", featureCount);
		}
		c.add("head", head);
		return c;
	}

	/**
	 * One member of an ensemble card: a head file in the package with its temperature.
	 *
	 * @param name unique member name
	 * @param file head file path inside the package
	 * @param temperature its softmax temperature
	 * @param seed its training seed
	 */
	public record MemberFile(String name, String file, double temperature, long seed) {}

	/**
	 * Builds the required fields of an ensemble card: like {@link #required} but with an
	 * {@code ensemble.members} list (each head hashed from {@code dir}) instead of {@code head}.
	 *
	 * @param dir the package folder holding {@code trunk.pt} and the head files
	 * @param id the model id
	 * @param version the version
	 * @param classes class names in output order
	 * @param spec the input contract
	 * @param members the members, at least 2
	 * @return the card object
	 * @throws IOException if a file cannot be hashed
	 */
	public static JsonObject ensemble(Path dir, String id, String version, List<String> classes, InputSpec spec, List<MemberFile> members) throws IOException {
		JsonObject c = common(dir, id, version, classes, spec);
		JsonArray list = new JsonArray();
		for (MemberFile m : members) {
			JsonObject o = new JsonObject();
			o.addProperty("name", m.name());
			JsonObject head = new JsonObject();
			head.addProperty("file", m.file());
			head.addProperty("sha256", Hashes.sha256(dir.resolve(m.file())));
			head.addProperty("format", LinearHead.FORMAT);
			o.add("head", head);
			o.addProperty("temperature", Math.round(m.temperature() * 1e4) / 1e4);
			o.addProperty("seed", m.seed());
			list.add(o);
		}
		JsonObject e = new JsonObject();
		e.add("members", list);
		c.add("ensemble", e);
		return c;
	}

	/**
	 * Writes an input contract as the card's {@code input} object.
	 *
	 * @param spec the contract
	 * @return the JSON object
	 */
	public static JsonObject input(InputSpec spec) {
		JsonObject in = new JsonObject();
		in.addProperty("width", spec.width());
		in.addProperty("height", spec.height());
		in.addProperty("channels", 3);
		in.addProperty("resize", spec.resize().name().toLowerCase(Locale.ROOT));
		in.add("intensity", intensity(spec.intensity()));
		in.add("mean", floats(spec.mean()));
		in.add("std", floats(spec.std()));
		in.addProperty("min_slice_size", spec.minSliceSize());
		return in;
	}

	/**
	 * Writes an intensity policy as the card's {@code input.intensity} object.
	 *
	 * @param policy the policy
	 * @return the JSON object
	 */
	public static JsonObject intensity(IntensityPolicy policy) {
		JsonObject o = new JsonObject();
		if (policy instanceof IntensityPolicy.Range r) {
			o.addProperty("policy", "range");
			o.addProperty("min", r.min());
			o.addProperty("max", r.max());
		} else if (policy instanceof IntensityPolicy.Window w) {
			o.addProperty("policy", "window");
			o.addProperty("center", w.center());
			o.addProperty("width", w.width());
		} else if (policy instanceof IntensityPolicy.Percentile p) {
			o.addProperty("policy", "percentile");
			o.addProperty("low", p.low());
			o.addProperty("high", p.high());
		} else if (policy instanceof IntensityPolicy.Steps st) {
			o.addProperty("policy", "steps");
			JsonArray a = new JsonArray();
			for (IntensityPolicy.Step step : st.steps()) {
				JsonObject s = new JsonObject();
				s.addProperty("op", step.id());
				if (step instanceof IntensityPolicy.ScaleRange r) {
					s.addProperty("min_percentile", r.low());
					s.addProperty("max_percentile", r.high());
					s.addProperty("eps", r.eps());
				} else if (step instanceof IntensityPolicy.ZeroMeanUnitVariance z) {
					s.addProperty("eps", z.eps());
				} else if (step instanceof IntensityPolicy.FixedZeroMeanUnitVariance f) {
					s.addProperty("mean", f.mean());
					s.addProperty("std", f.std());
				} else if (step instanceof IntensityPolicy.ScaleLinear l) {
					s.addProperty("gain", l.gain());
					s.addProperty("offset", l.offset());
				} else if (step instanceof IntensityPolicy.Clip cl) {
					// an unbounded side is left out (JSON has no infinity)
					if (Double.isFinite(cl.min())) s.addProperty("min", cl.min());
					if (Double.isFinite(cl.max())) s.addProperty("max", cl.max());
				}
				a.add(s);
			}
			o.add("steps", a);
		}
		return o;
	}

	private static JsonArray floats(float[] v) {
		JsonArray a = new JsonArray();
		for (float d : v) a.add(d);
		return a;
	}
}
