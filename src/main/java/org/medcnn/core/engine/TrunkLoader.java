package org.medcnn.core.engine;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.io.IOException;
import java.nio.file.Path;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads TorchScript files for every user of the engine (classification, saliency, training, import
 * checks), so that the options, the device fallback and the error messages are the same everywhere.
 */
public final class TrunkLoader {

	private static final Logger LOG = LoggerFactory.getLogger(TrunkLoader.class);

	/** What the loaded module is for. */
	public enum Mode {
		/** Inference only. */
		INFERENCE,
		/** Input gradients or fine-tuning: without {@code trainParam} libtorch loads the module for inference only and gradients do not flow. */
		GRADIENTS
	}

	private TrunkLoader() {}

	/**
	 * Loads a TorchScript file onto a device.
	 *
	 * @param file the file
	 * @param device the device
	 * @param mode inference or gradients
	 * @return the loaded module; close it after use
	 * @throws ModelLoadException naming the file when it is not loadable TorchScript
	 */
	public static ZooModel<NDList, NDList> open(Path file, Device device, Mode mode) throws ModelLoadException {
		Criteria.Builder<NDList, NDList> b = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(file).optEngine(EnginePolicy.ENGINE)
			.optDevice(device).optOption("mapLocation", "true").optTranslator(new NoopTranslator(null));
		if (mode == Mode.GRADIENTS) b.optOption("trainParam", "true");
		try {
			return b.build().loadModel();
		} catch (MalformedModelException | ModelNotFoundException | IOException | RuntimeException e) {
			throw new ModelLoadException(file + ": not a loadable TorchScript file: " + ClassifierModel.firstLine(e), e);
		}
	}

	/**
	 * The TorchScript module of a loaded file; closes the model when it is not one.
	 *
	 * @param zoo the loaded file
	 * @param file its path, for the message
	 * @return the module
	 * @throws ModelLoadException when the file holds no TorchScript module
	 */
	public static PtSymbolBlock module(ZooModel<NDList, NDList> zoo, Path file) throws ModelLoadException {
		if (zoo.getBlock() instanceof PtSymbolBlock b) return b;
		zoo.close();
		throw new ModelLoadException(file + ": not a TorchScript module");
	}

	/** Loads something on one device. */
	@FunctionalInterface
	public interface OnDevice<M> {
		/**
		 * @param device the device
		 * @param warning why the requested device is not used, or null
		 * @return what was loaded
		 * @throws ModelLoadException if loading fails
		 */
		M load(Device device, String warning) throws ModelLoadException;
	}

	/**
	 * Loads on the resolved device; when that is a GPU and loading there fails for a reason of the device
	 * (not of the file's content), loads on the CPU instead and says why in the warning.
	 *
	 * @param pkg the package, for the message
	 * @param res the resolved device and its warning
	 * @param purpose what the model is loaded for, e.g. {@code for saliency}, or empty
	 * @param loader loads on one device
	 * @param <M> what is loaded
	 * @return what was loaded
	 * @throws ModelLoadException if loading fails on the CPU, or the content does not fit
	 */
	public static <M> M withFallback(ModelPackage pkg, EnginePolicy.Resolution res, String purpose, OnDevice<M> loader) throws ModelLoadException {
		// Logged at info only: the warning goes with the model into every result, and each front-end shows it once.
		if (res.warning() != null) LOG.info(res.warning());
		if (!res.device().isGpu()) return loader.load(Device.cpu(), res.warning());
		try {
			return loader.load(res.device(), null);
		} catch (ClassifierModel.ContentException e) {
			throw e;
		} catch (ModelLoadException e) {
			String w = "loading " + pkg.card().id() + (purpose.isEmpty() ? "" : " " + purpose) + " on " + res.device() + " failed (" + e.getMessage()
				+ "); using cpu";
			LOG.info(w);
			return loader.load(Device.cpu(), w);
		}
	}
}
