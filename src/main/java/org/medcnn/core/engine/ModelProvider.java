package org.medcnn.core.engine;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.model.ModelRepository;


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
	 * Opens, verifies and loads one model or several given together, separated by commas
	 * ({@code a,b,c}); several models form an ensemble whose probabilities are averaged.
	 *
	 * @param spec one id or folder, or several separated by commas
	 * @param device the requested device
	 * @return the loaded set
	 * @throws ModelLoadException naming the model and the problem, also when models disagree on classes or input
	 * @throws IllegalArgumentException if the list is empty or names a model twice
	 */
	public Ensemble loadAll(String spec, DeviceSpec device) throws ModelLoadException {
		java.util.List<String> parts = new java.util.ArrayList<>();
		for (String s : spec.split(",")) {
			String t = s.trim();
			if (t.isEmpty()) throw new IllegalArgumentException("model '" + spec + "': empty entry in the comma-separated list");
			if (parts.contains(t)) throw new IllegalArgumentException("model '" + spec + "': '" + t + "' is listed twice");
			parts.add(t);
		}
		if (parts.isEmpty()) throw new IllegalArgumentException("model: no model given");
		java.util.List<ClassifierModel> models = new java.util.ArrayList<>();
		for (String p : parts) models.add(load(p, device));
		return Ensemble.of(models);
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

	/**
	 * Opens a package and returns a model of another kind for it, loaded once per session like the
	 * classification models ({@link ModelCache#other}).
	 *
	 * @param kind what it is, e.g. {@code explain}
	 * @param idOrPath a model id or package folder
	 * @param device the requested device
	 * @param type its class
	 * @param loader loads it from the package
	 * @param <M> its type
	 * @return the shared model
	 * @throws ModelLoadException naming the file and the problem
	 */
	public <M extends AutoCloseable> M other(String kind, String idOrPath, DeviceSpec device, Class<M> type, PackageLoader<M> loader) throws ModelLoadException {
		ModelPackage pkg = repository.open(idOrPath);
		return cache.other(kind, pkg, device, type, () -> loader.load(pkg, device));
	}

	/**
	 * Returns a model of another kind for an open package, loaded once per session ({@link ModelCache#other}).
	 *
	 * @param kind what it is, e.g. {@code explain}
	 * @param pkg the verified package
	 * @param device the requested device
	 * @param type its class
	 * @param loader loads it from the package
	 * @param <M> its type
	 * @return the shared model
	 * @throws ModelLoadException naming the file and the problem
	 */
	public <M extends AutoCloseable> M other(String kind, ModelPackage pkg, DeviceSpec device, Class<M> type, PackageLoader<M> loader) throws ModelLoadException {
		return cache.other(kind, pkg, device, type, () -> loader.load(pkg, device));
	}

	/** Loads a model of another kind from a package. */
	@FunctionalInterface
	public interface PackageLoader<M extends AutoCloseable> {
		/**
		 * @param pkg the verified package
		 * @param device the requested device
		 * @return the loaded model
		 * @throws ModelLoadException if loading fails
		 */
		M load(ModelPackage pkg, DeviceSpec device) throws ModelLoadException;
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
