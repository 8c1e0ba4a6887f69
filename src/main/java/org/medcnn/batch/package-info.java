/**
 * Batch classification of a folder, one shard of it at a time, with outputs that survive a killed job.
 * <p>
 * {@link org.medcnn.batch.BatchRunner} lists the inputs of a folder ({@link org.medcnn.batch.BatchInputs}),
 * takes its shard of the sorted list, classifies each input and writes, per input, a TIFF with the overlay,
 * a CSV of its rows and a JSON record; per shard, a results CSV, an errors CSV and a run manifest
 * ({@link org.medcnn.batch.BatchOutputs} names them). {@link org.medcnn.batch.BatchMerge} joins the
 * shards into one {@code results.csv}. This package may use {@code ij} and {@code io}; the CLI and the
 * SciJava commands are thin layers over it.
 */
package org.medcnn.batch;
