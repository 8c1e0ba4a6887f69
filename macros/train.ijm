// MedCNN: train a slice classifier (transfer learning) on a folder with one sub-folder per class, and
// write a model package. Works in Fiji (GUI or --headless) and in plain ImageJ 1.x with MedCNN_.jar.
//   Fiji:     ImageJ-linux64 --headless --console -macro train.ijm "data=/data/train output=/models/my-ct base_model=lung-ct epochs=8"
//   ImageJ 1: xvfb-run java -Dplugins.dir=/opt/ImageJ -jar ij.jar -batch train.ijm "data=... output=... base_model=..."
// Keys: data, output, base_model (a TorchScript trunk .pt, or a model id or folder to fine-tune), epochs (8),
// batch_size (16), image_size (224), learning_rate (0.001), validation_fraction (0.15), test_fraction (0.15),
// group_regex, group_bin (0), intensity (percentile:0.5:99.5), seed (42); flags, as a bare word or
// =true/false: augment (on), flip (on), overwrite (off).
args = getArgument();
data = call("ij.Macro.getValue", args, "data", "");
output = call("ij.Macro.getValue", args, "output", "");
base = call("ij.Macro.getValue", args, "base_model", "");
if (data == "" || output == "" || base == "") exit("usage: data=DIR output=DIR base_model=PT|ID|DIR [epochs=8 image_size=224 intensity=... overwrite ...]");
options = "data_dir=[" + data + "] output_dir=[" + output + "] base_model=[" + base + "]"
	+ " epochs=" + call("ij.Macro.getValue", args, "epochs", "8") + " batch_size=" + call("ij.Macro.getValue", args, "batch_size", "16")
	+ " image_size=" + call("ij.Macro.getValue", args, "image_size", "224") + " learning_rate=" + call("ij.Macro.getValue", args, "learning_rate", "0.001")
	+ " validation_fraction=" + call("ij.Macro.getValue", args, "validation_fraction", "0.15") + " test_fraction=" + call("ij.Macro.getValue", args, "test_fraction", "0.15")
	+ " group_regex=[" + call("ij.Macro.getValue", args, "group_regex", "") + "] group_bin=" + call("ij.Macro.getValue", args, "group_bin", "0")
	+ " intensity=[" + call("ij.Macro.getValue", args, "intensity", "percentile:0.5:99.5") + "] seed=" + call("ij.Macro.getValue", args, "seed", "42");
// Checkboxes as key=true|false; augment and flip default to on.
options = options + " augment=" + tf(flag(args, "augment", true)) + " flip=" + tf(flag(args, "flip", true)) + " overwrite=" + tf(flag(args, "overwrite", false));
setBatchMode(true);
run("Train Classifier", options);
print("MedCNN: trained a model package in " + output + " (" + call("org.medcnn.ij.MacroTables.size", "MedCNN Training History") + " epochs in the history)");

// A flag given as a bare word ("overwrite") or as key=true/false; def when absent.
function flag(args, key, def) {
	v = call("ij.Macro.getValue", args, key, "");
	if (v == "true" || v == "1" || v == "yes") return true;
	if (v == "false" || v == "0" || v == "no") return false;
	if (indexOf(" " + args + " ", " " + key + " ") >= 0) return true;
	return def;
}

// "true" or "false", as MedCNN's commands read a checkbox.
function tf(b) {
	if (b) return "true";
	return "false";
}
