# Sourced by scenarios.sh (busybox sh in dom0): timing, results, bounds,
# diagnoses and the counter checks that judge every restore.
LOGDIR=/var/log/xen/console
CONV=$XEN_BIN/convert-legacy-stream
VERIFY=$XEN_BIN/verify-stream-v2

. /e2e/common.sh
# What a scenario that timed out leaves: the toolstack commands it started
# (not the xl processes that watch the guests xl create started) and what
# they run.
BOUNDED_KILL='(^|/)xl (restore|migrate-receive|save|create) |(^|/)(libxl-save-helper|convert-legacy-stream|migrate-sender\.sh|generate-legacy-stream|cat)( |$)'

# result NAME PASS|FAIL|INFO START DETAIL...: one line for run.sh to print.
# A FAIL's detail starts with its cause in brackets ([create], [restore],
# [not-resumed], ...), which run.sh --repeat groups by.
result() {
    n=$1 s=$2 t=$(secs "$3")
    shift 3
    echo "$s $n $t $*" >> "$OUT/results.txt"
    echo "e2e: $s $n $t $*" > /dev/hvc0
}

# fail NAME START CAUSE DETAIL...: a FAIL line, and the diagnosis beside it
# (while the guest, its device model and their logs are still there).
fail() {
    n=$1 t=$2 c=$3
    shift 3
    diagnose "$n"
    result "$n" FAIL "$t" "[$c] $*"
}

# diagnose NAME: what explains a failure, in OUT/diag/NAME.txt (run.sh
# prints it under the FAIL line): the guest's console, its device model's
# log, Xen's and dom0's kernel messages, the domains and dom0's memory.
# Uses $g (the guest's name) and $kind when the scenario set them.
# (Its own variables are named diag_*: sh has no locals, and a scenario may
# hold an id of its own.)
diagnose() {
    mkdir -p "$OUT/diag"
    {
        diag_domid=$(xl domid "${g:-}" 2>/dev/null)
        echo "domains: $(xl list 2>/dev/null | awk 'NR > 1 {printf "%s(%s,%s) ", $1, $2, $5}')"
        if [ "${kind:-}" = hvm ]; then
            echo "-- guest console (its last counts on Xen's debug port)"
            xl dmesg 2>/dev/null | grep "(d[0-9]*) count" | tail -n 3
            echo "-- device model log (/var/log/xen/qemu-dm-${g:-}.log)"
            tail -n 12 "/var/log/xen/qemu-dm-${g:-}.log" 2>/dev/null
            echo "-- device model processes: $(procs 'qemu-system' | cut -c1-120 | tr '\n' ';')"
        else
            echo "-- guest console"
            tail -n 5 "$LOGDIR"/guest-*.log 2>/dev/null
        fi
        echo "-- xl's log of the guest (/var/log/xen/xl-${g:-}.log)"
        tail -n 6 "/var/log/xen/xl-${g:-}.log" 2>/dev/null
        echo "-- xl dmesg (tail)"
        xl dmesg 2>/dev/null | grep -v "(d[0-9]*) count" | tail -n 12
        echo "-- dom0 kernel (tail)"
        dmesg 2>/dev/null | tail -n 8
        echo "-- dom0 memory: $(free -m 2>/dev/null | awk '/Mem:/ {print $3 " MiB used, " $4 " MiB free"}')${diag_domid:+; guest domid $diag_domid}"
    } > "$OUT/diag/$1.txt" 2>&1
}

# xen_crash_lines: Xen's own words on a guest that crashed or faulted (a
# triple fault too), the first two, on one line.
xen_crash_lines() { xl dmesg 2>/dev/null | grep -i -m 2 'crash\|triple\|fault' | tr '\n' ' ' | cut -c1-200; }

# The counts a PV guest printed on its console (xenconsoled's logs), in order.
pv_counts() { cat "$LOGDIR"/guest-*.log 2>/dev/null | tr -d '\r' | sed -n 's/^count \([0-9][0-9]*\)$/\1/p'; }
# The counts HVM domain DOMID printed on Xen's debug port, in order.
hvm_counts() { xl dmesg 2>/dev/null | sed -n "s/.*(d$1) count \([0-9][0-9]*\).*/\1/p"; }
clear_pv_logs() { rm -f "$LOGDIR"/guest-*.log; }

# wait_counts KIND ARG MIN SECONDS: wait until there are MIN counts (bounded
# by the clock: each look costs time of its own under emulation).
wait_counts() {
    wlimit=$(($(now) + $4 * 100))
    i=0
    while [ "$(${1}_counts "$2" | wc -l)" -lt "$3" ]; do
        [ "$(now)" -gt "$wlimit" ] && return 1
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
# keeps counting. A guest that booted again would start at 1. Sets DETAIL
# and CAUSE.
check_resumed() {
    GONE=0
    if ! wait_counts "$1" "$2" 2 30; then
        seen=$(${1}_counts "$2" | tr '\n' ' ')
        if [ $GONE = 1 ]; then
            CAUSE=guest-died
            DETAIL="the guest died after restore (saved at $3; seen: $seen; Xen: $(xen_crash_lines))"
        else
            CAUSE=not-resumed
            DETAIL="no counting within 30 s of the restore (saved at $3; seen: $seen)"
        fi
        return 1
    fi
    first=$(${1}_counts "$2" | head -n 1)
    second=$(${1}_counts "$2" | sed -n 2p)
    if [ "$first" -le "$3" ] || [ "$first" -gt $(($3 + 2)) ] || [ "$second" -ne $((first + 1)) ]; then
        CAUSE=not-resumed
        DETAIL="counter did not resume: saved at $3, then $first $second"
        return 1
    fi
    DETAIL="resumed at $first (saved at $3)"
}

domid_of() { xl domid "$1" 2>/dev/null; }

# destroy NAME: no domain of that name is left (bounded; asked again when
# xl says it is still there, as a domain being torn down can be).
destroy() {
    for _ in 1 2 3; do
        xl domid "$1" > /dev/null 2>&1 || break
        timeout 60 xl destroy "$1" > /dev/null 2>&1 || sleep 1
    done
    clear_pv_logs
}

# The one retry the harness allows: libxl gives QEMU a fixed 10 s to answer
# its first QMP command, which QEMU under TCG on a loaded machine can miss.
# It is a cause outside our code, named in the scenario's line.
QMP_RETRY_NOTE=" (retried: the device model missed libxl's fixed 10 s QMP timeout)"
qmp_timed_out() { grep -q 'device model did not start\|Timeout waiting for QMP\|QMP.*timed out' "$1"; }

# attempt NAME SECONDS COMMAND...: run COMMAND bounded, its output in
# OUT/NAME.log; once more if it failed on libxl's QMP timeout (the first
# try's log kept as NAME-try1.log). Sets RC and NOTE.
attempt() {
    an=$1 asecs=$2
    shift 2
    NOTE=""
    bounded "$asecs" "$@" > "$OUT/$an.log" 2>&1
    RC=$?
    if [ $RC -ne 0 ] && [ $RC -ne 124 ] && qmp_timed_out "$OUT/$an.log"; then
        mv "$OUT/$an.log" "$OUT/$an-try1.log"
        [ -n "${g:-}" ] && destroy "$g"
        NOTE=$QMP_RETRY_NOTE
        bounded "$asecs" "$@" > "$OUT/$an.log" 2>&1
        RC=$?
    fi
}

# last_lines FILE: a log's last two non-empty lines, on one line.
last_lines() { grep -v '^ *$' "$1" 2>/dev/null | tail -n 2 | tr '\n' ' '; }

# restored NAME START KIND GUEST LAST COMMAND...: run COMMAND (a restore),
# then judge the guest named GUEST by its counter; one result line.
restored() {
    n=$1 t0=$2 kind=$3 g=$4 last=$5
    shift 5
    destroy "$g"
    attempt "$n" 150 "$@"
    if [ $RC -ne 0 ]; then
        cause=restore
        [ $RC -eq 124 ] && cause=timeout
        fail "$n" "$t0" $cause "$* failed: $(last_lines "$OUT/$n.log")$NOTE"
        destroy "$g"
        return
    fi
    arg=$g
    [ "$kind" = hvm ] && arg=$(domid_of "$g")
    if check_resumed "$kind" "$arg" "$last"; then
        result "$n" PASS "$t0" "$DETAIL$NOTE"
    else
        fail "$n" "$t0" "$CAUSE" "$DETAIL$NOTE"
    fi
    destroy "$g"
}
