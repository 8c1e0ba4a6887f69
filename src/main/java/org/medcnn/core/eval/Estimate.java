package org.medcnn.core.eval;

/**
 * A point estimate with its bootstrap 95 % interval ({@link Bootstrap}). An undefined estimate (a
 * class without images has no recall) is NaN, and so is the interval of an estimate computed without
 * resamples.
 *
 * @param value the estimate, NaN when undefined
 * @param low lower end of the interval, NaN when none
 * @param high upper end of the interval, NaN when none
 */
public record Estimate(double value, double low, double high) {

	/**
	 * An estimate without interval.
	 *
	 * @param value the estimate
	 * @return the estimate with a NaN interval
	 */
	public static Estimate of(double value) {
		return new Estimate(value, Double.NaN, Double.NaN);
	}

	/** @return whether the estimate is defined */
	public boolean defined() {
		return !Double.isNaN(value);
	}

	/** @return whether it has an interval */
	public boolean hasInterval() {
		return !Double.isNaN(low) && !Double.isNaN(high);
	}

	/** @return the interval as {low, high} */
	public double[] interval() {
		return new double[] {low, high};
	}
}
