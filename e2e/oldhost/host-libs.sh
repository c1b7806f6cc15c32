#!/usr/bin/env bash
# Which of this machine's shared objects the old Xen tools need at run time:
# what a busybox dom0 initramfs must carry besides the cached tree itself.
#
#   e2e/oldhost/host-libs.sh ROOT [FILE...]
#
# ROOT is the root/ of a tree built by build-xen.sh. FILEs are paths inside
# ROOT (default: every dynamically linked ELF file in it). Prints one
# absolute path a line, sorted: the shared objects and the dynamic loader
# that ldd resolves outside ROOT (ROOT's own usr/lib comes first, as it will
# in dom0). Exits 1, after naming them on stderr, if any library is missing.
set -euo pipefail

[[ $# -ge 1 && -d $1 ]] || { echo "usage: $0 ROOT [FILE...]" >&2; exit 2; }
ROOT=$(cd "$1" && pwd)
shift
files=()
if (($#)); then
    for f in "$@"; do files+=("$ROOT/${f#/}"); done
else
    while IFS= read -r -d '' f; do
        # ELF magic, and dynamically linked (hvmloader and xen-syms are static).
        [[ $(head -c4 "$f" | od -An -c | tr -d ' ') == 177ELF ]] || continue
        readelf -d "$f" 2>/dev/null | grep -q NEEDED && files+=("$f")
    done < <(find "$ROOT" -type f -print0)
fi

missing=0
for f in "${files[@]}"; do
    LD_LIBRARY_PATH=$ROOT/usr/lib ldd "$f" 2>/dev/null | while read -r line; do
        case $line in
        *"not found"*) echo "MISSING ${line%% *} (needed by ${f#"$ROOT"})" ;;
        *"=> /"*) p=${line#*=> }; echo "${p%% (*}" ;;
        /*) echo "${line%% (*}" ;;
        esac
    done
done | sort -u | {
    while read -r l; do
        case $l in
        MISSING*) echo "$l" >&2; missing=1 ;;
        "$ROOT"/*) ;;
        *) echo "$l" ;;
        esac
    done
    exit "$missing"
}
