#!/usr/bin/env bash
# Runs the same load against Switchboard and against the gorilla-hub peer (the Go original's hub
# pattern), on this machine, and prints ours/peer ratios. Usage:
#   bench/compare.sh [BUILD_DIR]        (a Release/RelWithDebInfo build with switchboard-server and
#                                        switchboard-bench; default /work/build-bench-release)
# Environment knobs (defaults in brackets):
#   SIZES ["1000 10000"]  connection counts        DURATION [5]   seconds per fanout rate
#   RATES_1000 ["20,50,100,200"], RATES_10000 ["2,5,10,20"]  fanout sweeps (messages/s)
#   MESSAGE_BYTES [256]   IDLE_SECONDS [10]        AGENTS_N [1000] agents scenario (0 = skip)
#   AGENT_RATES ["10,50"] HEARTBEAT [30]            PEER_DIR [../shared/peers/gorilla-hub]
#   OUT [/tmp/switchboard-compare-<time>]          where JSON lines and logs go
#   SERVER_ENV []         environment for our server, e.g. QT_NO_GLIB=1
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-/work/build-bench-release}
server_bin=${SERVER:-$build/server/switchboard-server}
bench_bin=${BENCH:-$build/bench/switchboard-bench}
peer_dir=${PEER_DIR:-$root/../shared/peers/gorilla-hub}
[ -d "$peer_dir" ] || peer_dir=/work/shared/peers/gorilla-hub
peer_bin=${PEER_BIN:-/tmp/gorilla-hub}
sizes=${SIZES:-"1000 10000"}
duration=${DURATION:-5}
message_bytes=${MESSAGE_BYTES:-256}
idle_seconds=${IDLE_SECONDS:-10}
agents_n=${AGENTS_N:-1000}
agent_rates=${AGENT_RATES:-"10,50"}
heartbeat=${HEARTBEAT:-30}
our_port=${OUR_PORT:-18080}
server_env=${SERVER_ENV:-} # e.g. SERVER_ENV=QT_NO_GLIB=1 (see docs/BENCHMARKS.md, profile findings)
peer_port=${PEER_PORT:-19101}
out=${OUT:-/tmp/switchboard-compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
results=$out/results.jsonl
: >"$results"

for binary in "$server_bin" "$bench_bin"; do
    [ -x "$binary" ] || { echo "missing $binary: build switchboard-server and switchboard-bench first" >&2; exit 2; }
done
if [ ! -x "$peer_bin" ] || [ "$peer_dir/main.go" -nt "$peer_bin" ]; then
    "$peer_dir/build.sh" "$peer_bin"
fi

# Both servers and the tool hold one descriptor per connection.
ulimit -n "$(ulimit -Hn)"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

wait_port() {
    for _ in $(seq 1 100); do
        (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

bootstrap_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# One admin connection publishes every broadcast (and issues every command), far above the
# default 50 messages/s a browser or admin connection may send: lift that limit for the benchmark.
start_ours() {
    data=$(mktemp -d "$out/data.XXXX")
    env $server_env "$server_bin" --listen 127.0.0.1:"$our_port" --data-dir "$data" --bootstrap-key "$bootstrap_key" \
        --browser-message-rate 0 --log-level warning >"$out/server-$1.log" 2>&1 &
    our_pid=$!
    pids+=("$our_pid")
    wait_port "$our_port"
    user_token=$("$server_bin" --data-dir "$data" token issue --user bench --org o1 --role user --ttl 1d)
    admin_token=$("$server_bin" --data-dir "$data" token issue --user bench-admin --org o1 --role admin --ttl 1d)
}
start_peer() {
    "$peer_bin" -addr 127.0.0.1:"$peer_port" >"$out/peer-$1.log" 2>&1 &
    peer_pid=$!
    pids+=("$peer_pid")
    wait_port "$peer_port"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Runs the tool, keeps the human-readable table on screen and the JSON line in $results with the
# context (label, N, machine load at the start).
bench() {
    local label=$1 n=$2
    shift 2
    local load
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "### $label N=$n  ($(date +%H:%M:%S), load $load)"
    local line
    # A failed run still prints its JSON line (with "ok": false); keep going.
    "$bench_bin" "$@" -n "$n" --progress 5 >"$out/$label-$n.txt" || true
    cat "$out/$label-$n.txt"
    line=$(tail -n 1 "$out/$label-$n.txt")
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(label=sys.argv[2], n=int(sys.argv[3]), load=sys.argv[4], at=sys.argv[5]); print(json.dumps(d))' \
        "$line" "$label" "$n" "$load" "$(date -u +%FT%TZ)" >>"$results"
}

for n in $sizes; do
    rates_var=RATES_$n
    rates=${!rates_var:-}
    if [ -z "$rates" ]; then
        if [ "$n" -ge 5000 ]; then rates="2,5,10,20"; else rates="20,50,100,200"; fi
    fi
    # Fresh processes per size so that idle memory starts from the same point.
    start_ours "$n"
    start_peer "$n"
    bench ours-idle "$n" idle -u ws://127.0.0.1:"$our_port" --token "$user_token" -d "$idle_seconds" --server-pid "$our_pid"
    bench peer-idle "$n" idle --raw -u ws://127.0.0.1:"$peer_port" -d "$idle_seconds" --server-pid "$peer_pid"
    bench ours-connect "$n" connect -u ws://127.0.0.1:"$our_port" --token "$user_token"
    bench peer-connect "$n" connect --raw -u ws://127.0.0.1:"$peer_port"
    bench ours-fanout "$n" fanout -u ws://127.0.0.1:"$our_port" --token "$user_token" --admin-token "$admin_token" \
        -r "$rates" -d "$duration" -s "$message_bytes" --server-pid "$our_pid"
    bench peer-fanout "$n" fanout --raw -u ws://127.0.0.1:"$peer_port" -r "$rates" -d "$duration" \
        -s "$message_bytes" --server-pid "$peer_pid"
    stop "$our_pid"
    stop "$peer_pid"
done

if [ "$agents_n" -gt 0 ]; then
    start_ours agents
    bench ours-prepare-agents "$agents_n" prepare-agents -u ws://127.0.0.1:"$our_port" --admin-token "$admin_token" \
        --bootstrap-key "$bootstrap_key" --keys-file "$out/agent-keys.txt" -c 64
    bench ours-agents "$agents_n" agents -u ws://127.0.0.1:"$our_port" --admin-token "$admin_token" \
        --keys-file "$out/agent-keys.txt" -r "$agent_rates" -d "$duration" --heartbeat "$heartbeat" \
        --server-pid "$our_pid"
    stop "$our_pid"
fi

python3 "$here/ratios.py" "$results"
echo "results: $results"
