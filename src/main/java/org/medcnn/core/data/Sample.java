package org.medcnn.core.data;

import java.nio.file.Path;

/**
 * A labelled training file, as listed by a data folder or a CSV.
 *
 * @param file the image file
 * @param label the class name
 * @param group an explicit group (e.g. patient id), or null; files of one group never straddle splits
 */
public record Sample(Path file, String label, String group) {}
