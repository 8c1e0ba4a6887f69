package org.medcnn.command;

import java.util.List;
import org.medcnn.core.model.ModelProvider;
import org.medcnn.core.model.ModelRepository;
import org.scijava.plugin.Plugin;
import org.scijava.service.AbstractService;
import org.scijava.service.Service;

/**
 * Default {@link ModelService}: the default model search path and a session-wide cache, closed when
 * the context is disposed.
 */
@Plugin(type = Service.class)
public class DefaultModelService extends AbstractService implements ModelService {

	private ModelProvider provider;

	@Override
	public synchronized ModelProvider provider() {
		if (provider == null) provider = new ModelProvider(ModelRepository.withDefaults(List.of()));
		return provider;
	}

	@Override
	public synchronized void dispose() {
		if (provider != null) provider.close();
		provider = null;
	}
}
