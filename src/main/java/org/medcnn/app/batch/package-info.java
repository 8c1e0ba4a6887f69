/**
 * Batch classification of a folder, one shard of it at a time, with outputs that survive a killed job.
 * <p>
 * {@link org.medcnn.app.batch.BatchRunner} lists the inputs of a folder ({@link org.medcnn.app.batch.BatchInputs}),
 * takes its shard of the sorted list, classifies each input and writes, per input, a TIFF with the overlay,
 * a CSV of its rows and a JSON record; per shard, a results CSV, an errors CSV and a run manifest
 * ({@link org.medcnn.app.batch.BatchOutputs} names them). {@link org.medcnn.app.batch.BatchMerge} joins the
 * shards into one {@code results.csv}. This package may use {@code ij} and {@code io}; the CLI and the
 * SciJava commands are thin layers over it.
 */
package org.medcnn.app.batch;

import org.medcnn.app.batch.BatchInputs;
import org.medcnn.app.batch.BatchMerge;
import org.medcnn.app.batch.BatchOutputs;
import org.medcnn.app.batch.BatchRunner;
