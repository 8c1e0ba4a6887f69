package org.medcnn.ij;

import ij.ImagePlus;
import ij.gui.PolygonRoi;
import ij.gui.Roi;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import ij.process.LUT;
import java.awt.Color;
import java.awt.Font;
import java.util.List;
import java.util.Locale;
import org.medcnn.core.explain.SaliencyMaps;
import org.medcnn.core.explain.SaliencyRun;
import org.medcnn.core.explain.SanityRuns;
import org.medcnn.core.explain.SliceSaliency;

/**
 * Renders a few slices of a run side by side: each slice in grey (its own display range), the heatmap
 * blended over it in the heat LUT, the region outlines, and a caption (slice, class, probability).
 * Slices smaller than 128 pixels are enlarged. Draws into pixels only, so it
 * works headless.
 */
public final class SaliencyMontage {

	/** Tiles are enlarged by a whole factor until their smaller side is at least this many pixels. */
	static final int MIN_TILE = 128;

	private SaliencyMontage() {}

	/**
	 * Renders the montage.
	 *
	 * @param slices the source the run explained
	 * @param run the run
	 * @param count how many slices to show (evenly spaced)
	 * @param opacity heatmap opacity in [0, 1]
	 * @return an RGB image, tiles in rows of up to 4
	 */
	public static ImagePlus render(ImagePlusSlices slices, SaliencyRun run, int count, double opacity) {
		List<Integer> picks = SanityRuns.evenlySpaced(run.slices().size(), count);
		// Small slices are enlarged (whole factors) so that captions and outlines stay legible.
		int f = Math.max(1, (int) Math.ceil(MIN_TILE / (double) Math.min(slices.image().getWidth(), slices.image().getHeight())));
		int w = slices.image().getWidth() * f;
		int h = slices.image().getHeight() * f;
		int caption = Math.max(14, Math.min(24, w / 12));
		int cols = Math.min(4, picks.size());
		int rows = (picks.size() + cols - 1) / cols;
		ColorProcessor out = new ColorProcessor(cols * w, rows * (h + caption));
		out.setColor(Color.BLACK);
		out.fill();
		LUT lut = SaliencyOverlays.heatLut();
		for (int k = 0; k < picks.size(); k++) {
			SliceSaliency s = run.slices().get(picks.get(k));
			ColorProcessor tile = tile(slices, s, lut, opacity, f);
			int ox = (k % cols) * w;
			int oy = (k / cols) * (h + caption);
			out.insert(tile, ox, oy + caption);
			out.setColor(Color.WHITE);
			out.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, caption - 4));
			out.setAntialiasedText(true);
			out.drawString(String.format(Locale.ROOT, "%d: %s %.2f", s.slice(), s.targetClass(), s.probabilities()[s.target()]), ox + 2, oy + caption - 2);
		}
		return new ImagePlus(slices.image().getTitle() + " saliency montage (" + run.method() + ")", out);
	}

	private static ColorProcessor tile(ImagePlusSlices slices, SliceSaliency s, LUT lut, double opacity, int f) {
		ImageProcessor ip = slices.image().getStack().getProcessor(slices.stackIndex(s.position())).duplicate();
		ip.resetMinAndMax();
		ColorProcessor cp = ip.convertToByteProcessor(true).convertToColorProcessor();
		int[] px = (int[]) cp.getPixels();
		float max = SaliencyMaps.max(s.map());
		if (max > 0 && opacity > 0) {
			for (int i = 0; i < px.length; i++) {
				float v = s.map()[i];
				if (v <= 0) continue;
				int idx = Math.round(v / max * 255);
				int r = (px[i] >> 16) & 0xff;
				int g = (px[i] >> 8) & 0xff;
				int b = px[i] & 0xff;
				r = (int) Math.round((1 - opacity) * r + opacity * lut.getRed(idx));
				g = (int) Math.round((1 - opacity) * g + opacity * lut.getGreen(idx));
				b = (int) Math.round((1 - opacity) * b + opacity * lut.getBlue(idx));
				px[i] = 0xff000000 | (r << 16) | (g << 8) | b;
			}
		}
		if (f > 1) {
			cp.setInterpolationMethod(ImageProcessor.BILINEAR);
			cp = (ColorProcessor) cp.resize(cp.getWidth() * f, cp.getHeight() * f);
		}
		cp.setColor(SaliencyOverlays.REGION_COLOUR);
		for (var region : s.regions()) {
			int[] xs = region.xs().clone();
			int[] ys = region.ys().clone();
			for (int i = 0; i < xs.length; i++) {
				xs[i] *= f;
				ys[i] *= f;
			}
			new PolygonRoi(xs, ys, xs.length, Roi.POLYGON).drawPixels(cp);
		}
		return cp;
	}
}
