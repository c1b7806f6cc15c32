#!/usr/bin/env bash
# Smoke test of a tree built by build-xen.sh: boot that Xen in QEMU (TCG)
# with Debian 12's kernel as a busybox dom0, start its toolstack, create a
# PV guest (the same kernel, a busybox initramfs), `xl save` it and
# `xl restore` it. The saved image, written by the old Xen itself, is kept.
#
#   e2e/oldhost/boot-smoke.sh [--xend] VERSION [OUTDIR]   VERSION: 4.5.5 or 4.4.4
#
# --xend (4.4.4 only): xend and xm instead of xl, with pyenv's Python 2.7
#        (pruned) in dom0; the saved image is then in xend's format.
#
# OUTDIR (default: a new temporary directory) gets serial.log (Xen's and
# dom0's console), results/ (dom0's log, `xl dmesg`, and guest.save, the
# saved image) and prints `smoke: ...` lines. Exits 0 when the guest was
# saved and restored. Packages (busybox-static, the kernel) are fetched by
# name with apt-get download into the build cache. BOOT_TIMEOUT bounds the
# QEMU run (seconds, default 1200).
set -euo pipefail
XEND=0
[[ ${1:-} == --xend ]] && { XEND=1; shift; }
[[ $# -ge 1 ]] || { echo "usage: $0 [--xend] VERSION [OUTDIR]" >&2; exit 2; }
VERSION=$1
[[ $XEND == 0 || $VERSION == 4.4.* ]] || { echo "boot-smoke: --xend needs 4.4.x" >&2; exit 2; }
PYROOT=/root/.pyenv/versions/2.7.18
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUTDIR=${2:-$(mktemp -d "${TMPDIR:-/tmp}/oldhost-smoke.XXXXXX")}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-oldhost
TREE=$("$HERE/build-xen.sh" "$VERSION")
ROOT=$TREE/root

for t in qemu-system-x86_64:qemu-system-x86 cpio:cpio readelf:binutils; do
    command -v "${t%%:*}" >/dev/null || apt-get install -y --no-install-recommends "${t#*:}"
done

# Debian 12's kernel and busybox, by package name, kept in the cache.
debs=$CACHE_ROOT/debs
mkdir -p "$debs"
kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
for p in busybox-static "$kpkg"; do
    compgen -G "$debs/${p}_*.deb" >/dev/null || (cd "$debs" && apt-get -o APT::Sandbox::User=root download "$p")
done
work=$(mktemp -d "${TMPDIR:-/tmp}/oldhost-smoke-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
pkg=$work/pkg
for p in busybox-static "$kpkg"; do dpkg-deb -x "$(compgen -G "$debs/${p}_*.deb" | head -n1)" "$pkg"; done
kernel=$(compgen -G "$pkg/boot/vmlinuz-*" | head -n1)
kver=$(basename "$(compgen -G "$pkg/lib/modules/*" | head -n1)")

# The guest: busybox counting on hvc0 (as e2e/guest/init does).
g=$work/guest
mkdir -p "$g"/{bin,dev,proc}
cp "$pkg/bin/busybox" "$g/bin/busybox"
cat >"$g/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
exec > /dev/hvc0 2>&1
i=0
while :; do i=$((i + 1)); echo "count $i"; /bin/busybox sleep 1; done
EOF
chmod 0755 "$g/init"

# dom0: the built tree (less what a dom0 does not run), the machine's shared
# objects it needs (host-libs.sh, plus libgcc_s.so.1, which glibc dlopens),
# busybox, the kernel modules, the guest.
d=$work/dom0
mkdir -p "$d"/{bin,smoke,lib64,etc}
tar -C "$ROOT" --exclude=./usr/include --exclude=./usr/share/man --exclude=./usr/share/doc \
    --exclude='*.a' --exclude=./boot --exclude=./usr/lib64 -cf - . | tar -C "$d" -xf -
for f in $("$HERE/host-libs.sh" "$ROOT") /lib/x86_64-linux-gnu/libgcc_s.so.1; do
    case $f in /root/.pyenv/*) continue ;; esac # Python: only xend needs it
    mkdir -p "$d$(dirname "$f")"
    cp -L "$f" "$d$f"
done
cp "$pkg/bin/busybox" "$d/bin/busybox"
echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd" # xend looks root up
echo "root:x:0:" >"$d/etc/group"
for m in drivers/xen/xen-evtchn drivers/xen/xen-privcmd drivers/xen/xenfs/xenfs \
    drivers/xen/xen-gntdev drivers/xen/xen-gntalloc drivers/virtio/virtio_ring \
    drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
    drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk; do
    mkdir -p "$d/lib/modules/$kver/kernel/$(dirname "$m")"
    cp "$pkg/lib/modules/$kver/kernel/$m.ko" "$d/lib/modules/$kver/kernel/$m.ko"
    echo "/lib/modules/$kver/kernel/$m.ko" >>"$d/smoke/modules"
done
cp "$kernel" "$d/smoke/vmlinuz"
(cd "$g" && find . | cpio -o -H newc --quiet) >"$d/smoke/guest.cpio"
cat >"$d/smoke/guest.cfg" <<'EOF'
name = "smoke"
kernel = "/smoke/vmlinuz"
ramdisk = "/smoke/guest.cpio"
extra = "console=hvc0 quiet"
memory = 96
vcpus = 1
EOF
# xend: the interpreter where it was built (its RUNPATH and sys.prefix say
# so), its standard library less tests and GUI, the machine's libraries its
# extension modules need, a .pth file for Xen's site-packages, and a
# xend-config.sxp with no network script (busybox has no brctl).
if ((XEND)); then
    mkdir -p "$d$PYROOT/bin" "$d$PYROOT/lib"
    cp "$PYROOT/bin/python2.7" "$d$PYROOT/bin/"
    cp -L "$PYROOT/lib/libpython2.7.so.1.0" "$d$PYROOT/lib/"
    tar -C "$PYROOT/lib" --exclude=python2.7/test --exclude=python2.7/site-packages \
        --exclude=python2.7/lib-tk --exclude=python2.7/idlelib --exclude=python2.7/lib2to3 \
        --exclude=python2.7/ensurepip --exclude='*.pyo' -cf - python2.7 | tar -C "$d$PYROOT/lib" -xf -
    mkdir -p "$d$PYROOT/lib/python2.7/site-packages"
    echo /usr/lib/python2.7/site-packages >"$d$PYROOT/lib/python2.7/site-packages/xen.pth"
    for f in $(ldd "$PYROOT"/lib/python2.7/lib-dynload/*.so 2>/dev/null |
        sed -n 's/.*=> \(\/[^ ]*\).*/\1/p' | sort -u); do
        case $f in "$PYROOT"/*) continue ;; esac
        mkdir -p "$d$(dirname "$f")"
        cp -L "$f" "$d$f"
    done
    cat >"$d/etc/xen/xend-config.sxp" <<'EOF'
(logfile /var/log/xen/xend.log)
(loglevel DEBUG)
(xend-unix-server yes)
(xend-relocation-server no)
(network-script /bin/true)
(vif-script vif-bridge)
(dom0-min-mem 196)
(enable-dom0-ballooning no)
(dom0-cpus 0)
EOF
    TOOL=xm
    # shellcheck disable=SC2016 # expanded by dom0's shell, not here
    tool_start='xend start && i=0 && while ! xm list >/dev/null 2>&1 && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done && xm list && say xend up'
else
    TOOL=xl
    tool_start=:
fi
if [[ $VERSION == 4.4.* ]]; then
    dom0_setup='xenstore-write /local/domain/0/name Domain-0 && xenstore-write /local/domain/0/domid 0'
else
    dom0_setup=/usr/lib/xen/bin/xen-init-dom0
fi
cat >"$d/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/bin:/sbin:/usr/lib/xen/bin LD_LIBRARY_PATH=/usr/lib
mkdir -p /proc /sys /dev /tmp /run /var/run/xen /var/run/xenstored /var/lib/xen /var/lib/xenstored \\
    /var/log/xen /var/lock /results
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmp /dev/shm
exec > /dev/hvc0 2>&1
say() { echo "smoke: \$* (\$(cut -d' ' -f1 /proc/uptime) s)" | tee -a /results/smoke.log > /dev/hvc0; }
say dom0 up
while read -r m; do insmod "\$m" || say "insmod \$m failed"; done < /smoke/modules
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /var/run/xenstored.pid && say xenstored started
i=0; while ! xenstore-read -s / >/dev/null 2>&1 && [ \$i -lt 30 ]; do sleep 1; i=\$((i + 1)); done
$dom0_setup && say dom0 set up
xenconsoled -i --log=guest --log-dir=/var/log/xen &
sleep 1
pidof xenconsoled >/dev/null && say xenconsoled running
xl info > /results/xl-info.txt 2>&1 && say "xl info: \$(grep -E '^xen_(major|minor|extra)' /results/xl-info.txt | awk '{printf "%s", \$3}')"
{
    $tool_start
    $TOOL create /smoke/guest.cfg && say guest created
    sleep 20
    $TOOL list
    $TOOL save smoke /results/guest.save && say "$TOOL: guest saved: \$(wc -c < /results/guest.save) bytes"
    $TOOL list
    $TOOL restore /results/guest.save && say $TOOL: guest restored
    sleep 5
    $TOOL list
    $TOOL list | grep -q '^smoke ' && say guest running after restore
    $TOOL destroy smoke
} > /results/dom0.log 2>&1
pidof xenconsoled >/dev/null || say xenconsoled died
cp /var/log/xen/*.log /results/ 2>/dev/null
xl dmesg > /results/xen-dmesg.txt 2>&1
i=0; while [ ! -b /dev/vda ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
tar -C /results -cf /dev/vda . && sync && say results written
reboot -f
EOF
chmod 0755 "$d/init"
(cd "$d" && find . | cpio -o -H newc --quiet) >"$work/dom0.cpio"
gunzip -c "$ROOT/boot/xen.gz" >"$work/xen"
truncate -s 1G "$work/results.img"

echo "smoke: booting Xen $VERSION in QEMU (dom0 initramfs $(du -h "$work/dom0.cpio" | cut -f1))" >&2
t0=$(date +%s)
rc=0
timeout "${BOOT_TIMEOUT:-1200}" qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+svm,+npt \
    -smp 2 -m 2048 -display none -vga none -no-reboot -monitor none \
    -serial "file:$OUTDIR/serial.log" -kernel "$work/xen" \
    -append "console=com1 com1=115200,8n1 dom0_mem=768M,max:768M dom0_max_vcpus=2 loglvl=all guest_loglvl=all" \
    -initrd "$kernel console=hvc0 earlyprintk=xen,$work/dom0.cpio" \
    -drive "file=$work/results.img,format=raw,if=virtio" || rc=$?
echo "smoke: QEMU exited with $rc after $(($(date +%s) - t0)) s" >&2
mkdir -p "$OUTDIR/results"
tar -C "$OUTDIR/results" -xf "$work/results.img" 2>/dev/null || true
grep -a 'smoke:' "$OUTDIR/serial.log" >&2 || true
# The guest counts on its console: after the restore the count goes on.
if [[ -f $OUTDIR/results/guest-smoke.log ]]; then
    echo "smoke: the guest's console, last lines: $(tail -n 3 "$OUTDIR/results/guest-smoke.log" | tr -d '\r' | tr '\n' ' ')" >&2
fi
echo "smoke: output in $OUTDIR" >&2
grep -aq 'smoke: guest running after restore' "$OUTDIR/serial.log"
