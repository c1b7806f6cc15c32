#!/usr/bin/env bash
# Writes every xl.cfg this project produces into OUTDIR, for the end-to-end
# harness (e2e/run.sh) to hand to `xl -N create` inside a real Xen dom0.
#
#   bash e2e/collect-xl-configs.sh OUTDIR BINDIR
#
# BINDIR holds the built release tools (convert-legacy-stream,
# generate-legacy-stream). OUTDIR gets:
#
#   preset-NAME-wWIDTH.cfg  each `generate-legacy-stream --xend` preset, both
#                           toolstack widths, as `convert-legacy-stream
#                           --config-out` writes its translation
#   fixture-NAME.cfg        each record in Tests/Fixtures/xend (records as xend
#                           wrote them; the tests read the same files) put at
#                           the front of an xm save image of its guest type,
#                           then converted the same way
#   example-NAME.cfg        the xm save images in examples/
#   test-HASH.cfg           every xl.cfg the translation tests make: `swift
#                           test` of the xend suites with XEND_XL_CONFIG_DUMP
#                           set (see Tests/TestSupport/XendFixtures.swift);
#                           skipped with XL_COLLECT_SKIP_TESTS=1 or when no
#                           swift is found
#
# The paths in the configurations (kernels, ramdisks, disk targets, pygrub)
# do not exist in the harness's dom0, and need not: `xl -N create` parses
# the file and prints the domain configuration it built, then stops. In Xen
# 4.17, create_domain() (tools/xl/xl_vmcontrol.c) returns right after
# printing the configuration when dry-run is set, before libxl creates
# anything, and parse_config_data() (tools/xl/xl_parse.c) only copies those
# strings: it makes no access(), stat() or open() on them, and the disk
# specifications are parsed by libxlu's lexer alone. So no path is
# rewritten and no dummy file is made.
#
# Exit status: 0 when every configuration was written, 1 when any step
# failed (the failing command's message is on stderr).
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: bash e2e/collect-xl-configs.sh OUTDIR BINDIR" >&2
    exit 2
fi
out=$1
bin=$2
root=$(cd "$(dirname "$0")/.." && pwd)
convert="$bin/convert-legacy-stream"
generate="$bin/generate-legacy-stream"
for tool in "$convert" "$generate"; do
    [ -x "$tool" ] || { echo "collect-xl-configs: $tool is not an executable" >&2; exit 1; }
done
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The xl.cfg an xm save image translates to (a dry run reads it all, writes
# nothing but the config).
translate() {
    local image=$1 cfg=$2
    if ! "$convert" --auto --dry-run -i "$image" --config-out "$cfg" 2>"$work/stderr"; then
        cat "$work/stderr" >&2
        echo "collect-xl-configs: converting $image failed" >&2
        return 1
    fi
    # An HVM image's one-line qemu-traditional note is expected; anything else is not.
    if grep -v "^Note: this HVM guest's device model state is qemu-dm's" "$work/stderr" >&2; then
        echo "collect-xl-configs: unexpected messages converting $image" >&2
        return 1
    fi
}

presets="pv-kernel pv-pygrub hvm-windows hvm-linux"
for preset in $presets; do
    for width in 32 64; do
        "$generate" --xend "$preset" --width "$width" --pages 16 --seed 1 -o "$work/$preset-$width.xm-save"
        translate "$work/$preset-$width.xm-save" "$out/preset-$preset-w$width.cfg"
    done
done

# A big-endian uint32, as xend wrote the config length.
be32() {
    local n=$1
    printf "\\$(printf '%03o' $((n >> 24 & 255)))\\$(printf '%03o' $((n >> 16 & 255)))"
    printf "\\$(printf '%03o' $((n >> 8 & 255)))\\$(printf '%03o' $((n & 255)))"
}

# A fixture record in place of a preset's record: the signature, the new
# length and record, then the preset image's legacy stream unchanged.
for record in "$root"/Tests/Fixtures/xend/*.sxp; do
    name=$(basename "$record" .sxp)
    case $name in
    hvm-*) like="$work/hvm-linux-64.xm-save" ;;
    *) like="$work/pv-kernel-64.xm-save" ;;
    esac
    old=$(od -An -tu4 --endian=big -j16 -N4 "$like" | tr -d ' ')
    {
        printf 'LinuxGuestRecord'
        be32 "$(stat -c %s "$record")"
        cat "$record"
        tail -c +$((21 + old)) "$like"
    } >"$work/$name.xm-save"
    translate "$work/$name.xm-save" "$out/fixture-$name.cfg"
done

for image in "$root"/examples/*.save; do
    head -c 16 "$image" | grep -q '^LinuxGuestRecord$' || continue
    translate "$image" "$out/example-$(basename "$image" .save).cfg"
done

if [ "${XL_COLLECT_SKIP_TESTS:-0}" != 1 ]; then
    swift=$(command -v swift || true)
    [ -n "$swift" ] || [ ! -x /opt/swift/usr/bin/swift ] || swift=/opt/swift/usr/bin/swift
    if [ -n "$swift" ]; then
        # The xend suites (XendConfigTests; the library's xend image tests):
        # every translation they make.
        (cd "$root" && XEND_XL_CONFIG_DUMP="$out" timeout 1800 "$swift" test \
            --filter 'XendConfigTests|XenMigrationTests\.(Xend|SXP)' >"$work/swift-test.log" 2>&1) || {
            tail -n 40 "$work/swift-test.log" >&2
            echo "collect-xl-configs: the xend tests failed" >&2
            exit 1
        }
    else
        echo "collect-xl-configs: no swift found; the tests' own configurations are not collected" >&2
    fi
fi

echo "collect-xl-configs: $(ls "$out"/*.cfg | wc -l) configurations in $out"
