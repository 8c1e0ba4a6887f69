// MedCNN: classify every slice of one image file and save the table (CSV) and the stack with its
// overlay (TIFF), then print each slice's prediction, read back from the table "MedCNN Classification" (the
// same calls work headless and on screen). Works in Fiji (GUI or --headless) and in plain ImageJ 1.x with
// MedCNN_.jar.
//   Fiji:     ImageJ-linux64 --headless --console -macro classify-stack.ijm "input=/data/ct.tif model=lung-ct output=/data/out"
//   ImageJ 1: xvfb-run java -Dplugins.dir=/opt/ImageJ -jar ij.jar -batch classify-stack.ijm "input=... model=... output=..."
args = getArgument();
input = call("ij.Macro.getValue", args, "input", "");
model = call("ij.Macro.getValue", args, "model", "brain-tumor-mri");
output = call("ij.Macro.getValue", args, "output", "");
device = call("ij.Macro.getValue", args, "device", "auto");
uncertainty = call("ij.Macro.getValue", args, "uncertainty", "none");
if (input == "" || output == "") exit("usage: input=FILE model=ID|DIR[,ID|DIR...] output=DIR [device=auto|cpu|gpu] [uncertainty=none|tta|mc_dropout|ensemble]");
setBatchMode(true);
open(input);
name = File.getNameWithoutExtension(input);
File.makeDirectory(output);
run("Classify Slices", "model=[" + model + "] device=" + device + " batch_size=8 add_overlay=true uncertainty=" + uncertainty + " results_csv=[" + output + File.separator + name + ".csv]");
saveAs("Tiff", output + File.separator + name + ".tif");
close();
// The table, read the same way headless and on screen (ImageJ's Table.* functions find it only on screen).
table = "MedCNN Classification";
n = parseInt(call("org.medcnn.ij.MacroTables.size", table));
for (i = 0; i < n; i++) {
	slice = call("org.medcnn.ij.MacroTables.get", table, "slice", i);
	predicted = call("org.medcnn.ij.MacroTables.get", table, "predicted", i);
	confidence = parseFloat(call("org.medcnn.ij.MacroTables.get", table, "confidence", i));
	print("MedCNN: slice " + slice + ": " + predicted + " (" + d2s(confidence, 3) + ")");
}
print("MedCNN: classified " + input + " (" + n + " slices)");
