package org.medcnn.core.model;

/**
 * Resolves model ids or folders and loads them once per session: a {@link ModelRepository} plus a
 * {@link ModelCache}. The CLI holds one per process; inside Fiji the model service holds one.
 */
public final class ModelProvider implements AutoCloseable {

	private final ModelRepository repository;
	private final ModelCache cache = new ModelCache();

	/**
	 * Creates a provider.
	 *
	 * @param repository where to find packages by id
	 */
	public ModelProvider(ModelRepository repository) {
		this.repository = repository;
	}

	/** @return the repository */
	public ModelRepository repository() {
		return repository;
	}

	/**
	 * Opens, verifies and loads a model (cached).
	 *
	 * @param idOrPath a model id or package folder
	 * @param device the requested device
	 * @return the loaded model
	 * @throws ModelLoadException naming the file and the problem
	 */
	public ClassifierModel load(String idOrPath, DeviceSpec device) throws ModelLoadException {
		ModelPackage pkg = repository.open(idOrPath);
		return cache.get(pkg, device);
	}

	/**
	 * Loads the CPU copy of an already loaded model, for GPU fallback.
	 *
	 * @param model the model
	 * @return the CPU model
	 * @throws ModelLoadException if loading fails
	 */
	public ClassifierModel cpuCopy(ClassifierModel model) throws ModelLoadException {
		return cache.get(model.pkg(), DeviceSpec.CPU);
	}

	/** @return the number of models loaded so far */
	public int loadedCount() {
		return cache.size();
	}

	@Override
	public void close() {
		cache.close();
	}
}
