# shellcheck shell=bash
# Sourced by e2e/run.sh: live migration from a real old host to today's
# Xen, two hosts in QEMU at once (docs/testing.md, "Two hosts").
#
#   two_hosts NEWWORK   NEWWORK: a new host's work directory, as run.sh's
#                       download and images steps left it (pkg/, dom0/,
#                       xen); works in NEWWORK/../two-hosts/, writes its
#                       rows to rows.txt there and prints the timing table
#
# The old host is Xen 4.5.5 built from ../shared/xen-src (cached by
# e2e/oldhost/build-xen.sh), booted as e2e/oldhost/qemu-host.sh boots it;
# the new host is NEWWORK's Xen with the project's package laid in, plus
# Python for Xen's own converter. There is no IP network: each dom0 has two
# virtio-serial ports, e2e.link (xl's migration stream; link.py relay joins
# the two hosts' and hangs up like ssh) and e2e.stamp (dom0's marks and the
# guest's console, which link.py stamp times on this machine's clock).
# The old host runs e2e/migrate/dom0-send.sh, the new one
# e2e/migrate/dom0-receive.sh; e2e/migrate/judge.py turns the timed lines
# into one row per migration and the timing table.
#
# TWO_HOSTS_PLAN: the migrations in order (default: three with our
# converter and three with Xen's Python converter, alternating, then the
# faults: cut, cut-rerun, kill, kill-rerun). TWO_HOSTS_TIMEOUT bounds the
# boot of both (seconds, default 1800).

TWO_HOSTS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TWO_HOSTS_OLD=4.5.5

# python_packages APTDIR: Debian's Python for dom0 (the version python3-minimal
# names), for Xen's converter, which libxl runs when LIBXL_CONVERT_HELPER
# names it.
python_packages() {
    local v try
    for try in 1 2; do
        v=$(suite_apt "$1" apt-cache depends python3-minimal 2>/dev/null |
            sed -n 's/^ *\(Pre\)\{0,1\}Depends: python\(3\.[0-9]*\)-minimal$/\2/p' | head -n 1)
        [[ -n $v || $try == 2 ]] && break
        suite_apt "$1" apt-get update >&2 || break
    done
    [[ -n $v ]] || { echo "e2e: apt names no python3.N-minimal for python3-minimal" >&2; return 1; }
    echo "python$v-minimal libpython$v-minimal libpython$v-stdlib"
}

# two_hosts_new NEWWORK DIR: the new host's dom0 tree in DIR: NEWWORK's,
# plus Python and Xen's Python modules, running dom0-receive.sh.
two_hosts_new() {
    local nw=$1 d=$2 apt suite f py
    suite=$(host_suite "$XEN_VERSION")
    apt=$(suite_apt_dir "$cache" "$suite")
    cp -a "$nw/dom0" "$d"
    # shellcheck disable=SC2046 # package names
    fetch_packages "$cache" "$suite" "$XEN_VERSION" $(python_packages "$apt") > "$d.python-debs"
    while read -r f; do dpkg-deb -x "$f" "$nw/pkg"; done < "$d.python-debs"
    py=$(cd "$nw/pkg/usr/bin" && compgen -G 'python3.[0-9]*' | grep -E '^python3\.[0-9]+$' | head -n 1)
    mkdir -p "$d/usr/bin" "$d/usr/lib"
    cp "$nw/pkg/usr/bin/$py" "$d/usr/bin/$py"
    ln -sf "$py" "$d/usr/bin/python3"
    tar -C "$nw/pkg/usr/lib" --exclude="$py/test" --exclude="$py/idlelib" --exclude="$py/tkinter" \
        --exclude="$py/ensurepip" --exclude="$py/pydoc_data" --exclude='__pycache__' \
        -cf - "$py" | tar -C "$d/usr/lib" -xf -
    # Its extension modules' libraries too: add_libs follows executables.
    chmod u+x "$d/usr/lib/$py"/lib-dynload/*.so
    cp -r "$nw/pkg/usr/lib/xen-$XEN_VERSION/lib" "$d/usr/lib/xen-$XEN_VERSION/"
    add_libs "$nw/pkg" "$d"
    cp "$TWO_HOSTS_HERE"/{dom0-receive.sh,dom0-link.sh} "$d/e2e/"
    printf '%s\n' "E2E_SCRIPT=/e2e/dom0-receive.sh" "E2E_BUDGET=$((TWO_HOSTS_TIMEOUT - 60))" >> "$d/e2e/settings"
}

# two_hosts_old DIR: the old host's work directory: its dom0 tree
# (dom0-send.sh as its run), the migrating guest's initramfs, its Xen.
two_hosts_old() {
    local w=$1 tree
    tree=$(bash "$repo/e2e/oldhost/build-xen.sh" "$TWO_HOSTS_OLD") || return 1
    oldhost_packages "${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-oldhost" "$w"
    oldhost_dom0 "$tree/root" "$w/dom0" 0
    oldhost_guest_cpio "$TWO_HOSTS_HERE/guest-init" "$w/dom0/oldhost/guest.cpio"
    cp "$TWO_HOSTS_HERE/dom0-send.sh" "$w/dom0/oldhost/run"
    cp "$repo/e2e/dom0/common.sh" "$TWO_HOSTS_HERE/dom0-link.sh" "$w/dom0/oldhost/"
    install -m 0755 "$TWO_HOSTS_HERE/link-send" "$w/dom0/oldhost/link-send"
    printf '%s\n' "VERSION=$TWO_HOSTS_OLD" "PLAN=\"$TWO_HOSTS_PLAN\"" > "$w/dom0/oldhost/settings"
    oldhost_init "$w/dom0" "$TWO_HOSTS_OLD" 0
    gunzip -c "$tree/root/boot/xen.gz" > "$w/xen"
}

# serial_ports DIR NAME: QEMU's arguments for host NAME's two ports and its
# monitor, each a Unix socket in DIR that QEMU serves; one a line.
serial_ports() {
    local d=$1 n=$2 p
    printf '%s\n' -device virtio-serial-pci,id=vs
    for p in link stamp; do
        printf '%s\n' -chardev "socket,id=$p,path=$d/$n-$p.sock,server=on,wait=off" \
            -device "virtserialport,bus=vs.0,chardev=$p,name=e2e.$p,id=$p"
    done
    printf '%s\n' -qmp "unix:$d/$n-qmp.sock,server=on,wait=off"
}

two_hosts() {
    local nw=$1 mw t0 kernel new_rc=0 old_pid new_pid relay_pid stamp_pid
    mw=$(dirname "$nw")/two-hosts
    TWO_HOSTS_PLAN=${TWO_HOSTS_PLAN:-ours-1 python-1 ours-2 python-2 ours-3 python-3 cut cut-rerun kill kill-rerun}
    TWO_HOSTS_TIMEOUT=${TWO_HOSTS_TIMEOUT:-1800}
    rm -rf "$mw"
    mkdir -p "$mw/old" "$mw/new"
    : > "$mw/rows.txt"
    OLDHOST_TAG=two-hosts
    # shellcheck source=e2e/oldhost/qemu-host.sh
    source "$repo/e2e/oldhost/qemu-host.sh"
    if ! (set -e; two_hosts_old "$mw/old") > "$mw/old-setup.log" 2>&1; then
        echo "FAIL two-hosts-setup 0 [setup] the old host $TWO_HOSTS_OLD could not be made: $(tail -n 3 "$mw/old-setup.log" | tr '\n' ' ')" >> "$mw/rows.txt"
        return
    fi
    # (Again out here: the subshell's KERNEL and OLDHOST_PKG are gone.)
    oldhost_packages "${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-oldhost" "$mw/old" >> "$mw/old-setup.log" 2>&1
    if ! (set -e; two_hosts_new "$nw" "$mw/new/dom0") > "$mw/new-setup.log" 2>&1; then
        echo "FAIL two-hosts-setup 0 [setup] the new host's dom0 could not be made: $(tail -n 3 "$mw/new-setup.log" | tr '\n' ' ')" >> "$mw/rows.txt"
        return
    fi
    (cd "$mw/new/dom0" && find . | cpio -o -H newc --quiet) > "$mw/new/dom0.cpio"
    truncate -s 1G "$mw/new/results.img"
    kernel=$(compgen -G "$nw/pkg/boot/vmlinuz-*" | head -n 1)

    t0=$(date +%s)
    # Both at once: the old host as qemu-host.sh boots it (not niced here:
    # the two hosts share the machine evenly), the new one as run.sh does.
    mapfile -t OLDHOST_QEMU_ARGS < <(serial_ports "$mw" old)
    (OLDHOST_NICE=0 oldhost_boot "$mw/old" "$mw/old/serial.log" "$TWO_HOSTS_TIMEOUT" 1
        echo "$QEMU_RC" > "$mw/old/qemu-rc") > "$mw/old/boot.log" 2>&1 &
    old_pid=$!
    # shellcheck disable=SC2046 # one argument a line
    (timeout "$TWO_HOSTS_TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+svm,+npt,+rdrand \
        -smp 2 -m 3072 -display none -vga none -no-reboot -monitor none \
        -serial "file:$mw/new/serial.log" -kernel "$nw/xen" \
        -append "console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M dom0_max_vcpus=2 loglvl=all guest_loglvl=all conring_size=4M" \
        -initrd "$kernel console=hvc0 earlyprintk=xen,$mw/new/dom0.cpio" \
        -drive "file=$mw/new/results.img,format=raw,if=virtio" \
        $(serial_ports "$mw" new | tr '\n' ' ')) > "$mw/new/boot.log" 2>&1 &
    new_pid=$!
    python3 "$TWO_HOSTS_HERE/link.py" stamp "$mw/stamps.log" old="$mw/old-stamp.sock" new="$mw/new-stamp.sock" \
        > "$mw/stamp.log" 2>&1 &
    stamp_pid=$!
    # The relay, started again whenever it dies (the cut kills it).
    (while [[ ! -e $mw/stop ]]; do
        python3 "$TWO_HOSTS_HERE/link.py" relay --sender "$mw/old-link.sock,$mw/old-qmp.sock,link" \
            --receiver "$mw/new-link.sock,$mw/new-qmp.sock,link" --cut cut:30000000 || true
        sleep 1
    done) >> "$mw/relay.log" 2>&1 &
    relay_pid=$!
    wait "$new_pid" || new_rc=$?
    wait "$old_pid" || true
    touch "$mw/stop"
    kill "$relay_pid" 2>/dev/null || true
    pkill -f "$TWO_HOSTS_HERE/link.py relay" 2>/dev/null || true
    wait "$relay_pid" 2>/dev/null || true
    kill "$stamp_pid" 2>/dev/null || true
    wait "$stamp_pid" 2>/dev/null || true
    echo "e2e: two hosts: both QEMUs done after $(($(date +%s) - t0)) s (old host's exit $(cat "$mw/old/qemu-rc" 2>/dev/null || echo '?'), new host's $new_rc; 124: timed out)" >&2
    mkdir -p "$mw/new/results"
    tar -C "$mw/new/results" -xf "$mw/new/results.img" 2>/dev/null || true
    rm -f "$mw/new/results.img" "$mw/new/dom0.cpio" "$mw/old/dom0.cpio"
    grep -h 'relay:' "$mw/relay.log" | sed 's/^/  /' >&2 || true
    # shellcheck disable=SC2086 # the plan's items
    python3 "$TWO_HOSTS_HERE/judge.py" "$mw/stamps.log" $TWO_HOSTS_PLAN > "$mw/judge.out" 2>&1 ||
        echo "FAIL two-hosts-judge 0 [judge] judge.py failed: $(tail -n 2 "$mw/judge.out" | tr '\n' ' ')" >> "$mw/rows.txt"
    grep -v '^e2e:' "$mw/judge.out" >> "$mw/rows.txt" || true
    grep '^e2e:' "$mw/judge.out" || true
}
