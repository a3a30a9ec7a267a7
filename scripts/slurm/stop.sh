#!/bin/sh
# Stop the single-node Slurm that scripts/slurm/start.sh started: cancel this cluster's jobs
# first (otherwise their slurmstepd outlives slurmd), then stop exactly the pids start.sh
# recorded, waiting until they are gone (a new slurmctld dies if the old one is still exiting).
# Idempotent: nothing recorded, or nothing alive, is success.
set -eu

DIR=${AGENT_EXEC_SLURM_DIR:-/var/lib/agent-exec-slurm}
say() { printf 'slurm/stop: %s\n' "$*" >&2; }
# A recorded pid counts only while it is still that daemon (pids are reused after a reboot) and
# not a zombie (where PID 1 does not reap, a dead daemon stays one, and kill -0 still succeeds).
alive() {
  [ -n "$2" ] && kill -0 "$2" 2>/dev/null && [ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ] &&
    [ "$(cut -d' ' -f3 "/proc/$2/stat" 2>/dev/null)" != Z ]
}

if [ ! -s "$DIR/pids" ]; then
  say "nothing recorded in $DIR/pids: nothing to stop"
  exit 0
fi

pid_of() { awk -v n="$1" '$1 == n { print $2 }' "$DIR/pids"; }
ctld=$(pid_of slurmctld)
if alive slurmctld "$ctld" && command -v scancel >/dev/null 2>&1; then
  # Every job of this cluster (the cluster is ours alone), then a bounded wait for them to leave
  # the running states so their steps are gone before slurmd is.
  scancel --full --quiet --state=PENDING >/dev/null 2>&1 || true
  scancel --full --quiet >/dev/null 2>&1 || true
  i=0
  while [ -n "$(squeue -h -t R,CG,S -o %i 2>/dev/null)" ] && [ $i -lt 100 ]; do
    i=$((i + 1))
    sleep 0.1
  done
fi

# slurmd first, then slurmctld, then munged (the others need munge to shut down cleanly).
for name in slurmd slurmctld munged; do
  pid=$(pid_of "$name")
  alive "$name" "$pid" || continue
  kill -TERM "$pid" 2>/dev/null || true
  i=0
  while alive "$name" "$pid" && [ $i -lt 100 ]; do
    i=$((i + 1))
    sleep 0.1
  done
  if alive "$name" "$pid"; then
    say "$name (pid $pid) still alive after 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$name" "$pid"; do sleep 0.1; done
  fi
  say "stopped $name (pid $pid)"
done
rm -f "$DIR/pids"
