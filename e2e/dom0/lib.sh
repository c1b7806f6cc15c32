# Sourced by scenarios.sh (busybox sh in dom0): timing, results and the
# counter checks that judge every restore.
LOGDIR=/var/log/xen/console
CONV=/usr/lib/xen-4.17/bin/convert-legacy-stream
VERIFY=/usr/lib/xen-4.17/bin/verify-stream-v2

# Hundredths of a second since boot.
now() { read -r up _ < /proc/uptime; echo "${up%.*}${up#*.}" | sed 's/^0*//;s/^$/0/'; }
secs() { d=$(($(now) - $1)); printf '%d.%02d' $((d / 100)) $((d % 100)); }

# result NAME PASS|FAIL|INFO START DETAIL...: one line for run.sh to print.
result() {
    n=$1 s=$2 t=$(secs "$3")
    shift 3
    echo "$s $n $t $*" >> "$OUT/results.txt"
    echo "e2e: $s $n $t $*" > /dev/hvc0
}

# The counts a PV guest printed on its console (xenconsoled's logs), in order.
pv_counts() { cat "$LOGDIR"/guest-*.log 2>/dev/null | tr -d '\r' | sed -n 's/^count \([0-9][0-9]*\)$/\1/p'; }
# The counts HVM domain DOMID printed on Xen's debug port, in order.
hvm_counts() { xl dmesg 2>/dev/null | sed -n "s/.*(d$1) count \([0-9][0-9]*\).*/\1/p"; }
clear_pv_logs() { rm -f "$LOGDIR"/guest-*.log; }

# wait_counts KIND ARG MIN SECONDS: wait until there are MIN counts.
wait_counts() {
    i=0
    while [ "$(${1}_counts "$2" | wc -l)" -lt "$3" ]; do
        [ $i -ge $(($4 * 5)) ] && return 1
        # A guest that crashed is gone: no use waiting for it.
        # (Asked twice, a second apart: one failed look-up is not a death.)
        if [ $((i % 5)) -eq 4 ] && [ -n "${g:-}" ] && ! xl domid "$g" > /dev/null 2>&1 &&
            sleep 1 && ! xl domid "$g" > /dev/null 2>&1; then
            GONE=1
            return 1
        fi
        sleep 0.2
        i=$((i + 1))
    done
}

# check_resumed KIND ARG LAST: the restored guest goes on counting from LAST
# (its next count is LAST+1, or LAST+2 when a line was cut by the save) and
# keeps counting. A guest that booted again would start at 1. Sets DETAIL.
check_resumed() {
    GONE=0
    if ! wait_counts "$1" "$2" 2 30; then
        [ $GONE = 1 ] && DETAIL="the guest died after restore (saved at $3; seen: $(${1}_counts "$2" | tr '\n' ' '); Xen: $(xl dmesg 2>/dev/null | grep -i -m 2 'crash\|fault' | tr '\n' ' ' | cut -c1-200))" && return 1
        DETAIL="no counting after restore (saved at $3; seen: $(${1}_counts "$2" | tr '\n' ' '))"
        return 1
    fi
    first=$(${1}_counts "$2" | head -n 1)
    second=$(${1}_counts "$2" | sed -n 2p)
    if [ "$first" -le "$3" ] || [ "$first" -gt $(($3 + 2)) ] || [ "$second" -ne $((first + 1)) ]; then
        DETAIL="counter did not resume: saved at $3, then $first $second"
        return 1
    fi
    DETAIL="resumed at $first (saved at $3)"
}

domid_of() { xl domid "$1" 2>/dev/null; }
destroy() { timeout 60 xl destroy "$1" > /dev/null 2>&1; clear_pv_logs; }

# bounded SECONDS COMMAND...: run COMMAND (a function too); past SECONDS,
# kill it and every toolstack process it left (a restore that never ends
# must not hold xl's lock for the next scenario). Status 124 on timeout.
bounded() {
    limit=$(($(now) + $1 * 100))
    shift
    "$@" &
    bpid=$!
    while kill -0 $bpid 2>/dev/null; do
        if [ "$(now)" -gt "$limit" ]; then
            kill -9 $bpid 2>/dev/null
            killall -9 xl libxl-save-helper convert-legacy-stream migrate-sender.sh cat 2>/dev/null
            wait $bpid 2>/dev/null
            echo "timed out"
            return 124
        fi
        sleep 0.5
    done
    wait $bpid
}

# restored NAME START KIND GUEST LAST COMMAND...: run COMMAND (a restore),
# then judge the guest named GUEST by its counter; one result line.
restored() {
    n=$1 t0=$2 kind=$3 g=$4 last=$5
    shift 5
    destroy "$g"
    note=""
    bounded 150 "$@" > "$OUT/$n.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ] && grep -q 'device model did not start' "$OUT/$n.log"; then
        # libxl gives QEMU 10 s to answer its first QMP command, which a
        # loaded machine can miss under emulation: one more try, reported.
        mv "$OUT/$n.log" "$OUT/$n-try1.log"
        destroy "$g"
        note=" (second try: the device model missed libxl's 10 s QMP timeout)"
        bounded 150 "$@" > "$OUT/$n.log" 2>&1
        rc=$?
    fi
    if [ $rc -ne 0 ]; then
        result "$n" FAIL "$t0" "$* failed: $(grep -v '^ *$' "$OUT/$n.log" | tail -n 2 | tr '\n' ' ')$note"
        destroy "$g"
        return
    fi
    arg=$g
    [ "$kind" = hvm ] && arg=$(domid_of "$g")
    if check_resumed "$kind" "$arg" "$last"; then
        result "$n" PASS "$t0" "$DETAIL$note"
    else
        result "$n" FAIL "$t0" "$DETAIL$note"
    fi
    destroy "$g"
}
