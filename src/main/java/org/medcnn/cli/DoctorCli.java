package org.medcnn.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.medcnn.core.engine.EngineDoctor;
import org.medcnn.core.model.ModelRepository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code medcnn doctor}: engine versions, natives, offline flag, GPU visibility, models and their hash status.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true, description = "Report the engine, devices and installed models.")
public final class DoctorCli implements Callable<Integer> {

	@CommandLine.Spec
	private CommandLine.Model.CommandSpec spec;

	@Option(names = "--models-dir", paramLabel = "DIR", description = "Extra folder to search for models.")
	private List<Path> modelsDirs = new ArrayList<>();

	@Override
	public Integer call() {
		java.io.PrintWriter out = spec.commandLine().getOut();
		out.print(EngineDoctor.format(EngineDoctor.diagnose(ModelRepository.withDefaults(modelsDirs))));
		// print() does not flush picocli's writer, and the launcher exits right after: flush, or nothing shows.
		out.flush();
		return ExitCodes.OK;
	}
}
