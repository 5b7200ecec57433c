#!/usr/bin/python3
"""Sums a PyTorch profiler Chrome trace (TrainStepBench with -Dcnf.bench.profile=FILE) into self time per op.

Self time = an op's duration less the ops nested inside it on the same thread, so conv2d -> convolution ->
mkldnn_convolution is counted once, where the work happens. Backward ops ("...Backward0") are autograd nodes.

Usage: profile_ops.py TRACE.json [TOP] [--json]  -> a Markdown table, or one JSON line (for bench/run.sh)
"""
import json
import sys
from collections import defaultdict


def self_times(events):
    per_thread = defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            per_thread[(e.get("pid"), e.get("tid"))].append(e)
    totals = defaultdict(float)
    counts = defaultdict(int)
    for evs in per_thread.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # [event, child time]
        def close(item):
            ev, child = item
            totals[ev["name"]] += ev["dur"] - child
            counts[ev["name"]] += 1
            if stack:
                stack[-1][1] += ev["dur"]
        for e in evs:
            while stack and stack[-1][0]["ts"] + stack[-1][0]["dur"] <= e["ts"]:
                close(stack.pop())
            stack.append([e, 0.0])
        while stack:
            close(stack.pop())
    return totals, counts


# Ops whose time is matrix multiplication (convolutions run as GEMMs in oneDNN): what a GEMM peak can bound.
GEMM_OPS = ("mkldnn_convolution", "convolution_backward", "aten::mm", "aten::bmm", "aten::addmm", "aten::baddbmm",
            "aten::_convolution", "aten::conv2d", "aten::linear", "aten::matmul")


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    trace = json.load(open(args[0]))
    top = int(args[1]) if len(args) > 1 else 25
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    totals, counts = self_times(events)
    whole = sum(totals.values())
    if "--json" in sys.argv:
        gemm = sum(us for name, us in totals.items() if any(g in name for g in GEMM_OPS))
        ops = [{"op": name, "calls": counts[name], "self_ms": round(us / 1000, 1), "share": round(us / whole, 4)}
               for name, us in sorted(totals.items(), key=lambda kv: -kv[1])[:top]]
        print(json.dumps({"total_ms": round(whole / 1000, 1), "calls": sum(counts.values()), "gemm_share": round(gemm / whole, 4),
                          "ops": ops}))
        return
    print("| op | calls | self ms | share |")
    print("|---|---|---|---|")
    for name, us in sorted(totals.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {name} | {counts[name]} | {us / 1000:.1f} | {100 * us / whole:.1f}% |")
    print(f"| all ops | {sum(counts.values())} | {whole / 1000:.1f} | 100% |")


if __name__ == "__main__":
    main()
