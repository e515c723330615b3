#!/usr/bin/env python
"""fastact against its peers: forward, backward and forward+backward, every
activation in the registry, float32 and float64, four sizes, one thread.

    python bench/bench.py [--quick] [--sizes N ...] [--dtypes ...] [--functions ...]
                          [--isas ...] [--min-time S] [--json PATH]

Rows, for each dtype, size and activation:
  forward   fastact in each mode on each supported ISA; the registry's NumPy
            expression; scipy.special's function of the same name (sigmoid ->
            expit) if scipy is installed; torch.<name> if torch is installed
  backward  fastact <name>_backward; the NumPy hand-written gradient from the
            output; torch.ops.aten.<name>_backward
  fwd+bwd   fastact <name>_fwd_bwd in each mode; NumPy expression + NumPy
            backward; torch forward + aten backward
  copy      np.copyto of an array of the same size: the memory-bandwidth limit
Outputs are preallocated wherever the implementation takes out=. Each figure is
the median time per call over repeated samples, in ns per element. Ratios:
"/copy" = time / np.copyto time; "peer/fastact" = peer time / fastact time of the
same op on the active ISA (above 1: fastact is faster), in each mode.
No asserts: this measures, the tests check. See bench/README.md.
"""
import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"          # before numpy / torch load their thread pools

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

_ROOT = Path(__file__).resolve().parents[1]
if (_ROOT / "fastact" / "__init__.py").exists():
    sys.path.insert(0, str(_ROOT))  # the checkout's fastact (built in place), not another

import numpy as np  # noqa: E402

import fastact  # noqa: E402
from fastact import _measure as M  # noqa: E402
from fastact._registry import MODES  # noqa: E402

SIZES = (1_000, 65_536, 1_048_576, 16_777_216)
QUICK_SIZES = (65_536, 16_777_216)
DTYPES = ("float32", "float64")


class Row:
    """One implementation of one op: what it is and how to call it."""

    def __init__(self, op, impl, label, fn, mode=None, isa=None):
        self.op, self.impl, self.label, self.fn = op, impl, label, fn
        self.mode, self.isa = mode, isa
        self.timing = None


def rows_for(act, peers, bufs, isas, active_isa):
    """Every Row of `act` on the arrays in bufs (x, g inputs; y, gx, y2 outputs)."""
    x, g, y, gx = bufs["x"], bufs["g"], bufs["y"], bufs["gx"]
    fwd = getattr(fastact, act.name)
    bwd = getattr(fastact, f"{act.name}_backward")
    fused = getattr(fastact, f"{act.name}_fwd_bwd")
    rows = []
    for mode in MODES:
        for isa in isas:
            rows.append(Row("forward", "fastact", f"fastact {mode} [{isa or 'python'}]",
                            lambda mode=mode: fwd(x, out=y, mode=mode), mode, isa))
    expr = M.numpy_expr(act)
    rows.append(Row("forward", "numpy", act.numpy_expr, lambda: expr(x)))
    sp = M.scipy_function(peers["scipy"], act)
    if sp is not None:
        rows.append(Row("forward", "scipy", f"scipy.special.{sp.__name__}",
                        lambda: sp(x, out=y)))
    torch = peers["torch"]
    tfwd, tbwd = M.torch_functions(torch, act)
    if torch is not None:
        xt, gt, yt, gxt = (torch.from_numpy(a) for a in (x, g, y, gx))
    if tfwd is not None:
        rows.append(Row("forward", "torch", f"torch.{act.torch_name}",
                        lambda: tfwd(xt, out=yt)))

    # backward from the output (y2 holds a forward result) or from x
    yin = bufs["y2"] if act.backward_from == "output" else x
    rows.append(Row("backward", "fastact", f"fastact {act.name}_backward [{active_isa}]",
                    lambda: bwd(g, yin, out=gx), None, active_isa))
    nbwd = M.numpy_backward(act)
    if nbwd is not None:
        rows.append(Row("backward", "numpy", M.REFERENCES[act.name].numpy_backward,
                        lambda: nbwd(g, yin)))
    if tbwd is not None:
        yint = torch.from_numpy(yin)
        rows.append(Row("backward", "torch", f"aten.{act.torch_name}_backward",
                        lambda: tbwd(gt, yint, grad_input=gxt)))

    for mode in MODES:
        rows.append(Row("fwd+bwd", "fastact", f"fastact {act.name}_fwd_bwd {mode} [{active_isa}]",
                        lambda mode=mode: fused(x, g, out=(y, gx), mode=mode), mode, active_isa))
    if nbwd is not None:
        rows.append(Row("fwd+bwd", "numpy", "NumPy expression, then backward",
                        lambda: nbwd(g, expr(x))))
    if tfwd is not None and tbwd is not None:
        def torch_both():
            tfwd(xt, out=yt)
            tbwd(gt, yt, grad_input=gxt)
        rows.append(Row("fwd+bwd", "torch", f"torch.{act.torch_name} + aten backward",
                        torch_both))
    return rows


def time_row(row, min_time):
    if row.isa is not None and fastact.backend == "compiled":
        from fastact import _ufuncs
        saved = _ufuncs.get_isa()
        _ufuncs.set_isa(row.isa)
        try:
            return M.time_call(row.fn, min_time=min_time)
        finally:
            _ufuncs.set_isa(saved)
    return M.time_call(row.fn, min_time=min_time)


def run(args):
    M.single_thread()
    M.keep_freed_memory()
    peers, notes = M.load_peers()
    info = M.machine_info(peers)
    info["fastact_path"] = str(Path(fastact.__file__).parent)
    acts = M.activations(M.split_names(args.functions))
    sizes = [int(s) for s in M.split_names(args.sizes)]
    sizes = sizes or list(QUICK_SIZES if args.quick else SIZES)
    dtypes = M.split_names(args.dtypes) or (["float32"] if args.quick else list(DTYPES))
    min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 0.2)
    if fastact.backend == "compiled":
        from fastact import _ufuncs
        active = _ufuncs.get_isa()
        supported = [i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i)]
        isas = M.split_names(args.isas) or supported
        bad = [i for i in isas if i not in supported]
        if bad:
            raise SystemExit(f"--isas: {', '.join(bad)} not supported here "
                             f"({', '.join(supported)})")
    else:
        active, isas = None, [None]

    for line in M.machine_lines(info):
        print(line)
    print(f"fastact from {info['fastact_path']}")
    for note in notes:
        print(f"note: {note}")
    print(f"sizes {', '.join(f'{s:,}' for s in sizes)}; dtypes {', '.join(dtypes)}; "
          f"min {min_time:g} s per figure; x = 3 * standard normal", flush=True)

    results = []
    summary = []
    t_start = time.perf_counter()
    total = len(dtypes) * len(sizes) * len(acts)
    progress = M.Progress(total, every=20.0)
    for dtype in dtypes:
        x_all, g_all = M.timing_inputs(max(sizes), dtype)
        out_all = {k: np.empty_like(x_all) for k in ("y", "gx", "y2")}
        for size in sizes:
            bufs = {"x": x_all[:size], "g": g_all[:size]}
            bufs.update({k: v[:size] for k, v in out_all.items()})
            progress.show(f"{dtype} {size:,}: np.copyto")
            copy = M.time_call(lambda: np.copyto(bufs["y"], bufs["x"]), min_time=min_time)
            copy_ns = copy.ns_per(size)
            results.append(_result(dtype, size, None, "copy", "numpy", "np.copyto", None, None,
                                   copy, size, copy_ns))
            block = []
            for act in acts:
                progress.show(f"{dtype} {size:,}: {act.name}")
                getattr(fastact, act.name)(bufs["x"], out=bufs["y2"])   # a real y for backward
                rows = rows_for(act, peers, bufs, isas, active)
                with np.errstate(all="ignore"):
                    for row in rows:
                        row.timing = time_row(row, min_time)
                block.append((act, rows))
                progress.step(f"{dtype} {size:,}: {act.name}")
            progress.close()
            print_block(dtype, size, copy_ns, block, active)
            for act, rows in block:
                base = _fastact_times(rows, active)
                for row in rows:
                    r = _result(dtype, size, act.name, row.op, row.impl, row.label, row.mode,
                                row.isa, row.timing, size, copy_ns)
                    if row.impl != "fastact":
                        r["peer_over_fastact"] = {m: row.timing.seconds / base[(row.op, m)]
                                                  for m in _modes_of(row.op)}
                    results.append(r)
                summary.append((dtype, size, act, rows, copy_ns))
    progress.close()
    print_summary(summary, active)
    elapsed = time.perf_counter() - t_start
    print(f"\n({elapsed:.0f} s)")
    if args.json:
        out = {"machine": info, "params": {"sizes": sizes, "dtypes": dtypes,
                                           "functions": [a.name for a in acts],
                                           "isas": isas, "min_time": min_time,
                                           "inputs": "x = 3 * standard normal, "
                                                     "grad_output standard normal"},
               "seconds": elapsed, "results": results}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
        print(f"wrote {args.json}")
    return 0


def _modes_of(op):
    return ("accurate",) if op == "backward" else MODES


def _fastact_times(rows, active):
    """(op, mode) -> seconds of fastact on the active ISA (backward under both modes)."""
    base = {}
    for row in rows:
        if row.impl == "fastact" and row.isa == active:
            for mode in ([row.mode] if row.mode else MODES):
                base[(row.op, mode)] = row.timing.seconds
    return base


def _result(dtype, size, name, op, impl, label, mode, isa, timing, n, copy_ns):
    ns = timing.ns_per(n)
    return {"dtype": dtype, "size": size, "function": name, "op": op, "impl": impl,
            "label": label, "mode": mode, "isa": isa, "ns_per_element": ns,
            "seconds_per_call": timing.seconds, "samples": timing.samples,
            "calls_per_sample": timing.calls_per_sample, "over_copyto": ns / copy_ns}


def print_block(dtype, size, copy_ns, block, active):
    print(f"\n{dtype}, {size:,} elements (np.copyto {copy_ns:.3f} ns/element; "
          f"active ISA {active or fastact.backend}, the ratios' reference)")
    print(f"  {'function':<9}{'op':<9}{'implementation':<44}{'ns/elem':>9}{'/copy':>8}"
          f"   peer/fastact ({', '.join(MODES)})")
    for act, rows in block:
        base = _fastact_times(rows, active)
        last = (None, None)
        for row in rows:
            ns = row.timing.ns_per(size)
            name = act.name if last[0] != act.name else ""
            op = row.op if last != (act.name, row.op) else ""
            last = (act.name, row.op)
            line = f"  {name:<9}{op:<9}{row.label[:43]:<44}{ns:>9.3f}{ns / copy_ns:>8.1f}"
            if row.impl != "fastact":
                line += "   " + "  ".join(f"{row.timing.seconds / base[(row.op, m)]:6.2f}x"
                                          for m in _modes_of(row.op))
            print(line)
    sys.stdout.flush()


def print_summary(summary, active):
    print(f"\nSummary: forward on the active ISA ({active or fastact.backend}), ns per element; "
          "x = how many times faster fastact accurate is")
    print(f"  {'function':<9}{'dtype':<8}{'size':>11}{'accurate':>9}{'fast':>7}{'numpy':>7}"
          f"{'scipy':>7}{'torch':>7}{'copy':>7}{'x numpy':>9}{'x scipy':>9}{'x torch':>9}"
          f"{'acc/copy':>9}")
    for dtype, size, act, rows, copy_ns in summary:
        t = {}
        for row in rows:
            if row.op != "forward" or (row.impl == "fastact" and row.isa != active):
                continue
            t[row.mode if row.impl == "fastact" else row.impl] = row.timing.ns_per(size)
        cell = [f"{t[k]:>7.3f}" if k in t else f"{'-':>7}" for k in ("numpy", "scipy", "torch")]
        ratio = [f"{t[k] / t['accurate']:>8.2f}x" if k in t else f"{'-':>9}"
                 for k in ("numpy", "scipy", "torch")]
        print(f"  {act.name:<9}{dtype:<8}{size:>11,}{t['accurate']:>9.3f}{t['fast']:>7.3f}"
              + "".join(cell) + f"{copy_ns:>7.3f}" + "".join(ratio)
              + f"{t['accurate'] / copy_ns:>9.1f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="float32 only, sizes 65,536 and 16,777,216, shorter figures (< 1 min)")
    p.add_argument("--sizes", nargs="+", help=f"array sizes (default {', '.join(map(str, SIZES))})")
    p.add_argument("--dtypes", nargs="+", help="float32 and/or float64 (default both)")
    p.add_argument("--functions", nargs="+", metavar="NAME", help="activations (default: all)")
    p.add_argument("--isas", nargs="+", help="ISAs for the forward rows (default: all supported)")
    p.add_argument("--min-time", type=float,
                   help="seconds of samples per figure, at least 3 samples "
                        "(default 0.2; quick 0.05)")
    p.add_argument("--json", metavar="PATH", help="write every figure and the machine to PATH")
    args = p.parse_args(argv)
    try:
        return run(args)
    except ValueError as exc:           # an unknown activation name
        p.error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
