"""Markdown tables for the README from a bench.py JSON file.

    python bench/bench.py --json results.json && python bench/tables.py results.json

Prints, per dtype: ns/element of every implementation at 65,536 and 16,777,216
elements (the active ISA for fastact) with np.copyto as the memory limit, and
the forward of each ISA at 65,536 elements, so the README quotes exactly what
bench.py measured.
"""
import json
import sys


def fmt(v):
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def main(path, sizes=(65536, 16777216)):
    data = json.load(open(path))
    res = data["results"]
    active = data["machine"]["fastact"]["isa"]
    for dtype in data["params"]["dtypes"]:
        rows = [r for r in res if r["dtype"] == dtype]
        copy = {r["size"]: r["ns_per_element"] for r in rows if r["op"] == "copy"}
        print(f"\n**{dtype}**, ns/element (median, one thread; fastact on its {active} path)\n")
        print("| function | op | implementation | " + " | ".join(f"{s:,}" for s in sizes) + " |")
        print("|---|---|---|" + "---|" * len(sizes))
        keys = []
        for r in rows:
            if r["op"] == "copy" or (r["impl"] == "fastact" and r["isa"] not in (None, active)):
                continue
            k = (r["function"], r["op"], r["label"].replace(f" [{active}]", ""))
            if k not in keys:
                keys.append(k)
        for fn, op, label in keys:
            cells = []
            for s in sizes:
                m = [r["ns_per_element"] for r in rows if r["size"] == s and r["function"] == fn
                     and r["op"] == op and r["label"].replace(f" [{active}]", "") == label]
                cells.append(fmt(m[0]) if m else "-")
            print(f"| {fn} | {op} | {label} | " + " | ".join(cells) + " |")
        print("| | | np.copyto (memory limit) | " + " | ".join(fmt(copy[s]) for s in sizes) + " |")
        isas = data["params"]["isas"]
        print(f"\n{dtype} forward at {sizes[0]:,} elements on each ISA, ns/element\n")
        print("| function | mode | " + " | ".join(isas) + " |")
        print("|---|---|" + "---|" * len(isas))
        for fn in data["params"]["functions"]:
            for mode in ("accurate", "fast"):
                cells = []
                for isa in isas:
                    m = [r["ns_per_element"] for r in rows if r["size"] == sizes[0]
                         and r["function"] == fn and r["op"] == "forward" and r["mode"] == mode
                         and r["isa"] == isa]
                    cells.append(fmt(m[0]) if m else "-")
                print(f"| {fn} | {mode} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
