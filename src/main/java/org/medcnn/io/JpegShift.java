package org.medcnn.io;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.medcnn.core.eval.Shifts;
import org.medcnn.core.image.Slice;

/**
 * The JPEG shift of the shift test: the slice as an 8-bit grey JPEG of decreasing quality (its 0.5-99.5
 * percentile range over 0-255), read back in its original units. Outside core because it uses the
 * JDK's image encoder.
 */
public final class JpegShift {

	private JpegShift() {}

	/** @return the JPEG family at qualities 50, 25, 10 and 5 */
	public static List<Shifts.Shift> shifts() {
		List<Shifts.Shift> out = new ArrayList<>();
		int[] q = {50, 25, 10, 5};
		for (int l = 1; l <= 4; l++) {
			int quality = q[l - 1];
			out.add(Shifts.shift("jpeg", l, "quality " + quality, (s, seed) -> jpeg(s, quality / 100f)));
		}
		return out;
	}

	/**
	 * Encodes and decodes a slice as a grey JPEG.
	 *
	 * @param s the slice
	 * @param quality 0 to 1
	 * @return the decoded slice, in the slice's units
	 */
	public static Slice jpeg(Slice s, float quality) {
		float[] v = s.pixels();
		float[] sorted = v.clone();
		java.util.Arrays.sort(sorted);
		double lo = sorted[(int) Math.floor(0.005 * (sorted.length - 1))];
		double hi = sorted[(int) Math.ceil(0.995 * (sorted.length - 1))];
		double span = hi > lo ? hi - lo : 1;
		BufferedImage img = new BufferedImage(s.width(), s.height(), BufferedImage.TYPE_BYTE_GRAY);
		byte[] px = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
		for (int i = 0; i < v.length; i++) px[i] = (byte) Math.round(Math.max(0, Math.min(255, 255 * (v[i] - lo) / span)));
		try {
			ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
			ByteArrayOutputStream bytes = new ByteArrayOutputStream();
			try (MemoryCacheImageOutputStream os = new MemoryCacheImageOutputStream(bytes)) {
				w.setOutput(os);
				ImageWriteParam p = w.getDefaultWriteParam();
				p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
				p.setCompressionQuality(quality);
				w.write(null, new IIOImage(img, null, null), p);
			} finally {
				w.dispose();
			}
			BufferedImage back = ImageIO.read(new ByteArrayInputStream(bytes.toByteArray()));
			float[] out = new float[v.length];
			java.awt.image.Raster r = back.getRaster();
			for (int y = 0; y < s.height(); y++) {
				for (int x = 0; x < s.width(); x++) out[y * s.width() + x] = (float) (lo + r.getSample(x, y, 0) / 255.0 * span);
			}
			return new Slice(s.index(), s.label(), s.width(), s.height(), out);
		} catch (IOException e) {
			throw new UncheckedIOException("JPEG shift: " + e.getMessage(), e);
		}
	}
}
