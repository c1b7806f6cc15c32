# Sourced by e2e/run.sh: lay out dom0's root and the PV guest's initramfs
# from the unpacked packages (PKG, a dpkg-deb -x tree) of one Debian release:
# XEN_VERSION (4.17 for Debian 12, 4.20 for Debian 13) says which Xen.

xen_bin() { echo "usr/lib/xen-$XEN_VERSION/bin"; }

# first_of PKG PATH...: the first PATH that exists under PKG (Debian 13
# ships merged-/usr paths where Debian 12 shipped /bin and /lib).
first_of() {
    local pkg=$1 p
    shift
    for p in "$@"; do [[ -e $pkg/$p ]] && { echo "$p"; return 0; }; done
    echo "e2e: none of $* in the packages" >&2
    return 1
}

# dom0_base PKG ROOT: busybox, Xen's daemons and toolstack, the device model
# and firmware for HVM guests, the kernel modules dom0 loads.
dom0_base() {
    local pkg=$1 root=$2 m kver mods bin
    bin=$(xen_bin)
    mkdir -p "$root"/{bin,sbin,etc,lib64,tmp,root,usr/local/bin,usr/lib/xen-$XEN_VERSION/boot,var/log/xen}
    cp "$pkg/$(first_of "$pkg" bin/busybox usr/bin/busybox)" "$root/bin/busybox"
    mkdir -p "$root/$bin"
    # Xen's own converter and verifier too (Python scripts dom0 cannot
    # run): the package's diversion moves them aside, as on a real host.
    for m in xl xenstored xenconsoled libxl-save-helper xen-init-dom0 \
        convert-legacy-stream verify-stream-v2; do
        cp "$pkg/$bin/$m" "$root/$bin/$m"
    done
    cp "$pkg/usr/lib/xen-$XEN_VERSION/boot/hvmloader" "$root/usr/lib/xen-$XEN_VERSION/boot/"
    [[ -d $pkg/etc/xen ]] && cp -r "$pkg/etc/xen" "$root/etc/"
    mkdir -p "$root/usr/libexec" "$root/usr/share"
    cp "$pkg/usr/libexec/xen-qemu-system-i386" "$root/usr/libexec/"
    cp -r "$pkg/usr/share/qemu" "$pkg/usr/share/seabios" "$root/usr/share/"
    # QEMU's multiboot_dma.bin hangs under Xen; nothing here boots multiboot,
    # but keep the one that works in both places should a config use it.
    cp "$pkg/usr/share/qemu/multiboot.bin" "$root/usr/share/qemu/multiboot_dma.bin"
    mods=$(first_of "$pkg" lib/modules usr/lib/modules)
    kver=$(basename "$(compgen -G "$pkg/$mods/*" | head -n 1)")
    : > "$root/etc/e2e-modules"
    # In load order (dependencies first); dom0's init loads them from this
    # list. A module the kernel has built in is left out; Debian 13's are
    # xz-compressed, which busybox's insmod does not read: unpacked here.
    for m in drivers/xen/xen-evtchn drivers/xen/xen-privcmd drivers/xen/xenfs/xenfs \
        drivers/xen/xen-gntdev drivers/xen/xen-gntalloc drivers/virtio/virtio_ring \
        drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
        drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk \
        drivers/char/virtio_console; do
        grep -q "^kernel/$m.ko$" "$pkg/$mods/$kver/modules.builtin" 2>/dev/null && continue
        mkdir -p "$root/lib/modules/$kver/kernel/$(dirname "$m")"
        if [[ -f $pkg/$mods/$kver/kernel/$m.ko ]]; then
            cp "$pkg/$mods/$kver/kernel/$m.ko" "$root/lib/modules/$kver/kernel/$m.ko"
        elif [[ -f $pkg/$mods/$kver/kernel/$m.ko.xz ]]; then
            xz -dc "$pkg/$mods/$kver/kernel/$m.ko.xz" > "$root/lib/modules/$kver/kernel/$m.ko"
        else
            echo "e2e: kernel $kver has no module $m, built in or not" >&2
            return 1
        fi
        echo "/lib/modules/$kver/kernel/$m.ko" >> "$root/etc/e2e-modules"
    done
    echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
}

# install_tools ROOT BINDIR [CONVERTER]: our tools in dom0 as the project's
# Debian package puts them on a host: the package is built from BINDIR
# (packaging/build-deb.sh) and laid into ROOT by packaging/stage-root.sh,
# which moves Xen's own converter and verifier (copied in by dom0_base) to
# their diverted names, as the package's preinst does. libxl then runs our
# converter from its own path with no variable set. CONVERTER replaces the
# packaged converter (verify-stream-v2 then leads to the packaged one, kept
# as convert-legacy-stream.built). The generator goes on PATH. The one place
# that decides how the project's tools reach dom0.
install_tools() {
    local root=$1 bin=$2 conv=${3:-} deb lib=usr/libexec/xen-legacy-stream
    deb=$(BINDIR=$bin DEB_DIR=$work/deb bash "$repo/packaging/build-deb.sh" | tail -n 1)
    bash "$repo/packaging/stage-root.sh" "$deb" "$root" > "$work/stage-root.log"
    if [[ -n $conv ]]; then
        mv "$root/$lib/convert-legacy-stream" "$root/$lib/convert-legacy-stream.built"
        ln -sfn convert-legacy-stream.built "$root/$lib/verify-stream-v2"
        cp "$conv" "$root/$lib/convert-legacy-stream"
        chmod 0755 "$root/$lib/convert-legacy-stream"
    fi
    strip -o "$root/usr/local/bin/generate-legacy-stream" "$bin/generate-legacy-stream"
}

# lib_path PKG NAME: where the packages put the shared object NAME.
lib_path() {
    local d
    for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64 usr/lib; do
        [[ -e $1/$d/$2 ]] && { echo "$d/$2"; return 0; }
    done
    return 1
}

# needed FILE: the shared objects an ELF file names (none for a script).
needed() { { readelf -d "$1" 2>/dev/null || true; } | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

# add_libs PKG ROOT: every shared object that ROOT's programs need (their
# DT_NEEDED, recursively), from the packages, plus libgcc_s.so.1 (xl
# dlopens it at exit and aborts without it) and the dynamic loader.
add_libs() {
    local pkg=$1 root=$2 f n p
    local -A have=()
    local queue=(libgcc_s.so.1)
    while read -r f; do
        queue+=($(needed "$f"))
    done < <(find "$root" -type f -perm -u+x ! -name '*.ko')
    while ((${#queue[@]})); do
        n=${queue[0]}
        queue=("${queue[@]:1}")
        [[ -n ${have[$n]:-} ]] && continue
        have[$n]=1
        p=$(lib_path "$pkg" "$n") || { echo "e2e: no $n in the packages" >&2; return 1; }
        mkdir -p "$root/$(dirname "$p")"
        cp -L "$pkg/$p" "$root/$p"
        queue+=($(needed "$pkg/$p"))
    done
    cp -L "$pkg/$(first_of "$pkg" lib64/ld-linux-x86-64.so.2 usr/lib64/ld-linux-x86-64.so.2)" "$root/lib64/"
}

# build_guest_cpio PKG OUT INIT: the PV guest's initramfs, busybox and INIT.
build_guest_cpio() {
    local g
    g=$(mktemp -d)
    mkdir -p "$g"/{bin,dev,proc}
    cp "$1/$(first_of "$1" bin/busybox usr/bin/busybox)" "$g/bin/busybox"
    ln -s busybox "$g/bin/sh"
    cp "$3" "$g/init"
    chmod 0755 "$g/init"
    (cd "$g" && find . | cpio -o -H newc --quiet) > "$2"
    rm -rf "$g"
}
