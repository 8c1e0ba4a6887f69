package org.medcnn.core.explain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Turns a saliency map into regions: the top {@code top_percent} most salient pixels, their
 * 8-connected components, the largest {@code max_regions} of them with their holes filled, each
 * with its outline as a polygon on pixel corners (what ImageJ's wand traces), so that the polygon's
 * interior is exactly the region's pixels.
 */
public final class SaliencyRegions {

	private SaliencyRegions() {}

	/**
	 * One region of a slice, in the slice's pixel coordinates.
	 *
	 * @param xs outline x coordinates, on pixel corners (clockwise on screen; no repeated last vertex)
	 * @param ys outline y coordinates
	 * @param area pixels inside the outline
	 * @param centroidX mean x of the pixel centres (pixel (0, 0) has its centre at 0.5)
	 * @param centroidY mean y of the pixel centres
	 * @param share the region's saliency divided by the slice's total saliency, in [0, 1]
	 */
	public record Region(int[] xs, int[] ys, int area, double centroidX, double centroidY, double share) {}

	/**
	 * Finds the regions of a map. Pixels with saliency 0 never count; ties at the threshold are kept.
	 *
	 * @param map non-negative saliency, row-major
	 * @param width map width
	 * @param height map height
	 * @param topPercent share of the pixels to keep, in (0, 100]
	 * @param maxRegions most regions to return, at least 0
	 * @return regions, largest area first (equal areas: larger share first); empty when the map is all zero
	 * @throws IllegalArgumentException if the sizes or parameters are invalid
	 */
	public static List<Region> find(float[] map, int width, int height, double topPercent, int maxRegions) {
		if (width < 1 || height < 1 || map.length != width * height) throw new IllegalArgumentException("map has " + map.length + " values for " + width + "x" + height);
		if (!(topPercent > 0 && topPercent <= 100)) throw new IllegalArgumentException("top_percent must be in (0, 100], got " + topPercent);
		if (maxRegions < 0) throw new IllegalArgumentException("max_regions must be at least 0, got " + maxRegions);
		int n = map.length;
		double total = 0;
		for (float v : map) if (v > 0) total += v;
		if (maxRegions == 0 || !(total > 0)) return List.of();
		float threshold = threshold(map, topPercent);
		boolean[] mask = new boolean[n];
		for (int i = 0; i < n; i++) mask[i] = map[i] > 0 && map[i] >= threshold;

		List<int[]> components = components(mask, width, height);
		List<Region> regions = new ArrayList<>();
		// Rank by area, then by saliency, on the components themselves; fill holes only for the kept ones.
		double[] sums = new double[components.size()];
		for (int c = 0; c < components.size(); c++) for (int p : components.get(c)) sums[c] += map[p];
		Integer[] order = new Integer[components.size()];
		for (int i = 0; i < order.length; i++) order[i] = i;
		Arrays.sort(order, Comparator.<Integer>comparingInt(c -> -components.get(c).length).thenComparingDouble(c -> -sums[c]).thenComparingInt(c -> c));
		for (int k = 0; k < Math.min(maxRegions, order.length); k++) {
			int[] filled = fillHoles(components.get(order[k]), width, height);
			double sum = 0;
			double cx = 0;
			double cy = 0;
			for (int p : filled) {
				if (map[p] > 0) sum += map[p];
				cx += p % width + 0.5;
				cy += p / width + 0.5;
			}
			int[][] poly = outline(filled, width);
			regions.add(new Region(poly[0], poly[1], filled.length, cx / filled.length, cy / filled.length, Math.min(1, sum / total)));
		}
		regions.sort(Comparator.comparingInt((Region r) -> -r.area()).thenComparingDouble(r -> -r.share()));
		return regions;
	}

	/**
	 * Returns the value of the k-th largest pixel, k = ceil(topPercent / 100 * pixels).
	 *
	 * @param map the map
	 * @param topPercent share in percent
	 * @return the threshold
	 */
	static float threshold(float[] map, double topPercent) {
		int k = (int) Math.max(1, Math.min(map.length, Math.ceil(topPercent / 100.0 * map.length - 1e-9)));
		float[] sorted = map.clone();
		Arrays.sort(sorted);
		return sorted[map.length - k];
	}

	/** Labels 8-connected components of a mask; each as its pixel indices in raster order of discovery. */
	static List<int[]> components(boolean[] mask, int w, int h) {
		int[] label = new int[mask.length];
		int[] queue = new int[mask.length];
		List<int[]> out = new ArrayList<>();
		for (int start = 0; start < mask.length; start++) {
			if (!mask[start] || label[start] != 0) continue;
			int id = out.size() + 1;
			int head = 0;
			int tail = 0;
			queue[tail++] = start;
			label[start] = id;
			while (head < tail) {
				int p = queue[head++];
				int x = p % w;
				int y = p / w;
				for (int dy = -1; dy <= 1; dy++) {
					int yy = y + dy;
					if (yy < 0 || yy >= h) continue;
					for (int dx = -1; dx <= 1; dx++) {
						int xx = x + dx;
						if (xx < 0 || xx >= w || (dx == 0 && dy == 0)) continue;
						int q = yy * w + xx;
						if (mask[q] && label[q] == 0) {
							label[q] = id;
							queue[tail++] = q;
						}
					}
				}
			}
			int[] pix = Arrays.copyOf(queue, tail);
			Arrays.sort(pix);
			out.add(pix);
		}
		return out;
	}

	/**
	 * Adds to a component the background pixels it encloses: those that cannot reach the outside of its
	 * bounding box through 4-connected background (the dual of 8-connected foreground).
	 */
	static int[] fillHoles(int[] pixels, int w, int h) {
		int x0 = Integer.MAX_VALUE;
		int y0 = Integer.MAX_VALUE;
		int x1 = -1;
		int y1 = -1;
		for (int p : pixels) {
			int x = p % w;
			int y = p / w;
			x0 = Math.min(x0, x);
			y0 = Math.min(y0, y);
			x1 = Math.max(x1, x);
			y1 = Math.max(y1, y);
		}
		int bw = x1 - x0 + 3;
		int bh = y1 - y0 + 3;
		boolean[] in = new boolean[bw * bh];
		for (int p : pixels) in[(p / w - y0 + 1) * bw + (p % w - x0 + 1)] = true;
		boolean[] outside = new boolean[bw * bh];
		int[] queue = new int[bw * bh];
		int head = 0;
		int tail = 0;
		queue[tail++] = 0;
		outside[0] = true;
		while (head < tail) {
			int q = queue[head++];
			int x = q % bw;
			int y = q / bw;
			int[] nb = {x > 0 ? q - 1 : -1, x < bw - 1 ? q + 1 : -1, y > 0 ? q - bw : -1, y < bh - 1 ? q + bw : -1};
			for (int r : nb) {
				if (r >= 0 && !in[r] && !outside[r]) {
					outside[r] = true;
					queue[tail++] = r;
				}
			}
		}
		int count = 0;
		for (int i = 0; i < in.length; i++) if (!outside[i]) count++;
		int[] filled = new int[count];
		int k = 0;
		for (int y = 1; y < bh - 1; y++) {
			for (int x = 1; x < bw - 1; x++) {
				if (!outside[y * bw + x]) filled[k++] = (y - 1 + y0) * w + (x - 1 + x0);
			}
		}
		return filled;
	}

	/**
	 * Traces the outline of an 8-connected region without holes along pixel edges, clockwise on screen.
	 * Where two region pixels touch only at a corner the outline passes through that corner twice, so
	 * both stay inside one polygon. Collinear vertices are merged.
	 *
	 * @return {xs, ys}
	 */
	static int[][] outline(int[] pixels, int w) {
		int x0 = Integer.MAX_VALUE;
		int y0 = Integer.MAX_VALUE;
		int x1 = -1;
		int y1 = -1;
		for (int p : pixels) {
			x0 = Math.min(x0, p % w);
			y0 = Math.min(y0, p / w);
			x1 = Math.max(x1, p % w);
			y1 = Math.max(y1, p / w);
		}
		int bw = x1 - x0 + 1;
		int bh = y1 - y0 + 1;
		boolean[] in = new boolean[bw * bh];
		for (int p : pixels) in[(p / w - y0) * bw + (p % w - x0)] = true;
		// Vertices on a (bw+1) x (bh+1) grid; each has at most two outgoing boundary edges.
		int vw = bw + 1;
		int[][] dir = new int[vw * (bh + 1)][];
		int[][] owner = new int[vw * (bh + 1)][];
		final int right = 0;
		final int down = 1;
		final int left = 2;
		final int up = 3;
		for (int y = 0; y < bh; y++) {
			for (int x = 0; x < bw; x++) {
				int p = y * bw + x;
				if (!in[p]) continue;
				if (y == 0 || !in[p - bw]) addEdge(dir, owner, y * vw + x, right, p);
				if (x == bw - 1 || !in[p + 1]) addEdge(dir, owner, y * vw + x + 1, down, p);
				if (y == bh - 1 || !in[p + bw]) addEdge(dir, owner, (y + 1) * vw + x + 1, left, p);
				if (x == 0 || !in[p - 1]) addEdge(dir, owner, (y + 1) * vw + x, up, p);
			}
		}
		// Start on the top edge of the first pixel in raster order: always on the outer boundary.
		int first = 0;
		while (!in[first]) first++;
		int startV = (first / bw) * vw + first % bw;
		int v = startV;
		int e = indexOf(dir[v], right, owner[v], first);
		List<int[]> pts = new ArrayList<>();
		int prevDir = -1;
		int guard = 4 * pixels.length + 8;
		do {
			int d = dir[v][e];
			int p = owner[v][e];
			if (d != prevDir) pts.add(new int[] {v % vw + x0, v / vw + y0});
			prevDir = d;
			int nv = switch (d) {
				case right -> v + 1;
				case down -> v + vw;
				case left -> v - 1;
				default -> v - vw;
			};
			v = nv;
			if (dir[v].length == 1) {
				e = 0;
			} else {
				// Two ways on at a corner where region pixels touch diagonally: move to the other pixel (8-connectivity).
				e = owner[v][0] != p ? 0 : 1;
			}
			if (--guard < 0) throw new IllegalStateException("outline tracing did not close");
		} while (!(v == startV && dir[v][e] == right && owner[v][e] == first));
		// The start vertex is a corner unless the last edge runs along the first one.
		if (prevDir == right && pts.size() > 1) pts.remove(0);
		int[] xs = new int[pts.size()];
		int[] ys = new int[pts.size()];
		for (int i = 0; i < xs.length; i++) {
			xs[i] = pts.get(i)[0];
			ys[i] = pts.get(i)[1];
		}
		return new int[][] {xs, ys};
	}

	private static void addEdge(int[][] dir, int[][] owner, int v, int d, int p) {
		if (dir[v] == null) {
			dir[v] = new int[] {d};
			owner[v] = new int[] {p};
		} else {
			dir[v] = new int[] {dir[v][0], d};
			owner[v] = new int[] {owner[v][0], p};
		}
	}

	private static int indexOf(int[] dirs, int d, int[] owners, int p) {
		for (int i = 0; i < dirs.length; i++) if (dirs[i] == d && owners[i] == p) return i;
		throw new IllegalStateException("no boundary edge " + d + " for pixel " + p);
	}

	/**
	 * Computes a polygon's area with the shoelace formula (positive for the clockwise-on-screen outlines
	 * of {@link #find}).
	 *
	 * @param xs x coordinates
	 * @param ys y coordinates
	 * @return the area
	 */
	public static double polygonArea(int[] xs, int[] ys) {
		long s = 0;
		for (int i = 0; i < xs.length; i++) {
			int j = (i + 1) % xs.length;
			s += (long) xs[i] * ys[j] - (long) xs[j] * ys[i];
		}
		return s / 2.0;
	}
}
