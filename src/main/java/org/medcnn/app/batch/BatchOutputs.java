package org.medcnn.app.batch;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The names of a batch's outputs. In the output folder: per shard {@code results-shard-<i>-of-<n>.csv},
 * {@code errors-shard-<i>-of-<n>.csv} and {@code manifest-shard-<i>-of-<n>.json}; after a merge
 * {@code results.csv} and {@code errors.csv}. In its sub-folder {@code files/}: per input
 * {@code <name>.tif} (the stack with the predictions on its overlay), {@code <name>.csv} (its rows) and
 * {@code <name>.json} (its record: model, parameters, input size and time; written last, so that its
 * presence means the other two are complete), where {@code <name>} is the input's path relative to the
 * input folder with '/' replaced by {@code __}.
 */
public final class BatchOutputs {

	/** The sub-folder of the per-input outputs. */
	public static final String FILES_DIR = "files";
	/** The merged results. */
	public static final String MERGED_RESULTS = "results.csv";
	/** The merged errors. */
	public static final String MERGED_ERRORS = "errors.csv";
	/** Matches a shard manifest name; groups: index, count. */
	public static final Pattern MANIFEST_NAME = Pattern.compile("manifest-shard-(\\d+)-of-(\\d+)\\.json");

	private BatchOutputs() {}

	/**
	 * Returns the shard tag used in the shard file names.
	 *
	 * @param index the shard
	 * @param count the number of shards
	 * @return {@code shard-<index>-of-<count>}
	 */
	public static String shardTag(int index, int count) {
		return "shard-" + index + "-of-" + count;
	}

	/**
	 * Returns a shard's results CSV.
	 *
	 * @param outputDir the output folder
	 * @param index the shard
	 * @param count the number of shards
	 * @return {@code results-shard-<i>-of-<n>.csv}
	 */
	public static Path resultsCsv(Path outputDir, int index, int count) {
		return outputDir.resolve("results-" + shardTag(index, count) + ".csv");
	}

	/**
	 * Returns a shard's errors CSV.
	 *
	 * @param outputDir the output folder
	 * @param index the shard
	 * @param count the number of shards
	 * @return {@code errors-shard-<i>-of-<n>.csv}
	 */
	public static Path errorsCsv(Path outputDir, int index, int count) {
		return outputDir.resolve("errors-" + shardTag(index, count) + ".csv");
	}

	/**
	 * Returns a shard's manifest.
	 *
	 * @param outputDir the output folder
	 * @param index the shard
	 * @param count the number of shards
	 * @return {@code manifest-shard-<i>-of-<n>.json}
	 */
	public static Path manifest(Path outputDir, int index, int count) {
		return outputDir.resolve("manifest-" + shardTag(index, count) + ".json");
	}

	/**
	 * Returns the TIFF of an input.
	 *
	 * @param outputDir the output folder
	 * @param outputName the input's output name
	 * @return {@code files/<name>.tif}
	 */
	public static Path tiff(Path outputDir, String outputName) {
		return outputDir.resolve(FILES_DIR).resolve(outputName + ".tif");
	}

	/**
	 * Returns the CSV of an input's rows.
	 *
	 * @param outputDir the output folder
	 * @param outputName the input's output name
	 * @return {@code files/<name>.csv}
	 */
	/**
	 * Returns the saliency heatmap stack of an input (written when saliency is on).
	 *
	 * @param outputDir the batch output folder
	 * @param outputName the input's output name
	 * @return {@code files/<name>_heatmap.tif}
	 */
	public static Path heatmap(Path outputDir, String outputName) {
		return outputDir.resolve(FILES_DIR).resolve(outputName + "_heatmap.tif");
	}

	/**
	 * Returns the saliency regions CSV of an input (written when saliency is on).
	 *
	 * @param outputDir the batch output folder
	 * @param outputName the input's output name
	 * @return {@code files/<name>_regions.csv}
	 */
	public static Path regionsCsv(Path outputDir, String outputName) {
		return outputDir.resolve(FILES_DIR).resolve(outputName + "_regions.csv");
	}

	/**
	 * Returns the per-input rows CSV.
	 *
	 * @param outputDir the batch output folder
	 * @param outputName the input's output name
	 * @return the path
	 */
	public static Path rowsCsv(Path outputDir, String outputName) {
		return outputDir.resolve(FILES_DIR).resolve(outputName + ".csv");
	}

	/**
	 * Returns the record of an input.
	 *
	 * @param outputDir the output folder
	 * @param outputName the input's output name
	 * @return {@code files/<name>.json}
	 */
	public static Path record(Path outputDir, String outputName) {
		return outputDir.resolve(FILES_DIR).resolve(outputName + ".json");
	}
}
