package org.medcnn.core.explain;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.medcnn.core.image.SlicePreprocessor.Placement;
import org.medcnn.core.math.Probabilities;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelLoadException;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;

/**
 * Can the saliency maps be trusted to show what the model uses? Two checks per method:
 * <ol>
 * <li>The cascading model-parameter randomisation test of Adebayo et al. (2018, "Sanity checks for
 * saliency maps"): the head is randomised, then the trunk's blocks from the last one backwards, one
 * more at each stage, and the maps are recomputed for the same inputs and target classes. Each
 * stage's maps are compared with the original ones by Spearman rank correlation and SSIM (inside the
 * slice, never the letterbox padding; averaged over the inputs and over {@code repeats} independent
 * randomisations). A method whose maps still correlate with the original ones when the model is fully
 * randomised (mean Spearman at the last stage at least {@code max_correlation}) does not depend on the
 * model, and fails. Maps that are all zero carry no ranking and count as unrelated to any other map.</li>
 * <li>The deletion and insertion AUCs of Petsiuk et al. (2018) on the original model
 * ({@link DeletionInsertion}).</li>
 * </ol>
 * The randomised model is a second copy loaded for the check; the original is never changed.
 */
public final class SanityCheck {

	private final int cascadeBlocks;
	private final double maxCorrelation;
	private final int repeats;
	private final int aucSteps;
	private final int batchSize;
	private final long seed;

	private SanityCheck(Builder b) {
		this.cascadeBlocks = b.blocks;
		this.maxCorrelation = b.maxCorrelation;
		this.repeats = b.repeats;
		this.aucSteps = b.aucSteps;
		this.batchSize = b.batchSize;
		this.seed = b.seed;
	}

	/** @return a builder with the defaults: 3 blocks, max correlation 0.5, 3 repeats, 16 AUC steps, batch 8, seed 1 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Runs the check.
	 *
	 * @param pkg the model package
	 * @param device the device for both copies
	 * @param inputs the slices to explain, preprocessed ({@link ModelInput#of})
	 * @param target the class to explain (index), or -1 for each input's predicted class (fixed at every stage)
	 * @param explainers the methods under test
	 * @param progress receives one step per method and stage
	 * @param cancellation checked between engine calls
	 * @return the report
	 * @throws ModelLoadException if the model cannot be loaded
	 * @throws SaliencyException if the engine fails
	 * @throws IllegalArgumentException if there are no inputs or no methods
	 */
	public SanityReport run(ModelPackage pkg, DeviceSpec device, List<ModelInput> inputs, int target, List<Explainer> explainers, ProgressListener progress,
		Cancellation cancellation) throws ModelLoadException, SaliencyException {
		if (inputs.isEmpty()) throw new IllegalArgumentException("the sanity check needs at least one slice");
		if (explainers.isEmpty()) throw new IllegalArgumentException("the sanity check needs at least one method");
		int n = inputs.size();
		try (ExplainModel original = ExplainModel.load(pkg, device)) {
			int fw = original.input().width();
			int fh = original.input().height();
			int plane = fw * fh;
			float[] all = new float[n * plane];
			for (int i = 0; i < n; i++) System.arraycopy(inputs.get(i).unit(), 0, all, i * plane, plane);
			float[][] logits = original.logits(all, n);
			int[] targets = new int[n];
			for (int i = 0; i < n; i++) targets[i] = target >= 0 ? target : Probabilities.argmax(logits[i]);

			List<String> blocks = original.blocks();
			int depth = Math.min(cascadeBlocks, blocks.size());
			List<String> stages = new ArrayList<>();
			// a whole model has no head of its own (it is inside the TorchScript file): its cascade starts at its last block
			boolean head = original.hasFeatureMap();
			if (head) stages.add("head");
			for (int k = 1; k <= depth; k++) {
				String from = (k == 1 ? "" : k + " blocks ") + "from " + blocks.get(blocks.size() - k);
				stages.add(head ? "head + " + from : (k == 1 ? "last block, " : "") + from);
			}
			int m = explainers.size();
			long units = (long) m * (1 + (long) stages.size() * repeats);
			long done = 0;

			float[][][] reference = new float[m][][];
			DeletionInsertion.Auc[] aucs = new DeletionInsertion.Auc[m];
			for (int e = 0; e < m; e++) {
				Explainer ex = explainers.get(e);
				progress.progress("sanity check: " + ex.name() + " on the original model", done, units);
				reference[e] = ex.explain(original, inputs, targets, cancellation);
				double del = 0;
				double ins = 0;
				for (int i = 0; i < n; i++) {
					DeletionInsertion.Auc a = DeletionInsertion.auc(original, inputs.get(i), reference[e][i], targets[i], aucSteps, batchSize, cancellation);
					del += a.deletion();
					ins += a.insertion();
				}
				aucs[e] = new DeletionInsertion.Auc(del / n, ins / n);
				done++;
			}
			double[][] spearman = new double[m][stages.size()];
			double[][] ssim = new double[m][stages.size()];
			// Each repeat randomises a fresh copy with its own seeds; the similarities are averaged over
			// repeats and inputs, so one lucky draw of a small head cannot decide the verdict.
			for (int rep = 0; rep < repeats; rep++) {
				try (ExplainModel random = ExplainModel.load(pkg, device)) {
					for (int s = 0; s < stages.size(); s++) {
						long stageSeed = seed + 1_000_003L * rep + s;
						if (head && s == 0) random.randomizeHead(stageSeed);
						else random.randomizeBlock(blocks.get(blocks.size() - (head ? s : s + 1)), stageSeed);
						for (int e = 0; e < m; e++) {
							Explainer ex = explainers.get(e);
							progress.progress("sanity check: " + ex.name() + ", randomised " + stages.get(s) + " (" + (rep + 1) + "/" + repeats + ")", done, units);
							float[][] maps = ex.explain(random, inputs, targets, cancellation);
							for (int i = 0; i < n; i++) {
								Placement p = inputs.get(i).placement();
								float[] a = SaliencyMaps.crop(reference[e][i], fw, fh, p);
								float[] b = SaliencyMaps.crop(maps[i], fw, fh, p);
								spearman[e][s] += MapSimilarity.spearman(a, b) / (n * repeats);
								ssim[e][s] += MapSimilarity.ssim(a, b, p.width(), p.height()) / (n * repeats);
							}
							done++;
						}
					}
				}
			}
			progress.progress("sanity check", units, units);
			List<SanityReport.Row> rows = new ArrayList<>();
			int last = stages.size() - 1;
			for (int e = 0; e < m; e++) {
				boolean passes = spearman[e][last] < maxCorrelation;
				String verdict = passes ? "pass" : String.format(Locale.ROOT, "FAIL: maps barely change when the model is randomised (Spearman %.2f >= %.2f)",
					spearman[e][last], maxCorrelation);
				for (int s = 0; s < stages.size(); s++) {
					rows.add(new SanityReport.Row(explainers.get(e).name(), s + 1, stages.get(s), spearman[e][s], ssim[e][s], aucs[e].deletion(), aucs[e].insertion(),
						passes, verdict));
				}
			}
			return new SanityReport(pkg.card().id(), pkg.shortSha(), original.deviceName(), n, maxCorrelation, stages, rows);
		}
	}

	/** Builds a {@link SanityCheck}; every setting is optional. */
	public static final class Builder {
		private int blocks = 3;
		private double maxCorrelation = 0.5;
		private int repeats = 3;
		private int aucSteps = 16;
		private int batchSize = 8;
		private long seed = 1;

		private Builder() {}

		/**
		 * Sets how many trunk blocks, from the last, the cascade randomises after the head (default 3;
		 * 0: the head only; more than the trunk has: all of them).
		 *
		 * @param n 0 to 1000
		 * @return this builder
		 */
		public Builder optBlocks(int n) {
			this.blocks = n;
			return this;
		}

		/**
		 * Sets the mean Spearman correlation at the last stage from which a method fails (default 0.5).
		 * A strongly negative correlation counts as a change.
		 *
		 * @param r in (-1, 1]
		 * @return this builder
		 */
		public Builder optMaxCorrelation(double r) {
			this.maxCorrelation = r;
			return this;
		}

		/**
		 * Sets how many independent randomisations the similarities are averaged over (default 3).
		 *
		 * @param n 1 to 100
		 * @return this builder
		 */
		public Builder optRepeats(int n) {
			this.repeats = n;
			return this;
		}

		/**
		 * Sets the points of the deletion and insertion curves after the start (default 16).
		 *
		 * @param n 1 to 1000
		 * @return this builder
		 */
		public Builder optAucSteps(int n) {
			this.aucSteps = n;
			return this;
		}

		/**
		 * Sets the images per engine call of the deletion and insertion curves (default 8).
		 *
		 * @param n 1 to 1024
		 * @return this builder
		 */
		public Builder optBatchSize(int n) {
			this.batchSize = n;
			return this;
		}

		/**
		 * Sets the seed of the randomisation (default 1).
		 *
		 * @param s the seed
		 * @return this builder
		 */
		public Builder optSeed(long s) {
			this.seed = s;
			return this;
		}

		/**
		 * Validates and builds.
		 *
		 * @return the check
		 * @throws IllegalArgumentException naming the first invalid setting
		 */
		public SanityCheck build() {
			if (blocks < 0 || blocks > 1000) throw new IllegalArgumentException("blocks must be between 0 and 1000, got " + blocks);
			if (!(maxCorrelation >= -0.99 && maxCorrelation <= 1)) throw new IllegalArgumentException("max_correlation must be between -0.99 and 1, got " + maxCorrelation);
			if (repeats < 1 || repeats > 100) throw new IllegalArgumentException("repeats must be between 1 and 100, got " + repeats);
			if (aucSteps < 1 || aucSteps > 1000) throw new IllegalArgumentException("auc_steps must be between 1 and 1000, got " + aucSteps);
			if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("batch_size must be between 1 and 1024, got " + batchSize);
			return new SanityCheck(this);
		}
	}
}
