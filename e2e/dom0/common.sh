# shellcheck shell=sh disable=SC2046 # busybox sh; pids split on purpose
# Sourced by every dom0 script: the new hosts' (e2e/dom0/lib.sh), the old
# hosts' save (e2e/oldhost/dom0-save.sh) and both ends of the two-host
# migration (e2e/migrate/). Time, process look-up and the one bound on a
# command. BOUNDED_KILL (an ERE) names the processes a timed-out command
# leaves behind, matched on their command lines.

# Hundredths of a second since boot, and seconds since a START.
now() { read -r up _ < /proc/uptime; echo "${up%.*}${up#*.}" | sed 's/^0*//;s/^$/0/'; }
secs() { d=$(($(now) - $1)); printf '%d.%02d' $((d / 100)) $((d % 100)); }

# procs ERE: "PID COMMAND LINE" of each process whose command line matches
# (Debian's busybox has no pgrep or pkill).
procs() {
    for p in /proc/[0-9]*; do
        c=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)
        [ -n "$c" ] && echo "$c" | grep -Eq "$1" && echo "${p#/proc/} $c"
    done
}

# bounded SECONDS COMMAND...: run COMMAND (a function too); past SECONDS,
# kill it and every process BOUNDED_KILL matches (a toolstack command that
# never ends must not hold xl's lock for the next one). Status 124 then,
# with "timed out after N s" as the last line of its output.
bounded() {
    blimit=$(($(now) + $1 * 100)) bsecs=$1
    shift
    "$@" &
    bpid=$!
    while kill -0 $bpid 2>/dev/null; do
        if [ "$(now)" -gt "$blimit" ]; then
            kill -9 $bpid 2>/dev/null
            [ -n "${BOUNDED_KILL:-}" ] && kill -9 $(procs "$BOUNDED_KILL" | cut -d' ' -f1) 2>/dev/null
            wait $bpid 2>/dev/null
            echo "timed out after $bsecs s"
            return 124
        fi
        sleep 0.2
    done
    wait $bpid
}
