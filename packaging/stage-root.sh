#!/usr/bin/env bash
# Lays the files of the xen-legacy-stream package into a root directory the
# way installing it with dpkg would, for a system without dpkg (the
# end-to-end harness's dom0, made from unpacked Debian packages):
#
#   bash packaging/stage-root.sh DEB ROOT
#
# ROOT may hold any of the Xen versions the package replaces (an unpacked
# xen-utils-4.17, xen-utils-4.20, or both). For every file the package ships
# under usr/lib/xen-VERSION/bin (the paths libxl runs), the file already at
# that path in ROOT (Xen's Python script), if there is one, is first moved to
# NAME.xen-python, as the package's preinst diversion does; then the
# package's files are unpacked over ROOT, links for every version included,
# as dpkg would. libxl in ROOT then runs this converter from its own path,
# with no variable set. A ROOT with a Xen converter the package does not
# replace (a usr/lib/xen-4.21/bin/convert-legacy-stream, say) is refused:
# its libxl would run Xen's converter. Running it again on the same ROOT
# changes nothing. The links are relative, so they resolve inside ROOT as
# well as once ROOT is the root.
set -euo pipefail

die() {
    echo "stage-root: $*" >&2
    exit 1
}

[ $# -eq 2 ] || die "usage: stage-root.sh DEB ROOT"
deb=$1
root=$2
[ -f "$deb" ] || die "$deb: no such package"
[ -d "$root" ] || die "$root: no such directory"
command -v dpkg-deb >/dev/null || die "needs dpkg-deb"
[ "$(dpkg-deb -f "$deb" Package)" = xen-legacy-stream ] || die "$deb is not the xen-legacy-stream package"

# What the package's preinst diverts: the files it ships in libxl's paths,
# links to the program, as "PATH TARGET".
mapfile -t entries < <(dpkg-deb -c "$deb" |
    sed -n 's|^l.* \./\(usr/lib/xen-[^/]*/bin/[^/ ]*\) -> \([^ ]*\)$|\1 \2|p')
[ ${#entries[@]} -gt 0 ] || die "$deb ships no links under usr/lib/xen-VERSION/bin"

# Every Xen converter in ROOT must be one the package replaces.
for found in "$root"/usr/lib/xen-*/bin/convert-legacy-stream; do
    [ -e "$found" ] || [ -L "$found" ] || continue
    path=${found#"$root"/}
    printf '%s\n' "${entries[@]}" | grep -q "^$path " ||
        die "$path: a Xen this package does not replace (it replaces $(printf '%s\n' "${entries[@]}" |
            sed -n 's|^usr/lib/xen-\([^/]*\)/bin/convert-legacy-stream .*|\1|p' | paste -sd ' ')): build it with XEN_VERSIONS"
done

diverted=()
for entry in "${entries[@]}"; do
    path=${entry%% *}
    ours=${entry#* }
    diverted+=("$path")
    target=$root/$path
    if [ -L "$target" ] && [ "$(readlink "$target")" = "$ours" ]; then
        echo "$path: already this package's link"
        continue
    fi
    if [ -e "$target" ] || [ -L "$target" ]; then
        [ ! -e "$target.xen-python" ] && [ ! -L "$target.xen-python" ] ||
            die "$target and $target.xen-python both exist: not a root this script staged"
        mv "$target" "$target.xen-python"
        echo "$path: moved to $path.xen-python"
    else
        echo "$path: no Xen file there"
    fi
done

dpkg-deb -x "$deb" "$root"
for path in "${diverted[@]}"; do
    [ -x "$root/$path" ] || die "$root/$path does not lead to the program"
    echo "$path -> $(readlink "$root/$path")"
done
