#!/usr/bin/env bash
# Configures and builds NoiseStudio (Release, ccache, Ninja) into ${NS_BUILD_DIR:-build}.
# Extra arguments go to cmake's configure step. NS_BUILD_TARGETS (space-separated) builds only
# those targets: the run command builds the apps alone in the folder the test command also uses.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${NS_BUILD_DIR:-build}
JOBS=${NS_JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
# Each LibTorch translation unit needs up to 1.5 GB: cap parallel jobs by memory too.
mem_jobs=$(( $(awk '/MemAvailable/ {print int($2/1024/1024)}' /proc/meminfo) / 2 ))
[ "$mem_jobs" -lt 1 ] && mem_jobs=1
[ "$JOBS" -gt "$mem_jobs" ] && JOBS=$mem_jobs
targets=()
for t in ${NS_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$JOBS" "${targets[@]}"
