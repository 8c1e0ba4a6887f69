#!/usr/bin/env bash
# Scale benchmark of batch classification (prints its figures; not a test):
#  1. a folder of 2000 single-slice 256x256 8-bit TIFFs, through `medcnn batch`;
#  2. one 512x512x400 16-bit stack (200 MiB of pixels), with a Java heap of twice its size (-Xmx400m).
# Usage: scripts/bench-scale.sh [work dir, default a temporary folder] (build first: mvn -B -q package -DskipTests)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
model="${MEDCNN_BENCH_MODEL:-brain-tumor-mri}"
cp="$(ls "$here"/target/medcnn-*.jar | grep -v -e '-sources' -e '-javadoc' -e '-tests' -e '-ij1' | head -n 1):$here/target/lib/*"
mkdir -p "$work"
cat > "$work/Make.java" <<'JAVA'
import ij.*; import ij.process.*; import ij.io.FileSaver;
public class Make {
	public static void main(String[] a) {
		String dir = a[0];
		java.util.Random r = new java.util.Random(1);
		new java.io.File(dir + "/folder").mkdirs();
		for (int i = 0; i < 2000; i++) {
			ByteProcessor ip = new ByteProcessor(256, 256);
			for (int p = 0; p < 256 * 256; p++) ip.set(p, (int) (128 + 60 * Math.sin(p / 300.0 + i) + r.nextInt(20)));
			new FileSaver(new ImagePlus("s" + i, ip)).saveAsTiff(String.format("%s/folder/slice-%04d.tif", dir, i));
		}
		ImageStack st = new ImageStack(512, 512);
		for (int z = 0; z < 400; z++) {
			short[] px = new short[512 * 512];
			for (int p = 0; p < px.length; p++) px[p] = (short) (1000 + (int) (400 * Math.sin((p % 512 + z) / 17.0)) + r.nextInt(50));
			st.addSlice("z" + (z + 1), new ShortProcessor(512, 512, px, null));
		}
		new java.io.File(dir + "/stack").mkdirs();
		new FileSaver(new ImagePlus("stack", st)).saveAsTiffStack(dir + "/stack/stack-512x512x400.tif");
	}
}
JAVA
if [[ ! -f "$work/stack/stack-512x512x400.tif" ]]; then
	javac -cp "$cp" -d "$work" "$work/Make.java" 2>/dev/null
	java -Djava.awt.headless=true -cp "$work:$cp" Make "$work"
fi
run() { # name, heap, input dir
	local out="$work/out-$1"; rm -rf "$out"
	local t0; t0=$(date +%s.%N)
	/usr/bin/time -f "%M" -o "$work/rss-$1" java "-Xmx$2" -Dai.djl.offline=true -Djava.awt.headless=true -Dmedcnn.models="$here/models" \
		-Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp:$here/target/cli-lib/*" org.medcnn.cli.MedCnnCli batch \
		--input-dir "$3" --output-dir "$out" --model "$model" --device cpu --batch-size 8 --quiet
	local t1; t1=$(date +%s.%N)
	local slices; slices=$(($(wc -l < "$out/results-shard-0-of-1.csv") - 1))
	printf '%s: %d slices in %.1f s = %.1f slices/s, peak resident %d MiB, Java heap limit %s\n' "$1" "$slices" \
		"$(echo "$t1 - $t0" | bc)" "$(echo "$slices / ($t1 - $t0)" | bc -l)" "$(( $(cat "$work/rss-$1") / 1024 ))" "$2"
}
echo "model $model, $(nproc) cores, $(java -version 2>&1 | head -n 1)"
run folder-2000 2g "$work/folder"
run stack-512x512x400 400m "$work/stack"
