package org.medcnn.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** Reads uint8 arrays from a NumPy .npz file (enough for PneumoniaMNIST). */
public final class Npz {

	private Npz() {}

	/**
	 * An array: its shape and bytes in C order.
	 *
	 * @param shape the shape
	 * @param data the values
	 */
	public record Array(int[] shape, byte[] data) {}

	/**
	 * Reads every uint8 array of an npz file.
	 *
	 * @param file the file
	 * @return arrays by name (without .npy)
	 * @throws IOException if reading fails or an array is not uint8 C-order
	 */
	public static Map<String, Array> read(Path file) throws IOException {
		Map<String, Array> out = new HashMap<>();
		try (ZipFile zip = new ZipFile(file.toFile())) {
			for (ZipEntry e : java.util.Collections.list(zip.entries())) {
				try (InputStream in = zip.getInputStream(e)) {
					byte[] all = in.readAllBytes();
					int headerLen = (all[8] & 0xff) | (all[9] & 0xff) << 8;
					String header = new String(all, 10, headerLen, StandardCharsets.US_ASCII);
					if (!header.contains("'|u1'") || header.contains("'fortran_order': True")) throw new IOException(e.getName() + ": not uint8 C-order: " + header);
					Matcher m = Pattern.compile("'shape': \\(([^)]*)\\)").matcher(header);
					if (!m.find()) throw new IOException(e.getName() + ": no shape");
					String[] dims = m.group(1).split(",");
					int k = 0;
					for (String d : dims) if (!d.isBlank()) k++;
					int[] shape = new int[k];
					k = 0;
					for (String d : dims) if (!d.isBlank()) shape[k++] = Integer.parseInt(d.trim());
					byte[] data = java.util.Arrays.copyOfRange(all, 10 + headerLen, all.length);
					out.put(e.getName().replace(".npy", ""), new Array(shape, data));
				}
			}
		}
		return out;
	}
}
