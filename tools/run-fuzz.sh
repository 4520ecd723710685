#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, ASan and UBSan, and runs each for a
# bounded time on its seed corpus (tests/fuzz/corpus/<target>/). New inputs the fuzzer finds go
# to a scratch corpus in the build directory, never into the source tree; a crash leaves its
# input as <build>/crashes/<target>/crash-* and makes the script fail.
#
#   tools/run-fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#       (default $SWITCHBOARD_FUZZ_SECONDS or 60 s, every target)
#   SWITCHBOARD_FUZZ_BUILD_DIR=... to choose the build directory (default build-fuzz)
#   SWITCHBOARD_FUZZ_JOBS=N fuzzers at a time (default: one per core)
# The fuzz stage of tools/run-tests.sh (what CI runs) is this script.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SWITCHBOARD_FUZZ_BUILD_DIR:-$top/build-fuzz}
seconds=${1:-${SWITCHBOARD_FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(agentframe browserframe adminrequest jwt httprequest events wsframes)
fi

command -v clang++ >/dev/null || { echo "run-fuzz.sh: clang++ is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
CC=clang CXX=clang++ cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSWITCHBOARD_FUZZ=ON -DSWITCHBOARD_BUILD_TESTS=OFF -DSWITCHBOARD_BUILD_CONSOLE=OFF \
    -DSWITCHBOARD_BUILD_BENCH=OFF -DSWITCHBOARD_WERROR=ON >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}"

# libFuzzer checks for leaks after every input that allocated more than it freed; the same
# third-party suppressions as the sanitizer test run apply.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/sanitizers/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export QT_QPA_PLATFORM=offscreen
# One fuzzer process per core: libFuzzer is single-threaded.
jobs=${SWITCHBOARD_FUZZ_JOBS:-$(nproc)}
fuzz_one() {
    local target=$1
    local seeds="$top/tests/fuzz/corpus/$target" scratch="$build/corpus/$target" crashes="$build/crashes/$target"
    rm -rf "$crashes"
    mkdir -p "$scratch" "$crashes"
    "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
        "$scratch" "$seeds" >"$build/fuzz_$target.log" 2>&1
}
report() {
    local target=$1 result=$2 crashes="$build/crashes/$1"
    if [ "$result" -ne 0 ]; then
        echo "fuzz_$target FAILED ($result); see $build/fuzz_$target.log and $crashes/" >&2
        tail -60 "$build/fuzz_$target.log" >&2
        # The input, so that a CI log alone is enough to reproduce it (the file stays in $crashes).
        for input in "$crashes"/*; do
            [ -f "$input" ] || continue
            echo "-- $input ($(stat -c %s "$input") bytes; reproduce: $build/tests/fuzz/fuzz_$target FILE), base64:" >&2
            base64 "$input" | head -c 20000 >&2
            echo >&2
        done
        status=1
    else
        echo "== fuzz_$target: $(grep -E '^stat::number_of_executed_units' "$build/fuzz_$target.log" || true)"
    fi
}
status=0
declare -A running=()
for target in "${targets[@]}"; do
    while [ ${#running[@]} -ge "$jobs" ]; do
        wait -n -p done_pid && result=0 || result=$?
        report "${running[$done_pid]}" "$result"
        unset "running[$done_pid]"
    done
    echo "== fuzz_$target for ${seconds}s (seeds: tests/fuzz/corpus/$target)"
    fuzz_one "$target" &
    running[$!]=$target
done
while [ ${#running[@]} -gt 0 ]; do
    wait -n -p done_pid && result=0 || result=$?
    report "${running[$done_pid]}" "$result"
    unset "running[$done_pid]"
done
exit $status
