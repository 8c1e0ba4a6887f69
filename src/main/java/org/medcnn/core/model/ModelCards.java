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
		JsonObject c = new JsonObject();
		c.addProperty("format", ModelCard.FORMAT);
		c.addProperty("id", id);
		c.addProperty("version", version);
		c.addProperty("task", "slice-classification");
		JsonArray cls = new JsonArray();
		classes.forEach(cls::add);
		c.add("classes", cls);
		c.add("input", input(spec));
		JsonObject trunk = new JsonObject();
		trunk.addProperty("file", "trunk.pt");
		trunk.addProperty("sha256", Hashes.sha256(dir.resolve("trunk.pt")));
		c.add("trunk", trunk);
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

	private static JsonObject intensity(IntensityPolicy policy) {
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
		}
		return o;
	}

	private static JsonArray floats(float[] v) {
		JsonArray a = new JsonArray();
		for (float d : v) a.add(d);
		return a;
	}
}
