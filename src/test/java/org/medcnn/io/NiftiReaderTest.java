package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.image.Slice;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.testing.Fixtures;

class NiftiReaderTest {

	private static final List<ByteOrder> ORDERS = List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN);

	@TempDir
	Path dir;

	// -- A tiny NIfTI-1 writer, independent of the reader --

	/** Builds NIfTI-1 bytes; fields default to a 1 mm, seconds, unscaled, single-file image. */
	private static final class Tiny {
		ByteOrder order = ByteOrder.LITTLE_ENDIAN;
		int[] dim;
		int datatype;
		int bitpix;
		float[] pixdim = {1, 1, 1, 1, 1, 0, 0, 0};
		float slope;
		float inter;
		int units = 2 | 8;
		String magic = "n+1";
		int sizeofHdr = 348;
		int voxOffset = 352;
		byte[] data;

		Tiny(int datatype, int bitpix, int... dims) {
			this.datatype = datatype;
			this.bitpix = bitpix;
			this.dim = new int[8];
			dim[0] = dims.length;
			for (int k = 0; k < dims.length; k++) dim[k + 1] = dims[k];
			for (int k = dims.length + 1; k < 8; k++) dim[k] = 1;
		}

		Tiny order(ByteOrder o) {
			order = o;
			return this;
		}

		Tiny scale(float s, float i) {
			slope = s;
			inter = i;
			return this;
		}

		/** Encodes values in stored order (x fastest) as this datatype. */
		Tiny values(double... v) {
			ByteBuffer bb = ByteBuffer.allocate(v.length * bitpix / 8).order(order);
			for (double d : v) {
				switch (datatype) {
					case 2, 256 -> bb.put((byte) (long) d);
					case 4, 512 -> bb.putShort((short) (long) d);
					case 8, 768 -> bb.putInt((int) (long) d);
					case 1024 -> bb.putLong((long) d);
					case 1280 -> bb.putLong(d >= 0x1p63 ? (long) (d - 0x1p63) | Long.MIN_VALUE : (long) d);
					case 16 -> bb.putFloat((float) d);
					case 64 -> bb.putDouble(d);
					default -> throw new IllegalArgumentException("datatype " + datatype);
				}
			}
			data = bb.array();
			return this;
		}

		byte[] header() {
			ByteBuffer h = ByteBuffer.allocate(348).order(order);
			h.putInt(0, sizeofHdr);
			for (int k = 0; k < 8; k++) h.putShort(40 + 2 * k, (short) dim[k]);
			h.putShort(70, (short) datatype);
			h.putShort(72, (short) bitpix);
			for (int k = 0; k < 8; k++) h.putFloat(76 + 4 * k, pixdim[k]);
			h.putFloat(108, voxOffset);
			h.putFloat(112, slope);
			h.putFloat(116, inter);
			h.put(123, (byte) units);
			byte[] m = magic.getBytes(StandardCharsets.ISO_8859_1);
			for (int k = 0; k < m.length; k++) h.put(344 + k, m[k]);
			return h.array();
		}

		byte[] bytes() {
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			out.writeBytes(header());
			out.writeBytes(new byte[voxOffset - 348]);
			out.writeBytes(data);
			return out.toByteArray();
		}

		Path write(Path file) throws IOException {
			Files.write(file, bytes());
			return file;
		}
	}

	private static void assertMessage(ImageReadException e, Path file, String... parts) {
		String m = e.getMessage();
		assertTrue(m.contains(file.toString()), "message names the file: " + m);
		for (String p : parts) assertTrue(m.contains(p), "message contains '" + p + "': " + m);
	}

	/** Calibrated value of stored voxel (i, j) of slice index (0-based, T-major then Z), undoing the row flip. */
	private static double value(ImagePlus imp, int slice, int i, int j) {
		ImageProcessor ip = imp.getStack().getProcessor(slice + 1);
		int y = imp.getHeight() - 1 - j;
		if (ip instanceof FloatProcessor) return ip.getf(i, y);
		return imp.getCalibration().getCValue(ip.get(i, y));
	}

	@Test
	void aTinyGzipThatDeclaresGigabytesIsRefusedBeforeAllocating() throws Exception {
		// 52 bytes of .nii.gz claiming 30000 x 30000 x 30000 int16 voxels: it used to allocate the first slice
		// (1.8 GB) before it found the data missing.
		Tiny t = new Tiny(4, 16, 30000, 30000, 30000);
		t.data = new byte[4];
		ByteArrayOutputStream gz = new ByteArrayOutputStream();
		try (var out = new java.util.zip.GZIPOutputStream(gz)) {
			out.write(t.bytes());
		}
		Path f = Files.write(dir.resolve("huge.nii.gz"), gz.toByteArray());
		Runtime r = Runtime.getRuntime();
		long before = r.totalMemory() - r.freeMemory();
		ImageReadException e = assertThrows(ImageReadException.class, () -> NiftiReader.open(f));
		assertMessage(e, f, "30000 x 30000 x 30000", "int16", "Java heap");
		assertTrue(r.totalMemory() - r.freeMemory() - before < 64L << 20, "nothing large was allocated");
		assertTrue(e.getMessage().length() <= 500);
	}

	// -- Real samples --

	@Test
	void dcmQaSampleIsA64x64x35x2SignedHyperstack() throws Exception {
		Path file = Fixtures.sharedOrSkip("data/reader-samples/nifti/dcm_qa-ax_asc_35sl_6.nii");
		ImagePlus imp = NiftiReader.open(file);
		assertEquals(64, imp.getWidth());
		assertEquals(64, imp.getHeight());
		assertEquals(1, imp.getNChannels());
		assertEquals(35, imp.getNSlices());
		assertEquals(2, imp.getNFrames());
		assertTrue(imp.isHyperStack());
		assertEquals(16, imp.getBitDepth());
		Calibration cal = imp.getCalibration();
		assertTrue(cal.isSigned16Bit(), "int16 uses ImageJ's signed 16-bit calibration");
		assertEquals(3.25, cal.pixelWidth, 1e-6);
		assertEquals(3.25, cal.pixelHeight, 1e-6);
		assertEquals(3.6, cal.pixelDepth, 1e-6);
		assertEquals("mm", cal.getUnit());
		assertEquals(3.0, cal.frameInterval, 1e-6);
		assertEquals("sec", cal.getTimeUnit());
		// Every voxel against the raw little-endian int16 values, read here independently.
		ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
		int off = (int) raw.getFloat(108);
		assertEquals(352, off);
		for (int t = 0; t < 2; t++) {
			for (int k = 0; k < 35; k++) {
				int slice = imp.getStackIndex(1, k + 1, t + 1) - 1;
				for (int j = 0; j < 64; j++) {
					for (int i = 0; i < 64; i++) {
						short v = raw.getShort(off + 2 * (i + 64 * (j + 64 * (k + 35 * t))));
						assertEquals(v, value(imp, slice, i, j), "voxel " + i + "," + j + "," + k + "," + t);
					}
				}
			}
		}
		assertTrue(imp.getInfoProperty().contains("TE=30"), "descrip in Info: " + imp.getInfoProperty());
	}

	@Test
	void dcmQaSlicesEqualTheMosaicTilesOfTheSourceDicom() throws Exception {
		// dcm2niix flipped the DICOM rows when it wrote this file; our row flip undoes that, so each
		// ImageJ slice must equal its 64x64 tile of the 384x384 mosaic (tiles row-major, 6 per row).
		Path nii = Fixtures.sharedOrSkip("data/reader-samples/nifti/dcm_qa-ax_asc_35sl_6.nii");
		Path mosaics = Fixtures.sharedOrSkip("data/reader-samples/dicom/mr-siemens-mosaic-dcm_qa");
		List<Path> volumes;
		try (var s = Files.list(mosaics)) {
			volumes = s.sorted().toList();
		}
		assertEquals(2, volumes.size());
		ImagePlusSlices niftiSlices = new ImagePlusSlices(NiftiReader.open(nii), null);
		for (int t = 0; t < 2; t++) {
			// The mosaic as one image, read with ImageJ's reader directly (ImageFiles unpacks it).
			ImagePlus dicom = ImageFiles.openDicom(volumes.get(t));
			assertEquals(384, dicom.getWidth());
			float[] mosaic = new ImagePlusSlices(dicom, null).get(0).pixels();
			for (int z = 0; z < 35; z++) {
				Slice s = niftiSlices.get(t * 35 + z);
				int tx = (z % 6) * 64;
				int ty = (z / 6) * 64;
				for (int y = 0; y < 64; y++) {
					for (int x = 0; x < 64; x++) {
						assertEquals(mosaic[(ty + y) * 384 + tx + x], s.pixels()[y * 64 + x], "t=" + t + " z=" + z + " x=" + x + " y=" + y);
					}
				}
			}
		}
	}

	@Test
	void unpackedMosaicsEqualTheReferenceNiftiSliceBySlice() throws Exception {
		// The same data through MedCNN's readers: each mosaic file unpacks into the 35 slices of its volume,
		// and the folder of both files into a hyperstack of 35 slices by 2 time points, as dcm2niix converted it.
		Path nii = Fixtures.sharedOrSkip("data/reader-samples/nifti/dcm_qa-ax_asc_35sl_6.nii");
		Path mosaics = Fixtures.sharedOrSkip("data/reader-samples/dicom/mr-siemens-mosaic-dcm_qa");
		List<Path> volumes;
		try (var s = Files.list(mosaics)) {
			volumes = s.sorted().toList();
		}
		ImagePlusSlices reference = new ImagePlusSlices(NiftiReader.open(nii), null);
		ImagePlus folder = ImageFiles.open(mosaics);
		assertEquals(64, folder.getWidth());
		assertEquals(64, folder.getHeight());
		assertEquals(35, folder.getNSlices());
		assertEquals(2, folder.getNFrames());
		assertTrue(ImageFiles.warnings(folder).stream().anyMatch(w -> w.contains("Siemens mosaic unpacked into its 35 slices")), ImageFiles.warnings(folder).toString());
		ImagePlusSlices fromFolder = new ImagePlusSlices(folder, null);
		assertEquals(70, fromFolder.size());
		for (int t = 0; t < 2; t++) {
			ImagePlus one = ImageFiles.open(volumes.get(t));
			assertEquals(35, one.getStackSize());
			assertEquals(3.6, one.getCalibration().pixelDepth, 1e-6, "Spacing Between Slices of the header");
			ImagePlusSlices fromFile = new ImagePlusSlices(one, null);
			for (int z = 0; z < 35; z++) {
				float[] expected = reference.get(t * 35 + z).pixels();
				assertArrayEquals(expected, fromFile.get(z).pixels(), "file " + t + " slice " + (z + 1));
				assertArrayEquals(expected, fromFolder.get(t * 35 + z).pixels(), "folder t=" + (t + 1) + " z=" + (z + 1));
			}
		}
	}

	@Test
	void anatomicalBigEndianMatchesHandParsedVoxels() throws Exception {
		Path file = Fixtures.sharedOrSkip("data/reader-samples/nifti/nibabel-anatomical.nii");
		byte[] bytes = Files.readAllBytes(file);
		// The file really is big-endian: sizeof_hdr reads 348 only that way.
		assertEquals(348, ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN).getInt(0));
		assertFalse(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(0) == 348);
		int off = (int) ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN).getFloat(108);
		ImagePlus imp = NiftiReader.open(file);
		assertEquals(33, imp.getWidth());
		assertEquals(41, imp.getHeight());
		assertEquals(25, imp.getStackSize());
		assertFalse(imp.isHyperStack());
		Calibration cal = imp.getCalibration();
		assertEquals(2.0, cal.pixelWidth);
		assertEquals(2.0, cal.pixelHeight);
		assertEquals(2.0, cal.pixelDepth);
		assertEquals("mm", cal.getUnit());
		// One known voxel, by hand: (i, j, k) = (16, 20, 12), big-endian int16 at vox_offset + 2 * index.
		int index = 16 + 33 * (20 + 41 * 12);
		short known = (short) ((bytes[off + 2 * index] & 0xff) << 8 | (bytes[off + 2 * index + 1] & 0xff));
		assertEquals(known, value(imp, 12, 16, 20));
		// And all the others (the brightest one included), through ImageJ's calibrated value.
		int max = Integer.MIN_VALUE;
		for (int k = 0; k < 25; k++) {
			for (int j = 0; j < 41; j++) {
				for (int i = 0; i < 33; i++) {
					int at = off + 2 * (i + 33 * (j + 41 * k));
					short v = (short) ((bytes[at] & 0xff) << 8 | (bytes[at + 1] & 0xff));
					max = Math.max(max, v);
					assertEquals(v, value(imp, k, i, j), "voxel " + i + "," + j + "," + k);
				}
			}
		}
		assertTrue(max > 1000, "the sample has real content, max " + max);
	}

	@Test
	void functionalIsScaledToFloatWithItsSlopeAndIntercept() throws Exception {
		Path file = Fixtures.sharedOrSkip("data/reader-samples/nifti/nibabel-functional.nii");
		ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
		assertEquals(348, raw.getInt(0));
		int off = (int) raw.getFloat(108);
		float slope = raw.getFloat(112);
		float inter = raw.getFloat(116);
		assertTrue(slope != 0 && slope != 1, "the sample is scaled: slope " + slope);
		ImagePlus imp = NiftiReader.open(file);
		assertEquals(17, imp.getWidth());
		assertEquals(21, imp.getHeight());
		assertEquals(3, imp.getNSlices());
		assertEquals(20, imp.getNFrames());
		assertEquals(32, imp.getBitDepth());
		Calibration cal = imp.getCalibration();
		assertEquals(4.0, cal.pixelWidth);
		assertEquals(4.0, cal.pixelHeight);
		assertEquals(8.0, cal.pixelDepth);
		assertEquals(2.0, cal.frameInterval);
		for (int t = 0; t < 20; t++) {
			for (int k = 0; k < 3; k++) {
				int slice = imp.getStackIndex(1, k + 1, t + 1) - 1;
				for (int j = 0; j < 21; j++) {
					for (int i = 0; i < 17; i++) {
						short v = raw.getShort(off + 2 * (i + 17 * (j + 21 * (k + 3 * t))));
						assertEquals((float) (v * (double) slope + inter), value(imp, slice, i, j), 1e-3, "voxel " + i + "," + j + "," + k + "," + t);
					}
				}
			}
		}
	}

	@Test
	void gzippedExample4dOpensWithItsExtensionOffset() throws Exception {
		Path file = Fixtures.sharedOrSkip("data/reader-samples/nifti/nibabel-example4d.nii.gz");
		byte[] bytes;
		try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
			bytes = in.readAllBytes();
		}
		ByteBuffer raw = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
		int off = (int) raw.getFloat(108);
		assertEquals(416, off, "this sample has a header extension before the voxels");
		ImagePlus imp = NiftiReader.open(file);
		assertEquals(128, imp.getWidth());
		assertEquals(96, imp.getHeight());
		assertEquals(24, imp.getNSlices());
		assertEquals(2, imp.getNFrames());
		assertEquals(16, imp.getBitDepth());
		assertEquals(2.2, imp.getCalibration().pixelDepth, 1e-5);
		for (int t = 0; t < 2; t++) {
			for (int k = 0; k < 24; k += 5) {
				int slice = imp.getStackIndex(1, k + 1, t + 1) - 1;
				for (int j = 0; j < 96; j++) {
					for (int i = 0; i < 128; i++) {
						short v = raw.getShort(off + 2 * (i + 128 * (j + 96 * (k + 24 * t))));
						assertEquals(v, value(imp, slice, i, j), "voxel " + i + "," + j + "," + k + "," + t);
					}
				}
			}
		}
	}

	// -- Synthetic files --

	@Test
	void sclSlopeAndInterceptGiveFloatValues() throws Exception {
		double[] bytesIn = {0, 1, 2, 100, 254, 255};
		double[] floatsIn = {-3.5, 0, 0.25, 7, 1e6, -1e-3};
		for (ByteOrder o : ORDERS) {
			Path u8 = new Tiny(2, 8, 3, 2).order(o).scale(2, -10).values(bytesIn).write(dir.resolve("u8-" + o + ".nii"));
			ImagePlus a = NiftiReader.open(u8);
			assertEquals(32, a.getBitDepth(), "scaled uint8 becomes float");
			Path f32 = new Tiny(16, 32, 3, 2).order(o).scale(2, -10).values(floatsIn).write(dir.resolve("f32-" + o + ".nii"));
			ImagePlus b = NiftiReader.open(f32);
			assertEquals(32, b.getBitDepth());
			for (int n = 0; n < 6; n++) {
				assertEquals(bytesIn[n] * 2 - 10, value(a, 0, n % 3, n / 3), 1e-6, o + " uint8 voxel " + n);
				assertEquals((float) (floatsIn[n] * 2 - 10), value(b, 0, n % 3, n / 3), 1e-6, o + " float32 voxel " + n);
			}
			assertTrue(a.getInfoProperty().contains("applied"), a.getInfoProperty());
		}
	}

	@Test
	void slopeZeroOrOneMeansNoScaling() throws Exception {
		Path zero = new Tiny(2, 8, 2, 1).scale(0, 50).values(7, 9).write(dir.resolve("zero.nii"));
		ImagePlus a = NiftiReader.open(zero);
		assertInstanceOf(ByteProcessor.class, a.getProcessor(), "slope 0: no scaling, intercept ignored");
		assertEquals(7, value(a, 0, 0, 0));
		Path one = new Tiny(2, 8, 2, 1).scale(1, 0).values(7, 9).write(dir.resolve("one.nii"));
		assertEquals(8, NiftiReader.open(one).getBitDepth());
		Path shifted = new Tiny(2, 8, 2, 1).scale(1, 0.5f).values(7, 9).write(dir.resolve("shift.nii"));
		ImagePlus c = NiftiReader.open(shifted);
		assertEquals(32, c.getBitDepth(), "slope 1 with an intercept still scales");
		assertEquals(9.5, value(c, 0, 1, 0));
	}

	@Test
	void everyScalarDatatypeKeepsItsValuesInBothByteOrders() throws Exception {
		record Case(int code, int bits, int bitDepth, double[] v) {}
		List<Case> cases = List.of(
			new Case(2, 8, 8, new double[] {0, 1, 128, 255}),
			new Case(256, 8, 32, new double[] {-128, -1, 0, 127}),
			new Case(4, 16, 16, new double[] {-32768, -1, 0, 32767}),
			new Case(512, 16, 16, new double[] {0, 1, 40000, 65535}),
			new Case(8, 32, 32, new double[] {-2000000, -1, 0, 16777216}),
			new Case(768, 32, 32, new double[] {0, 1, 4000000000.0, 65536}),
			new Case(1024, 64, 32, new double[] {-5, 0, 1L << 40, -(1L << 40)}),
			new Case(1280, 64, 32, new double[] {0, 3, 0x1p63, 0x1p40}),
			new Case(16, 32, 32, new double[] {-1.5f, 0, 3.25f, Float.MAX_VALUE}),
			new Case(64, 64, 32, new double[] {-0.125, 0, 1e10, 42}));
		for (ByteOrder o : ORDERS) {
			for (Case c : cases) {
				Path file = new Tiny(c.code, c.bits, 2, 2).order(o).values(c.v).write(dir.resolve("t" + c.code + "-" + o + ".nii"));
				ImagePlus imp = NiftiReader.open(file);
				String what = "datatype " + c.code + " " + o;
				assertEquals(c.bitDepth, imp.getBitDepth(), what);
				for (int n = 0; n < 4; n++) assertEquals((float) c.v[n], value(imp, 0, n % 2, n / 2), what + " voxel " + n);
				assertEquals(c.code == 4, imp.getCalibration().isSigned16Bit(), what);
			}
		}
	}

	@Test
	void signedInt16IsStoredWithOffsetAndImagePlusSlicesReadsTheTrueValues() throws Exception {
		Path file = new Tiny(4, 16, 2, 1).values(-1000, 1000).write(dir.resolve("s16.nii"));
		ImagePlus imp = NiftiReader.open(file);
		ShortProcessor sp = (ShortProcessor) imp.getProcessor();
		assertEquals(32768 - 1000, sp.get(0, 0));
		assertEquals(32768 + 1000, sp.get(1, 0));
		assertArrayEquals(new float[] {-1000, 1000}, new ImagePlusSlices(imp, null).get(0).pixels());
	}

	@Test
	void rowsAreFlippedSoTheFirstStoredRowIsAtTheBottom() throws Exception {
		// Stored rows j=0 {1,2,3}, j=1 {4,5,6}: ImageJ shows j=1 on top.
		Path file = new Tiny(2, 8, 3, 2).values(1, 2, 3, 4, 5, 6).write(dir.resolve("rows.nii"));
		ImagePlus imp = NiftiReader.open(file);
		assertArrayEquals(new byte[] {4, 5, 6, 1, 2, 3}, (byte[]) imp.getProcessor().getPixels());
	}

	@Test
	void rgb24BecomesImageJRgb() throws Exception {
		Tiny t = new Tiny(128, 24, 2, 1);
		t.data = new byte[] {10, 20, 30, (byte) 200, 0, (byte) 255};
		ImagePlus imp = NiftiReader.open(t.write(dir.resolve("rgb.nii")));
		assertInstanceOf(ColorProcessor.class, imp.getProcessor());
		int[] px = (int[]) imp.getProcessor().getPixels();
		assertEquals(10 << 16 | 20 << 8 | 30, px[0] & 0xffffff);
		assertEquals(200 << 16 | 255, px[1] & 0xffffff);
	}

	@Test
	void complexAndUnknownDatatypesAreRefused() throws Exception {
		Tiny c = new Tiny(32, 64, 2, 1);
		c.data = new byte[16];
		Path file = c.write(dir.resolve("complex.nii"));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(file)), file, "datatype", "complex64", "supported:");
		Tiny u = new Tiny(7, 8, 2, 1);
		u.data = new byte[2];
		Path odd = u.write(dir.resolve("odd.nii"));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(odd)), odd, "datatype 7");
	}

	@Test
	void truncatedFilesAreNamedAsTruncated() throws Exception {
		byte[] full = new Tiny(4, 16, 4, 4, 3).values(new double[48]).bytes();
		Path cut = dir.resolve("cut.nii");
		Files.write(cut, Arrays.copyOf(full, full.length - 10));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(cut)), cut, "truncated", "96 bytes", "352");
		Path header = dir.resolve("header.nii");
		Files.write(header, Arrays.copyOf(full, 200));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(header)), header, "truncated NIfTI header", "200 of 348");
		// Gzipped: the length is only known while decompressing.
		Path gz = dir.resolve("cut.nii.gz");
		Files.write(gz, gzip(Arrays.copyOf(full, full.length - 10)));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(gz)), gz, "truncated", "slice z=3");
		byte[] zipped = gzip(full);
		Path damagedGz = dir.resolve("damaged.nii.gz");
		Files.write(damagedGz, Arrays.copyOf(zipped, zipped.length / 2));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(damagedGz)), damagedGz, "truncated");
		Path empty = Files.createFile(dir.resolve("empty.nii"));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(empty)), empty, "empty");
	}

	@Test
	void realSampleCutShortIsTruncated() throws Exception {
		Path file = Fixtures.sharedOrSkip("data/reader-samples/nifti/nibabel-anatomical.nii");
		Path cut = dir.resolve("anatomical-cut.nii");
		Files.write(cut, Arrays.copyOf(Files.readAllBytes(file), 20000));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(cut)), cut, "truncated", "33 x 41 x 25 int16");
	}

	@Test
	void badMagicAndHeaderSizeAreRefused() throws Exception {
		Tiny t = new Tiny(2, 8, 2, 1).values(1, 2);
		t.magic = "abc";
		Path file = t.write(dir.resolve("magic.nii"));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(file)), file, "bad NIfTI-1 magic", "\"abc\\x00\"");
		Tiny two = new Tiny(2, 8, 2, 1).values(1, 2);
		two.sizeofHdr = 540;
		Path nifti2 = two.write(dir.resolve("two.nii"));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(nifti2)), nifti2, "NIfTI-2");
		Path text = dir.resolve("text.nii");
		Files.writeString(text, "hello ".repeat(100));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(text)), text, "not a NIfTI-1 file", "expected 348");
	}

	@Test
	void dimensionsTwoToFourAreReadAndFiveIsRefused() throws Exception {
		ImagePlus flat = NiftiReader.open(new Tiny(2, 8, 3, 2).values(1, 2, 3, 4, 5, 6).write(dir.resolve("2d.nii")));
		assertEquals(1, flat.getStackSize());
		assertFalse(flat.isHyperStack());
		Tiny trailing = new Tiny(2, 8, 2, 1, 1, 1, 1).values(1, 2);
		assertEquals(1, NiftiReader.open(trailing.write(dir.resolve("5d-of-ones.nii"))).getStackSize());
		Tiny five = new Tiny(2, 8, 2, 1, 1, 1, 3).values(1, 2, 3, 4, 5, 6);
		Path file = five.write(dir.resolve("5d.nii"));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(file)), file, "more than 4 dimensions", "dim[5] = 3");
		Tiny negative = new Tiny(2, 8, 2, -1).values(1, 2);
		Path bad = negative.write(dir.resolve("neg.nii"));
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(bad)), bad, "dim[2] = -1");
	}

	@Test
	void unitsComeFromXyztUnits() throws Exception {
		Tiny t = new Tiny(2, 8, 1, 1, 1, 3).values(1, 2, 3);
		t.units = 3 | 16;
		t.pixdim = new float[] {1, 0.5f, 0.25f, 2, 40, 0, 0, 0};
		Calibration cal = NiftiReader.open(t.write(dir.resolve("um.nii"))).getCalibration();
		assertEquals("\u00B5m", cal.getUnit());
		assertEquals(0.5, cal.pixelWidth);
		assertEquals(0.25, cal.pixelHeight);
		assertEquals(2, cal.pixelDepth);
		assertEquals(40, cal.frameInterval);
		assertEquals("msec", cal.getTimeUnit());
		t.units = 1;
		assertEquals("m", NiftiReader.open(t.write(dir.resolve("m.nii"))).getCalibration().getUnit());
		t.units = 0;
		t.pixdim = new float[] {1, -3, 0, Float.NaN, 1, 0, 0, 0};
		Calibration unknown = NiftiReader.open(t.write(dir.resolve("unknown.nii"))).getCalibration();
		assertEquals("mm", unknown.getUnit(), "unknown units are taken as mm");
		assertEquals(3, unknown.pixelWidth, "absolute value");
		assertEquals(1, unknown.pixelHeight, "0 means 1");
		assertEquals(1, unknown.pixelDepth, "NaN means 1");
	}

	@Test
	void headerImagePairOpensFromEitherFile() throws Exception {
		Tiny t = new Tiny(512, 16, 2, 2).values(1, 2, 3, 60000);
		t.magic = "ni1";
		t.voxOffset = 0; // in the .img file
		Path hdr = dir.resolve("pair.hdr");
		Files.write(hdr, t.header());
		Path img = Files.write(dir.resolve("pair.img"), t.data);
		for (Path p : List.of(hdr, img)) {
			ImagePlus imp = NiftiReader.open(p);
			assertEquals(16, imp.getBitDepth());
			assertEquals(60000, value(imp, 0, 1, 1));
		}
		Files.delete(img);
		assertMessage(assertThrows(ImageReadException.class, () -> NiftiReader.open(hdr)), hdr, ".img", "missing");
	}

	@Test
	void gzipIsRecognisedByContentWhateverTheName() throws Exception {
		Path file = dir.resolve("really-gzipped.nii");
		Files.write(file, gzip(new Tiny(2, 8, 2, 1).values(5, 6).bytes()));
		assertEquals(6, value(NiftiReader.open(file), 0, 1, 0));
	}

	@Test
	void namesAndMagicAreRecognised() throws Exception {
		for (String n : List.of("a.nii", "A.NII.GZ", "b.hdr", "b.img", "c.img.gz")) assertTrue(NiftiReader.hasNiftiName(Path.of(n)), n);
		for (String n : List.of("a.tif", "nii", "a.gz", "a.nii.zip")) assertFalse(NiftiReader.hasNiftiName(Path.of(n)), n);
		for (ByteOrder o : ORDERS) assertTrue(NiftiReader.hasNiftiMagic(new Tiny(2, 8, 1).order(o).values(1).bytes()), o.toString());
		Tiny pair = new Tiny(2, 8, 1).values(1);
		pair.magic = "ni1";
		assertFalse(NiftiReader.hasNiftiMagic(pair.bytes()));
		assertFalse(NiftiReader.hasNiftiMagic(new byte[100]));
	}

	private static byte[] gzip(byte[] b) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (GZIPOutputStream z = new GZIPOutputStream(out)) {
			z.write(b);
		}
		return out.toByteArray();
	}
}
