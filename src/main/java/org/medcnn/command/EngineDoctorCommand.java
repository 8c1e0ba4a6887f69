package org.medcnn.command;

import java.util.Map;
import org.medcnn.core.engine.EngineDoctor;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > MedCNN > Engine Doctor}: reports DJL and PyTorch versions, where the natives are,
 * the offline flag, GPU visibility and the models found with their hash status.
 */
@Plugin(type = Command.class, menuPath = "Plugins>MedCNN>Engine Doctor", headless = true,
	description = "Report the deep-learning engine, devices and installed MedCNN models.")
public class EngineDoctorCommand extends ContextCommand {

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(label = "Report", type = ItemIO.OUTPUT)
	private String report;

	@Override
	public void run() {
		Map<String, String> facts = EngineDoctor.diagnose(models.provider().repository());
		report = EngineDoctor.format(facts);
		log.info(report);
	}

	/** @return the report after {@link #run()} */
	public String getReport() {
		return report;
	}
}
