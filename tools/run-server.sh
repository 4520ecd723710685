#!/usr/bin/env bash
# The README's first command: installs what is missing, builds the server and starts it on
# 127.0.0.1:8080 with the embedded SQLite database. Extra arguments go to switchboard-server.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
SWITCHBOARD_SERVER_ONLY=1 "$top/tools/install-deps.sh"
build=${SWITCHBOARD_BUILD_DIR:-$top/build-server}
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSWITCHBOARD_BUILD_CONSOLE=OFF -DSWITCHBOARD_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target switchboard-server switchboard-agent
exec "$build/server/switchboard-server" "$@"
