#!/usr/bin/env python
"""What got faster or slower between two bench.py result files, beyond noise.

    python bench/compare.py A.json B.json [--min-change 0.05] [--relative-to-copy]
                            [--impl fastact] [--all]

Figures are matched on (dtype, size, threads, function, op, implementation
label, mode, ISA). For each pair, ratio = B median / A median (below 1: B is
faster).

The noise rule: a change is reported only when
  1. the two runs' interquartile ranges of the per-call time do not overlap
     (B's q3 < A's q1 for faster, B's q1 > A's q3 for slower): the repeats
     within each run say the medians differ, and
  2. the ratio is beyond 1 +- --min-change (default 5%): between runs a shared
     machine drifts by more than the spread within one run shows, so a small
     shift with tight quartiles is not reported either.
With --relative-to-copy each figure (and its quartiles) is first divided by the
np.copyto median of its own run at the same dtype, size and threads (the copy
of 2 arrays for the fused op), which cancels a machine-wide change of speed.
Exit status 0; the lists are the result.
"""
import argparse
import json
import math
import sys

KEY = ("dtype", "size", "threads", "function", "op", "label", "mode", "isa")


def load(path):
    with open(path) as f:
        data = json.load(f)
    if "results" not in data:
        raise SystemExit(f"{path}: not a bench.py result file (no 'results')")
    return data


def _key(r):
    return tuple(r.get(k, 1 if k == "threads" else None) for k in KEY)


def figures(data, relative_to_copy=False):
    """key -> (median, q1, q3) in seconds per call (or in copies, relative)."""
    copies = {}
    for r in data["results"]:
        if r["op"] in ("copy", "copy2"):
            copies[(r["dtype"], r["size"], r.get("threads", 1), r["op"])] = r["seconds_per_call"]
    out = {}
    for r in data["results"]:
        med = r["seconds_per_call"]
        q1 = r.get("q1") if r.get("q1") is not None else med
        q3 = r.get("q3") if r.get("q3") is not None else med
        if relative_to_copy and r["op"] not in ("copy", "copy2"):
            c = copies.get((r["dtype"], r["size"], r.get("threads", 1),
                            "copy2" if r["op"] == "fused" else "copy"))
            if not c:
                continue
            med, q1, q3 = med / c, q1 / c, q3 / c
        out[_key(r)] = (med, q1, q3, r.get("impl"))
    return out


def compare(a, b, min_change=0.05, relative_to_copy=False, impl=None):
    """(faster, slower, unchanged count, only in A, only in B); faster and slower
    are lists of (ratio, key, A figure, B figure) sorted by how far they moved."""
    fa, fb = figures(a, relative_to_copy), figures(b, relative_to_copy)
    faster, slower, same = [], [], 0
    for key in fa.keys() & fb.keys():
        (ma, qa1, qa3, ia), (mb, qb1, qb3, _) = fa[key], fb[key]
        if impl and ia != impl:
            continue
        ratio = mb / ma
        if qb3 < qa1 and ratio < 1 - min_change:
            faster.append((ratio, key, fa[key], fb[key]))
        elif qb1 > qa3 and ratio > 1 + min_change:
            slower.append((ratio, key, fa[key], fb[key]))
        else:
            same += 1
    faster.sort(key=lambda t: t[0])
    slower.sort(key=lambda t: -t[0])
    only_a = sorted(fa.keys() - fb.keys(), key=str)
    only_b = sorted(fb.keys() - fa.keys(), key=str)
    return faster, slower, same, only_a, only_b


def _fmt_key(key):
    d = dict(zip(KEY, key))
    what = d["function"] or ""
    return (f"{d['dtype']:<8}{d['size']:>11,} x{d['threads']:<3}{what:<13}{d['op']:<9}"
            f"{d['label'][:48]}")


def _fmt(items, unit):
    lines = []
    for ratio, key, (ma, *_), (mb, *_) in items:
        change = (1 / ratio if ratio < 1 else ratio)
        lines.append(f"  {change:5.2f}x {'faster' if ratio < 1 else 'slower'}  "
                     f"{_fmt_key(key)}  {ma * unit:.4g} -> {mb * unit:.4g}")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("a", help="the earlier (reference) result file")
    p.add_argument("b", help="the later result file")
    p.add_argument("--min-change", type=float, default=0.05,
                   help="smallest relative change reported (default 0.05)")
    p.add_argument("--relative-to-copy", action="store_true",
                   help="compare figures divided by each run's np.copyto")
    p.add_argument("--impl", help="only this implementation (fastact, numpy, torch, ...)")
    p.add_argument("--all", action="store_true", help="also list unmatched figures")
    args = p.parse_args(argv)
    if not args.min_change >= 0:
        p.error("--min-change must be >= 0")
    a, b = load(args.a), load(args.b)
    faster, slower, same, only_a, only_b = compare(a, b, args.min_change,
                                                   args.relative_to_copy, args.impl)
    unit, what = (1.0, "copies") if args.relative_to_copy else (1e6, "us per call")
    print(f"{args.a} -> {args.b}: {len(faster)} faster, {len(slower)} slower, {same} within "
          f"noise (interquartile ranges overlap, or change under {args.min_change:.0%}); "
          f"figures in {what}")
    for title, items in (("faster", faster), ("slower", slower)):
        if items:
            geo = math.exp(sum(math.log(t[0]) for t in items) / len(items))
            print(f"\n{title} ({len(items)}; geometric mean ratio {geo:.3f}):")
            print("\n".join(_fmt(items, unit)))
    if only_a or only_b:
        print(f"\n{len(only_a)} figures only in {args.a}, {len(only_b)} only in {args.b}")
        if args.all:
            for k in only_a:
                print(f"  only in A: {_fmt_key(k)}")
            for k in only_b:
                print(f"  only in B: {_fmt_key(k)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
