#!/usr/bin/env bash
# slurm_cluster.sh - a throw-away one-node Slurm (Debian 12's 22.05) for the farm tests.
#
#   bash tests/support/slurm_cluster.sh up DIR     # prints "export SLURM_CONF=DIR/slurm.conf" once a
#                                                  # first job has run; exit 1 + log tails if not in 60 s
#   bash tests/support/slurm_cluster.sh down DIR   # idempotent: cancel jobs, stop daemons, rm -rf DIR
#
# munged, slurmctld and slurmd live in DIR only (keep its path short: Unix sockets allow ~100
# bytes): no systemd, nothing in /etc, two free ports, so parallel test runs do not collide. One
# node "localhost" with this machine's CPUs, one partition "debug". Root only (SlurmUser=root).
# Without an accounting DB, finished tasks stay visible in squeue for MinJobAge (600 s) and in
# DIR/log/jobcomp.txt. afterok dependents of a failed task are cancelled (kill_invalid_depend),
# as on most production clusters, instead of pending forever.
set -u
umask 022
TAG_FILE=.ns-slurm-cluster

fail() { echo "slurm_cluster: $*" >&2; exit 1; }

free_port() {  # a port below the ephemeral range with nothing listening on it
  local port tries=0
  while [ $tries -lt 100 ]; do
    tries=$((tries + 1))
    port=$((21000 + RANDOM % 10000))
    [ "$port" = "${1:-0}" ] && continue
    if ! (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}

# Daemons of the cluster in $1: they were started with NS_SLURM_CLUSTER=$1 in their environment
# (slurmstepd and slurmscriptd inherit it); only daemon names are ever signalled, never job processes.
daemon_pids() {
  local f pid
  for f in /proc/[0-9]*/environ; do
    grep -qzxF "NS_SLURM_CLUSTER=$1" "$f" 2>/dev/null || continue
    pid=${f#/proc/}; pid=${pid%/environ}
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
      munged | slurmctld | slurmd | slurmstepd | slurmscriptd) echo "$pid" ;;
    esac
  done
}

show_logs() {
  local f
  for f in "$1"/log/*; do
    [ -s "$f" ] || continue
    echo "--- $f" >&2; tail -n 25 "$f" >&2
  done
}

down() {
  local dir=$1 pids n
  [ -e "$dir" ] || return 0
  [ -f "$dir/$TAG_FILE" ] || fail "$dir was not made by '$0 up': leaving it alone"
  dir=$(cd "$dir" && pwd -P)
  export SLURM_CONF=$dir/slurm.conf
  if [ -n "$(daemon_pids "$dir")" ]; then
    timeout 10 scancel --user=root >/dev/null 2>&1
    for n in $(seq 40); do [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.25; done
    timeout 10 scontrol shutdown >/dev/null 2>&1
  fi
  for n in $(seq 40); do
    pids=$(daemon_pids "$dir")
    [ -z "$pids" ] && break
    [ "$n" = 8 ] && kill -TERM $pids 2>/dev/null    # 2 s after the shutdown request
    sleep 0.25
  done
  pids=$(daemon_pids "$dir")
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  [ "${NS_SLURM_KEEP:-0}" = 1 ] || rm -rf "$dir"
  return 0
}

up() {
  local dir=$1 prog ctl_port d_port probe="" state="" deadline=$((SECONDS + 60))
  for prog in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$prog" >/dev/null ||
      fail "$prog is not installed (apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge)"
  done
  [ "$(id -u)" = 0 ] || fail "a local Slurm with SlurmUser=root needs root"
  [ -f "$dir/$TAG_FILE" ] && down "$dir"
  mkdir -p "$dir" || fail "cannot create $dir"
  [ -z "$(ls -A "$dir")" ] || fail "$dir is not empty"
  dir=$(cd "$dir" && pwd -P)
  [ ${#dir} -le 64 ] || fail "$dir is too long for the daemons' Unix sockets (use a short mktemp -d)"
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" && touch "$dir/$TAG_FILE" || fail "cannot write in $dir"
  ctl_port=$(free_port) && d_port=$(free_port "$ctl_port") || fail "no free port"
  # slurmd -C describes this machine (CPUs, sockets, memory) as a NodeName line; rename the node.
  local node_line
  node_line=$(slurmd -C | sed -n '1s/^NodeName=[^ ]*/NodeName=localhost/p')
  [ -n "$node_line" ] || fail "slurmd -C printed no node description"
  cat >"$dir/slurm.conf" <<CONF
ClusterName=nstest
SlurmctldHost=localhost
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
MpiDefault=none
ReturnToService=2
KillWait=2
MinJobAge=600
MailProg=/bin/true
$node_line State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none && chmod 400 "$dir/munge/munge.key"
  export SLURM_CONF=$dir/slurm.conf
  export NS_SLURM_CLUSTER=$dir
  # --force: munged refuses a socket below a 0700 folder (what mktemp -d makes) without it.
  munged --force --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" \
    </dev/null >>"$dir/log/daemons.out" 2>&1 || { show_logs "$dir"; down "$dir"; fail "munged did not start"; }
  slurmctld -f "$dir/slurm.conf" </dev/null >>"$dir/log/daemons.out" 2>&1 &&
    slurmd -f "$dir/slurm.conf" -N localhost </dev/null >>"$dir/log/daemons.out" 2>&1 ||
    { show_logs "$dir"; NS_SLURM_KEEP=1 down "$dir"; fail "slurmctld/slurmd did not start; logs kept in $dir"; }
  unset NS_SLURM_CLUSTER
  # Ready = the node is idle and a first job ran to the end (slurmctld also waits ~3 s after it
  # starts before it schedules anything; the probe absorbs that).
  while [ $SECONDS -lt $deadline ]; do
    if [ -z "$probe" ]; then
      [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ] &&
        probe=$(sbatch --parsable -J ns-probe -o /dev/null --wrap true 2>/dev/null)
    else
      state=$(squeue -h -t all -j "$probe" -o %T 2>/dev/null)
      case "$state" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | BOOT_FAIL) break ;; esac
    fi
    sleep 0.2
  done
  if [ "$state" != COMPLETED ]; then
    show_logs "$dir"
    NS_SLURM_KEEP=1 down "$dir"
    fail "the cluster in $dir did not run a first job within 60 s (probe ${probe:-never submitted}: ${state:-no state}); logs kept"
  fi
  echo "export SLURM_CONF=$dir/slurm.conf"
}

case "${1:-}" in
  up) [ -n "${2:-}" ] || fail "usage: $0 up DIR"; up "$2" ;;
  down) [ -n "${2:-}" ] || fail "usage: $0 down DIR"; down "$2" ;;
  *) echo "usage: $0 up DIR | down DIR" >&2; exit 2 ;;
esac
