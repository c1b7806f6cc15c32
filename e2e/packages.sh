# Sourced by e2e/run.sh: fetch a Debian release's Xen and what dom0 needs, by
# package name, into a cache kept between runs. Nothing here is installed on
# the host: the packages are only unpacked (dpkg-deb -x) into a staging root,
# and apt runs on a configuration of its own for each suite (suite-apt.sh).

source "$(dirname "${BASH_SOURCE[0]}")/suite-apt.sh"

# e2e_packages XEN: what dom0 and its guests run, for Xen version XEN.
# Library dependencies are added by deps_closure.
e2e_packages() {
    echo "xen-hypervisor-$1-amd64 xen-utils-$1 xen-utils-common xenstore-utils" \
        "linux-image-amd64 busybox-static libgcc-s1 libstdc++6 zlib1g" \
        "qemu-system-xen qemu-system-data seabios"
}

# deps_closure APTDIR PACKAGE...: every package's Depends, followed only
# through library packages (lib*, zlib1g) and the kernel metapackage's one
# dependency: dom0 needs the shared objects, not the rest of Debian
# (python3, udev, ...), which a busybox dom0 does without.
deps_closure() {
    local apt=$1 d
    shift
    local -A seen=()
    local level=("$@") next
    while ((${#level[@]})); do
        next=()
        for d in "${level[@]}"; do
            [[ -n ${seen[$d]:-} ]] && continue
            seen[$d]=1
            next+=("$d")
            echo "$d"
        done
        ((${#next[@]})) || break
        # One apt-cache call per level: it is slow to start.
        mapfile -t level < <(suite_apt "$apt" apt-cache depends --no-recommends --no-suggests \
                --no-conflicts --no-breaks --no-replaces --no-enhances "${next[@]}" 2>/dev/null |
            sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<> ]*\)$/\2/p' |
            grep -E '^(lib|zlib1g$|linux-image-[0-9])' | sort -u)
    done
}

# fetch_packages CACHE SUITE XEN [PACKAGE...]: download what is missing of
# SUITE's packages for Xen XEN (e2e_packages; or the PACKAGEs named, with
# their libraries), then print the .deb paths to use. The resolved list is
# kept in the cache, so a warm run asks apt nothing.
fetch_packages() {
    local root=$1 cache=$1/$2 suite=$2 xen=$3 list names missing=() p f apt
    local packages
    shift 3
    if (($#)); then packages=("$@"); else read -r -a packages <<< "$(e2e_packages "$xen")"; fi
    mkdir -p "$cache"
    apt=$(suite_apt_dir "$root" "$suite")
    list="$cache/packages-$(printf '%s\n' "${packages[@]}" | md5sum | cut -c1-12).list"
    if [[ ! -s $list ]]; then
        if ! suite_apt "$apt" apt-cache show "xen-utils-$xen" >/dev/null 2>&1; then
            suite_apt "$apt" apt-get update >&2 ||
                { echo "e2e: apt-get update for $suite failed" >&2; return 1; }
        fi
        deps_closure "$apt" "${packages[@]}" | sort -u > "$list.tmp"
        mv "$list.tmp" "$list"
    fi
    mapfile -t names < "$list"
    for p in "${names[@]}"; do
        compgen -G "$cache/${p}_*.deb" >/dev/null || missing+=("$p")
    done
    if ((${#missing[@]})); then
        # Lists older than the mirror name versions it no longer has: on a
        # failed download, the lists are fetched again, once.
        (cd "$cache" && suite_apt "$apt" apt-get download "${missing[@]}" >&2) ||
            { suite_apt "$apt" apt-get update >&2 &&
                (cd "$cache" && suite_apt "$apt" apt-get download "${missing[@]}" >&2); } ||
            { echo "e2e: apt-get download from $suite failed (bounded at 900 s): ${missing[*]}" >&2; return 1; }
    fi
    for p in "${names[@]}"; do
        f=$(compgen -G "$cache/${p}_*.deb" | sort -V | tail -n 1)
        [[ -n $f ]] || { echo "e2e: no .deb for $p in $cache" >&2; return 1; }
        echo "$f"
    done
}
