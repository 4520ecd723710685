#!/usr/bin/env python3
"""Prints ours/peer tables from the JSON lines bench/compare.sh collected."""
import json
import sys


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                d = json.loads(line)
                rows[(d["label"], d["n"])] = d
    return rows


def best_fanout(d):
    """Highest deliveries/s among the rates that delivered >= 99.9 %, and its p99."""
    good = [r for r in d.get("runs", []) if r.get("delivery_ratio", 0) >= 0.999]
    if not good:
        return None
    return max(good, key=lambda r: r["deliveries_per_s"])


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"


def tables(rows, a, b):
    """Summary and fanout sweeps of server `a` against server `b` (label prefixes)."""
    sizes = sorted({n for (_, n) in rows})
    print(f"\n| scenario | N | metric | {a} | {b} | {a}/{b} | load ({a}, {b}) |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        o, p = rows.get((f"{a}-idle", n)), rows.get((f"{b}-idle", n))
        if o and p:
            x, y = o.get("rss_per_connection_bytes"), p.get("rss_per_connection_bytes")
            print(f"| idle | {n} | RSS per connection (bytes) | {x} | {y} | {ratio(x, y)} | {o['load']}; {p['load']} |")
        o, p = rows.get((f"{a}-connect", n)), rows.get((f"{b}-connect", n))
        if o and p:
            x, y = o.get("connects_per_s"), p.get("connects_per_s")
            print(f"| connect | {n} | connections/s (failures {o.get('failures')}/{p.get('failures')}) | {x} (p99 {o.get('connect_p99_ms')} ms) | {y} (p99 {p.get('connect_p99_ms')} ms) | {ratio(x, y)} | {o['load']}; {p['load']} |")
        o, p = rows.get((f"{a}-fanout", n)), rows.get((f"{b}-fanout", n))
        if o and p:
            bo, bp = best_fanout(o), best_fanout(p)
            if bo and bp:
                print(f"| fanout | {n} | best deliveries/s at >= 99.9 % | {bo['deliveries_per_s']:.0f} (rate {bo['rate']:g}) | {bp['deliveries_per_s']:.0f} (rate {bp['rate']:g}) | {ratio(bo['deliveries_per_s'], bp['deliveries_per_s'])} | {o['load']}; {p['load']} |")
                print(f"| fanout | {n} | p99 latency at that rate (ms) | {bo['latency_p99_ms']} | {bp['latency_p99_ms']} | {ratio(bo['latency_p99_ms'], bp['latency_p99_ms'])} | |")
    for n in sizes:
        o, p = rows.get((f"{a}-fanout", n)), rows.get((f"{b}-fanout", n))
        if not (o and p):
            continue
        print(f"\nfanout sweep, N = {n}, {o.get('message_bytes')} bytes per message ({a} against {b})")
        print(f"| rate/s | {a} deliveries/s | {a} ratio | {a} p50 / p99 / max ms | {b} deliveries/s | {b} ratio | {b} p50 / p99 / max ms | deliveries {a}/{b} |")
        print("|---|---|---|---|---|---|---|---|")
        peer_runs = {r["rate"]: r for r in p.get("runs", [])}
        for r in o.get("runs", []):
            q = peer_runs.get(r["rate"])
            if not q:
                continue
            print(f"| {r['rate']:g} | {r['deliveries_per_s']:.0f} | {r['delivery_ratio']:.4f} | "
                  f"{r['latency_p50_ms']} / {r['latency_p99_ms']} / {r['latency_max_ms']} | "
                  f"{q['deliveries_per_s']:.0f} | {q['delivery_ratio']:.4f} | "
                  f"{q['latency_p50_ms']} / {q['latency_p99_ms']} / {q['latency_max_ms']} | "
                  f"{ratio(r['deliveries_per_s'], q['deliveries_per_s'])} |")


def main():
    rows = load(sys.argv[1])
    tables(rows, "ours", "peer")
    if any(label.startswith("base-") for (label, _) in rows):
        print("\nours against the baseline (BASELINE_ENV), same run:")
        tables(rows, "ours", "base")
        tables(rows, "base", "peer")
    for (label, n), d in sorted(rows.items()):
        if label in ("ours-agents", "base-agents"):
            print(f"\n{label}, N = {n} (the peer has no agents)")
            print("| commands/s | sent | completed | errors | p50 ms | p99 ms | max ms | stale alarms | server CPU % |")
            print("|---|---|---|---|---|---|---|---|---|")
            for r in d.get("runs", []):
                print(f"| {r['rate']:g} | {r['commands_sent']:.0f} | {r['commands_completed']:.0f} | {r['command_errors']:.0f} | "
                      f"{r['round_trip_p50_ms']} | {r['round_trip_p99_ms']} | {r['round_trip_max_ms']} | "
                      f"{r['stale_alarms']} | {r.get('server_cpu_percent', '-')} |")


if __name__ == "__main__":
    main()
