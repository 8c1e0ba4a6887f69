package org.medcnn.core.eval;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.medcnn.core.image.Resampling;
import org.medcnn.core.image.Slice;

/**
 * Graded synthetic appearance shifts of a slice, in its physical units and at its own size: what
 * another scanner, protocol, export or viewer does to an image the model was not trained on. Each family
 * has strengths 1 to 4 (0 is the slice unchanged); noise is seeded by the slice.
 */
public final class Shifts {

	private Shifts() {}

	/** A shift of one family at one strength. */
	public interface Shift {
		/** @return the family, e.g. {@code gamma} */
		String family();

		/** @return the strength, 0 (none) to 4 */
		int level();

		/** @return the parameter at this strength, e.g. {@code gamma=0.5} */
		String parameter();

		/**
		 * Applies the shift.
		 *
		 * @param s the slice (not modified)
		 * @param seed seed of any randomness (the caller passes one per slice)
		 * @return the shifted slice, same index, label and size
		 */
		Slice apply(Slice s, long seed);
	}

	/** The shift that changes nothing. */
	public static final Shift NONE = shift("none", 0, "none", (s, seed) -> s);

	/** Applies one shift function. */
	@FunctionalInterface
	public interface Function {
		/**
		 * @param s the slice
		 * @param seed the seed
		 * @return the shifted slice
		 */
		Slice apply(Slice s, long seed);
	}

	/**
	 * Makes a shift.
	 *
	 * @param family the family
	 * @param level the strength
	 * @param parameter the parameter text
	 * @param f the function
	 * @return the shift
	 */
	public static Shift shift(String family, int level, String parameter, Function f) {
		return new Shift() {
			@Override
			public String family() {
				return family;
			}

			@Override
			public int level() {
				return level;
			}

			@Override
			public String parameter() {
				return parameter;
			}

			@Override
			public Slice apply(Slice s, long seed) {
				return f.apply(s, seed);
			}

			@Override
			public String toString() {
				return family + " " + level + " (" + parameter + ")";
			}
		};
	}

	/**
	 * The families that need nothing but arithmetic, four strengths each: a narrower intensity window
	 * (saturating both ends, as another CT window or export does), gamma, Gaussian blur, Gaussian noise,
	 * a lower resolution (down-sampled, then back to the slice's size) and a colour-map rendering (the grey
	 * slice rendered with a rainbow colour map and read back as the mean of R, G and B, as MedCNN reads
	 * RGB images), blended in steps.
	 *
	 * @return the shifts, family by family, strength 1 to 4
	 */
	public static List<Shift> arithmetic() {
		List<Shift> out = new java.util.ArrayList<>();
		for (int l = 1; l <= 4; l++) {
			double p = new double[] {2, 5, 10, 20}[l - 1];
			out.add(shift("window", l, String.format(Locale.ROOT, "clip to percentiles %.0f-%.0f", p, 100 - p), (s, seed) -> window(s, p)));
		}
		for (int l = 1; l <= 4; l++) {
			double g = new double[] {0.7, 0.5, 0.35, 0.25}[l - 1];
			out.add(shift("gamma", l, "gamma=" + g, (s, seed) -> gamma(s, g)));
		}
		for (int l = 1; l <= 4; l++) {
			double sigma = new double[] {0.5, 1, 2, 4}[l - 1];
			out.add(shift("blur", l, "sigma=" + sigma + " px at 224 px", (s, seed) -> blur(s, sigma * Math.max(s.width(), s.height()) / 224.0)));
		}
		for (int l = 1; l <= 4; l++) {
			double n = new double[] {0.02, 0.05, 0.1, 0.2}[l - 1];
			out.add(shift("noise", l, "sd=" + n + " of the 0.5-99.5 percentile range", (s, seed) -> noise(s, n, seed)));
		}
		for (int l = 1; l <= 4; l++) {
			int f = new int[] {2, 4, 8, 16}[l - 1];
			out.add(shift("resolution", l, "1/" + f + " of the size, back up", (s, seed) -> resolution(s, f)));
		}
		for (int l = 1; l <= 4; l++) {
			double a = l / 4.0;
			out.add(shift("colormap", l, "rainbow colour map, blend " + a, (s, seed) -> colormap(s, a)));
		}
		return out;
	}

	/** Percentile of values (nearest rank on a sorted copy). */
	static double[] percentiles(float[] v, double low, double high) {
		float[] s = v.clone();
		Arrays.sort(s);
		int n = s.length;
		return new double[] {s[(int) Math.min(n - 1, Math.floor(low / 100 * (n - 1)))], s[(int) Math.min(n - 1, Math.ceil(high / 100 * (n - 1)))]};
	}

	private static Slice with(Slice s, float[] px) {
		return new Slice(s.index(), s.label(), s.width(), s.height(), px);
	}

	/**
	 * Clips to the {@code p} and {@code 100 - p} percentiles and stretches that window back over the slice's
	 * 0.5-99.5 percentile range: the ends saturate, the middle gains contrast.
	 *
	 * @param s the slice
	 * @param p the lower percentile, below 50
	 * @return the shifted slice
	 */
	public static Slice window(Slice s, double p) {
		float[] v = s.pixels();
		double[] range = percentiles(v, 0.5, 99.5);
		double[] w = percentiles(v, p, 100 - p);
		double span = w[1] - w[0];
		float[] out = new float[v.length];
		for (int i = 0; i < v.length; i++) {
			double t = span > 0 ? Math.max(0, Math.min(1, (v[i] - w[0]) / span)) : 0.5;
			out[i] = (float) (range[0] + t * (range[1] - range[0]));
		}
		return with(s, out);
	}

	/**
	 * Gamma on the slice's 0.5-99.5 percentile range: values are mapped to [0, 1] (clamped), raised to
	 * {@code g}, and mapped back.
	 *
	 * @param s the slice
	 * @param g the gamma, positive
	 * @return the shifted slice
	 */
	public static Slice gamma(Slice s, double g) {
		float[] v = s.pixels();
		double[] r = percentiles(v, 0.5, 99.5);
		double span = r[1] - r[0];
		float[] out = new float[v.length];
		for (int i = 0; i < v.length; i++) {
			double t = span > 0 ? Math.max(0, Math.min(1, (v[i] - r[0]) / span)) : 0;
			out[i] = (float) (r[0] + Math.pow(t, g) * span);
		}
		return with(s, out);
	}

	/**
	 * Separable Gaussian blur, edges clamped.
	 *
	 * @param s the slice
	 * @param sigma standard deviation in pixels
	 * @return the blurred slice
	 */
	public static Slice blur(Slice s, double sigma) {
		if (sigma <= 0) return s;
		int r = (int) Math.ceil(3 * sigma);
		double[] k = new double[2 * r + 1];
		double sum = 0;
		for (int i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
		for (int i = 0; i < k.length; i++) k[i] /= sum;
		int w = s.width();
		int h = s.height();
		float[] v = s.pixels();
		float[] tmp = new float[v.length];
		float[] out = new float[v.length];
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				double a = 0;
				for (int i = -r; i <= r; i++) a += k[i + r] * v[y * w + Math.max(0, Math.min(w - 1, x + i))];
				tmp[y * w + x] = (float) a;
			}
		}
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				double a = 0;
				for (int i = -r; i <= r; i++) a += k[i + r] * tmp[Math.max(0, Math.min(h - 1, y + i)) * w + x];
				out[y * w + x] = (float) a;
			}
		}
		return with(s, out);
	}

	/**
	 * Adds Gaussian noise.
	 *
	 * @param s the slice
	 * @param fraction its standard deviation, as a fraction of the slice's 0.5-99.5 percentile range
	 * @param seed the seed
	 * @return the noisy slice
	 */
	public static Slice noise(Slice s, double fraction, long seed) {
		float[] v = s.pixels();
		double[] r = percentiles(v, 0.5, 99.5);
		double sd = fraction * (r[1] - r[0]);
		SplittableRandom rnd = new SplittableRandom(seed);
		float[] out = new float[v.length];
		for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] + sd * rnd.nextGaussian());
		return with(s, out);
	}

	/**
	 * Lowers the resolution: down-sampled by a factor (antialiased), then resized back to the slice's size.
	 *
	 * @param s the slice
	 * @param factor the factor, at least 1
	 * @return the shifted slice
	 */
	public static Slice resolution(Slice s, int factor) {
		int w = s.width();
		int h = s.height();
		int dw = Math.max(1, w / factor);
		int dh = Math.max(1, h / factor);
		float[] small = Resampling.resize(s.pixels(), w, h, dw, dh);
		return with(s, Resampling.resize(small, dw, dh, w, h));
	}

	/**
	 * Renders the slice with a rainbow colour map (blue, cyan, green, yellow, red over its 0.5-99.5
	 * percentile range) and reads it back as the mean of R, G and B, blended with the grey slice.
	 *
	 * @param s the slice
	 * @param alpha the weight of the colour-map rendering, 0 to 1
	 * @return the shifted slice
	 */
	public static Slice colormap(Slice s, double alpha) {
		float[] v = s.pixels();
		double[] r = percentiles(v, 0.5, 99.5);
		double span = r[1] - r[0];
		float[] out = new float[v.length];
		for (int i = 0; i < v.length; i++) {
			double t = span > 0 ? Math.max(0, Math.min(1, (v[i] - r[0]) / span)) : 0;
			// A jet-like map: each channel a clipped triangle over t.
			double red = clamp(1.5 - Math.abs(4 * t - 3));
			double green = clamp(1.5 - Math.abs(4 * t - 2));
			double blue = clamp(1.5 - Math.abs(4 * t - 1));
			double grey = (red + green + blue) / 3;
			out[i] = (float) (r[0] + ((1 - alpha) * t + alpha * grey) * span);
		}
		return with(s, out);
	}

	private static double clamp(double x) {
		return Math.max(0, Math.min(1, x));
	}
}
