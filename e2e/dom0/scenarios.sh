# scenarios.sh OUTDIR, run by dom0's init: every scenario of the end-to-end
# test, each judged by the guest counting on from where it was saved. One
# line per scenario goes to OUTDIR/results.txt; the images Xen saved go to
# OUTDIR too, for the checks run.sh makes on the host.
OUT=$1
. /e2e/settings
. /e2e/lib.sh
cd /root || exit 1

# from_saved SAVED FRONT OUT: the legacy image that Xen 4.5 (xl-json), 4.4
# (xl-text) or xend (xend) would have written for the same guest.
# xl-text gets the guest's xl.cfg (4.17 saved its config as JSON).
from_saved() {
    if [ "$2" = xl-text ]; then
        generate-legacy-stream --from-saved "$1" --front "$2" --config "/e2e/${1%.save}.cfg" -o "$3"
    else
        generate-legacy-stream --from-saved "$1" --front "$2" -o "$3"
    fi
}

# boot_and_save KIND NAME CFG SAVED: create the guest, let it count, save it.
# Sets LAST, the last count before the save; on failure, SKIP (why the
# guest's other scenarios cannot run). Before any converter has run, a
# guest can fail under emulation for a reason of Xen's or QEMU's own: Xen
# shut it down by itself before its save (a crash or a reboot, which xl's
# log of it names), or it counted and then stopped (its clock stopped, or
# its vCPU: stalled says which). Such a guest is created again, once, and
# the row says why; any other failure is final.
boot_and_save() {
    kind=$1 g=$2 retried=""
    for try in 1 2; do
        create_count_save "$@" && break
        why=$(shut_down_by_itself "$2")
        [ -z "$why" ] && [ "$STAGE" = create ] && why=$(stalled "$1" "$2")
        if [ -z "$why" ] || [ $try = 2 ]; then
            [ -n "$why" ] && STAGE_CAUSE=guest-died STAGE_DETAIL="$STAGE_DETAIL; $why"
            fail "$1-$STAGE" "$STAGE_T0" "$STAGE_CAUSE" "$STAGE_DETAIL$retried"
            SKIP="$1-$STAGE failed"
            destroy "$2"
            return 1
        fi
        destroy "$2"
        retried=" (retried: $why)"
    done
    LAST=$(${1}_counts "$arg" | tail -n 1)
    result "$1-save" INFO "$STAGE_T0" "saved at count $LAST, $(wc -c < "$4") bytes$retried"
    clear_pv_logs
}

# create_count_save KIND NAME CFG SAVED: one try of boot_and_save's work. On
# failure sets STAGE (create, save), STAGE_T0, STAGE_CAUSE and STAGE_DETAIL.
create_count_save() {
    STAGE=create STAGE_T0=$(now) STAGE_CAUSE=create
    cfg=$3
    if [ "$try" = 1 ] && [ "$1" = hvm ] && [ "${E2E_TRIPLE_FAULT:-0}" = 1 ]; then
        cfg=/tmp/triple-fault.cfg
        triple_fault_cfg "$3" > "$cfg"
    fi
    attempt "$1-create" 240 xl create "$cfg"
    if [ $RC -ne 0 ]; then
        STAGE_DETAIL="xl create: $(last_lines "$OUT/$1-create.log")$NOTE"
        return 1
    fi
    arg=$2
    [ "$1" = hvm ] && arg=$(domid_of "$2")
    if ! wait_counts "$1" "$arg" 3 180; then
        STAGE_DETAIL="the guest did not count within 180 s (seen: $(${1}_counts "$arg" | tr '\n' ' '))$NOTE"
        return 1
    fi
    result "$1-create" INFO "$STAGE_T0" "booted and counting$NOTE"
    STAGE=save STAGE_T0=$(now) STAGE_CAUSE=save
    attempt "$1-save" 240 xl save "$2" "$4"
    if [ $RC -ne 0 ]; then
        STAGE_DETAIL="xl save: $(last_lines "$OUT/$1-save.log")"
        return 1
    fi
}

# triple_fault_cfg CFG: CFG with a disk whose boot sector triple-faults at
# once (an empty IDT, then int3), the way the counter guest sometimes does
# under nested emulation. E2E_TRIPLE_FAULT=1 (run.sh passes it on) makes
# the HVM guest's first create boot it, to show the create's retry.
triple_fault_cfg() {
    img=/tmp/triple-fault.img
    dd if=/dev/zero of="$img" bs=1024 count=1024 2> /dev/null
    # cli; lidt [0x7c10] (6 zero bytes: limit 0); int3; jmp $
    printf '\372\017\001\036\020\174\314\353\376' | dd of="$img" conv=notrunc 2> /dev/null
    printf '\125\252' | dd of="$img" bs=1 seek=510 conv=notrunc 2> /dev/null
    sed "s|target=[^\"]*\"|target=$img\"|" "$1"
}

# shut_down_by_itself NAME: what xl's log of the guest and Xen say when Xen
# shut it down for a reason of its own (not 2, the suspend of a save);
# nothing otherwise.
shut_down_by_itself() {
    line=$(grep -m 1 'has shut down, reason code' "/var/log/xen/xl-$1.log" 2>/dev/null)
    case $line in
        "" | *"reason code 2 "*) return 0 ;;
    esac
    echo "the guest shut down by itself before its save: $line; Xen: $(xen_crash_lines)"
}

# legacy KIND FRONT: make the legacy image KIND-FRONT.legacy from KIND.save.
legacy() {
    t0=$(now)
    if [ "$E2E_FROM_SAVED" != 1 ]; then
        fail "$1-from-saved-$2" "$t0" generate "generate-legacy-stream has no --from-saved"
        SKIP="generate-legacy-stream has no --from-saved"
        return 1
    fi
    attempt "$1-from-saved-$2" 120 from_saved "$1.save" "$2" "$1-$2.legacy"
    if [ $RC -ne 0 ]; then
        fail "$1-from-saved-$2" "$t0" generate "$(last_lines "$OUT/$1-from-saved-$2.log")"
        SKIP="$1-from-saved-$2 failed"
        return 1
    fi
    md5sum "$1-$2.legacy" >> "$OUT/legacy.md5"
    result "$1-from-saved-$2" INFO "$t0" "$(wc -c < "$1-$2.legacy") bytes"
}

# by_hand ROW KIND NAME LAST INPUT CONVERTER-ARGS...: convert INPUT, then
# xl restore; one row, ROW.
by_hand() {
    n=$1 kind=$2 g=$3 last=$4 input=$5
    shift 5
    t0=$(now)
    attempt "$n-convert" 120 "$CONV" -i "$input" -o "$n.save" "$@"
    if [ $RC -ne 0 ]; then
        fail "$n" "$t0" convert "convert-legacy-stream $*: $(last_lines "$OUT/$n-convert.log")"
        return
    fi
    restored "$n" "$t0" "$kind" "$g" "$last" xl restore "$n.save"
    rm -f "$n.save"
}

# The LIBXL_CONVERT_HELPER wrapper: notes how libxl ran it, then runs ours.
cat > /root/helper-wrapper <<EOW
#!/bin/sh
echo "\$0 \$*" >> $OUT/helper-args.txt
exec $CONV "\$@"
EOW
chmod +x /root/helper-wrapper

restore_pipe() { cat "$1" | xl restore /proc/self/fd/0; }
restore_pipe_helper() { cat "$1" | LIBXL_CONVERT_HELPER=/root/helper-wrapper xl restore /proc/self/fd/0; }

# migrate KIND NAME: xl migrate-receive, fed by an old host's xl migrate.
# (Called through bounded: a side that stops answering is killed there.)
migrate() {
    rm -f /tmp/mig.to /tmp/mig.from
    mkfifo /tmp/mig.to /tmp/mig.from
    xl migrate-receive < /tmp/mig.to > /tmp/mig.from 2> "$OUT/$1-migrate-receive.log" &
    rpid=$!
    sh /e2e/migrate-sender.sh "$1-xl-json.legacy" /tmp/mig.to /tmp/mig.from
    rc=$?
    wait $rpid || { echo "xl migrate-receive failed: $(tail -n 2 "$OUT/$1-migrate-receive.log")"; rc=1; }
    return $rc
}

# xend: the xm save image becomes an xl save image with the translated
# configuration, which the real xl then parses to restore.
# xend_restore [IMAGE ROW]: pv-xend.legacy by default.
xend_restore() {
    xin=${1:-pv-xend.legacy} xrow=${2:-pv-xend}
    "$CONV" --auto -f libxl -i "$xin" -o "$xrow.save" --config-out "$OUT/$xrow.cfg" &&
        xl restore "$xrow.save"
    rc=$?
    rm -f "$xrow.save"
    return $rc
}

# HVM xend: the image's device model state is qemu-dm's, and Debian's Xen
# (4.17, 4.20) has no qemu-traditional. The converter must say so when it
# converts, and xl restore must then fail the way that note predicts (and no
# guest runs).
xend_hvm_predicted() {
    t0=$(now)
    attempt hvm-xend-convert 120 "$CONV" --auto -f libxl -i hvm-xend.legacy -o hvm-xend.save \
        --config-out "$OUT/hvm-xend.cfg"
    if [ $RC -ne 0 ]; then
        fail hvm-xend "$t0" convert "convert: $(last_lines "$OUT/hvm-xend-convert.log")"
        return
    fi
    if ! grep -q 'needs a Xen built with qemu-traditional' "$OUT/hvm-xend-convert.log"; then
        fail hvm-xend "$t0" convert "the converter gave no qemu-traditional note"
        return
    fi
    # Whatever the restore does, it may leave the domain (named as the
    # translated config names it) behind; the next scenario wants none.
    name=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$OUT/hvm-xend.cfg")
    if bounded 150 xl restore hvm-xend.save > "$OUT/hvm-xend-restore.log" 2>&1; then
        destroy "$name"
        fail hvm-xend "$t0" restore "xl restore succeeded, against the prediction"
        return
    fi
    destroy "$name"
    if grep -q 'qemu-dm.*not executable' "$OUT/hvm-xend-restore.log"; then
        result hvm-xend PASS "$t0" "the note was given and xl failed as predicted: $(grep -m1 'qemu-dm' "$OUT/hvm-xend-restore.log" | cut -c1-160)"
    else
        fail hvm-xend "$t0" restore "xl failed otherwise: $(last_lines "$OUT/hvm-xend-restore.log")"
    fi
    rm -f hvm-xend.save
}

verify_saved() { # verify_saved KIND: ours accepts what Xen saved.
    t0=$(now)
    attempt "$1-verify" 120 "$VERIFY" -f xl -i "$1.save"
    if [ $RC -eq 0 ]; then
        result "$1-verify" PASS "$t0" "verify-stream-v2 -f xl accepts Xen's image"
    else
        fail "$1-verify" "$t0" verify "$(last_lines "$OUT/$1-verify.log")"
    fi
}

# The scenarios each guest runs, in order; the PASS or FAIL rows. The short
# set (E2E_SET=short, for the second new host) restores each guest through
# libxl with nothing set, and the xend image. A guest whose create, save or
# legacy image fails gets a FAIL row for each of its scenarios that could
# not run, naming why (skip_rest).
plan() {
    case $1-${E2E_SET:-full} in
        pv-full) echo "pv-native pv-verify pv-hand-x pv-hand-auto pv-hand-v3 pv-libxl-file pv-libxl-pipe pv-migrate pv-libxl-helper-env pv-libxl-file-xl-text pv-xend" ;;
        hvm-full) echo "hvm-native hvm-verify hvm-hand-x hvm-hand-auto hvm-hand-v3 hvm-libxl-file hvm-libxl-pipe hvm-migrate hvm-xend" ;;
        pv-short) echo "pv-libxl-file pv-xend" ;;
        hvm-short) echo "hvm-libxl-file" ;;
    esac
}
wanted() { case " $(plan "$kind") " in *" $1 "*) return 0 ;; esac; return 1; }

# skip_rest KIND WHY: a FAIL row for each of KIND's scenarios with no row.
skip_rest() {
    for s in $(plan "$1"); do
        grep -q "^[A-Z]* $s " "$OUT/results.txt" 2>/dev/null && continue
        result "$s" FAIL "$(now)" "[skipped] not run: $2"
    done
}

run_kind() { # run_kind pv|hvm NAME
    SKIP="an earlier step of this guest failed"
    run_steps "$@"
    skip_rest "$1" "$SKIP"
    rm -f "$1"-*.legacy "$1".save
}

run_steps() {
    kind=$1 g=$2
    boot_and_save "$kind" "$g" "/e2e/$kind.cfg" "$kind.save" || return
    last=$LAST
    ln "$kind.save" "$OUT/$kind.save"
    if wanted "$kind-native"; then
        t0=$(now); restored "$kind-native" "$t0" "$kind" "$g" "$last" xl restore "$kind.save"
    fi
    wanted "$kind-verify" && verify_saved "$kind"
    legacy "$kind" xl-json || return
    if wanted "$kind-hand-x"; then
        by_hand "$kind-hand-x" "$kind" "$g" "$last" "$kind-xl-json.legacy" -x -f libxl -w 64 -g "$kind"
        by_hand "$kind-hand-auto" "$kind" "$g" "$last" "$kind-xl-json.legacy" --auto -f libxl
        by_hand "$kind-hand-v3" "$kind" "$g" "$last" "$kind-xl-json.legacy" \
            -x -f libxl -w 64 -g "$kind" --stream-version 3
    fi
    t0=$(now); restored "$kind-libxl-file" "$t0" "$kind" "$g" "$last" xl restore "$kind-xl-json.legacy"
    if wanted "$kind-libxl-pipe"; then
        t0=$(now); restored "$kind-libxl-pipe" "$t0" "$kind" "$g" "$last" restore_pipe "$kind-xl-json.legacy"
        t0=$(now); restored "$kind-migrate" "$t0" "$kind" "$g" "$last" migrate "$kind"
    fi
    if wanted pv-libxl-helper-env; then
        t0=$(now); restored pv-libxl-helper-env "$t0" pv "$g" "$last" restore_pipe_helper pv-xl-json.legacy
        if ! grep -q -- '--in [0-9]* --out [0-9]* --width 64 --guest pv --format libxl' "$OUT/helper-args.txt" 2>/dev/null; then
            # The restore passed or failed above; this row says why it fails.
            sed -i '/^PASS pv-libxl-helper-env /d' "$OUT/results.txt"
            fail pv-libxl-helper-env "$t0" helper-args "LIBXL_CONVERT_HELPER was not run as expected: $(cat "$OUT/helper-args.txt" 2>/dev/null)"
        fi
    fi
    if wanted pv-libxl-file-xl-text && legacy pv xl-text; then
        t0=$(now); restored pv-libxl-file-xl-text "$t0" pv "$g" "$last" xl restore pv-xl-text.legacy
    fi
    if wanted pv-xend && legacy pv xend; then
        t0=$(now); restored pv-xend "$t0" pv "$g" "$last" xend_restore
    fi
    if wanted hvm-xend && legacy hvm xend; then
        xend_hvm_predicted
    fi
}

# The images the old hosts wrote themselves (e2e/oldhost/save-guests.sh:
# Xen 4.5.5 and 4.4.4 with xl, 4.4.4 with xend), on the second disk as a
# tar archive of ID.save, ID.facts (what the old host knew of the guest,
# saved_count among it) and ID.cfg (the guest's config there). Taken out one
# image at a time: dom0's memory holds one beside its own.
OLD=/root/old
old_ids() { [ -b /dev/vdb ] && tar -tf /dev/vdb 2>/dev/null | sed -n 's/\.facts$//p'; }

# old_plan ID: the rows of one old image.
old_plan() {
    if grep -q '^tool=xend' "$OLD/$1.facts" 2>/dev/null; then
        echo "old-$1-xend"
    else
        echo "old-$1-libxl-file old-$1-libxl-pipe old-$1-hand-auto old-$1-hand-x"
    fi
}

old_setup() {
    mkdir -p "$OLD"
    for id in $(old_ids); do
        tar -xf /dev/vdb -C "$OLD" "$id.facts" "$id.cfg" 2>/dev/null
    done
}

# run_old: every old image restored every way a user or libxl would: libxl
# from a file and a pipe (our converter at libxl's path, nothing set), by
# hand with --auto and with -w 64 -g pv -x; an xm save image through the
# converter's xend front. Each passes only when the guest counts on past the
# count at which the old host saved it.
run_old() {
    for id in $(old_ids); do
        saved_count="" tool="" name="" kind=""
        . "$OLD/$id.facts"
        [ -n "$kind" ] || kind=pv
        g=$name
        [ -n "$g" ] || g=$(sed -n 's/^ *name *= *["'"'"']\([^"'"'"']*\)["'"'"'].*/\1/p' "$OLD/$id.cfg" | head -n 1)
        # The kernel and ramdisk the old host booted the guest from: a restore
        # loads neither, but give their paths a file, as the old host had.
        for f in $(sed -n 's/^ *\(kernel\|ramdisk\) *= *["'"'"']\([^"'"'"']*\)["'"'"'].*/\2/p' "$OLD/$id.cfg"); do
            [ -e "$f" ] || { mkdir -p "$(dirname "$f")"; ln -s /e2e/vmlinuz "$f"; }
        done
        # An HVM guest's disk: the same payload, where the old host had it.
        for f in $(sed -n 's/.*target=\([^",]*\).*/\1/p' "$OLD/$id.cfg"); do
            [ -e "$f" ] || { mkdir -p "$(dirname "$f")"; cp /e2e/hvm.img "$f"; }
        done
        t0=$(now)
        if [ -z "$g" ] || [ -z "$saved_count" ] ||
            ! timeout 120 tar -xf /dev/vdb -C "$OLD" "$id.save" 2>"$OUT/old-$id-extract.log"; then
            for r in $(old_plan "$id"); do
                fail "$r" "$t0" setup "the old image $id: no name, no saved count or no image ($(last_lines "$OUT/old-$id-extract.log"))"
            done
            continue
        fi
        img=$OLD/$id.save
        if [ "$tool" = xend ]; then
            t0=$(now); restored "old-$id-xend" "$t0" pv "$g" "$saved_count" xend_restore "$img" "old-$id-xend"
        else
            t0=$(now); restored "old-$id-libxl-file" "$t0" "$kind" "$g" "$saved_count" xl restore "$img"
            t0=$(now); restored "old-$id-libxl-pipe" "$t0" "$kind" "$g" "$saved_count" restore_pipe "$img"
            by_hand "old-$id-hand-auto" "$kind" "$g" "$saved_count" "$img" --auto -f libxl
            by_hand "old-$id-hand-x" "$kind" "$g" "$saved_count" "$img" -x -f libxl -w 64 -g "$kind"
        fi
        rm -f "$img"
    done
}

# The xl.cfg files from e2e/collect-xl-configs.sh: the real xl must accept each.
xl_configs() {
    [ -d /e2e/xl-configs ] || return 0
    t0=$(now) bad=0 all=0 why=""
    for f in /e2e/xl-configs/*.cfg; do
        [ -e "$f" ] || continue
        all=$((all + 1))
        if ! timeout 60 xl -N create "$f" > "$OUT/xl-configs-$(basename "$f").log" 2>&1; then
            bad=$((bad + 1))
            why="$why; $(basename "$f"): $(last_lines "$OUT/xl-configs-$(basename "$f").log")"
        fi
    done
    if [ $bad -eq 0 ] && [ $all -gt 0 ]; then
        result xl-configs PASS "$t0" "xl accepts all $all configs"
    else
        g="" kind=""
        fail xl-configs "$t0" xl-configs "xl refuses $bad of $all$why"
    fi
}

# stress_hvm N: create, count and save the HVM guest N times (run.sh
# --stress-hvm N), each cycle a row, to hunt failures of that path; each
# cycle then restores Xen's own image E2E_STRESS_RESTORES times (run.sh
# --stress-restores R; no converter runs), a row each.
stress_hvm() {
    p=""
    restores=$(seq 1 "${E2E_STRESS_RESTORES:-0}" 2>/dev/null)
    for c in $(seq 1 "$1"); do
        p="$p hvm-cycle-$c"
        for r in $restores; do p="$p hvm-cycle-$c-restore-$r"; done
    done
    echo "PLAN$p" >> "$OUT/results.txt"
    for c in $(seq 1 "$1"); do
        ct0=$(now)
        if boot_and_save hvm e2ehvm /e2e/hvm.cfg hvm.save; then
            result "hvm-cycle-$c" PASS "$ct0" "created, counted and saved at $LAST$NOTE"
            for r in $restores; do
                t0=$(now); restored "hvm-cycle-$c-restore-$r" "$t0" hvm e2ehvm "$LAST" xl restore hvm.save
            done
        else
            result "hvm-cycle-$c" FAIL "$ct0" "[cycle] see hvm-create or hvm-save above"
            for r in $restores; do
                result "hvm-cycle-$c-restore-$r" FAIL "$ct0" "[skipped] hvm-cycle-$c failed"
            done
        fi
        destroy e2ehvm
        rm -f hvm.save
        sed -i '/^\(INFO\|FAIL\) hvm-\(create\|save\) /s/^\([A-Z]*\) hvm-\([a-z]*\)/\1 hvm-\2-'"$c"'/' "$OUT/results.txt"
        [ -f "$OUT/diag/hvm-create.txt" ] && mv "$OUT/diag/hvm-create.txt" "$OUT/diag/hvm-create-$c.txt"
        [ -f "$OUT/diag/hvm-save.txt" ] && mv "$OUT/diag/hvm-save.txt" "$OUT/diag/hvm-save-$c.txt"
    done
}
if [ "${E2E_STRESS_HVM:-0}" -gt 0 ]; then
    stress_hvm "$E2E_STRESS_HVM"
    exit 0
fi

KINDS=pv
[ "$E2E_PV_ONLY" = 1 ] || KINDS="pv hvm"
# The whole plan first, so that run.sh can name what a dead dom0 never ran.
PLANNED=""
for k in $KINDS; do PLANNED="$PLANNED $(plan "$k")"; done
old_setup
for id in $(old_ids); do PLANNED="$PLANNED $(old_plan "$id")"; done
[ -d /e2e/xl-configs ] && [ "${E2E_SET:-full}" = full ] && PLANNED="$PLANNED xl-configs"
echo "PLAN$PLANNED" >> "$OUT/results.txt"
echo "e2e: PLAN$PLANNED" > /dev/hvc0
run_kind pv e2epv
[ "$E2E_PV_ONLY" = 1 ] || run_kind hvm e2ehvm
run_old
[ "${E2E_SET:-full}" = full ] && xl_configs
