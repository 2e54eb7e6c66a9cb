#!/usr/bin/env bash
# Builds the Debian package noisestudio_<version>_amd64.deb: installs what is missing, builds
# Release into ${NS_BUILD_DIR:-build} (as scripts/run.sh does) and runs CPack there. Prints the
# path of the .deb; install it with: sudo apt install ./noisestudio_<version>_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
BUILD_DIR=${NS_BUILD_DIR:-build}
scripts/build.sh
# CPack only collects what is built; the build above covers every installed target.
(cd "$BUILD_DIR" && cpack -G DEB --config CPackConfig.cmake)
deb=$(ls -t "$BUILD_DIR"/noisestudio_*_amd64.deb | head -1)
echo "package: $deb"
dpkg-deb -f "$deb" Package Version Depends
