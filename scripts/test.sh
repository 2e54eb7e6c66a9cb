#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything (warnings on) and runs
# the whole test suite (labels unit, gui and vulkan under xvfb-run with Mesa lavapipe, slow).
# NS_TEST_LABELS (a ctest -L regex) narrows it, e.g. NS_TEST_LABELS=unit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
# The same folder as scripts/run.sh: one build serves both commands (only the tests are added).
export NS_BUILD_DIR=${NS_BUILD_DIR:-build}
# -Werror is opt-in (NS_WERROR=1) until a clean-clone -Werror build has been verified on CI hardware.
scripts/build.sh -DNOISESTUDIO_WERROR=${NS_WERROR:-OFF} -DNOISESTUDIO_BUILD_TESTS=ON
export OMP_WAIT_POLICY=PASSIVE
export QT_QPA_PLATFORM=xcb          # gui tests run in a real X server (xvfb-run), Vulkan needs it
export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
args=(--output-on-failure --timeout 1800)
[ -n "${NS_TEST_LABELS:-}" ] && args+=(-L "$NS_TEST_LABELS")
cd "$NS_BUILD_DIR"
ctest "${args[@]}"
