#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, ASan and UBSan, and runs each for a
# bounded time on its seed corpus (tests/fuzz/corpus/<target>/). New inputs the fuzzer finds go
# to a scratch corpus in the build directory, never into the source tree; a crash leaves its
# input as <build>/crashes/<target>/crash-* and makes the script fail.
#
#   tools/run-fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
#   SWITCHBOARD_FUZZ_BUILD_DIR=... to choose the build directory (default build-fuzz)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SWITCHBOARD_FUZZ_BUILD_DIR:-$top/build-fuzz}
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(agentframe browserframe adminrequest jwt httprequest events)
fi

command -v clang++ >/dev/null || { echo "run-fuzz.sh: clang++ is needed (apt-get install clang)" >&2; exit 2; }
CC=clang CXX=clang++ cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSWITCHBOARD_FUZZ=ON -DSWITCHBOARD_BUILD_TESTS=OFF -DSWITCHBOARD_BUILD_CONSOLE=OFF \
    -DSWITCHBOARD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --parallel "${SWITCHBOARD_FUZZ_JOBS:-2}" --target "${targets[@]/#/fuzz_}"

# Qt's own code is not instrumented; leaks of Qt's global statics at exit are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export QT_QPA_PLATFORM=offscreen
status=0
for target in "${targets[@]}"; do
    seeds="$top/tests/fuzz/corpus/$target"
    scratch="$build/corpus/$target"
    crashes="$build/crashes/$target"
    mkdir -p "$scratch" "$crashes"
    echo "== fuzz_$target for ${seconds}s (seeds: $seeds)"
    if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
            "$scratch" "$seeds" 2>"$build/fuzz_$target.log"; then
        echo "fuzz_$target FAILED; see $build/fuzz_$target.log and $crashes/" >&2
        tail -40 "$build/fuzz_$target.log" >&2
        status=1
    else
        grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)" "$build/fuzz_$target.log" || true
    fi
done
exit $status
