package org.medcnn.command;

import java.io.File;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.medcnn.core.engine.ModelProvider;
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

	private final Map<String, ModelProvider> providers = new HashMap<>();

	@Override
	public ModelProvider provider() {
		return provider(null);
	}

	@Override
	public synchronized ModelProvider provider(File modelsDir) {
		String key = modelsDir == null ? "" : modelsDir.getAbsolutePath();
		return providers.computeIfAbsent(key, k -> new ModelProvider(ModelRepository.withDefaults(
			modelsDir == null ? List.of() : List.of(modelsDir.toPath()))));
	}

	@Override
	public synchronized void dispose() {
		providers.values().forEach(ModelProvider::close);
		providers.clear();
	}
}
