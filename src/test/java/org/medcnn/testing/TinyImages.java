package org.medcnn.testing;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.process.ByteProcessor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/** Tiny image files for the tiny model (bright around 200, dark around 10) and a plain CSV reader for the outputs. */
public final class TinyImages {

	private TinyImages() {}

	/**
	 * Writes an 8-bit 32x32 TIFF with one slice per value (200: bright, 10: dark).
	 *
	 * @param file the file (its folder is created)
	 * @param values one grey value per slice
	 * @return the file
	 * @throws IOException if it cannot be written
	 */
	public static Path stack(Path file, int... values) throws IOException {
		Files.createDirectories(file.toAbsolutePath().getParent());
		ImageStack st = new ImageStack(32, 32);
		for (int i = 0; i < values.length; i++) {
			ByteProcessor ip = new ByteProcessor(32, 32);
			ip.setValue(values[i]);
			ip.fill();
			st.addSlice("z" + (i + 1), ip);
		}
		ImagePlus imp = new ImagePlus(file.getFileName().toString(), st);
		boolean ok = values.length > 1 ? new FileSaver(imp).saveAsTiffStack(file.toString()) : new FileSaver(imp).saveAsTiff(file.toString());
		if (!ok) throw new IOException(file + ": not written");
		return file;
	}

	/**
	 * Writes a grey PNG of one value.
	 *
	 * @param file the file (its folder is created)
	 * @param w width
	 * @param h height
	 * @param value the grey value
	 * @return the file
	 * @throws IOException if it cannot be written
	 */
	public static Path png(Path file, int w, int h, int value) throws IOException {
		Files.createDirectories(file.toAbsolutePath().getParent());
		BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
		for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bi.getRaster().setSample(x, y, 0, value);
		if (!ImageIO.write(bi, "png", file.toFile())) throw new IOException(file + ": not written");
		return file;
	}

	/**
	 * Reads a CSV by splitting lines at commas (the tiny model's outputs hold no quoted commas, except in
	 * error messages).
	 *
	 * @param file the file
	 * @return the rows, header first
	 * @throws IOException if it cannot be read
	 */
	public static List<List<String>> csv(Path file) throws IOException {
		List<List<String>> rows = new ArrayList<>();
		for (String line : Files.readAllLines(file)) rows.add(List.of(line.split(",", -1)));
		return rows;
	}
}
