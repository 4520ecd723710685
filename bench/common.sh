# Shared by bench/compare.sh and bench/connect-cpu.sh (sourced, not run).

# require_binaries PATH...: every path is an executable, or exit 2 naming the missing one.
require_binaries() {
    local binary
    for binary in "$@"; do
        [ -x "$binary" ] || { echo "missing $binary: build switchboard-server and switchboard-bench first" >&2; exit 2; }
    done
}

# ensure_peer PEER_DIR PEER_BIN: builds the gorilla-hub peer unless an up-to-date binary exists.
ensure_peer() {
    if [ ! -x "$2" ] || [ "$1/main.go" -nt "$2" ]; then
        "$1/build.sh" "$2"
    fi
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most).
wait_port() {
    for _ in $(seq 1 100); do
        (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}
