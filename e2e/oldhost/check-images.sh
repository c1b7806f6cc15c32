#!/usr/bin/env bash
# Check the images save-guests.sh wrote with the project's converter, and
# compare it with Xen's own Python converter (Debian 12's xen-utils-4.17).
#
#   e2e/oldhost/check-images.sh OUTDIR [CONVERTER]
#
# CONVERTER: the project's convert-legacy-stream (default: the release
# build beside this worktree's repository, .build/release/). For each
# OUTDIR/NAME.save:
#  - `CONVERTER --auto --dry-run --report - -i NAME.save` must exit 0; its
#    JSON report goes to NAME.report.json and its verbose summary (-v) to
#    NAME.dry-run.txt;
#  - for an xl image: the xl header skipped (32-byte magic, 4 uint32s, the
#    4th the length of the optional data after them), the rest through
#    `python3 /usr/lib/xen-4.17/bin/convert-legacy-stream --in 0 --out 1
#    --width 64 --guest KIND --format libxl` (as libxl runs it; KIND pv or
#    hvm, from NAME.facts) and through
#    CONVERTER the same way with --stream-version 3 (Xen 4.17 writes v3):
#    both outputs must be byte for byte the same.
# One line a check; exits 1 if any failed.
set -uo pipefail
[[ $# -ge 1 && -d $1 ]] || { echo "usage: $0 OUTDIR [CONVERTER]" >&2; exit 2; }
OUTDIR=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONV=${2:-$(cd "$HERE/../.." && pwd)/.build/release/convert-legacy-stream}
PYCONV=/usr/lib/xen-4.17/bin/convert-legacy-stream
export PYTHONPATH=/usr/lib/xen-4.17/lib/python
[[ -x $CONV ]] || { echo "check-images: no converter at $CONV" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oldhost-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rc=0

# body_offset IMAGE: where the libxc stream starts after an xl header.
body_offset() {
    local magic len
    magic=$(head -c 32 "$1" | od -An -c | tr -d ' \n')
    [[ $magic == 'Xensaveddomain,xlformat\n\0\r' ]] || return 1
    len=$(od -An -t u4 -j 44 -N 4 "$1" | tr -d ' ')
    echo $((48 + len))
}

# summary REPORT: the dry run's JSON report, its main fields on one line.
summary() {
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("guest %s, width %s, toolstack width %s, %d-level page tables, vcpus online %s, p2m size %s, pages by type %s, records %s, xl header %s, detected %s" % (
    r.get("guestType"), r.get("guestWidth"), r.get("toolstackWidth"), r.get("pagetableLevels", 0),
    r.get("vcpusOnline"), r.get("p2mSize"), json.dumps(r.get("pagesByType"), sort_keys=True),
    json.dumps(r.get("recordsWritten"), sort_keys=True), r.get("xlHeader"), ",".join(r.get("detected", []))))
' "$1"
}

for img in "$OUTDIR"/*.save; do
    n=$(basename "$img" .save)
    t0=$(date +%s.%N)
    if "$CONV" --auto --dry-run --report - -i "$img" >"$OUTDIR/$n.report.json" 2>"$tmp/$n.err"; then
        echo "check-images: $n: dry run ok ($(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}") s): $(summary "$OUTDIR/$n.report.json")"
    else
        echo "check-images: $n: dry run FAILED (exit $?): $(tail -n 3 "$tmp/$n.err" | tr '\n' ' ')"
        rc=1
    fi
    "$CONV" --auto --dry-run -v -i "$img" >"$OUTDIR/$n.dry-run.txt" 2>&1
    # What -v says of pfns with no page (XTAB, "unmapped pfns").
    grep -i 'unmapped\|xtab\|bogus' "$OUTDIR/$n.dry-run.txt" | sort | uniq -c | sed "s/^ */check-images: $n: -v: /"
    off=$(body_offset "$img") || { echo "check-images: $n: no xl header: no Python comparison"; continue; }
    tail -c +$((off + 1)) "$img" >"$tmp/body"
    kind=$(sed -n 's/^kind=//p' "$OUTDIR/$n.facts" 2>/dev/null)
    kind=${kind:-pv}
    t0=$(date +%s.%N)
    python3 "$PYCONV" --in 0 --out 1 --width 64 --guest "$kind" --format libxl \
        <"$tmp/body" >"$tmp/py.out" 2>"$tmp/py.err"
    prc=$?
    t1=$(date +%s.%N)
    "$CONV" --in 0 --out 1 --width 64 --guest "$kind" --format libxl --stream-version 3 \
        <"$tmp/body" >"$tmp/ours.out" 2>"$tmp/ours.err"
    orc=$?
    t2=$(date +%s.%N)
    times=$(awk "BEGIN {printf \"Python %.1f s, ours %.1f s\", $t1 - $t0, $t2 - $t1}")
    if ((prc != 0 || orc != 0)); then
        echo "check-images: $n: Python exit $prc ($(tail -n 2 "$tmp/py.err" | tr '\n' ' ')), ours exit $orc ($(tail -n 2 "$tmp/ours.err" | tr '\n' ' ')): FAILED"
        rc=1
    elif cmp -s "$tmp/py.out" "$tmp/ours.out"; then
        echo "check-images: $n: the Python converter's output and ours (--stream-version 3) are the same: $(stat -c %s "$tmp/ours.out") bytes, sha256 $(sha256sum "$tmp/ours.out" | cut -c1-16) ($times)"
    else
        echo "check-images: $n: the outputs DIFFER: Python $(stat -c %s "$tmp/py.out") bytes, ours $(stat -c %s "$tmp/ours.out"); first difference: $(cmp "$tmp/py.out" "$tmp/ours.out" 2>&1 | head -n 1) ($times)"
        cp "$tmp/py.out" "$OUTDIR/$n.python.out"
        cp "$tmp/ours.out" "$OUTDIR/$n.ours.out"
        rc=1
    fi
done
exit $rc
