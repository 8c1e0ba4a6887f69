// MedCNN: saliency maps of every slice of one image file; saves the heatmap stack, the input with the
// heatmaps and region outlines on its overlay, and the regions table (CSV).
// Works in Fiji (GUI or --headless) and in plain ImageJ 1.x with MedCNN_.jar.
//   Fiji:     ImageJ-linux64 --headless --console -macro saliency.ijm "input=/data/mr.tif model=brain-tumor-mri output=/data/out method=grad_cam"
//   ImageJ 1: xvfb-run java -Dplugins.dir=/opt/ImageJ -jar ij.jar -batch saliency.ijm "input=... model=... output=..."
args = getArgument();
input = call("ij.Macro.getValue", args, "input", "");
model = call("ij.Macro.getValue", args, "model", "brain-tumor-mri");
output = call("ij.Macro.getValue", args, "output", "");
method = call("ij.Macro.getValue", args, "method", "grad_cam");
target = call("ij.Macro.getValue", args, "target", "predicted");
device = call("ij.Macro.getValue", args, "device", "auto");
if (input == "" || output == "") exit("usage: input=FILE model=ID|DIR output=DIR [method=grad_cam] [target=predicted|CLASS] [device=auto]");
setBatchMode(true);
open(input);
source = getImageID();
name = File.getNameWithoutExtension(input);
File.makeDirectory(output);
run("Saliency Maps", "model=[" + model + "] device=" + device + " method=" + method + " target=[" + target + "] top_percent=5 max_regions=3 overlay_opacity=0.4 add_overlay=true batch_size=8 results_csv=[" + output + File.separator + name + "_regions.csv]");
// The heatmap stack is the current image now (headless too).
saveAs("Tiff", output + File.separator + name + "_" + method + "_heatmap.tif");
close();
selectImage(source);
saveAs("Tiff", output + File.separator + name + "_" + method + "_overlay.tif");
close();
regions = call("org.medcnn.ij.MacroTables.size", "MedCNN Saliency Regions");
print("MedCNN: saliency of " + input + " (" + regions + " regions)");
