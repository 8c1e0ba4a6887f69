package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.measure.Calibration;
import ij.process.ImageProcessor;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.BioFormatsRuntime;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.Jpeg2000Samples;

/**
 * MedCNN's readers with Bio-Formats 8.0.0 on the class path at run time, as in Fiji: the jars of
 * {@code ../shared/imagej2/jars-bioformats} in a class loader set as the thread's context class loader (MedCNN
 * finds Bio-Formats there, by class name), the real JPEG 2000 CT samples of {@code ../shared/data/reader-samples}
 * checked against values decoded independently ({@link Jpeg2000Samples}), HU included. Skipped when ../shared is absent; without
 * Bio-Formats (the rest of the suite) the readers refuse compressed DICOM as before ({@link ImageFilesTest}).
 */
class BioFormatsReaderTest {

	@TempDir
	Path dir;

	private URLClassLoader bioFormats;
	private ClassLoader before;

	@BeforeEach
	void putBioFormatsOnTheClassPath() throws IOException {
		Path jars = Fixtures.sharedOrSkip("imagej2/jars-bioformats");
		List<URL> urls = new ArrayList<>();
		try (Stream<Path> s = Files.list(jars)) {
			for (Path j : s.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) urls.add(j.toUri().toURL());
		}
		before = Thread.currentThread().getContextClassLoader();
		bioFormats = new URLClassLoader(urls.toArray(URL[]::new), BioFormatsReaderTest.class.getClassLoader());
		Thread.currentThread().setContextClassLoader(bioFormats);
	}

	@AfterEach
	void takeItAway() throws IOException {
		if (bioFormats == null) return;
		Thread.currentThread().setContextClassLoader(before);
		bioFormats.close();
	}

	private static Path sample(String name) {
		return Fixtures.sharedOrSkip("data/reader-samples/dicom/" + name);
	}

	@Test
	void doctorSaysBioFormatsIsThereWithItsVersion() {
		String line = BioFormatsRuntime.describe();
		assertTrue(line.startsWith("available, version 8.0.0 ("), line);
		assertTrue(line.contains("bio-formats_plugins-8.0.0.jar"), line);
		Thread.currentThread().setContextClassLoader(before);
		String without = BioFormatsRuntime.describe();
		assertTrue(without.startsWith("not available;") && without.contains("MEDCNN_BIOFORMATS"), without);
	}

	@Test
	void jpeg2000CtOpensWithItsPixelsHounsfieldUnitsAndSpacing() throws Exception {
		Path file = sample("ct-osirix-cta-jpeg2000/osirix-toutatix-100.dcm");
		ImagePlus imp = ImageFiles.open(file);
		assertEquals("Bio-Formats 8.0.0 DICOM, JPEG 2000 (1.2.840.10008.1.2.4.91)", ImageFiles.reader(imp));
		assertEquals(512, imp.getWidth());
		assertEquals(1, imp.getStackSize());
		assertEquals(16, imp.getBitDepth());
		Jpeg2000Samples.check(imp.getStack().getProcessor(1), imp.getCalibration(), Jpeg2000Samples.PIXELS_100, Jpeg2000Samples.SUM_100);
		assertEquals(Jpeg2000Samples.MAX_100, (int) imp.getStack().getProcessor(1).getStats().max);
		Calibration cal = imp.getCalibration();
		assertEquals("mm", cal.getUnit());
		assertEquals(0.48828125, cal.pixelWidth, 1e-9);
		assertEquals(0.48828125, cal.pixelHeight, 1e-9);
		assertEquals(1.5, cal.pixelDepth, 1e-9, "Slice Thickness, as ImageJ's reader takes it");
		assertEquals("osirix-toutatix-100.dcm", imp.getStack().getSliceLabel(1));
		assertTrue(String.valueOf(imp.getProperty("Info")).contains("0028,1052  -1024"), String.valueOf(imp.getProperty("Info")));
	}

	@Test
	void compressedSeriesFolderIsOneStackInInstanceOrder() throws Exception {
		ImagePlus imp = ImageFiles.open(sample("ct-osirix-cta-jpeg2000"));
		assertEquals(2, imp.getStackSize());
		assertTrue(imp.getStack().getSliceLabel(1).startsWith("osirix-toutatix-100.dcm #100\n"), imp.getStack().getSliceLabel(1));
		assertTrue(imp.getStack().getSliceLabel(2).startsWith("osirix-toutatix-101.dcm #101\n"), imp.getStack().getSliceLabel(2));
		Jpeg2000Samples.check(imp.getStack().getProcessor(1), imp.getCalibration(), Jpeg2000Samples.PIXELS_100, Jpeg2000Samples.SUM_100);
		Jpeg2000Samples.check(imp.getStack().getProcessor(2), imp.getCalibration(), Jpeg2000Samples.PIXELS_101, Jpeg2000Samples.SUM_101);
		assertEquals(1.0, imp.getCalibration().pixelDepth, 1e-9, "the distance between the two positions");
		assertEquals("DICOM series: Bio-Formats 8.0.0 DICOM (2 files, JPEG 2000 (1.2.840.10008.1.2.4.91))", ImageFiles.reader(imp));
		assertTrue(ImageFiles.warnings(imp).isEmpty(), ImageFiles.warnings(imp).toString());
	}

	@Test
	void folderMixingCompressedAndUncompressedSeries() throws Exception {
		// The 2 JPEG 2000 CT slices and the 6 uncompressed MR slices of another series in one folder: the larger (MR,
		// ImageJ's reader) is read, and the warning names the compressed series as left out, not as undecodable.
		copyAll(sample("ct-osirix-cta-jpeg2000"), dir);
		copyAll(sample("mr-series-bbmri"), dir);
		ImagePlus mr = ImageFiles.open(dir);
		assertEquals(6, mr.getStackSize());
		assertEquals("DICOM series: ImageJ DICOM (6 files)", ImageFiles.reader(mr));
		String w = String.join("\n", ImageFiles.warnings(mr));
		assertTrue(w.contains("2 series") && w.contains("Heart") && w.contains("(2 slices)") && !w.contains("compressed"), w);
		// The JPEG 2000 series picked by its UID from the same folder reads as on its own.
		DicomSeries ct = DicomSeries.open(dir, Jpeg2000Samples.SERIES_UID);
		assertEquals(2, ct.image().getStackSize());
		Jpeg2000Samples.check(ct.image().getStack().getProcessor(2), ct.image().getCalibration(), Jpeg2000Samples.PIXELS_101, Jpeg2000Samples.SUM_101);
		assertEquals(Calibration.STRAIGHT_LINE, ct.image().getCalibration().getFunction());
	}

	@Test
	void signedCtThroughBioFormatsEqualsImageJsHounsfieldUnits() throws Exception {
		// An uncompressed signed 16-bit CT (Pixel Representation 1, intercept -1024) read by ImageJ's own reader is the
		// reference: the same file through Bio-Formats (which gives unsigned + 32768 and no rescale) must give the same HU.
		Path file = sample("ct-pydicom/CT_small.dcm");
		ImagePlus ref = ImageFiles.open(file);
		assertEquals("ImageJ DICOM", ImageFiles.reader(ref));
		String ts = DicomHeaders.transferSyntax(file);
		ImagePlus bf = ImageFiles.openCompressedDicom(BioFormatsRuntime.find().orElseThrow(), file, ts);
		assertEquals(ref.getWidth(), bf.getWidth());
		ImageProcessor a = ref.getProcessor();
		ImageProcessor b = bf.getProcessor();
		int differ = 0;
		for (int i = 0; i < a.getPixelCount(); i++) {
			if (ref.getCalibration().getCValue(a.get(i)) != bf.getCalibration().getCValue(b.get(i))) differ++;
		}
		assertEquals(0, differ, "pixels whose HU differ");
		// pydicom: the stored value at (0, 0) is 175 and at (64, 64) 1928; HU = stored - 1024
		assertEquals(175 - 1024, bf.getCalibration().getCValue(b.get(0, 0)), 0);
		assertEquals(1928 - 1024, bf.getCalibration().getCValue(b.get(64, 64)), 0);
		assertEquals(ref.getCalibration().pixelWidth, bf.getCalibration().pixelWidth, 1e-9);
		assertEquals(ref.getCalibration().pixelDepth, bf.getCalibration().pixelDepth, 1e-9);
	}

	@Test
	void whatBioFormatsCannotReadEitherIsOneLineNamingTheFile() throws Exception {
		// A JPEG 2000 DICOM whose codestream starts with zeros instead of its markers.
		Path broken = Jpeg2000Samples.writeBroken(sample("ct-osirix-cta-jpeg2000"), dir.resolve("broken.dcm"));
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(broken));
		assertLine(e, broken, "DICOM with compressed transfer syntax JPEG 2000 (1.2.840.10008.1.2.4.91): Bio-Formats 8.0.0 could not read it: ");
		// Random bytes under a name no reader knows.
		Path random = dir.resolve("noise.xyz");
		byte[] noise = new byte[4096];
		new java.util.Random(7).nextBytes(noise);
		Files.write(random, noise);
		assertLine(assertThrows(ImageReadException.class, () -> ImageFiles.open(random)), random,
			"not a TIFF, PNG, JPEG, GIF, BMP, DICOM or NIfTI-1 file, and Bio-Formats 8.0.0 could not read it: it does not know the format");
		// A truncated compressed file is refused before any decoder sees it.
		Path cut = dir.resolve("cut.dcm");
		Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(sample("ct-osirix-cta-jpeg2000/osirix-toutatix-100.dcm")), 1000));
		ImageReadException c = assertThrows(ImageReadException.class, () -> ImageFiles.open(cut));
		assertTrue(c.getMessage().startsWith(cut + ": ") && !c.getMessage().contains("\n"), c.getMessage());
	}

	@Test
	void formatsMedCnnDoesNotKnowOpenThroughBioFormats() throws Exception {
		// An 8-bit PGM: Bio-Formats has a reader for it, MedCNN's own readers do not know it.
		Path pgm = dir.resolve("slice.pgm");
		int w = 3;
		int h = 2;
		byte[] header = ("P5\n" + w + " " + h + "\n255\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
		int[] values = {42, 130, 81, 27, 104, 255};
		byte[] all = new byte[header.length + values.length];
		System.arraycopy(header, 0, all, 0, header.length);
		for (int i = 0; i < values.length; i++) all[header.length + i] = (byte) values[i];
		Files.write(pgm, all);
		ImagePlus imp = ImageFiles.open(pgm);
		assertEquals("Bio-Formats 8.0.0", ImageFiles.reader(imp));
		for (int i = 0; i < values.length; i++) assertEquals(values[i], imp.getProcessor().get(i % w, i / w), "pixel " + i);
	}

	@Test
	void aTiffImageJCannotDecodeGoesToBioFormats() throws Exception {
		// A tiled TIFF (Java's TIFF writer): ImageJ 1.x reads strips only.
		int w = 40;
		int h = 24;
		java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
		for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, (x * 7 + y * 3) % 256);
		javax.imageio.ImageWriter writer = javax.imageio.ImageIO.getImageWritersByFormatName("tiff").next();
		javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
		param.setTilingMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
		param.setTiling(16, 16, 0, 0);
		Path tif = dir.resolve("tiled.tif");
		try (javax.imageio.stream.ImageOutputStream out = javax.imageio.ImageIO.createImageOutputStream(tif.toFile())) {
			writer.setOutput(out);
			writer.write(null, new javax.imageio.IIOImage(img, null, null), param);
		} finally {
			writer.dispose();
		}
		ImagePlus imp = ImageFiles.open(tif);
		assertEquals("Bio-Formats 8.0.0", ImageFiles.reader(imp));
		for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) assertEquals((x * 7 + y * 3) % 256, imp.getProcessor().get(x, y), x + "," + y);
		// Without Bio-Formats the same file is refused, as before.
		Thread.currentThread().setContextClassLoader(before);
		ImageReadException e = assertThrows(ImageReadException.class, () -> ImageFiles.open(tif));
		assertLine(e, tif, "damaged or unsupported TIFF file");
	}

	@Test
	void aFileOfSeveralSeriesSaysWhatWasLeftOut() throws Exception {
		// Bio-Formats' synthetic format: the name says 3 series of 8 x 6 pixels.
		Path fake = Files.writeString(dir.resolve("scan&series=3&sizeX=8&sizeY=6.fake"), "x");
		ImagePlus imp = ImageFiles.open(fake);
		assertEquals(8, imp.getWidth());
		assertEquals(6, imp.getHeight());
		List<String> w = ImageFiles.warnings(imp);
		assertEquals(1, w.size(), w.toString());
		assertTrue(w.get(0).startsWith(fake.getFileName() + " holds 3 series (images); Bio-Formats 8.0.0 read the first, ") && w.get(0).endsWith(
			"(1 plane), and the others were left out"), w.get(0));
	}

	private static void assertLine(ImageReadException e, Path file, String what) {
		assertTrue(e.getMessage().startsWith(file + ": " + what), e.getMessage());
		assertFalse(e.getMessage().contains("\n"), e.getMessage());
	}

	private static void copyAll(Path from, Path to) throws IOException {
		try (Stream<Path> s = Files.list(from)) {
			for (Path f : s.toList()) Files.copy(f, to.resolve(f.getFileName()));
		}
	}
}
