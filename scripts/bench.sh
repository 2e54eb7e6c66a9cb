#!/usr/bin/env bash
# The benchmark command: builds every benchmark in bench/ (Release, ccache) in
# ${NS_BUILD_DIR:-build-bench}, runs them all and prints one table of ratios against the baselines
# each benchmark runs in the same invocation (bench/bench_table.py). Raw Google Benchmark JSON goes
# to ${NS_BENCH_OUT:-<build dir>/bench-results}/<bench>.json.
# Usage: scripts/bench.sh [--full] [--no-build] [bench_name...]
#   bench_core_sd's PyTorch-eager baseline needs the reference ldm code: NS_LDM_DIR=<a
#   Stability-AI/stablediffusion checkout> (and Debian's python3-torch); without it that row says so.
#   --full      also the slowest cases (1920×2880×16 noise warp: minutes on 2 cores)
#   --no-build  run what is already built
# The preview benchmark needs an X display: it runs under xvfb-run with Mesa lavapipe when no
# DISPLAY is set. Numbers depend on machine load: run on an idle machine for figures to publish.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD_DIR=${NS_BUILD_DIR:-build-bench}
FULL=0
BUILD=1
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) FULL=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) names+=("$1"); shift ;;
  esac
done
all=(bench_core_unet bench_core_sd bench_core_inversion bench_core_warp bench_core_scenes bench_core_sketch bench_media_video bench_ui_preview)
[ ${#names[@]} -eq 0 ] && names=("${all[@]}")

if [ $BUILD -eq 1 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNOISESTUDIO_BUILD_BENCH=ON -DNOISESTUDIO_BUILD_TESTS=OFF >/dev/null
  JOBS=${NS_JOBS:-$(nproc)}
  mem_jobs=$(( $(awk '/MemAvailable/ {print int($2/1024/1024)}' /proc/meminfo) / 2 ))  # ~1.5 GB per LibTorch TU
  [ "$mem_jobs" -lt 1 ] && mem_jobs=1
  [ "$JOBS" -gt "$mem_jobs" ] && JOBS=$mem_jobs
  cmake --build "$BUILD_DIR" -j "$JOBS" --target "${names[@]}"
fi

OUT=${NS_BENCH_OUT:-$BUILD_DIR/bench-results}
mkdir -p "$OUT"
export OMP_WAIT_POLICY=PASSIVE NS_SOURCE_DIR="$SRC"
for b in "${names[@]}"; do
  exe="$BUILD_DIR/bench/$b"
  [ -x "$exe" ] || { echo "bench.sh: $exe not built" >&2; exit 1; }
  args=(--benchmark_out="$OUT/$b.json" --benchmark_out_format=json)
  if [ $FULL -eq 0 ] && [ "$b" = bench_core_warp ]; then
    args+=(--benchmark_filter='BM_Warp[A-Za-z]+/[0-3]/')  # drop 1920x2880x16 (size index 4)
  fi
  echo "bench.sh: running $b" >&2
  if [ "$b" = bench_ui_preview ] && [ -z "${DISPLAY:-}" ]; then
    export QT_QPA_PLATFORM=xcb VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
    xvfb-run -a -s "-screen 0 1600x1200x24" "$exe" "${args[@]}" >"$OUT/$b.txt" 2>&1
  else
    "$exe" "${args[@]}" >"$OUT/$b.txt" 2>&1
  fi
done
python3 bench/bench_table.py "$OUT"
