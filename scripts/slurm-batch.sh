#!/usr/bin/env bash
# MedCNN on a SLURM cluster with Fiji: a job array classifies a folder, one shard per array task, then a
# final job merges the shards into results.csv. Every task runs with "resume", so a requeued, preempted or
# resubmitted task keeps what it finished and never duplicates work; shard i of N takes inputs i, i+N, ...
# of the sorted input list, so the N tasks cover every input exactly once.
#
# Submit (from a login node; prints the job ids):
#   scripts/slurm-batch.sh submit INPUT_DIR OUTPUT_DIR MODEL SHARDS [MACRO_KEYS...]
#   e.g. scripts/slurm-batch.sh submit /data/ct /scratch/ct-out lung-ct 16 device=cpu batch_size=16 recursive
# What submit does, by hand:
#   sbatch --array=0-15 scripts/slurm-batch.sh shard /data/ct /scratch/ct-out lung-ct device=cpu
#   sbatch --dependency=afterany:<array job id> scripts/slurm-batch.sh merge /scratch/ct-out
# Rerun failed or killed tasks the same way (sbatch --array=3,7 ... shard ...), then merge again with the
# key "overwrite" (an existing results.csv is never replaced otherwise).
#
# Environment: FIJI (default ~/Fiji.app/ImageJ-linux64), MEDCNN_MACRO (default macros/batch-folder.ijm of
# this checkout, as an absolute path at submit time), SBATCH_EXTRA (more sbatch options for both jobs).
# Exit codes of a shard task: 0 every input of the shard done, 7 some inputs failed or were skipped (see
# errors-shard-<i>-of-<n>.csv), 1 the shard did not finish (see the job log). The merge job: 0 merged, 1 not.
#SBATCH --job-name=medcnn-batch
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=08:00:00
#SBATCH --output=medcnn-%x-%A_%a.log
set -euo pipefail

fiji="${FIJI:-$HOME/Fiji.app/ImageJ-linux64}"
macro="${MEDCNN_MACRO:-}"
if [[ -z "$macro" ]]; then
	# sbatch runs a copy of this script from its spool folder: only submit can find the checkout.
	macro="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/macros/batch-folder.ijm"
fi

usage() {
	sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

mode="${1:-}"
shift || true
case "$mode" in
submit)
	[[ $# -ge 4 ]] || usage
	in="$(cd "$1" && pwd)"
	mkdir -p "$2"
	out="$(cd "$2" && pwd)"
	model="$3"
	shards="$4"
	shift 4
	[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "SHARDS must be a positive number, got '$shards'" >&2; exit 2; }
	[[ -f "$macro" ]] || { echo "macro not found: $macro (set MEDCNN_MACRO)" >&2; exit 2; }
	self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
	# shellcheck disable=SC2086
	array=$(sbatch --parsable ${SBATCH_EXTRA:-} --export=ALL,MEDCNN_MACRO="$macro",FIJI="$fiji" --array=0-$((shards - 1)) \
		"$self" shard "$in" "$out" "$model" "$@")
	array="${array%%;*}"
	# shellcheck disable=SC2086
	merge=$(sbatch --parsable ${SBATCH_EXTRA:-} --export=ALL,MEDCNN_MACRO="$macro",FIJI="$fiji" --job-name=medcnn-merge \
		--dependency=afterany:"$array" --cpus-per-task=1 --output="medcnn-merge-%j.log" "$self" merge "$out")
	echo "submitted shards: job $array (array 0-$((shards - 1))); merge: job ${merge%%;*}; outputs in $out"
	;;
shard)
	[[ $# -ge 3 ]] || usage
	in="$1" out="$2" model="$3"
	shift 3
	: "${SLURM_ARRAY_TASK_ID:?run this through sbatch --array (or use: submit)}"
	# Arrays may start at any number (--array=1-16): the shard is the task's position in the array.
	index=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))
	count="${SLURM_ARRAY_TASK_COUNT:?}"
	tag="shard-$index-of-$count"
	echo "medcnn: $tag of $in on $(hostname) with $fiji"
	manifest="$out/manifest-$tag.json"
	before=$(stat -c %y "$manifest" 2>/dev/null || echo none)
	"$fiji" --headless --console -macro "$macro" \
		"input=[$in] output=[$out] model=[$model] shard_index=$index shard_count=$count resume $*" || true
	# Fiji's exit status does not tell whether the macro's command ran: a manifest rewritten by this run does.
	after=$(stat -c %y "$manifest" 2>/dev/null || echo none)
	if [[ "$after" == none || "$after" == "$before" ]] || ! grep -q '"state": "finished"' "$manifest"; then
		echo "medcnn: $tag did not finish ($manifest not written, or not finished, by this run; see above)" >&2
		exit 1
	fi
	problems=$(tail -n +2 "$out/errors-$tag.csv" | grep -c . || true)
	if [[ "$problems" -gt 0 ]]; then
		echo "medcnn: $tag finished; $problems input(s) failed or were skipped, see $out/errors-$tag.csv" >&2
		exit 7
	fi
	echo "medcnn: $tag finished"
	;;
merge)
	[[ $# -ge 1 ]] || usage
	out="$1"
	shift
	before=$(stat -c %y "$out/results.csv" 2>/dev/null || echo none)
	"$fiji" --headless --console -macro "$macro" "output=[$out] merge $*" || true
	after=$(stat -c %y "$out/results.csv" 2>/dev/null || echo none)
	if [[ "$after" == none || "$after" == "$before" ]]; then
		echo "medcnn: merge failed; see the log (missing or unfinished shards are named there)" >&2
		exit 1
	fi
	echo "medcnn: merged into $out/results.csv"
	;;
*)
	usage
	;;
esac
