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
# Sets LAST, the last count before the save.
boot_and_save() {
    t0=$(now)
    if ! xl create "$3" > "$OUT/$1-create.log" 2>&1; then
        result "$1-create" FAIL "$t0" "xl create: $(tail -n 2 "$OUT/$1-create.log" | tr '\n' ' ')"
        return 1
    fi
    arg=$2
    [ "$1" = hvm ] && arg=$(domid_of "$2")
    if ! wait_counts "$1" "$arg" 3 180; then
        result "$1-create" FAIL "$t0" "the guest did not count (console: $(tail -c 300 "$LOGDIR"/guest-*.log 2>/dev/null | tr '\n' ' '))"
        return 1
    fi
    result "$1-create" INFO "$t0" "booted and counting"
    t0=$(now)
    if ! xl save "$2" "$4" > "$OUT/$1-save.log" 2>&1; then
        result "$1-save" FAIL "$t0" "xl save: $(tail -n 2 "$OUT/$1-save.log" | tr '\n' ' ')"
        return 1
    fi
    LAST=$(${1}_counts "$arg" | tail -n 1)
    result "$1-save" INFO "$t0" "saved at count $LAST, $(wc -c < "$4") bytes"
    clear_pv_logs
}

# legacy KIND FRONT: make the legacy image KIND-FRONT.legacy from KIND.save.
legacy() {
    t0=$(now)
    if [ "$E2E_FROM_SAVED" != 1 ]; then
        result "$1-from-saved-$2" FAIL "$t0" "generate-legacy-stream has no --from-saved"
        return 1
    fi
    if ! from_saved "$1.save" "$2" "$1-$2.legacy" > "$OUT/$1-from-saved-$2.log" 2>&1; then
        result "$1-from-saved-$2" FAIL "$t0" "$(tail -n 2 "$OUT/$1-from-saved-$2.log" | tr '\n' ' ')"
        return 1
    fi
    md5sum "$1-$2.legacy" >> "$OUT/legacy.md5"
    result "$1-from-saved-$2" INFO "$t0" "$(wc -c < "$1-$2.legacy") bytes"
}

# by_hand KIND NAME LAST SUFFIX CONVERTER-ARGS...: convert, then xl restore.
by_hand() {
    kind=$1 g=$2 last=$3 n=$1-hand-$4
    shift 4
    t0=$(now)
    if ! "$CONV" -i "$kind-xl-json.legacy" -o "$n.save" "$@" > "$OUT/$n-convert.log" 2>&1; then
        result "$n" FAIL "$t0" "convert-legacy-stream $*: $(tail -n 2 "$OUT/$n-convert.log" | tr '\n' ' ')"
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
xend_restore() {
    "$CONV" --auto -f libxl -i pv-xend.legacy -o pv-xend.save --config-out "$OUT/pv-xend.cfg" &&
        xl restore pv-xend.save
}

# HVM xend: the image's device model state is qemu-dm's, and Debian's 4.17
# has no qemu-traditional. The converter must say so when it converts, and
# xl restore must then fail the way that note predicts (and no guest runs).
xend_hvm_predicted() {
    t0=$(now)
    if ! "$CONV" --auto -f libxl -i hvm-xend.legacy -o hvm-xend.save \
        --config-out "$OUT/hvm-xend.cfg" > "$OUT/hvm-xend-convert.log" 2>&1; then
        result hvm-xend FAIL "$t0" "convert: $(tail -n 2 "$OUT/hvm-xend-convert.log" | tr '\n' ' ')"
        return
    fi
    if ! grep -q 'needs a Xen built with qemu-traditional' "$OUT/hvm-xend-convert.log"; then
        result hvm-xend FAIL "$t0" "the converter gave no qemu-traditional note"
        return
    fi
    # Whatever the restore does, it may leave the domain (named as the
    # translated config names it) behind; the next scenario wants none.
    name=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$OUT/hvm-xend.cfg")
    if timeout 150 xl restore hvm-xend.save > "$OUT/hvm-xend-restore.log" 2>&1; then
        destroy "$name"
        result hvm-xend FAIL "$t0" "xl restore succeeded, against the prediction"
        return
    fi
    destroy "$name"
    if grep -q 'qemu-dm.*not executable' "$OUT/hvm-xend-restore.log"; then
        result hvm-xend PASS "$t0" "the note was given and xl failed as predicted: $(grep -m1 'qemu-dm' "$OUT/hvm-xend-restore.log" | cut -c1-160)"
    else
        result hvm-xend FAIL "$t0" "xl failed otherwise: $(tail -n 2 "$OUT/hvm-xend-restore.log" | tr '\n' ' ')"
    fi
}

verify_saved() { # verify_saved KIND: ours accepts what Xen 4.17 saved.
    t0=$(now)
    if "$VERIFY" -f xl -i "$1.save" > "$OUT/$1-verify.log" 2>&1; then
        result "$1-verify" PASS "$t0" "verify-stream-v2 -f xl accepts Xen 4.17's image"
    else
        result "$1-verify" FAIL "$t0" "$(tail -n 2 "$OUT/$1-verify.log" | tr '\n' ' ')"
    fi
}

run_kind() { # run_kind pv|hvm NAME
    kind=$1 g=$2
    boot_and_save "$kind" "$g" "/e2e/$kind.cfg" "$kind.save" || return
    last=$LAST
    ln "$kind.save" "$OUT/$kind.save"
    t0=$(now); restored "$kind-native" "$t0" "$kind" "$g" "$last" xl restore "$kind.save"
    verify_saved "$kind"
    legacy "$kind" xl-json || return
    by_hand "$kind" "$g" "$last" x -x -f libxl -w 64 -g "$kind"
    by_hand "$kind" "$g" "$last" auto --auto -f libxl
    by_hand "$kind" "$g" "$last" v3 -x -f libxl -w 64 -g "$kind" --stream-version 3
    t0=$(now); restored "$kind-libxl-file" "$t0" "$kind" "$g" "$last" xl restore "$kind-xl-json.legacy"
    t0=$(now); restored "$kind-libxl-pipe" "$t0" "$kind" "$g" "$last" restore_pipe "$kind-xl-json.legacy"
    t0=$(now); restored "$kind-migrate" "$t0" "$kind" "$g" "$last" migrate "$kind"
    if [ "$kind" = pv ]; then
        t0=$(now); restored pv-libxl-helper-env "$t0" pv "$g" "$last" restore_pipe_helper pv-xl-json.legacy
        if ! grep -q -- '--in [0-9]* --out [0-9]* --width 64 --guest pv --format libxl' "$OUT/helper-args.txt" 2>/dev/null; then
            result pv-libxl-helper-env FAIL "$t0" "LIBXL_CONVERT_HELPER was not run as expected: $(cat "$OUT/helper-args.txt" 2>/dev/null)"
        fi
        if legacy pv xl-text; then
            t0=$(now); restored pv-libxl-file-xl-text "$t0" pv "$g" "$last" xl restore pv-xl-text.legacy
        fi
        if legacy pv xend; then
            t0=$(now); restored pv-xend "$t0" pv "$g" "$last" xend_restore
        fi
    fi
    if [ "$kind" = hvm ] && legacy hvm xend; then
        xend_hvm_predicted
    fi
    rm -f "$kind"-*.legacy
}

# The xl.cfg files from e2e/collect-xl-configs.sh: the real xl must accept each.
xl_configs() {
    [ -d /e2e/xl-configs ] || return 0
    t0=$(now) bad=0 all=0 why=""
    for f in /e2e/xl-configs/*.cfg; do
        [ -e "$f" ] || continue
        all=$((all + 1))
        if ! xl -N create "$f" > "$OUT/xl-configs-$(basename "$f").log" 2>&1; then
            bad=$((bad + 1))
            why="$why; $(basename "$f"): $(grep -v '^ *$' "$OUT/xl-configs-$(basename "$f").log" | tail -n 2 | tr '\n' ' ')"
        fi
    done
    if [ $bad -eq 0 ] && [ $all -gt 0 ]; then
        result xl-configs PASS "$t0" "xl accepts all $all configs"
    else
        result xl-configs FAIL "$t0" "xl refuses $bad of $all$why"
    fi
}

run_kind pv e2epv
[ "$E2E_PV_ONLY" = 1 ] || run_kind hvm e2ehvm
xl_configs
