package org.medcnn.testing;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.medcnn.core.image.InputSpec;
import org.medcnn.core.image.IntensityPolicy;
import org.medcnn.core.model.LinearHead;
import org.medcnn.core.model.ModelCards;

/** Writes small model packages around a committed test trunk, with a head and an input contract chosen by the test. */
public final class TestPackages {

	private TestPackages() {}

	/** @return the square trunk: A0 = (mean_c x_c)^2, A1 = (1 - mean_c x_c)^2 at full resolution (src/test/scripts/make_saliency_fixtures.py) */
	public static Path squareTrunk() {
		return Fixtures.resource("/trunks/square-trunk.pt");
	}

	/**
	 * Writes a package.
	 *
	 * @param dir parent folder
	 * @param id the model id (also the folder name)
	 * @param trunk the TorchScript trunk to copy
	 * @param classes class names
	 * @param head the head (features = trunk channels)
	 * @param width input width
	 * @param height input height
	 * @param resize {@code stretch} or {@code letterbox}
	 * @param rangeMax the intensity range policy's max (min 0)
	 * @return the package folder
	 */
	public static Path write(Path dir, String id, Path trunk, List<String> classes, LinearHead head, int width, int height, String resize, double rangeMax) {
		try {
			Path pkg = Files.createDirectories(dir.resolve(id));
			Files.copy(trunk, pkg.resolve("trunk.pt"), StandardCopyOption.REPLACE_EXISTING);
			try (OutputStream os = Files.newOutputStream(pkg.resolve("head.bin"))) {
				head.write(os);
			}
			InputSpec spec = InputSpec.builder().setSize(width, height).setIntensity(new IntensityPolicy.Range(0, rangeMax))
				.optResize(InputSpec.Resize.parse(resize)).optMinSliceSize(4).build();
			JsonObject c = ModelCards.required(pkg, id, "1.0.0", classes, spec);
			Files.writeString(pkg.resolve("model.json"), new Gson().toJson(c), StandardCharsets.UTF_8);
			return pkg;
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/**
	 * Writes an ensemble package: one trunk, several heads (heads/m0.bin, ...), with the same input
	 * contract as {@link #write}.
	 *
	 * @param dir parent folder
	 * @param id the model id (also the folder name)
	 * @param trunk the TorchScript trunk to copy
	 * @param classes class names
	 * @param heads the member heads
	 * @param temperatures one temperature per head
	 * @param width input width
	 * @param height input height
	 * @param rangeMax the intensity range policy's max (min 0)
	 * @return the package folder
	 */
	public static Path writeEnsemble(Path dir, String id, Path trunk, List<String> classes, List<LinearHead> heads, List<Double> temperatures, int width,
		int height, double rangeMax) {
		try {
			Path pkg = Files.createDirectories(dir.resolve(id).resolve("heads"));
			pkg = pkg.getParent();
			Files.copy(trunk, pkg.resolve("trunk.pt"), StandardCopyOption.REPLACE_EXISTING);
			List<ModelCards.MemberFile> members = new java.util.ArrayList<>();
			for (int k = 0; k < heads.size(); k++) {
				try (OutputStream os = Files.newOutputStream(pkg.resolve("heads/m" + k + ".bin"))) {
					heads.get(k).write(os);
				}
				members.add(new ModelCards.MemberFile("m" + k, "heads/m" + k + ".bin", temperatures.get(k), k));
			}
			InputSpec spec = InputSpec.builder().setSize(width, height).setIntensity(new IntensityPolicy.Range(0, rangeMax))
				.optResize(InputSpec.Resize.parse("stretch")).optMinSliceSize(4).build();
			JsonObject c = ModelCards.ensemble(pkg, id, "1.0.0", classes, spec, members);
			Files.writeString(pkg.resolve("model.json"), new Gson().toJson(c), StandardCharsets.UTF_8);
			return pkg;
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
