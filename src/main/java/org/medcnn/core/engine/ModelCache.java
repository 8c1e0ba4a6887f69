package org.medcnn.core.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;

/**
 * Keeps loaded models for a session, so that a model loads once per package version and device.
 * Thread-safe. Closing the cache closes every model in it.
 */
public final class ModelCache implements AutoCloseable {

	private final Map<String, ClassifierModel> models = new HashMap<>();
	private final Map<String, AutoCloseable> others = new HashMap<>();

	/** Loads a model of another kind (e.g. the gradient-ready copy saliency uses). */
	@FunctionalInterface
	public interface Loader<M extends AutoCloseable> {
		/**
		 * @return the loaded model
		 * @throws ModelLoadException if loading fails
		 */
		M load() throws ModelLoadException;
	}

	/**
	 * Returns a model of another kind for a package and device, loading it on first use; kept and closed with
	 * the cache like the classification models, so that a Fiji session loads it once.
	 *
	 * @param kind what it is, e.g. {@code explain}
	 * @param pkg the verified package
	 * @param spec the requested device
	 * @param type its class
	 * @param loader loads it
	 * @param <M> its type
	 * @return the shared model
	 * @throws ModelLoadException if loading fails
	 */
	public synchronized <M extends AutoCloseable> M other(String kind, ModelPackage pkg, DeviceSpec spec, Class<M> type, Loader<M> loader)
		throws ModelLoadException {
		String key = kind + "|" + pkg.dir() + "|" + pkg.sha256() + "|" + spec;
		AutoCloseable m = others.get(key);
		if (m == null) {
			m = loader.load();
			others.put(key, m);
		}
		return type.cast(m);
	}

	/**
	 * Returns the loaded model for a package and device, loading it on first use.
	 *
	 * @param pkg the verified package
	 * @param spec the requested device
	 * @return the shared loaded model
	 * @throws ModelLoadException if loading fails
	 */
	public synchronized ClassifierModel get(ModelPackage pkg, DeviceSpec spec) throws ModelLoadException {
		String key = pkg.dir() + "|" + pkg.sha256() + "|" + spec;
		ClassifierModel m = models.get(key);
		if (m == null) {
			m = ClassifierModel.load(pkg, spec);
			models.put(key, m);
		}
		return m;
	}

	/** @return the number of loaded models (of every kind) */
	public synchronized int size() {
		return models.size() + others.size();
	}

	@Override
	public synchronized void close() {
		List<ClassifierModel> all = new ArrayList<>(models.values());
		models.clear();
		for (ClassifierModel m : all) m.close();
		List<AutoCloseable> rest = new ArrayList<>(others.values());
		others.clear();
		for (AutoCloseable m : rest) {
			try {
				m.close();
			} catch (Exception e) {
				// closing frees native memory; nothing to report to the user
			}
		}
	}
}
