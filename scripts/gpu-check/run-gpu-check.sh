#!/usr/bin/env bash
# MedCNN GPU check: runs on the GPU host, from the unpacked bundle that scripts/gpu-check.sh built.
# Needs no Maven, no Java and no network: the bundle has its own Java runtime. It does need the host's own
# PyTorch 2.5.1 (libtorch), with CUDA for a GPU:
#   PYTORCH_LIBRARY_PATH  the folder holding libtorch.so (pip: .../site-packages/torch/lib; libtorch zip: libtorch/lib)
#   PYTORCH_VERSION       its version (2.5.1); read from python3's torch or libtorch's build-version when not set
#   PYTORCH_FLAVOR        cpu, cpu-precxx11, cu124 or cu124-precxx11; found from the libraries when not set
# When PYTORCH_LIBRARY_PATH is not set, python3 (or $PYTHON) is asked where its torch is.
#
# Usage: ./run-gpu-check.sh [--device gpu|gpu:N|cpu] [--out DIR] [--seconds S] [--overwrite]
# MEDCNN_JAVA_OPTS adds JVM options to every MedCNN run.
# Steps: medcnn doctor; medcnn classify on the example stack with TF32 off (NVIDIA_TF32_OVERRIDE=0), compared
# with the CPU predictions stored in the bundle (same top-1 on every slice, max |p difference| <= 1e-3); the same
# with libtorch's defaults (TF32 where the GPU has it), reported; medcnn bench --device (throughput at batch 1
# and 8). Writes DIR/report.txt and the logs; exit 0 when every step passed, 1 when one failed, 2 when the
# setup is wrong (one line on stderr says what is missing).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
device=gpu
out=""
seconds=5
overwrite=0
tolerance=0.001

die() { echo "gpu-check: $*" >&2; exit 2; }

# compare REF RUN WANT_DEVICE: prints 'slices N, top-1 agreement A/N, max |p diff| D, device V' and exits non-zero
# when a slice's top-1 differs, a probability differs by more than the tolerance, the rows or the columns differ,
# or a row ran on another device than asked.
compare() {
	awk -F, -v tol="$tolerance" -v want="$3" '
		FNR == 1 { file++; if (file == 1) { refhead = $0 } else if ($0 != refhead) { print "columns differ from the reference: " $0; bad = 1 }
			for (i = 1; i <= NF; i++) { if ($i == "predicted") pc = i; if ($i == "device") dc = i; if ($i ~ /^p_/) isp[i] = 1; if ($i == "slice") sc = i }
			next }
		file == 1 { ref[$sc] = $0; nref++; next }
		{ n++; if (!($sc in ref)) { print "slice " $sc " is not in the reference"; bad = 1; next }
			split(ref[$sc], r, ",")
			if (r[pc] == $pc) agree++; else print "slice " $sc ": top-1 " $pc ", the CPU gave " r[pc]
			for (i in isp) { if ($i !~ /^[0-9.eE+-]+$/) { print "slice " $sc ": probability column " i " is not a number: " $i; bad = 1; continue }
				d = $i - r[i]; if (d < 0) d = -d; if (d > max) max = d }
			dev = $dc; if ((want == "cpu" && dev != "cpu") || (want != "cpu" && dev !~ /^gpu/)) wrong++ }
		END { if (n == 0) { print "no slices"; bad = 1 }
			if (n != nref) { print "slices " n + 0 ", the reference has " nref + 0; bad = 1 }
			printf "slices %d, top-1 agreement %d/%d, max |p diff| %.2e (tolerance %g), device %s%s\n", n, agree, n, max, tol, dev, wrong ? " (" wrong " row(s) not on " want ")" : ""
			exit (bad || agree != n || max > tol || wrong) ? 1 : 0 }' "$1" "$2"
}

# --compare REF RUN DEVICE: only the comparison of two prediction tables (used by the tests).
if [[ "${1:-}" == --compare ]]; then
	[[ $# -eq 4 ]] || die "--compare needs REF.csv RUN.csv cpu|gpu"
	compare "$2" "$3" "$4"
	exit
fi

while (($#)); do
	case "$1" in
		--device) [[ $# -ge 2 ]] || die "--device needs a value (gpu, gpu:N or cpu)"; device="$2"; shift 2 ;;
		--out) [[ $# -ge 2 ]] || die "--out needs a folder"; out="$2"; shift 2 ;;
		--seconds) [[ $# -ge 2 ]] || die "--seconds needs a number"; seconds="$2"; shift 2 ;;
		--overwrite) overwrite=1; shift ;;
		-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
		*) die "unknown option '$1' (see --help)" ;;
	esac
done
[[ "$device" =~ ^(cpu|gpu|gpu:[0-9]{1,3})$ ]] || die "--device '$device' is not one of gpu, gpu:N, cpu"
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 1 ]] || die "--seconds '$seconds' is not a whole number of seconds >= 1"
[[ -n "$out" ]] || out="$PWD/gpu-check-$(hostname -s 2>/dev/null || echo host)-$(date -u +%Y%m%dT%H%M%SZ)"
if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" && $overwrite -eq 0 ]]; then
	die "output folder $out exists and is not empty (choose another --out, or --overwrite)"
fi

java="$here/runtime/bin/java"
[[ -x "$java" ]] || die "the bundle's Java runtime is missing ($java): unpack the whole bundle"
for f in "$here/models/brain-tumor-mri/model.json" "$here/example/stack.tif" "$here/reference/cpu-predictions.csv"; do
	[[ -f "$f" ]] || die "the bundle is incomplete: $f is missing"
done
need_glibc="$(sed -n 's/^glibc: \([0-9.]*\)$/\1/p' "$here/VERSION" 2>/dev/null)"
host_glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ print $2 }')"
if [[ -n "$need_glibc" && -n "$host_glibc" && "$(printf '%s\n%s\n' "$need_glibc" "$host_glibc" | sort -V | head -n 1)" != "$need_glibc" ]]; then
	die "this host has glibc $host_glibc; the bundle's Java runtime needs glibc >= $need_glibc: build the bundle with a JDK 17 made for older systems first on the PATH (its jlink)"
fi
jni_jar="$(ls "$here"/jars/pytorch-jni-*.jar 2>/dev/null | head -n 1)"
[[ -n "$jni_jar" ]] || die "the bundle is incomplete: no pytorch-jni jar in $here/jars"
# pytorch-jni-2.5.1-0.33.0.jar: the libtorch version its JNI was built for, and DJL's version.
jni_id="$(basename "$jni_jar" .jar)"; jni_id="${jni_id#pytorch-jni-}"
jni_torch="${jni_id%-*}"; djl_version="${jni_id##*-}"

# -- The host's libtorch: where, which version, which flavor --
py="${PYTHON:-python3}"
py_info=""
if [[ -z "${PYTORCH_LIBRARY_PATH:-}" ]] && command -v "$py" >/dev/null 2>&1; then
	py_info="$("$py" -c 'import os, torch
print(os.path.join(os.path.dirname(torch.__file__), "lib"))
print(torch.__version__)
print(torch.version.cuda or "")
print(int(torch._C._GLIBCXX_USE_CXX11_ABI))' 2>/dev/null)" || py_info=""
fi
if [[ -n "${PYTORCH_LIBRARY_PATH:-}" ]]; then
	lib="$PYTORCH_LIBRARY_PATH"
	source_of_lib="PYTORCH_LIBRARY_PATH"
elif [[ -n "$py_info" ]]; then
	lib="$(sed -n 1p <<<"$py_info")"
	source_of_lib="$py's torch"
else
	die "no libtorch found: set PYTORCH_LIBRARY_PATH to the folder holding libtorch.so of PyTorch $jni_torch (pip: .../site-packages/torch/lib), or make '$py' import torch"
fi
[[ -f "$lib/libtorch.so" ]] || die "no libtorch.so in $lib (from $source_of_lib): point PYTORCH_LIBRARY_PATH at the folder that holds it"

version="${PYTORCH_VERSION:-}"
if [[ -z "$version" && -n "$py_info" ]]; then version="$(sed -n 2p <<<"$py_info")"; fi
if [[ -z "$version" && -f "$lib/../build-version" ]]; then version="$(head -n 1 "$lib/../build-version")"; fi
[[ -n "$version" ]] || die "the version of the libtorch in $lib is unknown: set PYTORCH_VERSION (this bundle's JNI is for $jni_torch)"
version="${version%%+*}"   # 2.5.1+cu124 -> 2.5.1
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "PYTORCH_VERSION '$version' is not a version like $jni_torch"

flavor="${PYTORCH_FLAVOR:-}"
if [[ -z "$flavor" ]]; then
	if [[ -f "$lib/libtorch_cuda.so" ]]; then flavor=cu124; else flavor=cpu; fi
	abi=""
	if [[ -n "$py_info" && -z "${PYTORCH_LIBRARY_PATH:-}" ]]; then abi="$(sed -n 4p <<<"$py_info")"; fi
	if [[ -z "$abi" ]]; then
		# A library built with the C++11 ABI exports std::__cxx11 names; one built with the old ABI has none.
		if grep -a -q -m 1 '__cxx11' "$lib/libc10.so" 2>/dev/null; then abi=1; else abi=0; fi
	fi
	[[ "$abi" == 1 ]] || flavor="$flavor-precxx11"
fi
case "$flavor" in
	cpu|cpu-precxx11|cu124|cu124-precxx11) ;;
	*) die "PYTORCH_FLAVOR '$flavor' is not one of cpu, cpu-precxx11, cu124, cu124-precxx11 (the flavors of pytorch-jni $jni_id for linux-x86_64)" ;;
esac
if [[ "$device" != cpu && "$flavor" == cpu* ]]; then
	die "the libtorch in $lib has no CUDA (no libtorch_cuda.so; flavor $flavor): --device $device needs a CUDA build of PyTorch $jni_torch, or use --device cpu"
fi

mkdir -p "$out" || die "cannot create the output folder $out"
out="$(cd "$out" && pwd)"
# DJL unpacks the JNI into its engine cache: one inside the output folder, so nothing stale is picked up and the
# home folder (often small or read-only on cluster nodes) is not written.
cache="$out/djl-cache"
mkdir -p "$cache"
if [[ "$version" != "$jni_torch" ]]; then
	# DJL 0.33 would download the JNI for another version; offline, it must have been put in its cache.
	have="$cache/pytorch/$version-$flavor-linux-x86_64/$djl_version-libdjl_torch.so"
	[[ -f "${MEDCNN_DJL_JNI:-}" ]] && mkdir -p "$(dirname "$have")" && cp "$MEDCNN_DJL_JNI" "$have"
	[[ -f "$have" ]] || die "libtorch $version in $lib, but this bundle's JNI (pytorch-jni $jni_id) runs only with libtorch $jni_torch: use PyTorch $jni_torch, or give the libdjl_torch.so that DJL $djl_version publishes for $version/$flavor as MEDCNN_DJL_JNI=FILE"
fi

export PYTORCH_LIBRARY_PATH="$lib" PYTORCH_VERSION="$version" PYTORCH_FLAVOR="$flavor" ENGINE_CACHE_DIR="$cache"
# libtorch's own libraries find each other through their RUNPATH; CUDA's come from the host's driver and toolkit.
medcnn() {
	"$java" -Dai.djl.offline=true -Djava.awt.headless=true -DENGINE_CACHE_DIR="$cache" \
		-Dmedcnn.models="$here/models" -Dmedcnn.cache.dir="$out/medcnn-cache" \
		-Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl=error ${MEDCNN_JAVA_OPTS:-} \
		-cp "$here/jars/*" org.medcnn.cli.MedCnnCli "$@"
}

report="$out/report.txt"
failed=0
note() { echo "$*" | tee -a "$report"; }
: >"$report"
note "MedCNN GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(hostname 2>/dev/null || echo unknown)"
note "bundle: $here ($(head -n 1 "$here/VERSION" 2>/dev/null || echo 'version unknown'))"
note "libtorch: $lib (from $source_of_lib), PYTORCH_VERSION=$version, PYTORCH_FLAVOR=$flavor, JNI pytorch-jni $jni_id"
note "device asked: $device"
if command -v nvidia-smi >/dev/null 2>&1; then
	note "nvidia-smi: $(nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>&1 | paste -sd ';' -)"
fi

# 1. doctor
if medcnn doctor >"$out/doctor.txt" 2>&1; then
	note "doctor: ok ($(grep -E '^  (pytorch_version|gpu_count|cuda|natives):' "$out/doctor.txt" | sed 's/^  //' | paste -sd ';' -))"
else
	note "doctor: FAILED (exit $?), see doctor.txt: $(grep -v '^\s*at ' "$out/doctor.txt" | tail -n 1)"
	failed=1
fi
# Where DJL took the JNI from: next to libtorch (a DJL-made folder), else unpacked from the bundle's pytorch-jni.
for f in "$lib/$djl_version-libdjl_torch.so" "$lib/libdjl_torch.so" "$cache/pytorch/$version-$flavor-linux-x86_64/$djl_version-libdjl_torch.so"; do
	if [[ -f "$f" ]]; then note "jni: $f"; break; fi
done
if ! grep -q '^  pytorch_version: ' "$out/doctor.txt"; then
	note "engine: FAILED to start on $lib: $(grep -E '^  engine:' "$out/doctor.txt" | sed 's/^  engine: //' | head -c 400)"
	echo "gpu-check: FAILED, the engine did not start; report in $report" >&2
	exit 1
fi

# 2. classify, compared with the CPU predictions stored in the bundle
want="${device%%:*}"
for mode in strict default; do
	dir="$out/classify-$mode"
	rm -rf "$dir"
	start=$(date +%s%N)
	if [[ $mode == strict ]]; then
		NVIDIA_TF32_OVERRIDE=0 medcnn classify --model brain-tumor-mri --input "$here/example/stack.tif" --output "$dir" --device "$device" >"$out/classify-$mode.log" 2>&1
	else
		medcnn classify --model brain-tumor-mri --input "$here/example/stack.tif" --output "$dir" --device "$device" >"$out/classify-$mode.log" 2>&1
	fi
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	label=$([[ $mode == strict ]] && echo "classify --device $device, fp32 (TF32 off)" || echo "classify --device $device, libtorch's defaults (TF32 where the GPU has it)")
	if [[ $rc -ne 0 || ! -f "$dir/stack.csv" ]]; then
		note "$label: FAILED (exit $rc), see classify-$mode.log: $(grep -v '^\s*at ' "$out/classify-$mode.log" | tail -n 1)"
		failed=1
		continue
	fi
	engine_ms=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "ms") c = i; next } { s += $c } END { printf "%.0f", s }' "$dir/stack.csv")
	if verdict="$(compare "$here/reference/cpu-predictions.csv" "$dir/stack.csv" "$want")"; then
		note "$label: ok: $(tail -n 1 <<<"$verdict"); whole command $ms ms, engine $engine_ms ms"
	elif [[ $mode == strict ]]; then
		note "$label: FAILED: $(paste -sd ';' - <<<"$verdict"); whole command $ms ms"
		failed=1
	else
		# With TF32 the probabilities may move by more than fp32's tolerance; the top-1 and the device still must hold.
		if grep -q "top-1 agreement \([0-9]*\)/\1," <<<"$verdict" && ! grep -q "not on\|not in the reference\|columns differ\|the reference has" <<<"$verdict"; then
			note "$label: ok within top-1 (probabilities beyond the fp32 tolerance, as TF32 may give): $(tail -n 1 <<<"$verdict"); whole command $ms ms"
		else
			note "$label: FAILED: $(paste -sd ';' - <<<"$verdict")"
			failed=1
		fi
	fi
done

# 3. bench on the device
if medcnn bench --device "$device" --seconds "$seconds" >"$out/bench.txt" 2>&1; then
	note "bench --device $device: $(grep -E '^  batch ' "$out/bench.txt" | sed 's/^  //' | paste -sd ';' -)"
else
	note "bench --device $device: FAILED, see bench.txt: $(grep -v '^\s*at ' "$out/bench.txt" | tail -n 1)"
	failed=1
fi

if ((failed)); then
	note "result: FAILED"
	echo "gpu-check: FAILED; report in $report" >&2
	exit 1
fi
note "result: PASSED"
echo "gpu-check: report in $report"
