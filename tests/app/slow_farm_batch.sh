#!/usr/bin/env bash
# slow_farm_batch: `noisestudio-cli farm submit BATCH.json` against a real one-node Slurm that this
# test starts in a temp folder and always stops (tests/support/slurm_cluster.sh). Checks:
#   1. a batch of four jobs (a best-of-8 search in 4 ranges, an eval-layout sweep over 2 α, a
#      2-chunk render, an inversion) runs as ONE array plus one gather per job, and each result
#      equals the local command's: the search's best index, score and PNG bytes; the eval table's
#      rows; the render's frames byte for byte (and its video); the inversion's noise file;
#   2. a render job whose input vanishes: its tasks fail and its gather does not run, while the
#      search in the same batch still gathers (each gather waits on its own job's tasks only);
#      `farm status` names the failed task with its log tail; `farm resume` resubmits only the
#      render's tasks and gather, and the frames then equal the local render;
#   3. `farm cancel` leaves no task running and no job output in OUT; `farm resume` then starts over
#      and gathers the local search's best candidate;
#   4. bad batch files and options: exit 2 naming the file and the entry, nothing submitted.
# Usage: slow_farm_batch.sh NOISESTUDIO_CLI SOURCE_DIR. Exit 77 (skip) only when Slurm's daemons are
# not installed (scripts/setup-deps.sh installs them).
set -uo pipefail
CLI=${1:?usage: $0 NOISESTUDIO_CLI SOURCE_DIR}
SRC=${2:?usage: $0 NOISESTUDIO_CLI SOURCE_DIR}

PREFIX=nsbatch
# shellcheck source=../support/slurm_test_prelude.sh
source "$SRC/tests/support/slurm_test_prelude.sh"

# Same thread count as the tasks (1): CPU sums split by thread differ in the last bits (docs/farm.md).
export NS_THREADS=1 OMP_WAIT_POLICY=PASSIVE

json_field() { sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -n1; }
# A top-level field of a pretty-printed answer (nested objects have the same keys deeper in).
top_field() { sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -n1; }
# Every job id in a submit answer: the array and the gathers.
job_ids() { tr -d ' \n' | grep -o '"array_job":"[0-9]*"\|"[A-Za-z0-9_.-]*":"[0-9][0-9]*"' | grep -o '[0-9][0-9]*"$' | tr -d '"' | paste -sd, -; }
wait_jobs() {  # wait_jobs IDS [LIMIT]: until Slurm runs nothing of these jobs any more
  local ids=$1 limit=${2:-300} start=$SECONDS q
  while ! q=$(squeue -h -j "$ids" -o %i 2>/dev/null) || [ -n "$q" ]; do
    [ $((SECONDS - start)) -ge "$limit" ] && { echo "jobs $ids still queued after $limit s"; squeue -j "$ids"; return 1; }
    sleep 0.5
  done
}
job_count() { squeue -h -t all -o %i | wc -l; }
same_frames() {  # same_frames DIR_A DIR_B N
  local f
  for ((f = 0; f < $3; f++)); do
    local name; name=$(printf 'frame_%04d.png' "$f")
    cmp -s "$1/$name" "$2/$name" || { echo "  $name differs or is missing"; return 1; }
  done
}

# Inputs: the red ball example, the same over an image background (an input that can vanish), a still to invert.
mkdir -p "$W/in"
cp "$SRC/examples/red_ball_on_grass.nsproj" "$W/in/ball.nsproj"
cp "$SRC/tests/data/astronaut_64.png" "$W/in/bg.png"
cp "$SRC/tests/data/astronaut_64.png" "$W/in/still.png"
sed 's|"background": {[^}]*}|"background": {"kind": "image", "path": "bg.png"}|' \
  "$SRC/examples/red_ball_on_grass.nsproj" >"$W/in/ballbg.nsproj"
grep -q '"path": "bg.png"' "$W/in/ballbg.nsproj" || { echo "FAIL: could not make the test project"; exit 1; }
FRAMES=16

# ---- local references ----
t=$SECONDS
"$CLI" --json search -p "a red ball" --candidates 8 --steps 4 --seed 7 -o "$W/local_best.png" >"$W/local_best.json" 2>/dev/null ||
  { echo "FAIL: local search"; exit 1; }
"$CLI" --json eval layout --layouts 1 --frames 2 --steps 4 --ratios 0.5,0.9 >"$W/local_eval.json" 2>/dev/null ||
  { echo "FAIL: local eval layout"; exit 1; }
"$CLI" render "$W/in/ball.nsproj" --steps 4 -o "$W/local_ball/frame.png" >/dev/null 2>&1 || { echo "FAIL: local render"; exit 1; }
"$CLI" render "$W/in/ballbg.nsproj" --steps 4 -o "$W/local_ballbg/frame.png" >/dev/null 2>&1 || { echo "FAIL: local render (bg)"; exit 1; }
"$CLI" invert "$W/in/still.png" -p "an astronaut" --steps 4 -o "$W/local_still.nsnoise" >/dev/null 2>&1 || { echo "FAIL: local invert"; exit 1; }
echo "local references: $((SECONDS - t)) s"

# ---- 1. one batch, four kinds of job ----
cat >"$W/in/batch.json" <<'JSON'
{
  "version": 1,
  "jobs": [
    {"name": "best", "kind": "search", "prompt": "a red ball", "candidates": 8, "per_task": 2, "steps": 4, "seed": 7},
    {"name": "sweep", "kind": "eval-layout", "ratios": [0.5, 0.9], "layouts": 1, "frames": 2, "steps": 4},
    {"name": "ball", "kind": "render", "project": "ball.nsproj", "chunk": 8, "steps": 4},
    {"name": "stills", "kind": "invert", "inputs": ["still.png"], "prompt": "an astronaut", "steps": 4}
  ]
}
JSON
t=$SECONDS
out=$("$CLI" --json farm submit "$W/in/batch.json" --engine slurm -o "$W/b1")
rc=$?
ids=$(echo "$out" | job_ids)
A=$(echo "$out" | json_field array_job)
if [ $rc -ne 0 ] || [ -z "$A" ]; then fail "batch submit: exit $rc: $out"; else
  [ "$(echo "$out" | tr -d ' \n' | grep -o '"task_count":[0-9]*')" = '"task_count":9' ] && pass "9 tasks (4 search ranges, 2 α, 2 chunks, 1 clip) in one array" ||
    fail "task count: $out"
  [ "$(echo "$ids" | tr ',' '\n' | wc -l)" = 4 ] && pass "one array + 3 gathers (the inversion has none)" || fail "job ids: $ids"
  wait_jobs "$ids" 400
  echo "batch run: $((SECONDS - t)) s"
  st=$("$CLI" --json farm status "$W/b1")
  [ "$(echo "$st" | top_field state)" = done ] && pass "farm status: done" || fail "status: $st"
  echo "$st" | grep -q '"kind": "batch"' && pass "status --json says kind batch" || fail "no kind in status"
  [ "$(squeue -h -t all -j "$A" -o %T | sort -u)" = COMPLETED ] && pass "all array tasks COMPLETED" ||
    fail "array task states: $(squeue -h -t all -j "$A" -o '%i %T')"
  for f in best_index best_score; do
    [ "$(json_field $f <"$W/b1/best/best.json")" = "$(json_field $f <"$W/local_best.json")" ] &&
      pass "search gather $f $(json_field $f <"$W/b1/best/best.json") = local search" ||
      fail "search gather $f: $(json_field $f <"$W/b1/best/best.json") vs local $(json_field $f <"$W/local_best.json")"
  done
  cmp -s "$W/b1/best/best.png" "$W/local_best.png" && pass "gathered best.png equals the local search's PNG byte for byte" ||
    fail "best.png differs from the local search's"
  rows() { grep -E '"(setting|mean_iou|found|samples)"' "$1"; }
  if [ -s "$W/b1/sweep/table.json" ] && diff <(rows "$W/b1/sweep/table.json") <(rows "$W/local_eval.json") >/dev/null; then
    pass "eval table rows (plain, α 0.5, α 0.9) equal the local eval layout's"
  else
    fail "eval table differs:"; diff <(rows "$W/b1/sweep/table.json") <(rows "$W/local_eval.json")
  fi
  grep -q '^| alpha=0.90 |' "$W/b1/sweep/table.md" && pass "table.md written" || fail "table.md: $(cat "$W/b1/sweep/table.md")"
  same_frames "$W/local_ball" "$W/b1/ball/frames" $FRAMES && pass "render job frames equal the local render" ||
    fail "render job frames differ"
  [ -s "$W/b1/ball/ball.mp4" ] && pass "render gather wrote ball/ball.mp4" || fail "no ball.mp4"
  cmp -s "$W/b1/stills/still.nsnoise" "$W/local_still.nsnoise" && pass "inverted noise equals the local invert's" ||
    fail "stills/still.nsnoise differs or is missing"
  for i in 0 4 8; do  # a search, an eval and the invert task: `farm status` reads these lines
    grep -Eq '^progress: [a-z]+ [0-9]+/[0-9]+ at ' "$W/b1/farm/logs/task_$i.log" && pass "task $i logged progress lines" ||
      fail "task $i log has no progress lines: $(head -c 300 "$W/b1/farm/logs/task_$i.log")"
  done
fi

# ---- 2. a render input vanishes: its job fails alone, resume redoes only it ----
cat >"$W/in/batch2.json" <<'JSON'
{"version": 1, "jobs": [
  {"name": "best", "kind": "search", "prompt": "a red ball", "candidates": 8, "per_task": 4, "steps": 4, "seed": 7},
  {"name": "ball", "kind": "render", "project": "ballbg.nsproj", "chunk": 8, "steps": 4}
]}
JSON
out=$("$CLI" --json farm submit "$W/in/batch2.json" --engine slurm --max-parallel 1 -o "$W/b2")
ids=$(echo "$out" | job_ids)
if [ -z "$ids" ]; then fail "submit (failure case): $out"; else
  mv "$W/in/bg.png" "$W/in/bg.png.away"  # the render tasks (2, 3) run after the search's (0, 1)
  wait_jobs "$ids" 300
  st=$("$CLI" farm status "$W/b2")
  echo "$st" | sed 's/^/  | /'
  echo "$st" | head -n1 | grep -q '^failed:' && pass "status: failed" || fail "status first line: $(echo "$st" | head -n1)"
  echo "$st" | grep -Eq 'task [23] render ball frames [0-9]+:[0-9]+  failed' && pass "status names a failed render task" ||
    fail "no failed render task named"
  echo "$st" | grep -q '| .*bg.png' && pass "status shows the failed task's log tail naming bg.png" || fail "no log tail naming bg.png"
  echo "$st" | grep -q 'job ball (render)  failed.*gather not run (a task failed)' && pass "the render's gather did not run" ||
    fail "render gather state wrong"
  cmp -s "$W/b2/best/best.png" "$W/local_best.png" && pass "the search gathered anyway (its gather waits on its own tasks only)" ||
    fail "the search did not gather although its tasks succeeded"
  mv "$W/in/bg.png.away" "$W/in/bg.png"
  out=$("$CLI" --json farm resume "$W/b2")
  echo "$out" | tr -d '\n '; echo
  flat=$(echo "$out" | tr -d '\n ')
  echo "$flat" | grep -q '"tasks":\[2,3\]' && pass "resume resubmitted only the render's tasks 2,3" || fail "resume: $flat"
  echo "$flat" | grep -q '"gather_jobs":{"ball":"[0-9]*"}' && pass "resume queued only the render's gather" || fail "resume gathers: $flat"
  ids=$(echo "$out" | job_ids)
  wait_jobs "$ids" 300
  same_frames "$W/local_ballbg" "$W/b2/ball/frames" $FRAMES && pass "after resume the frames equal the local render" ||
    fail "frames after resume differ"
  [ -s "$W/b2/ball/ballbg.mp4" ] && pass "resume's gather wrote the video" || fail "no video after resume"
  "$CLI" farm status "$W/b2" | head -n1 | grep -q '^done:' && pass "status done after resume" ||
    fail "status after resume: $("$CLI" farm status "$W/b2")"
  out=$("$CLI" farm resume "$W/b2") && echo "$out" | grep -q 'nothing to resume' && pass "resume of a complete batch submits nothing" ||
    fail "resume of a complete batch: $out"
fi

# ---- 3. cancel: nothing running, no job output ----
cat >"$W/in/batch3.json" <<'JSON'
{"version": 1, "jobs": [
  {"name": "best", "kind": "search", "prompt": "a red ball", "candidates": 8, "per_task": 1, "steps": 4, "seed": 7}
]}
JSON
out=$("$CLI" --json farm submit "$W/in/batch3.json" --engine slurm --max-parallel 1 -o "$W/b3")
ids=$(echo "$out" | job_ids)
if [ -z "$ids" ]; then fail "submit (cancel case): $out"; else
  start=$SECONDS
  until [ -e "$W/b3/best/parts/range_0_1.json" ] || [ $((SECONDS - start)) -gt 200 ]; do sleep 0.2; done
  [ -e "$W/b3/best/parts/range_0_1.json" ] || fail "no part appeared before the cancel"
  "$CLI" farm cancel "$W/b3" >/dev/null || fail "farm cancel exited $?"
  live=$(squeue -h -j "$ids" -t PENDING,RUNNING,CONFIGURING,COMPLETING -o %i)
  [ -z "$live" ] && pass "no task pending or running after cancel" || fail "still queued after cancel: $live"
  sleep 2
  [ ! -e "$W/b3/best" ] && pass "no job output left after cancel" || fail "left after cancel: $(ls -R "$W/b3/best" | head)"
  "$CLI" farm status "$W/b3" | head -n1 | grep -q '^cancelled:' && pass "status: cancelled" || fail "status after cancel"
  # Resume after a cancel starts over and still gathers the local search's best candidate.
  out=$("$CLI" --json farm resume "$W/b3")
  ids=$(echo "$out" | job_ids)
  [ -n "$ids" ] && wait_jobs "$ids" 300
  cmp -s "$W/b3/best/best.png" "$W/local_best.png" && pass "resume after cancel gathers the local search's best PNG" ||
    fail "resume after cancel: $out; $("$CLI" farm status "$W/b3" | head -n 12)"
fi

# ---- 4. bad batches: exit 2 naming the file and the entry, nothing submitted ----
before=$(job_count)
bad() {  # bad NAME EXPECTED_TEXT OUTDIR ARGS...
  local name=$1 text=$2 dir=$3; shift 3
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 2 ] && echo "$err" | grep -qF -- "$text" && [ ! -e "$dir" ]; then pass "$name: exit 2, '$text'"
  else fail "$name: exit $rc, stderr: $err"; fi
}
echo '{"version": 1, "jobs": [{"name": "s", "kind": "eval-layout", "ratios": [0.5], "alpha": 2}]}' >"$W/in/unknown.json"
bad "unknown key" 'unknown.json: jobs[0] ("s"): unknown key "alpha"' "$W/bad1" \
  "$CLI" farm submit "$W/in/unknown.json" --engine slurm -o "$W/bad1"
echo '{"version": 1, "jobs": [{"name": "c", "kind": "invert", "inputs": ["gone.mp4"], "prompt": "x"}]}' >"$W/in/missing.json"
bad "missing clip" 'job "c": inputs[0] '"$W/in/gone.mp4" "$W/bad2" \
  "$CLI" farm submit "$W/in/missing.json" --engine slurm -o "$W/bad2"
bad "--chunk with a batch" '--chunk: a batch file sets' "$W/bad3" \
  "$CLI" farm submit "$W/in/batch3.json" --engine slurm --chunk 4 -o "$W/bad3"
bad "unknown partition" "partition 'nosuchpart'" "$W/bad4" \
  "$CLI" farm submit "$W/in/batch3.json" --engine slurm --partition nosuchpart -o "$W/bad4"
[ "$(job_count)" = "$before" ] && pass "nothing was submitted by the refused commands" ||
  fail "jobs before $before, after $(job_count)"

echo "total $((SECONDS - t0)) s, $fails failure(s)"
[ "$fails" = 0 ]
