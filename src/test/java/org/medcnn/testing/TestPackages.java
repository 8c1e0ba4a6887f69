package org.medcnn.testing;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.medcnn.core.model.Hashes;
import org.medcnn.core.model.LinearHead;

/** Writes small model packages around a committed test trunk, with a head and an input contract chosen by the test. */
public final class TestPackages {

	private TestPackages() {}

	/** @return the square trunk: A0 = (mean_c x_c)^2, A1 = (1 - mean_c x_c)^2 at full resolution (src/test/scripts/make_saliency_fixtures.py) */
	public static Path squareTrunk() {
		return Fixtures.resource("/trunks/square-trunk.pt");
	}

	/**
	 * Writes a package.
	 *
	 * @param dir parent folder
	 * @param id the model id (also the folder name)
	 * @param trunk the TorchScript trunk to copy
	 * @param classes class names
	 * @param head the head (features = trunk channels)
	 * @param width input width
	 * @param height input height
	 * @param resize {@code stretch} or {@code letterbox}
	 * @param rangeMax the intensity range policy's max (min 0)
	 * @return the package folder
	 */
	public static Path write(Path dir, String id, Path trunk, List<String> classes, LinearHead head, int width, int height, String resize, double rangeMax) {
		try {
			Path pkg = Files.createDirectories(dir.resolve(id));
			Files.copy(trunk, pkg.resolve("trunk.pt"), StandardCopyOption.REPLACE_EXISTING);
			try (OutputStream os = Files.newOutputStream(pkg.resolve("head.bin"))) {
				head.write(os);
			}
			JsonObject c = new JsonObject();
			c.addProperty("format", "medcnn-model/1");
			c.addProperty("id", id);
			c.addProperty("version", "1.0.0");
			c.addProperty("task", "slice-classification");
			JsonArray cls = new JsonArray();
			classes.forEach(cls::add);
			c.add("classes", cls);
			JsonObject in = new JsonObject();
			in.addProperty("width", width);
			in.addProperty("height", height);
			in.addProperty("channels", 3);
			in.addProperty("resize", resize);
			JsonObject intensity = new JsonObject();
			intensity.addProperty("policy", "range");
			intensity.addProperty("min", 0);
			intensity.addProperty("max", rangeMax);
			in.add("intensity", intensity);
			JsonArray mean = new JsonArray();
			JsonArray std = new JsonArray();
			for (int i = 0; i < 3; i++) {
				mean.add(0);
				std.add(1);
			}
			in.add("mean", mean);
			in.add("std", std);
			in.addProperty("min_slice_size", 4);
			c.add("input", in);
			JsonObject t = new JsonObject();
			t.addProperty("file", "trunk.pt");
			t.addProperty("sha256", Hashes.sha256(pkg.resolve("trunk.pt")));
			c.add("trunk", t);
			JsonObject h = new JsonObject();
			h.addProperty("file", "head.bin");
			h.addProperty("sha256", Hashes.sha256(pkg.resolve("head.bin")));
			h.addProperty("format", LinearHead.FORMAT);
			c.add("head", h);
			Files.writeString(pkg.resolve("model.json"), new Gson().toJson(c), StandardCharsets.UTF_8);
			return pkg;
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
