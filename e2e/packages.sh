# Sourced by e2e/run.sh: fetch Debian 12's Xen 4.17 and what dom0 needs, by
# package name, into a cache kept between runs. Nothing here is installed on
# the host: the packages are only unpacked (dpkg-deb -x) into a staging root.

# What dom0 and its guests run. Library dependencies are added by deps_closure.
E2E_PACKAGES=(
    xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils
    linux-image-amd64 busybox-static libgcc-s1 libstdc++6 zlib1g
    qemu-system-xen qemu-system-data seabios
)

# Every package's Depends, followed only through library packages (lib*,
# zlib1g) and the kernel metapackage's one dependency: dom0 needs the shared objects, not
# the rest of Debian (python3, udev, ...), which a busybox dom0 does without.
deps_closure() {
    local -A seen=()
    local level=("$@") next d
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
        mapfile -t level < <(apt-cache depends --no-recommends --no-suggests --no-conflicts \
                --no-breaks --no-replaces --no-enhances "${next[@]}" 2>/dev/null |
            sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<> ]*\)$/\2/p' |
            grep -E '^(lib|zlib1g$|linux-image-[0-9])' | sort -u)
    done
}

# fetch_packages CACHE: download what is missing (apt-get download), then
# print the .deb paths to use. The resolved list is kept in the cache, so a
# warm run asks apt nothing.
fetch_packages() {
    local cache=$1 list names missing=() p f
    mkdir -p "$cache"
    list="$cache/packages-$(printf '%s\n' "${E2E_PACKAGES[@]}" | md5sum | cut -c1-12).list"
    if [[ ! -s $list ]]; then
        if ! apt-cache show xen-utils-4.17 >/dev/null 2>&1; then
            apt-get -o DPkg::Lock::Timeout=600 update >&2
        fi
        deps_closure "${E2E_PACKAGES[@]}" | sort -u > "$list.tmp"
        mv "$list.tmp" "$list"
    fi
    mapfile -t names < "$list"
    for p in "${names[@]}"; do
        compgen -G "$cache/${p}_*.deb" >/dev/null || missing+=("$p")
    done
    if ((${#missing[@]})); then
        (cd "$cache" && apt-get -o DPkg::Lock::Timeout=600 download "${missing[@]}" >&2)
    fi
    for p in "${names[@]}"; do
        f=$(compgen -G "$cache/${p}_*.deb" | sort -V | tail -n 1)
        [[ -n $f ]] || { echo "e2e: no .deb for $p in $cache" >&2; return 1; }
        echo "$f"
    done
}
