#!/usr/bin/env bash
# End-to-end test on a real Xen: Debian 12's Xen 4.17 booted in QEMU (TCG),
# a busybox dom0 with Xen's own toolstack, PV and HVM guests saved by Xen,
# turned into legacy images, and restored through our converter every way
# libxl runs it: docs/testing.md, "End-to-end test on a real Xen".
#
#   e2e/run.sh [--pv-only] [--keep] [--converter FILE] [--bindir DIR]
#
# --pv-only        PV scenarios only
# --keep           keep the work directory (dom0 tree, serial log, results)
# --converter FILE put FILE in dom0 as convert-legacy-stream instead of the
#                  build's (also E2E_CONVERTER=FILE), to see the test fail
# --bindir DIR     use the tools already built in DIR (also E2E_BINDIR)
#                  instead of running make
# Packages are cached in E2E_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-e2e); E2E_TIMEOUT bounds
# the QEMU run (seconds, default 1200).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
pv_only=0 keep=0
converter=${E2E_CONVERTER:-} bindir=${E2E_BINDIR:-}
cache=${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-e2e}
boot_timeout=${E2E_TIMEOUT:-1200}
while (($#)); do
    case $1 in
        --pv-only) pv_only=1 ;;
        --keep) keep=1 ;;
        --converter) converter=$(realpath "$2"); shift ;;
        --bindir) bindir=$(realpath "$2"); shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "e2e/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

source "$here/packages.sh"
source "$here/hvm-payload.sh"
source "$here/dom0-tree.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/xen-e2e.XXXXXX")
cleanup() {
    if ((keep)); then echo "e2e: work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
t_all=$(date +%s.%N)
elapsed() { echo "$(date +%s.%N) $1" | awk '{printf "%.1f", $1 - $2}'; }
step() { # step NAME COMMAND...: run a step, print its time.
    local t0 name=$1
    shift
    t0=$(date +%s.%N)
    "$@"
    echo "e2e: step $name $(elapsed "$t0") s"
}

host_tools() {
    local need=()
    command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
    command -v cpio >/dev/null || need+=(cpio)
    command -v readelf >/dev/null || need+=(binutils)
    command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
    command -v python3 >/dev/null || need+=(python3)
    if ((${#need[@]})); then
        apt-cache show "${need[0]}" >/dev/null 2>&1 || apt-get -o DPkg::Lock::Timeout=600 update
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
            --no-install-recommends "${need[@]}"
    fi
}

download() {
    fetch_packages "$cache" > "$work/debs.list"
    mkdir -p "$work/pkg"
    local f
    while read -r f; do dpkg-deb -x "$f" "$work/pkg"; done < "$work/debs.list"
}

build() {
    if [[ -n $bindir ]]; then return; fi
    export PATH=/opt/swift/usr/bin:$PATH
    make -C "$repo" > "$work/build.log" 2>&1 || { tail -n 20 "$work/build.log"; return 1; }
    (cd "$repo" && swift build -c release --static-swift-stdlib \
        --product generate-legacy-stream) >> "$work/build.log" 2>&1 || { tail -n 20 "$work/build.log"; return 1; }
    bindir=$repo/.build/release
}

images() {
    write_hvm_payload "$work/hvm.img"
    build_guest_cpio "$work/pkg" "$work/guest.cpio" "$here/guest/init"
    build_dom0_tree
    (cd "$work/dom0" && find . | cpio -o -H newc --quiet) > "$work/dom0.cpio"
    gunzip -c "$work"/pkg/boot/xen-4.17-amd64.gz > "$work/xen"
}

build_dom0_tree() {
    local d=$work/dom0 kernel
    kernel=$(compgen -G "$work/pkg/boot/vmlinuz-*" | head -n 1)
    dom0_base "$work/pkg" "$d"
    install_tools "$d" "$bindir" "$converter"
    mkdir -p "$d/e2e"
    install -m 0755 "$here/dom0/init" "$d/init"
    cp "$here"/dom0/{scenarios.sh,lib.sh,migrate-sender.sh,pv.cfg,hvm.cfg} "$d/e2e/"
    cp "$kernel" "$d/e2e/vmlinuz"
    cp "$work/guest.cpio" "$work/hvm.img" "$d/e2e/"
    local from_saved=0
    local help
    help=$("$d/usr/local/bin/generate-legacy-stream" --help 2>&1 || true)
    [[ $help == *--from-saved* ]] && from_saved=1
    printf 'E2E_PV_ONLY=%s\nE2E_FROM_SAVED=%s\n' "$pv_only" "$from_saved" > "$d/e2e/settings"
    if [[ -f $here/collect-xl-configs.sh ]]; then
        mkdir -p "$work/xl-configs" "$d/e2e/xl-configs"
        bash "$here/collect-xl-configs.sh" "$work/xl-configs" "$bindir"
        cp "$work"/xl-configs/*.cfg "$d/e2e/xl-configs/" 2>/dev/null || true
    fi
    add_libs "$work/pkg" "$d"
}

boot() {
    truncate -s 1G "$work/results.img"
    local kernel
    kernel=$(compgen -G "$work/pkg/boot/vmlinuz-*" | head -n 1)
    local rc=0
    timeout "$boot_timeout" qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+svm,+npt \
        -smp 2 -m 3072 -display none -vga none -no-reboot -monitor none \
        -serial "file:$work/serial.log" \
        -kernel "$work/xen" \
        -append "console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M dom0_max_vcpus=2 loglvl=all guest_loglvl=all conring_size=4M" \
        -initrd "$kernel console=hvc0 earlyprintk=xen,$work/dom0.cpio" \
        -drive "file=$work/results.img,format=raw,if=virtio" || rc=$?
    ((rc == 0)) || echo "e2e: qemu exited with status $rc (124: timed out after $boot_timeout s)"
    mkdir -p "$work/results"
    tar -C "$work/results" -xf "$work/results.img" 2>/dev/null || true
    grep -a 'e2e:' "$work/serial.log" | sed 's/^/  serial: /' | tail -n 60 || true
}

step host-tools host_tools
step download download
step build build
step images images
step boot boot
source "$here/host-checks.sh"
step host-checks host_checks "$work/results" "$work/pkg" "$bindir"

fail=0 pass=0
res=$work/results/results.txt
[[ -s $res ]] || { echo "FAIL boot 0 no results from dom0 (serial log tail:)"; tail -n 30 "$work/serial.log"; exit 1; }
echo "e2e: scenarios (seconds as dom0 measured them)"
while read -r status name secs detail; do
    case $status in
        PASS) pass=$((pass + 1)) ;;
        FAIL) fail=$((fail + 1)) ;;
    esac
    echo "$status $name $secs $detail"
done < <(cat "$res" "$work/host-results.txt" 2>/dev/null)
echo "e2e: total $(elapsed "$t_all") s"
echo "$pass passed, $fail failed"
((fail == 0 && pass > 0))
