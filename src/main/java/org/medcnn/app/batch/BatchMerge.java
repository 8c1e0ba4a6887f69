package org.medcnn.app.batch;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import org.medcnn.app.MedCnnException.Kind;
import org.medcnn.app.MedCnnException;

/**
 * Joins the shard outputs of a batch into {@code results.csv} (sorted by source, then slice) and
 * {@code errors.csv}. Refuses when a shard's manifest is missing or not finished (a job still running,
 * killed or never started) unless partial merges are allowed, and always when the shards disagree on
 * the model, the parameters or the list of inputs (files added or removed while the shards ran).
 */
public final class BatchMerge {

	private BatchMerge() {}

	/**
	 * What a merge found and wrote.
	 *
	 * @param shardCount the number of shards
	 * @param missing shards without a manifest
	 * @param unfinished shards whose manifest is not finished (running, killed, cancelled or unreadable)
	 * @param inputs inputs listed by the merged shards
	 * @param withResults inputs done or resumed
	 * @param failed inputs that failed
	 * @param skipped inputs skipped because their outputs existed
	 * @param pending inputs not processed (in unfinished shards)
	 * @param rows rows in {@code results.csv}
	 * @param errors rows in {@code errors.csv}
	 * @param results the merged results
	 * @param errorsCsv the merged errors
	 * @param warnings what the user should know, one sentence each
	 */
	public record Report(int shardCount, List<Integer> missing, List<Integer> unfinished, int inputs, int withResults, int failed, int skipped,
		int pending, int rows, int errors, Path results, Path errorsCsv, List<String> warnings) {

		/**
		 * Makes the lists unmodifiable.
		 *
		 * @param shardCount shards
		 * @param missing missing shards
		 * @param unfinished unfinished shards
		 * @param inputs inputs
		 * @param withResults inputs with results
		 * @param failed failed inputs
		 * @param skipped skipped inputs
		 * @param pending pending inputs
		 * @param rows result rows
		 * @param errors error rows
		 * @param results results file
		 * @param errorsCsv errors file
		 * @param warnings warnings
		 */
		public Report {
			missing = List.copyOf(missing);
			unfinished = List.copyOf(unfinished);
			warnings = List.copyOf(warnings);
		}

		/** @return true when every shard finished and every input has results */
		public boolean complete() {
			return missing.isEmpty() && unfinished.isEmpty() && failed == 0 && skipped == 0 && pending == 0;
		}
	}

	/**
	 * Merges the shards in an output folder.
	 *
	 * @param outputDir the batch's output folder
	 * @param shardCount the number of shards to merge, or 0 to take it from the manifests (which must then
	 *        agree)
	 * @param allowPartial whether missing or unfinished shards are left out with a warning instead of
	 *        refused
	 * @param overwrite whether an existing {@code results.csv} or {@code errors.csv} may be replaced
	 * @return what was merged
	 * @throws MedCnnException {@link Kind#INPUT} when there is nothing to merge, shards are missing or
	 *         unfinished (without allowPartial), or the shards disagree; {@link Kind#OUTPUT} when the merged
	 *         files exist (without overwrite) or cannot be written
	 */
	public static Report merge(Path outputDir, int shardCount, boolean allowPartial, boolean overwrite) throws MedCnnException {
		if (!Files.isDirectory(outputDir)) throw new MedCnnException(Kind.INPUT, "output_dir " + outputDir + ": folder not found");
		Map<Integer, Map<Integer, Path>> byCount = manifests(outputDir);
		if (byCount.isEmpty()) {
			throw new MedCnnException(Kind.INPUT, outputDir + " holds no shard manifests (manifest-shard-<i>-of-<n>.json): nothing to merge; run the batch first");
		}
		int n = shardCount;
		if (n <= 0) {
			if (byCount.size() > 1) {
				throw new MedCnnException(Kind.INPUT, outputDir + " holds shards of runs split in " + byCount.keySet()
					+ " shards; give the shard count to merge");
			}
			n = byCount.keySet().iterator().next();
		}
		Map<Integer, Path> found = byCount.getOrDefault(n, Map.of());
		List<Integer> missing = new ArrayList<>();
		List<Integer> unfinished = new ArrayList<>();
		Map<Integer, String> running = new TreeMap<>();
		List<String> warnings = new ArrayList<>();
		Map<Integer, JsonObject> usable = new TreeMap<>();
		for (int i = 0; i < n; i++) {
			Path p = found.get(i);
			if (p == null) {
				missing.add(i);
				continue;
			}
			JsonObject m;
			try {
				m = JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8)).getAsJsonObject();
				if (!BatchRunner.MANIFEST_FORMAT.equals(m.get("format").getAsString())) throw new IllegalStateException("not a " + BatchRunner.MANIFEST_FORMAT + " manifest");
			} catch (IOException | RuntimeException e) {
				unfinished.add(i);
				warnings.add(p + ": unreadable manifest (" + e.getMessage() + ")");
				continue;
			}
			String state = m.get("state").getAsString();
			if (!state.equals("finished")) {
				unfinished.add(i);
				String owner = state.equals("running") ? ShardLock.liveOwner(outputDir, i, n) : null;
				if (owner != null) {
					running.put(i, owner);
					warnings.add("shard " + i + " of " + n + " is still running (" + owner + "); merge when it has finished");
				} else {
					warnings.add("shard " + i + " of " + n + " " + (state.equals("running") ? "was killed (no process runs it)" : "is " + state)
						+ "; rerun it with --resume");
				}
			}
			usable.put(i, m);
		}
		if (usable.isEmpty()) {
			throw new MedCnnException(Kind.INPUT, outputDir + ": none of the " + n + " shards has a readable manifest" + (found.isEmpty() && !byCount.isEmpty()
				? " (the folder holds shards of runs split in " + byCount.keySet() + ")" : ""));
		}
		checkAgreement(outputDir, usable, n);
		if ((!missing.isEmpty() || !unfinished.isEmpty()) && !allowPartial) {
			StringBuilder sb = new StringBuilder(outputDir + ": cannot merge " + n + " shards:");
			if (!missing.isEmpty()) sb.append(" missing shard(s) ").append(missing).append(" (no manifest: not run, or still starting);");
			if (!running.isEmpty()) {
				Map.Entry<Integer, String> first = running.entrySet().iterator().next();
				sb.append(" shard(s) ").append(running.keySet()).append(" still running (shard ").append(first.getKey()).append(": ").append(first.getValue())
					.append("): merge when they have finished;");
			}
			List<Integer> stopped = new ArrayList<>(unfinished);
			stopped.removeAll(running.keySet());
			if (!stopped.isEmpty()) sb.append(" unfinished shard(s) ").append(stopped).append(" (killed or cancelled: rerun with --resume);");
			sb.append(" merge what exists with --allow-partial");
			throw new MedCnnException(Kind.INPUT, sb.toString());
		}
		if (!missing.isEmpty()) warnings.add(0, "left out missing shard(s) " + missing + " of " + n + ": their inputs have no rows in " + BatchOutputs.MERGED_RESULTS);
		Path results = outputDir.resolve(BatchOutputs.MERGED_RESULTS);
		Path errors = outputDir.resolve(BatchOutputs.MERGED_ERRORS);
		if (!overwrite) {
			for (Path p : List.of(results, errors)) {
				if (Files.exists(p)) throw new MedCnnException(Kind.OUTPUT, p + ": already exists; not overwritten (use --overwrite to replace it)");
			}
		}
		List<String> header = null;
		List<List<String>> rows = new ArrayList<>();
		List<List<String>> errorRows = new ArrayList<>();
		int inputs = 0;
		int withResults = 0;
		int failed = 0;
		int skipped = 0;
		int pending = 0;
		for (Map.Entry<Integer, JsonObject> e : usable.entrySet()) {
			int i = e.getKey();
			JsonObject m = e.getValue();
			boolean finished = m.get("state").getAsString().equals("finished");
			Path csv = BatchOutputs.resultsCsv(outputDir, i, n);
			List<List<String>> recs;
			try {
				recs = Csv.read(csv);
			} catch (IOException ex) {
				if (finished) throw new MedCnnException(Kind.INPUT, csv + ": cannot be read (" + ex.getMessage() + ") though shard " + i + " finished", ex);
				warnings.add(csv + ": cannot be read; shard " + i + " left out");
				continue;
			}
			if (recs.isEmpty()) throw new MedCnnException(Kind.INPUT, csv + ": empty (no header)");
			if (header == null) header = recs.get(0);
			else if (!header.equals(recs.get(0))) throw new MedCnnException(Kind.INPUT, csv + ": its columns " + recs.get(0) + " differ from " + header);
			int shardRows = recs.size() - 1;
			if (finished && m.has("result_rows") && m.get("result_rows").getAsInt() != shardRows) {
				throw new MedCnnException(Kind.INPUT, csv + ": holds " + shardRows + " rows but its manifest counts " + m.get("result_rows").getAsInt());
			}
			rows.addAll(recs.subList(1, recs.size()));
			JsonObject c = m.getAsJsonObject("counts");
			inputs += m.getAsJsonObject("inputs").get("shard").getAsInt();
			withResults += c.get(FileOutcome.Status.DONE.label()).getAsInt() + c.get(FileOutcome.Status.RESUMED.label()).getAsInt();
			failed += c.get(FileOutcome.Status.FAILED.label()).getAsInt();
			skipped += c.get(FileOutcome.Status.SKIPPED_EXISTING.label()).getAsInt();
			pending += c.get(FileOutcome.Status.PENDING.label()).getAsInt();
			Path err = BatchOutputs.errorsCsv(outputDir, i, n);
			try {
				List<List<String>> er = Csv.read(err);
				if (er.size() > 1) errorRows.addAll(er.subList(1, er.size()));
			} catch (IOException ex) {
				warnings.add(err + ": cannot be read (" + ex.getMessage() + ")");
			}
		}
		if (header == null) throw new MedCnnException(Kind.INPUT, outputDir + ": no shard results CSV could be read");
		int si = header.indexOf("source");
		int sl = header.indexOf("slice");
		if (si < 0 || sl < 0) throw new MedCnnException(Kind.INPUT, outputDir + ": shard CSVs lack the source and slice columns: " + header);
		Set<String> seen = new HashSet<>();
		for (List<String> r : rows) {
			if (r.size() != header.size()) throw new MedCnnException(Kind.INPUT, outputDir + ": a shard row has " + r.size() + " cells, the header " + header.size() + ": " + r);
			if (!seen.add(r.get(si) + "\u0000" + r.get(sl))) {
				throw new MedCnnException(Kind.INPUT, outputDir + ": " + r.get(si) + " slice " + r.get(sl) + " appears in more than one shard");
			}
		}
		rows.sort(Comparator.<List<String>, String>comparing(r -> r.get(si)).thenComparingLong(r -> sliceNumber(r.get(sl))));
		errorRows.sort(Comparator.comparing(r -> r.isEmpty() ? "" : r.get(0)));
		try {
			Csv.write(results, header, rows, overwrite);
			Csv.write(errors, BatchRunner.ERROR_HEADER, errorRows, overwrite);
		} catch (IOException ex) {
			throw new MedCnnException(Kind.OUTPUT, ex.getMessage(), ex);
		}
		if (failed + skipped > 0) warnings.add((failed + skipped) + " input(s) failed or were skipped; see " + errors);
		if (pending > 0) warnings.add(pending + " input(s) of unfinished shards were not processed yet");
		return new Report(n, missing, unfinished, inputs, withResults, failed, skipped, pending, rows.size(), errorRows.size(), results, errors, warnings);
	}

	private static long sliceNumber(String s) {
		try {
			return Long.parseLong(s.trim());
		} catch (NumberFormatException e) {
			return Long.MAX_VALUE;
		}
	}

	/** Manifests in a folder, by shard count then index. */
	private static Map<Integer, Map<Integer, Path>> manifests(Path dir) throws MedCnnException {
		Map<Integer, Map<Integer, Path>> out = new TreeMap<>();
		try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "manifest-shard-*-of-*.json")) {
			for (Path p : s) {
				Matcher m = BatchOutputs.MANIFEST_NAME.matcher(p.getFileName().toString());
				if (!m.matches()) continue;
				int index = Integer.parseInt(m.group(1));
				int count = Integer.parseInt(m.group(2));
				if (count < 1 || index >= count) continue;
				out.computeIfAbsent(count, k -> new TreeMap<>()).put(index, p);
			}
		} catch (IOException | NumberFormatException e) {
			throw new MedCnnException(Kind.INPUT, dir + ": cannot be listed: " + e.getMessage(), e);
		}
		return out;
	}

	/** All shards must have used the same model and parameters on the same list of inputs. */
	private static void checkAgreement(Path dir, Map<Integer, JsonObject> manifests, int n) throws MedCnnException {
		for (String what : List.of("model", "parameter_hash", "inputs")) {
			Map<String, TreeSet<Integer>> values = new TreeMap<>();
			for (Map.Entry<Integer, JsonObject> e : manifests.entrySet()) {
				JsonObject m = e.getValue();
				String v = switch (what) {
					case "model" -> m.getAsJsonObject("model").get("id").getAsString() + " (sha256 " + m.getAsJsonObject("model").get("sha256").getAsString() + ")";
					case "parameter_hash" -> m.get("result_parameters").toString();
					default -> m.getAsJsonObject("inputs").get("total").getAsInt() + " inputs (list sha256 " + m.getAsJsonObject("inputs").get("sha256").getAsString() + ")";
				};
				values.computeIfAbsent(v, k -> new TreeSet<>()).add(e.getKey());
			}
			if (values.size() > 1) {
				String hint = switch (what) {
					case "model" -> "the shards used different models";
					case "parameter_hash" -> "the shards used different devices or batch sizes";
					default -> "the shards saw different input lists (files added or removed while they ran): rerun every shard with --resume";
				};
				throw new MedCnnException(Kind.INPUT, dir + ": cannot merge the " + n + " shards: " + hint + ": " + values);
			}
		}
	}
}
