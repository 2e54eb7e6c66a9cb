#!/usr/bin/env bash
# Runs the unit tests under AddressSanitizer + UndefinedBehaviorSanitizer: the `asan` CMake preset
# (CMakePresets.json; core-only, RelWithDebInfo at -O1, in build-asan/). CI runs it only with
# NS_CI_ASAN=1 (.ci/run): cold, it is ~35-40 minutes on 2 cores (docs/ci.md). Extra arguments go to
# ctest (e.g. -R tst_core_plan).
# Sanitizer options and the narrow suppressions for third-party code are in the test preset and
# tests/sanitizers/*.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${NS_JOBS:-$(nproc)}
# ASan objects of LibTorch TUs need ~2 GB each to compile: cap parallel jobs by memory too.
mem_jobs=$(( $(awk '/MemAvailable/ {print int($2/1024/1024)}' /proc/meminfo) / 2 ))
[ "$mem_jobs" -lt 1 ] && mem_jobs=1
[ "$JOBS" -gt "$mem_jobs" ] && JOBS=$mem_jobs
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
ctest --preset asan "$@"
