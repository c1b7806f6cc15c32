#!/usr/bin/env bash
# Tests the Debian package, as root (CI runs it from .ci/run):
#
#   bash packaging/test-deb.sh               on this machine (Debian 12)
#   bash packaging/test-deb.sh --debian 13   in a Debian 13 chroot
#
# It builds the package with `make deb`, then, on this machine or in a root
# made with debootstrap (packaging/debian-root.sh; cached, so only the first
# run downloads it), runs the same checks: lintian of that Debian (no E:
# tags), the package installed beside the release's Xen (xen-utils-4.17 on
# Debian 12, xen-utils-4.20 on Debian 13) in both orders, and the
# diversions, the links, the version, the man pages, the completions and a
# conversion through the path libxl runs, the way libxl runs it. The orders
# tried: Xen first, then the package; the package again over itself; Xen
# upgraded (reinstalled) under it; Xen removed before it, then the package
# purged; the package first, then Xen; packaging/stage-root.sh on an
# unpacked Xen; the package removed and purged first, after which Xen's
# files must be back exactly as they were (dpkg --verify) and no diversion
# left; finally, as for a Xen newer than the package, a package built
# without that Xen's version, replaced by one built with it, and back.
#
# On this machine it installs what it needs with apt-get and leaves the
# release's xen-utils installed. Run it again and it starts from a clean
# state (a package left by an interrupted run is purged first). Exits
# non-zero on the first failure. (--in-root DEB [--unaware DEB2] is how it
# runs itself in the chroot: the checks alone, on packages built outside.)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
package=xen-legacy-stream
libexec=/usr/libexec/$package
tools="convert-legacy-stream verify-stream-v2"
example=$root/examples/synthetic-hvm64-xl.save
# The example's conversion with -x -f libxl, as Xen's converter wrote it.
expected=$root/Tests/Fixtures/conformance/convert/hvm64-libxl-toolstack-xl/expected.out
started=$(date +%s)

fail() {
    echo "test-deb: FAIL: $*" >&2
    exit 1
}
step() { echo "== $*"; }
usage() { fail "usage: test-deb.sh [--debian 12|13]"; }
# Every step has a time limit. --foreground keeps the step in this shell's
# process group, so that an interrupt, or the limit of the chroot's run
# around this script, reaches it too.
bounded() { timeout --foreground --kill-after=30 "$@"; }
apt_get() {
    DEBIAN_FRONTEND=noninteractive bounded 1800 apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
# dpkg --verify exits 0 even when it lists missing or changed files.
verified() { [ -z "$(dpkg --verify "$1" 2>&1)" ]; }
this_release() { (. /etc/os-release && echo "${VERSION_ID:-}"); }
# The Xen each Debian release ships (libxl's helpers in /usr/lib/xen-X.Y/bin).
xen_version_of() {
    case "$1" in
    12) echo 4.17 ;;
    13) echo 4.20 ;;
    *) return 1 ;;
    esac
}
# What the checks need on the system under test.
test_packages() { echo "xen-utils-$(xen_version_of "$1") lintian man-db bash-completion"; }
ensure_packages() {
    local missing=()
    for p in "$@"; do
        installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    step "installing ${missing[*]}"
    # apt's lists first, if they lack one of them (a fresh machine or root).
    local candidates
    candidates=$(apt-cache policy "${missing[@]}" 2>/dev/null | grep -c 'Candidate: [0-9]' || true)
    [ "$candidates" = ${#missing[@]} ] || apt_get update >/dev/null
    apt_get install --no-install-recommends "${missing[@]}" >"$work/apt.log" 2>&1 ||
        { apt_get update >/dev/null && apt_get install --no-install-recommends "${missing[@]}" >"$work/apt.log" 2>&1; } ||
        { tail -20 "$work/apt.log"; fail "apt-get install ${missing[*]}"; }
}

# Builds the package (on the host, with Swift) and, as a package built before
# RELEASE's Xen was known would be, one without that Xen's version in
# XEN_VERSIONS; sets deb, upstream and unaware_deb (empty if the package
# replaces no other Xen).
build_deb() {
    local target
    target=$(xen_version_of "$1")
    export PATH="/opt/swift/usr/bin:$PATH"
    step "make deb"
    make -s --no-print-directory -C "$root" deb >"$work/make.log" 2>&1 || { tail -30 "$work/make.log"; fail "make deb"; }
    deb=$(tail -n 1 "$work/make.log")
    [ -f "$deb" ] || fail "make deb printed no package ($deb)"
    echo "$deb"
    local version
    version=$(dpkg-deb -f "$deb" Version)
    upstream=$(make -s --no-print-directory -C "$root" version)
    [ "${version%-*}" = "$upstream" ] || fail "package version $version, program version $upstream"
    [ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture"
    dpkg-deb -f "$deb" Depends | grep -q 'libc6 (>= ' || fail "Depends has no versioned libc6: $(dpkg-deb -f "$deb" Depends)"
    local others
    others=$(dpkg-deb -c "$deb" | sed -n 's|^l.* \./usr/lib/xen-\([^/]*\)/bin/convert-legacy-stream -> .*|\1|p' |
        grep -vx "$target" | paste -sd ' ' || true)
    unaware_deb=""
    [ -n "$others" ] || return 0
    step "build-deb.sh with XEN_VERSIONS=\"$others\" (a package that does not know Xen $target)"
    # From the release build make deb just used.
    DEB_DIR=$work/unaware XEN_VERSIONS=$others bash "$here/build-deb.sh" >"$work/make.log" 2>&1 ||
        { tail -30 "$work/make.log"; fail "build-deb.sh XEN_VERSIONS=$others"; }
    unaware_deb=$(tail -n 1 "$work/make.log")
    [ -f "$unaware_deb" ] || fail "build-deb.sh printed no package ($unaware_deb)"
}

# The checks, on the running system (this machine, or the chroot).
test_here() {
    local release xen_version
    release=$(this_release)
    xen_version=$(xen_version_of "$release") || fail "Debian ${release:-?}: no Xen version known for it"
    xen=xen-utils-$xen_version
    xen_bin=/usr/lib/xen-$xen_version/bin
    echo "Debian $release ($(dpkg --print-architecture)), $xen, package $(basename "$deb")"
    local needed
    read -ra needed <<<"$(test_packages "$release")"
    ensure_packages "${needed[@]}"

    # libxl's paths that the package takes over: its links under /usr/lib/xen-*/bin.
    mapfile -t libxl_paths < <(dpkg-deb -c "$deb" | sed -n 's|^l.* \./\(usr/lib/xen-[^/]*/bin/[^/ ]*\) -> .*|/\1|p')
    for tool in $tools; do
        printf '%s\n' "${libxl_paths[@]}" | grep -qx "$xen_bin/$tool" || fail "the package does not replace $xen_bin/$tool"
    done

    # A run that stopped half-way may have left the package behind.
    if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -qv 'not-installed'; then
        step "purging the $package left by an earlier run"
        bounded 600 dpkg --purge "$package" >/dev/null
    fi
    ! dpkg-divert --list | grep -q " by $package\$" || fail "diversions by $package left: $(dpkg-divert --list | grep " by $package")"

    # Xen's package itself, for the reinstalls: from apt's cache (the chroot
    # keeps it) or downloaded. The installed version may have left the
    # archive: then upgrade to the one it has.
    get_xen_deb() {
        local v
        v=$(dpkg-query -W -f='${Version}' "$xen")
        rm -f "$work/${xen}"_*.deb
        cp /var/cache/apt/archives/"${xen}_${v//:/%3a}"_*.deb "$work/" 2>/dev/null ||
            (cd "$work" && bounded 600 apt-get download -q "$xen=$v" >/dev/null 2>&1)
    }
    if ! get_xen_deb; then
        step "upgrading $xen: the installed version cannot be downloaded"
        apt_get update >/dev/null
        apt_get install --only-upgrade --no-install-recommends "$xen" >/dev/null
        get_xen_deb || fail "apt-get download $xen"
    fi
    xen_deb=$(ls "$work"/"${xen}"_*.deb)

    # Xen's files as dpkg installed them; repaired if an earlier run broke them
    # (with no diversion left, a NAME.xen-python is a stray copy that would stop
    # preinst, which never overwrites one).
    for tool in $tools; do
        if [ -e "$xen_bin/$tool.xen-python" ]; then
            step "removing a stray $xen_bin/$tool.xen-python"
            rm -f "$xen_bin/$tool.xen-python"
        fi
    done
    if ! verified "$xen"; then
        step "reinstalling $xen, whose files differ from its md5sums"
        bounded 600 dpkg -i "$xen_deb" >"$work/xen.log" 2>&1 || { cat "$work/xen.log"; fail "dpkg -i $xen_deb"; }
        verified "$xen" || fail "$xen's files differ from its md5sums: $(dpkg --verify "$xen")"
    fi
    for tool in $tools; do
        [ -f "$xen_bin/$tool" ] && [ ! -L "$xen_bin/$tool" ] || fail "$xen_bin/$tool is not Xen's file"
    done
    (cd "$xen_bin" && sha256sum $tools) >"$work/xen.sha256"
    # The libxl directories there were before the package, which must be all
    # there is after it (the package makes the others: /usr/lib/xen-4.20 on
    # Debian 12).
    ls -d /usr/lib/xen-* 2>/dev/null >"$work/xen-dirs" || true

    step "lintian $(dpkg-query -W -f='${Version}' lintian)"
    bounded 900 lintian --display-info "$deb" 2>&1 | grep -v 'running with root privileges' | tee "$work/lintian.txt" || true
    ! grep -q '^E: ' "$work/lintian.txt" || fail "lintian reports errors"

    step "dpkg-divert --list, before $package"
    dpkg-divert --list | sort

    step "apt-get install $(basename "$deb"), with $xen installed"
    apt_get install "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install"; }
    step "dpkg-divert --list, with $package"
    dpkg-divert --list | sort
    check_installed

    step "dpkg -i again: an upgrade over itself"
    bounded 600 dpkg -i "$deb" >/dev/null
    check_installed

    step "$xen upgraded under the package (dpkg -i of its .deb)"
    bounded 600 dpkg -i "$xen_deb" >"$work/xen.log" 2>&1 || { cat "$work/xen.log"; fail "dpkg -i $xen_deb"; }
    check_installed

    step "$xen removed before the package, then the package purged"
    bounded 600 dpkg -r "$xen" >"$work/xen.log" 2>&1 || { cat "$work/xen.log"; fail "dpkg -r $xen"; }
    for tool in $tools; do
        [ ! -e "$xen_bin/$tool.xen-python" ] || fail "$xen_bin/$tool.xen-python outlived $xen"
    done
    check_installed without-xen
    apt_get purge "$package" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "apt-get purge"; }
    check_gone without-xen

    step "the package first, then $xen"
    apt_get install "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install"; }
    check_installed without-xen
    bounded 600 dpkg -i "$xen_deb" >"$work/xen.log" 2>&1 || { cat "$work/xen.log"; fail "dpkg -i $xen_deb"; }
    check_installed

    step "stage-root.sh on an unpacked $xen (twice)"
    local dom0=$work/dom0
    rm -rf "$dom0"
    mkdir -p "$dom0"
    dpkg-deb -x "$xen_deb" "$dom0"
    bash "$here/stage-root.sh" "$deb" "$dom0" >/dev/null
    bash "$here/stage-root.sh" "$deb" "$dom0" >/dev/null
    for tool in $tools; do
        [ "$(readlink -f "$dom0$xen_bin/$tool")" = "$dom0$libexec/convert-legacy-stream" ] ||
            fail "staged $xen_bin/$tool leads to $(readlink -f "$dom0$xen_bin/$tool")"
        [ "$("$dom0$xen_bin/$tool" --version)" = "$tool $upstream" ] || fail "staged $tool --version"
    done
    (cd "$dom0$xen_bin" && sed 's/$/.xen-python/' "$work/xen.sha256" | sha256sum -c --quiet) ||
        fail "stage-root did not keep Xen's files as NAME.xen-python"
    # A Xen the package does not know is refused, not left to Xen's converter.
    mkdir -p "$dom0/usr/lib/xen-9.99/bin"
    touch "$dom0/usr/lib/xen-9.99/bin/convert-legacy-stream"
    ! bash "$here/stage-root.sh" "$deb" "$dom0" >/dev/null 2>&1 || fail "stage-root.sh accepted a Xen 9.99 it does not replace"
    rm -rf "$dom0"

    step "apt-get remove $package"
    apt_get remove "$package" >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "apt-get remove"; }
    check_gone

    step "apt-get purge $package"
    apt_get purge "$package" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "apt-get purge"; }
    case "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" in
    "" | *not-installed) ;;
    *) fail "$package not purged: $(dpkg-query -W -f='${Status}' "$package")" ;;
    esac
    check_gone
    step "dpkg-divert --list, after $package is purged"
    dpkg-divert --list | sort

    # As when Debian ships a Xen after the package was built (docs/installing.md,
    # "A later Xen"): the package leaves that Xen alone; the remedy, a package
    # built for it installed over it, diverts Xen's installed files; and a
    # package built for fewer versions gives them back.
    [ -n "$unaware_deb" ] || return 0
    step "a package built without Xen $xen_version, then one built with it (apt-get install --reinstall), then back"
    apt_get install "$unaware_deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install $unaware_deb"; }
    check_xen_alone
    apt_get install --reinstall "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install --reinstall $deb"; }
    check_installed
    apt_get install --reinstall "$unaware_deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install --reinstall $unaware_deb"; }
    check_xen_alone
    apt_get purge "$package" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "apt-get purge"; }
    check_gone
}

# With a package installed that does not replace this Xen: Xen's own files
# where libxl runs them, not diverted, and the program still installed.
check_xen_alone() {
    for tool in $tools; do
        [ -z "$(dpkg-divert --listpackage "$xen_bin/$tool")" ] || fail "$xen_bin/$tool is diverted"
        [ -f "$xen_bin/$tool" ] && [ ! -L "$xen_bin/$tool" ] || fail "$xen_bin/$tool is not Xen's file"
        [ ! -e "$xen_bin/$tool.xen-python" ] || fail "$xen_bin/$tool.xen-python is there"
        [ "$("/usr/bin/$tool" --version)" = "$tool $upstream" ] || fail "/usr/bin/$tool --version"
    done
    (cd "$xen_bin" && sha256sum -c --quiet "$work/xen.sha256") || fail "Xen's files are not as they were"
    verified "$xen" || fail "$xen's files differ from its md5sums: $(dpkg --verify "$xen")"
}

# Everything that must hold while the package is installed.
check_installed() {
    local path tool out
    for path in "${libxl_paths[@]}"; do
        dpkg-divert --list "$path" | grep -qx "diversion of $path to $path.xen-python by $package" ||
            fail "no diversion of $path: $(dpkg-divert --list "$path")"
        [ "$(readlink -f "$path")" = "$libexec/convert-legacy-stream" ] ||
            fail "$path leads to $(readlink -f "$path")"
        tool=$(basename "$path")
        [ "$("$path" --version)" = "$tool $upstream" ] || fail "$path --version: $("$path" --version)"
    done
    for tool in $tools; do
        [ "$(readlink -f "/usr/bin/$tool")" = "$libexec/convert-legacy-stream" ] ||
            fail "/usr/bin/$tool leads to $(readlink -f "/usr/bin/$tool")"
        [ "$("/usr/bin/$tool" --version)" = "$tool $upstream" ] || fail "/usr/bin/$tool --version"
        out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -P cat "$tool" 2>"$work/man.err") || fail "man $tool: $(cat "$work/man.err")"
        [ ! -s "$work/man.err" ] || fail "man $tool warns: $(cat "$work/man.err")"
        grep -q "^NAME" <<<"$out" && grep -q "$package $upstream" <<<"$out" ||
            fail "man $tool shows no NAME or version"
        # The completions: bash's completes --width's values; zsh's and fish's are there.
        for file in /usr/share/bash-completion/completions/$tool /usr/share/zsh/vendor-completions/_$tool \
            /usr/share/fish/vendor_completions.d/$tool.fish; do
            [ "$(dpkg -S "$file" 2>/dev/null)" = "$package: $file" ] || fail "$file is not the package's"
        done
        out=$(bash -c '. "$1" && f=$(complete -p "$2" | sed -n "s/.* -F \([^ ]*\) .*/\1/p") &&
            COMP_WORDS=("$2" --width "") COMP_CWORD=2 && "$f" && echo "${COMPREPLY[*]}"' \
            - "/usr/share/bash-completion/completions/$tool" "$tool") || fail "bash completion for $tool"
        [ "$tool" = verify-stream-v2 ] || [ "$out" = "32 64 auto" ] || fail "bash completes $tool --width with '$out'"
    done
    if [ "${1:-}" != without-xen ]; then
        # Xen's files, kept under the diverted names, unchanged; dpkg agrees.
        (cd "$xen_bin" && sed 's/$/.xen-python/' "$work/xen.sha256" | sha256sum -c --quiet) ||
            fail "Xen's diverted files changed"
        verified "$xen" || fail "$xen's files differ from its md5sums: $(dpkg --verify "$xen")"
    fi
    # As libxl converts during `xl restore`: xl has read the xl header from
    # the file, and the helper inherits that descriptor, at the stream's
    # start, and the write end of a pipe that libxl reads.
    local header=$((48 + $(od -An -t u4 -j 44 -N 4 "$example" | tr -d ' ')))
    rm -f "$work/converted"
    {
        dd bs="$header" count=1 status=none >/dev/null <&5
        bounded 120 "$xen_bin/convert-legacy-stream" --in 5 --out 6 --width 64 --guest hvm --format libxl 6>&1 >/dev/null
    } 5<"$example" | cat >"$work/converted" || fail "$xen_bin/convert-legacy-stream failed"
    cmp "$work/converted" <(tail -c +$((header + 1)) "$expected") ||
        fail "the conversion differs from Xen's converter's"
    bounded 120 "$xen_bin/verify-stream-v2" -f libxl -q -i "$work/converted" || fail "$xen_bin/verify-stream-v2 rejects the conversion"
}

# Everything that must hold once the package is gone.
check_gone() {
    ! dpkg-divert --list | grep -q " by $package\$" || fail "diversions left: $(dpkg-divert --list | grep " by $package")"
    local path
    for path in "${libxl_paths[@]}"; do
        [ ! -e "$path.xen-python" ] && [ ! -L "$path.xen-python" ] || fail "$path.xen-python is left"
        if [ "${1:-}" != without-xen ] && [ "${path%/*}" = "$xen_bin" ]; then
            [ -f "$path" ] && [ ! -L "$path" ] || fail "$path is not back"
        else
            [ ! -e "$path" ] && [ ! -L "$path" ] || fail "$path is left"
        fi
    done
    for tool in $tools; do
        [ ! -e "/usr/bin/$tool" ] && [ ! -L "/usr/bin/$tool" ] || fail "/usr/bin/$tool is left"
    done
    [ ! -e "$libexec" ] || fail "$libexec is left"
    # No libxl directory of the package's own is left behind.
    local dir
    for dir in /usr/lib/xen-*; do
        [ -e "$dir" ] || continue
        grep -qx "$dir" "$work/xen-dirs" || dpkg -S "$dir" >/dev/null 2>&1 || fail "$dir is left"
    done
    if [ "${1:-}" != without-xen ]; then
        (cd "$xen_bin" && sha256sum -c --quiet "$work/xen.sha256") || fail "Xen's files are not as they were"
        verified "$xen" || fail "$xen's files differ from its md5sums: $(dpkg --verify "$xen")"
    fi
}

# The checks in a Debian RELEASE root (packaging/debian-root.sh), on a
# package built here.
test_in_chroot() {
    local release=$1
    . "$here/debian-root.sh"
    ensure_packages debootstrap zstd debian-archive-keyring dpkg-dev binutils make
    build_deb "$release"
    chroot_dir=$work/debian$release
    trap 'debian_root_unmount "$chroot_dir" || echo "test-deb: $chroot_dir: could not unmount" >&2' EXIT
    trap 'exit 130' INT TERM
    step "a Debian $release root"
    local t0=$SECONDS
    local needed
    read -ra needed <<<"$(test_packages "$release")"
    debian_root_make "$release" "$chroot_dir" "${needed[@]}" || fail "no Debian $release root"
    echo "ready in $((SECONDS - t0)) s"
    # The checks and what they read, laid out as in the source tree.
    local inside=/xls-test
    mkdir -p "$chroot_dir$inside/packaging" "$chroot_dir$inside/examples" \
        "$chroot_dir$inside/$(dirname "${expected#"$root"/}")"
    cp "$here/test-deb.sh" "$here/stage-root.sh" "$chroot_dir$inside/packaging/"
    cp "$example" "$chroot_dir$inside/examples/"
    cp "$expected" "$chroot_dir$inside/${expected#"$root"/}"
    cp "$deb" "$chroot_dir$inside/"
    local args=(--in-root "$inside/$(basename "$deb")")
    if [ -n "$unaware_deb" ]; then
        mkdir -p "$chroot_dir$inside/unaware"
        cp "$unaware_deb" "$chroot_dir$inside/unaware/"
        args+=(--unaware "$inside/unaware/$(basename "$unaware_deb")")
    fi
    debian_root_mount "$chroot_dir"
    local status=0
    debian_root_run "$chroot_dir" 1800 bash "$inside/packaging/test-deb.sh" "${args[@]}" || status=$?
    [ $status != 130 ] || fail "interrupted"
    [ $status = 0 ] || fail "in the Debian $release root (kept in $chroot_dir)"
    debian_root_unmount "$chroot_dir"
    debian_root_remove "$chroot_dir"
}

release=""
in_root=""
unaware_deb=""
while [ $# -gt 0 ]; do
    case "$1" in
    --debian)
        [ $# -ge 2 ] || usage
        release=$2
        shift 2
        ;;
    --in-root)
        [ $# -ge 2 ] || usage
        in_root=$2
        shift 2
        ;;
    --unaware)
        [ $# -ge 2 ] || usage
        unaware_deb=$2
        shift 2
        ;;
    *) usage ;;
    esac
done
[ "$(id -u)" = 0 ] || fail "run as root: it installs packages"
host_release=$(this_release)
[ -n "$release" ] || release=$host_release
xen_version_of "$release" >/dev/null || fail "Debian $release: not one the package is tested on (12, 13)"

work=$root/.build/deb/test
[ -z "$in_root" ] || work=$root/.build/deb/test-in-root
mkdir -p "$work"
find "$work" -mindepth 1 -maxdepth 1 ! -name 'debian[0-9]*' -exec rm -rf {} +

if [ -n "$in_root" ]; then
    deb=$in_root
    upstream=$(dpkg-deb -f "$deb" Version)
    upstream=${upstream%-*}
    test_here
elif [ "$release" = "$host_release" ]; then
    ensure_packages dpkg-dev binutils make
    build_deb "$release"
    test_here
else
    test_in_chroot "$release"
fi
echo "test-deb: all checks passed on Debian $release${in_root:+ (in its root)} in $(($(date +%s) - started)) s"
