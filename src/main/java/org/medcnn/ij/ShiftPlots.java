package org.medcnn.ij;

import ij.ImagePlus;
import ij.gui.Plot;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medcnn.core.eval.ShiftTest;

/**
 * Draws the result of a shift test: one small plot per shift family, accuracy (blue) and the share of
 * slices flagged out_of_distribution (red) against the strength of the shift, the unchanged slices at 0;
 * all families side by side in one image under one key.
 */
public final class ShiftPlots {

	private ShiftPlots() {}

	/**
	 * One plot per family.
	 *
	 * @param result the shift test result
	 * @param model the model id, for the titles
	 * @return the plots, in the order the families first appear
	 */
	public static List<Plot> plots(ShiftTest.Result result, String model) {
		ShiftTest.Row base = result.rows().get(0);
		Map<String, List<ShiftTest.Row>> families = new LinkedHashMap<>();
		for (ShiftTest.Row r : result.rows()) if (r.level() > 0) families.computeIfAbsent(r.family(), f -> new ArrayList<>()).add(r);
		List<Plot> out = new ArrayList<>();
		for (Map.Entry<String, List<ShiftTest.Row>> e : families.entrySet()) {
			List<ShiftTest.Row> rows = new ArrayList<>();
			rows.add(base);
			rows.addAll(e.getValue());
			double[] x = new double[rows.size()];
			double[] acc = new double[rows.size()];
			double[] flag = new double[rows.size()];
			for (int i = 0; i < rows.size(); i++) {
				x[i] = rows.get(i).level();
				acc[i] = rows.get(i).accuracy();
				flag[i] = rows.get(i).oodFlagged();
			}
			Plot p = new Plot(model + ": " + e.getKey(), e.getKey() + " strength (0 = none)", "share");
			p.setSize(320, 220);
			p.setLimits(-0.2, 4.2, 0, 1.02);
			p.setLineWidth(2);
			p.setColor(Color.BLUE, Color.BLUE);
			p.addPoints(x, acc, Plot.CONNECTED_CIRCLES);
			boolean ood = !Double.isNaN(flag[0]);
			if (ood) {
				p.setColor(Color.RED, Color.RED);
				p.addPoints(x, flag, Plot.CONNECTED_CIRCLES);
			}
			p.setColor(Color.BLACK);
			out.add(p);
		}
		return out;
	}

	/**
	 * All family plots in one RGB image, four per row.
	 *
	 * @param result the shift test result
	 * @param model the model id
	 * @return the image
	 */
	public static ImagePlus montage(ShiftTest.Result result, String model) {
		List<Plot> plots = plots(result, model);
		List<ImageProcessor> images = new ArrayList<>();
		int w = 0;
		int h = 0;
		for (Plot p : plots) {
			ImageProcessor ip = p.getProcessor().convertToRGB();
			images.add(ip);
			w = Math.max(w, ip.getWidth());
			h = Math.max(h, ip.getHeight());
		}
		int cols = Math.min(4, Math.max(1, images.size()));
		int rows = (images.size() + cols - 1) / cols;
		int top = 30;
		ColorProcessor all = new ColorProcessor(cols * w, top + Math.max(1, rows) * h);
		all.setColor(Color.WHITE);
		all.fill();
		for (int i = 0; i < images.size(); i++) all.insert(images.get(i), (i % cols) * w, top + (i / cols) * h);
		// One key for all panels: the shift test of <model>, accuracy in blue, flagged share in red.
		all.setAntialiasedText(true);
		all.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 15));
		all.setColor(Color.BLACK);
		String head = "Shift test of " + model + ":  ";
		all.drawString(head, 10, 22);
		int x = 10 + all.getStringWidth(head);
		all.setColor(Color.BLUE);
		all.drawString("accuracy", x, 22);
		x += all.getStringWidth("accuracy   ");
		boolean ood = !Double.isNaN(result.rows().get(0).oodFlagged());
		if (ood) {
			all.setColor(Color.RED);
			all.drawString("share flagged out of distribution", x, 22);
		}
		return new ImagePlus(String.format(Locale.ROOT, "MedCNN shift test of %s", model), all);
	}
}
