// Runs Engine Doctor, then Batch Classify Folder over a folder of compressed and uncompressed DICOM, in Fiji with
// Bio-Formats, for the tests (ImageJ2BioFormatsTest). Keys: input (the folder), output (the batch's output folder).
args = getArgument();
input = call("ij.Macro.getValue", args, "input", "");
output = call("ij.Macro.getValue", args, "output", "");
T = "org.medcnn.ij.MacroTables.";
run("Engine Doctor");
n = parseInt(call(T + "size", "MedCNN Engine Doctor"));
for (i = 0; i < n; i++) {
	key = call(T + "get", "MedCNN Engine Doctor", "key", i);
	if (key == "bioformats") print("CHECK doctor " + key + "=" + call(T + "get", "MedCNN Engine Doctor", "value", i));
}
run("Batch Classify Folder", "input_dir=[" + input + "] output_dir=[" + output + "] model=lung-ct device=cpu batch_size=4 resume=false");
print("CHECK batch finished");
print("CHECK done");
