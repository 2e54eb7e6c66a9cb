#!/usr/bin/env bash
# farm_throughput.sh - measures farm renders on a throw-away one-node Slurm (tests/support/
# slurm_cluster.sh) for docs/farm.md: per-task start-up (process start -> first progress line:
# LibTorch init, model load, inputs, sketch) and frames/hour with 1 task at a time vs 2 at once.
# Usage: tools/farm_throughput.sh NOISESTUDIO_CLI SOURCE_DIR [PROJECT] [CHUNK]   (root; ~5 min)
# Each configuration renders the whole project (default: examples/red_ball_on_grass.nsproj, its
# own 30 steps) in chunks of CHUNK frames (default 4). Prints one Markdown table row per configuration.
set -uo pipefail
CLI=${1:?usage: $0 NOISESTUDIO_CLI SOURCE_DIR [PROJECT] [CHUNK]}
SRC=${2:?usage: $0 NOISESTUDIO_CLI SOURCE_DIR [PROJECT] [CHUNK]}
PROJECT=${3:-$SRC/examples/red_ball_on_grass.nsproj}
CHUNK=${4:-4}
CL=$(mktemp -d /tmp/nstp.XXXXXX)
W=$(mktemp -d)
trap 'bash "$SRC/tests/support/slurm_cluster.sh" down "$CL"; rm -rf "$W"' EXIT
env=$(bash "$SRC/tests/support/slurm_cluster.sh" up "$CL") || exit 1
eval "$env"

# run NAME SUBMIT_ARGS...: submits, waits for the merge, prints the table row.
run() {
  local name=$1; shift
  local out="$W/$name" t0 t1 j a m
  t0=$(date +%s.%N)
  j=$("$CLI" --json farm submit "$PROJECT" --engine slurm --chunk "$CHUNK" -o "$out" "$@") || { echo "$j"; return 1; }
  a=$(echo "$j" | sed -n 's/.*"array_job": "\([0-9]*\)".*/\1/p'); m=$(echo "$j" | sed -n 's/.*"merge_job": "\([0-9]*\)".*/\1/p')
  # (a squeue that fails, e.g. slurmctld busy, prints nothing: that is not "all done")
  local q
  while ! q=$(squeue -h -j "$a,$m" -o %i 2>/dev/null) || [ -n "$q" ]; do sleep 0.2; done
  t1=$(date +%s.%N)
  [ -s "$out"/*.mp4 ] || { echo "$name: no video; merge log:"; cat "$out/farm/logs/merge.log"; return 1; }
  # Per chunk log: start stamp, first and last progress stamps.
  cat "$out"/farm/logs/chunk_*.log | awk -v name="$name" -v t0="$t0" -v t1="$t1" -v frames="$(ls "$out/frames" | wc -l)" '
    /^farm: chunk .* start / { if (s != "") flush(); s = $NF; f = ""; l = "" }
    /^progress: / { if (f == "") f = $NF; l = $NF }
    function flush() { n++; su += f - s; re += l - f; if (min == "" || s < min) min = s; if (l > max) max = l }
    END {
      flush()
      arr = max - min
      printf "| %s | %d tasks | %.1f s | %.1f s | %.1f s | %.0f | %.1f s |\n", name, n, su / n, re / n, arr, frames / arr * 3600, t1 - t0
    }'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
echo "| configuration | chunks | start-up per task | render per task | array wall | frames/hour | submit -> video |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
run one-task-2-threads --cpus-per-task 2
run two-tasks-1-thread --cpus-per-task 1 --max-parallel 2
run one-task-1-thread --cpus-per-task 1 --max-parallel 1
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
