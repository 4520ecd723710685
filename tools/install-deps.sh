#!/usr/bin/env bash
# Installs the Debian 12 packages Switchboard needs to build, test and run. Safe to run again:
# it only calls apt when something is missing. Set SWITCHBOARD_SERVER_ONLY=1 to skip the console's
# Widgets/Charts packages, the test-only servers and clang for fuzzing.
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config
          qt6-base-dev qt6-websockets-dev libqt6sql6-sqlite libqt6sql6-psql libhiredis-dev)
if [ "${SWITCHBOARD_SERVER_ONLY:-0}" != 1 ]; then
    # Console (Widgets, Charts, translations, the SVG icon plugin) and the real servers the tests start on loopback.
    packages+=(libgl-dev qt6-charts-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools libqt6svg6
               redis-server postgresql)
    # The fuzz stage of tools/run-tests.sh: libFuzzer ships with clang's runtime libraries.
    packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
