package org.medcnn.io;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads NIfTI-1 images ({@code .nii}, {@code .nii.gz}, and {@code .hdr}/{@code .img} pairs) into an
 * ImageJ {@link ImagePlus}, without any NIfTI library.
 * <p>
 * <b>What is read.</b> Both byte orders (told apart by {@code sizeof_hdr} = 348); gzip is recognised by
 * its magic bytes, whatever the file name. Datatypes uint8, int8, int16, uint16, int32, uint32, int64,
 * uint64, float32, float64 and RGB24 (RGBA32 keeps R, G and B). Complex, float128 and binary data are
 * refused, as are NIfTI-2 files, ANALYZE 7.5 headers without the NIfTI magic and images with more than
 * four dimensions. 2-D and 3-D images become a stack of Z slices; 4-D images become a hyperstack of Z
 * slices by T frames with one channel.
 * <p>
 * <b>Pixel types and scaling.</b> When {@code scl_slope} is neither 0 (the NIfTI "no scaling" value; a
 * non-finite slope is treated the same) nor 1, or {@code scl_inter} is not 0, every voxel becomes 32-bit
 * float {@code raw * scl_slope + scl_inter}. Without scaling: uint8 stays 8-bit, uint16 stays 16-bit, and
 * int16 becomes 16-bit storing {@code value + 32768} with ImageJ's signed 16-bit calibration function
 * (straight line {-32768, 1}), as ImageJ does for signed 16-bit TIFF and DICOM, so calibrated values are
 * the stored int16 values and no precision is lost. Every other type becomes 32-bit float, which is
 * exact up to 2^24 in magnitude.
 * <p>
 * <b>Orientation.</b> NIfTI stores x (i) fastest from the first voxel; ImageJ draws row 0 at the top.
 * Rows are flipped: stored row {@code j} becomes ImageJ row {@code ny - 1 - j}, so j increases upwards.
 * Columns and slices keep their stored order and the qform/sform are not applied (they are listed in the
 * {@code Info} property). For the storage that dcm2niix, FSL and SPM write (i towards the patient's
 * left, j towards anterior, k towards superior), an axial slice then shows anterior at the top and the
 * patient's right on the left of the screen, as radiology viewers do. A dcm2niix conversion of a DICOM
 * series gets back its original DICOM rows: on the Siemens mosaic sample every ImageJ slice equals its
 * mosaic tile exactly (dcm2niix had flipped the rows).
 * <p>
 * <b>Calibration.</b> {@code pixdim[1..3]} give pixel width, height and depth (absolute values; 0 or
 * non-finite means 1) in the {@code xyzt_units} space unit (m, mm or µm; unknown units are taken as mm,
 * as FSL and ITK do). For 4-D images {@code pixdim[4]} is the frame interval in the time unit (s, ms or
 * µs; unknown taken as s).
 */
public final class NiftiReader {

	private static final int HEADER_SIZE = 348;
	private static final int NIFTI2_HEADER_SIZE = 540;

	private NiftiReader() {}

	/**
	 * Tells whether a file name looks like a NIfTI-1 image or header.
	 *
	 * @param file the file
	 * @return true for names ending in {@code .nii}, {@code .nii.gz}, {@code .hdr}, {@code .hdr.gz},
	 *         {@code .img} or {@code .img.gz} (case-insensitive)
	 */
	public static boolean hasNiftiName(Path file) {
		String n = lowerName(file);
		if (n.endsWith(".gz")) n = n.substring(0, n.length() - 3);
		return n.endsWith(".nii") || n.endsWith(".hdr") || n.endsWith(".img");
	}

	/**
	 * Tells whether the first bytes of an uncompressed file are a single-file NIfTI-1 header: magic
	 * {@code "n+1\0"} at byte 344 and {@code sizeof_hdr} 348 in either byte order.
	 *
	 * @param head the first bytes of the file (at least 348 for a positive answer)
	 * @return true for a single-file NIfTI-1 header
	 */
	public static boolean hasNiftiMagic(byte[] head) {
		if (head.length < HEADER_SIZE) return false;
		int le = ByteBuffer.wrap(head, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
		int be = ByteBuffer.wrap(head, 0, 4).order(ByteOrder.BIG_ENDIAN).getInt();
		return (le == HEADER_SIZE || be == HEADER_SIZE) && head[344] == 'n' && head[345] == '+' && head[346] == '1' && head[347] == 0;
	}

	/**
	 * Opens a NIfTI-1 image. For a {@code .hdr}/{@code .img} pair either file may be given.
	 *
	 * @param file a {@code .nii} or {@code .nii.gz} file, or one file of a {@code .hdr}/{@code .img} pair
	 * @return the image: a stack of Z slices, or a hyperstack of Z slices by T frames, calibrated as
	 *         described in the class comment, with the header summarised in the {@code Info} property
	 * @throws ImageReadException naming the file when it is missing, truncated, damaged, not NIfTI-1,
	 *         or of an unsupported datatype or dimensionality
	 */
	public static ImagePlus open(Path file) throws ImageReadException {
		if (!Files.isRegularFile(file)) throw new ImageReadException(file, "file not found");
		Path headerFile = file;
		String name = lowerName(file);
		boolean givenImg = name.endsWith(".img") || name.endsWith(".img.gz");
		if (givenImg) {
			headerFile = sibling(file, ".hdr");
			if (headerFile == null) throw new ImageReadException(file, "NIfTI/ANALYZE .img file without its .hdr header file next to it");
		}
		Header h = readHeader(headerFile);
		Path dataFile;
		if (h.pair) {
			dataFile = givenImg ? file : sibling(headerFile, ".img");
			if (dataFile == null) {
				throw new ImageReadException(headerFile, "NIfTI-1 header (magic \"ni1\") whose voxel data file (.img) is missing next to it");
			}
		} else {
			if (givenImg) throw new ImageReadException(headerFile, "header has magic \"n+1\" (single-file NIfTI), not the \"ni1\" of a .hdr/.img pair");
			dataFile = headerFile;
		}
		if (!Files.isRegularFile(dataFile)) throw new ImageReadException(dataFile, "not a regular file (a device, named pipe or socket)");
		return read(h, headerFile, dataFile);
	}

	// -- Header --

	/** Voxel datatypes: NIfTI code, bytes per voxel, name. */
	private enum Type {
		UINT8(2, 1, "uint8"), INT16(4, 2, "int16"), INT32(8, 4, "int32"), FLOAT32(16, 4, "float32"),
		FLOAT64(64, 8, "float64"), RGB24(128, 3, "RGB24"), INT8(256, 1, "int8"), UINT16(512, 2, "uint16"),
		UINT32(768, 4, "uint32"), INT64(1024, 8, "int64"), UINT64(1280, 8, "uint64"), RGBA32(2304, 4, "RGBA32");

		final int code;
		final int bytes;
		final String label;

		Type(int code, int bytes, String label) {
			this.code = code;
			this.bytes = bytes;
			this.label = label;
		}

		static Type of(int code) {
			for (Type t : values()) if (t.code == code) return t;
			return null;
		}

		boolean rgb() {
			return this == RGB24 || this == RGBA32;
		}
	}

	/** The header fields this reader uses. */
	private static final class Header {
		ByteOrder order;
		boolean pair;
		int nDims;
		int[] dim = new int[8];
		Type type;
		float[] pixdim = new float[8];
		long voxOffset;
		double slope;
		double inter;
		int xyztUnits;
		String descrip;
		int qformCode;
		int sformCode;
		float[] quatern = new float[6];
		float[][] srow = new float[3][4];
		int nx;
		int ny;
		int nz;
		int nt;

		boolean scaled() {
			return !type.rgb() && slope != 0 && !(slope == 1 && inter == 0);
		}
	}

	private static Header readHeader(Path file) throws ImageReadException {
		byte[] b;
		try (InputStream in = openMaybeGzip(file)) {
			b = in.readNBytes(HEADER_SIZE);
		} catch (IOException e) {
			throw damaged(file, e);
		}
		if (b.length == 0) throw new ImageReadException(file, "is empty (0 bytes)");
		if (b.length < 4) throw new ImageReadException(file, "truncated NIfTI header: " + b.length + " of " + HEADER_SIZE + " bytes");
		ByteBuffer bb = ByteBuffer.wrap(b);
		int le = bb.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
		int be = bb.order(ByteOrder.BIG_ENDIAN).getInt(0);
		Header h = new Header();
		if (le == HEADER_SIZE) {
			h.order = ByteOrder.LITTLE_ENDIAN;
		} else if (be == HEADER_SIZE) {
			h.order = ByteOrder.BIG_ENDIAN;
		} else if (le == NIFTI2_HEADER_SIZE || be == NIFTI2_HEADER_SIZE) {
			throw new ImageReadException(file, "NIfTI-2 file (sizeof_hdr 540); only NIfTI-1 is supported: convert it to NIfTI-1, "
				+ "or open it in Fiji (Bio-Formats)");
		} else {
			throw new ImageReadException(file, "not a NIfTI-1 file: sizeof_hdr is " + le + " (little-endian) or " + be
				+ " (big-endian), expected 348");
		}
		if (b.length < HEADER_SIZE) throw new ImageReadException(file, "truncated NIfTI header: " + b.length + " of " + HEADER_SIZE + " bytes");
		bb.order(h.order);
		String magic = new String(b, 344, 4, StandardCharsets.ISO_8859_1);
		if (magic.equals("n+1\0")) {
			h.pair = false;
		} else if (magic.equals("ni1\0")) {
			h.pair = true;
		} else {
			throw new ImageReadException(file, "bad NIfTI-1 magic " + printable(magic) + " at byte 344 (expected \"n+1\" or \"ni1\"); "
				+ "ANALYZE 7.5 headers without the NIfTI magic are not supported");
		}
		for (int k = 0; k < 8; k++) h.dim[k] = bb.getShort(40 + 2 * k);
		int code = bb.getShort(70);
		for (int k = 0; k < 8; k++) h.pixdim[k] = bb.getFloat(76 + 4 * k);
		float voxOffset = bb.getFloat(108);
		float slope = bb.getFloat(112);
		float inter = bb.getFloat(116);
		h.xyztUnits = b[123] & 0xff;
		h.descrip = cString(b, 148, 80);
		h.qformCode = bb.getShort(252);
		h.sformCode = bb.getShort(254);
		for (int k = 0; k < 6; k++) h.quatern[k] = bb.getFloat(256 + 4 * k);
		for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) h.srow[r][c] = bb.getFloat(280 + 16 * r + 4 * c);

		h.nDims = h.dim[0];
		if (h.nDims < 1 || h.nDims > 7) throw new ImageReadException(file, "bad NIfTI header: dim[0] = " + h.nDims + " is not between 1 and 7");
		for (int k = 1; k <= h.nDims; k++) {
			if (h.dim[k] < 1) throw new ImageReadException(file, "bad NIfTI header: dim[" + k + "] = " + h.dim[k] + " is not positive");
		}
		for (int k = 5; k <= h.nDims; k++) {
			if (h.dim[k] > 1) {
				throw new ImageReadException(file, "NIfTI image with more than 4 dimensions (dim[" + k + "] = " + h.dim[k]
					+ ", e.g. vector or tensor data) is not supported; only 2-D, 3-D and 4-D images are");
			}
		}
		h.nx = h.dim[1];
		h.ny = h.nDims >= 2 ? h.dim[2] : 1;
		h.nz = h.nDims >= 3 ? h.dim[3] : 1;
		h.nt = h.nDims >= 4 ? h.dim[4] : 1;
		h.type = Type.of(code);
		if (h.type == null) throw new ImageReadException(file, "unsupported NIfTI datatype " + typeName(code) + "; " + SUPPORTED);
		if (!Float.isFinite(voxOffset) || voxOffset < 0 || voxOffset != Math.rint(voxOffset)) {
			throw new ImageReadException(file, "bad NIfTI header: vox_offset " + voxOffset + " is not a whole number of bytes");
		}
		h.voxOffset = (long) voxOffset;
		if (!h.pair && h.voxOffset < HEADER_SIZE) {
			throw new ImageReadException(file, "bad NIfTI header: vox_offset " + h.voxOffset + " lies inside the 348-byte header");
		}
		// NIfTI: scl_slope 0 means "no scaling"; a non-finite slope or intercept is treated the same way.
		h.slope = Float.isFinite(slope) ? slope : 0;
		h.inter = h.slope != 0 && Float.isFinite(inter) ? inter : 0;
		return h;
	}

	/** Bytes per voxel of the ImageJ slices the reader makes: 8-bit and 16-bit integers as they are, the rest as float or RGB. */
	private static long storedBytes(Header h) {
		if (h.type.rgb()) return 4;
		if (h.scaled()) return 4;
		return switch (h.type) {
			case UINT8 -> 1;
			case INT16, UINT16 -> 2;
			default -> 4;
		};
	}

	private static final String SUPPORTED = "supported: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64, RGB24, RGBA32";

	private static String typeName(int code) {
		return switch (code) {
			case 0 -> "0 (unknown)";
			case 1 -> "1 (binary)";
			case 32 -> "32 (complex64)";
			case 1536 -> "1536 (float128)";
			case 1792 -> "1792 (complex128)";
			case 2048 -> "2048 (complex256)";
			default -> Integer.toString(code);
		};
	}

	// -- Voxel data --

	private static ImagePlus read(Header h, Path headerFile, Path dataFile) throws ImageReadException {
		long sliceBytes = (long) h.nx * h.ny * h.type.bytes;
		long nSlices = (long) h.nz * h.nt;
		if ((long) h.nx * h.ny > Integer.MAX_VALUE - 8 || sliceBytes > Integer.MAX_VALUE - 8 || nSlices > Integer.MAX_VALUE) {
			throw new ImageReadException(headerFile, "NIfTI image too large for ImageJ: slices of " + h.nx + " x " + h.ny + " voxels");
		}
		long expected = sliceBytes * nSlices;
		// Checked before anything is allocated: a 1 KB .nii.gz may declare dimensions of gigabytes.
		long stored = (long) h.nx * h.ny * nSlices * storedBytes(h);
		long heap = Runtime.getRuntime().maxMemory();
		if (stored + sliceBytes > heap / 2) {
			throw new ImageReadException(headerFile, "NIfTI image of " + dimText(h) + " " + h.type.label + " voxels needs about " + ((stored + sliceBytes) >> 20)
				+ " MiB, more than half of the Java heap (" + (heap >> 20) + " MiB at most); give Java more memory (-Xmx, MEDCNN_JAVA_OPTS, "
				+ "or Edit > Options > Memory in Fiji)");
		}
		boolean gz;
		try {
			gz = isGzip(dataFile);
		} catch (IOException e) {
			throw damaged(dataFile, e);
		}
		if (!gz) {
			long size;
			try {
				size = Files.size(dataFile);
			} catch (IOException e) {
				throw damaged(dataFile, e);
			}
			if (size < h.voxOffset + expected) {
				throw new ImageReadException(dataFile, "truncated NIfTI file: the header promises " + expected + " bytes of voxel data from byte "
					+ h.voxOffset + " (" + dimText(h) + " " + h.type.label + "), but the file has " + Math.max(0, size - h.voxOffset)
					+ " bytes after that offset");
			}
		}
		ImageStack stack = new ImageStack(h.nx, h.ny);
		double[] range = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
		byte[] buf = new byte[(int) sliceBytes];
		try (InputStream in = openMaybeGzip(dataFile)) {
			try {
				in.skipNBytes(h.voxOffset);
			} catch (EOFException e) {
				throw new ImageReadException(dataFile, "truncated NIfTI file: it ends before the voxel data at vox_offset " + h.voxOffset);
			}
			for (int t = 0; t < h.nt; t++) {
				for (int z = 0; z < h.nz; z++) {
					int got = in.readNBytes(buf, 0, buf.length);
					if (got < buf.length) {
						long have = (t * (long) h.nz + z) * sliceBytes + got;
						throw new ImageReadException(dataFile, "truncated NIfTI file: voxel data end after " + have + " of " + expected
							+ " bytes (" + dimText(h) + " " + h.type.label + ", in slice z=" + (z + 1) + (h.nt > 1 ? " t=" + (t + 1) : "") + ")");
					}
					stack.addSlice(null, slice(h, ByteBuffer.wrap(buf).order(h.order), range));
				}
			}
		} catch (IOException e) {
			throw damaged(dataFile, e);
		} catch (OutOfMemoryError e) {
			throw new ImageReadException(dataFile, "not enough memory for " + dimText(h) + " voxels (" + e.getMessage() + ")");
		}
		ImagePlus imp = new ImagePlus(headerFile.getFileName().toString(), stack);
		imp.setDimensions(1, h.nz, h.nt);
		if (h.nt > 1) imp.setOpenAsHyperStack(true);
		calibrate(imp, h);
		if (!h.type.rgb() && range[0] <= range[1]) imp.setDisplayRange(range[0], range[1]);
		imp.setProperty("Info", info(h, headerFile, dataFile));
		return imp;
	}

	/** Converts one stored slice to an ImageJ processor, flipping rows; widens range to the raw values stored. */
	private static ImageProcessor slice(Header h, ByteBuffer bb, double[] range) {
		int nx = h.nx;
		int ny = h.ny;
		int n = nx * ny;
		Type type = h.type;
		if (type.rgb()) {
			int[] px = new int[n];
			for (int j = 0; j < ny; j++) {
				int src = j * nx * type.bytes;
				int dst = (ny - 1 - j) * nx;
				for (int i = 0; i < nx; i++, src += type.bytes) {
					px[dst + i] = (bb.get(src) & 0xff) << 16 | (bb.get(src + 1) & 0xff) << 8 | (bb.get(src + 2) & 0xff);
				}
			}
			return new ColorProcessor(nx, ny, px);
		}
		if (!h.scaled() && type == Type.UINT8) {
			byte[] px = new byte[n];
			for (int j = 0; j < ny; j++) bb.get(j * nx, px, (ny - 1 - j) * nx, nx);
			for (byte v : px) widen(range, v & 0xff);
			return new ByteProcessor(nx, ny, px);
		}
		if (!h.scaled() && (type == Type.UINT16 || type == Type.INT16)) {
			// int16: store value + 32768 (flipping the sign bit); the signed calibration function undoes it.
			int shift = type == Type.INT16 ? 0x8000 : 0;
			short[] px = new short[n];
			for (int j = 0; j < ny; j++) {
				int src = j * nx * 2;
				int dst = (ny - 1 - j) * nx;
				for (int i = 0; i < nx; i++, src += 2) {
					int v = (bb.getShort(src) ^ shift) & 0xffff;
					px[dst + i] = (short) v;
					widen(range, v);
				}
			}
			return new ShortProcessor(nx, ny, px, null);
		}
		float[] px = new float[n];
		boolean scaled = h.scaled();
		for (int j = 0; j < ny; j++) {
			int src = j * nx * type.bytes;
			int dst = (ny - 1 - j) * nx;
			for (int i = 0; i < nx; i++, src += type.bytes) {
				double v = raw(type, bb, src);
				float f = (float) (scaled ? v * h.slope + h.inter : v);
				px[dst + i] = f;
				if (!Float.isNaN(f)) widen(range, f);
			}
		}
		return new FloatProcessor(nx, ny, px);
	}

	private static double raw(Type type, ByteBuffer bb, int at) {
		return switch (type) {
			case UINT8 -> bb.get(at) & 0xff;
			case INT8 -> bb.get(at);
			case INT16 -> bb.getShort(at);
			case UINT16 -> bb.getShort(at) & 0xffff;
			case INT32 -> bb.getInt(at);
			case UINT32 -> bb.getInt(at) & 0xffffffffL;
			case INT64 -> bb.getLong(at);
			case UINT64 -> {
				long v = bb.getLong(at);
				double d = v & Long.MAX_VALUE;
				yield v < 0 ? d + 0x1p63 : d;
			}
			case FLOAT32 -> bb.getFloat(at);
			case FLOAT64 -> bb.getDouble(at);
			default -> throw new IllegalStateException("no scalar value for " + type);
		};
	}

	private static void widen(double[] range, double v) {
		if (v < range[0]) range[0] = v;
		if (v > range[1]) range[1] = v;
	}

	private static void calibrate(ImagePlus imp, Header h) {
		Calibration cal = imp.getCalibration();
		cal.pixelWidth = spacing(h.pixdim[1]);
		cal.pixelHeight = spacing(h.pixdim[2]);
		cal.pixelDepth = spacing(h.pixdim[3]);
		cal.setUnit(switch (h.xyztUnits & 0x07) {
			case 1 -> "m";
			case 3 -> "um"; // ImageJ shows it as µm
			default -> "mm"; // 2 = mm; 0 = unknown, taken as mm like FSL and ITK
		});
		int time = h.xyztUnits & 0x38;
		if (h.nt > 1 && (time == 0 || time == 8 || time == 16 || time == 24) && Float.isFinite(h.pixdim[4]) && h.pixdim[4] > 0) {
			cal.frameInterval = h.pixdim[4];
			cal.setTimeUnit(time == 16 ? "msec" : time == 24 ? "µsec" : "sec");
		}
		if (!h.scaled() && h.type == Type.INT16) cal.setSigned16BitCalibration();
	}

	private static double spacing(float v) {
		return Float.isFinite(v) && v != 0 ? Math.abs(v) : 1.0;
	}

	private static String info(Header h, Path headerFile, Path dataFile) {
		StringBuilder s = new StringBuilder();
		s.append("NIfTI-1 ").append(h.pair ? "header/image pair" : "single file").append(", ")
			.append(h.order == ByteOrder.LITTLE_ENDIAN ? "little" : "big").append("-endian\n");
		s.append("file: ").append(headerFile.getFileName());
		if (!dataFile.equals(headerFile)) s.append(" + ").append(dataFile.getFileName());
		s.append('\n');
		s.append("dim: ").append(dimText(h)).append('\n');
		s.append("datatype: ").append(h.type.label).append(" (").append(h.type.code).append(")\n");
		s.append("pixdim[1..4]: ").append(h.pixdim[1]).append(", ").append(h.pixdim[2]).append(", ").append(h.pixdim[3]).append(", ")
			.append(h.pixdim[4]).append('\n');
		s.append("xyzt_units: ").append(h.xyztUnits).append('\n');
		s.append("vox_offset: ").append(h.voxOffset).append('\n');
		s.append("scl_slope: ").append(h.slope).append(", scl_inter: ").append(h.inter)
			.append(h.scaled() ? " (applied: 32-bit float values)" : " (no scaling)").append('\n');
		s.append("descrip: ").append(h.descrip).append('\n');
		s.append("qform_code: ").append(h.qformCode).append(", quatern b c d: ").append(h.quatern[0]).append(", ").append(h.quatern[1])
			.append(", ").append(h.quatern[2]).append(", qoffset x y z: ").append(h.quatern[3]).append(", ").append(h.quatern[4]).append(", ")
			.append(h.quatern[5]).append(", qfac: ").append(h.pixdim[0] < 0 ? -1 : 1).append('\n');
		s.append("sform_code: ").append(h.sformCode).append('\n');
		String[] axes = {"srow_x", "srow_y", "srow_z"};
		for (int r = 0; r < 3; r++) {
			s.append(axes[r]).append(": ").append(h.srow[r][0]).append(", ").append(h.srow[r][1]).append(", ").append(h.srow[r][2])
				.append(", ").append(h.srow[r][3]).append('\n');
		}
		s.append("display: rows flipped (stored row j is ImageJ row ny-1-j); qform/sform not applied\n");
		return s.toString();
	}

	private static String dimText(Header h) {
		StringBuilder s = new StringBuilder().append(h.nx);
		for (int k = 2; k <= Math.min(4, h.nDims); k++) s.append(" x ").append(h.dim[k]);
		return s.toString();
	}

	// -- Files --

	private static InputStream openMaybeGzip(Path file) throws IOException {
		BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
		try {
			in.mark(2);
			int b0 = in.read();
			int b1 = in.read();
			in.reset();
			return b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(in, 1 << 16) : in;
		} catch (IOException | RuntimeException e) {
			in.close();
			throw e;
		}
	}

	private static boolean isGzip(Path file) throws IOException {
		try (InputStream in = Files.newInputStream(file)) {
			return in.read() == 0x1f && in.read() == 0x8b;
		}
	}

	private static ImageReadException damaged(Path file, IOException e) {
		if (e instanceof ZipException || e instanceof EOFException) {
			return new ImageReadException(file, "damaged or truncated gzip data: " + e.getMessage());
		}
		return new ImageReadException(file, "cannot be read: " + e.getMessage());
	}

	/** Finds the other file of a .hdr/.img pair, with or without .gz and in either letter case. */
	private static Path sibling(Path file, String ext) {
		String name = file.getFileName().toString();
		boolean gz = name.toLowerCase(Locale.ROOT).endsWith(".gz");
		String stem = name.substring(0, name.length() - (gz ? 7 : 4));
		Path dir = file.toAbsolutePath().getParent();
		for (String e : new String[] {ext, ext.toUpperCase(Locale.ROOT)}) {
			for (String suffix : new String[] {"", ".gz"}) {
				Path p = dir.resolve(stem + e + suffix);
				if (Files.isRegularFile(p)) return p;
			}
		}
		return null;
	}

	private static String lowerName(Path file) {
		Path n = file.getFileName();
		return n == null ? "" : n.toString().toLowerCase(Locale.ROOT);
	}

	private static String cString(byte[] b, int off, int len) {
		int end = off;
		while (end < off + len && b[end] != 0) end++;
		return new String(b, off, end - off, StandardCharsets.ISO_8859_1).trim();
	}

	private static String printable(String s) {
		StringBuilder out = new StringBuilder("\"");
		for (char c : s.toCharArray()) {
			if (c >= 32 && c < 127) out.append(c);
			else out.append(String.format("\\x%02x", (int) c));
		}
		return out.append('"').toString();
	}
}
