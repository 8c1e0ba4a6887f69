package org.medcnn.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ShortProcessor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.medcnn.core.classify.ClassificationRun;
import org.medcnn.core.classify.DjlSliceClassifier;
import org.medcnn.core.engine.ClassifierModel;
import org.medcnn.core.engine.EngineSetting;
import org.medcnn.core.image.Slice;
import org.medcnn.core.image.SliceSource;
import org.medcnn.core.model.DeviceSpec;
import org.medcnn.core.model.ModelPackage;
import org.medcnn.core.progress.Cancellation;
import org.medcnn.core.progress.ProgressListener;
import org.medcnn.testing.Fixtures;

/**
 * Images classified every way the classifier prepares slices give the same floats: on the engine's lanes
 * (slices read into recycled arrays, each thread's unit image reused), on all cores before each batch, and
 * from plain float slices that share nothing; for 16-bit data with a CT-like calibration and 8-bit data,
 * at a size other than the model input's.
 */
class ImageClassificationPathsTest {

	private static ClassifierModel model;

	@BeforeAll
	static void load() throws Exception {
		model = ClassifierModel.load(ModelPackage.open(Fixtures.tinyModel()), DeviceSpec.CPU);
	}

	@AfterAll
	static void close() {
		model.close();
	}

	@Test
	void everyWayOfPreparingGivesTheSameResults() throws Exception {
		int w = 50;
		int h = 40;
		ImageStack sixteen = new ImageStack(w, h);
		ImageStack eight = new ImageStack(w, h);
		java.util.SplittableRandom r = new java.util.SplittableRandom(17);
		for (int z = 0; z < 11; z++) {
			short[] s = new short[w * h];
			byte[] b = new byte[w * h];
			for (int i = 0; i < s.length; i++) {
				s[i] = (short) ((z * 97 + (i % w) * 13 + r.nextInt(40)) % 1000);
				b[i] = (byte) ((z * 23 + (i / w) * 5 + r.nextInt(9)) % 256);
			}
			sixteen.addSlice("z" + z, new ShortProcessor(w, h, s, null));
			eight.addSlice("z" + z, new ByteProcessor(w, h, b));
		}
		ImagePlus ct = new ImagePlus("ct", sixteen);
		ct.getCalibration().setFunction(Calibration.STRAIGHT_LINE, new double[] {-10, 0.25}, "HU");
		for (ImagePlus imp : new ImagePlus[] {ct, new ImagePlus("eight", eight)}) {
			ImagePlusSlices slices = new ImagePlusSlices(imp, null);
			ClassificationRun lanes = classify(slices, null);
			ClassificationRun parallel = classify(slices, "parallel");
			ClassificationRun plain = classify(floats(slices), "parallel");
			assertEquals(11, lanes.predictions().size());
			for (int i = 0; i < 11; i++) {
				String what = imp.getTitle() + " slice " + (i + 1);
				assertArrayEquals(plain.predictions().get(i).logits(), lanes.predictions().get(i).logits(), 0f, what);
				assertArrayEquals(plain.predictions().get(i).logits(), parallel.predictions().get(i).logits(), 0f, what);
			}
		}
	}

	private static ClassificationRun classify(SliceSource source, String prepare) throws Exception {
		String before = System.getProperty(EngineSetting.PREPARE.key());
		try {
			if (prepare == null) System.clearProperty(EngineSetting.PREPARE.key());
			else System.setProperty(EngineSetting.PREPARE.key(), prepare);
			return new DjlSliceClassifier(model, 4, null).classify(source, ProgressListener.NONE, Cancellation.NEVER);
		} finally {
			Fixtures.restoreProperty(EngineSetting.PREPARE.key(), before);
		}
	}

	/** The slices as float slices of their own (the calibrated values), read one at a time. */
	private static SliceSource floats(ImagePlusSlices slices) {
		List<Slice> copies = new ArrayList<>();
		for (int i = 0; i < slices.size(); i++) {
			Slice s = slices.get(i);
			copies.add(new Slice(s.index(), s.label(), s.width(), s.height(), s.pixels().clone()));
		}
		return Fixtures.slices("floats", copies);
	}
}
