package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.process.ByteProcessor;
import ij.process.ShortProcessor;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.ij.ImagePlusSlices;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TinyDicom;

class ImageFilesTest {

	@TempDir
	Path dir;

	private static void assertMessage(ImageReadException e, Path file, String... parts) {
		String m = e.getMessage();
		assertTrue(m.contains(file.toString()), "message names the file: " + m);
		assertEquals(file, e.file());
		for (String p : parts) assertTrue(m.contains(p), "message contains '" + p + "': " + m);
	}

	@Test
	void tiffStackRoundTrip() throws Exception {
		ImageStack st = new ImageStack(7, 5);
		short[][] planes = new short[3][];
		Random rnd = new Random(42);
		for (int s = 0; s < 3; s++) {
			planes[s] = new short[35];
			for (int i = 0; i < 35; i++) planes[s][i] = (short) rnd.nextInt(65536);
			st.addSlice("slice-" + (s + 1), new ShortProcessor(7, 5, planes[s].clone(), null));
		}
		Path file = dir.resolve("stack.tif");
		assertTrue(new FileSaver(new ImagePlus("stack", st)).saveAsTiffStack(file.toString()));
		ImagePlus imp = ImageFiles.open(file);
		assertEquals(3, imp.getStackSize());
		assertEquals(7, imp.getWidth());
		assertEquals(5, imp.getHeight());
		assertEquals(16, imp.getBitDepth());
		for (int s = 0; s < 3; s++) {
			assertArrayEquals(planes[s], (short[]) imp.getStack().getPixels(s + 1), "slice " + (s + 1));
			assertEquals("slice-" + (s + 1), imp.getStack().getSliceLabel(s + 1));
		}
	}

	private static BufferedImage grey(int w, int h, int[] values) {
		BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
		WritableRaster r = bi.getRaster();
		for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) r.setSample(x, y, 0, values[y * w + x]);
		return bi;
	}

	@Test
	void pngIsLossless() throws Exception {
		int[] v = new int[12 * 9];
		for (int i = 0; i < v.length; i++) v[i] = (i * 29) % 256;
		Path file = dir.resolve("grey.png");
		assertTrue(ImageIO.write(grey(12, 9, v), "png", file.toFile()));
		ImagePlus imp = ImageFiles.open(file);
		assertEquals(1, imp.getStackSize());
		assertEquals(12, imp.getWidth());
		assertEquals(9, imp.getHeight());
		assertEquals(8, imp.getBitDepth());
		for (int i = 0; i < v.length; i++) assertEquals(v[i], imp.getProcessor().get(i), "pixel " + i);
	}

	@Test
	void gifAndBmpOpenLosslessLikeTheDataSetScannerExpects() throws Exception {
		// Datasets.IMAGE_ENDINGS lists .gif and .bmp, so training reads them through ImageFiles.
		int[] v = new int[6 * 5];
		for (int i = 0; i < v.length; i++) v[i] = (i * 37) % 256;
		for (String format : new String[] {"gif", "bmp"}) {
			Path file = dir.resolve("grey." + format);
			assertTrue(ImageIO.write(grey(6, 5, v), format, file.toFile()), format);
			ImagePlus imp = ImageFiles.open(file);
			assertEquals(6, imp.getWidth(), format);
			assertEquals(5, imp.getHeight(), format);
			for (int i = 0; i < v.length; i++) assertEquals(v[i], imp.getProcessor().getPixelValue(i % 6, i / 6), format + " pixel " + i);
		}
	}

	@Test
	void jpegOpensWithNearlyTheWrittenValues() throws Exception {
		// Smooth content so that lossy compression stays close.
		int w = 32;
		int h = 24;
		int[] v = new int[w * h];
		for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) v[y * w + x] = 40 + 4 * x + 2 * y;
		Path file = dir.resolve("grey.jpg");
		assertTrue(ImageIO.write(grey(w, h, v), "jpg", file.toFile()));
		ImagePlus imp = ImageFiles.open(file);
		assertEquals(w, imp.getWidth());
		assertEquals(h, imp.getHeight());
		double err = 0;
		for (int i = 0; i < v.length; i++) err = Math.max(err, Math.abs(v[i] - imp.getProcessor().getPixelValue(i % w, i / w)));
		assertTrue(err <= 12, "max JPEG error " + err);
	}

	@Test
	void emptyFileIsNamedAsEmpty() throws Exception {
		Path file = Files.createFile(dir.resolve("empty.tif"));
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(file));
		assertMessage(e, file, "empty");
	}

	@Test
	void garbageNamedJpgIsRefused() throws Exception {
		Path file = dir.resolve("photo.jpg");
		Files.write(file, "this is not a picture at all, just text\n".repeat(20).getBytes());
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(file));
		assertMessage(e, file, "not a TIFF, PNG, JPEG, GIF, BMP, DICOM or NIfTI-1");
	}

	@Test
	void truncatedJpegIsDamaged() throws Exception {
		int[] v = new int[64 * 64];
		for (int i = 0; i < v.length; i++) v[i] = (i * 7) % 256;
		Path good = dir.resolve("good.jpg");
		ImageIO.write(grey(64, 64, v), "jpg", good.toFile());
		byte[] bytes = Files.readAllBytes(good);
		byte[] head = new byte[40];
		System.arraycopy(bytes, 0, head, 0, head.length);
		Path file = dir.resolve("cut.jpg");
		Files.write(file, head);
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(file));
		assertMessage(e, file, "JPEG");
	}

	@Test
	void unknownContentIsRefused() throws Exception {
		Path file = dir.resolve("volume.raw");
		byte[] b = new byte[1000];
		new Random(1).nextBytes(b);
		b[0] = 1; // not a TIFF, PNG or JPEG signature
		Files.write(file, b);
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(file));
		assertMessage(e, file, "unrecognised content", "Bio-Formats");
	}

	@Test
	void missingFileAndFoldersWithoutDicom() throws Exception {
		Path missing = dir.resolve("nope.tif");
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(missing)), missing, "not found");
		// A folder is read as a DICOM series; without DICOM files it is still a clear error.
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(dir)), dir, "folder is empty");
		Path pictures = Files.createDirectory(dir.resolve("pictures"));
		assertTrue(ImageIO.write(grey(2, 2, new int[] {1, 2, 3, 4}), "png", pictures.resolve("a.png").toFile()));
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(pictures)), pictures, "no DICOM files", "a.png");
	}

	@Test
	void folderOfDicomSlicesOpensAsOneSeries() throws Exception {
		Path folder = Fixtures.sharedOrSkip("data/reader-samples/dicom/mr-series-bbmri");
		ImagePlus imp = ImageFiles.open(folder);
		assertEquals(6, imp.getStackSize());
		assertEquals(256, imp.getWidth());
		assertEquals(9.0, imp.getCalibration().pixelDepth, 1e-3);
		assertNull(imp.getProperty(DicomSeries.WARNINGS_PROPERTY));
		// A second series in the folder: the largest is read and the warning travels with the image.
		try (var files = Files.list(folder)) {
			for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
		}
		Path mr = Fixtures.sharedOrSkip("data/reader-samples/dicom/mr-pydicom/MR_small.dcm");
		Files.copy(mr, dir.resolve("mr.dcm"));
		ImagePlus mixed = ImageFiles.open(dir);
		assertEquals(6, mixed.getStackSize());
		assertTrue(String.valueOf(mixed.getProperty(DicomSeries.WARNINGS_PROPERTY)).contains("2 series"));
		Path j2k = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-osirix-cta-jpeg2000");
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(j2k)), j2k, "JPEG 2000", "Bio-Formats");
	}

	@Test
	void niftiOpensByNameAndByMagic() throws Exception {
		Path nii = Fixtures.sharedOrSkip("data/reader-samples/nifti/nibabel-anatomical.nii");
		ImagePlus byName = ImageFiles.open(nii);
		assertEquals(33, byName.getWidth());
		assertEquals(41, byName.getHeight());
		assertEquals(25, byName.getStackSize());
		Path renamed = Files.copy(nii, dir.resolve("volume.bin"));
		ImagePlus byMagic = ImageFiles.open(renamed);
		assertEquals(25, byMagic.getStackSize());
		assertArrayEquals((short[]) byName.getStack().getPixels(12), (short[]) byMagic.getStack().getPixels(12));
		ImagePlus gz = ImageFiles.open(Fixtures.sharedOrSkip("data/reader-samples/nifti/nibabel-example4d.nii.gz"));
		assertEquals(24, gz.getNSlices());
		assertEquals(2, gz.getNFrames());
		Path cut = dir.resolve("cut.nii");
		Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(nii), 5000));
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(cut)), cut, "truncated NIfTI");
		Path fake = dir.resolve("fake.nii.gz");
		Files.writeString(fake, "not gzip, not nifti");
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(fake)), fake, "not a NIfTI-1 file");
	}

	@Test
	void garbageDcmIsRefused() throws Exception {
		Path file = dir.resolve("broken.dcm");
		Files.write(file, "not dicom either".getBytes());
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(file));
		assertMessage(e, file, "DICOM");
	}

	@Test
	void compressedDicomNamesJpeg2000AndBioFormats() throws Exception {
		Path file = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-osirix-cta-jpeg2000/osirix-toutatix-100.dcm");
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(file));
		assertMessage(e, file, "JPEG 2000", "1.2.840.10008.1.2.4.91", "Fiji", "Bio-Formats");
	}

	@Test
	void uncompressedDicomOpens() throws Exception {
		Path mr = Fixtures.sharedOrSkip("data/reader-samples/dicom/mr-pydicom/MR_small.dcm");
		ImagePlus imp = ImageFiles.open(mr);
		assertEquals(64, imp.getWidth());
		assertEquals(64, imp.getHeight());
		assertEquals(16, imp.getBitDepth());
		assertTrue(imp.getInfoProperty().contains("0008,0060"), "DICOM header kept");
		Path ct8 = Fixtures.sharedOrSkip("data/reader-samples/dicom/ct-gdcm-abdo/gdcm-CT-MONO2-8-abdo.dcm");
		ImagePlus abdo = ImageFiles.open(ct8);
		assertEquals(512, abdo.getWidth());
		assertEquals(8, abdo.getBitDepth());
	}

	@Test
	void dicomRescaleSlopeIsKeptHeadless() throws Exception {
		// ImageJ makes slope != 1 slices 32-bit through IJ.run("32-bit"), which fails headless (first call:
		// HeadlessException; later calls: slope and intercept silently dropped). Open twice to see both.
		short[] px = new short[12];
		for (int i = 0; i < px.length; i++) px[i] = (short) (1000 + i);
		Path file = new TinyDicom(4, 3, px).series("1.2.3").instance(1).rescale(-10, 2).write(dir.resolve("slope2.dcm"));
		boolean before = ij.Prefs.fixedDicomScaling;
		for (int round = 0; round < 2; round++) {
			ImagePlus imp = ImageFiles.open(file);
			float[] v = new ImagePlusSlices(imp, null).get(0).pixels();
			for (int i = 0; i < px.length; i++) assertEquals(2 * (1000 + i) - 10, v[i], "round " + round + " pixel " + i);
		}
		assertEquals(before, ij.Prefs.fixedDicomScaling, "ImageJ's preference is restored");
		Path signed = new TinyDicom(2, 1, new short[] {-100, 50}).signed(true).rescale(5, 0.5).write(dir.resolve("signed.dcm"));
		assertArrayEquals(new float[] {-45, 30}, new ImagePlusSlices(ImageFiles.open(signed), null).get(0).pixels());
	}

	@Test
	void dicomWithoutExtensionOpensByPreamble() throws Exception {
		Path folder = Fixtures.sharedOrSkip("data/reader-samples/dicom/mr-siemens-mosaic-dcm_qa");
		Path file;
		try (var files = Files.list(folder)) {
			file = files.sorted().findFirst().orElseThrow();
		}
		// Its name has no extension; it is a Siemens mosaic, unpacked into its 35 slices of 64 x 64.
		ImagePlus imp = ImageFiles.open(file);
		assertEquals(64, imp.getWidth());
		assertEquals(35, imp.getStackSize());
		assertTrue(ImageFiles.warnings(imp).get(0).contains("Siemens mosaic unpacked into its 35 slices"), ImageFiles.warnings(imp).toString());
	}

	@Test
	void transferSyntaxOfSamples() throws Exception {
		Path base = Fixtures.sharedOrSkip("data/reader-samples/dicom");
		String j2k = DicomHeaders.transferSyntax(base.resolve("ct-osirix-cta-jpeg2000/osirix-toutatix-100.dcm"));
		assertEquals("1.2.840.10008.1.2.4.91", j2k);
		assertFalse(DicomHeaders.isReadable(j2k));
		assertEquals("JPEG 2000 (1.2.840.10008.1.2.4.91)", DicomHeaders.describe(j2k));
		String ct = DicomHeaders.transferSyntax(base.resolve("ct-pydicom/CT_small.dcm"));
		assertEquals("1.2.840.10008.1.2.1", ct);
		assertTrue(DicomHeaders.isReadable(ct));
		assertEquals("1.2.840.10008.1.2.1", DicomHeaders.transferSyntax(base.resolve("mr-pydicom/MR_small.dcm")));
		// Implicit VR little endian; the UID value is padded with a NUL that must not survive.
		assertEquals("1.2.840.10008.1.2", DicomHeaders.transferSyntax(base.resolve("ct-gdcm-abdo/gdcm-CT-MONO2-8-abdo.dcm")));
	}

	@Test
	void transferSyntaxOfSyntheticHeaders() throws IOException {
		assertTrue(DicomHeaders.isReadable(null), "no meta information: implicit VR little endian");
		assertTrue(DicomHeaders.isReadable("1.2.840.10008.1.2.2"));
		assertFalse(DicomHeaders.isReadable("1.2.840.10008.1.2.4.90"));
		assertTrue(DicomHeaders.describe("1.2.840.10008.1.2.4.50").startsWith("JPEG Baseline"));
		assertTrue(DicomHeaders.describe("9.9.9").startsWith("unknown transfer syntax"));
		// A preamble, "DICM" and one meta element (0002,0010) UI with a padded value.
		byte[] uid = "1.2.840.10008.1.2.5\0".getBytes();
		byte[] b = new byte[132 + 8 + uid.length];
		b[128] = 'D';
		b[129] = 'I';
		b[130] = 'C';
		b[131] = 'M';
		b[132] = 0x02;
		b[134] = 0x10;
		b[136] = 'U';
		b[137] = 'I';
		b[138] = (byte) uid.length;
		System.arraycopy(uid, 0, b, 140, uid.length);
		assertTrue(DicomHeaders.isDicom(b));
		Path file = dir.resolve("rle.dcm");
		Files.write(file, b);
		assertEquals("1.2.840.10008.1.2.5", DicomHeaders.transferSyntax(file));
		Path noMeta = dir.resolve("nometa.dcm");
		Files.write(noMeta, new byte[10]);
		assertNull(DicomHeaders.transferSyntax(noMeta));
		assertFalse(DicomHeaders.isDicom(new byte[10]));
		// And ImageFiles refuses it naming the compression.
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(file));
		assertMessage(e, file, "RLE Lossless");
	}

	/** Offset of the last Pixel Data tag (7FE0,0010) in little-endian DICOM bytes, found here without the reader. */
	private static int pixelDataTag(byte[] b) {
		for (int i = b.length - 4; i >= 0; i--) {
			if (b[i] == (byte) 0xE0 && b[i + 1] == 0x7F && b[i + 2] == 0x10 && b[i + 3] == 0) return i;
		}
		throw new AssertionError("no pixel data tag");
	}

	@Test
	void dicomWhoseElementsDoNotFitInTheFileIsRefusedBeforeImageJReadsIt() throws Exception {
		Path ok = new TinyDicom(4, 3, new short[12]).write(dir.resolve("ok.dcm"));
		assertNull(DicomHeaders.damage(ok, DicomHeaders.transferSyntax(ok)));
		assertEquals(4, ImageFiles.open(ok).getWidth());
		// Cut inside the pixel data: named, with what it claims and what the file has.
		byte[] b = Files.readAllBytes(ok);
		Path cut = Files.write(dir.resolve("cut.dcm"), java.util.Arrays.copyOf(b, b.length - 2));
		String damage = DicomHeaders.damage(cut, DicomHeaders.transferSyntax(cut));
		assertTrue(damage.contains("element (7FE0,0010) at byte " + pixelDataTag(b)) && damage.contains("claims 24 bytes") && damage.contains("has 22 after it"),
			damage);
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(cut)), cut, "damaged DICOM file", "(7FE0,0010)", "claims 24 bytes");
		// A header of random bytes after "DICM": its first element claims 401776384 bytes, which ImageJ's
		// reader would try to allocate (an OutOfMemoryError, or not, depending on the heap).
		byte[] h = new byte[700];
		new Random(3).nextBytes(h);
		java.util.Arrays.fill(h, 0, 128, (byte) 0);
		System.arraycopy("DICM".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, h, 128, 4);
		Path random = Files.write(dir.resolve("random.dcm"), h);
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(random)), random, "damaged DICOM file", "at byte 132",
			"claims 401776384 bytes", "has 560 after it");
		// Without the Part 10 preamble nothing is claimed (ImageJ reads such files by their name).
		assertNull(DicomHeaders.damage(Files.write(dir.resolve("raw.dcm"), java.util.Arrays.copyOfRange(b, 132, b.length)), null));
	}

	@Test
	void theDicomSamplesFitAndACutInTheirPixelDataIsFound() throws Exception {
		Path base = Fixtures.sharedOrSkip("data/reader-samples/dicom");
		int checked = 0;
		try (var files = Files.walk(base)) {
			for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
				String ts = DicomHeaders.transferSyntax(f);
				if (!DicomHeaders.isReadable(ts)) continue;
				assertNull(DicomHeaders.damage(f, ts), f.toString());
				// Cut 20 bytes after the pixel data's tag: inside its value (explicit or implicit VR), so the walk
				// must have come through every element before it (explicit and implicit VR, sequences) to find it.
				byte[] b = Files.readAllBytes(f);
				Path cut = Files.write(dir.resolve("cut-" + f.getFileName()), java.util.Arrays.copyOf(b, pixelDataTag(b) + 20));
				String damage = DicomHeaders.damage(cut, ts);
				assertTrue(damage != null && damage.contains("(7FE0,0010) at byte " + pixelDataTag(b)), f + ": " + damage);
				checked++;
			}
		}
		assertTrue(checked >= 10, checked + " samples");
	}

	@Test
	void eightBitTiffSingleSlice() throws Exception {
		byte[] px = new byte[4 * 4];
		for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 16);
		Path file = dir.resolve("one.tiff");
		assertTrue(new FileSaver(new ImagePlus("one", new ByteProcessor(4, 4, px.clone()))).saveAsTiff(file.toString()));
		ImagePlus imp = ImageFiles.open(file);
		assertArrayEquals(px, (byte[]) imp.getProcessor().getPixels());
	}

	@Test
	void truncatedTiffIsRefusedInsteadOfReadingFewerSlices() throws Exception {
		ImageStack st = new ImageStack(64, 64);
		for (int s = 0; s < 4; s++) {
			ShortProcessor ip = new ShortProcessor(64, 64);
			ip.setValue(1000 * (s + 1));
			ip.fill();
			st.addSlice("s" + s, ip);
		}
		Path whole = dir.resolve("whole.tif");
		assertTrue(new FileSaver(new ImagePlus("whole", st)).saveAsTiffStack(whole.toString()));
		assertEquals(4, ImageFiles.open(whole).getStackSize(), "the complete file opens");
		byte[] bytes = Files.readAllBytes(whole);
		Path half = Files.write(dir.resolve("half.tif"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(half));
		assertMessage(e, half, "truncated TIFF");
		// One slice, cut inside its pixels.
		Path single = dir.resolve("single.tif");
		assertTrue(new FileSaver(new ImagePlus("single", st.getProcessor(1))).saveAsTiff(single.toString()));
		byte[] one = Files.readAllBytes(single);
		Path cut = Files.write(dir.resolve("cut.tif"), java.util.Arrays.copyOf(one, one.length - 3000));
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(cut)), cut, "truncated TIFF");
	}

	@Test
	void compressedTiffStripsAreCheckedToo() throws Exception {
		BufferedImage bi = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
		Random rnd = new Random(7);
		for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) bi.getRaster().setSample(x, y, 0, rnd.nextInt(256));
		Path lzw = dir.resolve("lzw.tif");
		javax.imageio.ImageWriter w = ImageIO.getImageWritersByFormatName("tiff").next();
		javax.imageio.ImageWriteParam param = w.getDefaultWriteParam();
		param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
		param.setCompressionType("LZW");
		try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(lzw.toFile())) {
			w.setOutput(out);
			w.write(null, new javax.imageio.IIOImage(bi, null, null), param);
		}
		w.dispose();
		assertEquals(64, ImageFiles.open(lzw).getWidth(), "the complete LZW file opens");
		byte[] bytes = Files.readAllBytes(lzw);
		// ImageIO writes the IFD first and the strips after it, so a cut removes strip data.
		Path cut = Files.write(dir.resolve("lzw-cut.tif"), java.util.Arrays.copyOf(bytes, bytes.length - 500));
		assertMessage(assertThrows(ImageReadException.class, () -> ImageFiles.open(cut)), cut, "truncated TIFF");
	}

	@Test
	void jpegsReadAsImageJReadsThemAndDamagedOnesAreRefused() throws Exception {
		// The same pixels as ImageJ's own opener (grey JPEGs as 8-bit), on real files of both data sets.
		Path samples = Fixtures.sharedOrSkip("data/samples");
		java.util.List<Path> jpegs;
		try (var s = Files.walk(samples)) {
			jpegs = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
		}
		assertTrue(jpegs.size() >= 30, jpegs.size() + " JPEGs");
		for (Path p : jpegs) {
			ImagePlus ij = new ij.io.Opener().openImage(p.toString());
			ImagePlus ours = ImageFiles.open(p);
			assertEquals(ij.getType(), ours.getType(), p.toString());
			assertArrayEquals((byte[]) ij.getProcessor().getPixels(), (byte[]) ours.getProcessor().getPixels(), p.toString());
		}
		byte[] good = Files.readAllBytes(jpegs.get(0));
		// Cut short: ImageJ filled the rest with grey and said nothing.
		Path cut = Files.write(dir.resolve("cut.jpg"), java.util.Arrays.copyOf(good, good.length / 3));
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(cut));
		assertTrue(e.getMessage().startsWith(cut + ": damaged JPEG file: "), e.getMessage());
		// Garbage in the middle: ImageJ's decoder printed a stack trace on the console.
		byte[] bad = good.clone();
		Random r = new Random(3);
		for (int i = bad.length / 2; i < bad.length / 2 + 2000 && i < bad.length - 2; i++) bad[i] = (byte) r.nextInt(256);
		Path corrupt = Files.write(dir.resolve("corrupt.jpg"), bad);
		ImageReadException c = assertThrows(ImageReadException.class, () -> ImageFiles.open(corrupt));
		assertTrue(c.getMessage().contains("damaged"), c.getMessage());
	}
}
