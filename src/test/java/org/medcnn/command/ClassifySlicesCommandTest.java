package org.medcnn.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.medcnn.testing.Modules.canceled;
import static org.medcnn.testing.Modules.reason;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import ij.plugin.frame.RoiManager;
import ij.process.ByteProcessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.prefs.BackingStoreException;
import java.util.prefs.Preferences;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.core.classify.ResultColumns;
import org.medcnn.ij.PredictionOverlays;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.Modules;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.module.Module;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;
import org.scijava.prefs.PrefService;

/** Runs the SciJava commands the way Fiji and macros do: through CommandService, with preprocessing. */
class ClassifySlicesCommandTest {

	private static Context ctx;
	private static CommandService commands;

	@BeforeAll
	static void context() {
		ctx = new Context(CommandService.class, ModelService.class, StatusService.class, LogService.class, PrefService.class);
		commands = ctx.service(CommandService.class);
		// Start from clean preferences, so that values an older build persisted cannot fail (or hide) the persistence check.
		ctx.service(PrefService.class).clear(ClassifySlicesCommand.class);
	}

	@AfterAll
	static void dispose() {
		ctx.dispose();
	}

	/** Slices alternate bright (200), dark (10), bright, ... */
	static ImagePlus brightDark(int n) {
		ImageStack st = new ImageStack(32, 32);
		for (int i = 1; i <= n; i++) {
			ByteProcessor ip = new ByteProcessor(32, 32);
			ip.setValue(i % 2 == 1 ? 200 : 10);
			ip.fill();
			st.addSlice("slice" + i, ip);
		}
		return new ImagePlus("bright-dark", st);
	}

	private Module run(Object... inputs) throws Exception {
		return Modules.run(commands, ClassifySlicesCommand.class, inputs);
	}

	private static List<String> headings(ResultsTable rt) {
		List<String> h = new ArrayList<>(Arrays.asList(rt.getHeadings()));
		h.removeIf(String::isBlank);
		return h;
	}

	@Test
	void uncertaintyParametersAddColumnsAndFrames() throws Exception {
		ImagePlus imp = brightDark(3);
		// The same model twice is an ensemble of identical members: no disagreement.
		String twice = Fixtures.tinyModel() + "," + Fixtures.copyTinyModel(java.nio.file.Files.createTempDirectory("medcnn-copy"));
		Module m = run("image", imp, "model", twice, "device", "cpu", "batch_size", 2, "add_overlay", true, "uncertainty", "ensemble",
			"uncertainty_threshold", 0.0);
		assertFalse(canceled(m), reason(m));
		ResultsTable rt = (ResultsTable) m.getOutput("results");
		assertEquals(ResultColumns.header(List.of("dark", "bright"), true), headings(rt));
		for (int r = 0; r < 3; r++) {
			assertEquals(0, rt.getValue("mutual_information", r), 1e-6);
			assertEquals(1, rt.getValue("uncertain", r), 0, "every entropy is above 0 nats");
			assertEquals("tiny-brightness+tiny-brightness", rt.getStringValue("model", r));
		}
		assertEquals(6, PredictionOverlays.count(imp.getOverlay()), "3 labels and 3 frames");

		Module single = run("image", brightDark(2), "model", Fixtures.tinyModel().toString(), "device", "cpu", "uncertainty", "ensemble");
		assertTrue(canceled(single));
		assertTrue(reason(single).contains("uncertainty=ensemble needs several models"), reason(single));
	}

	@Test
	void classifiesEverySliceAndDrawsOverlay() throws Exception {
		ImagePlus imp = brightDark(3);
		Module m = run("image", imp, "model", Fixtures.tinyModel().toString(), "device", "cpu", "batch_size", 2, "add_overlay", true);
		assertFalse(canceled(m), reason(m));
		ResultsTable rt = (ResultsTable) m.getOutput("results");
		assertNotNull(rt);
		assertEquals(ResultColumns.header(List.of("dark", "bright")), headings(rt));
		assertEquals(3, rt.size());
		String[] expected = {"bright", "dark", "bright"};
		for (int r = 0; r < 3; r++) {
			assertEquals(r + 1, rt.getValue("slice", r), 0);
			assertEquals("slice" + (r + 1), rt.getStringValue("slice_label", r));
			assertEquals(expected[r], rt.getStringValue("predicted", r), "slice " + (r + 1));
			assertEquals(1.0, rt.getValue("p_dark", r) + rt.getValue("p_bright", r), 1e-4);
			assertEquals("bright-dark", rt.getStringValue("source", r));
			assertEquals("tiny-brightness", rt.getStringValue("model", r));
			assertEquals("cpu", rt.getStringValue("device", r));
		}
		Overlay ov = imp.getOverlay();
		assertNotNull(ov);
		assertEquals(3, PredictionOverlays.count(ov));
		for (int k = 0; k < 3; k++) {
			Roi roi = ov.get(k);
			assertEquals(k + 1, roi.getPosition());
			assertTrue(roi.getName().endsWith(":" + expected[k]), roi.getName());
		}
		assertNull(RoiManager.getInstance());
		// The image itself is not changed.
		assertEquals(200, imp.getStack().getProcessor(1).get(0));
		assertEquals(3, imp.getStackSize());
	}

	@Test
	void overlayIsOptional() throws Exception {
		ImagePlus imp = brightDark(2);
		Module m = run("image", imp, "model", Fixtures.tinyModel().toString(), "device", "cpu", "batch_size", 4, "add_overlay", false);
		assertFalse(canceled(m), reason(m));
		assertEquals(2, ((ResultsTable) m.getOutput("results")).size());
		assertEquals(0, PredictionOverlays.count(imp.getOverlay()));
	}

	@Test
	void hyperstackClassifiesZTimesTSlices() throws Exception {
		// 2 channels x 2 z x 3 t. Channel 2 is bright where z == t-1... simply: bright when (z + t) is even.
		ImageStack st = new ImageStack(32, 32);
		for (int t = 1; t <= 3; t++) {
			for (int z = 1; z <= 2; z++) {
				for (int c = 1; c <= 2; c++) {
					ByteProcessor ip = new ByteProcessor(32, 32);
					ip.setValue(c == 1 ? 128 : (z + t) % 2 == 0 ? 220 : 5);
					ip.fill();
					st.addSlice(ip);
				}
			}
		}
		ImagePlus imp = new ImagePlus("hyper", st);
		imp.setDimensions(2, 2, 3);
		imp.setOpenAsHyperStack(true);
		imp.setPosition(2, 1, 1);
		Module m = run("image", imp, "model", Fixtures.tinyModel().toString(), "device", "cpu", "batch_size", 4, "add_overlay", true);
		assertFalse(canceled(m), reason(m));
		ResultsTable rt = (ResultsTable) m.getOutput("results");
		assertEquals(6, rt.size(), "Z*T rows for the current channel");
		Overlay ov = imp.getOverlay();
		assertEquals(6, ov.size());
		int r = 0;
		for (int t = 1; t <= 3; t++) {
			for (int z = 1; z <= 2; z++) {
				int stackIndex = (t - 1) * 4 + (z - 1) * 2 + 2;
				assertEquals(stackIndex, rt.getValue("slice", r), 0, "row " + r);
				assertEquals((z + t) % 2 == 0 ? "bright" : "dark", rt.getStringValue("predicted", r), "z=" + z + " t=" + t);
				Roi roi = ov.get(r);
				assertEquals(2, roi.getCPosition());
				assertEquals(z, roi.getZPosition());
				assertEquals(t, roi.getTPosition());
				r++;
			}
		}
	}

	@Test
	void modelsDirFindsModelById(@TempDir Path tmp) throws Exception {
		Fixtures.copyTinyModel(tmp);
		ImagePlus imp = brightDark(2);
		Module m = run("image", imp, "model", "tiny-brightness", "models_dir", tmp.toFile(), "device", "cpu", "batch_size", 2, "add_overlay",
			false);
		assertFalse(canceled(m), reason(m));
		ResultsTable rt = (ResultsTable) m.getOutput("results");
		assertEquals("bright", rt.getStringValue("predicted", 0));
		assertEquals("dark", rt.getStringValue("predicted", 1));
	}

	@Test
	void badModelPathCancelsNamingTheProblem() throws Exception {
		String missing = "/nonexistent/medcnn-models/brainz";
		Module m = run("image", brightDark(1), "model", missing, "device", "cpu", "batch_size", 2, "add_overlay", true);
		assertTrue(canceled(m));
		assertTrue(reason(m).contains(missing) && reason(m).contains("not found"), reason(m));
		assertNull(m.getOutput("results"));
	}

	@Test
	void unknownModelIdCancelsListingWhereItLooked() throws Exception {
		Module m = run("image", brightDark(1), "model", "no-such-model", "device", "cpu", "batch_size", 2, "add_overlay", false);
		assertTrue(canceled(m));
		assertTrue(reason(m).contains("no-such-model") && reason(m).contains("searched"), reason(m));
	}

	@Test
	void badDeviceCancelsWithMessage() throws Exception {
		ImagePlus imp = brightDark(1);
		Module m = run("image", imp, "model", Fixtures.tinyModel().toString(), "device", "tpu:0", "batch_size", 2, "add_overlay", true);
		assertTrue(canceled(m));
		assertTrue(reason(m).contains("tpu:0") && reason(m).contains("auto, cpu, gpu"), reason(m));
		assertNull(imp.getOverlay(), "nothing drawn on a cancelled run");
	}

	@Test
	void badBatchSizeCancels() throws Exception {
		Module m = run("image", brightDark(1), "model", Fixtures.tinyModel().toString(), "device", "cpu", "batch_size", 0, "add_overlay", true);
		assertTrue(canceled(m));
		assertTrue(reason(m).contains("batch_size"), reason(m));
	}

	@Test
	void tooSmallImageCancelsNamingTheSlice() throws Exception {
		ImagePlus tiny = new ImagePlus("tiny", new ByteProcessor(2, 2));
		Module m = run("image", tiny, "model", Fixtures.tinyModel().toString(), "device", "cpu", "batch_size", 2, "add_overlay", true);
		assertTrue(canceled(m));
		assertTrue(reason(m).contains("slice 1"), reason(m));
	}

	@Test
	void parametersAreNotPersisted() throws Exception {
		Module first = run("image", brightDark(1), "model", Fixtures.tinyModel().toString(), "device", "cpu", "batch_size", 3, "add_overlay", false);
		assertFalse(canceled(first), reason(first));
		assertEquals(3, first.getInput("batch_size"));
		// A second run that names only image and model gets the declared defaults, not the values of the first run.
		ImagePlus imp = brightDark(1);
		Module second = run("image", imp, "model", Fixtures.tinyModel().toString());
		assertFalse(canceled(second), reason(second));
		assertEquals(8, second.getInput("batch_size"));
		assertEquals("auto", second.getInput("device"));
		assertEquals(true, second.getInput("add_overlay"));
		assertEquals(1, PredictionOverlays.count(imp.getOverlay()));
		// And nothing about the command is in the Java preferences.
		assertEquals(List.of(), prefsMentioning("ClassifySlicesCommand"));
		assertNull(ctx.service(PrefService.class).get(ClassifySlicesCommand.class, "device", null));
		assertNull(ctx.service(PrefService.class).get(ClassifySlicesCommand.class, "batch_size", null));
	}

	@Test
	void prefsProbeFindsWhatPrefServiceWrites() throws Exception {
		// Control for parametersAreNotPersisted: the preference walk does see values the PrefService stores.
		PrefService prefs = ctx.service(PrefService.class);
		prefs.put(PersistProbe.class, "device", "gpu:7");
		try {
			assertFalse(prefsMentioning("PersistProbe").isEmpty());
		} finally {
			prefs.clear(PersistProbe.class);
		}
	}

	/** A class name to store a preference under. */
	static final class PersistProbe {}

	/** Node paths and keys anywhere under the user root whose path or key contains a word. */
	private static List<String> prefsMentioning(String word) throws BackingStoreException {
		List<String> out = new ArrayList<>();
		walk(Preferences.userRoot(), word, out);
		return out;
	}

	private static void walk(Preferences node, String word, List<String> out) throws BackingStoreException {
		if (node.absolutePath().contains(word)) out.add(node.absolutePath());
		for (String key : node.keys()) {
			if (key.contains(word)) out.add(node.absolutePath() + ":" + key);
		}
		for (String child : node.childrenNames()) walk(node.node(child), word, out);
	}

	@Test
	void engineDoctorReportsEngineAndOfflineFlag() throws Exception {
		Module m = Modules.run(commands, EngineDoctorCommand.class);
		String report = ((EngineDoctorCommand) ((CommandModule) m).getCommand()).getReport();
		assertNotNull(report);
		assertTrue(report.contains("pytorch_version"), report);
		assertTrue(report.contains("ai.djl.offline: true"), report);
		assertTrue(report.contains("engine: PyTorch"), report);
		// Only the facts table is an output: a String output is printed by ImageJ2, next to the log.
		List<String> outputs = new ArrayList<>();
		m.getInfo().outputs().forEach(o -> outputs.add(o.getLabel()));
		assertEquals(List.of(EngineDoctorCommand.TABLE_TITLE), outputs);
		ResultsTable facts = (ResultsTable) m.getOutput("facts");
		int row = -1;
		for (int i = 0; i < facts.size(); i++) if ("engine".equals(facts.getStringValue("key", i))) row = i;
		assertTrue(row >= 0, "an engine row");
		assertEquals("PyTorch", facts.getStringValue("value", row));
	}
}
