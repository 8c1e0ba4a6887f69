#!/usr/bin/env bash
# Installs MedCNN into a Fiji installation: the plugin jar and the DJL/PyTorch jars into Fiji.app/jars,
# the shipped models into Fiji.app/models. Build first: mvn -B -q package -DskipTests
# Usage: scripts/install-into-fiji.sh /path/to/Fiji.app
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fiji="${1:?usage: $0 /path/to/Fiji.app}"
[[ -d "$fiji/jars" ]] || { echo "$fiji does not look like Fiji.app (no jars/ folder)" >&2; exit 2; }
jar="$(ls "$here"/target/medcnn-*.jar | grep -v -e '-sources' -e '-javadoc' -e '-tests' -e '-ij1' | head -n 1)"
[[ -n "$jar" ]] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 1; }
cp -v "$jar" "$fiji/jars/"
# Fiji already ships ImageJ, SciJava, gson, JNA and commons-compress; it lacks DJL and PyTorch.
for j in "$here"/target/lib/api-*.jar "$here"/target/lib/pytorch-*.jar; do cp -v "$j" "$fiji/jars/"; done
mkdir -p "$fiji/models"
for m in "$here"/models/*/; do
	[[ -f "$m/model.json" ]] || continue
	name="$(basename "$m")"
	if [[ -e "$fiji/models/$name" ]]; then
		echo "$fiji/models/$name exists; not overwritten (remove it first to update)" >&2
	else
		cp -rv "$m" "$fiji/models/$name"
	fi
done
echo "Restart Fiji; the commands are under Plugins > MedCNN."
