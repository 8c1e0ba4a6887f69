// Saves ImageJ's Log window to the file named by the argument (for tests that run macros on screen, where
// print() goes to that window instead of standard output).
File.saveString(getInfo("log"), getArgument());
