#!/usr/bin/env bash
# One connect run against our server and one against the gorilla-hub peer, each started fresh,
# with the CPU time each server spent (from /proc/PID/stat): the "quick connect runs" of
# docs/BENCHMARKS.md. Usage:
#   bench/connect-cpu.sh [BUILD_DIR] [N]     (BUILD_DIR as for compare.sh; N browsers, 10000)
# Environment: SERVER_ARGS (extra options for our server, e.g. "--token-cache-size 0"),
#   PEER_BIN [/tmp/gorilla-hub], PEER_DIR, OUR_PORT [18411], PEER_PORT [18412].
# To count syscalls per connection instead, run `strace -c -f -p <server pid>` during a run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-/work/build-bench-release}
n=${2:-10000}
server_bin=$build/server/switchboard-server
bench_bin=$build/bench/switchboard-bench
peer_dir=${PEER_DIR:-$root/../shared/peers/gorilla-hub}
[ -d "$peer_dir" ] || peer_dir=/work/shared/peers/gorilla-hub
peer_bin=${PEER_BIN:-/tmp/gorilla-hub}
our_port=${OUR_PORT:-18411}
peer_port=${PEER_PORT:-18412}
# shellcheck source=bench/common.sh
. "$here/common.sh"
require_binaries "$server_bin" "$bench_bin"
ensure_peer "$peer_dir" "$peer_bin"

# Both the servers and the tool hold one descriptor per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

data=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT

ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
# run LABEL PID ARGS...: one connect run, then its rate and the server's CPU seconds.
run() {
    local label=$1 pid=$2
    shift 2
    local before line
    before=$(cpu_seconds "$pid")
    line=$("$bench_bin" connect -n "$n" "$@" | tail -n 1)
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); b=float(sys.argv[2]); a=float(sys.argv[3])
print("%s: %.0f connects/s, failures %d, p99 %s ms, server CPU %.2f s" % (sys.argv[4], d["connects_per_s"], d["failures"], d["connect_p99_ms"], a - b))' \
        "$line" "$before" "$(cpu_seconds "$pid")" "$label"
}

key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
# shellcheck disable=SC2086 # SERVER_ARGS is a list of options
"$server_bin" --listen 127.0.0.1:"$our_port" --data-dir "$data" --bootstrap-key "$key" \
    --log-level warning ${SERVER_ARGS:-} >"$data/server.log" 2>&1 &
our_pid=$!
pids+=("$our_pid")
wait_port "$our_port"
token=$("$server_bin" --data-dir "$data" token issue --user bench --org o1 --role user --ttl 1d)
run ours "$our_pid" -u ws://127.0.0.1:"$our_port" --token "$token"
kill "$our_pid"

"$peer_bin" -addr 127.0.0.1:"$peer_port" >"$data/peer.log" 2>&1 &
peer_pid=$!
pids+=("$peer_pid")
wait_port "$peer_port"
run peer "$peer_pid" --raw -u ws://127.0.0.1:"$peer_port"
