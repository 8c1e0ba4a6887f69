// Runs one MedCNN command that must fail, for the tests: the failure must be one line in the log and stop this
// macro (the line after the command must never print), headless and on screen, without a dialog.
// Keys: command (the menu label), options (its macro options), stack (an image to open first; optional),
// table (instead of a command: a MedCNN table title to read, which must not exist).
args = getArgument();
stack = call("ij.Macro.getValue", args, "stack", "");
command = call("ij.Macro.getValue", args, "command", "");
options = call("ij.Macro.getValue", args, "options", "");
table = call("ij.Macro.getValue", args, "table", "");
// Start from nothing open, so that "no image" means none.
close("*");
if (stack != "") open(stack);
print("CHECK start " + command + table);
if (table != "") print("CHECK size=" + call("org.medcnn.ij.MacroTables.size", table));
else run(command, options);
print("CHECK NOT REACHED after " + command + table);
