package org.medcnn.command;

import org.medcnn.core.model.ModelProvider;
import org.scijava.service.SciJavaService;

/**
 * The SciJava service that holds MedCNN's model provider for the session, so that a model loads once
 * however many commands use it.
 */
public interface ModelService extends SciJavaService {

	/** @return the session's model provider */
	ModelProvider provider();
}
