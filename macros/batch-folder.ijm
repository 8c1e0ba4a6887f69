// MedCNN: classify every image file (and DICOM series folder) of a folder, or one shard of it. Writes per
// input files/<name>.tif (the stack with its overlay), .csv and .json, and per shard
// results-shard-<i>-of-<n>.csv, errors-shard-<i>-of-<n>.csv and manifest-shard-<i>-of-<n>.json.
// With "merge" it joins the shards into results.csv and errors.csv instead.
// Works in Fiji (GUI or --headless) and in plain ImageJ 1.x with MedCNN_.jar.
//   Fiji:     ImageJ-linux64 --headless --console -macro batch-folder.ijm "input=/data/in output=/data/out model=lung-ct shard_index=0 shard_count=4 resume"
//   Merge:    ImageJ-linux64 --headless --console -macro batch-folder.ijm "output=/data/out merge"
//   ImageJ 1: xvfb-run java -Dplugins.dir=/opt/ImageJ -jar ij.jar -batch batch-folder.ijm "input=... output=... model=..."
// Keys: input, output, model (brain-tumor-mri), models_dir, device (auto), batch_size (8), shard_index (0),
// shard_count (1), pattern (empty: all image files); flags, as a bare word or =true/false: recursive,
// resume, overwrite; for merge: merge, allow_partial, overwrite, shard_count (0: from the manifests).
args = getArgument();
output = call("ij.Macro.getValue", args, "output", "");
if (output == "") exit("usage: input=DIR output=DIR model=ID|DIR [shard_index=I shard_count=N recursive resume overwrite ...]  or  output=DIR merge");
if (flag(args, "merge")) {
	options = "output_dir=[" + output + "] shard_count=" + call("ij.Macro.getValue", args, "shard_count", "0")
		+ " allow_partial=" + tf(flag(args, "allow_partial")) + " overwrite=" + tf(flag(args, "overwrite"));
	run("Merge Batch Results", options);
	print("MedCNN: merged the shards in " + output + ": " + call("org.medcnn.ij.MacroTables.get", "MedCNN Batch Merge", "rows", 0) + " rows");
} else {
	input = call("ij.Macro.getValue", args, "input", "");
	if (input == "") exit("usage: input=DIR output=DIR model=ID|DIR [shard_index=I shard_count=N recursive resume overwrite ...]");
	shardIndex = call("ij.Macro.getValue", args, "shard_index", "0");
	shardCount = call("ij.Macro.getValue", args, "shard_count", "1");
	options = "input_dir=[" + input + "] output_dir=[" + output + "] model=[" + call("ij.Macro.getValue", args, "model", "brain-tumor-mri") + "]"
		+ " device=" + call("ij.Macro.getValue", args, "device", "auto") + " batch_size=" + call("ij.Macro.getValue", args, "batch_size", "8")
		+ " shard_index=" + shardIndex + " shard_count=" + shardCount + " pattern=[" + call("ij.Macro.getValue", args, "pattern", "") + "]";
	modelsDir = call("ij.Macro.getValue", args, "models_dir", "");
	if (modelsDir != "") options = options + " models_dir=[" + modelsDir + "]";
	// Checkboxes as key=true|false: a key left out keeps the command's default.
	options = options + " recursive=" + tf(flag(args, "recursive")) + " resume=" + tf(flag(args, "resume")) + " overwrite=" + tf(flag(args, "overwrite"));
	run("Batch Classify Folder", options);
	// One row per input of the shard: source, status, slices, ms, message.
	table = "MedCNN Batch";
	n = parseInt(call("org.medcnn.ij.MacroTables.size", table));
	failed = 0;
	for (i = 0; i < n; i++) if (call("org.medcnn.ij.MacroTables.get", table, "status", i) == "failed") failed++;
	print("MedCNN: batch shard " + shardIndex + " of " + shardCount + " finished: " + n + " input(s), " + failed + " failed; outputs in " + output);
}

// A flag given as a bare word ("resume") or as key=true/false.
function flag(args, key) {
	v = call("ij.Macro.getValue", args, key, "");
	if (v == "true" || v == "1" || v == "yes") return true;
	if (v == "false" || v == "0" || v == "no") return false;
	// (a macro's return gives the value of indexOf, not of the comparison)
	if (indexOf(" " + args + " ", " " + key + " ") >= 0) return true;
	return false;
}

// "true" or "false", as MedCNN's commands read a checkbox.
function tf(b) {
	if (b) return "true";
	return "false";
}
