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


def main():
    rows = load(sys.argv[1])
    sizes = sorted({n for (_, n) in rows})
    print("\n| scenario | N | metric | ours | peer | ours/peer | load (ours, peer) |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        o, p = rows.get(("ours-idle", n)), rows.get(("peer-idle", n))
        if o and p:
            a, b = o.get("rss_per_connection_bytes"), p.get("rss_per_connection_bytes")
            print(f"| idle | {n} | RSS per connection (bytes) | {a} | {b} | {ratio(a, b)} | {o['load']}; {p['load']} |")
        o, p = rows.get(("ours-connect", n)), rows.get(("peer-connect", n))
        if o and p:
            a, b = o.get("connects_per_s"), p.get("connects_per_s")
            print(f"| connect | {n} | connections/s (failures {o.get('failures')}/{p.get('failures')}) | {a} | {b} | {ratio(a, b)} | {o['load']}; {p['load']} |")
        o, p = rows.get(("ours-fanout", n)), rows.get(("peer-fanout", n))
        if o and p:
            bo, bp = best_fanout(o), best_fanout(p)
            if bo and bp:
                print(f"| fanout | {n} | best deliveries/s at >= 99.9 % | {bo['deliveries_per_s']:.0f} (rate {bo['rate']:g}) | {bp['deliveries_per_s']:.0f} (rate {bp['rate']:g}) | {ratio(bo['deliveries_per_s'], bp['deliveries_per_s'])} | {o['load']}; {p['load']} |")
                print(f"| fanout | {n} | p99 latency at that rate (ms) | {bo['latency_p99_ms']} | {bp['latency_p99_ms']} | {ratio(bo['latency_p99_ms'], bp['latency_p99_ms'])} | |")
    for n in sizes:
        o, p = rows.get(("ours-fanout", n)), rows.get(("peer-fanout", n))
        if not (o and p):
            continue
        print(f"\nfanout sweep, N = {n}, {o.get('message_bytes')} bytes per message")
        print("| rate/s | ours deliveries/s | ours ratio | ours p50 / p99 / max ms | peer deliveries/s | peer ratio | peer p50 / p99 / max ms | deliveries ours/peer |")
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
    for (label, n), d in sorted(rows.items()):
        if label == "ours-agents":
            print(f"\nagents, N = {n} (ours only; the peer has no agents)")
            print("| commands/s | sent | completed | errors | p50 ms | p99 ms | max ms | stale alarms | server CPU % |")
            print("|---|---|---|---|---|---|---|---|---|")
            for r in d.get("runs", []):
                print(f"| {r['rate']:g} | {r['commands_sent']:.0f} | {r['commands_completed']:.0f} | {r['command_errors']:.0f} | "
                      f"{r['round_trip_p50_ms']} | {r['round_trip_p99_ms']} | {r['round_trip_max_ms']} | "
                      f"{r['stale_alarms']} | {r.get('server_cpu_percent', '-')} |")


if __name__ == "__main__":
    main()
