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

	/** @return the number of loaded models */
	public synchronized int size() {
		return models.size();
	}

	@Override
	public synchronized void close() {
		List<ClassifierModel> all = new ArrayList<>(models.values());
		models.clear();
		for (ClassifierModel m : all) m.close();
	}
}
