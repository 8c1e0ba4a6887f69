#!/usr/bin/env bash
# A real one-node SLURM cluster in a scratch folder, for the tests that run scripts/slurm-batch.sh under
# SLURM (Debian's slurmctld, slurmd, slurm-client and munge; .ci/run installs them). Needs root: slurmd
# starts the jobs as their users.
#
#   slurm-cluster.sh up DIR [PID]  start munged, slurmctld and slurmd with everything in DIR; prints the line
#                                  SLURM_CONF=DIR/slurm.conf (export it for sbatch, squeue, scontrol ...).
#                                  With PID (a test's JVM), a watcher runs "down" when that process ends,
#                                  however it ends.
#   slurm-cluster.sh down DIR      cancel every job, then stop the daemons that "up" started (by their pids)
#
# The cluster writes nothing outside DIR: its munge key and socket, its state, spool, log and pid files all
# live there, its daemons listen on free ports chosen here (so that clusters of other checkouts can run at the
# same time), and it ("medcnn-test") has one node (this host, all its CPUs and 3/4 of its memory) in two
# partitions:
#   batch   (default)  preemptible: its jobs are requeued when an urgent job needs their CPUs
#   urgent             preempts batch jobs (PreemptType=preempt/partition_prio, PreemptMode=REQUEUE)
# Exit codes of "up": 0 running; 3 cannot start here (the reason on stderr: not installed, not root, a
# daemon that did not come up); then "up" has already stopped whatever it started.
set -euo pipefail

die() {
	echo "slurm-cluster: $*" >&2
	exit 3
}

mode="${1:-}"
[[ ( $# -eq 2 && ( "$mode" == up || "$mode" == down ) ) || ( $# -eq 3 && ( "$mode" == up || "$mode" == watch ) ) ]] || { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }
mkdir -p "$2"
dir="$(cd "$2" && pwd)"
export SLURM_CONF="$dir/slurm.conf"
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

# Whether a process runs (a zombie, ended but not yet reaped, does not).
alive() {
	[[ -r /proc/$1/stat ]] && [[ "$(sed 's/^.*) //' /proc/"$1"/stat 2>/dev/null | cut -d' ' -f1)" != Z ]]
}

# Stops the daemons this folder's "up" started: each by the pid recorded when it was started, and only
# while that pid is still the program that was started (a pid can be reused after its process ended).
stop_daemons() {
	local f pid prog
	if [[ -f "$SLURM_CONF" ]] && command -v scancel >/dev/null 2>&1 && [[ -f "$dir/pids/slurmctld" ]]; then
		# Cancel the jobs first, so that slurmd ends their steps (and their processes) before it stops.
		timeout 10 scancel --quiet --full --user=root --partition=batch,urgent >/dev/null 2>&1 || true
		for _ in $(seq 1 40); do
			[[ -z "$(timeout 5 squeue --noheader --states=all --format=%i 2>/dev/null || echo busy)" ]] && break
			sleep 0.5
		done
	fi
	# The watcher, unless it is the one running this.
	if [[ -f "$dir/pids/watcher" ]]; then
		pid="$(cat "$dir/pids/watcher")"
		if [[ "$pid" =~ ^[0-9]+$ && "$pid" != "${WATCHER:-}" && "$(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)" == *"slurm-cluster.sh watch $dir"* ]]; then
			kill -TERM "$pid" 2>/dev/null || true
		fi
		rm -f "$dir/pids/watcher"
	fi
	for prog in slurmd slurmctld munged; do
		f="$dir/pids/$prog"
		[[ -f "$f" ]] || continue
		pid="$(cat "$f")"
		if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat /proc/"$pid"/comm 2>/dev/null)" == "$prog" ]]; then
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 1 50); do
				alive "$pid" || break
				sleep 0.1
			done
			if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
		fi
		rm -f "$f"
	done
}

if [[ "$mode" == watch ]]; then
	# (internal) waits for process $3 to end, then stops the cluster
	while kill -0 "$3" 2>/dev/null; do sleep 2; done
	WATCHER=$$ stop_daemons
	exit 0
fi
if [[ "$mode" == down ]]; then
	stop_daemons
	echo "slurm-cluster: stopped the cluster in $dir"
	exit 0
fi

# -- up --
for b in munged slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
	command -v "$b" >/dev/null 2>&1 || die "$b is not installed (apt-get install slurmctld slurmd slurm-client munge)"
done
[[ "$(id -u)" -eq 0 ]] || die "needs root (slurmd starts jobs as their users); running as $(id -un)"
[[ -f "$dir/pids/slurmctld" || -f "$dir/pids/slurmd" || -f "$dir/pids/munged" ]] && die "$dir already holds a cluster; run: $0 down $dir"
# Whatever ends "up" early stops what it started.
trap 'rc=$?; if [[ $rc -ne 0 ]]; then stop_daemons; fi' EXIT

# A port that nothing listens on (bash's /dev/tcp connects when something does).
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

mkdir -p "$dir"/{munge,state,spool,log,pids}
chmod 755 "$dir/munge"
chown munge:munge "$dir/munge" 2>/dev/null || die "no user 'munge' (apt-get install munge)"
# munged's checks: the key is the daemon user's and private; its folder is not writable by others.
head -c 1024 /dev/urandom > "$dir/munge/munge.key"
chown munge:munge "$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
socket="$dir/munge/munge.socket"
# Started in the foreground, in the background of this shell, so that $! is the daemon's own pid.
setsid setpriv --reuid=munge --regid=munge --init-groups munged --foreground --key-file="$dir/munge/munge.key" --socket="$socket" \
	--log-file="$dir/munge/munged.log" --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed" \
	</dev/null >>"$dir/log/munged.out" 2>&1 &
echo $! > "$dir/pids/munged"
for _ in $(seq 1 50); do
	[[ -S "$socket" ]] && break
	sleep 0.1
done
[[ -S "$socket" ]] || die "munged did not start: $(tail -n 3 "$dir/munge/munged.log" "$dir/log/munged.out" 2>/dev/null | tr '\n' ' ')"

host="$(hostname -s)"
cpus="$(nproc)"
mem_mb=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 * 3 / 4))
ctld_port="$(free_port)"
slurmd_port="$(free_port)"
[[ "$slurmd_port" != "$ctld_port" ]] || slurmd_port=$((ctld_port + 1))
cat > "$SLURM_CONF" <<EOF
# Written by src/test/scripts/slurm-cluster.sh: a one-node test cluster in $dir
ClusterName=medcnn-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
MinJobAge=3600
KillWait=30
SlurmdTimeout=30
InactiveLimit=0
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/state/slurmctld.pid
SlurmdPidFile=$dir/spool/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=batch Nodes=$host Default=YES MaxTime=INFINITE State=UP PriorityTier=1 PreemptMode=REQUEUE
PartitionName=urgent Nodes=$host MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF
EOF
cat > "$dir/cgroup.conf" <<EOF
CgroupPlugin=autodetect
IgnoreSystemd=yes
EOF

setsid slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
echo $! > "$dir/pids/slurmctld"
setsid slurmd -D -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmd.out" 2>&1 &
echo $! > "$dir/pids/slurmd"

state=""
for _ in $(seq 1 60); do
	state="$(timeout 5 sinfo --noheader --nodes="$host" --format=%t 2>/dev/null | head -n 1 || true)"
	[[ "$state" == idle ]] && break
	for prog in slurmctld slurmd; do
		pid="$(cat "$dir/pids/$prog")"
		alive "$pid" || die "$prog ended at start: $(tail -n 3 "$dir/log/$prog.log" "$dir/log/$prog.out" 2>/dev/null | tr '\n' ' ')"
	done
	sleep 0.5
done
if [[ "$state" != idle ]]; then
	die "node $host is '${state:-unknown}', not idle, 30 s after start: $(tail -n 3 "$dir/log/slurmctld.log" | tr '\n' ' ')"
fi
if [[ $# -eq 3 ]]; then
	[[ "$3" =~ ^[0-9]+$ ]] && kill -0 "$3" 2>/dev/null || die "no process $3 to watch"
	setsid "$self" watch "$dir" "$3" </dev/null >>"$dir/log/watcher.out" 2>&1 &
	echo $! > "$dir/pids/watcher"
fi
echo "SLURM_CONF=$SLURM_CONF"
