#!/usr/bin/env bash
# MedCNN on a SLURM cluster: a job array classifies a folder, one shard per array task, then a final job merges
# the shards into results.csv. Each task runs headless Fiji (macros/batch-folder.ijm) or, with MEDCNN set, the
# command line (medcnn batch). Every task runs with "resume", so a requeued, preempted or resubmitted task keeps
# the inputs it finished; array task i is shard i of SHARDS, which takes inputs i, i+SHARDS, ... of the sorted
# input list, so the SHARDS tasks (--array=0-(SHARDS-1)) cover every input exactly once.
#
# Submit (from a login node; prints the job ids):
#   scripts/slurm-batch.sh submit INPUT_DIR OUTPUT_DIR MODEL SHARDS [KEYS...]
#   e.g. scripts/slurm-batch.sh submit /data/ct /scratch/ct-out lung-ct 16 device=cpu batch_size=16 recursive
# Resubmit some tasks (killed, cancelled, refused, or failed inputs fixed), then merge again (the new merge
# replaces results.csv and errors.csv, which hold nothing but the merged shard files):
#   scripts/slurm-batch.sh resubmit INPUT_DIR OUTPUT_DIR MODEL SHARDS TASKS [KEYS...]    (TASKS: e.g. 3 or 3,7)
# What submit does, by hand:
#   sbatch --array=0-15 scripts/slurm-batch.sh shard /data/ct /scratch/ct-out lung-ct 16 device=cpu
#   sbatch --dependency=afterany:<array job id> --export=ALL,MEDCNN_ARRAY_JOB=<array job id> scripts/slurm-batch.sh merge /scratch/ct-out
# KEYS are the macro's keys: device=, batch_size=, models_dir=, pattern=, recursive, overwrite (the command
# line gets them as --device, --batch-size, ...).
#
# Environment: FIJI (default ~/Fiji.app/ImageJ-linux64), or MEDCNN (the medcnn launcher, e.g. bin/medcnn of a
# built checkout) to run the command line instead of Fiji; MEDCNN_MACRO (default macros/batch-folder.ijm of
# this checkout, as an absolute path at submit time); SBATCH_EXTRA (more sbatch options for every job).
# Exit codes of a shard task (SLURM shows them as ExitCode=N:0):
#   0  the shard finished: every input done (or kept from an earlier run)
#   7  the shard finished, but some or all of its inputs failed or were skipped: see errors-shard-<i>-of-<n>.csv
#   8  not started: another live process (an earlier copy of this task) writes this shard; the log names it
#   1  the shard did not finish (model not found, output folder refused, ...): see the job log
#   143 stopped by SLURM (scancel, preemption, requeue, time limit); the shard's manifest says cancelled
# The merge job: 0 merged, every input has results; 7 merged, but inputs failed or were skipped (errors.csv),
# or shards were left out (allow_partial); 1 not merged (missing or unfinished shards are named in its log).
# Its log first lists the exit code of every task of the array and what each shard's files say.
#SBATCH --job-name=medcnn-batch
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=08:00:00
#SBATCH --output=medcnn-%x-%A_%a.log
#SBATCH --open-mode=append
set -euo pipefail

fiji="${FIJI:-$HOME/Fiji.app/ImageJ-linux64}"
medcnn="${MEDCNN:-}"
macro="${MEDCNN_MACRO:-}"
if [[ -z "$macro" ]]; then
	# sbatch runs a copy of this script from its spool folder: only submit can find the checkout.
	macro="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/macros/batch-folder.ijm"
fi

usage() {
	sed -n '2,/^#SBATCH/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

count_ok() {
	[[ "$1" =~ ^[1-9][0-9]*$ ]] || { echo "SHARDS must be a positive number, got '$1'" >&2; exit 2; }
}

# The macro's keys as options of medcnn batch, each ended by a NUL: device=cpu -> --device cpu,
# recursive (or recursive=true) -> --recursive. "resume" is left out: shard tasks always resume.
cli_options() {
	local kv key value
	for kv in "$@"; do
		key="${kv%%=*}"
		value="${kv#*=}"
		case "$key" in
		device | batch_size | models_dir | pattern)
			[[ "$kv" == *=* ]] || { echo "key '$key' needs a value ($key=...)" >&2; return 2; }
			printf '%s\0%s\0' "--${key//_/-}" "$value"
			;;
		recursive | overwrite | resume)
			[[ "$kv" != *=* || "$value" == true || "$value" == 1 || "$value" == yes ]] || continue
			[[ "$key" == resume ]] || printf '%s\0' "--$key"
			;;
		*) echo "unknown key '$kv' (device=, batch_size=, models_dir=, pattern=, recursive, overwrite)" >&2; return 2 ;;
		esac
	done
}

# Submits array tasks (an sbatch --array spec) of SHARDS shards, then a merge job that waits for them.
submit() {
	local in out model shards tasks merge_keys self array merge
	[[ -d "$1" ]] || { echo "INPUT_DIR $1: folder not found" >&2; exit 2; }
	in="$(cd "$1" && pwd)"
	mkdir -p "$2"
	out="$(cd "$2" && pwd)"
	model="$3" shards="$4" tasks="$5" merge_keys="$6"
	shift 6
	count_ok "$shards"
	# The tasks run in the folder sbatch is called from, but a launcher given relative to it is made absolute.
	if [[ -z "$medcnn" ]]; then
		[[ -f "$macro" ]] || { echo "macro not found: $macro (set MEDCNN_MACRO)" >&2; exit 2; }
		[[ "$fiji" != */* || "$fiji" == /* ]] || fiji="$(pwd)/$fiji"
	else
		command -v "$medcnn" >/dev/null 2>&1 || { echo "MEDCNN=$medcnn is not an executable" >&2; exit 2; }
		[[ "$medcnn" != */* || "$medcnn" == /* ]] || medcnn="$(pwd)/$medcnn"
	fi
	# A mistyped key would otherwise be dropped by every task (the macro reads only the keys it knows).
	cli_options "$@" >/dev/null || exit 2
	self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
	# shellcheck disable=SC2086
	array=$(sbatch --parsable ${SBATCH_EXTRA:-} --export=ALL,MEDCNN_MACRO="$macro",FIJI="$fiji",MEDCNN="$medcnn" --array="$tasks" \
		"$self" shard "$in" "$out" "$model" "$shards" "$@")
	array="${array%%;*}"
	# shellcheck disable=SC2086
	merge=$(sbatch --parsable ${SBATCH_EXTRA:-} --export=ALL,MEDCNN_MACRO="$macro",FIJI="$fiji",MEDCNN="$medcnn",MEDCNN_ARRAY_JOB="$array" \
		--job-name=medcnn-merge --dependency=afterany:"$array" --cpus-per-task=1 --output="medcnn-merge-%j.log" "$self" merge "$out" $merge_keys)
	echo "submitted shards: job $array (array $tasks of $shards shards); merge: job ${merge%%;*}; outputs in $out"
}

# Runs a launcher with its output in the job log and in a file; returns the launcher's exit code. A signal
# (scancel, preemption) reaches the launcher from SLURM itself: this shell waits for it to stop cleanly.
stopped=0
run_logged() {
	local capture="$1"
	shift
	trap 'stopped=1' TERM INT
	set +e
	"$@" 2>&1 | (trap '' TERM INT; exec tee "$capture")
	local code="${PIPESTATUS[0]}"
	set -e
	trap - TERM INT
	return "$code"
}

mode="${1:-}"
shift || true
case "$mode" in
submit)
	[[ $# -ge 4 ]] || usage
	count_ok "$4"
	args=("$1" "$2" "$3" "$4")
	shift 4
	submit "${args[@]}" "0-$((args[3] - 1))" "" "$@"
	;;
resubmit)
	[[ $# -ge 5 ]] || usage
	count_ok "$4"
	[[ "$5" =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || { echo "TASKS must be task numbers like 3 or 3,7 or 2-5, got '$5'" >&2; exit 2; }
	for t in $(tr ',-' '  ' <<<"$5"); do
		((10#$t < $4)) || { echo "task $t does not exist: the tasks of $4 shards are 0-$(($4 - 1))" >&2; exit 2; }
	done
	args=("$1" "$2" "$3" "$4" "$5")
	shift 5
	submit "${args[@]}" overwrite "$@"
	;;
shard)
	[[ $# -ge 4 ]] || usage
	in="$1" out="$2" model="$3" count="$4"
	shift 4
	count_ok "$count"
	index="${SLURM_ARRAY_TASK_ID:?run this through sbatch --array (or use: submit)}"
	# The task number is the shard: a resubmitted task (--array=3) is shard 3 of the same count.
	((index < count)) || { echo "medcnn: array task $index is not a shard of $count (tasks 0-$((count - 1)))" >&2; exit 2; }
	tag="shard-$index-of-$count"
	job="${SLURM_ARRAY_JOB_ID:-?}_${index} (job ${SLURM_JOB_ID:-?}, restart ${SLURM_RESTART_COUNT:-0})"
	manifest="$out/manifest-$tag.json"
	before=$(stat -c %y "$manifest" 2>/dev/null || echo none)
	capture="$(mktemp)"
	if [[ -n "$medcnn" ]]; then
		echo "medcnn: $tag of $in on $(hostname), task $job, with $medcnn"
		cli_options "$@" >/dev/null || exit 2
		mapfile -d '' options < <(cli_options "$@")
		run_logged "$capture" "$medcnn" batch --input-dir "$in" --output-dir "$out" --model "$model" \
			--shard-index "$index" --shard-count "$count" --resume "${options[@]}" && code=0 || code=$?
	else
		echo "medcnn: $tag of $in on $(hostname), task $job, with $fiji"
		run_logged "$capture" "$fiji" --headless --console -macro "$macro" \
			"input=[$in] output=[$out] model=[$model] shard_index=$index shard_count=$count resume $*" && code=0 || code=$?
	fi
	# Fiji's exit status does not tell whether the macro's command ran: a manifest rewritten by this run does,
	# and the shard lock's refusal ("... not started, so that two runs do not overwrite ...") is in its output.
	refused=0
	if [[ "$code" -eq 8 ]] || grep -q "not started, so that two runs do not overwrite" "$capture"; then refused=1; fi
	rm -f "$capture"
	after=$(stat -c %y "$manifest" 2>/dev/null || echo none)
	if [[ "$stopped" -eq 1 ]]; then
		echo "medcnn: $tag stopped by a signal (scancel, preemption, requeue or time limit); the inputs it finished are kept, resubmit it or let SLURM requeue it" >&2
		exit 143
	fi
	if [[ "$refused" -eq 1 ]]; then
		echo "medcnn: $tag not started: another live process writes this shard (named above); wait for it to end, then resubmit this task if the shard is not finished" >&2
		exit 8
	fi
	if [[ "$after" == none || "$after" == "$before" ]] || ! grep -q '"state": "finished"' "$manifest"; then
		echo "medcnn: $tag did not finish ($manifest not written, or not finished, by this run; see above)" >&2
		exit 1
	fi
	problems=$(tail -n +2 "$out/errors-$tag.csv" | grep -c . || true)
	if [[ "$problems" -gt 0 ]]; then
		echo "medcnn: $tag finished; $problems input(s) failed or were skipped, see $out/errors-$tag.csv (exit 7)" >&2
		exit 7
	fi
	echo "medcnn: $tag finished"
	;;
merge)
	[[ $# -ge 1 ]] || usage
	out="$1"
	shift
	# What SLURM recorded for the tasks of the array (while it still lists them), then what the files say.
	if [[ -n "${MEDCNN_ARRAY_JOB:-}" ]] && command -v scontrol >/dev/null 2>&1; then
		tasks="$(scontrol show job --oneliner "$MEDCNN_ARRAY_JOB" 2>/dev/null | grep " ArrayJobId=$MEDCNN_ARRAY_JOB " | sort -t= -k4 -n || true)"
		if [[ -n "$tasks" ]]; then
			while read -r line; do
				t="$(grep -o 'ArrayTaskId=[^ ]*' <<<"$line" | cut -d= -f2)"
				s="$(grep -o 'JobState=[^ ]*' <<<"$line" | cut -d= -f2)"
				e="$(grep -o ' ExitCode=[^ ]*' <<<"$line" | cut -d= -f2)"
				echo "medcnn: array job $MEDCNN_ARRAY_JOB task $t: $s, exit code ${e%%:*}$([[ "${e#*:}" != 0 ]] && echo " (signal ${e#*:})")"
			done <<<"$tasks"
		else
			echo "medcnn: SLURM no longer lists array job $MEDCNN_ARRAY_JOB"
		fi
	fi
	count=0 found=0 unfinished=0
	for m in "$out"/manifest-shard-*-of-*.json; do
		[[ -f "$m" ]] || continue
		tag="$(basename "$m" .json)"
		tag="${tag#manifest-}"
		count="${tag##*-of-}"
		state="$(grep -o '"state": "[a-z]*"' "$m" | head -n 1 | cut -d'"' -f4)"
		found=$((found + 1))
		[[ "$state" == finished ]] || unfinished=$((unfinished + 1))
		problems=$(tail -n +2 "$out/errors-$tag.csv" 2>/dev/null | grep -c . || true)
		echo "medcnn: $tag: $state, $problems input(s) failed or skipped$([[ "$problems" -gt 0 ]] && echo " (errors-$tag.csv)")"
	done
	before=$(stat -c %y "$out/results.csv" 2>/dev/null || echo none)
	if [[ -n "$medcnn" ]]; then
		opts=()
		for k in "$@"; do
			case "$k" in
			overwrite | allow_partial) opts+=("--${k//_/-}") ;;
			*) echo "unknown merge key '$k' (overwrite, allow_partial)" >&2; exit 2 ;;
			esac
		done
		"$medcnn" merge --output-dir "$out" "${opts[@]}" || true
	else
		"$fiji" --headless --console -macro "$macro" "output=[$out] merge $*" || true
	fi
	after=$(stat -c %y "$out/results.csv" 2>/dev/null || echo none)
	if [[ "$after" == none || "$after" == "$before" ]]; then
		echo "medcnn: merge failed; see above (missing or unfinished shards are named there)" >&2
		exit 1
	fi
	problems=$(tail -n +2 "$out/errors.csv" | grep -c . || true)
	if [[ "$problems" -gt 0 ]]; then
		echo "medcnn: merged into $out/results.csv; $problems input(s) failed or were skipped, see $out/errors.csv (exit 7)" >&2
		exit 7
	fi
	if [[ "$unfinished" -gt 0 || "$found" -lt "$count" ]]; then
		echo "medcnn: merged into $out/results.csv without $((count - found + unfinished)) missing or unfinished shard(s) (allow_partial; exit 7)" >&2
		exit 7
	fi
	echo "medcnn: merged into $out/results.csv"
	;;
*)
	usage
	;;
esac
