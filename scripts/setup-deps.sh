#!/usr/bin/env bash
# Installs the Debian 12 packages NoiseStudio builds and runs with (only what is missing).
# Usage: scripts/setup-deps.sh            (as root, or with sudo available)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-openmp          # LibTorch 1.13 (CPU) + a fast BLAS (Debian's default is the reference BLAS)
  libspdlog-dev nlohmann-json3-dev libcli11-dev libbenchmark-dev
  qt6-base-dev qt6-base-dev-tools libgl-dev
  libvulkan-dev glslc mesa-vulkan-drivers vulkan-validationlayers
  libopencv-dev
  xvfb xauth                                # GUI and Vulkan tests run under xvfb-run
  desktop-file-utils appstream              # package metadata checks
  clang libclang-rt-dev                     # libFuzzer targets (tests/fuzz, scripts/fuzz.sh); runtime is only Recommended
  dpkg-dev file lintian                     # the .deb test (tests/packaging): dpkg-shlibdeps and file for CPack, lintian
  slurmctld slurmd slurm-client munge       # farm tests (tests/app/slow_farm_slurm.sh) start a one-node Slurm; the CLI's farm verbs need the client
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-deps: missing packages (${missing[*]}) and not root and no sudo: install them as root" >&2
    exit 1
  fi
fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
