package org.medcnn.core.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.medcnn.core.Messages;
import org.medcnn.core.ood.OodDetector;

/**
 * A verified model package folder: {@code model.json}, the TorchScript trunk, the linear head and
 * optional examples. Opening checks every file's SHA-256 against the card and that the head fits the
 * card's classes; the trunk itself is checked when the engine loads it ({@link ClassifierModel}).
 */
public final class ModelPackage {

	/** The card file name inside a package folder. */
	public static final String CARD = "model.json";

	private final Path dir;
	private final ModelCard card;
	private final List<Head> heads;
	private final LinearHead head;
	private final String sha256;
	private final OodDetector ood;

	private ModelPackage(Path dir, ModelCard card, List<Head> heads, String sha256, OodDetector ood) throws ModelLoadException {
		this.dir = dir;
		this.card = card;
		this.heads = List.copyOf(heads);
		this.ood = ood;
		int f = heads.get(0).head().features();
		for (Head h : heads) {
			if (h.head().features() != f) {
				throw new ModelLoadException(dir.resolve(CARD) + ": ensemble heads disagree on the trunk features (" + f + " and " + h.head().features() + ")");
			}
		}
		this.head = heads.size() == 1 ? heads.get(0).head() : LinearHead.average(heads.stream().map(Head::head).toList());
		this.sha256 = sha256;
	}

	/**
	 * Opens and verifies a package folder.
	 *
	 * @param dir the folder holding {@code model.json}
	 * @return the package
	 * @throws ModelLoadException naming the file when something is missing, altered or inconsistent
	 */
	public static ModelPackage open(Path dir) throws ModelLoadException {
		if (!Files.isDirectory(dir)) throw new ModelLoadException(dir + ": model folder not found");
		Path cardFile = dir.resolve(CARD);
		if (!Files.isRegularFile(cardFile)) throw new ModelLoadException(cardFile + ": model card not found (is " + dir + " a MedCNN model package?)");
		byte[] bytes;
		try {
			ModelCard.checkSize(cardFile, Files.size(cardFile));
			bytes = Files.readAllBytes(cardFile);
		} catch (IOException e) {
			throw new ModelLoadException(cardFile + ": cannot read model card: " + e.getMessage(), e);
		}
		Path key = dir.toAbsolutePath().normalize();
		Opened before = OPENED.get(key);
		if (before != null && before.unchanged(bytes)) return before.pkg();
		ModelCard card = ModelCard.parse(new String(bytes, StandardCharsets.UTF_8), cardFile);
		// The other files' stamps are taken before they are verified: a file that changes while it is read
		// has another stamp at the next open, which then verifies it again.
		List<ModelCard.FileRef> refs = new ArrayList<>();
		refs.add(card.trunk());
		if (card.examples() != null) refs.add(card.examples());
		if (card.ood() != null) refs.add(card.ood().file());
		if (card.isEnsemble()) {
			for (ModelCard.Member m : card.members()) refs.add(m.head());
		} else if (!card.isWholeModel()) {
			refs.add(card.head());
		}
		List<Path> files = new ArrayList<>();
		List<String> stamps = new ArrayList<>();
		for (ModelCard.FileRef r : refs) {
			Path f = dir.resolve(r.file());
			try {
				stamps.add(Hashes.stamp(f));
				files.add(f);
			} catch (IOException e) {
				// missing or unreadable: verify() below names it
			}
		}
		verify(dir, card.trunk(), "trunk");
		if (card.examples() != null) verify(dir, card.examples(), "examples");
		List<Head> heads = new ArrayList<>();
		if (card.isEnsemble()) {
			for (ModelCard.Member m : card.members()) heads.add(new Head(m.name(), readHead(dir, card, m.head(), "ensemble member " + m.name() + " head"), m.temperature()));
		} else if (card.isWholeModel()) {
			heads.add(new Head(card.id(), selection(card.classes().size(), card.featureCount()), card.temperature()));
			if (card.ood() != null && card.featureMethod() == null) {
				throw new ModelLoadException(cardFile + ": the ood section needs features: a whole model's detector reads the method that head.feature_method names");
			}
		} else {
			heads.add(new Head(card.id(), readHead(dir, card, card.head(), "head"), card.temperature()));
		}
		OodDetector ood = card.ood() == null ? null : readOod(dir, card, card.isWholeModel() ? card.featureCount() : heads.get(0).head().features());
		ModelPackage pkg = new ModelPackage(key, card, heads, Hashes.sha256(bytes), ood);
		if (files.size() == refs.size()) {
			if (OPENED.size() > 256) OPENED.clear();
			OPENED.put(key, new Opened(bytes, files, stamps, pkg));
		}
		return pkg;
	}

	/**
	 * Packages verified in this process, by folder. Commands open their package at every run (so that a
	 * changed or damaged file is reported there); one whose card has the same bytes, and whose other
	 * files the same {@linkplain Hashes#stamp stamps} (the identity {@link Hashes#sha256Cached} already
	 * trusts for their hashes), is the package verified before, without parsing and reading it all again
	 * (finding and loading the cached model took 1.8-2.8 ms a run in Classify Slices before, 1.0-1.6 ms
	 * with this; docs/benchmarks.md).
	 */
	private static final Map<Path, Opened> OPENED = new ConcurrentHashMap<>();

	/** A verified package with what it was verified from. */
	private record Opened(byte[] card, List<Path> files, List<String> stamps, ModelPackage pkg) {

		boolean unchanged(byte[] bytes) {
			if (!Arrays.equals(card, bytes)) return false;
			for (int i = 0; i < files.size(); i++) {
				try {
					if (!Hashes.stamp(files.get(i)).equals(stamps.get(i))) return false;
				} catch (IOException e) {
					return false;
				}
			}
			return true;
		}
	}

	/**
	 * The head of a whole model: what the engine returns for a slice is its K class scores, followed by the
	 * F values of its feature method when the card names one; the head passes the scores on (identity
	 * weights on them, zeros on the features, no bias), so that every path that applies heads (calibration,
	 * uncertainty samples, ensembles of packages) works the same for both kinds of package.
	 */
	static LinearHead selection(int classes, int features) {
		int width = classes + features;
		float[] w = new float[classes * width];
		for (int c = 0; c < classes; c++) w[c * width + c] = 1;
		return new LinearHead(width, classes, 0, w, new float[classes]);
	}

	private static LinearHead readHead(Path dir, ModelCard card, ModelCard.FileRef ref, String what) throws ModelLoadException {
		verify(dir, ref, what);
		Path cardFile = dir.resolve(CARD);
		Path headFile = dir.resolve(ref.file());
		LinearHead head = LinearHead.read(headFile);
		if (head.classes() != card.classes().size()) {
			throw new ModelLoadException(headFile + ": head has " + head.classes() + " classes but " + cardFile + " lists "
				+ card.classes().size() + " " + Messages.list(card.classes()));
		}
		if (card.trunkChannels() > 0 && card.trunkChannels() != head.features()) {
			throw new ModelLoadException(headFile + ": head expects " + head.features() + " features but the card says the trunk gives "
				+ card.trunkChannels());
		}
		return head;
	}

	/** Verifies and reads the detector, and checks it against the head and what the card states about it. */
	private static OodDetector readOod(Path dir, ModelCard card, int features) throws ModelLoadException {
		ModelCard.Ood stated = card.ood();
		verify(dir, stated.file(), "out-of-distribution detector");
		Path file = dir.resolve(stated.file().file());
		Path cardFile = dir.resolve(CARD);
		OodDetector d;
		try {
			d = OodDetector.read(file);
		} catch (IOException e) {
			throw new ModelLoadException(e.getMessage().startsWith(file.toString()) ? e.getMessage() : file + ": " + e.getMessage(), e);
		}
		if (d.features() != features) {
			throw new ModelLoadException(file + ": detector takes " + d.features() + " features but the head has " + features);
		}
		List<String> differ = new ArrayList<>();
		if (stated.method() != null && !stated.method().equals(d.method().key())) differ.add("method " + stated.method() + " vs " + d.method().key());
		if (stated.k() > 0 && stated.k() != d.k()) differ.add("k " + stated.k() + " vs " + d.k());
		if (stated.features() > 0 && stated.features() != d.features()) differ.add("features " + stated.features() + " vs " + d.features());
		if (!Double.isNaN(stated.threshold()) && Math.abs(stated.threshold() - d.threshold()) > 1e-6 * Math.max(1, Math.abs(d.threshold()))) {
			differ.add("threshold " + stated.threshold() + " vs " + d.threshold());
		}
		if (!differ.isEmpty()) throw new ModelLoadException(cardFile + ": the ood section disagrees with " + file + ": " + String.join(", ", differ));
		return d;
	}

	private static void verify(Path dir, ModelCard.FileRef ref, String what) throws ModelLoadException {
		Path f = dir.resolve(ref.file());
		if (!Files.isRegularFile(f)) throw new ModelLoadException(f + ": " + what + " file listed in " + CARD + " is missing");
		String actual;
		try {
			actual = Hashes.sha256Cached(f);
		} catch (IOException e) {
			throw new ModelLoadException(f + ": cannot read " + what + " file: " + e.getMessage(), e);
		}
		if (!actual.equals(ref.sha256())) {
			throw new ModelLoadException(f + ": sha256 mismatch: " + CARD + " expects " + ref.sha256() + " but the file has " + actual
				+ " (file changed or corrupted)");
		}
	}

	/** @return the package folder, absolute */
	public Path dir() {
		return dir;
	}

	/** @return the card */
	public ModelCard card() {
		return card;
	}

	/**
	 * Returns the head used to explain the model (saliency): the only head of a single model; for an
	 * ensemble the average of the members' heads, whose logits are the mean of the members' logits
	 * (the heads are linear on the same pooled features).
	 *
	 * @return the head
	 */
	public LinearHead head() {
		return head;
	}

	/**
	 * The temperature applied after the heads' probabilities are averaged: the card's calibration
	 * temperature for an ensemble, 1 for a single model (whose one head carries the card's temperature).
	 *
	 * @return the temperature
	 */
	public double combinedTemperature() {
		return card.isEnsemble() ? card.temperature() : 1;
	}

	/** @return the heads with their temperatures: one for a single model, the members of an ensemble */
	public List<Head> heads() {
		return heads;
	}

	/**
	 * A head of the package with the temperature its logits are divided by.
	 *
	 * @param name the model id, or the ensemble member's name
	 * @param head the head
	 * @param temperature the softmax temperature
	 */
	public record Head(String name, LinearHead head, double temperature) {}

	/**
	 * The out-of-distribution detector fitted on the training features of this package's trunk.
	 *
	 * @return the detector, or null when the package has none (its ood columns stay empty)
	 */
	public OodDetector ood() {
		return ood;
	}

	/**
	 * Where the out-of-distribution detector's features start in what the engine returns for a slice:
	 * 0 for a trunk and head package (the pooled trunk features), K (the class scores) for a whole model.
	 *
	 * @return the offset
	 */
	public int oodOffset() {
		return card.isWholeModel() ? card.classes().size() : 0;
	}

	/** @return how many features the out-of-distribution detector takes: the head's inputs, or a whole model's feature count */
	public int oodFeatures() {
		return card.isWholeModel() ? card.featureCount() : head.features();
	}

	/** @return the TorchScript file: the trunk, or the whole classifier of a whole-model package */
	public Path trunkFile() {
		return dir.resolve(card.trunk().file());
	}

	/** @return SHA-256 of {@code model.json}, which pins every file of the package through their hashes */
	public String sha256() {
		return sha256;
	}

	/** @return the first 12 hex digits of {@link #sha256()}, as shown in results */
	public String shortSha() {
		return sha256.substring(0, 12);
	}
}
