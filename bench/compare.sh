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
#   SERVER_ENV []         environment for our server, e.g. SWITCHBOARD_EVENT_DISPATCHER=poll
#   SERVER_ARGS []        extra options for our server(s), e.g. --heartbeat-timeout 120 when a
#                         slow agents ramp would otherwise outlast the stale threshold
#   BASELINE_ENV []       when set, every scenario also runs against a second instance of our
#                         server started with this environment ("base" rows, ours/base ratios),
#                         e.g. BASELINE_ENV=SWITCHBOARD_EVENT_DISPATCHER=poll: a change measured
#                         in the same run as the peer, under the same machine load
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
server_env=${SERVER_ENV:-} # e.g. SERVER_ENV=SWITCHBOARD_EVENT_DISPATCHER=poll (docs/CONFIGURATION.md)
baseline_env=${BASELINE_ENV:-}
server_args=${SERVER_ARGS:-}
base_port=${BASE_PORT:-$((our_port + 1))}
peer_port=${PEER_PORT:-19101}
out=${OUT:-/tmp/switchboard-compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
results=$out/results.jsonl
: >"$results"

# shellcheck source=bench/common.sh
. "$here/common.sh"
require_binaries "$server_bin" "$bench_bin"
ensure_peer "$peer_dir" "$peer_bin"

# Both servers and the tool hold one descriptor per connection.
ulimit -n "$(ulimit -Hn)"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT


bootstrap_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# One admin connection publishes every broadcast (and issues every command), far above the
# default 50 messages/s a browser or admin connection may send: lift that limit for the benchmark.
# start_server NAME PORT ENV: sets server_pid, user_token and admin_token.
start_server() {
    local data
    data=$(mktemp -d "$out/data.XXXX")
    env $3 "$server_bin" --listen 127.0.0.1:"$2" --data-dir "$data" --bootstrap-key "$bootstrap_key" \
        --browser-message-rate 0 --log-level warning $server_args >"$out/server-$1.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_port "$2"
    user_token=$("$server_bin" --data-dir "$data" token issue --user bench --org o1 --role user --ttl 1d)
    admin_token=$("$server_bin" --data-dir "$data" token issue --user bench-admin --org o1 --role admin --ttl 1d)
}
start_ours() {
    start_server "$1" "$our_port" "$server_env"
    our_pid=$server_pid
    our_user_token=$user_token
    our_admin_token=$admin_token
    if [ -n "$baseline_env" ]; then
        start_server "base-$1" "$base_port" "$baseline_env"
        base_pid=$server_pid
        base_user_token=$user_token
        base_admin_token=$admin_token
    fi
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
    # ours_and_base SCENARIO ARGS...: runs a scenario against our server, then against the baseline.
    ours_and_base() {
        local scenario=$1
        shift
        bench ours-"$scenario" "$n" "$scenario" -u ws://127.0.0.1:"$our_port" --token "$our_user_token" "$@" \
            ${with_admin:+--admin-token "$our_admin_token"} ${with_pid:+--server-pid "$our_pid"}
        if [ -n "$baseline_env" ]; then
            bench base-"$scenario" "$n" "$scenario" -u ws://127.0.0.1:"$base_port" --token "$base_user_token" "$@" \
                ${with_admin:+--admin-token "$base_admin_token"} ${with_pid:+--server-pid "$base_pid"}
        fi
    }
    with_admin= with_pid=1 ours_and_base idle -d "$idle_seconds"
    bench peer-idle "$n" idle --raw -u ws://127.0.0.1:"$peer_port" -d "$idle_seconds" --server-pid "$peer_pid"
    with_admin= with_pid= ours_and_base connect
    bench peer-connect "$n" connect --raw -u ws://127.0.0.1:"$peer_port"
    with_admin=1 with_pid=1 ours_and_base fanout -r "$rates" -d "$duration" -s "$message_bytes"
    bench peer-fanout "$n" fanout --raw -u ws://127.0.0.1:"$peer_port" -r "$rates" -d "$duration" \
        -s "$message_bytes" --server-pid "$peer_pid"
    stop "$our_pid"
    [ -n "$baseline_env" ] && stop "$base_pid"
    stop "$peer_pid"
done

# agents_run LABEL PORT PID ADMIN_TOKEN
agents_run() {
    bench "$1"-prepare-agents "$agents_n" prepare-agents -u ws://127.0.0.1:"$2" --admin-token "$4" \
        --bootstrap-key "$bootstrap_key" --keys-file "$out/$1-agent-keys.txt" -c 64
    bench "$1"-agents "$agents_n" agents -u ws://127.0.0.1:"$2" --admin-token "$4" \
        --keys-file "$out/$1-agent-keys.txt" -r "$agent_rates" -d "$duration" --heartbeat "$heartbeat" \
        --server-pid "$3"
}
if [ "$agents_n" -gt 0 ]; then
    start_ours agents
    agents_run ours "$our_port" "$our_pid" "$our_admin_token"
    stop "$our_pid"
    if [ -n "$baseline_env" ]; then
        agents_run base "$base_port" "$base_pid" "$base_admin_token"
        stop "$base_pid"
    fi
fi

python3 "$here/ratios.py" "$results"
echo "results: $results"
