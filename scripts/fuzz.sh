#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang + ASan + UBSan) in ${NS_FUZZ_BUILD_DIR:-build-fuzz}
# and runs each for N seconds on a scratch copy of its seed corpus (tests/fuzz/corpus/<target>/),
# so the repository is not modified. Fails if any target crashes; the crashing input is kept
# under the scratch folder (printed) — fix the loader, add a regression test and the input to
# the corpus.
# Usage: scripts/fuzz.sh [--seconds N] [--jobs J] [target...]   (NS_FUZZ_KEEP=1 keeps the scratch folder)
#   targets: safetensors project model_json noise_file clip_tokenizer diffusers_config torch_checkpoint
#            motion_module farm_batch png_metadata builtin_motion media_door (default: all)
#   --jobs J runs J targets at a time (default 1; each target uses one core).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
SECONDS_EACH=60
JOBS=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=(safetensors project model_json noise_file clip_tokenizer diffusers_config torch_checkpoint
                                    motion_module farm_batch png_metadata builtin_motion media_door)

BUILD_DIR=${NS_FUZZ_BUILD_DIR:-build-fuzz}
CLANGXX=${NS_FUZZ_CXX:-clang++}
command -v "$CLANGXX" >/dev/null || { echo "fuzz.sh: $CLANGXX not found (apt-get install clang)" >&2; exit 1; }
# Only the fuzz targets are built (core-only, no tests/benchmarks): a handful of core sources.
CC=${NS_FUZZ_CC:-clang} CXX=$CLANGXX cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNOISESTUDIO_FUZZ=ON -DNOISESTUDIO_CORE_ONLY=ON -DNOISESTUDIO_BUILD_TESTS=OFF -DNOISESTUDIO_BUILD_BENCH=OFF \
  -DNOISESTUDIO_HARDENING=OFF >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
cmake --build "$BUILD_DIR" -j "${NS_JOBS:-2}" --target "${build_targets[@]}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ns-fuzz.XXXXXX")
echo "fuzz.sh: ${SECONDS_EACH}s per target, scratch folder $WORK"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1  # LibTorch ops on tiny tensors: no thread pool per fuzzer process

run_one() {
  local t=$1 dir="$WORK/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  [ -d "$SRC/tests/fuzz/corpus/$t" ] && cp -r "$SRC/tests/fuzz/corpus/$t/." "$dir/corpus/"
  # -rss_limit_mb: a loader that allocates GBs for a small file is a finding (absurd sizes must be
  # refused before allocating). -timeout: one input taking >10 s is a hang.
  if "$BUILD_DIR/tests/fuzz/fuzz_$t" "$dir/corpus" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
       -timeout=10 -max_len=65536 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" >"$dir/log" 2>&1; then
    echo "fuzz.sh: $t ok: $(grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$dir/log" | tr '\n' ' ')"
  else
    echo "fuzz.sh: $t FAILED; log $dir/log, input(s): $(ls "$dir/artifacts" | tr '\n' ' ')" >&2
    tail -40 "$dir/log" >&2
    return 1
  fi
}

status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" & pids+=($!)
  if [ ${#pids[@]} -ge "$JOBS" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
if [ $status -eq 0 ]; then
  echo "fuzz.sh: all targets ran ${SECONDS_EACH}s without a crash"
  [ -z "${NS_FUZZ_KEEP:-}" ] && rm -rf "$WORK"  # NS_FUZZ_KEEP=1 keeps the grown corpora and logs
fi
exit $status
