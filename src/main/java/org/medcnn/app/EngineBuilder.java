package org.medcnn.app;

/**
 * What every request that runs a model takes: the device and the slices per engine call, with the
 * defaults of {@link Parameters}. A task's builder extends it and checks both once in its {@code build()}
 * ({@link Parameters#device}, {@link Parameters#batchSize}).
 *
 * @param <B> the builder itself
 */
public abstract class EngineBuilder<B extends EngineBuilder<B>> {

	/** auto, cpu, gpu or gpu:N, as given. */
	protected String device = Parameters.DEVICE;
	/** Slices per engine call, as given. */
	protected int batchSize = Parameters.BATCH_SIZE;

	/** For the builders of this package. */
	EngineBuilder() {}

	/** @return this builder, as its own type */
	protected abstract B self();

	/**
	 * @param device auto, cpu, gpu or gpu:N
	 * @return this builder
	 */
	public B optDevice(String device) {
		this.device = device;
		return self();
	}

	/**
	 * @param batchSize slices per engine call
	 * @return this builder
	 */
	public B optBatchSize(int batchSize) {
		this.batchSize = batchSize;
		return self();
	}
}
