# shellcheck shell=bash
# Sourced by boot-smoke.sh and save-guests.sh (bash): boot a tree built by
# build-xen.sh in QEMU (TCG) as a busybox dom0 with Debian 12's kernel.
#
#   oldhost_packages CACHE_ROOT WORK   Debian 12's kernel and busybox-static,
#                                      downloaded by name (apt-get download)
#                                      into CACHE_ROOT/debs, unpacked into
#                                      WORK/pkg; sets KERNEL, KVER, KDEB, BBDEB
#                                      (no WORK: only KDEB and BBDEB)
#   oldhost_guest_cpio INIT OUT        the PV guest's initramfs: busybox, INIT
#   oldhost_dom0 ROOT DIR XEND         dom0's tree in DIR: the built tree ROOT,
#                                      the machine's libraries, busybox, the
#                                      Xen modules, the kernel as /oldhost/vmlinuz;
#                                      XEND=1: Python 2.7 and a xend-config.sxp
#   oldhost_hvm DIR VERSION            for HVM guests: the device model
#                                      build-qemu-xen.sh built (it prints
#                                      its key), its libraries and the HVM
#                                      payload as DIR/oldhost/hvm.img
#   oldhost_init DIR VERSION XEND      DIR/init: mounts, modules, xenstored,
#                                      dom0's name, xenconsoled (console logs in
#                                      /var/log/xen/guest-NAME.log), xend if
#                                      XEND=1, then runs /oldhost/run (sh) with
#                                      /results, copies the logs and xl dmesg
#                                      there, writes it to the disk as a tar
#   oldhost_boot WORK SERIAL LIMIT DISK_GB  boots WORK/xen with WORK/dom0.cpio
#                                      (made here from WORK/dom0) under nice,
#                                      bounded by LIMIT seconds; untars the
#                                      results disk into WORK/results; sets QEMU_RC;
#                                      QEMU also gets the array OLDHOST_QEMU_ARGS
# Output lines start with "$OLDHOST_TAG:" (dom0's on the serial log too).
OLDHOST_PY=/root/.pyenv/versions/2.7.18
OLDHOST_NICE=${OLDHOST_NICE:-10}
OLDHOST_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OLDHOST_TAG=${OLDHOST_TAG:-oldhost}

oldhost_packages() {
    local cache=$1/debs work=${2:-} p kpkg
    for p in qemu-system-x86_64:qemu-system-x86 cpio:cpio readelf:binutils; do
        command -v "${p%%:*}" >/dev/null || apt-get install -y --no-install-recommends "${p#*:}"
    done
    mkdir -p "$cache" ${work:+"$work/pkg"}
    kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
    [[ -n $kpkg ]] || { echo "$OLDHOST_TAG: apt-cache names no kernel for linux-image-amd64" >&2; return 1; }
    for p in busybox-static "$kpkg"; do
        compgen -G "$cache/${p}_*.deb" >/dev/null ||
            (cd "$cache" && timeout 900 apt-get -o APT::Sandbox::User=root download "$p") >&2
    done
    KDEB=$(compgen -G "$cache/${kpkg}_*.deb" | sort -V | tail -n1)
    BBDEB=$(compgen -G "$cache/busybox-static_*.deb" | sort -V | tail -n1)
    [[ -n $work ]] || return 0
    for p in "$BBDEB" "$KDEB"; do dpkg-deb -x "$p" "$work/pkg"; done
    KERNEL=$(compgen -G "$work/pkg/boot/vmlinuz-*" | head -n1)
    KVER=$(basename "$(compgen -G "$work/pkg/lib/modules/*" | head -n1)")
    OLDHOST_PKG=$work/pkg
}

oldhost_guest_cpio() {
    local g
    g=$(mktemp -d)
    mkdir -p "$g"/{bin,dev,proc}
    cp "$OLDHOST_PKG/bin/busybox" "$g/bin/busybox"
    ln -s busybox "$g/bin/sh"
    cp "$1" "$g/init"
    chmod 0755 "$g/init"
    (cd "$g" && find . | cpio -o -H newc --quiet) >"$2"
    rm -rf "$g"
}

oldhost_dom0() {
    local root=$1 d=$2 xend=$3 f m pkg=$OLDHOST_PKG
    mkdir -p "$d"/{bin,oldhost,lib64,etc}
    # The tree less what a dom0 does not run (headers, man pages, static
    # libraries, the hypervisor itself, the EFI build).
    tar -C "$root" --exclude=./usr/include --exclude=./usr/share/man --exclude=./usr/share/doc \
        --exclude='*.a' --exclude=./boot --exclude=./usr/lib64 -cf - . | tar -C "$d" -xf -
    # The machine's shared objects the tools need, and libgcc_s.so.1, which
    # glibc dlopens when a thread exits (xl aborts without it).
    for f in $("$OLDHOST_HERE/host-libs.sh" "$root") /lib/x86_64-linux-gnu/libgcc_s.so.1; do
        case $f in /root/.pyenv/*) continue ;; esac # Python: only xend needs it
        mkdir -p "$d$(dirname "$f")"
        cp -L "$f" "$d$f"
    done
    cp "$pkg/bin/busybox" "$d/bin/busybox"
    echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd" # xend looks root up
    echo "root:x:0:" >"$d/etc/group"
    # No modules.dep in the kernel package: insmod by path, in this order.
    : >"$d/oldhost/modules"
    for m in drivers/xen/xen-evtchn drivers/xen/xen-privcmd drivers/xen/xenfs/xenfs \
        drivers/xen/xen-gntdev drivers/xen/xen-gntalloc drivers/virtio/virtio_ring \
        drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
        drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk \
        drivers/char/virtio_console; do
        mkdir -p "$d/lib/modules/$KVER/kernel/$(dirname "$m")"
        cp "$pkg/lib/modules/$KVER/kernel/$m.ko" "$d/lib/modules/$KVER/kernel/$m.ko"
        echo "/lib/modules/$KVER/kernel/$m.ko" >>"$d/oldhost/modules"
    done
    cp "$KERNEL" "$d/oldhost/vmlinuz"
    ((xend)) || return 0
    # xend: the interpreter where it was built (its RUNPATH and sys.prefix
    # say so), its standard library less tests and GUI, the machine's
    # libraries its extension modules need, a .pth file for Xen's
    # site-packages, and a xend-config.sxp with no network script (busybox
    # has no brctl).
    mkdir -p "$d$OLDHOST_PY/bin" "$d$OLDHOST_PY/lib"
    cp "$OLDHOST_PY/bin/python2.7" "$d$OLDHOST_PY/bin/"
    cp -L "$OLDHOST_PY/lib/libpython2.7.so.1.0" "$d$OLDHOST_PY/lib/"
    tar -C "$OLDHOST_PY/lib" --exclude=python2.7/test --exclude=python2.7/site-packages \
        --exclude=python2.7/lib-tk --exclude=python2.7/idlelib --exclude=python2.7/lib2to3 \
        --exclude=python2.7/ensurepip --exclude='*.pyo' -cf - python2.7 | tar -C "$d$OLDHOST_PY/lib" -xf -
    mkdir -p "$d$OLDHOST_PY/lib/python2.7/site-packages"
    echo /usr/lib/python2.7/site-packages >"$d$OLDHOST_PY/lib/python2.7/site-packages/xen.pth"
    for f in $(ldd "$OLDHOST_PY"/lib/python2.7/lib-dynload/*.so 2>/dev/null |
        sed -n 's/.*=> \(\/[^ ]*\).*/\1/p' | sort -u); do
        case $f in "$OLDHOST_PY"/*) continue ;; esac
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
}

oldhost_hvm() {
    local d=$1 tree f
    tree=$("$OLDHOST_HERE/build-qemu-xen.sh" "$2") || return 1
    # Where libxl 4.5 looks for it, and the machine's libraries it needs
    # besides the tree's.
    mkdir -p "$d/usr/lib/xen/bin"
    cp "$tree/usr/lib/xen/bin/qemu-system-i386" "$d/usr/lib/xen/bin/"
    for f in $("$OLDHOST_HERE/host-libs.sh" "$d" usr/lib/xen/bin/qemu-system-i386); do
        [[ -e $d$f ]] && continue
        mkdir -p "$d$(dirname "$f")"
        cp -L "$f" "$d$f"
    done
    # shellcheck source=e2e/hvm-payload.sh
    source "$OLDHOST_HERE/../hvm-payload.sh"
    write_hvm_payload "$d/oldhost/hvm.img"
    basename "$tree"
}

# oldhost_hvm_cfg NAME: the new hosts' HVM config (e2e/dom0/hvm.cfg) for the
# old host: its name, the disk at /oldhost/hvm.img, and builder= (xl 4.5
# does not know type=).
oldhost_hvm_cfg() {
    sed -e "s|^name = .*|name = \"$1\"|" -e 's|target=/e2e/hvm.img|target=/oldhost/hvm.img|' \
        -e 's|^type = "hvm"$|builder = "hvm"|' "$OLDHOST_HERE/../dom0/hvm.cfg"
}

oldhost_init() {
    local d=$1 version=$2 xend=$3 dom0_setup
    if [[ $version == 4.4.* ]]; then
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
say() { echo "$OLDHOST_TAG: \$* (\$(cut -d' ' -f1 /proc/uptime) s)" | tee -a /results/dom0-steps.log > /dev/hvc0; }
say dom0 up
while read -r m; do insmod "\$m" || say "insmod \$m failed"; done < /oldhost/modules
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /var/run/xenstored.pid && say xenstored started
i=0; while ! xenstore-read -s / >/dev/null 2>&1 && [ \$i -lt 30 ]; do sleep 1; i=\$((i + 1)); done
[ \$i -lt 30 ] || say "xenstored does not answer after 30 s"
$dom0_setup && say dom0 set up
# -i: it hangs when it daemonizes here.
xenconsoled -i --log=guest --log-dir=/var/log/xen &
sleep 1
pidof xenconsoled >/dev/null && say xenconsoled running || say "xenconsoled is not running"
xl info > /results/xl-info.txt 2>&1 && say "xl info: \$(grep -E '^xen_(major|minor|extra)' /results/xl-info.txt | awk '{printf "%s", \$3}')"
OLDHOST_XEND=$xend sh /oldhost/run /results
say "run: exit \$?"
pidof xenconsoled >/dev/null || say xenconsoled died
mkdir -p /results/logs
cp /var/log/xen/*.log /results/logs/ 2>/dev/null
xl dmesg > /results/logs/xen-dmesg.txt 2>&1
i=0; while [ ! -b /dev/vda ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
timeout 300 tar -C /results -cf /dev/vda . && sync && say results written
reboot -f
EOF
    chmod 0755 "$d/init"
}

oldhost_boot() {
    local work=$1 serial=$2 limit=$3 gb=${4:-1} kernel=$KERNEL t0
    (cd "$work/dom0" && find . | cpio -o -H newc --quiet) >"$work/dom0.cpio"
    rm -f "$work/results.img"
    truncate -s "${gb}G" "$work/results.img"
    echo "$OLDHOST_TAG: booting Xen in QEMU (dom0 initramfs $(du -h "$work/dom0.cpio" | cut -f1), bounded by $limit s)" >&2
    t0=$(date +%s)
    QEMU_RC=0
    nice -n "$OLDHOST_NICE" timeout "$limit" qemu-system-x86_64 -accel tcg,thread=multi \
        -cpu qemu64,+svm,+npt,+rdrand -smp 2 -m "${OLDHOST_QEMU_MIB:-2048}" -display none -vga none \
        -no-reboot -monitor none -serial "file:$serial" -kernel "$work/xen" \
        -append "console=com1 com1=115200,8n1 dom0_mem=${OLDHOST_DOM0_MIB:-768}M,max:${OLDHOST_DOM0_MIB:-768}M dom0_max_vcpus=2 loglvl=all guest_loglvl=all" \
        -initrd "$kernel console=hvc0 earlyprintk=xen,$work/dom0.cpio" \
        -drive "file=$work/results.img,format=raw,if=virtio" \
        ${OLDHOST_QEMU_ARGS[@]+"${OLDHOST_QEMU_ARGS[@]}"} || QEMU_RC=$?
    OLDHOST_BOOT_SECONDS=$(($(date +%s) - t0))
    echo "$OLDHOST_TAG: QEMU exited with $QEMU_RC after $OLDHOST_BOOT_SECONDS s$( ((QEMU_RC == 124)) && echo " (timed out)")" >&2
    mkdir -p "$work/results"
    tar -C "$work/results" -xf "$work/results.img" 2>/dev/null || true
    rm -f "$work/results.img"
}
