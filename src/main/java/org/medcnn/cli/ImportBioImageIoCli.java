package org.medcnn.cli;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.io.BioImageIo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn import-bioimageio}: a bioimage.io classifier (TorchScript weights) into a MedCNN package,
 * checked on its test tensors ({@link BioImageIo}).
 */
@Command(name = "import-bioimageio", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Import a bioimage.io model (a folder or zip with rdf.yaml, format 0.5 or 0.4) whose TorchScript weights classify: verify its sha256s, "
		+ "write a MedCNN package and check that it reproduces the model's test output. Nothing is downloaded.")
public final class ImportBioImageIoCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--source", required = true, paramLabel = "DIR|ZIP|RDF", description = "The bioimage.io package: its folder, its zip, or its rdf.yaml.")
	private Path source;

	@Option(names = "--output", required = true, paramLabel = "DIR", description = "The MedCNN package folder to write (new or empty).")
	private Path output;

	@Option(names = "--id", paramLabel = "ID", description = "The model id (default: made from the model's name).")
	private String id;

	@Option(names = "--classes", split = ",", paramLabel = "A,B,...", description = "Class names in output order, for an output without channel_names "
		+ "(an index axis, format 0.4); overrides channel_names.")
	private List<String> classes = new ArrayList<>();

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		BioImageIo.Imported r;
		try {
			r = BioImageIo.importModel(new BioImageIo.Request(source, output, id, classes.isEmpty() ? null : classes.stream().map(String::trim).toList()));
		} catch (ModelLoadException e) {
			CliErrors.report(err, e, "medcnn import-bioimageio: " + e.getMessage());
			return ExitCodes.MODEL;
		} catch (IOException e) {
			CliErrors.report(err, e, "medcnn import-bioimageio: " + e.getMessage());
			return e.getMessage() != null && e.getMessage().contains("not empty") ? ExitCodes.OUTPUT : ExitCodes.BAD_INPUT;
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn import-bioimageio: " + e.getMessage());
			return ExitCodes.USAGE;
		} catch (TranslateException e) {
			CliErrors.report(err, e, "medcnn import-bioimageio: inference failed: " + e.getMessage());
			return ExitCodes.INFERENCE;
		}
		for (String w : r.warnings()) err.println("medcnn import-bioimageio: note: " + w);
		out.printf(Locale.ROOT, "wrote model package %s to %s (bioimage.io format %s, classes %s)%n", r.pkg().card().id(), r.pkg().dir(), r.formatVersion(),
			r.pkg().card().classes());
		out.printf(Locale.ROOT, "  reproduces the model's test output: largest difference %.3g (tolerance %s)%n", r.maxDifference(), r.tolerance());
		return ExitCodes.OK;
	}
}
