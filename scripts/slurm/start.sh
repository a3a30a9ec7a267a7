#!/bin/sh
# Start a single-node Slurm (munged, slurmctld, slurmd) without systemd, for the Slurm backend's
# tests and benches. Idempotent: a cluster this script started and that is still healthy is left
# as it is. Installs Debian's packages when they are missing (needs root). Records the pids it
# started in $AGENT_EXEC_SLURM_DIR/pids; scripts/slurm/stop.sh stops exactly those.
#
#   AGENT_EXEC_SLURM_DIR      state, spool, logs, pids (default /var/lib/agent-exec-slurm)
#   AGENT_EXEC_SLURM_TIMEOUT  seconds to wait for the node to be idle (default 90)
#
# Facts this relies on: /work/shared/SLURM-NOTES.md (measured on Debian 12, no systemd, no usable
# cgroups: proctrack/linuxproc, task/none, no accounting daemon).
set -eu

DIR=${AGENT_EXEC_SLURM_DIR:-/var/lib/agent-exec-slurm}
TIMEOUT=${AGENT_EXEC_SLURM_TIMEOUT:-90}
CONF=/etc/slurm/slurm.conf
MARK='# managed by agent-exec scripts/slurm/start.sh'
PACKAGES='slurmctld slurmd slurm-client slurm-wlm-basic-plugins munge'
HERE=$(cd "$(dirname "$0")" && pwd)

say() { printf 'slurm/start: %s\n' "$*" >&2; }
die() {
  say "ERROR: $*"
  for f in "$DIR/log/munged.log" "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"; do
    [ -f "$f" ] && { say "--- last lines of $f"; tail -n 15 "$f" >&2; }
  done
  exit 1
}
now() { date +%s; }
T0=$(now)

[ "$(uname -s)" = Linux ] || die "needs Linux (found $(uname -s))"
[ "$(id -u)" = 0 ] || die "needs root (installs packages, runs munged as the munge user)"

# A recorded pid counts only while it is still that daemon (pids are reused after a reboot) and
# not a zombie (where PID 1 does not reap, a dead daemon stays one, and kill -0 still succeeds).
alive() {
  [ -n "$2" ] && kill -0 "$2" 2>/dev/null && [ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ] &&
    [ "$(cut -d' ' -f3 "/proc/$2/stat" 2>/dev/null)" != Z ]
}
node_state() { sinfo -h -N -o '%t' 2>/dev/null | head -n 1; }

# Already running and started by us? Then nothing to do (but still wait for idle).
if [ -f "$DIR/pids" ]; then
  all=1
  while read -r name pid; do alive "$name" "$pid" || all=0; done <"$DIR/pids"
  if [ "$all" = 1 ] && command -v sinfo >/dev/null 2>&1 && [ -n "$(node_state)" ]; then
    state=$(node_state)
    case $state in
    idle | mix | alloc | comp)
      say "already running ($(tr '\n' ' ' <"$DIR/pids")), node $state"
      exit 0
      ;;
    esac
  fi
  say "stale or partial cluster in $DIR: stopping it first"
  "$HERE/stop.sh" || die "could not stop the previous cluster"
fi

# 1. Packages. apt's policy-rc.d (no systemd) keeps them from starting services themselves.
mkdir -p "$DIR"
missing=
for p in $PACKAGES; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache policy slurmctld 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -q >"$DIR/apt.log" 2>&1 || { cat "$DIR/apt.log" >&2; die "apt-get update failed"; }
  fi
  i=0
  # A fresh CI machine may still be running its own apt: retry on the dpkg lock, a few times.
  until apt-get install -y -q --no-install-recommends $missing >"$DIR/apt.log" 2>&1; do
    i=$((i + 1))
    [ $i -ge 5 ] && { tail -n 30 "$DIR/apt.log" >&2; die "apt-get install$missing failed"; }
    say "apt-get install failed (try $i), retrying in 3 s"
    sleep 3
    apt-get update -q >/dev/null 2>&1 || true
  done
  say "installed in $(($(now) - T0)) s"
fi
for c in munged slurmctld slurmd sinfo sbatch; do
  command -v "$c" >/dev/null 2>&1 || die "$c not on PATH after installing $PACKAGES"
done

# 2. Our own directories, munge key and config. Nothing outside $DIR except /etc/slurm/slurm.conf
# (what every Slurm command reads), and only if that file is ours or absent.
if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
  die "$CONF exists and was not written by this script; refusing to overwrite it"
fi
mkdir -p "$DIR/ctld" "$DIR/d" "$DIR/log" "$DIR/munge" /etc/slurm
chmod 755 "$DIR"
chown munge:munge "$DIR/munge"
chmod 755 "$DIR/munge" # clients of any user must reach the socket
if [ ! -s "$DIR/munge/munge.key" ]; then
  dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 2>/dev/null
fi
chown munge:munge "$DIR/munge/munge.key"
chmod 400 "$DIR/munge/munge.key"
touch "$DIR/log/munged.log" && chown munge:munge "$DIR/log/munged.log"
: >"$DIR/log/slurmctld.log"
: >"$DIR/log/slurmd.log"

HOST=$(hostname -s)
# The node line as slurmd measures it, with RealMemory lowered to 95 % (otherwise the node may be
# drained for "Low RealMemory") and NodeAddr pinned so the hostname never has to resolve.
NODE=$(slurmd -C 2>/dev/null | head -n 1)
case $NODE in NodeName=*) ;; *) die "slurmd -C printed no node line: $NODE" ;; esac
MEM=$(printf '%s\n' "$NODE" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
MEM=$((MEM * 95 / 100))
NODE=$(printf '%s\n' "$NODE" | sed "s/^NodeName=[^ ]*/NodeName=$HOST/; s/RealMemory=[0-9]*/RealMemory=$MEM/")

cat >"$CONF.tmp" <<CONF
$MARK (state in $DIR)
ClusterName=agentexec
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/d
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.txt
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
MinJobAge=600
JobRequeue=0
ReturnToService=2
InactiveLimit=0
KillWait=2
OverTimeLimit=0
$NODE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
mv "$CONF.tmp" "$CONF"

# 3. Daemons in the foreground, backgrounded here so $! is the daemon's own pid (setpriv execs;
# runuser would fork). Each is recorded as soon as it starts, so stop.sh can clean up a half start.
: >"$DIR/pids"
setsid setpriv --reuid=munge --regid=munge --init-groups \
  munged -F --socket="$DIR/munge/munge.socket" --key-file="$DIR/munge/munge.key" \
  --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed" \
  --log-file="$DIR/log/munged.log" </dev/null >>"$DIR/log/munged.log" 2>&1 &
echo "munged $!" >>"$DIR/pids"
i=0
until [ -S "$DIR/munge/munge.socket" ]; do
  i=$((i + 1)); [ $i -gt 100 ] && die "munged did not create its socket in 10 s"
  sleep 0.1
done

setsid slurmctld -D -i -f "$CONF" </dev/null >>"$DIR/log/slurmctld.out" 2>&1 &
echo "slurmctld $!" >>"$DIR/pids"
setsid slurmd -D -f "$CONF" </dev/null >>"$DIR/log/slurmd.out" 2>&1 &
echo "slurmd $!" >>"$DIR/pids"

# 4. Wait (bounded) for the node to be idle.
deadline=$(($(now) + TIMEOUT))
state=
while :; do
  while read -r name pid; do
    alive "$name" "$pid" || die "$name (pid $pid) exited during start-up"
  done <"$DIR/pids"
  state=$(node_state)
  case $state in idle | mix | alloc) break ;; esac
  case $state in
  drain* | down* | *drain | *down | fail*)
    # ReturnToService=2 brings a DOWN node back once slurmd registers; a node drained by an
    # earlier run is resumed explicitly.
    scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
    ;;
  esac
  [ "$(now)" -ge "$deadline" ] && {
    sinfo -N -l >&2 2>&1 || true
    die "node not idle after ${TIMEOUT} s (state: '${state:-no answer from slurmctld}')"
  }
  sleep 0.2
done
say "node $HOST $state after $(($(now) - T0)) s; pids: $(tr '\n' ' ' <"$DIR/pids")"
