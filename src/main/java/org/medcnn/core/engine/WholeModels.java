package org.medcnn.core.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.medcnn.core.model.ModelLoadException;

/**
 * Checks a TorchScript file brought to MedCNN as a whole classifier ({@link ModelCard#IN_MODEL}) before a
 * package is written around it: that it is TorchScript at all (a {@code torch.save} of a state dict or
 * a pickled module is not), and what it returns for an input of the stated size.
 */
public final class WholeModels {

	private WholeModels() {}

	/**
	 * What a whole model returns for one input.
	 *
	 * @param output the shape of its forward's output
	 * @param featureCount the features per slice of the feature method (after averaging a map), 0 without one
	 * @param rowSums the sum of the forward's output over its second axis, for a rank-2 output (to tell probabilities from logits)
	 * @param min the smallest output value
	 * @param max the largest output value
	 */
	public record Probe(long[] output, int featureCount, double rowSums, double min, double max) {}

	/**
	 * Tells a TorchScript archive from the other files PyTorch writes.
	 *
	 * @param file the file
	 * @throws ModelLoadException naming the file and what it is instead, when it is not TorchScript
	 * @throws IOException if it cannot be read
	 */
	public static void checkTorchScript(Path file) throws IOException, ModelLoadException {
		if (!Files.isRegularFile(file)) throw new ModelLoadException(file + (Files.exists(file) ? ": not a regular file" : ": file not found"));
		byte[] head = new byte[4];
		try (InputStream in = Files.newInputStream(file)) {
			int n = in.readNBytes(head, 0, 4);
			if (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
				throw new ModelLoadException(file + ": a pickled PyTorch file (torch.save of a model or its weights), not TorchScript; export the model with "
					+ "torch.jit.script(model).save(...) or torch.jit.trace(model, example).save(...)");
			}
			if (n < 4 || head[0] != 'P' || head[1] != 'K') throw new ModelLoadException(file + ": not a TorchScript file (not a zip archive)");
		}
		boolean code = false;
		boolean data = false;
		try (ZipFile zip = new ZipFile(file.toFile())) {
			Enumeration<? extends ZipEntry> e = zip.entries();
			int seen = 0;
			while (e.hasMoreElements() && seen++ < 100000) {
				String name = e.nextElement().getName();
				if (name.contains("/code/")) code = true;
				if (name.endsWith("/data.pkl") || name.equals("data.pkl")) data = true;
			}
		} catch (ZipException ex) {
			throw new ModelLoadException(file + ": not a TorchScript file (damaged zip archive: " + ex.getMessage() + ")", ex);
		}
		if (!code && data) {
			throw new ModelLoadException(file + ": a state dict (torch.save of weights, no program), not TorchScript: MedCNN cannot rebuild the network from weights alone; "
				+ "export the model with torch.jit.script(model).save(...) or torch.jit.trace(model, example).save(...)");
		}
		if (!code) throw new ModelLoadException(file + ": not a TorchScript file (the archive holds no code/)");
	}

	/**
	 * Loads a whole model on the CPU and runs it once on a zero input of the stated size (and its feature
	 * method, when one is named).
	 *
	 * @param file the TorchScript file
	 * @param channels input channels, 1 or 3
	 * @param width input width
	 * @param height input height
	 * @param featureMethod the feature method, or null
	 * @return what it returned
	 * @throws ModelLoadException naming the file when it does not load or run
	 */
	public static Probe probe(Path file, int channels, int width, int height, String featureMethod) throws ModelLoadException {
		return EngineThread.call(() -> probeOnEngine(file, channels, width, height, featureMethod));
	}

	private static Probe probeOnEngine(Path file, int channels, int width, int height, String featureMethod) throws ModelLoadException {
		EnginePolicy.engine();
		ai.djl.pytorch.jni.JniUtils.setGradMode(false);
		try (ZooModel<NDList, NDList> zoo = TrunkLoader.open(file, ai.djl.Device.cpu(), TrunkLoader.Mode.INFERENCE); NDManager m = zoo.getNDManager().newSubManager()) {
			PtSymbolBlock block = TrunkLoader.module(zoo, file);
			NDArray x = m.zeros(new Shape(2, channels, height, width));
			NDList out;
			try {
				out = IValueUtils.forward(block, new NDList(x), false);
			} catch (RuntimeException e) {
				throw new ModelLoadException(file + ": running the model on a 2 x " + channels + " x " + height + " x " + width + " input failed: "
					+ ClassifierModel.firstLine(e) + " (check --input-size and --channels)", e);
			}
			if (out.isEmpty()) throw new ModelLoadException(file + ": the model returned no tensor");
			NDArray y = out.get(0).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
			long[] shape = y.getShape().getShape();
			double sums = Double.NaN;
			if (shape.length == 2) sums = y.sum(new int[] {1}).mean().getFloat();
			float[] v = y.toFloatArray();
			double min = Double.POSITIVE_INFINITY;
			double max = Double.NEGATIVE_INFINITY;
			for (float f : v) {
				min = Math.min(min, f);
				max = Math.max(max, f);
			}
			int features = 0;
			if (featureMethod != null) {
				NDArray marker = m.zeros(new Shape(1));
				marker.setName("module_method:" + featureMethod);
				NDList f;
				try {
					f = IValueUtils.forward(block, new NDList(x, marker), false);
				} catch (RuntimeException e) {
					throw new ModelLoadException(file + ": its method " + featureMethod + " (the feature method) did not run: " + ClassifierModel.firstLine(e), e);
				}
				Shape fs = f.get(0).getShape();
				if (fs.dimension() != 2 && fs.dimension() != 4 || fs.get(0) != 2) {
					throw new ModelLoadException(file + ": its method " + featureMethod + " returns shape " + fs + "; a feature method returns N x F or N x F x h x w");
				}
				features = (int) fs.get(1);
			}
			return new Probe(shape, features, sums, min, max);
		} catch (RuntimeException e) {
			throw new ModelLoadException(file + ": not a loadable TorchScript file: " + ClassifierModel.firstLine(e), e);
		}
	}
}
