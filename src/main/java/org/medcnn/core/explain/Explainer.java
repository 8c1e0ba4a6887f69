package org.medcnn.core.explain;

import java.util.List;
import org.medcnn.core.progress.Cancellation;

/**
 * Something that gives saliency maps in the model-input frame: the built-in methods
 * ({@link DjlSaliency#explainer(SaliencyRequest)}) or any other function, e.g. a model-independent
 * baseline that the sanity check should flag.
 */
public interface Explainer {

	/** @return the name shown in tables, e.g. {@code grad_cam} */
	String name();

	/**
	 * Computes one map per input.
	 *
	 * @param model the model to explain (a method that ignores it is allowed, and is what the sanity check detects)
	 * @param inputs the inputs
	 * @param targets one class index per input
	 * @param cancellation checked between engine calls
	 * @return one non-negative H x W map per input, in the model-input frame
	 * @throws SaliencyException if the engine fails
	 */
	float[][] explain(ExplainModel model, List<ModelInput> inputs, int[] targets, Cancellation cancellation) throws SaliencyException;
}
