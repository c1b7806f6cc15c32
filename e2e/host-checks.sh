# Sourced by e2e/run.sh: the checks made on the host once dom0 is done, on
# the images Xen saved there (brought back on the results disk). XEN_VERSION
# says which Xen (its Python tools are run from the unpacked package).
#  - verify-KIND-xen: Xen's own verifier (Python, run from the unpacked
#    package, not installed) and ours agree on every image Xen saved.
#  - python-*: what Xen's own converter does with the legacy inputs of
#    the scenarios, for comparison (INFO rows; they never fail the run).

# Every command here is bounded (300 s): a hung converter fails its row.

# Seconds since T0 (a date +%s.%N value).
since() { echo "$(date +%s.%N) $1" | awk '{printf "%.2f", $1 - $2}'; }

# xl_header_size FILE: the bytes of FILE's xl save header (magic, four
# 32-bit fields, the optional data).
xl_header_size() {
    local len
    len=$(od -An -t u4 -j 44 -N 4 "$1" | tr -d ' ')
    echo $((48 + len))
}

host_checks() {
    local res=$1 pkg=$2 bin=$3 out=$work/host-results.txt kind t0 msg f
    local py=$pkg/usr/lib/xen-$XEN_VERSION/bin pypath=$pkg/usr/lib/xen-$XEN_VERSION/lib/python
    : > "$out"
    for kind in pv hvm; do
        f=$res/$kind.save
        [[ -f $f ]] || continue
        t0=$(date +%s.%N)
        local ours=ok theirs=ok
        timeout 300 "$bin/verify-stream-v2" -f xl -q -i "$f" > "$work/verify-$kind.ours" 2>&1 || ours="refused: $(tail -n 1 "$work/verify-$kind.ours")"
        PYTHONPATH=$pypath timeout 300 python3 "$py/verify-stream-v2" -f xl -i "$f" > "$work/verify-$kind.xen" 2>&1 || theirs="refused: $(tail -n 1 "$work/verify-$kind.xen")"
        if [[ $ours == ok && $theirs == ok ]]; then
            echo "PASS verify-$kind-xen $(since "$t0") ours and Xen $XEN_VERSION's verifier both accept the image Xen saved" >> "$out"
        else
            echo "FAIL verify-$kind-xen $(since "$t0") [verify] ours: $ours; Xen $XEN_VERSION's: $theirs" >> "$out"
        fi
        python_rows "$kind" "$f" "$bin" "$py" "$pypath" >> "$out"
    done
}

# python_rows KIND SAVED BIN PYDIR PYTHONPATH: remake the legacy images dom0
# used (the same generator, checked against dom0's checksums) and run Xen's
# converter on them the way each scenario ran ours.
python_rows() {
    local kind=$1 saved=$2 bin=$3 py=$4 pypath=$5 front img skip t0 rc line
    local help
    help=$("$bin/generate-legacy-stream" --help 2>&1 || true)
    [[ $help == *--from-saved* ]] || return 0
    for front in xl-json xl-text xend; do
        [[ $kind == hvm && $front != xl-json ]] && continue
        img=$work/$kind-$front.legacy
        local cfg=()
        [[ $front == xl-text ]] && cfg=(--config "$here/dom0/$kind.cfg")
        timeout 300 "$bin/generate-legacy-stream" --from-saved "$saved" --front "$front" "${cfg[@]}" -o "$img" > /dev/null 2>&1 || continue
        if [[ -f $work/results/legacy.md5 ]] &&
            ! grep -q "^$(md5sum < "$img" | cut -d' ' -f1) " "$work/results/legacy.md5"; then
            echo "INFO python-$kind-$front 0 (the host's $front image differs from dom0's)"
        fi
        # As a user runs it by hand: -x -f libxl.
        t0=$(date +%s.%N)
        if [[ $front == xend ]]; then
            line=$(PYTHONPATH=$pypath timeout 300 python3 "$py/convert-legacy-stream" -i "$img" -o "$img.py" \
                -w 64 -g "$kind" -f libxl 2>&1 | grep -v '^ *$' | tail -n 1) && rc=0 || rc=$?
            echo "INFO python-$kind-xend $(since "$t0") Xen's converter (-w 64 -g pv -f libxl) exits $rc: ${line:-no message}"
            rm -f "$img" "$img.py"
            continue
        fi
        line=$(PYTHONPATH=$pypath timeout 300 python3 "$py/convert-legacy-stream" -i "$img" -o "$img.py" \
            -w 64 -g "$kind" -x -f libxl 2>&1 | grep -v '^ *$' | tail -n 1) && rc=0 || rc=$?
        timeout 300 "$bin/convert-legacy-stream" -i "$img" -o "$img.ours" -w 64 -g "$kind" -x -f libxl --stream-version 3 > /dev/null 2>&1 || true
        echo "INFO python-$kind-$front-hand $(since "$t0") $(compare "$rc" "$line" "$img.py" "$img.ours")"
        # As libxl runs it, after xl read the header: --in --out --width --guest --format libxl.
        skip=$(xl_header_size "$img")
        t0=$(date +%s.%N)
        line=$(tail -c +$((skip + 1)) "$img" | PYTHONPATH=$pypath timeout 300 python3 "$py/convert-legacy-stream" \
            --in 0 --out 1 --width 64 --guest "$kind" --format libxl 2>"$img.err" > "$img.py"; tail -n 1 "$img.err") && rc=0 || rc=$?
        tail -c +$((skip + 1)) "$img" | timeout 300 "$bin/convert-legacy-stream" --in 0 --out 1 --width 64 \
            --guest "$kind" --format libxl --stream-version 3 > "$img.ours" 2>/dev/null || true
        echo "INFO python-$kind-$front-libxl $(since "$t0") $(compare "$rc" "$line" "$img.py" "$img.ours")"
        rm -f "$img" "$img.py" "$img.ours" "$img.err"
    done
}

compare() { # compare RC LAST-LINE PYTHON-OUT OUR-OUT
    if [[ $1 != 0 ]]; then
        echo "Xen's converter exits $1: $2"
    elif cmp -s "$3" "$4"; then
        echo "Xen's converter: the same $(wc -c < "$3") bytes as ours (with --stream-version 3: Xen $XEN_VERSION's writes v3)"
    else
        echo "Xen's converter: output differs from ours --stream-version 3 ($(cmp "$3" "$4" 2>&1 | head -n 1 | sed 's|[^ ]*/||g'))"
    fi
}

# old_checks OLDDIR PKG BIN: the images the old hosts wrote (OLDDIR/ID.save
# with ID.facts), checked on the host:
#  - old-ID-report: our --report agrees with the guest as the old host made
#    it: type, width, vCPUs online, and its pages: the pages sent, plus the
#    pfns with no page (the unmapped list and invalid entries), fill the p2m,
#    and the pages sent are the memory the guest had when saved;
#  - old-ID-same-as-xen: run as libxl runs it, our output (--stream-version
#    3) equals, byte for byte, that of Xen's own converter of this release
#    (xl images; Xen's reads no xend image);
#  - old-ID-verify: our verifier accepts what we wrote;
#  - old-ID-python-hand (INFO): what Xen's converter does by hand with -x.
old_checks() {
    local old=$1 pkg=$2 bin=$3 out=$work/host-results.txt f id img t0 rc line skip kind
    local py=$pkg/usr/lib/xen-$XEN_VERSION/bin pypath=$pkg/usr/lib/xen-$XEN_VERSION/lib/python
    for f in "$old"/*.facts; do
        [[ -e $f ]] || continue
        id=$(basename "$f" .facts) img=${f%.facts}.save
        kind=$(sed -n 's/^kind=//p' "$f")
        kind=${kind:-pv}
        t0=$(date +%s.%N)
        if line=$(timeout 300 "$bin/convert-legacy-stream" --auto --dry-run --report "$work/$id.report" -i "$img" 2>&1 >/dev/null) &&
            line=$(python3 "$here/oldhost/report-agrees.py" "$work/$id.report" "$f" 2>&1); then
            echo "PASS old-$id-report $(since "$t0") $line" >> "$out"
        else
            echo "FAIL old-$id-report $(since "$t0") [report] $(echo "$line" | tail -n 3 | tr '\n' ' ')" >> "$out"
        fi
        grep -q '^tool=xend' "$f" && continue
        skip=$(xl_header_size "$img")
        t0=$(date +%s.%N)
        tail -c +$((skip + 1)) "$img" | timeout 300 "$bin/convert-legacy-stream" --in 0 --out 1 --width 64 \
            --guest "$kind" --format libxl --stream-version 3 > "$work/$id.ours" 2> "$work/$id.ours.err" && rc=0 || rc=$?
        line=$(tail -c +$((skip + 1)) "$img" | PYTHONPATH=$pypath timeout 300 python3 "$py/convert-legacy-stream" \
            --in 0 --out 1 --width 64 --guest "$kind" --format libxl 2>"$work/$id.py.err" > "$work/$id.py"; tail -n 1 "$work/$id.py.err")
        if [[ $rc != 0 ]]; then
            echo "FAIL old-$id-same-as-xen $(since "$t0") [convert] ours exits $rc: $(tail -n 1 "$work/$id.ours.err")" >> "$out"
        elif cmp -s "$work/$id.ours" "$work/$id.py"; then
            echo "PASS old-$id-same-as-xen $(since "$t0") the same $(wc -c < "$work/$id.ours") bytes as Xen $XEN_VERSION's converter, run as libxl runs it" >> "$out"
        else
            echo "FAIL old-$id-same-as-xen $(since "$t0") [differs] ours and Xen $XEN_VERSION's differ: $(cmp "$work/$id.ours" "$work/$id.py" 2>&1 | head -n 1 | sed 's|[^ ]*/||g') ${line:+(Xen said: $line)}" >> "$out"
        fi
        t0=$(date +%s.%N)
        if line=$(timeout 300 "$bin/verify-stream-v2" -f libxl -q -i "$work/$id.ours" 2>&1); then
            echo "PASS old-$id-verify $(since "$t0") verify-stream-v2 -f libxl accepts our output" >> "$out"
        else
            echo "FAIL old-$id-verify $(since "$t0") [verify] $(echo "$line" | tail -n 1)" >> "$out"
        fi
        t0=$(date +%s.%N)
        line=$(PYTHONPATH=$pypath timeout 300 python3 "$py/convert-legacy-stream" -i "$img" -o "$work/$id.hand" \
            -w 64 -g "$kind" -x -f libxl 2>&1 | grep -v '^ *$' | tail -n 1) && rc=0 || rc=$?
        echo "INFO old-$id-python-hand $(since "$t0") Xen $XEN_VERSION's converter by hand (-x -f libxl -w 64 -g $kind) exits $rc${line:+: $line}" >> "$out"
        rm -f "$work/$id.ours" "$work/$id.py" "$work/$id.hand" "$work/$id".*.err
    done
}
