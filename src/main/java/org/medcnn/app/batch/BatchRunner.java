package org.medcnn.app.batch;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import ij.ImagePlus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.medcnn.app.MedCnnException.Kind;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.batch.BatchInputs.Input;
import org.medcnn.app.batch.FileOutcome.Status;
import org.medcnn.core.Messages;
import org.medcnn.core.OutputGuard;
import org.medcnn.core.classify.ClassificationException;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.classify.Prediction;
import org.medcnn.core.classify.ResultColumns;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.engine.ModelProvider;
import org.medcnn.core.explain.DjlSaliency;
import org.medcnn.core.explain.ExplainModel;
import org.medcnn.core.explain.SaliencyException;
import org.medcnn.core.explain.SaliencyRequest;
import org.medcnn.core.explain.SaliencyRun;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.ij.PredictionOverlays;
import org.medcnn.ij.SaliencyOverlays;
import org.medcnn.ij.SaliencyTables;
import org.medcnn.io.AtomicFiles;
import org.medcnn.io.DicomSeries;
import org.medcnn.io.ImageFiles;
import org.medcnn.io.ImageReadException;
import org.medcnn.io.PredictionCsv;
import org.medcnn.io.SaliencyOutputs;
import org.medcnn.io.TiffOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Classifies one shard of a folder: lists the inputs ({@link BatchInputs}), takes every
 * {@code shard_count}-th one starting at {@code shard_index}, and for each writes its TIFF with the
 * overlay, its rows and its record ({@link BatchOutputs}). A failing input is recorded with a message
 * naming it, and the batch goes on.
 * <p>
 * Nothing is ever half-written: every file goes to a temporary name and is renamed into place
 * ({@link AtomicFiles}); an input's record is written after its TIFF and CSV. The shard's results CSV,
 * errors CSV and manifest are rewritten whole, atomically, after finished inputs (after every one while
 * that is cheap; for large shards less often, so that rewriting never takes more than about a tenth of
 * the run) and at the end, so a killed job leaves them complete but perhaps a few inputs behind; the
 * per-input files are the record, and {@code resume} rebuilds the shard files from them.
 * <p>
 * One live process owns a shard's outputs ({@link ShardLock}): another run of the shard, or of another
 * shard count, into the same folder is refused before anything is read or written.
 * <p>
 * Existing outputs are replaced only when MedCNN wrote them: an input's outputs when its record, or the
 * marker written before them ({@code files/.<name>.writing.json}, left by a killed run), is a MedCNN record
 * of that input; the shard's CSVs when its manifest is a MedCNN manifest. An input whose record says it was
 * classified with the same model (SHA-256), the same parameters that shape a row (device, batch size) and
 * the same input (size and modification time) is kept with {@code resume}; with {@code resume}, outputs
 * that a killed run left unfinished are redone. Any other existing output is left alone and the input
 * reported as skipped-existing, unless {@code overwrite} and MedCNN wrote it. Without either, a shard whose
 * manifest exists is refused as a whole. SIGTERM and Ctrl-C stop the run at its next batch of slices and
 * leave the manifest {@code cancelled}.
 */
public final class BatchRunner {

	/** The format of the batch outputs, part of the parameter hash. */
	public static final String FORMAT = "medcnn-batch/1";
	/** The format of a shard manifest. */
	public static final String MANIFEST_FORMAT = "medcnn-batch-manifest/1";

	private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);
	private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();
	/** Rewriting the shard files may take at most 1/CHECKPOINT_RATIO of the time between rewrites. */
	private static final long CHECKPOINT_RATIO = 10;
	/** The header of the errors CSV. */
	static final List<String> ERROR_HEADER = List.of("file", "error");
	/** How long a shutdown (SIGTERM, Ctrl-C) waits for the run to record itself as cancelled. */
	private static final long SHUTDOWN_WAIT_MS = 20_000;

	private final BatchSpec spec;
	private final ModelProvider provider;
	private final BatchListener listener;
	private final Cancellation cancellation;

	/**
	 * Creates a runner.
	 *
	 * @param spec what to do
	 * @param provider loads the model (the caller keeps and closes it)
	 * @param listener receives progress; {@link BatchListener#NONE} for none
	 * @param cancellation checked between inputs and between batches of slices
	 */
	public BatchRunner(BatchSpec spec, ModelProvider provider, BatchListener listener, Cancellation cancellation) {
		this.spec = spec;
		this.provider = provider;
		this.listener = listener;
		this.cancellation = cancellation;
	}

	/**
	 * Runs the shard. Checks, in this order: the input folder exists and has inputs, the output folder
	 * can be written (and, without resume or overwrite, holds no manifest of this shard), the model
	 * loads; only then is anything but the output folder itself written.
	 *
	 * @return what became of every input of the shard
	 * @throws MedCnnException {@link Kind#INPUT} when the input folder is missing or holds no input,
	 *         {@link Kind#MODEL} when the model cannot be loaded, {@link Kind#OUTPUT} when the output folder
	 *         cannot be written or holds this shard's outputs (without resume or overwrite)
	 */
	public BatchSummary run() throws MedCnnException {
		Path in = spec.inputDir();
		Path out = spec.outputDir();
		if (!Files.isDirectory(in)) {
			throw new MedCnnException(Kind.INPUT, "input_dir " + in + ": " + (Files.exists(in) ? "not a folder" : "folder not found"));
		}
		List<Input> all;
		try {
			all = BatchInputs.list(in, spec.recursive(), spec.pattern(), out);
		} catch (IOException e) {
			throw new MedCnnException(Kind.INPUT, "input_dir " + in + ": cannot be listed: " + e.getMessage(), e);
		}
		if (all.isEmpty()) {
			throw new MedCnnException(Kind.INPUT, "input_dir " + in + ": no input files ("
				+ (spec.pattern() == null ? "no image files" : "no file name matches '" + spec.pattern() + "'")
				+ (spec.recursive() ? " in it or its sub-folders" : " in it or its DICOM series sub-folders; recursive searches deeper") + ")");
		}
		prepareOutput(out);
		Path files = out.resolve(BatchOutputs.FILES_DIR);
		if (OutputGuard.overlap(files, in)) {
			throw new MedCnnException(Kind.USAGE, "output_dir " + out + ": its " + BatchOutputs.FILES_DIR + " folder leads into the input folder " + in
				+ " (a link?): outputs would be mixed with the inputs; use a folder outside the input folder");
		}
		// From here on this process owns the shard's outputs: what the checks below read cannot change under them.
		try (ShardLock lock = ShardLock.acquire(out, spec.shardIndex(), spec.shardCount(), ownerCommand())) {
			Path manifest = BatchOutputs.manifest(out, spec.shardIndex(), spec.shardCount());
			if (Files.exists(manifest) && !spec.resume() && !spec.overwrite()) {
				throw new MedCnnException(Kind.OUTPUT, out + " already holds the outputs of shard " + spec.shardIndex() + " of " + spec.shardCount()
					+ " (" + manifest.getFileName() + "); not replaced: use --resume to continue that run or --overwrite to redo it");
			}
			checkShardFilesAreOurs(out);
			Ensemble models;
			try {
				models = provider.loadAll(spec.model(), spec.device());
			} catch (ModelLoadException e) {
				throw new MedCnnException(Kind.MODEL, e.getMessage(), e);
			} catch (IllegalArgumentException e) {
				throw new MedCnnException(Kind.USAGE, e.getMessage(), e);
			}
			if (spec.saliency() != null && models.models().size() > 1) {
				throw new MedCnnException(Kind.USAGE, "saliency " + spec.saliency().id() + " explains one model package; " + spec.model()
					+ " names several (an ensemble package works: its members' mean logit is explained)");
			}
			DjlSliceClassifier classifier;
			try {
				classifier = new DjlSliceClassifier(models, spec.batchSize(), spec.uncertainty(), provider::cpuCopy);
			} catch (IllegalArgumentException e) {
				// e.g. mc_dropout on a head trained without dropout: a parameter that does not fit the model, as in classify
				throw new MedCnnException(Kind.USAGE, e.getMessage(), e);
			}
			return new Run(all, BatchInputs.shard(all, spec.shardIndex(), spec.shardCount()), models, classifier).execute();
		}
	}

	/** What the owner record says runs: enough for a user to recognise the run. */
	private String ownerCommand() {
		return "batch of " + spec.inputDir().toAbsolutePath().normalize() + ", shard " + spec.shardIndex() + " of " + spec.shardCount() + ", model "
			+ spec.model() + (spec.resume() ? ", resume" : "") + (spec.overwrite() ? ", overwrite" : "");
	}

	/**
	 * Refuses to run when the shard's results or errors CSV exists but no MedCNN manifest of this shard does
	 * (a user's file, or something else's): those would be replaced at the first checkpoint.
	 */
	private void checkShardFilesAreOurs(Path out) throws MedCnnException {
		int i = spec.shardIndex();
		int n = spec.shardCount();
		Path manifest = BatchOutputs.manifest(out, i, n);
		boolean ours = Files.exists(manifest) && isManifest(manifest);
		if (Files.exists(manifest) && !ours) {
			throw new MedCnnException(Kind.OUTPUT, manifest + ": exists but is not a MedCNN batch manifest; not replaced: move it away or use another output folder");
		}
		if (ours) return;
		for (Path p : List.of(BatchOutputs.resultsCsv(out, i, n), BatchOutputs.errorsCsv(out, i, n))) {
			if (Files.exists(p)) {
				throw new MedCnnException(Kind.OUTPUT, p + ": exists, but no MedCNN manifest (" + manifest.getFileName()
					+ ") says MedCNN wrote it; not replaced: move it away or use another output folder");
			}
		}
	}

	/** Whether a file is a MedCNN shard manifest: its first property, written first, names the format. */
	static boolean isManifest(Path file) {
		if (!Files.isRegularFile(file)) return false;
		try (java.io.InputStream in = Files.newInputStream(file)) {
			String head = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
			return head.replaceAll("\\s+", "").startsWith("{\"format\":\"" + MANIFEST_FORMAT + "\"");
		} catch (IOException e) {
			return false;
		}
	}

	/**
	 * Returns the hash of the parameters that shape a result row: the batch format, the model's SHA-256,
	 * the requested device, the batch size, the saliency setting and the uncertainty settings.
	 *
	 * @param spec the spec
	 * @param modelSha256 the model's SHA-256
	 * @return the first 16 hex digits of the SHA-256 of those parameters
	 */
	public static String parameterHash(BatchSpec spec, String modelSha256) {
		return sha256(GSON.toJson(resultParameters(spec, modelSha256))).substring(0, 16);
	}

	private static JsonObject resultParameters(BatchSpec spec, String modelSha256) {
		JsonObject p = new JsonObject();
		p.addProperty("format", FORMAT);
		p.addProperty("model_sha256", modelSha256);
		p.addProperty("device", spec.device().toString());
		p.addProperty("batch_size", spec.batchSize());
		p.addProperty("saliency", spec.saliency() == null ? "none" : spec.saliency().id());
		if (spec.uncertainty().enabled()) {
			// Absent without uncertainty, so that the records of earlier runs stay valid.
			p.addProperty("uncertainty", spec.uncertainty().mode().key());
			p.addProperty("uncertainty_passes", spec.uncertainty().passes());
			p.addProperty("uncertainty_seed", spec.uncertainty().seed());
			p.addProperty("uncertainty_threshold", Double.isNaN(spec.uncertainty().threshold()) ? -1 : spec.uncertainty().threshold());
		}
		return p;
	}

	private static String sha256(String text) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("SHA-256 is missing from this Java", e);
		}
	}

	/** Creates the output folders and checks that a file can be created in them. */
	private static void prepareOutput(Path out) throws MedCnnException {
		for (Path p = out.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
			if (Files.exists(p) && !Files.isDirectory(p)) {
				throw new MedCnnException(Kind.OUTPUT, "output_dir " + out + ": cannot be created: " + p + " is a file, not a folder");
			}
		}
		try {
			Files.createDirectories(out.resolve(BatchOutputs.FILES_DIR));
			Path probe = Files.createTempFile(out, ".medcnn-write-test", ".tmp");
			Files.delete(probe);
		} catch (IOException e) {
			throw new MedCnnException(Kind.OUTPUT, "output_dir " + out + ": cannot be created or written: " + e, e);
		}
	}

	/**
	 * Returns what identifies the current content of an input: size and modification time of a file; for a
	 * series folder, the number, total size and latest modification time of its files.
	 */
	static String fingerprint(Path input) throws IOException {
		if (!Files.isDirectory(input)) return Files.size(input) + "@" + Files.getLastModifiedTime(input).toMillis();
		long n = 0;
		long size = 0;
		long latest = 0;
		try (DirectoryStream<Path> s = Files.newDirectoryStream(input)) {
			for (Path p : s) {
				if (p.getFileName().toString().startsWith(".") || !Files.isRegularFile(p)) continue;
				n++;
				size += Files.size(p);
				latest = Math.max(latest, Files.getLastModifiedTime(p).toMillis());
			}
		}
		return "series:" + n + ":" + size + "@" + latest;
	}

	private static String softwareVersion() {
		String v = BatchRunner.class.getPackage().getImplementationVersion();
		return v == null ? "development build" : v;
	}

	/** Prefixes a message with the input's path unless it names it already. */
	private static String named(Input input, String message) {
		String path = input.path().toString();
		return message != null && message.contains(path) ? message : path + ": " + message;
	}

	/** One run over one shard. */
	private final class Run {
		private final List<Input> all;
		private final List<Input> mine;
		private final ClassifierModel model;
		private final Ensemble models;
		private final DjlSliceClassifier classifier;
		private final FileOutcome[] outcomes;
		private final List<List<List<String>>> rows;
		private final List<String> header;
		private final String modelSha;
		private final String paramHash;
		private final JsonObject resultParams;
		private final Instant started = Instant.now();
		private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
		private volatile boolean interrupted;
		private final Cancellation stop = this::stopped;
		private final long t0 = System.nanoTime();
		private final Path out = spec.outputDir();
		private long lastCheckpointEnd;
		private long lastCheckpointCost;
		private int processed;
		private long processingStart;

		private ExplainModel explain;
		private SaliencyRequest saliencyRequest;

		Run(List<Input> all, List<Input> mine, Ensemble models, DjlSliceClassifier classifier) {
			this.all = all;
			this.mine = mine;
			this.models = models;
			this.model = models.models().get(0);
			this.classifier = classifier;
			this.outcomes = new FileOutcome[mine.size()];
			this.rows = new ArrayList<>();
			for (int i = 0; i < mine.size(); i++) rows.add(null);
			this.header = ResultColumns.header(model.pkg().card().classes(), spec.uncertainty().enabled());
			this.modelSha = models.sha256();
			this.paramHash = parameterHash(spec, modelSha);
			this.resultParams = resultParameters(spec, modelSha);
		}

		BatchSummary execute() throws MedCnnException {
			Thread hook = new Thread(this::shutdown, "medcnn-batch-shutdown");
			boolean hooked = false;
			try {
				Runtime.getRuntime().addShutdownHook(hook);
				hooked = true;
			} catch (IllegalStateException e) {
				// the process is shutting down already: the run stops at its first check
				interrupted = true;
			}
			try {
				BatchSummary summary = executeHooked();
				if (interrupted) listener.interrupted(summary);
				return summary;
			} finally {
				finished.countDown();
				if (hooked) {
					try {
						Runtime.getRuntime().removeShutdownHook(hook);
					} catch (IllegalStateException e) {
						// shutting down: the hook runs (and returns at once, the run being over)
					}
				}
			}
		}

		/**
		 * Runs at SIGTERM or Ctrl-C (not at SIGKILL): asks the run to stop and waits until it has recorded
		 * itself as cancelled (the input in progress is abandoned at its next batch of slices, its partial
		 * outputs removed), so that the manifest says "cancelled" instead of "running".
		 */
		private void shutdown() {
			interrupted = true;
			try {
				finished.await(SHUTDOWN_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		}

		private boolean stopped() {
			return interrupted || cancellation.isCancelled();
		}

		private BatchSummary executeHooked() throws MedCnnException {
			removeStaleTemporaryFiles();
			List<Integer> todo = new ArrayList<>();
			for (int k = 0; k < mine.size(); k++) {
				outcomes[k] = decide(k, mine.get(k));
				if (outcomes[k] == null) todo.add(k);
			}
			// The manifest first: it claims the shard files that the first checkpoint writes next.
			writeManifest("running");
			int resumed = (int) java.util.Arrays.stream(outcomes).filter(o -> o != null && o.status() == Status.RESUMED).count();
			listener.started(mine.size(), all.size(), resumed);
			for (FileOutcome o : outcomes) if (o != null) listener.finished(o, progress(todo.size()));
			checkpoint("running");
			if (spec.saliency() != null) {
				try {
					explain = provider.other(ExplainModel.CACHE_KIND, model.pkg(), spec.device(), ExplainModel.class, ExplainModel::load);
					saliencyRequest = SaliencyRequest.builder().setMethod(spec.saliency()).optBatchSize(spec.batchSize()).build();
					DjlSaliency.check(saliencyRequest, explain);
				} catch (ModelLoadException | IllegalArgumentException e) {
					throw new IllegalStateException("saliency " + spec.saliency().id() + ": " + e.getMessage(), e);
				}
			}
			boolean cancelled = false;
			processingStart = System.nanoTime();
			int left = todo.size();
			for (int k : todo) {
				if (stopped()) {
					cancelled = true;
					break;
				}
				try {
					outcomes[k] = process(k, mine.get(k), classifier);
				} catch (CancellationException e) {
					cancelled = true;
					break;
				}
				processed++;
				left--;
				listener.finished(outcomes[k], progress(left));
				maybeCheckpoint();
			}
			if (!cancelled && interrupted) cancelled = true;
			checkpoint(cancelled ? "cancelled" : "finished");
			List<FileOutcome> list = new ArrayList<>();
			for (int k = 0; k < mine.size(); k++) list.add(outcomes[k] != null ? outcomes[k] : pending(mine.get(k)));
			return new BatchSummary(spec.shardIndex(), spec.shardCount(), all.size(), list, cancelled, (System.nanoTime() - t0) / 1e9,
				models.id(), modelSha, models.deviceName(), resultsCsv(), errorsCsv(), manifest());
		}

		private BatchProgress progress(int left) {
			int finished = (int) java.util.Arrays.stream(outcomes).filter(o -> o != null).count();
			double secs = processed == 0 ? 0 : (System.nanoTime() - processingStart) / 1e9;
			double rate = processed == 0 || secs <= 0 ? 0 : processed / secs;
			double eta = left == 0 ? 0 : rate > 0 ? left / rate : Double.NaN;
			return new BatchProgress(finished, mine.size(), rate, eta);
		}

		private Path resultsCsv() {
			return BatchOutputs.resultsCsv(out, spec.shardIndex(), spec.shardCount());
		}

		private Path errorsCsv() {
			return BatchOutputs.errorsCsv(out, spec.shardIndex(), spec.shardCount());
		}

		private Path manifest() {
			return BatchOutputs.manifest(out, spec.shardIndex(), spec.shardCount());
		}

		/** Deletes the temporary files that a killed run of this shard left; other shards' files are never touched. */
		private void removeStaleTemporaryFiles() {
			Set<String> mineNames = new HashSet<>();
			for (Path p : List.of(resultsCsv(), errorsCsv(), manifest())) mineNames.add(p.getFileName().toString());
			Set<String> fileNames = new HashSet<>();
			for (Input in : mine) {
				for (Path p : List.of(BatchOutputs.tiff(out, in.outputName()), BatchOutputs.rowsCsv(out, in.outputName()),
					BatchOutputs.record(out, in.outputName()))) {
					fileNames.add(p.getFileName().toString());
				}
			}
			removeTemporaries(out, mineNames);
			removeTemporaries(out.resolve(BatchOutputs.FILES_DIR), fileNames);
		}

		private void removeTemporaries(Path dir, Set<String> targets) {
			try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.part-*")) {
				for (Path p : s) {
					String n = p.getFileName().toString();
					String target = n.substring(1, n.lastIndexOf(".part-"));
					if (targets.contains(target)) {
						Files.deleteIfExists(p);
						LOG.info("batch: removed {}, left by an interrupted run", p);
					}
				}
			} catch (IOException e) {
				LOG.warn("batch: could not clean up temporary files in {}: {}", dir, e.getMessage());
			}
		}

		/**
		 * Decides from existing outputs whether an input is resumed, skipped or to be processed (null).
		 * Existing outputs are replaced only when the input's record shows that MedCNN wrote them (a finished
		 * record, or the record a run writes before its outputs); anything else is left alone and reported.
		 */
		private FileOutcome decide(int k, Input input) {
			if (input.problem() != null) return FileOutcome.of(input.source(), input.path(), Status.FAILED, named(input, input.problem()));
			Path tif = BatchOutputs.tiff(out, input.outputName());
			Path csv = BatchOutputs.rowsCsv(out, input.outputName());
			Path rec = BatchOutputs.record(out, input.outputName());
			List<Path> present = new ArrayList<>();
			for (Path p : outputs(input)) if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) present.add(p);
			if (present.isEmpty()) return null;
			FileRecord.Ownership owner = FileRecord.ownership(rec, input.source());
			if (owner == FileRecord.Ownership.NONE || owner == FileRecord.Ownership.OTHER) {
				return FileOutcome.of(input.source(), input.path(), Status.SKIPPED_EXISTING, input.path() + ": " + names(present)
					+ (present.size() == 1 ? " exists" : " exist") + ", but no MedCNN record (" + rec.getFileName()
					+ ") says MedCNN wrote " + (present.size() == 1 ? "it" : "them") + " for this input; not replaced, with or without --resume or "
					+ "--overwrite: move " + (present.size() == 1 ? "it" : "them") + " away to process this input");
			}
			if (owner == FileRecord.Ownership.WRITING) {
				if (spec.resume() || spec.overwrite()) return null; // left unfinished by an interrupted run
				return FileOutcome.of(input.source(), input.path(), Status.SKIPPED_EXISTING,
					input.path() + ": outputs (" + tif + ") were left unfinished by an interrupted run; not replaced (use --resume to redo them)");
			}
			FileRecord r = FileRecord.read(rec);
			// A marker left next to a finished record (killed just after the record was written) is stale.
			deleteQuietly(FileRecord.marker(rec));
			boolean complete = r != null && Files.isRegularFile(tif) && Files.isRegularFile(csv);
			String differs = complete ? difference(r, input) : null;
			if (complete && differs == null) {
				if (spec.resume()) {
					FileOutcome kept = resumed(k, input, r, csv);
					if (kept != null) return kept;
					complete = false; // its CSV does not match its record: redo it
				} else if (!spec.overwrite()) {
					return FileOutcome.of(input.source(), input.path(), Status.SKIPPED_EXISTING, input.path() + ": outputs (" + tif
						+ ") exist from a run with the same model and parameters; not replaced (use --resume to keep them or --overwrite to redo them)");
				}
			}
			if (spec.overwrite()) return null;
			if (!complete && spec.resume()) return null; // its record's files are missing or damaged
			if (complete) {
				return FileOutcome.of(input.source(), input.path(), Status.SKIPPED_EXISTING,
					input.path() + ": outputs (" + tif + ") exist from " + differs + "; not replaced (use --overwrite to redo them)");
			}
			return FileOutcome.of(input.source(), input.path(), Status.SKIPPED_EXISTING,
				input.path() + ": outputs (" + tif + ") exist but are incomplete; not replaced (use --resume to redo them)");
		}

		/** Every output an input may have: TIFF, rows CSV, record, and with saliency the heatmap and regions. */
		private List<Path> outputs(Input input) {
			return List.of(BatchOutputs.tiff(out, input.outputName()), BatchOutputs.rowsCsv(out, input.outputName()),
				BatchOutputs.record(out, input.outputName()), BatchOutputs.heatmap(out, input.outputName()),
				BatchOutputs.regionsCsv(out, input.outputName()));
		}

		private static String names(List<Path> files) {
			List<String> n = new ArrayList<>();
			for (Path p : files) n.add(BatchOutputs.FILES_DIR + "/" + p.getFileName());
			return String.join(", ", n);
		}

		private String difference(FileRecord r, Input input) {
			if (!r.modelSha256().equals(modelSha)) return "another model (" + r.modelId() + ", sha256 " + r.modelSha256().substring(0, Math.min(12, r.modelSha256().length())) + ")";
			if (!r.parameterHash().equals(paramHash)) return "other parameters (" + r.parameters() + ")";
			String fp;
			try {
				fp = fingerprint(input.path());
			} catch (IOException e) {
				fp = null;
			}
			if (!r.inputFingerprint().equals(fp)) return "an earlier version of the input (it changed since)";
			return null;
		}

		private FileOutcome resumed(int k, Input input, FileRecord r, Path csv) {
			try {
				List<List<String>> recs = Csv.read(csv);
				if (recs.isEmpty() || !recs.get(0).equals(header) || recs.size() - 1 != r.slices()) return null;
				rows.set(k, recs.subList(1, recs.size()));
				return new FileOutcome(input.source(), input.path(), Status.RESUMED, r.slices(), r.millis(), null, r.warnings(), r.finished(),
					r.oodScored() > 0 ? r.oodFlagged() : -1);
			} catch (IOException e) {
				return null;
			}
		}

		private FileOutcome pending(Input input) {
			return FileOutcome.of(input.source(), input.path(), Status.PENDING, null);
		}

		/** Reads, classifies and writes one input; every failure but cancellation becomes a FAILED outcome. */
		private FileOutcome process(int k, Input input, DjlSliceClassifier classifier) {
			long t = System.nanoTime();
			Path tif = BatchOutputs.tiff(out, input.outputName());
			Path csv = BatchOutputs.rowsCsv(out, input.outputName());
			Path rec = BatchOutputs.record(out, input.outputName());
			Path heat = BatchOutputs.heatmap(out, input.outputName());
			Path regions = BatchOutputs.regionsCsv(out, input.outputName());
			Path marker = FileRecord.marker(rec);
			boolean writing = false;
			ImagePlus imp = null;
			try {
				String fingerprint = fingerprint(input.path());
				imp = ImageFiles.open(input.path());
				List<String> warnings = new ArrayList<>();
				if (imp.getProperty(DicomSeries.WARNINGS_PROPERTY) instanceof String w) warnings.addAll(w.lines().toList());
				ImagePlusSlices slices = new ImagePlusSlices(imp, input.source());
				ClassificationRun run = classifier.classify(slices, ProgressListener.NONE, stop);
				warnings.addAll(run.warnings());
				PredictionOverlays.add(slices, run);
				SaliencyRun saliency = null;
				if (explain != null) {
					saliency = new DjlSaliency(explain).explain(slices, saliencyRequest, ProgressListener.NONE, stop);
					SaliencyOverlays.add(slices, saliency, 0.4);
				}
				writing = true;
				// Claim the outputs before writing any; an old record must not vouch for the new files while they are written.
				FileRecord.writeStarted(marker, input.source(), input.path().toAbsolutePath().normalize().toString());
				Files.deleteIfExists(rec);
				if (saliency != null) {
					TiffOutput.save(SaliencyOverlays.heatmapStack(slices, saliency), heat, true);
					SaliencyOutputs.writeRegions(saliency, SaliencyTables.scale(imp.getCalibration()), regions, true);
				}
				TiffOutput.save(imp, tif, true);
				PredictionCsv.write(run, csv, true);
				double ms = (System.nanoTime() - t) / 1e6;
				String finished = Instant.now().toString();
				new FileRecord(input.source(), input.path().toAbsolutePath().normalize().toString(), fingerprint, models.id(), modelSha,
					paramHash, resultParams, run.predictions().size(), ms, run.device(), warnings, ImageFiles.reader(imp), finished, run.oodScored(), run.oodFlagged())
					.write(rec, tif.getFileName().toString(), csv.getFileName().toString());
				deleteQuietly(marker);
				List<List<String>> r = new ArrayList<>();
				for (Prediction p : run.predictions()) r.add(ResultColumns.row(run, p).stream().map(ResultColumns::format).toList());
				rows.set(k, r);
				return new FileOutcome(input.source(), input.path(), Status.DONE, r.size(), ms, null, warnings, finished, run.oodScored() > 0 ? run.oodFlagged() : -1);
			} catch (ImageReadException e) {
				return failed(input, e.getMessage(), t, false);
			} catch (ClassificationException | IllegalArgumentException | SaliencyException e) {
				return failed(input, named(input, e.getMessage()), t, writing, tif, csv, heat, regions, rec, marker);
			} catch (IOException e) {
				return failed(input, named(input, (writing ? "outputs could not be written: " : "cannot be read: ") + Messages.describe(e)), t,
					writing, tif, csv, heat, regions, rec, marker);
			} catch (CancellationException e) {
				if (writing) deleteQuietly(tif, csv, heat, regions, rec, marker);
				throw e;
			} catch (OutOfMemoryError e) {
				return failed(input, named(input, "too large for the Java heap (" + (Runtime.getRuntime().maxMemory() >> 20)
					+ " MiB at most); give Java more memory (-Xmx, MEDCNN_JAVA_OPTS, or Edit > Options > Memory in Fiji)"), t, writing, tif, csv, heat, regions, rec, marker);
			} catch (RuntimeException e) {
				return failed(input, named(input, "unexpected error: " + Messages.describe(e)), t, writing, tif, csv, heat, regions, rec, marker);
			} finally {
				if (imp != null) imp.flush();
			}
		}

		private FileOutcome failed(Input input, String message, long t, boolean cleanUp, Path... written) {
			// Outputs of a failed attempt are removed with the record that claimed them.
			if (cleanUp) deleteQuietly(written);
			// A failure while the process shuts down is the shutdown's doing: the input is left for --resume.
			if (interrupted) throw new CancellationException("interrupted");
			return new FileOutcome(input.source(), input.path(), Status.FAILED, 0, (System.nanoTime() - t) / 1e6, message, List.of(), null);
		}

		private void deleteQuietly(Path... files) {
			for (Path f : files) {
				try {
					Files.deleteIfExists(f);
				} catch (IOException e) {
					LOG.warn("batch: could not remove {}: {}", f, e.getMessage());
				}
			}
		}

		private void maybeCheckpoint() throws MedCnnException {
			if (System.nanoTime() - lastCheckpointEnd >= CHECKPOINT_RATIO * lastCheckpointCost) checkpoint("running");
		}

		/** Rewrites the shard's results CSV, errors CSV and manifest, in this order, each atomically. */
		private void checkpoint(String state) throws MedCnnException {
			long c0 = System.nanoTime();
			List<List<String>> results = new ArrayList<>();
			List<List<String>> errors = new ArrayList<>();
			for (int k = 0; k < mine.size(); k++) {
				FileOutcome o = outcomes[k];
				if (o == null) continue;
				if (o.status().hasResults()) results.addAll(rows.get(k));
				if (o.status() == Status.FAILED || o.status() == Status.SKIPPED_EXISTING) errors.add(List.of(o.source(), o.message()));
			}
			Path current = resultsCsv();
			try {
				Csv.write(current, header, results, true);
				current = errorsCsv();
				Csv.write(current, ERROR_HEADER, errors, true);
				current = manifest();
				writeManifest(state, results.size());
			} catch (IOException e) {
				throw new MedCnnException(Kind.OUTPUT, current + ": cannot be written: " + e.getMessage(), e);
			}
			lastCheckpointEnd = System.nanoTime();
			lastCheckpointCost = lastCheckpointEnd - c0;
		}

		private void writeManifest(String state) throws MedCnnException {
			try {
				writeManifest(state, 0);
			} catch (IOException e) {
				throw new MedCnnException(Kind.OUTPUT, manifest() + ": cannot be written: " + e.getMessage(), e);
			}
		}

		private void writeManifest(String state, int resultRows) throws IOException {
			String json = GSON.toJson(manifestJson(state, resultRows)) + "\n";
			AtomicFiles.write(manifest(), true, tmp -> Files.writeString(tmp, json, StandardCharsets.UTF_8));
		}

		private JsonObject manifestJson(String state, int resultRows) {
			JsonObject m = new JsonObject();
			m.addProperty("format", MANIFEST_FORMAT);
			m.addProperty("state", state);
			JsonObject sw = new JsonObject();
			sw.addProperty("medcnn", softwareVersion());
			try {
				sw.addProperty("djl", ai.djl.engine.Engine.getDjlVersion());
				sw.addProperty("pytorch", ai.djl.engine.Engine.getEngine("PyTorch").getVersion());
			} catch (RuntimeException e) {
				sw.addProperty("engine", "unknown: " + e.getMessage());
			}
			sw.addProperty("java", System.getProperty("java.version"));
			sw.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
			m.add("software", sw);
			JsonObject host = new JsonObject();
			for (String env : List.of("HOSTNAME", "SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID")) {
				String v = System.getenv(env);
				if (v != null) host.addProperty(env.toLowerCase(java.util.Locale.ROOT), v);
			}
			m.add("host", host);
			JsonObject mo = new JsonObject();
			mo.addProperty("id", models.id());
			mo.addProperty("version", model.pkg().card().version());
			mo.addProperty("sha256", modelSha);
			mo.addProperty("dir", model.pkg().dir().toString());
			mo.addProperty("device", models.deviceName());
			if (models.models().size() > 1) {
				com.google.gson.JsonArray members = new com.google.gson.JsonArray();
				for (ClassifierModel member : models.models()) {
					JsonObject o = new JsonObject();
					o.addProperty("id", member.pkg().card().id());
					o.addProperty("version", member.pkg().card().version());
					o.addProperty("sha256", member.pkg().sha256());
					o.addProperty("dir", member.pkg().dir().toString());
					members.add(o);
				}
				mo.add("members", members);
			}
			m.add("model", mo);
			m.add("parameters", GSON.toJsonTree(spec.parameters()));
			m.add("result_parameters", resultParams);
			m.addProperty("parameter_hash", paramHash);
			JsonObject inputs = new JsonObject();
			inputs.addProperty("total", all.size());
			inputs.addProperty("shard", mine.size());
			inputs.addProperty("sha256", sha256(String.join("\n", all.stream().map(Input::source).toList())));
			m.add("inputs", inputs);
			m.addProperty("started", started.toString());
			if (state.equals("running")) m.add("ended", JsonNull.INSTANCE);
			else m.addProperty("ended", Instant.now().toString());
			m.addProperty("seconds", Math.round((System.nanoTime() - t0) / 1e6) / 1000.0);
			JsonObject counts = new JsonObject();
			for (Status s : Status.values()) {
				int n = 0;
				for (int k = 0; k < mine.size(); k++) if ((outcomes[k] == null ? Status.PENDING : outcomes[k].status()) == s) n++;
				counts.addProperty(s.label(), n);
			}
			m.add("counts", counts);
			m.addProperty("result_rows", resultRows);
			JsonObject outs = new JsonObject();
			outs.addProperty("results", resultsCsv().getFileName().toString());
			outs.addProperty("errors", errorsCsv().getFileName().toString());
			m.add("outputs", outs);
			JsonArray files = new JsonArray();
			for (int k = 0; k < mine.size(); k++) {
				Input in = mine.get(k);
				FileOutcome o = outcomes[k] != null ? outcomes[k] : pending(in);
				JsonObject f = new JsonObject();
				f.addProperty("source", in.source());
				f.addProperty("input", in.path().toAbsolutePath().normalize().toString());
				if (in.series()) f.addProperty("dicom_series", true);
				f.addProperty("status", o.status().label());
				f.addProperty("slices", o.slices());
				if (o.oodFlagged() >= 0) f.addProperty("ood_flagged_slices", o.oodFlagged());
				f.addProperty("ms", Math.round(o.millis() * 1000) / 1000.0);
				if (o.message() != null) f.addProperty("message", o.message());
				if (!o.warnings().isEmpty()) {
					JsonArray w = new JsonArray();
					o.warnings().forEach(w::add);
					f.add("warnings", w);
				}
				if (o.finished() != null) f.addProperty("finished", o.finished());
				if (o.status().hasResults()) {
					String dir = BatchOutputs.FILES_DIR + "/";
					JsonObject fo = new JsonObject();
					fo.addProperty("tif", dir + in.outputName() + ".tif");
					fo.addProperty("csv", dir + in.outputName() + ".csv");
					fo.addProperty("record", dir + in.outputName() + ".json");
					f.add("outputs", fo);
				}
				files.add(f);
			}
			m.add("files", files);
			return m;
		}
	}
}
