#!/usr/bin/env bash
# Build the device model an HVM guest needs on an old host: QEMU 7.2, the
# source of Debian 12's own qemu package, configured for Xen only and linked
# against the old tree's libxenctrl and libxenstore (Debian's QEMU links
# against Xen 4.17's; QEMU 7.2 still carries the compatibility code for a
# Xen 4.5 interface, which later QEMUs dropped).
#
#   e2e/oldhost/build-qemu-xen.sh VERSION      VERSION: 4.5.5
#
# Prints one line per step with its wall time (on stderr) and, last, the
# cached result's path (on stdout): DIR/usr/lib/xen/bin/qemu-system-i386,
# where libxl 4.5 looks for it (build-xen.sh's --with-system-qemu).
#
# The source comes from Debian's archive through apt, with a configuration
# of its own under the cache (the host's sources are never changed): only
# the upstream tarball (qemu_7.2+dfsg.orig.tar.xz), the same file for every
# 7.2+dfsg-7+deb12uN, pinned by its sha256. Nothing of QEMU is kept in the
# project; the two changes its build needs are steps of this script that
# edit the unpacked copy (patch_*).
#
# The cache key is the tarball's sha256, this script's sha256 and the old
# tree's key (build-xen.sh's output directory name):
#   ${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-oldhost/
#       qemu-7.2-<tree key>-<tarball sha256:16>-<script sha256:16>/
#           usr/lib/xen/bin/qemu-system-i386
#           manifest, logs/
#
# Environment (all optional): XEN_BUILD_JOBS (default 2), XEN_NICE (10),
# XEN_SKIP_DEPS=1 (no apt-get install).
set -euo pipefail
[[ $# -eq 1 && $1 == 4.5.5 ]] || { echo "usage: $0 4.5.5" >&2; exit 2; }
VERSION=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
JOBS=${XEN_BUILD_JOBS:-2}
NICE=${XEN_NICE:-10}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-oldhost
ORIG=qemu_7.2+dfsg.orig.tar.xz
ORIG_SHA=91aca71520040edc40b8d437aa3004dae614f58e286cf653ee8996c07af2962f

TREE=$("$HERE/build-xen.sh" "$VERSION")
ROOT=$TREE/root
script_sha=$(sha256sum "$SELF" | cut -c1-64)
KEY=qemu-7.2-$(basename "$TREE")-${ORIG_SHA:0:16}-${script_sha:0:16}
OUT=$CACHE_ROOT/$KEY
BIN=usr/lib/xen/bin/qemu-system-i386
if [[ -f $OUT/manifest ]]; then
    echo "$OUT"
    exit 0
fi
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock-$KEY"
flock 9
if [[ -f $OUT/manifest ]]; then
    echo "$OUT"
    exit 0
fi
STAGE=$CACHE_ROOT/.stage-$KEY
BUILD=$CACHE_ROOT/.build-$KEY
APTDIR=$CACHE_ROOT/apt-bookworm-src
rm -rf "$STAGE" "$BUILD"
mkdir -p "$STAGE/logs" "$BUILD" "$APTDIR"
LOGS=$STAGE/logs

step() {
    local name=$1 limit=$2 fn=$3 start rc=0
    start=$(date +%s)
    timeout -k 30 "$limit" bash -c "set -euo pipefail; $fn" >"$LOGS/$name.log" 2>&1 </dev/null || rc=$?
    printf 'build-qemu-xen: %-10s %s %5ds\n' "$name" "$( ((rc == 0)) && echo 'ok    ' || echo "FAILED (exit $rc)")" \
        "$(($(date +%s) - start))" >&2
    if ((rc != 0)); then
        echo "build-qemu-xen: the last lines of $LOGS/$name.log:" >&2
        tail -n 30 "$LOGS/$name.log" >&2
        exit 1
    fi
}

deps() {
    # meson/ninja: QEMU 7.2's build; libfdt-dev: i386-softmmu needs libfdt
    # and the dfsg tarball has no dtc; the rest as for the Xen tree.
    local pkgs=(meson ninja-build libfdt-dev libglib2.0-dev libpixman-1-dev zlib1g-dev pkg-config
        build-essential python3 xz-utils) missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q ' installed$' || missing+=("$p")
    done
    # With Debian's libxen-dev installed, meson would find Xen 4.17's
    # xencontrol.pc and link against the wrong Xen.
    if pkg-config --exists xencontrol 2>/dev/null; then
        echo "pkg-config finds a xencontrol (libxen-dev?): it would shadow Xen $VERSION's libraries"
        return 1
    fi
    ((${#missing[@]})) || { echo "all installed"; return 0; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${missing[@]}" ||
        { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# The upstream tarball through apt's deb-src, from the mirrors the host's
# own sources name, with lists and archives under the cache.
source_tarball() {
    # shellcheck source=packaging/debian-root.sh
    source "$HERE/../../packaging/debian-root.sh"
    local mirror security
    mirror=$(host_debian_mirror) || mirror=http://deb.debian.org/debian
    security=$(host_debian_mirror security) || security=${mirror%/debian}/debian-security
    mkdir -p "$APTDIR"/{lists/partial,archives/partial,sources.list.d,src}
    if [[ $(sha256sum "$APTDIR/src/$ORIG" 2>/dev/null | cut -c1-64) != "$ORIG_SHA" ]]; then
        cat >"$APTDIR/sources.list" <<EOF
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $security bookworm-security main
EOF
        local apt=(-o Dir::Etc::SourceList="$APTDIR/sources.list" -o Dir::Etc::SourceParts="$APTDIR/sources.list.d"
            -o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR" -o Dir::Cache::Archives="$APTDIR/archives"
            -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache="" -o APT::Sandbox::User=root)
        timeout 900 apt-get "${apt[@]}" update
        (cd "$APTDIR/src" && timeout 900 apt-get "${apt[@]}" source --download-only qemu)
    fi
    echo "$ORIG_SHA  $APTDIR/src/$ORIG" | sha256sum -c
}

unpack() {
    tar -xJf "$APTDIR/src/$ORIG" -C "$BUILD"
    test -x "$BUILD/qemu-7.2.0/configure"
}

# Patch 1: Debian's tarball leaves out the EDK2 firmware images
# (pc-bios/edk2-*.fd.bz2), and meson would still unpack them for an x86
# target whenever bzip2 is installed. Under Xen the device model loads no
# firmware of its own (hvmloader brings SeaBIOS).
patch_edk2() {
    local mb=$BUILD/qemu-7.2.0/meson.build
    sed -i 's/^    unpack_edk2_blobs = bzip2.found()$/    unpack_edk2_blobs = false/' "$mb"
    grep -q '^    unpack_edk2_blobs = false$' "$mb" && ! grep -q 'unpack_edk2_blobs = bzip2' "$mb"
}

# Patch 2: libxl 4.5 calls xen-save-devices-state without `live` (the QEMU
# Xen 4.5 shipped, 2.2, had no such argument and never let go of the disk
# images). QEMU 7.2 then takes `live` as true, to hand the images over to a
# migration's receiver, and aborts in it with the guest's disk (seen on the
# first `xl save`: block.c's bdrv_inactivate_recurse asserts
# `!(bs->open_flags & BDRV_O_INACTIVE)`), so the save fails. Here an absent
# `live` means what it meant to Xen 4.5: keep the images.
patch_save_live() {
    local f=$BUILD/qemu-7.2.0/migration/savevm.c
    sed -i '/^    if (!has_live) {$/,/^    }$/s/^        live = true;$/        live = false;/' "$f"
    grep -A4 '^    if (!has_live) {$' "$f" | grep -q '^        live = false;$'
}

patch() {
    patch_edk2
    patch_save_live
}

# Debian's own Xen build of QEMU (debian/rules, configure-xen) less
# passthrough, USB, VNC, SPICE and 9p; Xen the only accelerator. Xen 4.5
# ships no .pc files, so meson test-links scripts/xen-detect.c against the
# headers and libraries given here and must settle on interface 4.5.0.
configure() {
    mkdir -p "$BUILD/b"
    cd "$BUILD/b"
    nice -n "$NICE" env PYTHON=/usr/bin/python3 LIBRARY_PATH="$ROOT/usr/lib" \
        ../qemu-7.2.0/configure --prefix=/usr --target-list=i386-softmmu \
        --without-default-features --enable-xen --disable-tcg --disable-kvm \
        --disable-docs --disable-tools --disable-blobs --disable-debug-info --disable-werror \
        --audio-drv-list= --extra-cflags="-I$ROOT/usr/include" \
        --extra-ldflags="-L$ROOT/usr/lib -Wl,-rpath-link,$ROOT/usr/lib"
    grep -x '#define CONFIG_XEN_CTRL_INTERFACE_VERSION 40500' config-host.h
}

compile() {
    cd "$BUILD/b"
    echo "units: $(ninja -n qemu-system-i386 | wc -l)"
    nice -n "$NICE" ninja -j"$JOBS" qemu-system-i386
}

install_check() {
    mkdir -p "$STAGE/$(dirname "$BIN")"
    strip -o "$STAGE/$BIN" "$BUILD/b/qemu-system-i386"
    LD_LIBRARY_PATH=$ROOT/usr/lib ldd "$STAGE/$BIN" | tee "$LOGS/ldd.txt"
    if grep -q 'not found' "$LOGS/ldd.txt"; then return 1; fi
    grep -q "libxenctrl.so.4.5 => $ROOT/usr/lib/" "$LOGS/ldd.txt"
    LD_LIBRARY_PATH=$ROOT/usr/lib timeout 30 "$STAGE/$BIN" -machine help | grep -w xenfv
}

export VERSION ROOT BUILD STAGE LOGS APTDIR ORIG ORIG_SHA NICE JOBS BIN HERE
export -f deps source_tarball unpack patch_edk2 patch_save_live patch configure compile install_check
if [[ ${XEN_SKIP_DEPS:-0} == 1 ]]; then deps() { echo "skipped (XEN_SKIP_DEPS=1)"; }; export -f deps; fi
step deps 900 deps
step source 1800 source_tarball
step unpack 300 unpack
step patch 60 patch
step configure 900 configure
step compile 5400 compile
step install 120 install_check
{
    echo "# QEMU 7.2 for Xen $VERSION, built by e2e/oldhost/build-qemu-xen.sh"
    echo "tarball: $ORIG sha256 $ORIG_SHA"
    echo "script: sha256 $script_sha"
    echo "xen tree: $TREE"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(gcc --version | head -n1)"
    grep -h '^units:' "$LOGS/compile.log"
} >"$STAGE/manifest"
rm -rf "$BUILD" "$OUT"
mv "$STAGE" "$OUT"
echo "$OUT"
