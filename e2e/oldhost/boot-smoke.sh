#!/usr/bin/env bash
# Smoke test of a tree built by build-xen.sh: boot that Xen in QEMU (TCG)
# with Debian 12's kernel as a busybox dom0 (qemu-host.sh), start its
# toolstack, create a PV guest (the same kernel, the counter guest
# e2e/guest/init), save it and restore it. The saved image, written by the
# old Xen itself, is kept. (save-guests.sh saves every kind of guest in one
# boot, without restoring them.)
#
#   e2e/oldhost/boot-smoke.sh [--xend | --hvm] VERSION [OUTDIR]   VERSION: 4.5.5 or 4.4.4
#
# --xend (4.4.4 only): xend and xm instead of xl, with pyenv's Python 2.7
#        (pruned) in dom0; the saved image is then in xend's format.
# --hvm  (4.5.5 only): the HVM counter guest (e2e/hvm-payload.sh, the boot
#        sector that counts on Xen's debug port) instead of the PV one, with
#        the device model build-qemu-xen.sh builds against this tree. It
#        passes when the count read with xl dmesg goes on after the restore.
#
# OUTDIR (default: a new temporary directory) gets serial.log (Xen's and
# dom0's console), results/ (dom0's log, logs/ with `xl dmesg` and the
# guest's console, and guest.save, the saved image) and prints `smoke: ...`
# lines. Exits 0 when the guest was saved and restored. Packages
# (busybox-static, the kernel) are fetched by name with apt-get download
# into the build cache. BOOT_TIMEOUT bounds the QEMU run (seconds, default
# 1200); QEMU runs under nice -n 10.
set -euo pipefail
XEND=0 HVM=0
[[ ${1:-} == --xend ]] && { XEND=1; shift; }
[[ ${1:-} == --hvm ]] && { HVM=1; shift; }
[[ $# -ge 1 ]] || { echo "usage: $0 [--xend | --hvm] VERSION [OUTDIR]" >&2; exit 2; }
VERSION=$1
[[ $XEND == 0 || $VERSION == 4.4.* ]] || { echo "boot-smoke: --xend needs 4.4.x" >&2; exit 2; }
[[ $HVM == 0 || $VERSION == 4.5.* ]] || { echo "boot-smoke: --hvm needs 4.5.x" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUTDIR=${2:-$(mktemp -d "${TMPDIR:-/tmp}/oldhost-smoke.XXXXXX")}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
# shellcheck disable=SC2034 # read by qemu-host.sh
OLDHOST_TAG=smoke
# shellcheck source=e2e/oldhost/qemu-host.sh
source "$HERE/qemu-host.sh"
TREE=$("$HERE/build-xen.sh" "$VERSION")
ROOT=$TREE/root
work=$(mktemp -d "${TMPDIR:-/tmp}/oldhost-smoke-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
oldhost_packages "${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-oldhost" "$work"
d=$work/dom0
oldhost_dom0 "$ROOT" "$d" "$XEND"
oldhost_guest_cpio "$HERE/../guest/init" "$d/oldhost/guest.cpio"
if ((HVM)); then
    oldhost_hvm "$d" "$VERSION" >/dev/null
    oldhost_hvm_cfg smoke >"$d/oldhost/guest.cfg"
    OLDHOST_DOM0_MIB=${OLDHOST_DOM0_MIB:-1024}
else
cat >"$d/oldhost/guest.cfg" <<'CFG'
name = "smoke"
kernel = "/oldhost/vmlinuz"
ramdisk = "/oldhost/guest.cpio"
extra = "console=hvc0 quiet"
memory = 96
vcpus = 1
CFG
fi
if ((XEND)); then
    TOOL=xm
    # shellcheck disable=SC2016 # expanded by dom0's shell, not here
    tool_start='xend start && i=0 && while ! xm list >/dev/null 2>&1 && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done && xm list && say xend up'
else
    TOOL=xl
    tool_start=:
fi
# dom0's part: create, save, restore (bounded by QEMU's timeout).
cat >"$d/oldhost/run" <<RUN
say() { echo "smoke: \$* (\$(cut -d' ' -f1 /proc/uptime) s)" > /dev/hvc0; }
{
    $tool_start
    $TOOL create /oldhost/guest.cfg && say guest created
    sleep 20
    $TOOL list
    $TOOL save smoke /results/guest.save && say "$TOOL: guest saved: \$(wc -c < /results/guest.save) bytes"
    $TOOL list
    $TOOL restore /results/guest.save && say $TOOL: guest restored
    sleep 15
    $TOOL list
    $TOOL list | grep -q '^smoke ' && say guest running after restore
    xl dmesg | grep -a 'count ' | tail -n 3
    if [ $HVM = 1 ]; then
        ls -l /var/log/xen/ ; cat /var/log/xen/qemu-dm-smoke.log
        xl dmesg | tail -n 60
    fi
    $TOOL destroy smoke
} > /results/dom0.log 2>&1
RUN
oldhost_init "$d" "$VERSION" "$XEND"
gunzip -c "$ROOT/boot/xen.gz" >"$work/xen"
oldhost_boot "$work" "$OUTDIR/serial.log" "${BOOT_TIMEOUT:-1200}" 1
mkdir -p "$OUTDIR/results"
cp -a "$work/results/." "$OUTDIR/results/" 2>/dev/null || true
grep -a 'smoke:' "$OUTDIR/serial.log" | tr -d '\r' >&2 || true
# The guest counts on its console: after the restore the count goes on.
if [[ -f $OUTDIR/results/logs/guest-smoke.log ]]; then
    echo "smoke: the guest's console, last lines: $(tail -n 3 "$OUTDIR/results/logs/guest-smoke.log" | tr -d '\r' | tr '\n' ' ')" >&2
fi
echo "smoke: output in $OUTDIR" >&2
grep -aq 'smoke: guest running after restore' "$OUTDIR/serial.log" || exit 1
if ((HVM)); then
    # The HVM guest counts on Xen's debug port: the first domain (d1) up to
    # the save, the restored one (d2) on from there.
    dm=$OUTDIR/results/logs/xen-dmesg.txt
    saved=$(sed -n 's/.*(d1) count \([0-9]*\).*/\1/p' "$dm" | tail -n 1)
    resumed=$(sed -n 's/.*(d2) count \([0-9]*\).*/\1/p' "$dm" | head -n 1)
    echo "smoke: HVM guest saved at count ${saved:-none}, restored at ${resumed:-none}" >&2
    [[ -n $saved && -n $resumed ]] && ((resumed > saved && resumed <= saved + 2))
fi
