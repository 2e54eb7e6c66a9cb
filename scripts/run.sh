#!/usr/bin/env bash
# The README's run command: installs what is missing, builds Release, starts the GUI with the
# built-in model. Without a display it says so and renders the demo projects with the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
# The apps only, in the same folder as scripts/test.sh (./build): running after testing (or testing
# after running) recompiles nothing; the configure step keeps what the other command set.
NS_BUILD_TARGETS="noisestudio noisestudio-cli" scripts/build.sh
export OMP_WAIT_POLICY=PASSIVE   # OpenMP threads must not spin (see docs/performance.md); set before start
BUILD_DIR=${NS_BUILD_DIR:-build}
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$BUILD_DIR/app/noisestudio" "$@"
fi
echo "No display found (DISPLAY/WAYLAND_DISPLAY unset): the window cannot open here."
echo "Rendering the demo projects headless with the CLI instead:"
echo "  $BUILD_DIR/app/noisestudio-cli demo -o demo-output"
echo "(Use '$BUILD_DIR/app/noisestudio-cli --help' for every verb; run under xvfb-run to try the GUI.)"
exec "$BUILD_DIR/app/noisestudio-cli" demo -o demo-output
