"""Markdown tables for the README from a bench.py JSON file.

    python bench/bench.py --json results.json && python bench/tables.py results.json [--sizes N ...]

Prints, per dtype, at one thread: ns/element of every implementation of every
op at the chosen sizes (default 65,536 and 16,777,216 if measured, else the
two largest; fastact on the active ISA) with np.copyto of one and two arrays as
the memory limits; the forward on each ISA at the first size; and, when the
file has more than one thread count, the fastact accurate forward and fused
passes at each count. The README quotes exactly what bench.py measured.
"""
import argparse
import json


def fmt(v):
    return f"{v:.3f}" if v < 10 else (f"{v:.1f}" if v < 1000 else f"{v:,.0f}")


def _strip(label, active):
    return label.replace(f" [{active}]", "")


def _pick_sizes(data, wanted):
    have = sorted(set(data["params"]["sizes"]))
    if wanted:
        missing = [s for s in wanted if s not in have]
        if missing:
            raise SystemExit(f"sizes {missing} not in the file (it has {have})")
        return wanted
    default = [s for s in (65536, 16777216) if s in have]
    return default if len(default) == 2 else have[-2:]


def _strided(data):
    k = data["params"].get("stride", 1)
    return f", inputs strided by {k}" if k > 1 else ""


def tables(data, sizes=None):
    res = data["results"]
    active = data["params"].get("active_isa") or data["machine"]["fastact"].get("isa")
    sizes = _pick_sizes(data, sizes)
    threads = sorted({r.get("threads", 1) for r in res})
    out = []
    for dtype in data["params"]["dtypes"]:
        rows = [r for r in res if r["dtype"] == dtype and r.get("threads", 1) == 1]
        copy = {(r["op"], r["size"]): r["ns_per_element"] for r in rows
                if r["op"] in ("copy", "copy2")}
        out.append(f"\n**{dtype}{_strided(data)}**, ns/element (median, one thread; fastact on its "
                   f"{active} path)\n")
        out.append("| function | op | implementation | " + " | ".join(f"{s:,}" for s in sizes)
                   + " |")
        out.append("|---|---|---|" + "---|" * len(sizes))
        keys = []
        for r in rows:
            if r["op"] in ("copy", "copy2") or (r["impl"] == "fastact"
                                                and r["isa"] not in (None, active)):
                continue
            k = (r["function"], r["op"], _strip(r["label"], active))
            if k not in keys:
                keys.append(k)
        for fn, op, label in keys:
            cells = []
            for s in sizes:
                m = [r["ns_per_element"] for r in rows if r["size"] == s and r["function"] == fn
                     and r["op"] == op and _strip(r["label"], active) == label
                     and (r["impl"] != "fastact" or r["isa"] in (None, active))]
                cells.append(fmt(m[0]) if m else "-")
            out.append(f"| {fn} | {op} | {label} | " + " | ".join(cells) + " |")
        for op, text in (("copy", "np.copyto (memory limit of forward, backward)"),
                         ("copy2", "np.copyto of 2 arrays (memory limit of fused)")):
            cells = [fmt(copy[(op, s)]) if (op, s) in copy else "-" for s in sizes]
            out.append(f"| | | {text} | " + " | ".join(cells) + " |")

        isas = [i for i in data["params"]["isas"] if i]
        fwd = [r for r in rows if r["op"] == "forward" and r["impl"] == "fastact"
               and r["size"] == sizes[0]]
        if len(isas) > 1 and fwd:
            out.append(f"\n{dtype} forward at {sizes[0]:,} elements on each ISA, ns/element\n")
            out.append("| function | mode | " + " | ".join(isas) + " |")
            out.append("|---|---|" + "---|" * len(isas))
            for fn in data["params"]["functions"]:
                for mode in ("accurate", "fast"):
                    cells = []
                    for isa in isas:
                        m = [r["ns_per_element"] for r in fwd if r["function"] == fn
                             and r["mode"] == mode and r["isa"] == isa]
                        cells.append(fmt(m[0]) if m else "-")
                    if any(c != "-" for c in cells):
                        out.append(f"| {fn} | {mode} | " + " | ".join(cells) + " |")

        if len(threads) > 1:
            size = sizes[-1]
            out.append(f"\n{dtype}, {size:,} elements: fastact accurate (ns/element) by threads\n")
            out.append("| function | op | " + " | ".join(f"{t} thread{'s' * (t > 1)}"
                                                        for t in threads) + " |")
            out.append("|---|---|" + "---|" * len(threads))
            for fn in data["params"]["functions"]:
                for op in ("forward", "fused"):
                    cells = []
                    for t in threads:
                        m = [r["ns_per_element"] for r in res if r["dtype"] == dtype
                             and r["size"] == size and r.get("threads", 1) == t
                             and r["function"] == fn and r["op"] == op
                             and r["impl"] == "fastact" and r["mode"] == "accurate"
                             and r["isa"] == active]
                        cells.append(fmt(m[0]) if m else "-")
                    if any(c != "-" for c in cells):
                        out.append(f"| {fn} | {op} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"


def summary(data, sizes=None):
    """One row per function and op: fastact (accurate, fast) against torch and
    the best NumPy/SciPy expression (numexpr not counted: not NumPy), as ratios
    peer / fastact accurate (above 1: fastact faster), and fastact accurate over
    np.copyto of the same bytes (one array for forward and backward, two for
    fused), per size; one thread, the active ISA."""
    res = data["results"]
    active = data["params"].get("active_isa") or data["machine"]["fastact"].get("isa")
    sizes = _pick_sizes(data, sizes)
    out = []
    for dtype in data["params"]["dtypes"]:
        rows = [r for r in res if r["dtype"] == dtype and r.get("threads", 1) == 1]
        for size in sizes:
            at = [r for r in rows if r["size"] == size]
            if not at:
                continue
            copy = {r["op"]: r["ns_per_element"] for r in at if r["op"] in ("copy", "copy2")}
            out.append(f"\n**{dtype}, {size:,} elements{_strided(data)}** (ns/element, median, "
                       f"one thread, fastact on {active}; np.copyto {fmt(copy.get('copy', 0))}, "
                       f"of two arrays {fmt(copy.get('copy2', 0))})\n")
            out.append("| function | op | accurate | fast | torch | NumPy/SciPy | torch / acc "
                       "| NumPy / acc | acc / copyto |")
            out.append("|---|---|---|---|---|---|---|---|---|")
            for fn in data["params"]["functions"]:
                for op in ("forward", "backward", "fused"):
                    mine = [r for r in at if r["function"] == fn and r["op"] == op]
                    fa = {r["mode"] or "accurate": r["ns_per_element"] for r in mine
                          if r["impl"] == "fastact" and r["isa"] in (None, active)}
                    if not fa:
                        continue
                    acc = fa.get("accurate")
                    fast = fa.get("fast") if fa.get("fast") != acc else None
                    torch = min((r["ns_per_element"] for r in mine if r["impl"] == "torch"),
                                default=None)
                    npy = min((r["ns_per_element"] for r in mine
                               if r["impl"] not in ("fastact", "torch", "numexpr")), default=None)
                    ref = copy.get("copy2" if op == "fused" else "copy")
                    cells = [fmt(acc) if acc else "-", fmt(fast) if fast else "-",
                             fmt(torch) if torch else "-", fmt(npy) if npy else "-",
                             _ratio(torch, acc), _ratio(npy, acc), _ratio(acc, ref)]
                    out.append(f"| {fn} | {op} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("path", help="a bench.py --json file")
    p.add_argument("--sizes", type=int, nargs="+", help="columns (default 65,536 and 16,777,216)")
    p.add_argument("--summary", action="store_true",
                   help="one row per function and op, with the ratios to torch, NumPy and "
                        "np.copyto (the README's table of the whole family)")
    args = p.parse_args(argv)
    with open(args.path) as f:
        data = json.load(f)
    print(summary(data, args.sizes) if args.summary else tables(data, args.sizes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
