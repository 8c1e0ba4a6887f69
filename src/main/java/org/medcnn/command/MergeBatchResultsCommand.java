package org.medcnn.command;

import ij.measure.ResultsTable;
import java.io.File;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.batch.BatchMerge;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > MedCNN > Merge Batch Results}: joins the shard outputs of Batch Classify Folder into
 * {@code results.csv} and {@code errors.csv} ({@link BatchMerge}), so that a cluster with only Fiji can run
 * the final merge job too. Cancelled when shards are missing or unfinished (unless allow_partial) or
 * disagree.
 * <p>
 * Macro: {@code run("Merge Batch Results", "output_dir=/data/out");}
 */
@Plugin(type = Command.class, menuPath = "Plugins>MedCNN>Merge Batch Results", headless = true,
	description = "Join the shard outputs of Batch Classify Folder into results.csv and errors.csv.")
public class MergeBatchResultsCommand extends ContextCommand {

	/** The title of the summary table (its window, and for macros {@code org.medcnn.ij.MacroTables}). */
	public static final String TABLE_TITLE = "MedCNN Batch Merge";

	@Parameter
	private LogService log;

	@Parameter(label = "Batch output folder", style = "directory", persist = false)
	private File output_dir;

	@Parameter(label = "Shard count", min = "0", persist = false, description = "Shards to merge; 0 takes it from the manifests.")
	private int shard_count = 0;

	@Parameter(label = "Allow partial", persist = false, description = "Merge what exists when shards are missing or unfinished, with a warning.")
	private boolean allow_partial = false;

	@Parameter(label = "Overwrite", persist = false, description = "Replace an existing results.csv and errors.csv.")
	private boolean overwrite = false;

	@Parameter(label = TABLE_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable summary;

	@Override
	public void run() {
		if (output_dir == null) {
			cancel("Merge Batch Results: output_dir is required");
			return;
		}
		BatchMerge.Report r;
		try {
			r = BatchMerge.merge(output_dir.toPath(), shard_count, allow_partial, overwrite);
		} catch (MedCnnException e) {
			cancel("Merge Batch Results: " + e.getMessage());
			return;
		}
		for (String w : r.warnings()) log.warn("Merge Batch Results: " + w);
		log.info("Merge Batch Results: wrote " + r.results() + " (" + r.rows() + " rows) and " + r.errorsCsv() + " (" + r.errors() + " rows)");
		summary = new ResultsTable();
		summary.showRowNumbers(false);
		summary.incrementCounter();
		summary.addValue("shards", r.shardCount() - r.missing().size());
		summary.addValue("shards_missing", r.missing().size());
		summary.addValue("shards_unfinished", r.unfinished().size());
		summary.addValue("inputs", r.inputs());
		summary.addValue("with_results", r.withResults());
		summary.addValue("failed", r.failed());
		summary.addValue("skipped", r.skipped());
		summary.addValue("rows", r.rows());
		summary.addValue("results", r.results().toString());
	}

	/** @return the summary table after {@link #run()}, or null */
	public ResultsTable getSummary() {
		return summary;
	}
}
