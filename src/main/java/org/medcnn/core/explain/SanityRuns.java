package org.medcnn.core.explain;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;

/**
 * Runs a {@link SanityCheck} on a source, as the command and the command line do: picks a few slices
 * evenly spread over the source and the methods named by the user.
 */
public final class SanityRuns {

	private SanityRuns() {}

	/**
	 * Parses a method list.
	 *
	 * @param text {@code all} or comma-separated method names
	 * @return the methods, in the order given, without repeats
	 * @throws IllegalArgumentException naming an unknown method
	 */
	public static List<SaliencyMethod> methods(String text) {
		if (text == null || text.isBlank() || text.trim().equalsIgnoreCase("all")) return List.of(SaliencyMethod.values());
		Set<SaliencyMethod> out = new LinkedHashSet<>();
		for (String s : text.split(",")) if (!s.isBlank()) out.add(SaliencyMethod.parse(s));
		if (out.isEmpty()) throw new IllegalArgumentException("methods: name at least one of " + SaliencyMethod.names() + " (or all)");
		return new ArrayList<>(out);
	}

	/**
	 * Picks up to {@code count} positions spread evenly over a source, first and last included.
	 *
	 * @param size the number of slices
	 * @param count how many to pick, at least 1
	 * @return 0-based positions, ascending, without repeats
	 */
	public static List<Integer> evenlySpaced(int size, int count) {
		List<Integer> out = new ArrayList<>();
		int k = Math.min(size, Math.max(1, count));
		for (int i = 0; i < k; i++) {
			int p = k == 1 ? size / 2 : (int) Math.round(i * (size - 1) / (double) (k - 1));
			if (out.isEmpty() || out.get(out.size() - 1) != p) out.add(p);
		}
		return out;
	}

	/**
	 * Runs the check on a source.
	 *
	 * @param check the check
	 * @param pkg the model package
	 * @param device the device
	 * @param source the slices
	 * @param maxSlices how many slices, evenly spaced, to use
	 * @param base the methods' parameters and the target (its method is replaced by each of {@code methods})
	 * @param methods the methods under test
	 * @param progress receives progress
	 * @param cancellation checked between engine calls
	 * @return the report
	 * @throws ModelLoadException if the model cannot be loaded
	 * @throws SaliencyException if the engine fails
	 * @throws IllegalArgumentException if the source is empty, a slice cannot be classified or the target is not a class
	 */
	public static SanityReport run(SanityCheck check, ModelPackage pkg, DeviceSpec device, SliceSource source, int maxSlices, SaliencyRequest base,
		List<SaliencyMethod> methods, ProgressListener progress, Cancellation cancellation) throws ModelLoadException, SaliencyException {
		if (source.size() == 0) throw new IllegalArgumentException(source.name() + ": the image has no slices");
		int target = base.targetIndex(pkg.card().classes());
		SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
		List<ModelInput> inputs = new ArrayList<>();
		for (int p : evenlySpaced(source.size(), maxSlices)) inputs.add(ModelInput.of(pre, source.get(p)));
		List<Explainer> explainers = new ArrayList<>();
		for (SaliencyMethod m : methods) explainers.add(DjlSaliency.explainer(base.toBuilder().setMethod(m).build()));
		return check.run(pkg, device, inputs, target, explainers, progress, cancellation);
	}
}
