# Sourced by e2e/run.sh for --repeat N: the whole harness N times in a row,
# the tools built once. Each run's output is kept in the soak directory;
# one line per run, then every failure of every run grouped by its cause
# (the bracketed word that starts a FAIL row's detail), and the retries.

# soak N ARGS...: run `run.sh ARGS... --bindir DIR` N times.
soak() {
    local n=$1 i rc t0 log dir passed failed retries names load
    shift
    dir=$(mktemp -d "${TMPDIR:-/tmp}/xen-e2e-soak.XXXXXX")
    if [[ -z $bindir ]]; then
        work=$dir build || return 1
    fi
    echo "e2e soak: $n runs, logs in $dir"
    local bad=0
    for ((i = 1; i <= n; i++)); do
        log=$dir/run-$i.log
        t0=$(date +%s)
        rc=0
        bash "$here/run.sh" "$@" --bindir "$bindir" > "$log" 2>&1 || rc=$?
        passed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
        failed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")
        retries=$(grep -c '^\(PASS\|FAIL\|INFO\) .*(retried:' "$log" || true)
        names=$(awk '$1 == "FAIL" {printf " %s", $2}' "$log")
        # The load average over the run's last 15 minutes: how busy the machine was.
        load=$(cut -d' ' -f3 /proc/loadavg)
        if ((rc == 0)); then
            echo "run $i: PASS ${passed:-?} passed, ${failed:-?} failed, $retries retried, $(($(date +%s) - t0)) s, load $load, ended $(date +%H:%M)"
        else
            bad=$((bad + 1))
            echo "run $i: FAIL (exit $rc) ${passed:-?} passed, ${failed:-?} failed, $retries retried, $(($(date +%s) - t0)) s, load $load, ended $(date +%H:%M):${names:- no result line}"
        fi
    done
    echo "e2e soak: $((n - bad)) of $n runs passed"
    if grep -q '^FAIL ' "$dir"/run-*.log 2>/dev/null; then
        echo "e2e soak: failures by cause"
        # run-K.log:FAIL name secs [cause] detail -> cause, then each row.
        grep '^FAIL ' "$dir"/run-*.log |
            sed 's|^.*/run-\([0-9]*\)\.log:FAIL \([^ ]*\) [^ ]* \(\[[^]]*\]\)\{0,1\} *\(.*\)$|\3\t\1\t\2\t\4|' |
            sort -t "$(printf '\t')" -k1,1 -k2,2n |
            awk -F '\t' '{c = ($1 == "" ? "[unclassified]" : $1)
                if (c != last) { print "  " c; last = c }
                print "    run " $2 " " $3 ": " substr($4, 1, 160)}'
    fi
    if grep -q '(retried:' "$dir"/run-*.log 2>/dev/null; then
        echo "e2e soak: retries"
        grep -h '(retried:' "$dir"/run-*.log | sed 's/^\([A-Z]*\) \([^ ]*\) .*(retried: \([^)]*\)).*/  \2: \3/' | sort | uniq -c
    fi
    ((bad == 0))
}
