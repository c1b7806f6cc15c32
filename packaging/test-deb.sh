#!/usr/bin/env bash
# Tests the Debian package on this machine, as root (CI runs it from
# .ci/run): installs xen-utils-4.17 and the tools the test needs, builds the
# package with `make deb`, runs lintian, installs the package beside Xen,
# and checks the diversions, the links, the version, the man pages and a
# conversion through the path libxl runs, the way libxl runs it. Then: the
# package installed again over itself (an upgrade), Xen removed and
# installed again under the package, packaging/stage-root.sh on an unpacked
# xen-utils-4.17, and finally remove and purge, after which Xen's files must
# be back exactly as they were and no diversion left.
#
# It changes the machine: it installs packages with apt-get and leaves
# xen-utils-4.17 installed. Run it again and it starts from a clean state
# (a package left by an interrupted run is purged first). Exits non-zero on
# the first failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
package=xen-legacy-stream
xen=xen-utils-4.17
xen_bin=/usr/lib/xen-4.17/bin
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
apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
# dpkg --verify exits 0 even when it lists missing or changed files.
verified() { [ -z "$(dpkg --verify "$1" 2>&1)" ]; }

[ "$(id -u)" = 0 ] || fail "run as root: it installs packages"
export PATH="/opt/swift/usr/bin:$PATH"

work=$root/.build/deb/test
rm -rf "$work"
mkdir -p "$work"

step "packages: $xen, lintian, dpkg-dev, man-db"
missing=()
for p in "$xen" lintian dpkg-dev man-db binutils make; do
    installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-cache policy "$xen" | grep -q 'Candidate: [0-9]' || apt_get update >/dev/null
    apt_get install --no-install-recommends "${missing[@]}" >"$work/apt.log" 2>&1 ||
        { tail -20 "$work/apt.log"; fail "apt-get install ${missing[*]}"; }
fi

# A run that stopped half-way may have left the package behind.
if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -qv 'not-installed'; then
    step "purging the $package left by an earlier run"
    dpkg --purge "$package" >/dev/null
fi
! dpkg-divert --list | grep -q " by $package\$" || fail "diversions by $package left: $(dpkg-divert --list | grep " by $package")"

# Xen's package itself, for the re-install under ours and for stage-root.
# The installed version may have left the archive: then upgrade to the one
# it has.
download_xen() {
    (cd "$work" && apt-get download -q "$xen=$(dpkg-query -W -f='${Version}' "$xen")" >/dev/null 2>&1)
}
if ! download_xen; then
    step "upgrading $xen: the installed version cannot be downloaded"
    apt_get update >/dev/null
    apt_get install --only-upgrade --no-install-recommends "$xen" >/dev/null
    download_xen || fail "apt-get download $xen"
fi
xen_deb=$(ls "$work"/${xen}_*.deb)

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
    dpkg -i "$xen_deb" >"$work/xen.log" 2>&1 || { cat "$work/xen.log"; fail "dpkg -i $xen_deb"; }
    verified "$xen" || fail "$xen's files differ from its md5sums: $(dpkg --verify "$xen")"
fi
for tool in $tools; do
    [ -f "$xen_bin/$tool" ] && [ ! -L "$xen_bin/$tool" ] || fail "$xen_bin/$tool is not Xen's file"
done
(cd "$xen_bin" && sha256sum $tools) >"$work/xen.sha256"

step "make deb"
make -s --no-print-directory -C "$root" deb >"$work/make.log" 2>&1 || { tail -30 "$work/make.log"; fail "make deb"; }
deb=$(tail -n 1 "$work/make.log")
[ -f "$deb" ] || fail "make deb printed no package ($deb)"
echo "$deb"
version=$(dpkg-deb -f "$deb" Version)
upstream=$(make -s --no-print-directory -C "$root" version)
[ "${version%-*}" = "$upstream" ] || fail "package version $version, program version $upstream"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture"
dpkg-deb -f "$deb" Depends | grep -q 'libc6 (>= ' || fail "Depends has no versioned libc6: $(dpkg-deb -f "$deb" Depends)"

step "lintian"
lintian --display-info "$deb" 2>&1 | grep -v 'running with root privileges' | tee "$work/lintian.txt" || true
! grep -q '^E: ' "$work/lintian.txt" || fail "lintian reports errors"

# Everything that must hold while the package is installed.
check_installed() {
    for tool in $tools; do
        local path=$xen_bin/$tool
        dpkg-divert --list "$path" | grep -qx "diversion of $path to $path.xen-python by $package" ||
            fail "no diversion of $path: $(dpkg-divert --list "$path")"
        [ "$(readlink -f "$path")" = "$libexec/convert-legacy-stream" ] ||
            fail "$path leads to $(readlink -f "$path")"
        [ "$(readlink -f "/usr/bin/$tool")" = "$libexec/convert-legacy-stream" ] ||
            fail "/usr/bin/$tool leads to $(readlink -f "/usr/bin/$tool")"
        [ "$("$path" --version)" = "$tool $upstream" ] || fail "$path --version: $("$path" --version)"
        [ "$("/usr/bin/$tool" --version)" = "$tool $upstream" ] || fail "/usr/bin/$tool --version"
        local out
        out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -P cat "$tool" 2>"$work/man.err") || fail "man $tool: $(cat "$work/man.err")"
        [ ! -s "$work/man.err" ] || fail "man $tool warns: $(cat "$work/man.err")"
        grep -q "^NAME" <<<"$out" && grep -q "$package $upstream" <<<"$out" ||
            fail "man $tool shows no NAME or version"
    done
    if [ "${1:-}" != without-xen ]; then
        # Xen's files, kept under the diverted names, unchanged.
        (cd "$xen_bin" && sed 's/$/.xen-python/' "$work/xen.sha256" | sha256sum -c --quiet) ||
            fail "Xen's diverted files changed"
    fi
    # As libxl converts during `xl restore`: xl has read the xl header from
    # the file, and the helper inherits that descriptor, at the stream's
    # start, and the write end of a pipe that libxl reads.
    local header=$((48 + $(od -An -t u4 -j 44 -N 4 "$example" | tr -d ' ')))
    rm -f "$work/converted"
    {
        dd bs="$header" count=1 status=none >/dev/null <&5
        "$xen_bin/convert-legacy-stream" --in 5 --out 6 --width 64 --guest hvm --format libxl 6>&1 >/dev/null
    } 5<"$example" | cat >"$work/converted" || fail "$xen_bin/convert-legacy-stream failed"
    cmp "$work/converted" <(tail -c +$((header + 1)) "$expected") ||
        fail "the conversion differs from Xen's converter's"
    "$xen_bin/verify-stream-v2" -f libxl -q -i "$work/converted" || fail "$xen_bin/verify-stream-v2 rejects the conversion"
}

# Everything that must hold once the package is gone.
check_gone() {
    ! dpkg-divert --list | grep -q " by $package\$" || fail "diversions left: $(dpkg-divert --list | grep " by $package")"
    for tool in $tools; do
        [ -f "$xen_bin/$tool" ] && [ ! -L "$xen_bin/$tool" ] || fail "$xen_bin/$tool is not back"
        [ ! -e "$xen_bin/$tool.xen-python" ] || fail "$xen_bin/$tool.xen-python is left"
        [ ! -e "/usr/bin/$tool" ] && [ ! -L "/usr/bin/$tool" ] || fail "/usr/bin/$tool is left"
    done
    [ ! -e "$libexec" ] || fail "$libexec is left"
    (cd "$xen_bin" && sha256sum -c --quiet "$work/xen.sha256") || fail "Xen's files are not as they were"
    verified "$xen" || fail "$xen's files differ from its md5sums: $(dpkg --verify "$xen")"
}

step "apt-get install $deb"
apt_get install "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install"; }
grep 'diversion' "$work/install.log" || true
dpkg-divert --list | grep " by $package\$"
check_installed

step "dpkg -i again: an upgrade over itself"
dpkg -i "$deb" >/dev/null
check_installed

step "$xen removed under the package, then installed again"
dpkg -r "$xen" >"$work/xen.log" 2>&1 || { cat "$work/xen.log"; fail "dpkg -r $xen"; }
for tool in $tools; do
    [ ! -e "$xen_bin/$tool.xen-python" ] || fail "$xen_bin/$tool.xen-python outlived $xen"
done
check_installed without-xen
dpkg -i "$xen_deb" >"$work/xen.log" 2>&1 || { cat "$work/xen.log"; fail "dpkg -i $xen_deb"; }
check_installed

step "stage-root.sh on an unpacked $xen (twice)"
dom0=$work/dom0
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

rm -rf "$dom0"
echo "test-deb: all checks passed in $(($(date +%s) - started)) s"
