#!/usr/bin/env bash
# On a CUDA machine with only PyTorch's LibTorch (no Qt, OpenCV or Debian -dev packages): builds the
# engine core-only, runs the CUDA-vs-CPU checks of the core tests, and measures the layout-control
# table (docs/layout-control.md) with the built-in model on the GPU.
# Usage: scripts/gpu-eval.sh OUT_DIR [eval layout options, default: the full 50 x 16 x 30 table]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?output folder}; shift
mkdir -p "$OUT"
TORCH_DIR=${TORCH_DIR:-$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "share", "cmake", "Torch"))')}
BUILD=${NS_BUILD_DIR:-build-cuda}
EXTRA=${NS_EXTRA_INCLUDE:-$PWD/.devdeps/include}
t0=$(date +%s)
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNOISESTUDIO_CORE_ONLY=ON \
  -DTorch_DIR="$TORCH_DIR" -DNS_EXTRA_INCLUDE="$EXTRA" -DNOISESTUDIO_BUILD_BENCH=OFF > "$OUT/configure.log"
cmake --build "$BUILD" -j "$(nproc)" --target noisestudio-cli tst_core_noise tst_core_model > "$OUT/build.log"
echo "build: $(( $(date +%s) - t0 )) s"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
"$BUILD/app/noisestudio-cli" --version
# The core tests (their cudaMatchesCpu functions need the GPU) run on the CPU cores beside the eval.
for t in tst_core_noise tst_core_model; do
  exe=$(find "$BUILD" -name "$t" -type f -perm -u+x | head -1)
  ( cd "$(dirname "$exe")" && OMP_NUM_THREADS=6 timeout ${NS_TEST_TIMEOUT:-300} "./$t" > "$OUT/$t.log" 2>&1; echo "$t: rc $?" >> "$OUT/$t.log" ) &
done
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--layouts 50 --frames 16 --steps 30 --ratios 0.5,0.6,0.7,0.8,0.9)
t1=$(date +%s)
timeout ${NS_EVAL_TIMEOUT:-360} "$BUILD/app/noisestudio-cli" -v --json --device cuda eval layout "${args[@]}" \
  > "$OUT/layout_eval.json" 2> "$OUT/layout_eval.log" || echo "eval layout: rc $?"
echo "eval layout: $(( $(date +%s) - t1 )) s"
cat "$OUT/layout_eval.json"
wait
for t in tst_core_noise tst_core_model; do tail -1 "$OUT/$t.log"; grep -E "CUDA|FAIL|failed test" "$OUT/$t.log" || true; done
