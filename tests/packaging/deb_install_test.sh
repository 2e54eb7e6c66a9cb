#!/usr/bin/env bash
# The `slow` package test: builds noisestudio_<version>_amd64.deb from BUILD_DIR with CPack,
# unpacks it into a temporary root (dpkg-deb -x: nothing is installed on this machine), runs the
# installed noisestudio-cli from there (--version and a small generate that must load the
# installed built-in model), checks the binaries' libraries come from Debian packages named in
# Depends, and runs desktop-file-validate, appstreamcli validate and lintian; any error fails.
# Usage: deb_install_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$(realpath "$1")
version=$2
id=io.github.noisestudio.NoiseStudio

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

for tool in cmake cpack dpkg-deb dpkg-shlibdeps dpkg-query file ldd readelf od lintian desktop-file-validate appstreamcli; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup-deps.sh installs it)"
done

tmp=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/ns-deb-test.XXXXXX")")
trap 'rm -rf "$tmp"' EXIT

# CPack installs what is already built and builds nothing: make sure every installed target is
# up to date (a no-op after the normal build).
step "build the installed targets"
cmake --build "$build" --target noisestudio noisestudio-cli noisestudio-train >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "building the installed targets"; }

# -B keeps CPack's staging tree and the .deb out of the build folder, so concurrent runs and
# old packages cannot interfere.
step "cpack -G DEB"
(cd "$build" && cpack -G DEB --config CPackConfig.cmake -B "$tmp/pkg") >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb="$tmp/pkg/noisestudio_${version}_amd64.deb"
[ -f "$deb" ] || { ls -la "$tmp/pkg"; fail "no $(basename "$deb")"; }
echo "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB"
dpkg-deb -f "$deb" Package Version Architecture Section Depends Recommends

step "unpack"
dpkg-deb -x "$deb" "$tmp/root"
usr="$tmp/root/usr"
for f in bin/noisestudio bin/noisestudio-cli bin/noisestudio-train \
         share/noisestudio/models/builtin/model.json share/noisestudio/models/builtin/weights.safetensors \
         share/applications/$id.desktop share/metainfo/$id.metainfo.xml share/mime/packages/noisestudio-mime.xml \
         share/icons/hicolor/scalable/apps/$id.svg share/doc/noisestudio/copyright share/doc/noisestudio/changelog.gz \
         share/man/man1/noisestudio.1.gz share/man/man1/noisestudio-cli.1.gz share/man/man1/noisestudio-train.1.gz; do
  [ -f "$usr/$f" ] || fail "the package lacks /usr/$f"
done
for b in noisestudio noisestudio-cli noisestudio-train; do [ -x "$usr/bin/$b" ] || fail "/usr/bin/$b is not executable"; done
ls "$usr"/share/noisestudio/examples/*.nsproj >/dev/null 2>&1 || fail "the package has no example projects"

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk (bytes 16..23, big-endian), or "" if FILE
# is not a PNG.
png_size() {
  [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo ""; return; }
  local w h
  w=$(od -An -tu1 -j16 -N4 "$1" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
  h=$(od -An -tu1 -j20 -N4 "$1" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
  echo "${w}x${h}"
}
for n in 16 32 48 64 128 256; do
  icon="$usr/share/icons/hicolor/${n}x${n}/apps/$id.png"
  [ -f "$icon" ] || fail "no ${n}x${n} icon"
  [ "$(png_size "$icon")" = "${n}x${n}" ] || fail "the ${n}x${n} icon is $(png_size "$icon")"
done

# The ns_* libraries are static; everything else must resolve to a file of an installed Debian
# package, and each directly linked library's package must be in Depends.
step "libraries (ldd, dpkg -S, Depends)"
# owner PATH: the Debian package that ships PATH. Bookworm is merged-/usr but dpkg records some
# files under /lib and others under /usr/lib, so both spellings (and the symlink's target) are tried.
owner() {
  local real c
  real=$(realpath "$1")
  for c in "$1" "$real" "${1#/usr}" "/usr${1#/usr}" "${real#/usr}" "/usr${real#/usr}"; do
    dpkg-query -S "$c" 2>/dev/null | head -1 | cut -d: -f1 | grep . && return 0
  done
  return 0
}
depends=$(dpkg-deb -f "$deb" Depends)
[ -n "$depends" ] || fail "Depends is empty"
for b in noisestudio noisestudio-cli noisestudio-train; do
  exe="$usr/bin/$b"
  ! readelf -d "$exe" | grep -qE 'RPATH|RUNPATH' || fail "$b has an RPATH/RUNPATH: $(readelf -d "$exe" | grep -E 'RPATH|RUNPATH')"
  ldd "$exe" >"$tmp/ldd.txt"
  ! grep -q "not found" "$tmp/ldd.txt" || { grep "not found" "$tmp/ldd.txt"; fail "$b: unresolved libraries"; }
  for lib in $(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    path=$(awk -v n="$lib" '$1 == n && $2 == "=>" {print $3; exit}' "$tmp/ldd.txt")
    [ -n "$path" ] || path=$(awk -v n="$lib" 'index($1, n) {print $1; exit}' "$tmp/ldd.txt")  # the loader
    [ -n "$path" ] || fail "$b: ldd does not show $lib"
    case "$(realpath "$path")" in "$build"/* | "$tmp"/*) fail "$b loads $lib from $path, not from the system" ;; esac
    pkg=$(owner "$path")
    [ -n "$pkg" ] || fail "$b: $lib ($path) belongs to no Debian package"
    # Depends may name the package or a virtual package it provides (libspdlog1.10-fmt9).
    names=$(echo "$pkg $(dpkg-query -W -f='${Provides}' "$pkg" | tr ',' ' ')" | tr ' ' '\n' | grep -v '^(\|)$\|^$' || true)
    echo "$depends" | tr ',|' '\n\n' | awk '{print $1}' | grep -qxF "$names" ||
      fail "$b needs $lib from $pkg, which Depends does not list (as $(echo $names)): $depends"
  done
done
echo "all NEEDED libraries resolve to packages in Depends"

# Run from the unpacked root with the source-tree fallbacks switched off, so the built-in model
# can only come from <root>/usr/share/noisestudio/models/builtin (found relative to the exe).
step "noisestudio-cli --version"
cli() { env -u NS_SOURCE_DIR -u NS_BUILTIN_MODEL_DIR OMP_WAIT_POLICY=PASSIVE "$usr/bin/noisestudio-cli" "$@"; }
out=$(cli --version) || fail "noisestudio-cli --version exited $?"
echo "$out"
[ "$out" = "noisestudio-cli $version" ] || fail "--version printed '$out', expected 'noisestudio-cli $version'"

step "noisestudio-cli generate (64x64, 4 steps, seed 7)"
mkdir -p "$tmp/out"
cli -v generate -p "a red ball on grass" --seed 7 --steps 4 --size 64 -o "$tmp/out/ball.png" \
  >"$tmp/gen.log" 2>&1 || { cat "$tmp/gen.log"; fail "generate exited non-zero"; }
grep -q "from $usr/share/noisestudio/models/builtin" "$tmp/gen.log" ||
  { cat "$tmp/gen.log"; fail "generate did not load the installed built-in model"; }
[ -f "$tmp/out/ball.png" ] || { cat "$tmp/gen.log"; fail "generate wrote no PNG"; }
[ "$(png_size "$tmp/out/ball.png")" = "64x64" ] || fail "the generated PNG is '$(png_size "$tmp/out/ball.png")', not 64x64"
echo "wrote a 64x64 PNG with the installed model"

step "desktop-file-validate"
desktop-file-validate "$usr/share/applications/$id.desktop" || fail "desktop-file-validate"

step "appstreamcli validate --no-net"
appstreamcli validate --no-net "$usr/share/metainfo/$id.metainfo.xml" || fail "appstreamcli validate"

# Lintian exits non-zero on errors; warnings and info are printed but pass.
step "lintian"
lintian_rc=0
lintian --display-info "$deb" >"$tmp/lintian.txt" 2>&1 || lintian_rc=$?
cat "$tmp/lintian.txt"
! grep -q '^E: ' "$tmp/lintian.txt" || fail "lintian reported errors"
[ "$lintian_rc" -eq 0 ] || fail "lintian exited $lintian_rc"
# The binaries carry Debian's hardening (NOISESTUDIO_HARDENING, on by default): lintian reports
# its absence only as information, so check for it here.
! grep -q 'hardening-no-' "$tmp/lintian.txt" || fail "binaries built without hardening flags (fortify, bindnow)"
echo "PASS"
