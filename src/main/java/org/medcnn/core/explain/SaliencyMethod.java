package org.medcnn.core.explain;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The saliency methods. Every method gives one non-negative map per slice, computed in the model's
 * input frame for one target class and then mapped back to the slice:
 * <ul>
 * <li>gradient methods ({@link #GRADIENT}, {@link #SMOOTHGRAD}, {@link #INTEGRATED_GRADIENTS}) differentiate
 * the target logit with respect to the grey input image (after the intensity policy, before the channel
 * normalisation, so the three replicated channels count once) and show the absolute value;</li>
 * <li>{@link #GRAD_CAM} and {@link #GRAD_CAM_PP} weight the trunk's feature map and keep the positive part;</li>
 * <li>{@link #OCCLUSION} shows how much the target logit drops when a patch is replaced by the baseline,
 * positive part.</li>
 * </ul>
 */
public enum SaliencyMethod {
	/** Vanilla input gradient |dy_c/du| (Simonyan et al. 2014). */
	GRADIENT("gradient"),
	/** Mean absolute input gradient over noisy copies of the input (Smilkov et al. 2017). */
	SMOOTHGRAD("smoothgrad"),
	/** |(u - u0) * mean of the gradients along the straight path from the baseline u0| (Sundararajan et al. 2017). */
	INTEGRATED_GRADIENTS("integrated_gradients"),
	/** ReLU of the feature channels weighted by their mean gradient (Selvaraju et al. 2017). */
	GRAD_CAM("grad_cam"),
	/** Grad-CAM with the higher-order pixel weights of Chattopadhay et al. (2018). */
	GRAD_CAM_PP("grad_cam_pp"),
	/** Drop of the target logit when a sliding patch is replaced by the baseline (Zeiler and Fergus 2014). */
	OCCLUSION("occlusion");

	private final String id;

	SaliencyMethod(String id) {
		this.id = id;
	}

	/** @return the name used in macros, the command line, ROI names and tables, e.g. {@code grad_cam} */
	public String id() {
		return id;
	}

	/** @return true if the method needs the gradient of the model (all but occlusion) */
	public boolean usesGradients() {
		return this != OCCLUSION;
	}

	/**
	 * Parses a method name; case, '-' and '_' do not matter ({@code grad-cam++} is Grad-CAM++).
	 *
	 * @param text the name
	 * @return the method
	 * @throws IllegalArgumentException listing the valid names for any other text
	 */
	public static SaliencyMethod parse(String text) {
		if (text != null) {
			String t = text.trim().toLowerCase(Locale.ROOT).replace('-', '_').replace("++", "_pp").replace("gradcam", "grad_cam");
			for (SaliencyMethod m : values()) if (m.id.equals(t)) return m;
		}
		throw new IllegalArgumentException("method must be one of " + names() + ", got '" + text + "'");
	}

	/** @return the valid names, comma separated */
	public static String names() {
		return Arrays.stream(values()).map(SaliencyMethod::id).collect(Collectors.joining(", "));
	}

	@Override
	public String toString() {
		return id;
	}
}
