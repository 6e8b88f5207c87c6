#!/usr/bin/env python3
"""Summarise a Kineto Chrome trace written by `tunebench-cli bench train --profile`.

Prints the traced span, GPU kernel count and busy time (union of kernel intervals), host
launch calls, and the CPU ops with the most total time. Usage: trace-summary.py TRACE.json
"""
import collections
import json
import sys


def union_length(intervals):
    total, end = 0.0, None
    for s, e in sorted(intervals):
        if end is None or s > end:
            total += e - s
            end = e
        elif e > end:
            total += e - end
            end = e
    return total


def by_total_time(events, top):
    """(name, calls, total us) of the `top` names with the most summed duration."""
    groups = collections.defaultdict(lambda: [0, 0.0])
    for e in events:
        groups[e["name"]][0] += 1
        groups[e["name"]][1] += e["dur"]
    ranked = sorted(groups.items(), key=lambda kv: -kv[1][1])[:top]
    return [(name, n, d) for name, (n, d) in ranked]


def main(path):
    with open(path) as f:
        events = json.load(f).get("traceEvents", [])
    spans = [e for e in events if e.get("ph") == "X" and "dur" in e]
    if not spans:
        print(f"{path}: no complete events")
        return 1
    t0 = min(e["ts"] for e in spans)
    t1 = max(e["ts"] + e["dur"] for e in spans)
    kernels = [e for e in spans if e.get("cat") == "kernel"]
    launches = [e for e in spans if e.get("cat") == "cuda_runtime" and "Launch" in e["name"]]
    cpu_ops = [e for e in spans if e.get("cat") == "cpu_op"]
    busy = union_length([(e["ts"], e["ts"] + e["dur"]) for e in kernels])
    print(f"span {(t1 - t0) / 1000:.1f} ms; {len(kernels)} kernels, GPU busy {busy / 1000:.1f} ms; "
          f"{len(launches)} launch calls ({sum(e['dur'] for e in launches) / 1000:.1f} ms); "
          f"{len(cpu_ops)} cpu ops")
    print(f"{'cpu op':48s} {'calls':>7s} {'total ms':>9s} {'us/call':>8s}")
    for name, n, d in by_total_time(cpu_ops, 30):
        print(f"{name[:48]:48s} {n:7d} {d / 1000:9.2f} {d / n:8.1f}")
    print(f"{'kernel':48s} {'calls':>7s} {'total ms':>9s}")
    for name, n, d in by_total_time(kernels, 15):
        print(f"{name[:48]:48s} {n:7d} {d / 1000:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
