#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything (warnings on) and runs
# the whole test suite (labels unit, gui and vulkan under xvfb-run with Mesa lavapipe, slow).
# NS_TEST_LABELS (a ctest -L regex) narrows it, e.g. NS_TEST_LABELS=unit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
# The same folder as scripts/run.sh: one build serves both commands (only the tests are added).
export NS_BUILD_DIR=${NS_BUILD_DIR:-build}
# Warnings are errors (CI runs this script): the whole tree, tests included, builds without a
# warning under GCC 12 -Wall -Wextra. NS_WERROR=0 turns it off for a local build with a newer compiler.
werror=ON
[ "${NS_WERROR:-1}" = 0 ] && werror=OFF
scripts/build.sh -DNOISESTUDIO_WERROR=$werror -DNOISESTUDIO_BUILD_TESTS=ON
export OMP_WAIT_POLICY=PASSIVE
export QT_QPA_PLATFORM=xcb          # gui tests run in a real X server (xvfb-run), Vulkan needs it
export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
args=(--output-on-failure --timeout 1800)
[ -n "${NS_TEST_LABELS:-}" ] && args+=(-L "$NS_TEST_LABELS")
cd "$NS_BUILD_DIR"
ctest "${args[@]}"
