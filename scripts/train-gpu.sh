#!/usr/bin/env bash
# Builds the engine (core-only: ns_core, its tests, noisestudio-train) against the CUDA LibTorch of
# a PyTorch install and trains the built-in model on the GPU. Used for the shipped weights; see
# docs/training.md. Needs: cmake, ninja, a C++17 compiler, PyTorch with CUDA (for its LibTorch), and
# spdlog/fmt/nlohmann/CLI11 headers in $NS_EXTRA_INCLUDE when the Debian -dev packages are absent.
# Usage: scripts/train-gpu.sh OUT_DIR [extra noisestudio-train args...]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?output folder}; shift
TORCH_DIR=${TORCH_DIR:-$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "share", "cmake", "Torch"))')}
BUILD=${NS_BUILD_DIR:-build-cuda}
EXTRA=${NS_EXTRA_INCLUDE:-$PWD/.devdeps/include}
t0=$(date +%s)
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNOISESTUDIO_CORE_ONLY=ON \
  -DTorch_DIR="$TORCH_DIR" -DNS_EXTRA_INCLUDE="$EXTRA" -DNOISESTUDIO_BUILD_BENCH=OFF
cmake --build "$BUILD" -j "$(nproc)" --target noisestudio-train
echo "build: $(( $(date +%s) - t0 )) s"
"$BUILD/app/noisestudio-train" --stage all --device cuda --out "$OUT" --work "$OUT.work" "$@"
