#!/usr/bin/env bash
# What an idle browser connection costs, by allocation site, independent of machine load:
# runs our server under heaptrack, holds N idle browsers with switchboard-bench, then kills the
# server with SIGKILL while they are connected, so heaptrack's "leaked" memory is exactly what was
# live with N connections open. Compare two N (e.g. 1 and 2000) for the per-connection cost.
# Usage: bench/heaptrack-idle.sh N [BUILD_DIR] [OUT_DIR]
#   then: heaptrack_print -f OUT_DIR/heaptrack-N.zst --print-leaks 1 -n 30 -s 2
set -uo pipefail
n=${1:?usage: heaptrack-idle.sh N [BUILD_DIR] [OUT_DIR]}
build=${2:-/work/build-bench-release}
out=${3:-/tmp/switchboard-heaptrack}
server=${SERVER:-$build/server/switchboard-server}
bench=${BENCH:-$build/bench/switchboard-bench}
port=${PORT:-18779}
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"
data=$(mktemp -d "$out/data.XXXX")
heaptrack -o "$out/heaptrack-$n" "$server" --listen 127.0.0.1:"$port" --data-dir "$data" \
    --browser-message-rate 0 --log-level warning >"$out/server-$n.log" 2>&1 &
tracker=$!
for _ in $(seq 1 200); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
token=$("$server" --data-dir "$data" token issue --user bench --org o1 --role user --ttl 1d)
server_pid=$(pgrep -f -- "--listen 127.0.0.1:$port" | while read -r p; do
    [ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$server")" ] && echo "$p"; done | head -1)
"$bench" idle -u ws://127.0.0.1:"$port" --token "$token" -n "$n" -d 600 >"$out/bench-$n.txt" 2>&1 &
load=$!
for _ in $(seq 1 1200); do
    [ "$(ss -Htn state established "( sport = :$port )" | wc -l)" -ge "$n" ] && break
    sleep 0.5
done
sleep 3
grep -E "^(VmRSS|RssAnon)" "/proc/$server_pid/status" | tee "$out/rss-$n.txt"
kill -KILL "$server_pid"
wait "$tracker" 2>/dev/null
kill "$load" 2>/dev/null
wait "$load" 2>/dev/null
heaptrack_print -f "$out/heaptrack-$n.zst" 2>/dev/null | grep "total memory leaked"
