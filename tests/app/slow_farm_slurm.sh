#!/usr/bin/env bash
# slow_farm_slurm: `noisestudio-cli farm` against a real one-node Slurm that this test starts in a
# temp folder and always stops (tests/support/slurm_cluster.sh). Checks, on an example project
# whose background is an image file (an input that can go missing):
#   1. a 4-chunk farm render equals the local render frame for frame, byte for byte, and the
#      merge job writes OUT/<name>.mp4;
#   2. the input removed while the array runs: chunks fail, the merge never runs, `farm status`
#      names a failed chunk with its log tail; after restoring it `farm resume` completes the job
#      and the frames equal the local render;
#   3. `farm cancel` during a run leaves no task running and no frame or video in OUT;
#   4. bad input (no sbatch on PATH, a partition that does not exist, an output folder that
#      cannot be made, --chunk 0): exit 2 with a message naming the problem, and nothing submitted.
# Usage: slow_farm_slurm.sh NOISESTUDIO_CLI SOURCE_DIR. Exit 77 (skip) only when Slurm's daemons are
# not installed (scripts/setup-deps.sh installs them).
set -uo pipefail
CLI=${1:?usage: $0 NOISESTUDIO_CLI SOURCE_DIR}
SRC=${2:?usage: $0 NOISESTUDIO_CLI SOURCE_DIR}
STEPS=${NS_FARM_TEST_STEPS:-4}

PREFIX=nsfarm
# shellcheck source=../support/slurm_test_prelude.sh
source "$SRC/tests/support/slurm_test_prelude.sh"

# The project: the red ball over an image background that lives beside it (relative path).
mkdir -p "$W/proj"
cp "$SRC/tests/data/astronaut_64.png" "$W/proj/bg.png"
sed 's|"background": {[^}]*}|"background": {"kind": "image", "path": "bg.png"}|' \
  "$SRC/examples/red_ball_on_grass.nsproj" >"$W/proj/ball.nsproj"
grep -q '"path": "bg.png"' "$W/proj/ball.nsproj" || { echo "FAIL: could not make the test project"; exit 1; }
P="$W/proj/ball.nsproj"
FRAMES=16

json_field() { sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -n1; }
# Waits until Slurm runs nothing of these jobs any more (at most $2 s).
wait_jobs() {
  local ids=$1 limit=${2:-300} start=$SECONDS
  local q
  # A failing squeue (slurmctld busy) prints nothing: only an empty answer of a working squeue counts.
  while ! q=$(squeue -h -j "$ids" -o %i 2>/dev/null) || [ -n "$q" ]; do
    [ $((SECONDS - start)) -ge "$limit" ] && { echo "jobs $ids still queued after $limit s"; squeue -j "$ids"; return 1; }
    sleep 0.5
  done
}
job_count() { squeue -h -t all -o %i | wc -l; }
same_frames() {  # same_frames DIR_A DIR_B: every frame file identical
  local f n=0
  for ((f = 0; f < FRAMES; f++)); do
    local name; name=$(printf 'frame_%04d.png' "$f")
    cmp -s "$1/$name" "$2/$name" || { echo "  $name differs or is missing"; return 1; }
    n=$((n + 1))
  done
  [ "$n" = "$FRAMES" ]
}

# ---- the local reference ----
t=$SECONDS
# One thread, as the farm's tasks use by default (--cpus-per-task unset -> NS_THREADS=1): the thread
# count changes the last bits of CPU kernels, so "same pixels" means "same thread count".
NS_THREADS=1 OMP_WAIT_POLICY=PASSIVE "$CLI" render "$P" --steps "$STEPS" -o "$W/local/frame.png" >/dev/null || { echo "FAIL: local render"; exit 1; }
echo "local render: $((SECONDS - t)) s"

# ---- 1. a 4-chunk farm render equals the local one ----
t=$SECONDS
out=$("$CLI" --json farm submit "$P" --engine slurm --chunk 4 --steps "$STEPS" -o "$W/farm1")
rc=$?
A=$(echo "$out" | json_field array_job); M=$(echo "$out" | json_field merge_job)
if [ $rc -ne 0 ] || [ -z "$A" ] || [ -z "$M" ]; then fail "submit: exit $rc: $out"; else
  wait_jobs "$A,$M" 300
  echo "farm render (4 chunks + merge): $((SECONDS - t)) s"
  st=$("$CLI" --json farm status "$W/farm1")
  [ "$(echo "$st" | json_field state)" = done ] && pass "farm status says done" || fail "status after the run: $st"
  same_frames "$W/local" "$W/farm1/frames" && pass "4-chunk farm frames equal the local render" ||
    fail "farm frames differ from the local render"
  [ -s "$W/farm1/ball.mp4" ] && pass "merge wrote ball.mp4" || fail "no ball.mp4 (merge log: $(cat "$W/farm1/farm/logs/merge.log"))"
  grep -q '"seed"' "$W/farm1/ball.mp4.nsproj" 2>/dev/null && pass "merge wrote the project sidecar ball.mp4.nsproj" ||
    fail "no project sidecar next to ball.mp4"
  [ "$(squeue -h -t all -j "$A" -o %T | sort -u)" = COMPLETED ] && pass "all 4 array tasks COMPLETED" ||
    fail "array task states: $(squeue -h -t all -j "$A" -o '%i %T')"
  [ "$(ls "$W/farm1/frames" | wc -l)" = "$FRAMES" ] && pass "no stray files in frames/" || fail "frames/: $(ls "$W/farm1/frames")"
fi

# ---- 2. an input removed mid-way: failed chunks, no merge, status, resume ----
out=$("$CLI" --json farm submit "$P" --engine slurm --chunk 4 --max-parallel 1 --steps "$STEPS" -o "$W/farm2")
A=$(echo "$out" | json_field array_job); M=$(echo "$out" | json_field merge_job)
if [ -z "$A" ]; then fail "submit (failure case): $out"; else
  # Once chunk 0 is complete the background goes: later chunks cannot load it.
  start=$SECONDS
  until [ -e "$W/farm2/frames/frame_0003.png" ] || [ $((SECONDS - start)) -gt 200 ]; do sleep 0.2; done
  mv "$W/proj/bg.png" "$W/proj/bg.png.away"
  wait_jobs "$A,$M" 300
  st=$("$CLI" farm status "$W/farm2")
  echo "$st" | sed 's/^/  | /'
  echo "$st" | head -n1 | grep -q '^failed:' && pass "status: failed" || fail "status first line: $(echo "$st" | head -n1)"
  echo "$st" | grep -Eq 'chunk [1-3] \(frames [0-9]+:[0-9]+\)  failed' && pass "status names a failed chunk" ||
    fail "no failed chunk named"
  echo "$st" | grep -q 'bg.png' && pass "status shows the failed chunk's log tail (naming bg.png)" ||
    fail "log tail does not name the missing input"
  echo "$st" | grep -q 'merge not run (a chunk failed)' && pass "merge not run" || fail "merge state wrong"
  [ "$(squeue -h -t all -j "$M" -o '%T %r')" = "CANCELLED DependencyNeverSatisfied" ] && pass "Slurm cancelled the merge job" ||
    fail "merge job: $(squeue -h -t all -j "$M" -o '%T %r')"
  [ ! -e "$W/farm2/ball.mp4" ] && pass "no video after a failed chunk" || fail "a video exists although a chunk failed"
  mv "$W/proj/bg.png.away" "$W/proj/bg.png"
  out=$("$CLI" --json farm resume "$W/farm2")
  A2=$(echo "$out" | json_field array_job); M2=$(echo "$out" | json_field merge_job)
  echo "$out" | tr -d '\n '; echo
  if [ -z "$M2" ]; then fail "resume submitted nothing: $out"; else
    echo "$out" | tr -d '\n ' | grep -q '"chunks":\[0' && fail "resume resubmitted chunk 0, which was complete" ||
      pass "resume left the complete chunk 0 alone"
    wait_jobs "${A2:+$A2,}$M2" 300
    same_frames "$W/local" "$W/farm2/frames" && pass "after resume the frames equal the local render" ||
      fail "frames after resume differ"
    [ -s "$W/farm2/ball.mp4" ] && pass "resume's merge wrote the video" || fail "no video after resume"
    "$CLI" farm status "$W/farm2" | head -n1 | grep -q '^done:' && pass "status done after resume" ||
      fail "status after resume: $("$CLI" farm status "$W/farm2" | head -n1)"
  fi
fi

# ---- 3. cancel: nothing running, no partial output ----
out=$("$CLI" --json farm submit "$P" --engine slurm --chunk 4 --max-parallel 1 --steps "$STEPS" -o "$W/farm3")
A=$(echo "$out" | json_field array_job); M=$(echo "$out" | json_field merge_job)
if [ -z "$A" ]; then fail "submit (cancel case): $out"; else
  start=$SECONDS
  until [ -e "$W/farm3/frames/frame_0000.png" ] || [ $((SECONDS - start)) -gt 200 ]; do sleep 0.2; done
  [ -e "$W/farm3/frames/frame_0000.png" ] || fail "no frame appeared before the cancel"
  "$CLI" farm cancel "$W/farm3" || fail "farm cancel exited $?"
  live=$(squeue -h -j "$A,$M" -t PENDING,RUNNING,CONFIGURING,COMPLETING -o %i)
  [ -z "$live" ] && pass "no task pending or running after cancel" || fail "still queued after cancel: $live"
  sleep 2  # a killed task that still wrote something would show up now
  [ ! -e "$W/farm3/frames" ] && [ ! -e "$W/farm3/ball.mp4" ] && pass "no partial output after cancel" ||
    fail "left after cancel: $(ls -R "$W/farm3" | head)"
  pgrep -f "$W/farm3/farm/project.nsproj" >/dev/null && fail "a chunk render still runs after cancel" ||
    pass "no chunk process left"
  "$CLI" farm status "$W/farm3" | head -n1 | grep -q '^cancelled:' && pass "status: cancelled" || fail "status after cancel"
fi

# ---- 4. bad input: exit 2, a message naming the problem, nothing submitted ----
before=$(job_count)
bad() {  # bad NAME EXPECTED_TEXT OUTDIR ARGS...
  local name=$1 text=$2 dir=$3; shift 3
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 2 ] && echo "$err" | grep -q -- "$text" && [ ! -e "$dir/farm" ]; then pass "$name: exit 2, '$text'"
  else fail "$name: exit $rc, stderr: $err"; fi
}
bad "no sbatch on PATH" "sbatch not found on PATH" "$W/bad1" \
  env PATH=/nonexistent "$CLI" farm submit "$P" --engine slurm --chunk 4 -o "$W/bad1"
bad "unknown partition" "partition 'nosuchpart'" "$W/bad2" \
  "$CLI" farm submit "$P" --engine slurm --chunk 4 --partition nosuchpart -o "$W/bad2"
touch "$W/a-file"
bad "output folder below a file" "cannot create the output folder" "$W/a-file/out" \
  "$CLI" farm submit "$P" --engine slurm --chunk 4 -o "$W/a-file/out"
bad "chunk 0" "--chunk 0" "$W/bad4" "$CLI" farm submit "$P" --engine slurm --chunk 0 -o "$W/bad4"
[ ! -e "$W/bad1" ] && [ ! -e "$W/bad2" ] && [ ! -e "$W/bad4" ] && pass "refused submits left no folder" ||
  fail "a refused submit left a folder: $(ls -d "$W"/bad* 2>/dev/null)"
[ "$(job_count)" = "$before" ] && pass "nothing was submitted by the refused commands" ||
  fail "jobs before $before, after $(job_count)"

echo "total $((SECONDS - t0)) s, $fails failure(s)"
[ "$fails" = 0 ]
