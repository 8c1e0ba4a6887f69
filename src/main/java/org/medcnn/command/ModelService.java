package org.medcnn.command;

import org.medcnn.core.engine.ModelProvider;
import org.scijava.service.SciJavaService;

/**
 * The SciJava service that holds MedCNN's model provider for the session, so that a model loads once
 * however many commands use it.
 */
public interface ModelService extends SciJavaService {

	/** @return the session's model provider over the default model folders */
	ModelProvider provider();

	/**
	 * Returns the session's provider that searches an extra folder first; one per folder, kept for the
	 * session so that its models also load once.
	 *
	 * @param modelsDir the extra folder, or null for the default provider
	 * @return the provider
	 */
	ModelProvider provider(java.io.File modelsDir);
}
