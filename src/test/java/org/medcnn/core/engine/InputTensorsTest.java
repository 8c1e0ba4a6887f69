package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Input tensors hold exactly the preprocessed values, in N x 3 x H x W order, for every input size
 * (not only multiples of the 64-byte alignment of their native memory) and both layouts.
 */
class InputTensorsTest {

	@Test
	void alignedBuffersHaveTheAskedSizeAndStartOnACacheLine() {
		for (int bytes = 1; bytes < 600; bytes += 7) {
			ByteBuffer b = InputTensors.aligned(bytes);
			assertEquals(bytes, b.capacity(), "capacity for " + bytes);
			assertEquals(0, b.alignmentOffset(0, 64), "alignment for " + bytes);
		}
	}

	@Test
	void valuesArriveUnchangedForAnyInputSize() {
		int[][] sizes = {{299, 299}, {227, 227}, {16, 12}, {7, 5}, {224, 224}};
		try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), EnginePolicy.ENGINE)) {
			for (boolean channelsLast : new boolean[] {false, true}) {
				for (boolean reuse : new boolean[] {false, true}) {
					InputTensors inputs = new InputTensors(channelsLast, reuse);
					for (int[] s : sizes) {
						for (int n : new int[] {1, 3}) {
							int w = s[0];
							int h = s[1];
							float[] data = new float[n * 3 * w * h + 5]; // longer than needed: only the first n slices count
							for (int i = 0; i < data.length; i++) data[i] = (float) Math.sin(i * 0.013) + i % 7;
							try (NDManager scope = manager.newSubManager()) {
								NDArray t = inputs.create(scope, data, n, h, w);
								String what = (channelsLast ? "channels-last" : "contiguous") + (reuse ? " reused" : "") + " " + n + "x3x" + h + "x" + w;
								assertEquals(new Shape(n, 3, h, w), t.getShape(), what);
								assertArrayEquals(java.util.Arrays.copyOf(data, n * 3 * w * h), t.toFloatArray(), what);
								// A batch that starts inside a larger array (the second lane's half)
								NDArray later = inputs.create(scope, data, 5, n, h, w);
								assertArrayEquals(java.util.Arrays.copyOfRange(data, 5, 5 + n * 3 * w * h), later.toFloatArray(), what + " from offset 5");
							}
						}
					}
				}
			}
		}
	}

	@Test
	void unitImagesArriveNormalisedAsTheJavaNormalisationMakesThem() {
		// The lanes hand over unit images and the session normalises them as it writes the engine's input:
		// bit for bit the values SlicePreprocessor.normalize gives, in both layouts.
		int[][] sizes = {{224, 224}, {16, 12}, {9, 8}};
		try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), EnginePolicy.ENGINE)) {
			for (int[] s : sizes) {
				int w = s[0];
				int h = s[1];
				org.medcnn.core.image.SlicePreprocessor pre = new org.medcnn.core.image.SlicePreprocessor(org.medcnn.core.image.InputSpec.builder().setSize(w, h)
					.setIntensity(new org.medcnn.core.image.IntensityPolicy.Range(0, 255)).optNormalize(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f})
					.optMinSliceSize(1).build());
				int n = 3;
				float[][] units = new float[n + 1][w * h]; // one more than used
				float[] normalised = new float[n * 3 * w * h];
				java.util.Random r = new java.util.Random(w);
				for (int i = 0; i <= n; i++) {
					for (int p = 0; p < w * h; p++) units[i][p] = r.nextFloat();
					if (i < n) pre.normalize(units[i], normalised, i * 3 * w * h);
				}
				for (boolean channelsLast : new boolean[] {false, true}) {
					InputTensors inputs = new InputTensors(channelsLast, true);
					for (int rep = 0; rep < 2; rep++) {
						try (NDManager scope = manager.newSubManager()) {
							NDArray t = inputs.createFromUnits(scope, units, n, h, w, pre.spec().mean(), pre.spec().std());
							String what = (channelsLast ? "channels-last " : "contiguous ") + n + "x3x" + h + "x" + w + ", call " + rep;
							assertEquals(new Shape(n, 3, h, w), t.getShape(), what);
							assertArrayEquals(normalised, t.toFloatArray(), 0f, what);
						}
					}
				}
			}
		}
	}
}
