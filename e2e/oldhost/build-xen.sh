#!/usr/bin/env bash
# Build an old Xen (4.4.4 or 4.5.5: the hypervisor, the tools and hvmloader)
# from the unmodified release tarball in shared/xen-src into a cache, for an
# end-to-end test whose host writes legacy (Xen <= 4.5) save streams itself.
#
#   e2e/oldhost/build-xen.sh VERSION        VERSION: 4.5.5 or 4.4.4
#
# Prints one line per step with its wall time (on stderr) and, last, the
# cached tree's path (on stdout). A warm run only prints that path.
#
# Xen is GPLv2 and this project Apache-2.0: nothing of Xen is kept in the
# project. The tarball is unpacked into a build directory under the cache,
# and each change its build needs on today's Debian 12 / gcc 12 is a small,
# commented step of this script editing that unpacked copy (see patch_*).
#
# The cache key is the tarball's sha256 and this script's own sha256, so an
# edit of the script builds anew:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-oldhost/
#       VERSION-<tarball sha256:16>-<script sha256:16>/
#           root/        make install DESTDIR= of the hypervisor, tools, firmware
#           manifest     what was built, how, and where it landed
#           logs/        one log per step
# e2e/oldhost/README.md describes root/'s layout for a busybox dom0.
#
# Environment (all optional):
#   XEN_SRC_DIR     where xen-VERSION.tar.gz is (default: <repo>/../shared/xen-src)
#   XEN_PYTHON2     Python 2.7 interpreter (default: pyenv's 2.7.18 on the machine image)
#   XEN_BUILD_JOBS  make -j (default 2: the machine has 2 cores shared with QEMU runs)
#   XEN_NICE        niceness of the compilers (default 10)
#   XEN_KEEP_BUILD  1: keep the unpacked, built source tree beside the result
#   XEN_SKIP_DEPS   1: do not apt-get install the build dependencies
set -euo pipefail

usage() {
    echo "usage: $0 VERSION   (VERSION: 4.5.5 or 4.4.4)" >&2
    exit 2
}
[[ $# -eq 1 ]] || usage
VERSION=$1
case $VERSION in 4.4.4 | 4.5.5) ;; *) usage ;; esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
REPO=$(cd "$HERE/../.." && pwd)
SRC_DIR=${XEN_SRC_DIR:-$REPO/../shared/xen-src}
TARBALL=$SRC_DIR/xen-$VERSION.tar.gz
PY2=${XEN_PYTHON2:-/root/.pyenv/versions/2.7.18/bin/python2.7}
JOBS=${XEN_BUILD_JOBS:-2}
NICE=${XEN_NICE:-10}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-oldhost

# Where the tools look for things at run time (compiled into libxl). Debian's
# own QEMU links against Xen 4.17's libraries, so an HVM guest on this host
# needs a device model built against this tree's; it is expected here.
QEMU_PATH=/usr/lib/xen/bin/qemu-system-i386
# Debian 12's SeaBIOS (package seabios), embedded in hvmloader. Only the
# 256 KiB build has Xen support (the 128 KiB bios.bin has none: it looks for
# QEMU's fw_cfg, which QEMU under Xen does not have, and ignores hvmloader's
# tables); it is the one Debian's own Xen uses. hvmloader 4.4/4.5 puts it at
# 1 MiB minus its size, 0xC0000, and loads no VGA ROM there for SeaBIOS.
SEABIOS=/usr/share/seabios/bios-256k.bin

[[ -r $TARBALL ]] || { echo "build-xen: no $TARBALL (set XEN_SRC_DIR)" >&2; exit 1; }
tar_sha=$(sha256sum "$TARBALL" | cut -c1-64)
script_sha=$(sha256sum "$SELF" | cut -c1-64)
KEY=$VERSION-${tar_sha:0:16}-${script_sha:0:16}
OUT=$CACHE_ROOT/$KEY

# Warm run: nothing but the path.
if [[ -f $OUT/manifest ]]; then
    echo "$OUT"
    exit 0
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock-$KEY"
flock 9
if [[ -f $OUT/manifest ]]; then # built by a concurrent run meanwhile
    echo "$OUT"
    exit 0
fi

STAGE=$CACHE_ROOT/.stage-$KEY
BUILD=$CACHE_ROOT/.build-$KEY
rm -rf "$STAGE" "$BUILD"
mkdir -p "$STAGE/root" "$STAGE/logs" "$BUILD"
LOGS=$STAGE/logs
SRC=$BUILD/xen-$VERSION
DEST=$STAGE/root

T0=$(date +%s)
STEPS=()

# step NAME TIMEOUT_SECONDS FUNCTION: run FUNCTION (a step of this script)
# with its output in logs/NAME.log, bounded by timeout, and print its time.
step() {
    local name=$1 limit=$2 fn=$3 start rc=0 t
    start=$(date +%s)
    timeout -k 30 "$limit" bash -c "set -euo pipefail; $fn" >"$LOGS/$name.log" 2>&1 </dev/null || rc=$?
    t=$(($(date +%s) - start))
    if ((rc == 0)); then
        printf 'build-xen %s: %-14s ok      %5ds\n' "$VERSION" "$name" "$t" >&2
        STEPS+=("$name ok ${t}s")
        return 0
    fi
    ((rc == 124)) && echo "build-xen $VERSION: $name timed out after ${limit}s" >&2
    printf 'build-xen %s: %-14s FAILED  %5ds (exit %d, %s)\n' "$VERSION" "$name" "$t" "$rc" \
        "$LOGS/$name.log" >&2
    STEPS+=("$name FAILED(exit $rc) ${t}s")
    return "$rc"
}
fail() {
    echo "build-xen $VERSION: the last lines of $LOGS/$1.log:" >&2
    tail -n 40 "$LOGS/$1.log" >&2
    exit 1
}

# The compilers and make run niced; the functions below run in `bash -c`.
export VERSION SRC DEST BUILD PY2 JOBS NICE QEMU_PATH SEABIOS TARBALL
run() { nice -n "$NICE" "$@"; }

# --- steps ----------------------------------------------------------------

deps() {
    # Build dependencies, by Debian package name. gcc-multilib: hvmloader is
    # 32-bit and includes <stdint.h>. acpica-tools: iasl for hvmloader's
    # ACPI tables. seabios: the BIOS hvmloader embeds. libglib2.0-dev: the
    # tools' configure checks for it unconditionally. wget: configure
    # insists on a fetcher (nothing is fetched: no qemu, seabios or stubdom
    # is built from the network).
    local pkgs=(build-essential gcc-multilib bison flex pkg-config gettext bin86 bcc
        libyajl-dev libpixman-1-dev uuid-dev libncurses-dev zlib1g-dev libaio-dev
        libglib2.0-dev libssl-dev libbz2-dev liblzma-dev acpica-tools seabios wget xz-utils)
    local missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q ' installed$' || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        echo "all installed: ${pkgs[*]}"
        return 0
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${missing[@]}" ||
        { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
}

unpack() {
    tar -xzf "$TARBALL" -C "$BUILD"
    test -f "$SRC/xen/Makefile"
}

# Patch 1 (both versions): -Werror goes. gcc 12 warns (array bounds,
# misleading indentation, address-of-packed-member, ...) where the gcc 4.x
# of 2015 did not. Every Makefile, *.mk and setup.py that adds -Werror gets
# -Wno-error instead; configure's own tests are left alone.
patch_werror() {
    grep -rlZ --include=Makefile --include='*.mk' --include=setup.py -- '-Werror' "$SRC" |
        xargs -0 -r sed -i -E 's/-Werror([^=[:alnum:]_-]|$)/-Wno-error\1/g'
    if grep -rl --include=Makefile --include='*.mk' --include=setup.py -E -- '-Werror([^=]|$)' "$SRC"; then
        return 1
    fi
}

# Patch 2 (hypervisor): gcc 12 at -O2 vectorizes the xz decompressor with
# SSE/MMX registers, and Xen panics at boot (`Xen BUG at traps.c:3363`, #NM
# while unpacking dom0's kernel). The hypervisor must not touch them.
patch_hypervisor_flags() {
    sed -i '/^CFLAGS += -fno-builtin -fno-common$/a CFLAGS += -fno-tree-vectorize -mno-mmx' \
        "$SRC/xen/Rules.mk"
    grep -q -- '-fno-tree-vectorize -mno-mmx' "$SRC/xen/Rules.mk"
}

# Patch 3 (tools/Makefile): firmware (hvmloader) is left out of the tools'
# own recursion and built as a step of its own, so the PV tools do not
# depend on it. 4.4.4 only: blktap2 is left out too. That Makefile builds it
# on every Linux whatever configure says, and its remus driver includes
# <sys/sysctl.h>, which today's glibc no longer has (libxl is then built
# with LIBXL_BLKTAP=n, a make variable, not a patch).
patch_tools_subdirs() {
    sed -i '/^SUBDIRS-\$(CONFIG_X86) += firmware$/d' "$SRC/tools/Makefile"
    if [[ $VERSION == 4.4.* ]]; then
        sed -i '/^SUBDIRS-\$(CONFIG_Linux) += blktap2$/d' "$SRC/tools/Makefile"
    fi
    if grep -E '^SUBDIRS-.* \+= firmware$' "$SRC/tools/Makefile"; then return 1; fi
    if [[ $VERSION == 4.4.* ]] && grep -E '^SUBDIRS-\$\(CONFIG_Linux\) \+= blktap2$' "$SRC/tools/Makefile"; then
        return 1
    fi
}

# Patch 4 (hvmloader's ACPI tables): iasl of 2015 named the array of a
# generated table `AmlCode` and the Makefile renames it with sed; today's
# iasl (-p NAME) names it `NAME_aml_code`. The Makefile's sed also strips
# that suffix, so the C names (dsdt_anycpu, ssdt_s3, ...) are as before.
patch_iasl() {
    local mk=$SRC/tools/firmware/hvmloader/acpi/Makefile
    sed -i "s|sed -e 's/AmlCode/\$\*/g'|sed -e 's/AmlCode/\$*/g' -e 's/_aml_code//g'|" "$mk"
    [[ $(grep -c "_aml_code//g" "$mk") -ge 2 ]]
}

# Patch 5 (libxl): libxl_device.c uses major() and minor(), which glibc
# 2.28+ no longer declares through <sys/types.h>; the file includes
# <sys/sysmacros.h> itself. (Not `-include sys/sysmacros.h` for all the
# tools: a header forced in first reads <features.h> before a source's own
# `#define _GNU_SOURCE`, and then asprintf, vasprintf and ptsname go
# undeclared: implicit int, a truncated pointer, and xenconsoled segfaults
# in strlen on its first guest console.)
patch_sysmacros() {
    local f=$SRC/tools/libxl/libxl_device.c
    sed -i '0,/^#include "libxl_internal.h"$/s||&\n#include <sys/sysmacros.h>|' "$f"
    grep -q '^#include <sys/sysmacros.h>$' "$f"
}

patch() {
    patch_sysmacros
    patch_werror
    patch_hypervisor_flags
    patch_tools_subdirs
    patch_iasl
}

# Some of Xen's build scripts run `python` (compat headers, xen-foreign).
py_path() { export PATH="$(dirname "$PY2"):$PATH" PYTHON="$PY2"; }

hypervisor() {
    py_path
    run make -C "$SRC/xen" -j"$JOBS" PYTHON="$PY2" debug=n
    run make -C "$SRC/xen" PYTHON="$PY2" debug=n DESTDIR="$DEST" install
    test -f "$DEST/boot/xen.gz"
}

configure() {
    py_path
    local pylib args
    pylib=$(dirname "$(dirname "$PY2")")/lib
    args=(--prefix=/usr --disable-ocamltools --disable-monitors --disable-xsmpolicy
        --disable-qemu-traditional --disable-rombios --disable-stubdom --disable-docs
        --with-xenstored=xenstored --with-system-qemu="$QEMU_PATH"
        --with-system-seabios="$SEABIOS")
    if [[ $VERSION == 4.4.* ]]; then
        args+=(--enable-xend)
    else
        args+=(--disable-blktap2)
    fi
    # The top-level configure: it writes config/Tools.mk and the paths libxl
    # compiles in. The tools' configure wants PYTHON as an absolute path and
    # finds -lpython2.7 through LDFLAGS.
    cd "$SRC"
    run ./configure "${args[@]}" PYTHON="$PY2" LDFLAGS="-L$pylib"
}

# xenstored's globals are tentative definitions in several files (gcc 10+
# defaults to -fno-common). Through the environment, so tools/firmware's
# Rules.mk can still clear it for hvmloader.
tools_env() {
    py_path
    export EXTRA_CFLAGS_XEN_TOOLS="-fcommon"
    TOOLS_MAKEVARS=(PYTHON="$PY2")
    if [[ $VERSION == 4.4.* ]]; then TOOLS_MAKEVARS+=(LIBXL_BLKTAP=n); fi
}

# Without -Werror, gcc 12 only warns about a call to an undeclared function,
# and a pointer it returns is cut to an int: such a build is not kept.
no_implicit_decls() {
    if grep -n 'warning: implicit declaration of function' "$1"; then
        echo "build-xen: implicit declarations (above): a returned pointer would be truncated"
        return 1
    fi
}

tools() {
    tools_env
    run make -C "$SRC/tools" -j"$JOBS" "${TOOLS_MAKEVARS[@]}" 2>&1 | tee "$BUILD/tools.out"
    no_implicit_decls "$BUILD/tools.out"
}

tools_install() {
    tools_env
    run make -C "$SRC/tools" "${TOOLS_MAKEVARS[@]}" DESTDIR="$DEST" install
    test -x "$DEST/usr/sbin/xl"
}

firmware() {
    tools_env
    run make -C "$SRC/tools/firmware" -j"$JOBS" "${TOOLS_MAKEVARS[@]}"
    run make -C "$SRC/tools/firmware" "${TOOLS_MAKEVARS[@]}" DESTDIR="$DEST" install
    test -f "$DEST/usr/lib/xen/boot/hvmloader"
}

# --- run them ---------------------------------------------------------------

export -f run deps unpack patch_sysmacros no_implicit_decls patch_werror patch_hypervisor_flags patch_tools_subdirs patch_iasl \
    patch py_path hypervisor configure tools_env tools tools_install firmware
if [[ ${XEN_SKIP_DEPS:-0} == 1 ]]; then deps() { echo "skipped (XEN_SKIP_DEPS=1)"; }; export -f deps; fi
step deps 900 deps || fail deps
step unpack 300 unpack || fail unpack
step patch 60 patch || fail patch
step hypervisor 3600 hypervisor || fail hypervisor
step configure 600 configure || fail configure
step tools 5400 tools || fail tools
step tools-install 1800 tools_install || fail tools-install
HVMLOADER=built
step firmware 1800 firmware || HVMLOADER="FAILED: see logs/firmware.log"

# --- manifest ---------------------------------------------------------------

# What a dom0 needs of this tree; a build without one of them has failed.
# 4.5 sets dom0 up with xen-init-dom0; 4.4 has none (its xencommons writes
# /local/domain/0/{name,domid} with xenstore-write) but has xend and xm,
# and its xl saves through libxl-save-helper as 4.5's does.
WANT=(boot/xen.gz usr/sbin/xl usr/sbin/xenstored usr/sbin/xenconsoled usr/lib/xen/bin/libxl-save-helper
    usr/lib/xen/bin/xenconsole usr/bin/xenstore-write usr/bin/xenstore-read usr/bin/xenstore-ls
    usr/lib/libxenctrl.so usr/lib/libxenguest.so usr/lib/libxenlight.so usr/lib/libxenstore.so
    usr/lib/libxlutil.so usr/lib/python2.7/site-packages/xen/lowlevel/xc.so
    usr/lib/python2.7/site-packages/xen/lowlevel/xs.so)
if [[ $VERSION == 4.4.* ]]; then
    WANT+=(usr/sbin/xend usr/sbin/xm usr/lib/python2.7/site-packages/xen/xend/XendDomain.py
        usr/lib/xen/bin/xc_save usr/lib/xen/bin/xc_restore)
else
    WANT+=(usr/lib/xen/bin/xen-init-dom0)
fi
[[ $HVMLOADER == built ]] && WANT+=(usr/lib/xen/boot/hvmloader)
for f in "${WANT[@]}"; do
    [[ -e $DEST/$f ]] || { echo "build-xen $VERSION: not installed: $f" >&2; exit 1; }
done
{
    echo "# Xen $VERSION built by e2e/oldhost/build-xen.sh (layout: e2e/oldhost/README.md)"
    echo "version: $VERSION"
    echo "tarball: $(basename "$TARBALL") sha256 $tar_sha"
    echo "script: sha256 $script_sha"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(gcc --version | head -n1)"
    echo "python2: $PY2 ($("$PY2" -V 2>&1))"
    echo "configure: --prefix=/usr --with-system-qemu=$QEMU_PATH --with-system-seabios=$SEABIOS$(
        [[ $VERSION == 4.4.* ]] && echo ' --enable-xend (blktap2 left out)' || echo ' --disable-blktap2')"
    echo "hvmloader: $HVMLOADER"
    echo "steps: $(IFS=,; echo "${STEPS[*]}")"
    echo "total: $(($(date +%s) - T0))s"
    echo "files:"
    printf '  %s\n' "${WANT[@]}"
    echo "libraries:"
    (cd "$DEST" && find usr/lib -maxdepth 1 -name 'lib*.so.*' -type f | sort | sed 's/^/  /')
} >"$STAGE/manifest"

if [[ ${XEN_KEEP_BUILD:-0} == 1 ]]; then
    mv "$BUILD" "$STAGE/build"
else
    rm -rf "$BUILD"
fi
echo "size: $(du -sh "$STAGE" | cut -f1) (root/: $(du -sh "$DEST" | cut -f1))" >>"$STAGE/manifest"
rm -rf "$OUT"
mv "$STAGE" "$OUT"
echo "build-xen $VERSION: $(du -sh "$OUT" | cut -f1) in $OUT ($(($(date +%s) - T0))s)" >&2
echo "$OUT"
