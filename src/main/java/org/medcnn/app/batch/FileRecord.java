package org.medcnn.app.batch;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.medcnn.io.AtomicFiles;

/**
 * The record of one finished input, {@code files/<name>.json}: written after its TIFF and CSV, so that
 * its presence means both are complete; {@code resume} compares it with the current run.
 *
 * @param source the input's source
 * @param input the input path, absolute
 * @param inputFingerprint size and modification time of the input (see {@link BatchRunner})
 * @param modelId the model id
 * @param modelSha256 the model's SHA-256
 * @param parameterHash the hash of the parameters that shape a row
 * @param parameters those parameters
 * @param slices rows written
 * @param millis time spent in milliseconds
 * @param device the device used
 * @param warnings warnings
 * @param reader which reader read the input ({@code ImageFiles.reader}); empty in records written before it was kept
 * @param finished when it was written (ISO-8601)
 * @param oodScored slices with an out-of-distribution score (0 when the model has no detector)
 * @param oodFlagged slices flagged outside the model's training data
 */
record FileRecord(String source, String input, String inputFingerprint, String modelId, String modelSha256, String parameterHash,
	JsonObject parameters, int slices, double millis, String device, List<String> warnings, String reader, String finished, int oodScored, int oodFlagged) {

	static final String FORMAT = "medcnn-batch-file/1";

	/** Records are a few kilobytes; a larger file of that name is not one, and is never read whole. */
	private static final long MAX_BYTES = 1 << 20;

	/**
	 * Whether MedCNN wrote, or was writing, the outputs of an input, as its record file shows.
	 */
	enum Ownership {
		/** No record file. */
		NONE,
		/** A file of the record's name that is not a MedCNN record of this input: its outputs are someone else's. */
		OTHER,
		/** A record of this input whose outputs were being written when the run ended (killed, or failed). */
		WRITING,
		/** A record of this input's finished outputs. */
		DONE
	}

	private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

	/**
	 * Writes the record atomically.
	 *
	 * @param file the file
	 * @param tif the TIFF's file name
	 * @param csv the CSV's file name
	 * @throws IOException if it cannot be written
	 */
	void write(Path file, String tif, String csv) throws IOException {
		JsonObject o = new JsonObject();
		o.addProperty("format", FORMAT);
		o.addProperty("status", "done");
		o.addProperty("source", source);
		o.addProperty("input", input);
		o.addProperty("input_fingerprint", inputFingerprint);
		JsonObject m = new JsonObject();
		m.addProperty("id", modelId);
		m.addProperty("sha256", modelSha256);
		o.add("model", m);
		o.addProperty("parameter_hash", parameterHash);
		o.add("parameters", parameters);
		o.addProperty("slices", slices);
		o.addProperty("ms", Math.round(millis * 1000) / 1000.0);
		o.addProperty("device", device);
		JsonArray w = new JsonArray();
		warnings.forEach(w::add);
		o.add("warnings", w);
		o.addProperty("reader", reader);
		JsonObject ood = new JsonObject();
		ood.addProperty("scored_slices", oodScored);
		if (oodScored > 0) {
			ood.addProperty("flagged_slices", oodFlagged);
			ood.addProperty("flagged_share", Math.round(1e4 * oodFlagged / (double) oodScored) / 1e4);
		}
		o.add("out_of_distribution", ood);
		JsonObject out = new JsonObject();
		out.addProperty("tif", tif);
		out.addProperty("csv", csv);
		o.add("outputs", out);
		o.addProperty("finished", finished);
		String text = GSON.toJson(o) + "\n";
		AtomicFiles.write(file, true, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
	}

	/**
	 * Returns the marker of an input whose outputs are being written: {@code files/.<name>.writing.json},
	 * next to its record.
	 *
	 * @param record the input's record file
	 * @return the marker file
	 */
	static Path marker(Path record) {
		String n = record.getFileName().toString();
		return record.resolveSibling("." + n.substring(0, n.length() - ".json".length()) + ".writing.json");
	}

	/**
	 * Writes the marker that claims an input's outputs for MedCNN before any of them is written (outputs
	 * are only ever replaced when a record or this marker shows that MedCNN wrote them); removed once the
	 * record is written, so one that is left tells a later run that a killed run left the outputs unfinished.
	 *
	 * @param marker the marker file ({@link #marker})
	 * @param source the input's source
	 * @param input the input path, absolute
	 * @throws IOException if it cannot be written
	 */
	static void writeStarted(Path marker, String source, String input) throws IOException {
		JsonObject o = new JsonObject();
		o.addProperty("format", FORMAT);
		o.addProperty("status", "writing");
		o.addProperty("source", source);
		o.addProperty("input", input);
		o.addProperty("started", java.time.Instant.now().toString());
		String text = GSON.toJson(o) + "\n";
		AtomicFiles.write(marker, true, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
	}

	/**
	 * Tells from an input's record, or else its marker, whether MedCNN wrote its outputs.
	 *
	 * @param record the record file
	 * @param source the input's source
	 * @return {@link Ownership#DONE} for a finished record of this source; {@link Ownership#WRITING} for a
	 *         marker of this source (and no finished record); {@link Ownership#OTHER} when a file of the
	 *         record's name is not a MedCNN record of this source; else {@link Ownership#NONE}
	 */
	static Ownership ownership(Path record, String source) {
		Ownership r = read(record, source);
		if (r == Ownership.DONE || r == Ownership.OTHER) return r;
		Ownership m = read(marker(record), source);
		return m == Ownership.WRITING ? m : r;
	}

	private static Ownership read(Path file, String source) {
		if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return Ownership.NONE;
		try {
			if (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES) return Ownership.OTHER;
			JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
			if (!FORMAT.equals(o.get("format").getAsString()) || !source.equals(o.get("source").getAsString())) return Ownership.OTHER;
			String status = o.get("status").getAsString();
			return "done".equals(status) ? Ownership.DONE : "writing".equals(status) ? Ownership.WRITING : Ownership.OTHER;
		} catch (IOException | RuntimeException e) {
			return Ownership.OTHER;
		}
	}

	/**
	 * Reads a record.
	 *
	 * @param file the file
	 * @return the record, or null when the file is missing, unreadable, not a record or not of a finished input
	 */
	static FileRecord read(Path file) {
		try {
			if (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES) return null;
			JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
			if (!FORMAT.equals(o.get("format").getAsString()) || !"done".equals(o.get("status").getAsString())) return null;
			JsonObject m = o.getAsJsonObject("model");
			List<String> warnings = new ArrayList<>();
			if (o.has("warnings")) o.getAsJsonArray("warnings").forEach(e -> warnings.add(e.getAsString()));
			JsonObject ood = o.has("out_of_distribution") ? o.getAsJsonObject("out_of_distribution") : new JsonObject();
			int scored = ood.has("scored_slices") ? ood.get("scored_slices").getAsInt() : 0;
			int flagged = ood.has("flagged_slices") ? ood.get("flagged_slices").getAsInt() : 0;
			return new FileRecord(o.get("source").getAsString(), o.get("input").getAsString(), o.get("input_fingerprint").getAsString(),
				m.get("id").getAsString(), m.get("sha256").getAsString(), o.get("parameter_hash").getAsString(), o.getAsJsonObject("parameters"),
				o.get("slices").getAsInt(), o.get("ms").getAsDouble(), o.get("device").getAsString(), warnings,
				o.has("reader") ? o.get("reader").getAsString() : "", o.get("finished").getAsString(), scored, flagged);
		} catch (IOException | RuntimeException e) {
			return null;
		}
	}
}
