# shellcheck shell=bash
# Sourced by packaging/test-deb.sh: a Debian root made with debootstrap, to
# test the package on a Debian release other than the host's, in a chroot.
#
#   debian_root_make RELEASE DIR PACKAGES...   DIR: a fresh root of RELEASE
#                                              (12, 13) with PACKAGES in it
#   debian_root_mount DIR                      /proc, /sys, /dev, /dev/pts
#   debian_root_unmount DIR                    every mount under DIR
#   debian_root_run DIR SECONDS COMMAND...     COMMAND in the chroot, bounded
#
# The root is debootstrapped once (variant minbase, from the Debian mirror
# the host's apt uses, which is read, never changed) with an apt
# configuration of its own, the packages installed, and kept as a tarball
# keyed by the release, suite, mirror, architecture and package list:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-debNN/SUITE-ARCH-KEY.tar.zst
# Later runs unpack the tarball. The packages' .deb files stay in the
# root's /var/cache/apt/archives, so a test can reinstall them offline.
# Needs root, debootstrap and zstd (installed if missing, by the caller).

# Bumped when what goes into the root changes, so that old tarballs are not used.
debian_root_recipe=1

debian_suite() {
    case "$1" in
    12) echo bookworm ;;
    13) echo trixie ;;
    *) return 1 ;;
    esac
}

# The host's Debian mirror: the URI of the apt source whose suites include
# the host's codename, or (with "security") its CODENAME-security.
host_debian_mirror() {
    local codename want
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    want=$codename
    [ "${1:-}" != security ] || want=$codename-security
    # Only the files apt reads: sources.list, *.list and *.sources.
    local files=()
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    [ ${#files[@]} -gt 0 ] || return 1
    awk -v want="$want" '
        function flush() {
            if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ") && uri != "" && found == "")
                found = uri
            types = ""; suites = ""; uri = ""
        }
        FNR == 1 { flush() }
        /^[ \t]*#/ { next }
        # One-line format: deb [options] URI SUITE COMPONENTS...
        FILENAME !~ /\.sources$/ && $1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i + 1) == want && found == "") found = $i
            next
        }
        # deb822: blocks of "Field: value" lines, separated by empty lines.
        FILENAME ~ /\.sources$/ && /^[ \t]*$/ { flush(); next }
        FILENAME ~ /\.sources$/ && tolower($1) == "types:" { types = $0; sub(/^[^:]*:[ \t]*/, "", types) }
        FILENAME ~ /\.sources$/ && tolower($1) == "uris:" { uri = $2 }
        FILENAME ~ /\.sources$/ && tolower($1) == "suites:" { suites = $0; sub(/^[^:]*:[ \t]*/, "", suites) }
        END { flush(); if (found == "") exit 1; sub(/\/$/, "", found); print found }
    ' "${files[@]}"
}

# Unmounts everything mounted under DIR, innermost first.
debian_root_unmount() {
    local dir
    dir=$(realpath -m "$1")
    local mounts
    mounts=$(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    for m in $mounts; do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    ! awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo
}

debian_root_mount() {
    local dir=$1
    mount -t proc proc "$dir/proc"
    mount -t sysfs sysfs "$dir/sys"
    mount --bind /dev "$dir/dev"
    mount --bind /dev/pts "$dir/dev/pts"
}

# Removes a root directory, after making sure nothing is mounted in it.
debian_root_remove() {
    [ -e "$1" ] || return 0
    debian_root_unmount "$1" || { echo "debian-root: $1 still has mounts" >&2; return 1; }
    rm -rf --one-file-system "$1"
}

# Runs COMMAND, killed after SECONDS, and passes an interrupt on to it:
# timeout puts COMMAND in a process group of its own, which a terminal's ^C
# does not reach, and the shell would run its traps (the unmounting) only
# once COMMAND ended. Interrupted, it returns 130 when COMMAND has ended.
debian_root_bounded() {
    local seconds=$1 pid status=0 interrupted="" saved
    shift
    saved=$(trap -p INT TERM)
    timeout --kill-after=30 "$seconds" "$@" &
    pid=$!
    trap 'interrupted=1; kill -TERM "$pid" 2>/dev/null || true' INT TERM
    wait "$pid" || status=$?
    # A trapped signal ends the wait early: wait for COMMAND itself.
    while kill -0 "$pid" 2>/dev/null; do wait "$pid" || status=$?; done
    trap - INT TERM
    eval "$saved"
    [ -z "$interrupted" ] || return 130
    return $status
}

# Runs COMMAND in the chroot (mounted by the caller) with a clean environment,
# killed after SECONDS.
debian_root_run() {
    local dir=$1 seconds=$2
    shift 2
    debian_root_bounded "$seconds" chroot "$dir" /usr/bin/env -i \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 TERM=dumb \
        DEBIAN_FRONTEND=noninteractive "$@"
}

debian_root_make() {
    local release=$1 dir=$2
    shift 2
    local packages="$*"
    local suite mirror security arch key cache tarball
    suite=$(debian_suite "$release") || { echo "debian-root: no suite known for Debian $release" >&2; return 1; }
    mirror=$(host_debian_mirror) || { echo "debian-root: no Debian mirror in /etc/apt/sources.list*" >&2; return 1; }
    security=$(host_debian_mirror security || true)
    arch=$(dpkg --print-architecture)
    key=$(printf '%s\n' "recipe=$debian_root_recipe" "suite=$suite" "mirror=$mirror" \
        "security=$security" "arch=$arch" "packages=$packages" | sha256sum | cut -c1-16)
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/xen-legacy-stream-deb$release
    tarball=$cache/$suite-$arch-$key.tar.zst

    debian_root_remove "$dir"
    mkdir -p "$dir"
    if [ -f "$tarball" ]; then
        echo "debian-root: Debian $release ($suite) from $tarball"
        timeout 600 tar -C "$dir" --zstd --numeric-owner -xpf "$tarball"
        return
    fi

    echo "debian-root: debootstrap $suite from $mirror (not cached: $tarball)"
    local log=$dir.log
    debian_root_bounded 1800 debootstrap --variant=minbase --arch="$arch" \
        --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        "$suite" "$dir" "$mirror" >"$log" 2>&1 ||
        { tail -20 "$log"; debian_root_unmount "$dir"; echo "debian-root: debootstrap failed" >&2; return 1; }
    # The root's own apt configuration: the same mirror, this release's suites.
    rm -f "$dir/etc/apt/sources.list"
    {
        printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$mirror" "$suite" "$suite"
        printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        if [ -n "$security" ]; then
            printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security" "$suite"
            printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        fi
    } >"$dir/etc/apt/sources.list.d/debian.sources"
    printf 'APT::Install-Recommends "false";\nDPkg::Lock::Timeout "600";\n' >"$dir/etc/apt/apt.conf.d/90xen-legacy-stream-test"
    # No service starts in the chroot.
    printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
    chmod 0755 "$dir/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true

    debian_root_mount "$dir"
    local status=0
    {
        debian_root_run "$dir" 600 apt-get -q update &&
            debian_root_run "$dir" 1800 apt-get -q -y install $packages
    } >>"$log" 2>&1 || status=$?
    debian_root_unmount "$dir"
    [ $status = 0 ] || { tail -20 "$log"; echo "debian-root: apt-get in the $suite root failed" >&2; return 1; }
    # Keep the requested packages' .deb files only.
    local keep=()
    for p in $packages; do keep+=(! -name "${p}_*.deb"); done
    find "$dir/var/cache/apt/archives" -maxdepth 1 -name '*.deb' "${keep[@]}" -delete

    mkdir -p "$cache"
    # Written aside and renamed, so that a run in parallel never reads half of it.
    timeout 900 tar -C "$dir" --zstd --numeric-owner -cpf "$tarball.$$.tmp" . && mv "$tarball.$$.tmp" "$tarball"
    echo "debian-root: cached as $tarball ($(du -h "$tarball" | cut -f1))"
}
