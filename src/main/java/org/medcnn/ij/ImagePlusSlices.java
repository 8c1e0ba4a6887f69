package org.medcnn.ij;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SliceSource;

/**
 * Reads the slices of an {@link ImagePlus} on demand, in physical units.
 * <p>
 * 8- and 16-bit pixels go through the image's calibration function (ImageJ's DICOM reader sets it
 * to give Hounsfield units for CT, and signed 16-bit data is stored with such a function). 32-bit
 * pixels are used as they are. RGB pixels become the unweighted mean of R, G and B. Colour lookup
 * tables are ignored: a grey image with a colour LUT stays grey. For hyperstacks, every Z and T of
 * the current channel is read, T-major then Z.
 */
public final class ImagePlusSlices implements SliceSource {

	private final ImagePlus imp;
	private final ImageStack stack;
	private final int[] stackIndex;
	private final int[][] czt;
	private final float[] cTable;
	/** Whether raw integers are kept: no calibration, or one that can go with them ({@link Slice.Calibration#of}). */
	private final boolean raw;
	private final Slice.Calibration calibration;
	private final String name;

	/**
	 * Wraps an image.
	 *
	 * @param imp the image; not modified
	 * @param name the source name shown in results (e.g. the file name); null for the image title
	 */
	public ImagePlusSlices(ImagePlus imp, String name) {
		this.imp = imp;
		this.stack = imp.getStack();
		this.name = name != null ? name : imp.getTitle();
		int c = Math.max(1, imp.getC());
		int nz = imp.getNSlices();
		int nt = imp.getNFrames();
		if (imp.isHyperStack() || imp.getNChannels() > 1) {
			stackIndex = new int[nz * nt];
			czt = new int[nz * nt][];
			int k = 0;
			for (int t = 1; t <= nt; t++) {
				for (int z = 1; z <= nz; z++) {
					stackIndex[k] = imp.getStackIndex(c, z, t);
					czt[k] = new int[] {c, z, t};
					k++;
				}
			}
		} else {
			int n = stack.getSize();
			stackIndex = new int[n];
			czt = null;
			for (int i = 0; i < n; i++) stackIndex[i] = i + 1;
		}
		Calibration cal = imp.getCalibration();
		int bd = imp.getBitDepth();
		cTable = (bd == 8 || bd == 16) && cal != null && cal.calibrated() ? cal.getCTable() : null;
		calibration = cTable == null ? null : Slice.Calibration.of(cTable, bd == 16 ? 1 << 16 : 1 << 8);
		raw = cTable == null || calibration != null;
	}

	@Override
	public String name() {
		return name;
	}

	@Override
	public int size() {
		return stackIndex.length;
	}

	/**
	 * Returns the ImageJ stack index (1-based) of a position.
	 *
	 * @param position 0-based position in this source
	 * @return the stack index
	 */
	public int stackIndex(int position) {
		return stackIndex[position];
	}

	/**
	 * Returns the hyperstack position of a slice.
	 *
	 * @param position 0-based position in this source
	 * @return {c, z, t}, or null when the image is not a hyperstack
	 */
	public int[] hyperstackPosition(int position) {
		return czt == null ? null : czt[position].clone();
	}

	/** @return true when the image is a hyperstack (positions have C, Z and T) */
	public boolean isHyperstack() {
		return czt != null;
	}

	@Override
	public Slice get(int position) {
		return get(position, null);
	}

	@Override
	public Slice get(int position, Slice recycled) {
		int idx = stackIndex[position];
		String label = label(stack.getSliceLabel(idx));
		// Raw 8- and 16-bit pixels are kept as integers, with their calibration (CT: a straight line to
		// Hounsfield units) when it never decreases: preprocessing reads them directly. Copied, because the
		// image may be edited while a classification runs in the background. In-memory stacks hand out their
		// arrays without a processor (making one scans the slice for its display range).
		if (raw && !stack.isVirtual()) {
			Object pixels = stack.getPixels(idx);
			if (pixels instanceof short[] s) return Slice.copyOfUnsigned16(idx, label, stack.getWidth(), stack.getHeight(), s, calibration, recycled);
			if (pixels instanceof byte[] b) return Slice.copyOfUnsigned8(idx, label, stack.getWidth(), stack.getHeight(), b, calibration, recycled);
		}
		ImageProcessor ip = stack.getProcessor(idx);
		int w = ip.getWidth();
		int h = ip.getHeight();
		int n = w * h;
		if (raw && ip instanceof ShortProcessor) return Slice.copyOfUnsigned16(idx, label, w, h, (short[]) ip.getPixels(), calibration, recycled);
		if (raw && ip instanceof ByteProcessor) return Slice.copyOfUnsigned8(idx, label, w, h, (byte[]) ip.getPixels(), calibration, recycled);
		float[] px = new float[n];
		if (ip instanceof ColorProcessor cp) {
			int[] rgb = (int[]) cp.getPixels();
			for (int i = 0; i < n; i++) {
				int v = rgb[i];
				px[i] = (((v >> 16) & 0xff) + ((v >> 8) & 0xff) + (v & 0xff)) / 3f;
			}
		} else if (cTable != null) {
			for (int i = 0; i < n; i++) px[i] = cTable[ip.get(i)];
		} else {
			for (int i = 0; i < n; i++) px[i] = ip.getf(i);
		}
		return new Slice(idx, label, w, h, px);
	}

	/** In-memory stacks are read concurrently; virtual stacks (read from files on demand) are not. */
	@Override
	public boolean concurrentReads() {
		return !stack.isVirtual();
	}

	/** Slice labels of DICOM stacks carry the whole header after the first line: keep the first line. */
	static String label(String raw) {
		if (raw == null) return "";
		int nl = raw.indexOf('\n');
		String s = (nl >= 0 ? raw.substring(0, nl) : raw).trim();
		return s.length() > 80 ? s.substring(0, 80) : s;
	}

	/** @return the wrapped image */
	public ImagePlus image() {
		return imp;
	}
}
