#!/usr/bin/env bash
# The README's second command (and what CI runs): installs what is missing, builds everything with
# warnings as errors and runs the whole test suite with CTest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/install-deps.sh"
build=${SWITCHBOARD_BUILD_DIR:-$top/build}
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSWITCHBOARD_WERROR=ON \
      -DSWITCHBOARD_BUILD_CONSOLE=ON -DSWITCHBOARD_BUILD_TESTS=ON
cmake --build "$build" --parallel "$(nproc)"
export QT_QPA_PLATFORM=offscreen
cd "$build"
ctest --output-on-failure --parallel "$(nproc)" --timeout 300 "$@"
