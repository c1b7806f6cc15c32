#!/usr/bin/env bash
# End-to-end test on a real Xen: Debian's Xen booted in QEMU (TCG), a busybox
# dom0 with Xen's own toolstack, PV and HVM guests saved by Xen, turned into
# legacy images, and restored through our converter every way libxl runs
# it: docs/testing.md, "End-to-end test on a real Xen". One boot per new
# host: Debian 13's Xen 4.20 runs every scenario, Debian 12's Xen 4.17 the
# short set (each guest through libxl with nothing set, and the xend image).
#
# Before them, the old hosts (Xen 4.5.5 and 4.4.4, built from
# ../shared/xen-src by e2e/oldhost/build-xen.sh) boot once each and save
# their own guests (e2e/oldhost/save-guests.sh); the first new host restores
# those images too (old-* rows).
#
#   e2e/run.sh [--host XEN]... [--old-host XEN]... [--no-old-hosts]
#              [--no-two-hosts | --two-hosts-only] [--pv-only] [--keep]
#              [--converter FILE] [--bindir DIR] [--repeat N] [--stress-hvm N]
#              [--stress-restores R] [--old-host-hvm]
#
# --host XEN       boot only these new hosts (4.20, 4.17; repeatable); the
#                  first named runs every scenario, the others the short set
# --old-host XEN   only these old hosts (4.5.5, 4.4.4; repeatable)
# --no-old-hosts   no old host: only the images the generator makes (and
#                  no two-host migration)
# --no-two-hosts   no live migration from the old host Xen 4.5.5 to the
#                  first new host, both in QEMU at once (e2e/migrate/)
# --two-hosts-only only that migration: no scenario boot, no old images
# --pv-only        PV scenarios only
# --keep           keep the work directory (dom0 tree, serial log, results)
# --converter FILE put FILE in dom0 as convert-legacy-stream instead of the
#                  build's (also E2E_CONVERTER=FILE), to see the test fail
# --bindir DIR     use the tools already built in DIR (also E2E_BINDIR)
#                  instead of running make
# --repeat N       soak: run the whole harness N times (the tools built
#                  once), print each run's result, then the failures of all
#                  runs grouped by cause; exits non-zero if any run failed
# --stress-hvm N   instead of the scenarios, create, count and save the HVM
#                  guest N times in one boot (hvm-cycle-K rows), to hunt
#                  failures of that path
# --stress-restores R  with --stress-hvm: after each save, restore Xen's own
#                  image R times (hvm-cycle-K-restore-J rows)
# --old-host-hvm   Xen 4.5.5 also saves the HVM counter guest, with QEMU 7.2
#                  built against it (e2e/oldhost/build-qemu-xen.sh: minutes
#                  cold, so opt-in); the first new host restores it (old-4.5.5-hvm1-* rows)
# Packages are cached in E2E_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-e2e); E2E_TIMEOUT bounds
# each QEMU run (seconds, default 2400). E2E_TRIPLE_FAULT=1 makes the HVM
# guest's first create triple-fault, to show the harness's create retry.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
pv_only=0 keep=0 repeat=0 stress_hvm=0 stress_restores=0 old_hvm=0 hosts=() old_hosts=() no_old=0 two_hosts=1 two_only=0
converter=${E2E_CONVERTER:-} bindir=${E2E_BINDIR:-}
cache=${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-e2e}
boot_timeout=${E2E_TIMEOUT:-2400}
while (($#)); do
    case $1 in
        --host) hosts+=("$2"); shift ;;
        --old-host) old_hosts+=("$2"); shift ;;
        --no-old-hosts) no_old=1 ;;
        --no-two-hosts) two_hosts=0 ;;
        --two-hosts-only) two_only=1 ;;
        --pv-only) pv_only=1 ;;
        --keep) keep=1 ;;
        --converter) converter=$(realpath "$2"); shift ;;
        --bindir) bindir=$(realpath "$2"); shift ;;
        --repeat) repeat=$2; shift ;;
        --stress-hvm) stress_hvm=$2; shift ;;
        --stress-restores) stress_restores=$2; shift ;;
        --old-host-hvm) old_hvm=1 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "e2e/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
((${#hosts[@]})) || hosts=(4.20 4.17)
((${#old_hosts[@]})) || old_hosts=(4.5.5 4.4.4)
((no_old == 0)) || old_hosts=() two_hosts=0
((stress_hvm == 0)) || two_hosts=0

# host_suite XEN: the Debian release that ships Xen XEN.
host_suite() {
    case $1 in
        4.17) echo bookworm ;;
        4.20) echo trixie ;;
        *) echo "e2e/run.sh: no Debian release ships Xen $1 (4.20, 4.17)" >&2; return 1 ;;
    esac
}
for h in "${hosts[@]}"; do host_suite "$h" > /dev/null || exit 2; done

source "$here/packages.sh"
source "$here/hvm-payload.sh"
source "$here/dom0-tree.sh"
source "$here/host-checks.sh"
source "$here/soak.sh"
source "$here/migrate/two-hosts.sh"

top=$(mktemp -d "${TMPDIR:-/tmp}/xen-e2e.XXXXXX")
work=$top
cleanup() {
    if ((keep)); then echo "e2e: work directory kept: $top"; else rm -rf "$top"; fi
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
    command -v xz >/dev/null || need+=(xz-utils)
    if ((${#need[@]})); then
        apt-cache show "${need[0]}" >/dev/null 2>&1 || timeout 900 apt-get -o DPkg::Lock::Timeout=600 update
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -o DPkg::Lock::Timeout=600 install -y \
            --no-install-recommends "${need[@]}"
    fi
}

download() {
    fetch_packages "$cache" "$(host_suite "$XEN_VERSION")" "$XEN_VERSION" > "$work/debs.list"
    mkdir -p "$work/pkg"
    local f
    while read -r f; do dpkg-deb -x "$f" "$work/pkg"; done < "$work/debs.list"
}

build() {
    if [[ -n $bindir ]]; then return; fi
    export PATH=/opt/swift/usr/bin:$PATH
    timeout 1800 make -C "$repo" > "$work/build.log" 2>&1 || { tail -n 20 "$work/build.log"; return 1; }
    (cd "$repo" && timeout 1800 swift build -c release --static-swift-stdlib \
        --product generate-legacy-stream) >> "$work/build.log" 2>&1 || { tail -n 20 "$work/build.log"; return 1; }
    bindir=$repo/.build/release
}

images() {
    write_hvm_payload "$work/hvm.img"
    build_guest_cpio "$work/pkg" "$work/guest.cpio" "$here/guest/init"
    build_dom0_tree
    (cd "$work/dom0" && find . | cpio -o -H newc --quiet) > "$work/dom0.cpio"
    gunzip -c "$work/pkg/boot/xen-$XEN_VERSION-amd64.gz" > "$work/xen"
}

build_dom0_tree() {
    local d=$work/dom0 kernel
    kernel=$(compgen -G "$work/pkg/boot/vmlinuz-*" | head -n 1)
    dom0_base "$work/pkg" "$d"
    install_tools "$d" "$bindir" "$converter"
    mkdir -p "$d/e2e"
    install -m 0755 "$here/dom0/init" "$d/init"
    cp "$here"/dom0/{scenarios.sh,lib.sh,common.sh,migrate-sender.sh,pv.cfg,hvm.cfg} "$d/e2e/"
    cp "$kernel" "$d/e2e/vmlinuz"
    cp "$work/guest.cpio" "$work/hvm.img" "$d/e2e/"
    local from_saved=0
    local help
    help=$("$d/usr/local/bin/generate-legacy-stream" --help 2>&1 || true)
    [[ $help == *--from-saved* ]] && from_saved=1
    # dom0 stops its scenarios 90 s before QEMU's bound, so that it still
    # writes what it has (run.sh names the scenarios that gave no row).
    printf '%s\n' "XEN_BIN=/$(xen_bin)" "E2E_SET=$scenario_set" "E2E_PV_ONLY=$pv_only" \
        "E2E_FROM_SAVED=$from_saved" "E2E_BUDGET=$((boot_timeout - 90))" \
        "E2E_STRESS_HVM=$stress_hvm" "E2E_STRESS_RESTORES=$stress_restores" \
        "E2E_TRIPLE_FAULT=${E2E_TRIPLE_FAULT:-0}" > "$d/e2e/settings"
    if [[ $scenario_set == full && -f $here/collect-xl-configs.sh ]]; then
        mkdir -p "$top/xl-configs" "$d/e2e/xl-configs"
        [[ -n $(compgen -G "$top/xl-configs/*.cfg") ]] ||
            bash "$here/collect-xl-configs.sh" "$top/xl-configs" "$bindir"
        cp "$top"/xl-configs/*.cfg "$d/e2e/xl-configs/" 2>/dev/null || true
    fi
    add_libs "$work/pkg" "$d"
}

boot() {
    truncate -s 1G "$work/results.img"
    local old_disk=()
    if [[ $scenario_set == full && -s $top/old.tar ]]; then
        old_disk=(-drive "file=$top/old.tar,format=raw,if=virtio,readonly=on")
    fi
    local kernel
    kernel=$(compgen -G "$work/pkg/boot/vmlinuz-*" | head -n 1)
    qemu_status=0
    # +rdrand: dom0's kernel seeds its RNG from RDRAND at boot, on one CPU.
    # Without it the RNG became ready ~40 s in, amid the scenarios, and the
    # kernel's live patch of that moment (an int3 over a static branch) once
    # caught the other vCPU inside the patched code under TCG: dom0 oopsed
    # on "int3" in get_random_u64 and Xen rebooted (docs/testing.md).
    timeout "$boot_timeout" qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+svm,+npt,+rdrand \
        -smp 2 -m 3072 -display none -vga none -no-reboot -monitor none \
        -serial "file:$work/serial.log" \
        -kernel "$work/xen" \
        -append "console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M dom0_max_vcpus=2 loglvl=all guest_loglvl=all conring_size=4M" \
        -initrd "$kernel console=hvc0 earlyprintk=xen,$work/dom0.cpio" \
        -drive "file=$work/results.img,format=raw,if=virtio" "${old_disk[@]}" || qemu_status=$?
    ((qemu_status == 0)) || echo "e2e: qemu exited with status $qemu_status (124: timed out after $boot_timeout s)"
    mkdir -p "$work/results"
    tar -C "$work/results" -xf "$work/results.img" 2>/dev/null || true
    grep -a 'e2e:' "$work/serial.log" | sed 's/^/  serial: /' | tail -n 60 || true
}

# old_images: each old host built (cached), booted once, its guests saved
# (cached); every image with its facts and config in one tar archive,
# top/old.tar, the first new host's second disk. A failed old host is a
# FAIL row; the other goes on.
old_images() {
    local v dir
    mkdir -p "$top/old"
    for v in "${old_hosts[@]}"; do
        dir=$top/old/$v
        if ! bash "$here/oldhost/build-xen.sh" "$v" > "$top/old-build-$v.log" 2>&1; then
            echo "FAIL old-host-build-$v 0 [old-host] e2e/oldhost/build-xen.sh $v: $(tail -n 3 "$top/old-build-$v.log" | tr '\n' ' ')" >> "$top/old-rows.txt"
            continue
        fi
        if ! OLDHOST_HVM=$old_hvm bash "$here/oldhost/save-guests.sh" "$v" "$dir" > "$top/old-save-$v.log" 2>&1; then
            echo "FAIL old-host-save-$v 0 [old-host] e2e/oldhost/save-guests.sh $v: $(tail -n 3 "$top/old-save-$v.log" | tr '\n' ' ')" >> "$top/old-rows.txt"
            continue
        fi
        sed 's/^/  /' "$top/old-save-$v.log" | tail -n 12
        local f id
        for f in "$dir"/*.facts; do
            [[ -e $f ]] || continue
            id=$v-$(basename "$f" .facts)
            cp "$f" "$top/old/$id.facts"
            cp "${f%.facts}.cfg" "$top/old/$id.cfg"
            ln -f "${f%.facts}.save" "$top/old/$id.save" 2>/dev/null || cp "${f%.facts}.save" "$top/old/$id.save"
        done
    done
    if compgen -G "$top/old/*.facts" > /dev/null; then
        (cd "$top/old" && tar -cf "$top/old.tar" -- *.facts *.cfg *.save)
    fi
}

# rows: every row of one host's boot, dom0's then the host's, with a FAIL
# row for each planned scenario that has none (dom0 died, or ran out of
# time). When dom0 wrote no results disk, its rows are taken from the
# serial console, where it printed each as it went.
rows() {
    local res=$work/results/results.txt plan name
    if [[ ! -s $res ]]; then
        tr -d '\r' < "$work/serial.log" 2>/dev/null |
            sed -n 's/^.*e2e: \(\(PLAN\|PASS\|FAIL\|INFO\) .*\)$/\1/p' > "$res" || true
        [[ -s $res ]] || echo "FAIL boot 0 [boot] dom0 printed no row (qemu status ${qemu_status:-none}; serial log tail: $(tail -n 5 "$work/serial.log" 2>/dev/null | tr -d '\r' | tr '\n' ' ' | cut -c1-300))"
    fi
    grep -v '^PLAN' "$res" || true
    plan=$(sed -n 's/^PLAN //p' "$res" | head -n 1)
    for name in $plan; do
        grep -q "^\(PASS\|FAIL\) $name " "$res" ||
            echo "FAIL $name 0 [no-result] dom0 gave no row (qemu status ${qemu_status:-none}; dom0's last line: $(grep -a 'e2e:' "$work/serial.log" | tail -n 1 | tr -d '\r' | cut -c1-200))"
    done
    cat "$work/host-results.txt" 2>/dev/null || true
}

# report [SUFFIX]: print rows read from standard input, each named
# NAME@SUFFIX when given, a FAIL row followed by dom0's diagnosis of it
# (console, device model log, xl dmesg, dom0's kernel, memory); count them.
report() {
    local status name secs detail
    while read -r status name secs detail; do
        case $status in
            PASS) pass=$((pass + 1)) ;;
            FAIL) fail=$((fail + 1)) ;;
        esac
        if [[ $detail == *"(retried:"* ]]; then retried=$((retried + 1)); fi
        echo "$status $name${1:+@$1} $secs $detail"
        if [[ $status == FAIL && -f $work/results/diag/$name.txt ]]; then
            sed 's/^/    /' "$work/results/diag/$name.txt"
        fi
        # A retried row: what its first try saw.
        if [[ $detail == *"(retried:"* && -f $work/results/diag/$name-try1.txt ]]; then
            echo "    -- the first try:"
            sed 's/^/    /' "$work/results/diag/$name-try1.txt"
        fi
    done
}

if ((repeat > 0)); then
    pass_on=()
    for h in "${hosts[@]}"; do pass_on+=(--host "$h"); done
    for h in "${old_hosts[@]}"; do pass_on+=(--old-host "$h"); done
    ((${#old_hosts[@]})) || pass_on+=(--no-old-hosts)
    ((two_hosts)) || pass_on+=(--no-two-hosts)
    ((two_only)) && pass_on+=(--two-hosts-only)
    ((pv_only)) && pass_on+=(--pv-only)
    ((keep)) && pass_on+=(--keep)
    [[ -n $converter ]] && pass_on+=(--converter "$converter")
    ((stress_hvm)) && pass_on+=(--stress-hvm "$stress_hvm" --stress-restores "$stress_restores")
    ((old_hvm)) && pass_on+=(--old-host-hvm)
    soak "$repeat" "${pass_on[@]}"
    exit
fi

step host-tools host_tools
step build build
fail=0 pass=0 retried=0
if ((two_only)); then
    # The first new host's packages and dom0, then only the two hosts.
    XEN_VERSION=${hosts[0]} scenario_set=short
    work=$top/xen-$XEN_VERSION
    mkdir -p "$work"
    step "download@$XEN_VERSION" download
    step "images@$XEN_VERSION" images
    mkdir -p "$top/two-hosts"
    step two-hosts two_hosts "$work" || echo "FAIL two-hosts 0 [harness] two_hosts exited $?" >> "$top/two-hosts/rows.txt"
    report two-hosts < "$top/two-hosts/rows.txt"
    echo "e2e: total $(elapsed "$t_all") s; $retried retried (each named in its row)"
    echo "$pass passed, $fail failed"
    ((fail == 0 && pass > 0))
    exit
fi
if ((${#old_hosts[@]})) && ((stress_hvm == 0)); then
    step old-hosts old_images
    # An old host that could not be built or could not save its guests.
    [[ ! -s $top/old-rows.txt ]] || report < "$top/old-rows.txt"
fi
scenario_set=full
for XEN_VERSION in "${hosts[@]}"; do
    work=$top/xen-$XEN_VERSION
    mkdir -p "$work"
    echo "e2e: new host Xen $XEN_VERSION (Debian $(host_suite "$XEN_VERSION")), $scenario_set set"
    # A host whose packages or dom0 cannot be made fails its row; the other
    # hosts still run. (set -e holds inside the subshell, not past it.)
    set +e
    (set -e; step "download@$XEN_VERSION" download; step "images@$XEN_VERSION" images)
    rc=$?
    set -e
    if ((rc)); then
        echo "FAIL setup@$XEN_VERSION 0 [setup] the packages or dom0 of Xen $XEN_VERSION could not be made (exit $rc; see above)"
        fail=$((fail + 1)) scenario_set=short
        continue
    fi
    step "boot@$XEN_VERSION" boot
    if [[ $scenario_set == full ]]; then
        step "host-checks@$XEN_VERSION" host_checks "$work/results" "$work/pkg" "$bindir"
        step "old-checks@$XEN_VERSION" old_checks "$top/old" "$work/pkg" "$bindir"
    fi
    echo "e2e: scenarios on Xen $XEN_VERSION (seconds as dom0 measured them)"
    report "$XEN_VERSION" < <(rows)
    scenario_set=short
done
if ((two_hosts)); then
    # The old host's live migration to the first new host, whose packages
    # and dom0 its boot above left in its work directory.
    XEN_VERSION=${hosts[0]}
    work=$top/xen-$XEN_VERSION
    if [[ -f $work/dom0.cpio ]]; then
        echo "e2e: two hosts: Xen $TWO_HOSTS_OLD sends, Xen $XEN_VERSION receives"
        mkdir -p "$top/two-hosts"
        step two-hosts two_hosts "$work" || echo "FAIL two-hosts 0 [harness] two_hosts exited $?" >> "$top/two-hosts/rows.txt"
        report two-hosts < "$top/two-hosts/rows.txt"
    else
        echo "FAIL two-hosts@$XEN_VERSION 0 [setup] no dom0 was made for Xen $XEN_VERSION (see above)"
        fail=$((fail + 1))
    fi
fi
echo "e2e: total $(elapsed "$t_all") s; $retried retried (each named in its row)"
echo "$pass passed, $fail failed"
((fail == 0 && pass > 0))
