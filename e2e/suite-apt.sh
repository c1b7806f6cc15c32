# Sourced by e2e/packages.sh: apt for a Debian suite other than the host's,
# with a configuration of its own (sources, lists and archives under the
# cache), so that the host's sources are never changed. The mirrors are the
# ones the host's own sources name.

# The host's mirrors, as the package's test reads them (host_debian_mirror).
source "$(dirname "${BASH_SOURCE[0]}")/../packaging/debian-root.sh"

# suite_apt_dir CACHE SUITE: make (once) and print the directory holding
# SUITE's apt configuration: sources for SUITE, SUITE-updates and its
# security suite, with lists and archives of its own.
suite_apt_dir() {
    local dir=$1/apt-$2 mirror security
    mirror=$(host_debian_mirror) || mirror=http://deb.debian.org/debian
    security=$(host_debian_mirror security) || security=${mirror%/debian}/debian-security
    mkdir -p "$dir"/{lists/partial,archives/partial,sources.list.d,preferences.d}
    cat > "$dir/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $2 main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $2-updates main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $security $2-security main
EOF
    touch "$dir/status"
    echo "$dir"
}

# suite_apt DIR COMMAND ARGS...: apt-get or apt-cache on DIR's configuration
# only (nothing of the host's sources, lists or dpkg state), bounded.
suite_apt() {
    local dir=$1 cmd=$2
    shift 2
    timeout 900 "$cmd" -o Dir::Etc::SourceList="$dir/sources.list" \
        -o Dir::Etc::SourceParts="$dir/sources.list.d" \
        -o Dir::Etc::Preferences="$dir/preferences" \
        -o Dir::Etc::PreferencesParts="$dir/preferences.d" \
        -o Dir::State::Lists="$dir/lists" \
        -o Dir::State::Status="$dir/status" \
        -o Dir::Cache="$dir" -o Dir::Cache::Archives="$dir/archives" \
        -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache="" \
        -o APT::Architecture=amd64 -o APT::Architectures::=amd64 \
        -o DPkg::Lock::Timeout=600 "$@"
}
