#!/usr/bin/env python
"""fastact against its peers: every activation in the registry; forward,
backward and forward+backward; float32 and float64; 1,000 to 16,777,216
elements; one thread and all threads.

    python bench/bench.py [--quick] [--functions NAME ...] [--ops OP ...]
                          [--sizes N ...] [--dtypes ...] [--threads N ...]
                          [--isas ...] [--stride K] [--min-time S] [--json PATH]

Rows, for each dtype, size, thread count and activation (parameters at their
defaults, prelu's weight 0.25; softmax and log_softmax along the last axis of a
(1024, n/1024) array, (n/64, 64) below 65,536):
  forward   fastact in each of its modes (on each supported ISA at one thread,
            the active one otherwise); the NumPy expression (registry
            numpy_expr); scipy.special's function of the same name; torch
            (aten .out kernel or torch.nn.functional); numexpr
  backward  fastact <name>_backward; the hand-written NumPy gradient; torch's
            aten backward kernel (autograd where there is none)
  fused     fastact <name>_fwd_bwd in each mode; NumPy forward then backward;
            torch forward then backward
  copy      np.copyto of one array (forward, backward reference) and of two
            arrays (fused reference: 2 reads + 2 writes, the memory limit)
--stride K: the inputs (x, grad_output) are every K-th element of a larger
array (a strided view, as x[::K]); the outputs stay contiguous, and np.copyto
copies the strided input, so the memory-limit reference reads the same bytes.
Threads: fastact, the NumPy rows and the copies split the array into one chunk
per thread, run on a ThreadPoolExecutor (NumPy ufunc loops release the GIL);
torch and numexpr run whole on their own thread pools set to the same count.
Each figure: the median time per call over repeated samples (with the
quartiles, which bench/compare.py uses as the noise), in ns per element.
Ratios: "over_copyto" = time / copy time; "peer_over_fastact" = peer time /
fastact time of the same op on the active ISA, per mode (above 1: fastact is
faster). No asserts: this measures, the tests check. See bench/README.md.
"""
import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
             "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"          # before numpy / torch / numexpr load their pools

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
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
OPS = ("forward", "backward", "fused")
NATIVE_THREADS = ("torch", "numexpr")   # libraries that thread themselves


class Row:
    """One implementation of one op: what it is, and make(bufs) -> a no-argument
    call on the arrays in bufs (a dict of views: x, g inputs; y, gx outputs; z
    the backward's second input)."""

    def __init__(self, op, impl, label, make, mode=None, isa=None):
        self.op, self.impl, self.label, self.make = op, impl, label, make
        self.mode, self.isa = mode, isa
        self.timing = None


def rows_for(act, peers, ops, isas, active):
    rows = []
    fwd = {m: M.fastact_op(act, "forward", m) for m in M.act_modes(act)}
    fused = {m: M.fastact_op(act, "fused", m) for m in M.act_modes(act)}
    bwd = M.fastact_op(act, "backward")
    npf, npb = M.numpy_forward(act), M.numpy_backward(act)
    tp = M.torch_peers(peers["torch"], act)
    from_output = act.backward_from == "output"

    if "forward" in ops:
        for mode, f in fwd.items():
            for isa in isas:
                rows.append(Row("forward", "fastact", f"fastact {mode} [{isa or 'python'}]",
                                lambda b, f=f: f.bind(b["x"], out=b["y"]), mode, isa))
        peers_fwd = [npf, M.scipy_forward(peers["scipy"], act),
                     tp.forward() if tp else None, M.numexpr_forward(peers["numexpr"], act)]
        for peer in peers_fwd:
            if peer is not None:
                rows.append(Row("forward", peer.library, peer.label,
                                lambda b, p=peer: p.bind(b["x"], out=b["y"])))
    if "backward" in ops:
        rows.append(Row("backward", "fastact", f"fastact {act.name}_backward [{active}]",
                        lambda b: bwd.bind(b["g"], b["z"], out=b["gx"]), None, active))
        tb = tp.backward() if tp else None
        for peer in (npb, tb):
            if peer is not None:
                rows.append(Row("backward", peer.library, peer.label,
                                lambda b, p=peer: p.bind(b["g"], b["z"], out=b["gx"])))
    if "fused" in ops:
        for mode, f in fused.items():
            rows.append(Row("fused", "fastact", f"fastact {act.name}_fwd_bwd {mode} [{active}]",
                            lambda b, f=f: f.bind(b["x"], b["g"], out=(b["y"], b["gx"])),
                            mode, active))
        if npf is not None and npb is not None:
            if from_output:
                def both(b):
                    return lambda: npb.fn(b["g"], npf.fn(b["x"]))
            else:
                def both(b):
                    return lambda: (npf.fn(b["x"]), npb.fn(b["g"], b["x"]))
            rows.append(Row("fused", "numpy", "NumPy forward, then backward", both))
        if tp is not None:
            peer = tp.fused()
            rows.append(Row("fused", "torch", peer.label,
                            lambda b, p=peer: p.bind(b["x"], b["g"], out=(b["y"], b["gx"]))))
    return rows


def chunks(bufs, n):
    """bufs split into n views along the first axis (rows for 2-D arrays)."""
    length = next(iter(bufs.values())).shape[0]
    edges = np.linspace(0, length, n + 1).astype(int)
    return [{k: v[lo:hi] for k, v in bufs.items()} for lo, hi in zip(edges[:-1], edges[1:])
            if hi > lo]


def timed_call(row, bufs, threads, pool):
    """The no-argument call that is timed: the row on the whole arrays, or on one
    chunk per thread through the pool (a library that threads itself runs whole)."""
    if threads == 1 or row.impl in NATIVE_THREADS:
        return row.make(bufs)
    calls = [row.make(c) for c in chunks(bufs, threads)]

    def run():
        for f in [pool.submit(c) for c in calls]:
            f.result()
    return run


def time_row(row, call, min_time):
    if row.isa is not None and fastact.backend == "compiled":
        from fastact import _ufuncs
        saved = _ufuncs.get_isa()
        _ufuncs.set_isa(row.isa)
        try:
            return M.time_call(call, min_time=min_time)
        finally:
            _ufuncs.set_isa(saved)
    return M.time_call(call, min_time=min_time)


def _copy_rows(bufs, threads, pool, min_time):
    # the arrays bound beforehand, as every other row's callable
    one = Row("copy", "numpy", "np.copyto",
              lambda b: (lambda y=b["y"], x=b["x"]: np.copyto(y, x)))
    two = Row("copy2", "numpy", "np.copyto of 2 arrays",
              lambda b: (lambda y=b["y"], x=b["x"], gx=b["gx"], g=b["g"]:
                         (np.copyto(y, x), np.copyto(gx, g))))
    for row in (one, two):
        row.timing = time_row(row, timed_call(row, bufs, threads, pool), min_time)
    return one, two


def run(args):
    M.single_thread()
    M.keep_freed_memory()
    peers, notes = M.load_peers()
    info = M.machine_info(peers)
    info["fastact_path"] = str(Path(fastact.__file__).parent)
    acts = M.find_activations(M.split_names(args.functions))
    ops = M.split_names(args.ops) or list(OPS)
    bad = [o for o in ops if o not in OPS]
    if bad:
        raise SystemExit(f"--ops: {', '.join(bad)} not one of {', '.join(OPS)}")
    sizes = [int(float(s)) for s in M.split_names(args.sizes)]
    sizes = sizes or list(QUICK_SIZES if args.quick else SIZES)
    dtypes = M.split_names(args.dtypes) or (["float32"] if args.quick else list(DTYPES))
    ncpu = os.cpu_count() or 1
    threads = [ncpu if t == "all" else int(t) for t in M.split_names(args.threads)] \
        or ([1] if args.quick else sorted({1, ncpu}))
    min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 0.1)
    stride = args.stride
    if stride < 1:
        raise SystemExit("--stride: at least 1")
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
    print(f"functions {len(acts)}; ops {', '.join(ops)}; sizes {', '.join(f'{s:,}' for s in sizes)}; "
          f"dtypes {', '.join(dtypes)}; threads {', '.join(map(str, threads))}; "
          f"min {min_time:g} s per figure; x = 3 * standard normal"
          + (f"; inputs strided by {stride}" if stride > 1 else ""), flush=True)

    results = []
    t_start = time.perf_counter()
    progress = M.Progress(len(dtypes) * len(sizes) * len(threads) * len(acts), every=20.0)
    pool = ThreadPoolExecutor(max_workers=max(threads))
    rows_of = {}
    for dtype in dtypes:
        x_all, g_all = M.timing_inputs(max(sizes) * stride, dtype)
        x_all, g_all = x_all[::stride], g_all[::stride]
        out_all = {k: M.placed_empty(x_all.size, dtype, slot)
                   for slot, k in enumerate(("y", "gx", "z"), start=2)}
        for size in sizes:
            for nthreads in threads:
                M.set_peer_threads(peers, nthreads)
                flat = {"x": x_all[:size], "g": g_all[:size]}
                flat.update({k: v[:size] for k, v in out_all.items()})
                progress.show(f"{dtype} {size:,} x{nthreads}: np.copyto")
                copy1, copy2 = _copy_rows(flat, nthreads, pool, min_time)
                base = {"dtype": dtype, "size": size, "threads": nthreads, "stride": stride}
                for row in (copy1, copy2):
                    results.append(_record(base, None, row, size, None))
                copy_ns = {"copy": copy1.timing.ns_per(size), "copy2": copy2.timing.ns_per(size)}
                block = []
                for act in acts:
                    progress.show(f"{dtype} {size:,} x{nthreads}: {act.name}")
                    shape = M.shaped(act, size)
                    n = int(np.prod(shape))
                    bufs = {k: v[:n].reshape(shape) for k, v in flat.items()}
                    with np.errstate(all="ignore"):
                        if act.backward_from == "output":   # a real y for the backward
                            M.fastact_op(act, "forward")(bufs["x"], out=bufs["z"])
                        else:
                            bufs["z"] = bufs["x"]
                        if act.name not in rows_of:
                            rows_of[act.name] = rows_for(act, peers, ops, isas, active)
                        rows = [r for r in rows_of[act.name] if nthreads == 1 or r.isa in (None, active)]
                        for row in rows:
                            row.timing = time_row(row, timed_call(row, bufs, nthreads, pool),
                                                  min_time)
                    block.append((act, rows, n))
                    progress.step(f"{dtype} {size:,} x{nthreads}: {act.name}")
                progress.close()
                print_block(dtype, size, nthreads, copy_ns, block, active)
                for act, rows, n in block:
                    fa = _fastact_times(rows, active)
                    for row in rows:
                        results.append(_record(base, act, row, n, copy_ns, fa))
    pool.shutdown()
    progress.close()
    elapsed = time.perf_counter() - t_start
    print(f"\n({elapsed:.0f} s)")
    if args.json:
        out = {"machine": info, "notes": notes,
               "params": {"sizes": sizes, "dtypes": dtypes, "threads": threads, "ops": ops,
                          "functions": [a.name for a in acts], "isas": isas,
                          "active_isa": active, "min_time": min_time, "stride": stride,
                          "parameters": {a.name: M.param_values(a) for a in acts},
                          "inputs": "x = 3 * standard normal, grad_output standard normal"},
               "seconds": elapsed, "results": results}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
        print(f"wrote {args.json}")
    return 0


def _modes_of(op, fa):
    return [m for m in MODES if (op, m) in fa]


def _fastact_times(rows, active):
    """(op, mode) -> seconds of fastact on the active ISA (the backward, which has
    one mode, under "accurate")."""
    base = {}
    for row in rows:
        if row.impl == "fastact" and row.isa == active:
            for mode in ([row.mode] if row.mode else MODES[:1]):
                base[(row.op, mode)] = row.timing.seconds
    return base


def _record(base, act, row, n, copy_ns, fa=None):
    t = row.timing
    ns = t.ns_per(n)
    r = dict(base, function=act.name if act else None, op=row.op, impl=row.impl,
             label=row.label, mode=row.mode, isa=row.isa, elements=n, ns_per_element=ns,
             seconds_per_call=t.seconds, q1=t.q1, q3=t.q3, samples=t.samples,
             calls_per_sample=t.calls_per_sample)
    if copy_ns is not None:
        r["over_copyto"] = ns / copy_ns["copy2" if row.op == "fused" else "copy"]
    if fa is not None and row.impl != "fastact":
        r["peer_over_fastact"] = {m: t.seconds / fa[(row.op, m)] for m in _modes_of(row.op, fa)}
    return r


def print_block(dtype, size, nthreads, copy_ns, block, active):
    print(f"\n{dtype}, {size:,} elements, {nthreads} thread{'s' if nthreads > 1 else ''} "
          f"(np.copyto {copy_ns['copy']:.3f} ns/element, of 2 arrays {copy_ns['copy2']:.3f}; "
          f"ratios against fastact on {active or fastact.backend})")
    print(f"  {'function':<12}{'op':<9}{'implementation':<46}{'ns/elem':>9}{'/copy':>7}"
          f"   peer/fastact ({', '.join(MODES)})")
    for act, rows, n in block:
        fa = _fastact_times(rows, active)
        last = (None, None)
        for row in rows:
            ns = row.timing.ns_per(n)
            name = act.name if last[0] != act.name else ""
            op = row.op if last != (act.name, row.op) else ""
            last = (act.name, row.op)
            ref = copy_ns["copy2" if row.op == "fused" else "copy"]
            line = f"  {name:<12}{op:<9}{row.label[:45]:<46}{ns:>9.3f}{ns / ref:>7.1f}"
            if row.impl != "fastact":
                line += "   " + "  ".join(f"{row.timing.seconds / fa[(row.op, m)]:6.2f}x"
                                          for m in _modes_of(row.op, fa))
            print(line)
    sys.stdout.flush()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="float32, one thread, sizes 65,536 and 16,777,216, 0.05 s per figure")
    p.add_argument("--functions", nargs="+", metavar="NAME", help="activations (default: all)")
    p.add_argument("--ops", nargs="+", help=f"of {', '.join(OPS)} (default: all)")
    p.add_argument("--sizes", nargs="+", help=f"array sizes (default {', '.join(map(str, SIZES))}; "
                   "1e6 style accepted)")
    p.add_argument("--dtypes", nargs="+", help="float32 and/or float64 (default both)")
    p.add_argument("--threads", nargs="+", help="thread counts, or 'all' (default 1 and all)")
    p.add_argument("--isas", nargs="+",
                   help="ISAs of the fastact forward rows at one thread (default: all supported)")
    p.add_argument("--stride", type=int, default=1, metavar="K",
                   help="inputs are every K-th element of a larger array (default 1: contiguous)")
    p.add_argument("--min-time", type=float,
                   help="seconds of samples per figure, at least 3 samples (default 0.1; quick 0.05)")
    p.add_argument("--json", metavar="PATH", help="write every figure and the machine to PATH")
    args = p.parse_args(argv)
    try:
        return run(args)
    except ValueError as exc:           # an unknown activation name
        p.error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
