# shellcheck shell=sh disable=SC1091,SC2034 # busybox sh in the new host's dom0
# The receiving end of the two-host migration (e2e/migrate/two-hosts.sh),
# run by dom0's init as E2E_SCRIPT OUT on today's Xen, with the project's
# package installed (libxl runs our converter from its own path). Each
# session on the e2e.link port starts with the sender's line
# "E2E-SESSION ITEM GUEST"; `xl migrate-receive` then runs on the port, as
# ssh would run it, and the port is closed after it (the relay hangs up
# the sender). By ITEM:
#   python-*  LIBXL_CONVERT_HELPER is Xen's own Python converter
#   kill      our converter is killed in the middle of the stream (once it
#             has read a quarter of the guest's memory: watch_converter)
#   cut       the relay is killed in the middle of the stream (link.py)
#   done      the sender has finished (answered with E2E-BYE)
# Marks on the e2e.stamp port, which this machine times:
#   E2E receive ITEM GUEST start | end rc=RC
#   E2E received ITEM PASS|FAIL SECONDS DETAIL   this end's verdict
OUT=$1
. /e2e/settings
. /e2e/common.sh
. /e2e/dom0-link.sh
LOGDIR=/var/log/xen/console
XEN_PY=$XEN_BIN/convert-legacy-stream.xen-python
BOUNDED_KILL='(^|/)xl migrate-receive|(^|/)(libxl-save-helper|convert-legacy-stream)|convert-legacy-stream\.xen-python'

stamp_start || exit 1
mark "receiver up: $(xl info 2>/dev/null | awk '$1 == "xen_version" {print "Xen " $3}')"
LINK=$(port e2e.link) || { mark "received - FAIL 0 no virtio-serial port e2e.link"; exit 1; }

received() { ri=$1 rv=$2 rt=$3; shift 3; mark "received $ri $rv $(secs "$rt") $*"; }
domains() { xl list 2>/dev/null | awk 'NR > 2 {printf "%s ", $1}'; }

# watch_converter ITEM GUEST: which converter libxl runs (its command line,
# first seen, in /tmp/converter) and, for ITEM kill, kill it (kill -9) in
# the middle of the stream: once it has read 24 MiB (/proc/PID/io's rchar)
# or the incoming guest holds 24 of its 96 MiB. What it saw, every 2 s, in
# OUT/ITEM.watch.log.
watch_converter() {
    exec 3>&- # not the port: only the receiver's xl may hold it open
    i=0
    while [ $i -lt 1800 ]; do
        # (pidof, not procs: a look must cost the dom0 next to nothing.
        # Xen's converter runs as python3.)
        pid=$(pidof convert-legacy-stream python3 | cut -d' ' -f1)
        if [ -n "$pid" ]; then
            [ -s /tmp/converter ] || tr '\0' ' ' < "/proc/$pid/cmdline" > /tmp/converter 2>/dev/null
            read_bytes=$(sed -n 's/^rchar: //p' "/proc/$pid/io" 2>/dev/null)
            mem=""
            [ "$1" = kill ] && mem=$(xl list 2>/dev/null | awk -v n="$2--incoming" '$1 == n {print $3}')
            [ $((i % 4)) = 0 ] && echo "$(secs "$t0") s: converter $pid read ${read_bytes:-?} bytes; $2--incoming ${mem:-not listed} MiB" >> "$OUT/$1.watch.log"
            if [ "$1" = kill ] && { [ "${read_bytes:-0}" -ge 25165824 ] || [ "${mem:-0}" -ge 24 ]; }; then
                kill -9 "$pid" && echo "killed the converter ($pid) once it had read $read_bytes bytes, the guest holding ${mem:-?} MiB here; " > /tmp/killed
                return
            fi
        fi
        sleep 0.5
        i=$((i + 1))
    done
}

# receive_on_link: xl migrate-receive on the port (fd 3), its messages in
# the session's log. (A function: bounded runs it in the background, where
# a command's standard input would be /dev/null.)
# fd 3 itself is closed for xl: the domain's monitor, which xl leaves
# running, must not hold the port open.
receive_on_link() { xl migrate-receive <&3 >&3 3>&-; }

# gone_here GUEST: no domain, device model or xl process of the guest
# (waits up to 20 s: libxl tears a failed domain down as it exits).
gone_here() {
    i=0
    while [ $i -lt 100 ]; do
        left="$(xl list 2>/dev/null | awk -v n="$1" '$1 == n || $1 == n "--incoming" {printf "domain %s ", $1}')$(procs 'qemu-system|(^|/)xl ' | cut -d' ' -f2- | sed 's/^/process /' | tr '\n' ' ')"
        [ -z "$left" ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}

session() {
    item=$1 g=$2
    log=$OUT/$item.receive.log
    follow "$g" "$LOGDIR/guest-$g.log" "$LOGDIR/guest-$g--incoming.log"
    rm -f /tmp/killed /tmp/converter
    t0=$(now)
    mark "receive $item $g start"
    watch_converter "$item" "$g" &
    wp=$!
    case $item in
    python-*)
        LIBXL_CONVERT_HELPER=$XEN_PY PYTHONPATH=${XEN_BIN%/bin}/lib/python \
            bounded 900 receive_on_link 2> "$log"
        ;;
    *) bounded 900 receive_on_link 2> "$log" ;;
    esac
    rc=$?
    mark "receive $item $g end rc=$rc"
    kill "$wp" 2> /dev/null
    ran="converter: $(cut -c1-160 /tmp/converter 2>/dev/null || echo 'none seen')"
    exec 3<&- # the hang-up the sender reads
    said=$(grep -v '^ *$' "$log" | tail -n 1)
    case $item in
    cut | kill)
        if [ $rc -eq 0 ]; then
            received "$item" FAIL "$t0" "xl migrate-receive succeeded; the fault did not happen$([ -f /tmp/killed ] || echo ' (the converter was not killed)')"
            xl destroy "$g" > /dev/null 2>&1
            return
        fi
        if [ "$item" = cut ]; then
            # Our converter's one line, which libxl's log carries.
            why=$(grep -m 1 -i 'stream truncated' "$log")
            want="the converter's truncation error"
        else
            why=$(grep -m 1 -i 'died\|fatal signal\|killed' "$log")
            want="libxl saying its converter died"
        fi
        if ! gone_here "$g"; then
            received "$item" FAIL "$t0" "[left-behind] after the failed migration this host still has: $left"
        elif [ -z "$why" ]; then
            received "$item" FAIL "$t0" "[log] xl migrate-receive exited $rc, but its log lacks $want; it ends: $(tail -n 3 "$log" | tr '\n' ' ' | cut -c1-300)"
        else
            received "$item" PASS "$t0" "exited $rc; nothing left of the guest here; $(cat /tmp/killed 2>/dev/null)log: $why; $ran"
        fi
        ;;
    *)
        if [ $rc -ne 0 ]; then
            received "$item" FAIL "$t0" "[receive] xl migrate-receive exited $rc: $said"
        elif ! xl domid "$g" > /dev/null 2>&1; then
            received "$item" FAIL "$t0" "[no-domain] xl migrate-receive succeeded but there is no domain $g (domains: $(domains))"
        elif ! wait_more_counts "$g" 10 60; then
            received "$item" FAIL "$t0" "[not-resumed] the guest does not count here (seen: $(counts "$g" | head -n 3 | tr '\n' ' '))"
        else
            received "$item" PASS "$t0" "the guest counts here from $(counts "$g" | head -n 1); $ran"
        fi
        # Room for the next one.
        timeout 60 xl destroy "$g" > /dev/null 2>&1
        ;;
    esac
}

while :; do
    exec 3<> "$LINK"
    tag="" item="" g=""
    read -r tag item g <&3
    case $tag in
    E2E-SESSION)
        if [ "$item" = "done" ]; then
            echo E2E-BYE >&3
            break
        fi
        session "$item" "$g"
        sleep 3 # the relay has hung up (1.5 s after the close) before this end opens again
        ;;
    *)
        # Nothing yet (this machine's end not connected reads as end of file).
        exec 3<&-
        sleep 0.5
        ;;
    esac
done
# The FIFOs no console log came through (init copies the logs).
for f in "$LOGDIR"/*; do [ -p "$f" ] && rm -f "$f"; done
mark "receiver done"
