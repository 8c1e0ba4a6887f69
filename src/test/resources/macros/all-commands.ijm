// Runs every MedCNN command the way a user's macro does and prints what it reads back, one "CHECK ..." line
// per fact, for the tests that run it in ImageJ2 (headless and on screen) and in plain ImageJ 1.x. Nothing
// here is test-only: it reads tables with call("org.medcnn.ij.MacroTables...") as README.md shows.
// Keys: work (output folder), stack (a 12-slice stack of the brain model), data (a class-folder data set),
// trunk (a TorchScript trunk for training), batch (a folder of images), shots (optional: screenshots).
args = getArgument();
work = call("ij.Macro.getValue", args, "work", "");
stack = call("ij.Macro.getValue", args, "stack", "");
data = call("ij.Macro.getValue", args, "data", "");
trunk = call("ij.Macro.getValue", args, "trunk", "");
batch = call("ij.Macro.getValue", args, "batch", "");
shots = call("ij.Macro.getValue", args, "shots", "");
if (work == "" || stack == "" || data == "" || trunk == "" || batch == "") exit("usage: work=DIR stack=FILE data=DIR trunk=PT batch=DIR [shots=DIR]");
headless = call("java.awt.GraphicsEnvironment.isHeadless");
print("CHECK mode headless=" + headless);
T = "org.medcnn.ij.MacroTables.";

// Engine Doctor: its facts are a table too.
run("Engine Doctor");
n = parseInt(call(T + "size", "MedCNN Engine Doctor"));
for (i = 0; i < n; i++) {
	key = call(T + "get", "MedCNN Engine Doctor", "key", i);
	if (startsWith(key, "models_dir") || key == "engine" || key == "model.brain-tumor-mri")
		print("CHECK doctor " + key + "=" + call(T + "get", "MedCNN Engine Doctor", "value", i));
}

// Classify Slices on a stack: every row back, and the overlay labels with their positions.
open(stack);
run("Classify Slices", "model=brain-tumor-mri device=cpu batch_size=4 add_overlay=true uncertainty=none results_csv=[" + work + "/classify.csv]");
table = "MedCNN Classification";
n = parseInt(call(T + "size", table));
print("CHECK classify rows=" + n + " columns=" + call(T + "headings", table));
for (i = 0; i < n; i++)
	print("CHECK classify row=" + i + " slice=" + call(T + "get", table, "slice", i) + " predicted=" + call(T + "get", table, "predicted", i)
		+ " confidence=" + call(T + "get", table, "confidence", i));
if (headless == "false")
	print("CHECK window " + table + " rows=" + Table.size(table) + " predicted0=" + Table.getString("predicted", 0, table));
overlay("classify");
if (shots != "") {
	setSlice(4);
	run("Capture Image");
	saveAs("PNG", shots + "/overlay.png");
	close();
}

// With an uncertainty estimate (test-time augmentation).
run("Classify Slices", "model=brain-tumor-mri device=cpu batch_size=4 add_overlay=true uncertainty=tta uncertainty_passes=3");
print("CHECK tta rows=" + call(T + "size", table) + " columns=" + call(T + "headings", table));
if (shots != "" && headless == "false") {
	selectWindow(table);
	run("Capture Screen");
	saveAs("PNG", shots + "/screen-table.png");
	close();
}

// Saliency Maps: the heatmap stack, the regions table, heatmaps and outlines on the overlay.
source = getImageID();
images = nImages;
run("Saliency Maps", "model=brain-tumor-mri device=cpu method=grad_cam target=predicted top_percent=5 max_regions=2 overlay_opacity=0.4 add_overlay=true batch_size=4");
print("CHECK saliency new_images=" + (nImages - images) + " heatmap_slices=" + nSlices + " bits=" + bitDepth() + " title=" + getTitle());
if (shots != "") {
	setSlice(4);
	run("Capture Image");
	saveAs("PNG", shots + "/heatmap.png");
	close();
}
close();
selectImage(source);
regions = "MedCNN Saliency Regions";
n = parseInt(call(T + "size", regions));
print("CHECK regions rows=" + n);
if (n > 0) print("CHECK regions row=0 slice=" + call(T + "get", regions, "slice", 0) + " roi=" + call(T + "get", regions, "roi", 0));
overlay("saliency");
if (shots != "") {
	setSlice(4);
	run("Capture Image");
	saveAs("PNG", shots + "/saliency-overlay.png");
	close();
}

// Saliency Sanity Check on one slice.
run("Saliency Sanity Check", "model=brain-tumor-mri device=cpu methods=grad_cam max_slices=1 blocks=1 repeats=1 auc_steps=4");
sanity = "MedCNN Saliency Sanity Check";
n = parseInt(call(T + "size", sanity));
print("CHECK sanity rows=" + n + " columns=" + call(T + "headings", sanity));
close();

// The same stack as a hyperstack of 3 slices and 4 frames: one row and one label per Z and T.
open(stack);
run("Stack to Hyperstack...", "order=xyczt(default) channels=1 slices=3 frames=4 display=Grayscale");
run("Classify Slices", "model=brain-tumor-mri device=cpu batch_size=8 add_overlay=true");
print("CHECK hyperstack rows=" + call(T + "size", table) + " slice_label0=" + call(T + "get", table, "slice_label", 0));
overlay("hyperstack");
close();

// Train Classifier on a tiny set, then Evaluate Classifier on it.
model = work + "/trained-model";
run("Train Classifier", "data_dir=[" + data + "] output_dir=[" + model + "] base_model=[" + trunk + "] epochs=0 batch_size=8 image_size=32 intensity=range:0:255 augment=false flip=false seed=1");
print("CHECK train history_rows=" + call(T + "size", "MedCNN Training History") + " card=" + File.exists(model + "/model.json"));
run("Evaluate Classifier", "model=[" + model + "] data_dir=[" + data + "] device=cpu batch_size=8 output_dir=[" + work + "/evaluation]");
metrics = "MedCNN Metrics";
n = parseInt(call(T + "size", metrics));
for (i = 0; i < n; i++) if (call(T + "get", metrics, "name", i) == "accuracy") print("CHECK evaluate accuracy=" + call(T + "get", metrics, "value", i));
print("CHECK evaluate confusion_rows=" + call(T + "size", "MedCNN Confusion Matrix") + " csv=" + File.exists(work + "/evaluation/metrics.csv"));

// Batch Classify Folder in two shards, then Merge Batch Results.
for (s = 0; s < 2; s++) {
	run("Batch Classify Folder", "input_dir=[" + batch + "] output_dir=[" + work + "/batch] model=brain-tumor-mri device=cpu batch_size=4 shard_index=" + s + " shard_count=2 resume=false");
	n = parseInt(call(T + "size", "MedCNN Batch"));
	line = "CHECK batch shard=" + s + " inputs=" + n;
	for (i = 0; i < n; i++) line = line + " " + call(T + "get", "MedCNN Batch", "source", i) + ":" + call(T + "get", "MedCNN Batch", "status", i);
	print(line);
}
run("Merge Batch Results", "output_dir=[" + work + "/batch]");
print("CHECK merge rows=" + call(T + "get", "MedCNN Batch Merge", "rows", 0) + " inputs=" + call(T + "get", "MedCNN Batch Merge", "inputs", 0));
print("CHECK done");

// Prints the MedCNN ROIs of the current image's overlay: name and stack position (channel, slice, frame).
function overlay(what) {
	n = Overlay.size;
	count = 0;
	for (i = 0; i < n; i++) {
		Overlay.activateSelection(i);
		name = Roi.getName;
		if (startsWith(name, "medcnn-")) {
			Roi.getPosition(c, z, t);
			print("CHECK roi " + what + " name=" + name + " c=" + c + " z=" + z + " t=" + t);
			count++;
		}
	}
	run("Select None");
	print("CHECK overlay " + what + " medcnn_rois=" + count + " of " + n);
}
