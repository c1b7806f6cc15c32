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
        if [ "${kind:-}" = hvm ] && [ -n "$diag_domid" ]; then
            echo "-- the guest's vCPU, twice 3 s apart (xl vcpu-list; xl debug-keys v: where Xen last stopped it)"
            vcpu_sample hvm "$diag_domid" "${g:-}"
            sleep 3
            vcpu_sample hvm "$diag_domid" "${g:-}"
            echo "-- Xen's view of its vCPUs (xl debug-keys q)"
            xen_keys q | awk -v d="d$diag_domid:" '
                /VCPU information and callbacks for/ { on = ($NF == d); next }
                /information and callbacks for|General information for domain/ { on = 0 }
                on && /VCPU[0-9]+: CPU|pause_count/ { sub(/^\(XEN\) */, ""); print }'
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

# xen_keys KEY: what Xen printed for debug key KEY (the console ring's new
# lines only).
xen_keys() {
    keys_before=$(xl dmesg 2>/dev/null | wc -l)
    xl debug-keys "$1" > /dev/null 2>&1
    sleep 0.5
    xl dmesg 2>/dev/null | tail -n +$((keys_before + 1))
}

# vcpu_sample KIND ARG NAME: one line: the guest's counts so far, its vCPUs'
# CPU time, and for HVM where its vCPU was when Xen last stopped it (the
# VMCB's exit code and RIP, from debug key v: SVM, as QEMU emulates it).
vcpu_sample() {
    vs_cpu=$(xl vcpu-list "$3" 2>/dev/null | awk 'NR > 1 {t += $6; s = s " " $5} END {printf "%s s, state%s", t + 0, s}')
    vs_vmcb=""
    [ "$1" = hvm ] && vs_vmcb=$(vmcb_state "$2")
    echo "$(${1}_counts "$2" | wc -l) counts, the last $(${1}_counts "$2" | tail -n 1); vCPU time $vs_cpu${vs_vmcb:+; $vs_vmcb}"
}

# xen_crash_lines: Xen's own words on a guest that crashed or faulted (a
# triple fault too), the last two, on one line.
xen_crash_lines() { xl dmesg 2>/dev/null | grep -i -E 'crash|triple|[^e]fault' | tail -n 2 | tr '\n' ' ' | cut -c1-200; }

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
# and CAUSE, and STALLED=1 when the guest resumed at the right count and
# then printed no other within the 30 s.
check_resumed() {
    GONE=0 STALLED=0
    if ! wait_counts "$1" "$2" 2 30; then
        seen=$(${1}_counts "$2" | tr '\n' ' ')
        if [ $GONE = 1 ]; then
            CAUSE=guest-died
            DETAIL="the guest died after restore (saved at $3; seen: $seen; Xen: $(xen_crash_lines))"
        else
            CAUSE=not-resumed
            DETAIL="no counting within 30 s of the restore (saved at $3; seen: $seen)"
            first=$(${1}_counts "$2" | head -n 1)
            [ -n "$first" ] && [ "$first" -gt "$3" ] && [ "$first" -le $(($3 + 2)) ] && STALLED=1
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
# xl says it is still there, as a domain being torn down can be). Waits up
# to 30 s for the name to go, so that a create that follows cannot find it
# taken by a domain still being torn down.
destroy() {
    for _ in 1 2 3; do
        xl domid "$1" > /dev/null 2>&1 || break
        timeout 60 xl destroy "$1" > /dev/null 2>&1 || sleep 1
    done
    dlimit=$(($(now) + 3000))
    while xl domid "$1" > /dev/null 2>&1 && [ "$(now)" -le "$dlimit" ]; do
        sleep 1
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

# stalled KIND NAME: when the guest counted (after its create or its
# restore) and then stopped, while its domain still runs: whether its vCPU still ran (then
# its clock stopped: the HVM guest counts by Xen's emulated RTC) or not,
# from xl vcpu-list's CPU time over 3 s. Nothing otherwise.
stalled() {
    sarg=$2
    [ "$1" = hvm ] && sarg=$(domid_of "$2")
    [ -n "$sarg" ] || return 0
    seen=$(${1}_counts "$sarg" | wc -l)
    [ "$seen" -ge 1 ] || return 0
    cpu1=$(xl vcpu-list "$2" 2>/dev/null | awk 'NR > 1 {t += $6} END {print t + 0}')
    [ "$1" = hvm ] && rip1=$(vmcb_state "$sarg")
    sleep 3
    cpu2=$(xl vcpu-list "$2" 2>/dev/null | awk 'NR > 1 {t += $6} END {print t + 0}')
    [ "$1" = hvm ] && rip2=$(vmcb_state "$sarg")
    [ "$(${1}_counts "$sarg" | wc -l)" -eq "$seen" ] || return 0
    where=""
    [ "$1" = hvm ] && where="; Xen last stopped its vCPU at ${rip1:-?}; 3 s later at ${rip2:-?}"
    if awk -v a="$cpu1" -v b="$cpu2" 'BEGIN {exit !(b > a)}'; then
        echo "the guest stopped counting after $seen counts while its vCPU ran: CPU time $cpu1 s, then $cpu2 s 3 s later$where"
    else
        echo "the guest stopped counting after $seen counts and its vCPU did not run: CPU time $cpu1 s, then $cpu2 s 3 s later$where"
    fi
}

# vmcb_state DOMID: where the domain's first vCPU was when Xen last stopped
# it (debug key v: SVM, as QEMU emulates it), on one line: CS:RIP, RFLAGS,
# SS:RSP, CR0, the exit code and any event being injected. The HVM
# payload's clock loop is at 0000:7c11-7c16 and 0000:7c51-7c57.
vmcb_state() {
    xen_keys v | sed 's/^(XEN) *//' | awk -v d="$1" '
        />>> Domain [0-9]+ <<</ { n = 0; on = ($3 == d); next }
        !on { next }
        /^VCPU / || /VCPU [0-9]+$/ { n++ }
        n != 1 { next }
        /^exitcode =/ { ex = $3; eii = $6 }
        /^event_inj/ { inj = $2; sub(/,$/, "", inj) }
        /^CR0 =/ { cr0 = $3 }
        /^RSP =/ { rsp = $3; rip = $6 }
        /^RAX =/ { split($0, f, "RFLAGS="); fl = f[2] }
        /^CS:/ { cs = $2 } /^SS:/ { ss = $2 }
        END {
            if (rip == "") exit
            sub(/^0x0*/, "", rip); sub(/^0x0*/, "", rsp); sub(/^0x0*/, "", fl); sub(/^0x0*/, "", cr0)
            printf "CS:RIP %s:%s RFLAGS %s SS:RSP %s:%s CR0 %s exit %s exit_int_info %s event_inj %s", cs, rip, fl, ss, rsp, cr0, ex, eii, inj
        }'
}

# restored NAME START KIND GUEST LAST COMMAND...: run COMMAND (a restore),
# then judge the guest named GUEST by its counter; one result line. A guest
# that resumed at the right count, so from a right image, and then stopped
# counting while its domain ran (stalled says whether its vCPU still ran)
# is restored once more from the same input; the row says so, and
# OUT/diag/NAME-try1.txt keeps what was seen. Any other failure is final.
restored() {
    n=$1 t0=$2 kind=$3 g=$4 last=$5
    shift 5
    rnote=""
    for rtry in 1 2; do
        destroy "$g"
        attempt "$n" 150 "$@"
        if [ $RC -ne 0 ]; then
            cause=restore
            [ $RC -eq 124 ] && cause=timeout
            fail "$n" "$t0" $cause "$* failed: $(last_lines "$OUT/$n.log")$NOTE$rnote"
            destroy "$g"
            return
        fi
        arg=$g
        [ "$kind" = hvm ] && arg=$(domid_of "$g")
        if check_resumed "$kind" "$arg" "$last"; then
            result "$n" PASS "$t0" "$DETAIL$NOTE$rnote"
            destroy "$g"
            return
        fi
        stall=""
        [ $rtry = 1 ] && [ $STALLED = 1 ] && stall=$(stalled "$kind" "$g")
        if [ -z "$stall" ]; then
            fail "$n" "$t0" "$CAUSE" "$DETAIL$NOTE$rnote"
            destroy "$g"
            return
        fi
        diagnose "$n-try1"
        rnote=" (retried: it resumed at $first, then ${stall#the guest })"
    done
}
