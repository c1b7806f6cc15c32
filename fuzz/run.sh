#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS (default 60), one
# after the other. Fails on any crash, leak, timeout or out-of-memory, and
# first replays every saved regression input.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      targets: convert verify io sxp (default: all)
#
# Environment: FUZZ_SCRATCH (SwiftPM scratch path, default .build-fuzzers),
# FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d /opt/swift/usr/bin ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(convert verify io sxp); fi
scratch=${FUZZ_SCRATCH:-.build-fuzzers}

# libFuzzer and the sanitizers' runtimes ship with the Swift toolchain (its
# own clang resource directory); nothing to install, but say so if missing.
resource_dir=$(dirname "$(command -v swiftc)")/../lib/clang
if ! ls "$resource_dir"/*/lib/linux/libclang_rt.fuzzer-*.a > /dev/null 2>&1; then
    echo "fuzz/run.sh: this Swift toolchain has no libFuzzer runtime under $resource_dir" >&2
    exit 2
fi

# The library and FuzzSupport (how an input's first byte selects options,
# shared with the tests that replay seeds and findings), instrumented:
# coverage for libFuzzer, AddressSanitizer.
build=(swift build --scratch-path "$scratch" --target FuzzSupport -c release
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -g)
"${build[@]}"
bin=$("${build[@]}" --show-bin-path)
modulemap="$scratch/checkouts/swift-system/Sources/CSystem/include/module.modulemap"
# The library's C shim (splice, F_SETPIPE_SZ): SwiftPM writes its module map.
platform_modulemap="$bin/CXenPlatform.build/module.modulemap"
# The targets use the package's `package` declarations, so they are
# compiled as part of the package: under the name SwiftPM gave its modules
# (from the checkout's directory name), read from its build manifest.
package_name=$(grep -o '"-module-name","FuzzSupport"[^]]*' "$scratch/release.yaml" \
    | grep -o '"-package-name","[^"]*"' | head -n 1 | cut -d '"' -f 4)
[ -n "$package_name" ] || { echo "fuzz/run.sh: no -package-name for FuzzSupport in $scratch/release.yaml" >&2; exit 2; }
mkdir -p fuzz/work/bin
for target in "${targets[@]}"; do
    # fuzz/targets/FuzzNAME.swift, NAME matched without regard to case (sxp: FuzzSXP.swift).
    entry=$(find fuzz/targets -maxdepth 1 -iname "Fuzz${target}.swift" | head -n 1)
    [ -n "$entry" ] && [ "$entry" != fuzz/targets/FuzzMode.swift ] || { echo "fuzz/run.sh: no target '$target'" >&2; exit 2; }
    # ld.gold warns about ASan's local symbols; harmless, so filtered out.
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -package-name "$package_name" "$entry" \
        -I "$bin/Modules" -Xcc -fmodule-map-file="$modulemap" \
        -Xcc -fmodule-map-file="$platform_modulemap" -Xcc -I -Xcc Sources/CXenPlatform/include \
        "$bin"/FuzzSupport.build/*.o "$bin"/XenMigration{,Format,IO,Convert,Verify,Diagnosis}.build/*.o "$bin"/XendConfig.build/*.o "$bin"/XenHost.build/*.o "$bin"/CXenPlatform.build/*.o \
        "$bin"/SystemPackage.build/*.o "$bin"/CSystem.build/*.o \
        -o "fuzz/work/bin/$target" 2>&1 | { grep -v "Cannot export local symbol '__asan" || true; }
done

# ASan keeps freed memory in quarantine (256 MB by default), which would
# count against the RSS limit; a small quarantine still catches
# use-after-free of recent allocations.
export ASAN_OPTIONS="quarantine_size_mb=16:detect_leaks=1:malloc_context_size=20:${ASAN_OPTIONS:-}"

# Memory: no single allocation over 64 MiB (the tools' bound) and the whole
# fuzzer process, with libFuzzer's corpus and ASan's shadow, under 160 MiB.
flags=(-timeout=10 -rss_limit_mb=160 -malloc_limit_mb=64 -print_final_stats=1)

status=0
for target in "${targets[@]}"; do
    regressions="Tests/Fixtures/regression/$target"
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        echo "== $target: replaying $(ls "$regressions" | wc -l) regression inputs"
        "fuzz/work/bin/$target" "${flags[@]}" "$regressions"/* || status=1
    fi
    echo "== $target: fuzzing for ${seconds}s"
    mkdir -p "fuzz/work/corpus/$target" "fuzz/artifacts/$target"
    # New inputs go to the first directory (fuzz/work, not committed).
    # shellcheck disable=SC2086
    "fuzz/work/bin/$target" "${flags[@]}" -max_total_time="$seconds" \
        -artifact_prefix="fuzz/artifacts/$target/" ${FUZZ_ARGS:-} \
        "fuzz/work/corpus/$target" "fuzz/corpus/$target" || status=1
done
if [ $status -ne 0 ]; then
    echo "fuzz/run.sh: a target failed; reproducers are in fuzz/artifacts/" >&2
fi
exit $status
