package org.medcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.ImageRoi;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.io.FileSaver;
import ij.io.Opener;
import ij.process.ByteProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.explain.RegionColumns;
import org.medcnn.core.explain.SanityReport;
import org.medcnn.ij.SaliencyOverlays;
import org.medcnn.testing.Fixtures;

/** {@code medcnn saliency}, {@code medcnn sanity} and {@code medcnn bench-saliency} end to end, in process. */
class SaliencyCliTest {

	@TempDir
	Path dir;

	/** Writes a 3-slice 44 x 30 8-bit stack (bright discs on a ramp) with a spatial calibration. */
	private Path stack(String name) {
		ImageStack st = new ImageStack(44, 30);
		for (int i = 0; i < 3; i++) {
			ByteProcessor ip = new ByteProcessor(44, 30);
			for (int y = 0; y < 30; y++) for (int x = 0; x < 44; x++) ip.set(x, y, 110 + 2 * x);
			ip.setValue(255);
			ip.fillOval(4 + 12 * i, 10, 9, 9);
			st.addSlice("z" + (i + 1), ip);
		}
		ImagePlus imp = new ImagePlus(name, st);
		imp.getCalibration().pixelWidth = 0.5;
		imp.getCalibration().pixelHeight = 0.5;
		imp.getCalibration().setUnit("mm");
		Path file = dir.resolve(name);
		assertTrue(new FileSaver(imp).saveAsTiffStack(file.toString()));
		return file;
	}

	private List<String> args(String command, Path input, Path out, String... extra) {
		List<String> a = new ArrayList<>(List.of(command, "--model", Fixtures.tinyModel().toString(), "--input", input.toString(), "--device", "cpu"));
		if (out != null) a.addAll(List.of("--output", out.toString()));
		a.addAll(List.of(extra));
		return a;
	}

	private static ClassifyCliTest.Result cli(List<String> args) {
		return ClassifyCliTest.cli(args.toArray(String[]::new));
	}

	@Test
	void saliencyWritesHeatmapOverlayRegionsAndMontage() throws Exception {
		Path in = stack("ct.tif");
		Path out = dir.resolve("out");
		ClassifyCliTest.Result r = cli(args("saliency", in, out, "--method", "grad_cam", "--target", "bright", "--max-regions", "2", "--top-percent", "8",
			"--montage-slices", "2"));
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("grad_cam of 3 slice(s)"), r.out());
		ImagePlus heat = new Opener().openImage(out.resolve("ct_grad_cam_heatmap.tif").toString());
		assertEquals(32, heat.getBitDepth());
		assertEquals(44, heat.getWidth());
		assertEquals(30, heat.getHeight());
		assertEquals(3, heat.getStackSize());
		assertEquals(0.5, heat.getCalibration().pixelWidth, 0);
		assertEquals("mm", heat.getCalibration().getUnit());

		ImagePlus overlay = new Opener().openImage(out.resolve("ct_grad_cam_overlay.tif").toString());
		Overlay ov = overlay.getOverlay();
		assertNotNull(ov, "the overlay is saved with the TIFF");
		int outlines = 0;
		java.util.Set<Integer> heatmapSlices = new java.util.TreeSet<>();
		for (Roi roi : ov.toArray()) {
			assertTrue(SaliencyOverlays.isSaliency(roi), String.valueOf(roi));
			if (roi instanceof ImageRoi) {
				// TIFF overlays keep the property but not the names of image ROIs.
				heatmapSlices.add(roi.getPosition());
			} else {
				assertEquals(Integer.parseInt(roi.getName().split(":")[1]), roi.getPosition(), roi.getName());
				outlines++;
			}
		}
		assertEquals(java.util.Set.of(1, 2, 3), heatmapSlices);

		List<String> csv = Files.readAllLines(out.resolve("ct_grad_cam_regions.csv"));
		assertEquals(String.join(",", RegionColumns.header()), csv.get(0));
		assertEquals(outlines, csv.size() - 1, "one CSV row per outline ROI");
		assertTrue(csv.get(1).startsWith("ct.tif,1,z1,bright,grad_cam,1,"), csv.get(1));

		ImagePlus montage = new Opener().openImage(out.resolve("ct_grad_cam_montage.png").toString());
		assertNotNull(montage);
		assertEquals(2 * 44 * 5, montage.getWidth(), "two tiles side by side, enlarged 5 times (30 px -> at least 128)");

		ClassifyCliTest.Result again = cli(args("saliency", in, out, "--method", "grad_cam"));
		assertEquals(ExitCodes.OUTPUT, again.code());
		assertTrue(again.err().contains("already exists"), again.err());
		assertEquals(0, cli(args("saliency", in, out, "--method", "grad_cam", "--overwrite", "--quiet")).code());
	}

	@Test
	void saliencyExitCodesNameTheProblem() throws Exception {
		Path in = stack("s.tif");
		Path out = dir.resolve("o");
		ClassifyCliTest.Result r = cli(args("saliency", in, out, "--method", "lime"));
		assertEquals(ExitCodes.USAGE, r.code());
		assertTrue(r.err().contains("method must be one of"), r.err());
		r = cli(args("saliency", in, out, "--target", "tumour"));
		assertEquals(ExitCodes.USAGE, r.code());
		assertTrue(r.err().contains("target 'tumour'") && r.err().contains("[dark, bright]"), r.err());
		r = cli(args("saliency", in, out, "--method", "occlusion", "--patch", "40"));
		assertEquals(ExitCodes.USAGE, r.code());
		assertTrue(r.err().contains("patch 40"), r.err());
		r = cli(args("saliency", dir.resolve("missing.tif"), out));
		assertEquals(ExitCodes.BAD_INPUT, r.code());
		r = cli(List.of("saliency", "--model", "/nonexistent/m", "--input", in.toString(), "--output", out.toString()));
		assertEquals(ExitCodes.MODEL, r.code());
		assertEquals(1, r.errLines().size(), r.err());
	}

	@Test
	void sanityPrintsTheTableAndWritesTheCsv() throws Exception {
		Path in = stack("s.tif");
		Path out = dir.resolve("sanity");
		ClassifyCliTest.Result r = cli(args("sanity", in, out, "--methods", "grad_cam,occlusion", "--max-slices", "2", "--auc-steps", "4", "--patch", "8",
			"--repeats", "2"));
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("grad_cam") && r.out().contains("occlusion") && r.out().contains("head + from conv"), r.out());
		List<String> csv = Files.readAllLines(out.resolve("s_sanity.csv"));
		assertEquals(String.join(",", SanityReport.columns()), csv.get(0));
		assertEquals(1 + 2 * 2, csv.size());
		assertEquals(ExitCodes.USAGE, cli(args("sanity", in, null, "--methods", "edges")).code());
	}

	@Test
	void benchSaliencyRuns() {
		ClassifyCliTest.Result r = ClassifyCliTest.cli("bench-saliency", "--model", Fixtures.tinyModel().toString(), "--slices", "1", "--methods",
			"grad_cam,gradient", "--batch-size", "2", "--repeats", "1");
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("inference (Classify Slices, batch 1)") && r.out().contains("grad_cam") && r.out().contains("gradient"), r.out());
	}
}
