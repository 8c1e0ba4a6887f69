#!/usr/bin/env bash
# Installs MedCNN into a Fiji installation from the Fiji-layout zip the build makes (target/medcnn-fiji.zip):
# its jars/ into Fiji.app/jars (MedCNN, DJL and the PyTorch jars; Fiji ships the rest) and its models/ into
# Fiji.app/models. Build first: mvn -B -q package -DskipTests (with -Pcuda for the GPU natives).
# Usage: scripts/install-into-fiji.sh /path/to/Fiji.app [ZIP]
# An older version of a jar it installs (another medcnn-*.jar, djl-api-*.jar, ..., and the other flavour of the
# PyTorch natives: pytorch-native-cpu or -cu124) is moved to Fiji.app/jars.old/, so that Fiji never loads two;
# an installed model folder is never overwritten (remove it to update it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fiji="${1:?usage: $0 /path/to/Fiji.app [medcnn-fiji.zip]}"
zip="${2:-$here/target/medcnn-fiji.zip}"
[[ -d "$fiji/jars" ]] || { echo "$fiji does not look like Fiji.app (no jars/ folder)" >&2; exit 2; }
[[ -f "$zip" ]] || { echo "$zip not found; build first: mvn -B -q package -DskipTests" >&2; exit 1; }
command -v unzip >/dev/null 2>&1 || { echo "unzip is needed (Debian: apt-get install unzip)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
unzip -q "$zip" -d "$tmp"
# A jar's name without its version (pytorch-jni-2.5.1-0.33.0.jar -> pytorch-jni); both flavours of the natives
# count as one (pytorch-native-cpu-2.5.1-linux-x86_64.jar, pytorch-native-cu124-... -> pytorch-native).
family() {
	sed -E -e 's/-[0-9][^/]*\.jar$//' -e 's/^pytorch-native-.*/pytorch-native/' <<<"$1"
}
for jar in "$tmp"/jars/*.jar; do
	name="$(basename "$jar")"
	for old in "$fiji"/jars/*.jar; do
		[[ -e "$old" && "$(basename "$old")" != "$name" ]] || continue
		[[ "$(family "$(basename "$old")")" == "$(family "$name")" ]] || continue
		mkdir -p "$fiji/jars.old"
		mv -v "$old" "$fiji/jars.old/"
	done
	cp -v "$jar" "$fiji/jars/$name"
done
mkdir -p "$fiji/models"
for m in "$tmp"/models/*/; do
	[[ -f "$m/model.json" ]] || continue
	name="$(basename "$m")"
	if [[ -e "$fiji/models/$name" ]]; then
		echo "$fiji/models/$name exists; not overwritten (remove it first to update)" >&2
	else
		cp -r "$m" "$fiji/models/$name"
		echo "installed model $name"
	fi
done
echo "Restart Fiji; the commands are under Plugins > MedCNN."
