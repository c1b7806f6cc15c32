# shellcheck shell=sh disable=SC1091,SC2046,SC2317 # busybox sh in dom0; the functions wait_for runs; pids split on purpose
# dom0's part of save-guests.sh (busybox sh, run by oldhost_init's /init as
# /oldhost/run OUT): create each guest /oldhost/guests names, let the counter
# guest count, save it with the old host's own toolstack, and write
# OUT/NAME.save, NAME.facts, NAME.cfg (or NAME.fail with what was seen).
# /oldhost/guests: one guest a line, "NAME TOOL VCPUS MEMORY_MIB TARGET_MIB
# KIND" (TOOL xl or xend, KIND pv or hvm); /oldhost/settings: VERSION. Every
# wait is bounded.
OUT=$1
. /oldhost/settings
LOGDIR=/var/log/xen
RC=0

. /oldhost/common.sh
# What a save that timed out leaves: what it ran to save (not the xl
# processes that watch the guests `xl create` started).
BOUNDED_KILL='(^|/)(libxl-save-helper|xc_save)( |$)'
say() { echo "save-guests: $* ($(cut -d' ' -f1 /proc/uptime) s)" | tee -a "$OUT/dom0-steps.log" > /dev/hvc0; }

# The counts guest NAME printed on its console, complete lines only (a line
# the save cut has no newline yet), in order; an HVM guest's, on Xen's debug
# port (xl dmesg), by the domid it was created with.
counts() {
    if [ "$kind" = hvm ]; then
        [ -n "$domid" ] && xl dmesg 2>/dev/null | sed -n "s/.*(d$domid) count \([0-9][0-9]*\).*/\1/p"
        return 0
    fi
    f=$LOGDIR/guest-$1.log
    [ -f "$f" ] || return 0
    head -n "$(wc -l < "$f")" "$f" | tr -d '\r' | sed -n 's/^count \([0-9][0-9]*\)$/\1/p'
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds (every 0.5 s); not
# past SECONDS, nor once the guest $name is gone (GONE=1 then: it crashed).
wait_for() {
    wlimit=$(($(now) + $1 * 100))
    shift
    GONE=0
    until "$@"; do
        [ "$(now)" -gt "$wlimit" ] && return 1
        if [ -z "$(listed "$name" 1)" ] && sleep 1 && [ -z "$(listed "$name" 1)" ]; then
            GONE=1
            return 1
        fi
        sleep 0.5
    done
}
# why: what a failed wait_for saw of the guest.
why() { [ $GONE = 1 ] && echo "the guest is gone (it crashed: see its console)" || echo "xl list: $(tool_list 2>/dev/null | awk -v n="$name" '$1 == n' | tr -s ' ')"; }
has_counts() { [ "$(counts "$1" | wc -l)" -ge "$2" ]; }

tool_list() { if [ "$tool" = xend ]; then xm list; else xl list; fi; }
# A column of guest NAME's line in `xl list` / `xm list` (3 Mem, 4 VCPUs).
listed() { tool_list 2>/dev/null | awk -v n="$1" -v c="$2" '$1 == n {print $c}'; }
mem_at_most() { m=$(listed "$1" 3); [ -n "$m" ] && [ "$m" -le "$2" ]; }
vcpus_are() { [ "$(listed "$1" 4)" = "$2" ]; }

# failed NAME WHAT: NAME.fail with what was seen, and one line on the console.
failed() {
    {
        echo "$2"
        echo "-- domains"; tool_list 2>&1
        echo "-- guest console (tail)"; tail -n 8 "$LOGDIR/guest-$1.log" 2>/dev/null | tr -d '\r'
        [ "$kind" = hvm ] && { echo "-- device model log (tail)"; tail -n 12 "$LOGDIR/qemu-dm-$1.log" 2>/dev/null; }
        echo "-- xl dmesg (tail)"; xl dmesg 2>/dev/null | tail -n 15
        echo "-- dom0 kernel (tail)"; dmesg 2>/dev/null | tail -n 5
        echo "-- dom0 memory: $(free -m 2>/dev/null | awk '/Mem:/ {print $3 " MiB used, " $4 " MiB free"}')"
        [ "$tool" = xend ] && { echo "-- xend.log (tail)"; tail -n 15 $LOGDIR/xend.log 2>/dev/null; }
    } > "$OUT/$1.fail" 2>&1
    say "FAIL $1: $2; console: $(tail -n 2 "$LOGDIR/guest-$1.log" 2>/dev/null | tr -d '\r' | tr '\n' ' ')"
    RC=1
    $xtool destroy "$1" > /dev/null 2>&1
}

xend_started=0
start_xend() {
    [ $xend_started = 1 ] && return 0
    t=$(now)
    # xl refuses to modify domains while xend runs: the xl guests come first.
    xend start > "$OUT/xend-start.log" 2>&1
    if ! wait_for 180 sh -c 'xm list > /dev/null 2>&1'; then
        say "xend: xm list does not answer after 180 s: $(tail -n 3 "$OUT/xend-start.log" $LOGDIR/xend.log 2>/dev/null | tr '\n' ' ' | cut -c1-300)"
        return 1
    fi
    xend_started=1
    say "xend up in $(secs "$t") s"
}

save_guest() {
    name=$1 tool=$2 vcpus=$3 mem=$4 target=$5 kind=${6:-pv} domid=
    xtool=xl
    [ "$tool" = xend ] && xtool=xm
    if [ "$tool" = xend ] && ! start_xend; then
        failed "$name" "xend did not start"
        return
    fi
    t=$(now)
    if ! bounded 120 $xtool create "/oldhost/$name.cfg" > "$OUT/$name.create.log" 2>&1; then
        failed "$name" "$xtool create failed: $(tail -n 2 "$OUT/$name.create.log" | tr '\n' ' ')"
        return
    fi
    create_s=$(secs "$t")
    domid=$(xl domid "$name" 2>/dev/null)
    if ! wait_for 120 has_counts "$name" 1; then
        failed "$name" "no count on the console within 120 s of the create; $(why)"
        return
    fi
    first_s=$(secs "$t")
    if ! wait_for 60 vcpus_are "$name" "$vcpus"; then
        failed "$name" "not $vcpus vCPUs online after 60 s; $(why)"
        return
    fi
    [ "$tool" = xl ] && xl vcpu-list "$name" > "$OUT/$name.vcpu-list.txt" 2>&1
    balloon_s=
    if [ "$target" != "$mem" ]; then
        tb=$(now)
        if ! bounded 60 $xtool mem-set "$name" "${target}m" > "$OUT/$name.mem-set.log" 2>&1; then
            failed "$name" "$xtool mem-set $name ${target}m failed: $(tail -n 2 "$OUT/$name.mem-set.log" | tr '\n' ' ')"
            return
        fi
        # The balloon driver has given the pages back when the domain's
        # pages (xl list's Mem) are down to the target.
        # (within 2 MiB: xl list's Mem is tot_pages, which may keep a few
        # pages above the target; the facts say what it showed)
        if ! wait_for 120 mem_at_most "$name" $((target + 2)); then
            failed "$name" "the balloon did not come down to $target MiB within 120 s; $(why)"
            return
        fi
        balloon_s=$(secs "$tb")
    fi
    # Counting for a while (at least 8 counts), so that the guest is busy.
    if ! wait_for 60 has_counts "$name" 8; then
        failed "$name" "fewer than 8 counts within 60 s; $(why)"
        return
    fi
    listed_mib=$(listed "$name" 3)
    online=$(listed "$name" 4)
    tool_list > "$OUT/$name.list-before-save.txt" 2>&1
    ts=$(now)
    if ! bounded 300 $xtool save "$name" "$OUT/$name.save" > "$OUT/$name.save.log" 2>&1; then
        failed "$name" "$xtool save failed: $(tail -n 2 "$OUT/$name.save.log" | tr '\n' ' ')"
        rm -f "$OUT/$name.save"
        return
    fi
    save_s=$(secs "$ts")
    # xenconsoled logs what the guest wrote before it was suspended.
    sleep 1
    last=$(counts "$name" | tail -n 1)
    if listed "$name" 1 | grep -q .; then
        failed "$name" "the guest still runs after $xtool save"
        return
    fi
    bytes=$(wc -c < "$OUT/$name.save")
    cp "/oldhost/$name.cfg" "$OUT/$name.cfg"
    if [ "$kind" = hvm ]; then
        xl dmesg 2>/dev/null | grep "(d$domid)" > "$OUT/$name.console.log"
    else
        cp "$LOGDIR/guest-$name.log" "$OUT/$name.console.log" 2>/dev/null
    fi
    cat > "$OUT/$name.facts" << EOF
host=$VERSION
tool=$tool
kind=$kind
width=64
vcpus=$online
memory_mib=$mem
target_mib=$target
listed_mib=$listed_mib
saved_count=$last
bytes=$bytes
save_seconds=$save_s
create_seconds=$create_s
first_count_seconds=$first_s
balloon_seconds=$balloon_s
EOF
    say "saved $name: $bytes bytes in $save_s s at count $last (created in $create_s s, counting after $first_s s${balloon_s:+, ballooned to $listed_mib MiB in $balloon_s s})"
}

# (fd 3: nothing the tools run reads the list)
while read -r n tl v m tg k <&3; do
    [ -n "$n" ] || continue
    save_guest "$n" "$tl" "$v" "$m" "$tg" "$k" < /dev/null
done 3< /oldhost/guests
tool=xl
xl list > "$OUT/list-after.txt" 2>&1
exit $RC
