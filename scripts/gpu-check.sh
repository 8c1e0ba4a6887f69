#!/usr/bin/env bash
# Builds the GPU check bundle: everything a GPU node without Maven, network or Java needs to check MedCNN on
# its GPU with its own PyTorch, in one archive under 60 MB.
#   medcnn-gpu-check/runtime/   a jlink Java runtime with only the modules MedCNN and its libraries use (jdeps)
#   medcnn-gpu-check/jars/      MedCNN, its benchmark jar and its runtime libraries, WITHOUT the CPU natives
#                               (pytorch-native-*): the host's libtorch replaces them; pytorch-jni is kept
#   medcnn-gpu-check/models/    the shipped brain-tumor-mri package (the files its card names)
#   medcnn-gpu-check/example/   its example stack; reference/cpu-predictions.csv: that stack classified here, on the CPU
#   medcnn-gpu-check/run-gpu-check.sh  the check to run on the GPU host (see its --help and README.txt)
# and medcnn-gpu-check.tar.gz next to it.
#
# Usage: scripts/gpu-check.sh [--build-dir DIR] [--out DIR] [--no-build] [--self-test] [--seconds S]
#   --build-dir  a build's target folder (default: target; built with mvn -B -q package -DskipTests when absent)
#   --out        where the bundle and the archive go (default: BUILD_DIR/gpu-check)
#   --no-build   never run Maven; fail when the build is missing
#   --self-test  then run the bundle's check here, on the CPU, with the libtorch that the CPU natives unpacked
#                (DJL's cache): the same steps as on the GPU host, only the device differs
# MEDCNN_JAVA_OPTS adds JVM options to every MedCNN run (here and in run-gpu-check.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$here/target"
out=""
no_build=0
self_test=0
seconds=5
model=brain-tumor-mri
limit_bytes=$((60 * 1000 * 1000))

die() { echo "gpu-check: $*" >&2; exit 2; }

while (($#)); do
	case "$1" in
		--build-dir) [[ $# -ge 2 ]] || die "--build-dir needs a folder"; build="$(cd "$2" 2>/dev/null && pwd)" || die "--build-dir $2 is not a folder"; shift 2 ;;
		--out) [[ $# -ge 2 ]] || die "--out needs a folder"; out="$2"; shift 2 ;;
		--no-build) no_build=1; shift ;;
		--self-test) self_test=1; shift ;;
		--seconds) [[ $# -ge 2 ]] || die "--seconds needs a number"; seconds="$2"; shift 2 ;;
		-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
		*) die "unknown option '$1' (see --help)" ;;
	esac
done
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 1 ]] || die "--seconds '$seconds' is not a whole number of seconds >= 1"
[[ -n "$out" ]] || out="$build/gpu-check"

command -v jlink >/dev/null 2>&1 || die "jlink not found: the bundle's Java runtime is made with a full JDK 17 (Debian: openjdk-17-jdk-headless)"
command -v jdeps >/dev/null 2>&1 || die "jdeps not found: it comes with jlink in a full JDK 17 (Debian: openjdk-17-jdk-headless)"

product_jar() { ls "$build"/medcnn-*.jar 2>/dev/null | grep -v -e '-sources' -e '-javadoc' -e '-tests' -e '-ij1' -e '-bench' | head -n 1 || true; }
bench_jar() { ls "$build"/medcnn-*-bench.jar 2>/dev/null | head -n 1 || true; }
if [[ -z "$(product_jar)" || -z "$(bench_jar)" || ! -d "$build/lib" ]]; then
	if ((no_build)) || [[ "$build" != "$here/target" ]]; then
		die "no build in $build (needs medcnn-*.jar, medcnn-*-bench.jar and lib/): run mvn -B -q package -DskipTests"
	fi
	echo "gpu-check: building (mvn -B -q package -DskipTests) ..."
	(cd "$here" && mvn -B -q package -DskipTests) || die "the build failed"
fi
jar="$(product_jar)"
bench="$(bench_jar)"
[[ -n "$jar" && -n "$bench" && -d "$build/lib" ]] || die "no build in $build (needs medcnn-*.jar, medcnn-*-bench.jar and lib/)"
natives="$(ls "$build"/lib/pytorch-native-*.jar 2>/dev/null | head -n 1 || true)"
[[ -n "$natives" ]] || die "no pytorch-native-*.jar in $build/lib: the CPU predictions the bundle stores are made with it"
jni="$(ls "$build"/lib/pytorch-jni-*.jar 2>/dev/null | head -n 1 || true)"
[[ -n "$jni" ]] || die "no pytorch-jni-*.jar in $build/lib"
pkg="$here/models/$model"
[[ -f "$pkg/model.json" && -f "$pkg/examples/stack.tif" ]] || die "the shipped model $pkg (model.json, examples/stack.tif) is missing"

bundle="$out/medcnn-gpu-check"
archive="$out/medcnn-gpu-check.tar.gz"
# Replace only a bundle this script made (it holds run-gpu-check.sh and VERSION); never another folder.
if [[ -e "$bundle" ]]; then
	[[ -f "$bundle/run-gpu-check.sh" && -f "$bundle/VERSION" ]] || die "$bundle exists and is not a GPU check bundle; remove it or choose another --out"
	rm -rf "$bundle"
fi
rm -f "$archive"
mkdir -p "$bundle/jars" "$bundle/models/$model" "$bundle/example" "$bundle/reference"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# -- jars: everything bin/medcnn puts on the class path, but the CPU natives --
for f in "$build"/lib/*.jar "$build"/cli-lib/*.jar "$jar" "$bench"; do
	case "$(basename "$f")" in pytorch-native-*|pytorch-jni-*) continue ;; esac
	cp "$f" "$bundle/jars/"
done
# pytorch-jni holds its JNI for every platform; the bundle keeps those for linux-x86_64 (cpu, cpu-precxx11,
# cu124, cu124-precxx11) and the version file DJL reads, under the same name. 2 MB less in the archive.
mkdir "$tmp/jni"
(cd "$tmp/jni" && jar xf "$jni" jnilib/linux-x86_64 jnilib/pytorch.properties && jar cf "$bundle/jars/$(basename "$jni")" jnilib) ||
	die "could not repack $jni"

# -- the Java runtime: the modules jdeps finds in each jar (a jar it cannot analyse alone needs only java.base:
# commons-compress, whose optional dependencies are absent, and slf4j-simple) --
modules="java.base"
for f in "$bundle"/jars/*.jar; do
	if m="$(jdeps --multi-release 17 --ignore-missing-deps -q --print-module-deps "$f" 2>/dev/null)"; then
		[[ -n "$m" ]] && modules="$modules,$m"
	fi
done
modules="$(tr ',' '\n' <<<"$modules" | sed '/^$/d' | sort -u | paste -sd, -)"
[[ ",$modules," == *",java.desktop,"* ]] || die "jdeps did not find java.desktop (ImageJ needs headless AWT); modules found: $modules"
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$bundle/runtime" ||
	die "jlink failed for the modules $modules"
# The JDK's libraries keep their symbol tables (jlink strips only debug sections): without them the runtime is
# 4 MB smaller and works the same. Skipped where binutils' strip is missing.
if command -v strip >/dev/null 2>&1; then
	find "$bundle/runtime" -name '*.so' -exec strip --strip-unneeded {} + || die "strip failed on the runtime's libraries"
fi

# -- the model package (only the files its card names) and its example stack --
cp "$pkg/model.json" "$bundle/models/$model/"
for f in $(grep -o '"file": *"[^"]*"' "$pkg/model.json" | sed 's/.*"\([^"]*\)"$/\1/'); do
	[[ -f "$pkg/$f" ]] || die "$pkg/model.json names $f, which is missing"
	mkdir -p "$(dirname "$bundle/models/$model/$f")"
	cp "$pkg/$f" "$bundle/models/$model/$f"
done
cp "$pkg/examples/stack.tif" "$bundle/example/stack.tif"

# -- the CPU reference: the bundle's runtime and jars with the CPU natives of this build --
run_cpu() {
	"$bundle/runtime/bin/java" -Dai.djl.offline=true -Djava.awt.headless=true -Dmedcnn.models="$bundle/models" \
		-Dmedcnn.cache.dir="$tmp/medcnn-cache" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl=error ${MEDCNN_JAVA_OPTS:-} \
		-cp "$bundle/jars/*:$natives" org.medcnn.cli.MedCnnCli "$@"
}
run_cpu classify --model "$model" --input "$bundle/example/stack.tif" --output "$tmp/ref" --device cpu --quiet >"$tmp/ref.log" 2>&1 ||
	die "classifying the example on the CPU failed: $(grep -v '^\s*at ' "$tmp/ref.log" | tail -n 1)"
grep -q ',cpu,' "$tmp/ref/stack.csv" || die "the CPU reference did not run on the cpu ($tmp/ref/stack.csv)"
cp "$tmp/ref/stack.csv" "$bundle/reference/cpu-predictions.csv"
run_cpu doctor >"$tmp/doctor.txt" 2>&1 || die "doctor failed with the bundle's runtime: $(tail -n 1 "$tmp/doctor.txt")"
cpu_libtorch="$(sed -n 's/^  natives: //p' "$tmp/doctor.txt")"

# The runtime's native code needs the glibc of the JDK's build system (Debian 12's OpenJDK: 2.34); the run
# script compares it with the host's, because an older cluster node would fail with the loader's cryptic error.
glibc="$(grep -a -o -h 'GLIBC_2\.[0-9]*' "$bundle"/runtime/bin/* "$bundle"/runtime/lib/*.so "$bundle"/runtime/lib/server/*.so 2>/dev/null |
	sed 's/GLIBC_//' | sort -u -V | tail -n 1)"
cp "$here/scripts/gpu-check/run-gpu-check.sh" "$bundle/run-gpu-check.sh"
cp "$here/scripts/gpu-check/README.txt" "$bundle/README.txt"
chmod +x "$bundle/run-gpu-check.sh"
jni_id="$(basename "$jni" .jar)"
{
	echo "$(basename "$jar" .jar), $(basename "$bench" .jar), $jni_id, Java $("$bundle/runtime/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')"
	echo "modules: $modules"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)$(cd "$here" && git rev-parse --short HEAD 2>/dev/null | sed 's/^/ from commit /')"
	echo "reference: $model on the cpu with $(basename "$natives")"
	echo "glibc: ${glibc:-unknown}"
} >"$bundle/VERSION"

(cd "$out" && tar czf "$(basename "$archive")" "$(basename "$bundle")")
size=$(stat -c %s "$archive")
unpacked=$(du -sb "$bundle" | cut -f1)
mb() { du -sb "$1" | awk '{ printf "%.1f", $1 / 1e6 }'; }
echo "gpu-check: $archive: $(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB ($size bytes; unpacked $(mb "$bundle") MB:" \
	"runtime $(mb "$bundle/runtime"), jars $(mb "$bundle/jars"), model $(mb "$bundle/models"), example $(mb "$bundle/example")); modules $modules"
((size < limit_bytes)) || die "the archive is $size bytes, over the limit of $limit_bytes"
echo "gpu-check: on the GPU host: tar xzf $(basename "$archive") && medcnn-gpu-check/run-gpu-check.sh --device gpu (README.txt inside)"

if ((self_test)); then
	[[ -f "$cpu_libtorch/libtorch.so" ]] || die "the CPU natives' libtorch was not found (doctor's natives line: '$cpu_libtorch')"
	# DJL's cache folder holds the JNI next to libtorch, which DJL would take from there; a GPU host's libtorch
	# has none, and the bundle's pytorch-jni must supply it. So the self-test sees the libraries without it.
	lib="$out/self-test-libtorch"
	rm -rf "$out/self-test" "$lib"
	mkdir -p "$lib"
	for f in "$cpu_libtorch"/*; do
		case "$(basename "$f")" in *djl_torch*) ;; *) ln -s "$f" "$lib/" ;; esac
	done
	echo "gpu-check: self-test on the CPU with the libraries of $cpu_libtorch (linked from $lib) ..."
	# DJL's cache folder has no build-version file: the version is given, as a user would give it.
	PYTORCH_LIBRARY_PATH="$lib" PYTORCH_VERSION="$(sed 's/^pytorch-jni-\([0-9.]*\)-.*/\1/' <<<"$jni_id")" \
		"$bundle/run-gpu-check.sh" --device cpu --out "$out/self-test" --seconds "$seconds"
fi
