package org.medcnn.core.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Builds the engine's input tensor (N x 3 x H x W) from preprocessed slices held channel-first in a
 * Java array, in the memory layout chosen by {@link EnginePolicy#channelsLast(ai.djl.Device)}.
 * <p>
 * Why channels-last: given an N x 3 x H x W tensor whose memory is ordered N, H, W, C (PyTorch's
 * {@code channels_last} format), libtorch's CPU convolutions choose oneDNN's NHWC kernels; on the
 * shipped MobileNetV2 trunk this made inference 1.25 to 1.75 times faster than the contiguous (N, C, H,
 * W) layout, depending on batch size and run (docs/benchmarks.md). The tensor's shape and
 * values are the same either way; only the kernels' summation order differs, so the logits agree to
 * float rounding (ChannelsLastNumericsTest states the tolerance).
 * <p>
 * Not thread-safe: one instance per session (it may reuse one direct buffer between calls).
 */
public final class InputTensors {

	private final boolean channelsLast;
	private final boolean reuse;
	private ByteBuffer buffer;
	/** One normalised channel, on its way to a contiguous tensor ({@link #createFromUnits}). */
	private float[] row;

	/**
	 * Creates a builder.
	 *
	 * @param channelsLast whether to lay the tensor out channels-last (else contiguous N, C, H, W)
	 * @param reuse whether to reuse one direct buffer between calls; only when each tensor is closed
	 *        before the next one is built (the engine reads the buffer without copying it)
	 */
	public InputTensors(boolean channelsLast, boolean reuse) {
		this.channelsLast = channelsLast;
		this.reuse = reuse;
	}

	/** @return whether tensors are built channels-last */
	public boolean channelsLast() {
		return channelsLast;
	}

	/**
	 * Builds an N x 3 x H x W float tensor.
	 *
	 * @param manager the manager that owns the tensor
	 * @param data n slices, each 3 x H x W channel-first, contiguous from index 0
	 * @param n number of slices
	 * @param height H
	 * @param width W
	 * @return the tensor, shape (n, 3, height, width)
	 */
	public NDArray create(NDManager manager, float[] data, int n, int height, int width) {
		return create(manager, data, 0, n, height, width);
	}

	/**
	 * Builds an N x 3 x H x W float tensor from slices that start inside a larger array.
	 *
	 * @param manager the manager that owns the tensor
	 * @param data slices, each 3 x H x W channel-first, contiguous from {@code offset}
	 * @param offset index of the first value of the first slice
	 * @param n number of slices
	 * @param height H
	 * @param width W
	 * @return the tensor, shape (n, 3, height, width)
	 */
	public NDArray create(NDManager manager, float[] data, int offset, int n, int height, int width) {
		int plane = height * width;
		int size = n * 3 * plane;
		ByteBuffer bytes = buffer(size * Float.BYTES);
		if (!channelsLast) {
			// One bulk copy into native memory that the engine reads in place (DJL copies a heap buffer value by value).
			bytes.asFloatBuffer().put(data, offset, size);
			return manager.create(bytes, new Shape(n, 3, height, width), DataType.FLOAT32);
		}
		FloatBuffer fb = bytes.asFloatBuffer();
		// Interleave the three planes of each slice into H x W x 3: one pass, one write per value.
		for (int i = 0; i < n; i++) {
			int dst = i * 3 * plane;
			int src = offset + dst;
			for (int p = 0; p < plane; p++) {
				fb.put(dst++, data[src + p]);
				fb.put(dst++, data[src + plane + p]);
				fb.put(dst++, data[src + 2 * plane + p]);
			}
		}
		NDArray nhwc = manager.create(bytes, new Shape(n, height, width, 3), DataType.FLOAT32);
		// A permuted view: shape N x 3 x H x W, memory still N, H, W, C (channels_last strides).
		return nhwc.transpose(0, 3, 1, 2);
	}

	/**
	 * Builds an N x 3 x H x W float tensor from unit images (grey, each H x W, before the channel
	 * normalisation): each value is written once, normalised, into the engine's memory. The same floats as
	 * {@link #create} on the slices that {@code SlicePreprocessor.normalize} makes of the same unit images
	 * ({@code (unit - mean[c]) * (1f / std[c])}); the three channels never exist in Java (600 kB a slice of
	 * 224 x 224 written and read again, measured in docs/benchmarks.md).
	 *
	 * @param manager the manager that owns the tensor
	 * @param units n unit images, each {@code height * width} values, row-major
	 * @param n number of slices (the first n of {@code units})
	 * @param height H
	 * @param width W
	 * @param mean the 3 channel means
	 * @param std the 3 channel standard deviations
	 * @return the tensor, shape (n, 3, height, width)
	 */
	public NDArray createFromUnits(NDManager manager, float[][] units, int n, int height, int width, float[] mean, float[] std) {
		int plane = height * width;
		ByteBuffer bytes = buffer(n * 3 * plane * Float.BYTES);
		FloatBuffer fb = bytes.asFloatBuffer();
		float[] inv = {1f / std[0], 1f / std[1], 1f / std[2]};
		if (!channelsLast) {
			if (row == null || row.length != plane) row = new float[plane];
			for (int i = 0; i < n; i++) {
				float[] u = units[i];
				for (int c = 0; c < 3; c++) {
					float m = mean[c];
					float k = inv[c];
					for (int p = 0; p < plane; p++) row[p] = (u[p] - m) * k;
					fb.put(row, 0, plane);
				}
			}
			return manager.create(bytes, new Shape(n, 3, height, width), DataType.FLOAT32);
		}
		float m0 = mean[0];
		float m1 = mean[1];
		float m2 = mean[2];
		float i0 = inv[0];
		float i1 = inv[1];
		float i2 = inv[2];
		for (int i = 0; i < n; i++) {
			float[] u = units[i];
			int dst = i * 3 * plane;
			for (int p = 0; p < plane; p++) {
				float v = u[p];
				fb.put(dst, (v - m0) * i0);
				fb.put(dst + 1, (v - m1) * i1);
				fb.put(dst + 2, (v - m2) * i2);
				dst += 3;
			}
		}
		return manager.create(bytes, new Shape(n, height, width, 3), DataType.FLOAT32).transpose(0, 3, 1, 2);
	}

	private ByteBuffer buffer(int bytes) {
		if (!reuse) return aligned(bytes);
		if (buffer == null || buffer.capacity() < bytes) buffer = aligned(bytes);
		return buffer.clear().limit(bytes).slice().order(ByteOrder.nativeOrder());
	}

	/** {@code bytes} of native memory starting at a 64-byte boundary (a cache line; oneDNN's vector loads are fastest there). */
	static ByteBuffer aligned(int bytes) {
		ByteBuffer raw = ByteBuffer.allocateDirect(bytes + 63);
		int start = (64 - raw.alignmentOffset(0, 64)) % 64;
		return raw.position(start).limit(start + bytes).slice().order(ByteOrder.nativeOrder());
	}
}
