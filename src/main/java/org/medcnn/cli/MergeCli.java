package org.medcnn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.medcnn.app.MedCnnException;
import org.medcnn.app.batch.BatchMerge;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn merge}: joins the shard outputs of {@code medcnn batch} into {@code results.csv} and
 * {@code errors.csv} with {@link BatchMerge}.
 */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Join the shard outputs of 'medcnn batch' into results.csv (sorted by source, then slice) and errors.csv.",
	exitCodeListHeading = "%nExit codes:%n",
	exitCodeList = {"0:every shard finished and every input has results", "2:bad option",
		"3:nothing to merge, shards missing or unfinished (without --allow-partial), or shards disagree",
		"5:results.csv or errors.csv exists (without --overwrite) or cannot be written",
		"7:merged, but some inputs failed or were skipped, or shards were left out (--allow-partial)"})
public final class MergeCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--output-dir", required = true, paramLabel = "DIR", description = "The batch's output folder.")
	private Path outputDir;

	@Option(names = "--shard-count", defaultValue = "0", paramLabel = "N",
		description = "Shards to merge (default: from the manifests, which must agree).")
	private int shardCount;

	@Option(names = "--allow-partial", description = "Merge what exists when shards are missing or unfinished, with a warning.")
	private boolean allowPartial;

	@Option(names = "--overwrite", description = "Replace an existing results.csv and errors.csv.")
	private boolean overwrite;

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		if (shardCount < 0) {
			err.println("medcnn merge: --shard-count must be at least 1 (or 0 for automatic), got " + shardCount);
			return ExitCodes.USAGE;
		}
		BatchMerge.Report r;
		try {
			r = BatchMerge.merge(outputDir, shardCount, allowPartial, overwrite);
		} catch (MedCnnException e) {
			CliErrors.report(err, e, "medcnn merge: " + e.getMessage());
			return e.kind() == MedCnnException.Kind.OUTPUT ? ExitCodes.OUTPUT : ExitCodes.BAD_INPUT;
		}
		for (String w : r.warnings()) err.println("medcnn merge: warning: " + w);
		out.printf("merged %d shard(s): %d input(s), %d with results, %d failed, %d skipped, %d not processed%n",
			r.shardCount() - r.missing().size(), r.inputs(), r.withResults(), r.failed(), r.skipped(), r.pending());
		out.println("wrote " + r.results() + " (" + r.rows() + " rows) and " + r.errorsCsv().getFileName() + " (" + r.errors() + " rows)");
		return r.complete() ? ExitCodes.OK : ExitCodes.PARTIAL;
	}
}
