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
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;
import org.medcnn.io.BioImageIoExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn export-bioimageio}: a MedCNN model as a bioimage.io model package ({@link BioImageIoExport}).
 */
@Command(name = "export-bioimageio", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Export a model as a bioimage.io model package (format 0.5): rdf.yaml, one TorchScript file for trunk and head, test tensors, cover, "
		+ "README; checked against the specification's offline rules and imported back, which must reproduce MedCNN's output.")
public final class ExportBioImageIoCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Model id or package folder (one model, not an ensemble).")
	private String model;

	@Option(names = "--output", required = true, paramLabel = "DIR|ZIP", description = "A new or empty folder, or a .zip file to write.")
	private Path output;

	@Option(names = "--license", paramLabel = "SPDX", description = "The license of the weights, an SPDX id (default: the card's; required when it has none).")
	private String license;

	@Option(names = "--author", paramLabel = "NAME", description = "An author (repeatable; default: the card's; required when it names none).")
	private List<String> authors = new ArrayList<>();

	@Option(names = "--cite", paramLabel = "TEXT|DOI-or-URL", description = "A citation (repeatable; default: the card's when it holds a DOI or URL).")
	private List<String> cite = new ArrayList<>();

	@Option(names = "--test-image", paramLabel = "FILE", description = "The image to make the test tensors from (default: the package's first example).")
	private Path testImage;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for model ids first.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Override
	public Integer call() {
		PrintWriter out = spec.commandLine().getOut();
		PrintWriter err = spec.commandLine().getErr();
		ModelPackage pkg;
		try {
			pkg = ModelRepository.withDefaults(modelsDirs).open(model);
		} catch (ModelLoadException | IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn export-bioimageio: " + e.getMessage());
			return ExitCodes.MODEL;
		}
		BioImageIoExport.Result r;
		try {
			r = BioImageIoExport.export(new BioImageIoExport.Request(pkg, output, license, authors, cite, testImage));
		} catch (IllegalArgumentException e) {
			CliErrors.report(err, e, "medcnn export-bioimageio: " + e.getMessage());
			return ExitCodes.USAGE;
		} catch (ModelLoadException e) {
			CliErrors.report(err, e, "medcnn export-bioimageio: " + e.getMessage());
			return ExitCodes.MODEL;
		} catch (IOException e) {
			CliErrors.report(err, e, "medcnn export-bioimageio: " + e.getMessage());
			return ExitCodes.OUTPUT;
		} catch (TranslateException e) {
			CliErrors.report(err, e, "medcnn export-bioimageio: inference failed: " + e.getMessage());
			return ExitCodes.INFERENCE;
		}
		out.printf(Locale.ROOT, "wrote bioimage.io package of %s to %s (format %s; output channels %s)%n", pkg.card().id(), r.output(),
			BioImageIoExport.FORMAT_VERSION, r.classNames());
		out.printf(Locale.ROOT, "  validated offline; imported back, it reproduces MedCNN's test output (largest difference %.2g)%n", r.maxDifference());
		return ExitCodes.OK;
	}
}
