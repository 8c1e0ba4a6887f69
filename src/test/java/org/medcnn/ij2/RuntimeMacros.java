package org.medcnn.ij2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.medcnn.testing.Fixtures;
import org.medcnn.testing.TinyImages;

/**
 * The macros that every runtime test runs, their arguments and the checks on what they print: the same macro
 * text in ImageJ2 headless, ImageJ2 on screen and plain ImageJ 1.x. {@code src/test/resources/macros/all-commands.ijm}
 * runs every command and prints "CHECK ..." lines; {@code fails.ijm} runs one command that must fail.
 */
public final class RuntimeMacros {

	/** A failing call per entry: the macro argument of fails.ijm, and the one line it must log. */
	public static final List<Map.Entry<String, String>> FAILURES = List.of(
		Map.entry("command=[Classify Slices] options=[model=brain-tumor-mri batch_size=abc]", "MedCNN Classify Slices: batch_size=abc is not a whole number"),
		Map.entry("command=[Classify Slices] options=[model=no-such-model]", "MedCNN Classify Slices: model 'no-such-model' not found"),
		Map.entry("command=[Classify Slices] options=[model=brain-tumor-mri batchsize=8]", "MedCNN Classify Slices: unknown key 'batchsize' (keys: image, model,"),
		Map.entry("command=[Batch Classify Folder] options=[input_dir=/x output_dir=/y shard_count=0]",
			"MedCNN Batch Classify Folder: shard_count=0 is out of range (at least 1)"),
		Map.entry("table=[No Such Table]", "MedCNN: no table \"No Such Table\""),
		Map.entry("nostack command=[Saliency Maps] options=[model=brain-tumor-mri]", "MedCNN Saliency Maps: no image is open"));

	private RuntimeMacros() {}

	/** The inputs of all-commands.ijm, made in a folder. */
	public record Inputs(Path work, Path stack, Path data, Path trunk, Path batch) {

		/**
		 * Makes the inputs in a folder.
		 *
		 * @param dir the folder
		 * @return the inputs
		 * @throws IOException if writing fails
		 */
		public static Inputs make(Path dir) throws IOException {
			Path work = Files.createDirectories(dir.resolve("work"));
			Path stack = dir.resolve("stack.tif");
			Files.copy(Path.of("models", "brain-tumor-mri", "examples", "stack.tif"), stack);
			Path batch = Files.createDirectories(dir.resolve("batch in"));
			Files.copy(Path.of("models", "lung-ct", "examples", "stack.tif"), batch.resolve("a.tif"));
			TinyImages.png(batch.resolve("b.png"), 48, 40, 90);
			Path data = Fixtures.syntheticSet(dir.resolve("data"), 6);
			return new Inputs(work, stack, data, Fixtures.tinyModel().resolve("trunk.pt"), batch);
		}

		/**
		 * @param shots a folder for screenshots, or null
		 * @return the argument of all-commands.ijm
		 */
		public String argument(Path shots) {
			return "work=[" + work + "] stack=[" + stack + "] data=[" + data + "] trunk=[" + trunk + "] batch=[" + batch + "]"
				+ (shots == null ? "" : " shots=[" + shots + "]");
		}

		/**
		 * @param failure the key of a {@link #FAILURES} entry
		 * @return the argument of fails.ijm
		 */
		public String failArgument(String failure) {
			return failure.startsWith("nostack ") ? failure.substring(8) : "stack=[" + stack + "] " + failure;
		}
	}

	/** @return the folder of the test macros */
	public static Path macros() {
		return Fixtures.resource("/macros/all-commands.ijm").getParent();
	}

	/**
	 * The "CHECK" lines of a run, without the prefix.
	 *
	 * @param output what the run printed
	 * @return the lines
	 */
	public static List<String> checks(String output) {
		List<String> out = new ArrayList<>();
		for (String line : output.split("\n")) {
			int at = line.indexOf("CHECK ");
			if (at >= 0) out.add(line.substring(at + 6).trim());
		}
		return out;
	}

	/**
	 * Checks what all-commands.ijm printed and wrote.
	 *
	 * @param output everything the run printed (standard output, or the saved Log window)
	 * @param in the inputs it ran on
	 * @param modelsDir the folder the models must have come from
	 * @param headless whether the run was headless
	 * @throws IOException if an output file cannot be read
	 */
	public static void checkAllCommands(String output, Inputs in, Path modelsDir, boolean headless) throws IOException {
		List<String> c = checks(output);
		String all = String.join("\n", c);
		assertTrue(c.contains("done"), "the macro ran to its end; it printed:\n" + output);
		assertTrue(c.contains("mode headless=" + headless), all);

		// Engine Doctor, read back from its table: the installed models, found where the user put them.
		assertTrue(c.contains("doctor engine=PyTorch"), all);
		assertTrue(c.contains("doctor models_dir.3=" + modelsDir) || c.stream().anyMatch(l -> l.matches("doctor models_dir\\.\\d+=" + Pattern.quote(modelsDir.toString()))),
			"the installed models folder is searched: " + all);
		assertTrue(c.stream().anyMatch(l -> l.startsWith("doctor model.brain-tumor-mri=ok, hashes verified") && l.contains("at " + modelsDir.resolve("brain-tumor-mri"))),
			"the shipped model loads from the installed folder: " + all);

		// Classify Slices: every row read back equals the CSV the command wrote, and each label sits on its slice.
		assertTrue(c.contains("classify rows=12 columns=source,slice,slice_label,predicted,p_glioma,p_meningioma,p_notumor,p_pituitary,confidence,ood_score,"
			+ "out_of_distribution,model,model_sha256,device,ms"), all);
		List<List<String>> csv = TinyImages.csv(in.work().resolve("classify.csv"));
		int pred = csv.get(0).indexOf("predicted");
		int conf = csv.get(0).indexOf("confidence");
		for (int i = 0; i < 12; i++) {
			List<String> row = csv.get(i + 1);
			String line = find(c, "classify row=" + i + " ");
			assertEquals("classify row=" + i + " slice=" + (i + 1) + " predicted=" + row.get(pred), line.substring(0, line.indexOf(" confidence=")), line);
			assertEquals(Double.parseDouble(row.get(conf)), Double.parseDouble(line.substring(line.indexOf("confidence=") + 11)), 1e-4, line);
			assertTrue(c.contains("roi classify name=medcnn-class:" + (i + 1) + ":" + row.get(pred) + " c=0 z=" + (i + 1) + " t=0"),
				"the label of slice " + (i + 1) + " on its slice: " + all);
		}
		// a label per slice, and a frame and a text on each slice outside the training data
		int ood = csv.get(0).indexOf("out_of_distribution");
		long flagged = csv.subList(1, csv.size()).stream().filter(r -> r.get(ood).equals("1")).count();
		assertTrue(c.contains("overlay classify medcnn_rois=" + (12 + 2 * flagged) + " of " + (12 + 2 * flagged)), flagged + " flagged: " + all);
		if (!headless) {
			assertTrue(c.contains("window MedCNN Classification rows=12 predicted0=" + csv.get(1).get(pred)),
				"on screen, ImageJ's Table functions read the window too: " + all);
		}
		assertTrue(find(c, "tta rows=12 columns=").contains(",confidence,entropy,mutual_information,std_top,uncertain,"), all);

		// Saliency Maps: the heatmap stack became the macro's current image; one heatmap ROI per slice.
		assertTrue(c.contains("saliency new_images=1 heatmap_slices=12 bits=32 title=stack.tif saliency (grad_cam)"), all);
		int regions = Integer.parseInt(find(c, "regions rows=").substring("regions rows=".length()));
		assertTrue(regions >= 12, "at least one region per slice: " + all);
		assertTrue(find(c, "regions row=0 ").startsWith("regions row=0 slice=1 roi=medcnn-saliency:1:1:"), all);
		for (int s = 1; s <= 12; s++) {
			String prefix = "roi saliency name=medcnn-saliency:" + s + ":heatmap:";
			String line = find(c, prefix);
			assertTrue(line.endsWith(" c=0 z=" + s + " t=0"), line);
		}
		assertTrue(find(c, "sanity rows=2 columns=").contains(",spearman,ssim,deletion_auc,insertion_auc,passes,verdict"), all);

		// A hyperstack of 3 Z and 4 T: one row and one label per (Z, T), at that position.
		assertTrue(c.contains("hyperstack rows=12 slice_label0=glioma_image_26_.jpg"), all);
		for (int k = 1; k <= 12; k++) {
			String line = find(c, "roi hyperstack name=medcnn-class:" + k + ":");
			assertTrue(line.endsWith(" c=1 z=" + ((k - 1) % 3 + 1) + " t=" + ((k - 1) / 3 + 1)), line);
		}

		// Train, then Evaluate the trained model; their tables and files.
		Matcher train = Pattern.compile("train history_rows=(\\d+) card=1").matcher(find(c, "train "));
		assertTrue(train.matches() && Integer.parseInt(train.group(1)) > 0, all);
		double accuracy = Double.parseDouble(find(c, "evaluate accuracy=").substring("evaluate accuracy=".length()));
		assertTrue(accuracy >= 0 && accuracy <= 1, all);
		assertTrue(c.contains("evaluate confusion_rows=2 csv=1"), all);

		// Batch in two shards, then the merge: tables, and results.csv with every slice.
		assertTrue(c.contains("batch shard=0 inputs=1 a.tif:done"), all);
		assertTrue(c.contains("batch shard=1 inputs=1 b.png:done"), all);
		assertTrue(c.contains("merge rows=10 inputs=2"), "9 slices of a.tif and b.png: " + all);
		assertEquals(11, TinyImages.csv(in.work().resolve("batch").resolve("results.csv")).size(), "header + 10 rows");
	}

	/**
	 * Checks the runs of fails.ijm: each failure is its line, once, and the macro stopped there.
	 *
	 * @param output everything the runs printed
	 */
	public static void checkFailures(String output) {
		for (Map.Entry<String, String> f : FAILURES) {
			assertEquals(1, count(output, f.getValue()), "exactly one line '" + f.getValue() + "' in:\n" + output);
		}
		assertEquals(FAILURES.size(), count(output, "CHECK start "), "every failing macro ran:\n" + output);
		assertFalse(output.contains("CHECK NOT REACHED"), "a failed MedCNN command stops the macro:\n" + output);
	}

	/**
	 * @param text a text
	 * @param part a part
	 * @return how often the part occurs in the text
	 */
	public static int count(String text, String part) {
		int n = 0;
		for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
		return n;
	}

	private static String find(List<String> checks, String prefix) {
		for (String c : checks) {
			if (c.startsWith(prefix)) return c;
		}
		throw new AssertionError("no line '" + prefix + "...' in:\n" + String.join("\n", checks));
	}
}
