# shellcheck shell=sh disable=SC1091,SC2034 # busybox sh in the old host's dom0
# The sending end of the two-host migration (e2e/migrate/two-hosts.sh), run
# by oldhost_init's /init as /oldhost/run OUT on Xen 4.5: for each item of
# PLAN, create the counter guest (or keep the one a failed migration left
# running), let it count, and `xl migrate` it to the new host over the link.
# Every step is a mark on the e2e.stamp port, which this machine times:
#   E2E migrate ITEM GUEST start | end rc=RC   around xl migrate
#   E2E sent ITEM PASS|FAIL SECONDS DETAIL     the sender's verdict
# An item named cut or kill must fail and leave the guest running here;
# any other must leave no guest here.
OUT=$1
. /oldhost/settings
. /oldhost/common.sh
. /oldhost/dom0-link.sh
LOGDIR=/var/log/xen
# What a migration that timed out leaves.
BOUNDED_KILL='(^|/)xl (create|migrate) |link-send|(^|/)(libxl-save-helper|xc_save)( |$)'

stamp_start || exit 1
mark "sender up: Xen $VERSION"

# listed NAME: NAME's line in xl list (empty when there is none).
listed() { xl list 2>/dev/null | awk -v n="$1" '$1 == n'; }

# sent ITEM VERDICT START DETAIL...
sent() { si=$1 sv=$2 st=$3; shift 3; mark "sent $si $sv $(secs "$st") $*"; }

# new_guest NAME: created and counting; WHY says what failed.
new_guest() {
    cat > "/tmp/$1.cfg" << CFG
name = "$1"
kernel = "/oldhost/vmlinuz"
ramdisk = "/oldhost/guest.cpio"
extra = "console=hvc0 quiet"
memory = 96
maxmem = 96
vcpus = 1
CFG
    follow "$1" "$LOGDIR/guest-$1.log"
    if ! bounded 120 xl create "/tmp/$1.cfg" > "$OUT/$1.create.log" 2>&1; then
        WHY="xl create: $(tail -n 2 "$OUT/$1.create.log" | tr '\n' ' ')"
        return 1
    fi
    # 3 s of counting (30 counts), so that the guest is busy when it goes.
    if ! wait_more_counts "$1" 30 180; then
        WHY="fewer than 30 counts within 180 s of the create (seen: $(counts "$1" | tail -n 3 | tr '\n' ' '))"
        return 1
    fi
}

# link_idle: no session of the link is still ending (link-send waits for
# the relay's hang-up before it exits), 20 s at most.
link_idle() {
    i=0
    while [ -n "$(procs '/oldhost/link-send ')" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
}

migrate_one() {
    item=$1 g=$2
    link_idle
    t0=$(now)
    mark "migrate $item $g start"
    bounded 900 xl migrate -s "/oldhost/link-send $item $g" "$g" newhost > "$OUT/$item.migrate.log" 2>&1
    rc=$?
    mark "migrate $item $g end rc=$rc"
    said=$(grep -v '^ *$' "$OUT/$item.migrate.log" | tail -n 1)
    case $item in
    cut | kill)
        # The old host takes its guest back and it counts on.
        if [ $rc -eq 0 ]; then
            sent "$item" FAIL "$t0" "xl migrate succeeded; the fault did not happen"
        elif [ -z "$(listed "$g")" ]; then
            sent "$item" FAIL "$t0" "xl migrate exited $rc and the guest is gone here: $said"
        elif ! wait_more_counts "$g" 10 60; then
            sent "$item" FAIL "$t0" "xl migrate exited $rc; the guest is listed but does not count on (last: $(counts "$g" | tail -n 1))"
        else
            sent "$item" PASS "$t0" "xl migrate exited $rc ($said); the guest counts on here at $(counts "$g" | tail -n 1)"
        fi
        ;;
    *)
        if [ $rc -ne 0 ]; then
            sent "$item" FAIL "$t0" "xl migrate exited $rc: $said"
        elif [ -n "$(listed "$g")$(listed "$g--migratedaway")" ]; then
            sent "$item" FAIL "$t0" "xl migrate succeeded but this host still lists the guest"
        else
            sent "$item" PASS "$t0" "$said; this host no longer lists the guest"
        fi
        ;;
    esac
}

prev=""
for item in $PLAN; do
    case $item in
    *-rerun) g=$prev ;; # the guest the failed migration left here
    *)
        g=mg-$item
        t0=$(now)
        if ! new_guest "$g"; then
            sent "$item" FAIL "$t0" "[create] $WHY"
            xl destroy "$g" > /dev/null 2>&1
            continue
        fi
        ;;
    esac
    prev=$g
    if [ -z "$g" ] || [ -z "$(listed "$g")" ]; then
        sent "$item" FAIL "$(now)" "[no-guest] no guest here to migrate again"
        continue
    fi
    migrate_one "$item" "$g"
done
# The receiver's last session: it stops listening, and says so before this
# end closes (a session the sender ends may end before the receiver has
# read it).
link_idle
if dev=$(port e2e.link); then
    exec 5<> "$dev"
    printf 'E2E-SESSION done -\n' >&5
    read -t 120 -r bye <&5
    exec 5<&-
    [ "$bye" = E2E-BYE ] || mark "the receiver did not answer the last session (read: ${bye:-nothing})"
fi
xl list > "$OUT/list-after.txt" 2>&1
# The FIFOs no console log came through (init copies the logs).
for f in "$LOGDIR"/*; do [ -p "$f" ] && rm -f "$f"; done
mark "sender done"
