#!/usr/bin/env bash
# The README's second command (and what CI runs): installs what is missing, builds everything with
# warnings as errors and runs the whole test suite with CTest; then the same suite again in a
# second build directory under AddressSanitizer, LeakSanitizer and UBSan; then every libFuzzer
# target for a bounded time. Any failure, sanitizer finding or fuzzer crash fails the script.
#
#   SWITCHBOARD_CI_STAGES="tests asan fuzz"   the stages to run, in this order (default: all three)
#   SWITCHBOARD_FUZZ_SECONDS=60               time per fuzz target
#   SWITCHBOARD_BUILD_DIR, SWITCHBOARD_ASAN_BUILD_DIR, SWITCHBOARD_FUZZ_BUILD_DIR
#                                             build directories (default build, build-asan, build-fuzz)
# Extra arguments go to the first stage's ctest (e.g. `tools/run-tests.sh -R gateway`).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
stages=" ${SWITCHBOARD_CI_STAGES:-tests asan fuzz} "
for stage in $stages; do
    case $stage in
        tests | asan | fuzz) ;;
        *) echo "run-tests.sh: unknown stage '$stage' in SWITCHBOARD_CI_STAGES (tests asan fuzz)" >&2; exit 2 ;;
    esac
done
"$top/tools/install-deps.sh"
export QT_QPA_PLATFORM=offscreen
started=$SECONDS
stage_times=()
finish_stage() { stage_times+=("$1 $((SECONDS - $2))s"); echo "== run-tests.sh: $1 passed in $((SECONDS - $2)) s" >&2; }

if [[ $stages == *" tests "* ]]; then
    begin=$SECONDS
    build=${SWITCHBOARD_BUILD_DIR:-$top/build}
    cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSWITCHBOARD_WERROR=ON \
          -DSWITCHBOARD_BUILD_CONSOLE=ON -DSWITCHBOARD_BUILD_TESTS=ON
    cmake --build "$build" --parallel "$(nproc)"
    (cd "$build" && ctest --output-on-failure --parallel "$(nproc)" --timeout 300 "$@")
    finish_stage tests "$begin"
fi

if [[ $stages == *" asan "* ]]; then
    # The whole suite, console included, with ASan + LSan + UBSan. The sanitizer options (any
    # finding aborts the test; LSan suppressions for third-party libraries only, in
    # tests/sanitizers/lsan.supp) and the longer timeouts are CTest properties of this build
    # (tests/CMakeLists.txt), so `ctest` in build-asan behaves the same when run by hand. -g1 (line
    # tables only) is enough for the reports' stack traces and compiles noticeably faster.
    begin=$SECONDS
    build=${SWITCHBOARD_ASAN_BUILD_DIR:-$top/build-asan}
    cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSWITCHBOARD_WERROR=ON \
          -DSWITCHBOARD_BUILD_CONSOLE=ON -DSWITCHBOARD_BUILD_TESTS=ON -DSWITCHBOARD_SANITIZE=ON \
          -DCMAKE_CXX_FLAGS_DEBUG=-g1
    cmake --build "$build" --parallel "$(nproc)"
    (cd "$build" && ctest --output-on-failure --parallel "$(nproc)")
    finish_stage asan "$begin"
fi

if [[ $stages == *" fuzz "* ]]; then
    begin=$SECONDS
    "$top/tools/run-fuzz.sh" "${SWITCHBOARD_FUZZ_SECONDS:-60}"
    finish_stage fuzz "$begin"
fi
echo "== run-tests.sh: all passed in $((SECONDS - started)) s (${stage_times[*]})" >&2
