#!/usr/bin/env bash
# Real legacy images, written by an old Xen host itself: boot the tree
# build-xen.sh built for VERSION once in QEMU (TCG) and, in that one boot,
# create and save each of its PV guests while the counter guest
# (e2e/guest/init) counts on its console.
#
#   e2e/oldhost/save-guests.sh VERSION OUTDIR      VERSION: 4.5.5 or 4.4.4
#
# The guests (Debian 12's kernel, 64-bit, a busybox initramfs counting):
#   pv1        1 vCPU, 96 MiB, xl save
#   pv2        2 vCPUs (both online: xl list), 96 MiB, xl save
#   pvballoon  1 vCPU, memory = maxmem = 128 MiB, `xl mem-set` to 96 MiB and
#              saved once xl list shows the balloon gave the pages back, so
#              the stream has pfns with no page (not 64 MiB: Debian 12's
#              kernel with its initramfs panics there, "System is deadlocked
#              on memory")
#   pvxend     (4.4.4 only) 1 vCPU, 96 MiB, through xend: xm create, xm save
#   hvm1       (4.5.5, with OLDHOST_HVM=1 only) the HVM counter guest
#              (e2e/hvm-payload.sh: a boot sector counting on Xen's debug
#              port), 1 vCPU, 32 MiB, xl save; its device model is QEMU 7.2
#              built against this tree (build-qemu-xen.sh, several minutes
#              cold, so not by default)
# For each, OUTDIR gets NAME.save (the image as the old toolstack wrote it:
# 4.5.5's xl header with a JSON config, 4.4.4's with xl.cfg text, xend's
# xm save image), NAME.cfg (its config), NAME.facts (shell-sourceable:
# host, tool, kind, width, vcpus online at the save, memory_mib as created,
# target_mib after mem-set, listed_mib as xl list showed before the save,
# saved_count the last count on its console before the save, bytes,
# save_seconds, create_seconds, first_count_seconds, balloon_seconds) and
# NAME.console.log; a guest that failed gets NAME.fail (what was seen: its
# console's and xl dmesg's tails) instead. OUTDIR/boot/ keeps the boot's
# serial log and dom0's logs. One line a guest is printed with its times.
#
# The whole set is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/
# xen-legacy-stream-oldhost/images-VERSION-KEY/, KEY from the build tree's
# key, the sha256 of this script, of qemu-host.sh, dom0-save.sh and
# e2e/dom0/common.sh (which it runs), of e2e/guest/init, and the kernel's and busybox's package versions:
# a warm run copies the cached set into OUTDIR (and says so). Only a run in
# which every guest was saved is cached. SAVE_TIMEOUT bounds the QEMU run
# (seconds, default 1500). QEMU runs under nice -n 10.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 VERSION OUTDIR   (VERSION: 4.5.5 or 4.4.4)" >&2; exit 2; }
VERSION=$1
case $VERSION in 4.4.4 | 4.5.5) ;; *) echo "save-guests: VERSION is 4.5.5 or 4.4.4" >&2; exit 2 ;; esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
GUEST_INIT=$REPO/e2e/guest/init
mkdir -p "$2"
OUTDIR=$(cd "$2" && pwd)
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-oldhost
# shellcheck disable=SC2034 # read by qemu-host.sh
OLDHOST_TAG=save-guests
# shellcheck source=e2e/oldhost/qemu-host.sh
source "$HERE/qemu-host.sh"
T0=$(date +%s)

# NAME TOOL VCPUS MEMORY_MIB TARGET_MIB KIND
GUESTS="pv1 xl 1 96 96 pv
pv2 xl 2 96 96 pv
pvballoon xl 1 128 96 pv"
[[ $VERSION == 4.4.* ]] && GUESTS+="
pvxend xend 1 96 96 pv"
HVM=0
[[ ${OLDHOST_HVM:-0} == 1 && $VERSION == 4.5.* ]] && HVM=1
((HVM)) && GUESTS+="
hvm1 xl 1 32 32 hvm"
NAMES=$(cut -d' ' -f1 <<<"$GUESTS" | tr '\n' ' ')

# guest_lines DIR: one line a guest from its facts.
guest_lines() {
    local n
    for n in $NAMES; do
        if [[ -f $1/$n.facts ]]; then
            (
                # shellcheck disable=SC1090 # the facts dom0-save.sh wrote
                source "$1/$n.facts"
                # shellcheck disable=SC2154 # set by the facts
                printf 'save-guests %s: %-9s %-4s %d vCPU %3d MiB%s  saved in %6s s at count %-3s %9d bytes  (create %s s, counting after %s s%s)\n' \
                    "$host" "$n" "$tool" "$vcpus" "$memory_mib" \
                    "$([[ $target_mib != "$memory_mib" ]] && echo " -> $listed_mib")" "$save_seconds" \
                    "$saved_count" "$bytes" "$create_seconds" "$first_count_seconds" \
                    "${balloon_seconds:+, ballooned in $balloon_seconds s}"
            )
        else
            echo "save-guests $VERSION: $n FAILED: $(head -n 1 "$1/$n.fail" 2>/dev/null || echo 'dom0 wrote nothing of it')"
        fi
    done
}

TREE=$("$HERE/build-xen.sh" "$VERSION")
ROOT=$TREE/root
oldhost_packages "$CACHE_ROOT"

sha() { sha256sum "$1" | cut -c1-64; }
key_text="tree $(basename "$TREE")
save-guests.sh $(sha "$HERE/save-guests.sh")
qemu-host.sh $(sha "$HERE/qemu-host.sh")
dom0-save.sh $(sha "$HERE/dom0-save.sh")
dom0/common.sh $(sha "$REPO/e2e/dom0/common.sh")
guest/init $(sha "$GUEST_INIT")
kernel $(dpkg-deb -f "$KDEB" Package Version | tr '\n' ' ')
busybox $(dpkg-deb -f "$BBDEB" Version)"
if ((HVM)); then
    QEMU_KEY=$("$HERE/build-qemu-xen.sh" "$VERSION") || { echo "save-guests $VERSION: build-qemu-xen.sh failed" >&2; exit 1; }
    key_text+="
hvm $(basename "$QEMU_KEY") payload $(sha "$REPO/e2e/hvm-payload.sh") cfg $(sha "$REPO/e2e/dom0/hvm.cfg")"
fi
KEY=$(sha256sum <<<"$key_text" | cut -c1-16)
CACHED=$CACHE_ROOT/images-$VERSION-$KEY

copy_set() { # copy_set FROM TO: the images, facts, configs, logs
    local f
    for f in "$1"/*; do cp -a --reflink=auto "$f" "$2/"; done
}

if [[ -f $CACHED/complete ]]; then
    copy_set "$CACHED" "$OUTDIR"
    echo "save-guests $VERSION: cached: copied $(du -sh "$CACHED" | cut -f1) of images from $CACHED into $OUTDIR in $(($(date +%s) - T0)) s" >&2
    guest_lines "$OUTDIR"
    exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/oldhost-save.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
oldhost_packages "$CACHE_ROOT" "$WORK"
# dom0: the tree, the guest's initramfs and kernel, one xl.cfg a guest.
oldhost_dom0 "$ROOT" "$WORK/dom0" "$([[ $VERSION == 4.4.* ]] && echo 1 || echo 0)"
oldhost_guest_cpio "$GUEST_INIT" "$WORK/dom0/oldhost/guest.cpio"
echo "$GUESTS" >"$WORK/dom0/oldhost/guests"
echo "VERSION=$VERSION" >"$WORK/dom0/oldhost/settings"
((HVM)) && oldhost_hvm "$WORK/dom0" "$VERSION" >/dev/null
while read -r n _ vcpus mem _ kind; do
    if [[ $kind == hvm ]]; then
        oldhost_hvm_cfg "$n" >"$WORK/dom0/oldhost/$n.cfg"
        continue
    fi
    cat >"$WORK/dom0/oldhost/$n.cfg" <<EOF
name = "$n"
kernel = "/oldhost/vmlinuz"
ramdisk = "/oldhost/guest.cpio"
extra = "console=hvc0 quiet"
memory = $mem
maxmem = $mem
vcpus = $vcpus
EOF
done <<<"$GUESTS"
cp "$HERE/dom0-save.sh" "$WORK/dom0/oldhost/run"
cp "$REPO/e2e/dom0/common.sh" "$WORK/dom0/oldhost/common.sh"
oldhost_init "$WORK/dom0" "$VERSION" 0
gunzip -c "$ROOT/boot/xen.gz" >"$WORK/xen"

# dom0 keeps the images in its memory (rootfs) until it writes the disk.
mkdir -p "$OUTDIR/boot"
OLDHOST_QEMU_MIB=2560 OLDHOST_DOM0_MIB=1280 \
    oldhost_boot "$WORK" "$OUTDIR/boot/serial.log" "${SAVE_TIMEOUT:-1500}" 2
R=$WORK/results
grep -a 'save-guests:' "$OUTDIR/boot/serial.log" | tr -d '\r' | sed 's/^/  dom0: /' >&2 || true
for n in $NAMES; do
    for f in save facts cfg console.log fail; do
        [[ -f $R/$n.$f ]] && mv "$R/$n.$f" "$OUTDIR/"
    done
    if [[ -f $OUTDIR/$n.fail ]]; then
        echo "save-guests $VERSION: $n failed; dom0 saw:" >&2
        sed 's/^/    /' "$OUTDIR/$n.fail" >&2
    fi
done
cp -a "$R"/. "$OUTDIR/boot/" 2>/dev/null || true
ok=1
for n in $NAMES; do
    [[ -f $OUTDIR/$n.facts && -s $OUTDIR/$n.save ]] || ok=0
done
guest_lines "$OUTDIR"
echo "save-guests $VERSION: one boot of $OLDHOST_BOOT_SECONDS s, $(($(date +%s) - T0)) s in all" >&2
if ((!ok)); then
    echo "save-guests $VERSION: not every guest was saved (QEMU exit $QEMU_RC; serial log tail: $(tail -n 3 "$OUTDIR/boot/serial.log" | tr -d '\r' | tr '\n' ' ' | cut -c1-300)); nothing cached" >&2
    exit 1
fi

# Cache the set: staged beside, then renamed into place.
stage=$CACHE_ROOT/.images-$VERSION-$KEY.$$
rm -rf "$stage"
mkdir -p "$stage"
for n in $NAMES; do cp -a "$OUTDIR/$n".{save,facts,cfg,console.log} "$stage/"; done
cp -a "$OUTDIR/boot" "$stage/"
echo "$key_text" >"$stage/key"
touch "$stage/complete"
rm -rf "$CACHED"
mv "$stage" "$CACHED"
echo "save-guests $VERSION: cached in $CACHED" >&2
