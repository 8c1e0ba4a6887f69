package org.medcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.classify.PassSampler;
import org.medcnn.core.eval.Metrics;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SlicePreprocessor;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.engine.Ensemble;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.data.Datasets;
import org.medcnn.core.uncertainty.UncertaintyOptions;
import org.medcnn.io.BioImageIo;
import org.medcnn.io.BioImageIoExport;
import org.medcnn.io.BioImageIoValidator;
import org.medcnn.io.ImageSampleReader;
import org.medcnn.core.math.Probabilities;

/**
 * A shipped model (a MobileNetV2 trunk and its head) exported as a bioimage.io package, as a zip, and
 * imported back: the one TorchScript file made from trunk and head gives the same predictions on every
 * example of the package.
 */
class ShippedBioImageIoTest {

	@Test
	void lungCtThroughBioImageIoAndBackPredictsItsExamplesAlike(@TempDir Path tmp) throws Exception {
		Path dir = Paths.get("models/lung-ct");
		Assumptions.assumeTrue(Files.exists(dir.resolve("model.json")), "models/lung-ct is absent");
		ModelPackage original = ModelPackage.open(dir);
		Path zip = tmp.resolve("lung-ct.zip");
		BioImageIoExport.Result r = BioImageIoExport.export(new BioImageIoExport.Request(original, zip, "BSD-3-Clause", List.of("MedCNN tests"),
			List.of("The IQ-OTH/NCCD lung cancer dataset|10.17632/bhmdr45bh2.1"), null));
		assertTrue(Files.size(zip) > 1_000_000);
		assertTrue(r.maxDifference() < 1e-4, "exported test output reproduced to " + r.maxDifference());
		Path unpacked = tmp.resolve("unpacked");
		try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip.toFile())) {
			for (var e : java.util.Collections.list(z.entries())) {
				Path t = unpacked.resolve(e.getName());
				Files.createDirectories(t.getParent());
				try (var in = z.getInputStream(e)) {
					Files.copy(in, t);
				}
			}
		}
		assertEquals(List.of(), BioImageIoValidator.validate(unpacked));
		BioImageIo.Imported back = BioImageIo.importModel(new BioImageIo.Request(zip, tmp.resolve("back"), "lung-ct-back", null));
		List<Slice> slices = new ArrayList<>();
		List<String> lines = Files.readAllLines(dir.resolve("examples/expected.csv"), StandardCharsets.UTF_8);
		for (String line : lines.subList(1, lines.size())) slices.addAll(new ImageSampleReader().read(dir.resolve("examples").resolve(Datasets.splitCsv(line).get(0))));
		float[][] a = probabilities(original, slices);
		float[][] b = probabilities(back.pkg(), slices);
		for (int i = 0; i < slices.size(); i++) {
			assertEquals(Probabilities.argmax(a[i]), Probabilities.argmax(b[i]), "example " + i);
			for (int c = 0; c < a[i].length; c++) assertEquals(a[i][c], b[i][c], 1e-5, "example " + i + " class " + c);
		}
	}

	private static float[][] probabilities(ModelPackage pkg, List<Slice> slices) throws Exception {
		float[][] out = new float[slices.size()][];
		try (ClassifierModel m = ClassifierModel.load(pkg, DeviceSpec.CPU); PassSampler sampler = new PassSampler(Ensemble.of(m), UncertaintyOptions.NONE, 1)) {
			SlicePreprocessor pre = new SlicePreprocessor(pkg.card().input());
			float[] buf = new float[pre.spec().tensorSize()];
			for (int i = 0; i < slices.size(); i++) {
				pre.preprocess(slices.get(i), buf, 0);
				out[i] = sampler.run(buf, 1, 1, new long[] {1}).probabilities()[0];
			}
		}
		return out;
	}
}
