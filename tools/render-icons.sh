#!/usr/bin/env bash
# Renders resources/icons/noisestudio.svg to the PNG sizes the package installs
# (resources/icons/noisestudio-<N>.png). The PNGs are committed so that building the package needs
# no SVG renderer; rerun this after changing the SVG. Needs rsvg-convert (Debian: librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || { echo "render-icons: needs rsvg-convert (apt install librsvg2-bin)" >&2; exit 1; }
for n in 16 32 48 64 128 256; do
  rsvg-convert -w "$n" -h "$n" -o "resources/icons/noisestudio-$n.png" resources/icons/noisestudio.svg
done
echo "render-icons: wrote resources/icons/noisestudio-{16,32,48,64,128,256}.png"
