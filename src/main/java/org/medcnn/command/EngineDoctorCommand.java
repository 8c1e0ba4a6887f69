package org.medcnn.command;

import ij.measure.ResultsTable;
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
 * the offline flag, GPU visibility and the models found with their hash status. The report is logged once
 * and returned as the table "MedCNN Engine Doctor" (one row per fact: {@code key}, {@code value}), which a
 * macro can read like MedCNN's other tables.
 */
@Plugin(type = Command.class, menuPath = "Plugins>MedCNN>Engine Doctor", headless = true,
	description = "Report the deep-learning engine, devices and installed MedCNN models.")
public class EngineDoctorCommand extends ContextCommand {

	/** The title of the facts table. */
	public static final String TABLE_TITLE = "MedCNN Engine Doctor";

	@Parameter
	private ModelService models;

	@Parameter
	private LogService log;

	@Parameter(label = TABLE_TITLE, type = ItemIO.OUTPUT)
	private ResultsTable facts;

	private String report;

	@Override
	public void run() {
		Map<String, String> diagnosis = EngineDoctor.diagnose(models.provider().repository());
		report = EngineDoctor.format(diagnosis);
		// The report is not also a String output: ImageJ2 prints String outputs, and it would appear twice.
		log.info(report);
		facts = new ResultsTable();
		facts.showRowNumbers(false);
		for (Map.Entry<String, String> e : diagnosis.entrySet()) {
			facts.incrementCounter();
			facts.addValue("key", e.getKey());
			facts.addValue("value", e.getValue());
		}
	}

	/** @return the report after {@link #run()} */
	public String getReport() {
		return report;
	}

	/** @return the facts table after {@link #run()} */
	public ResultsTable getFacts() {
		return facts;
	}
}
