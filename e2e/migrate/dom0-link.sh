# shellcheck shell=sh
# Sourced by both ends of the two-host migration (busybox sh in dom0, after
# common.sh): the virtio-serial ports this machine joins, and the lines
# dom0 sends it to be timed on its clock.
#   e2e.link   xl's migration stream (link.py relay joins the two hosts')
#   e2e.stamp  dom0's marks and the guests' consoles (link.py stamp)

# port NAME: the device of virtio-serial port NAME (no udev here, so no
# /dev/virtio-ports/NAME link: the name is in sysfs).
port() {
    for p in /sys/class/virtio-ports/*; do
        [ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && { echo "/dev/${p##*/}"; return 0; }
    done
    return 1
}

# stamp_start: every line written to $STAMP reaches the e2e.stamp port. The
# FIFO is held open read-write by its reader, so no writer ends it.
STAMP=/tmp/stamp.fifo
stamp_start() {
    i=0
    while ! sdev=$(port e2e.stamp) && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    [ -n "$sdev" ] || { echo "no virtio-serial port e2e.stamp" > /dev/hvc0; return 1; }
    mkfifo "$STAMP"
    sh -c "exec 3<> $STAMP; exec cat <&3 > $sdev" > /dev/null 2>&1 &
}

# mark WORDS...: one line, "E2E WORDS" (one write: lines never interleave).
mark() { echo "E2E $*" > "$STAMP"; echo "e2e: $*" > /dev/hvc0; }

# follow GUEST LOGNAME...: the guest's console lines, as xenconsoled logs
# them, sent as "GUEST LINE" the moment they are written (the log is a FIFO
# that xenconsoled opens; a file would need polling) and kept in
# /tmp/GUEST.console. LOGNAMEs: the names xenconsoled may give its log.
follow() {
    fg=$1
    shift
    : > "/tmp/$fg.console"
    for f in "$@"; do
        rm -f "$f"
        mkfifo "$f"
        (exec 3>&- # (the receiver's link port: a follower must not hold it open)
        while IFS= read -r l; do
            echo "$l" >> "/tmp/$fg.console"
            echo "$fg $l"
        done < "$f" > "$STAMP"; rm -f "$f") > /dev/null 2>&1 &
    done
}

# counts GUEST: the guest's counts so far, in order.
counts() { tr -d '\r' < "/tmp/$1.console" 2>/dev/null | sed -n 's/^count \([0-9][0-9]*\)$/\1/p'; }

# wait_more_counts GUEST N SECONDS: until the guest has N counts more than it
# had at the call.
wait_more_counts() {
    wbase=$(counts "$1" | wc -l)
    wlimit=$(($(now) + $3 * 100))
    while [ "$(counts "$1" | wc -l)" -lt $((wbase + $2)) ]; do
        [ "$(now)" -gt "$wlimit" ] && return 1
        sleep 0.2
    done
}
