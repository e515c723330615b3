#!/usr/bin/env python
"""Do fastact's calls release the GIL? 1 thread against 2 on large arrays.

    python bench/threads.py [--n 16777216] [--dtype float32] [--repeat 9]
                            [--chunks 8] [--functions NAME ...] [--json PATH]

For every public function (forward in each of its modes, backward, fused;
parameters at their defaults, prelu's weight 0.25) on an array of n elements:
the median wall time of one pass over the whole array by 1 thread, and by 2
threads that each take every other of `chunks` equal chunks (started together
at a barrier, timed until both finish); the speedup is t1 / t2. With the GIL
released and 2 cores, the speedup approaches 2 where the work is compute-bound
and stays lower where it is limited by memory bandwidth: np.copyto of the same
bytes is shown as that limit. A speedup near 1 would mean the calls serialise
on the GIL. Two control rows show what the machine gives: np.sin (NumPy's own
loop, which releases the GIL) and the builtin sum over a range (C code that
holds it).
Because a busy machine also holds the speedup down, each row also shows a
direct GIL probe: a pure-Python thread counts while the main thread
runs the 1-thread pass, and "GIL free" is its count rate then over its rate
while the main thread sleeps for the same time (near 1: the call released the
GIL; near 0: the counting thread was locked out). Softmax-like axis functions
run on (n / 1024, 1024) arrays, chunked by rows. No assertion: this measures;
tests/test_threads.py checks correctness.
"""
import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if (_ROOT / "fastact" / "__init__.py").exists():
    sys.path.insert(0, str(_ROOT))  # the checkout's fastact (built in place), not another

import numpy as np  # noqa: E402

import fastact  # noqa: E402
from fastact import _measure as M  # noqa: E402
from fastact import _registry as REG  # noqa: E402

REQUIRED_PARAM_VALUE = 0.25


def params_of(name):
    return tuple(REQUIRED_PARAM_VALUE if p.default is None else p.default
                 for p in getattr(REG.ACTIVATIONS[name], "params", ()))


def run_threads(nthreads, chunk_jobs):
    """Wall time for `nthreads` threads to run the chunk jobs, thread t taking
    jobs t, t + nthreads, ...; all start at a barrier."""
    barrier = threading.Barrier(nthreads + 1)

    def worker(t):
        barrier.wait()
        for job in chunk_jobs[t::nthreads]:
            job()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    for th in threads:
        th.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    return time.perf_counter() - t0


def gil_probe(jobs, repeat=3):
    """How freely a pure-Python thread runs while `jobs` run in this thread:
    its ticks inside the call's time window, over its ticks in an equal window
    while this thread sleeps. ~1: the call released the GIL (and a core was
    free); ~0: the ticking thread was locked out for the whole call."""
    def ticks_during(run):
        stamps = []
        stop = threading.Event()

        def ticker():
            while not stop.is_set():
                stamps.append(time.perf_counter())

        th = threading.Thread(target=ticker)
        th.start()
        time.sleep(0.002)  # the ticker is running before the window opens
        t0 = time.perf_counter()
        run()
        t1 = time.perf_counter()
        stop.set()
        th.join()
        return sum(t0 <= s <= t1 for s in stamps), t1 - t0

    # a short switch interval: the ticker hands the GIL back within 0.1 ms when
    # the main thread asks for it at the window's edges (the default 5 ms would
    # let it tick inside the window even around a call that holds the GIL)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        rates = []
        for _ in range(repeat):
            busy, dt = ticks_during(lambda: [job() for job in jobs])
            idle, _ = ticks_during(lambda: time.sleep(dt))
            rates.append(busy / max(idle, 1))
    finally:
        sys.setswitchinterval(interval)
    return statistics.median(rates)


def chunked(call, arrays, outs, chunks):
    """One job per chunk along the first axis: call(*array chunks, out=out chunks)."""
    n = arrays[0].shape[0]
    bounds = np.linspace(0, n, chunks + 1).astype(int)
    jobs = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        ins = [x[a:b] for x in arrays]
        os_ = tuple(o[a:b] for o in outs)
        jobs.append(lambda ins=ins, os_=os_: call(*ins, os_))
    return jobs


def measure(call, arrays, outs, chunks, repeat):
    one = chunked(call, arrays, outs, chunks)
    run_threads(1, one)  # warm: pages touched, code loaded
    t1 = statistics.median(run_threads(1, one) for _ in range(repeat))
    t2 = statistics.median(run_threads(2, one) for _ in range(repeat))
    # the probe makes one call over the whole array: between chunked calls the
    # interpreter would hand the GIL over anyway, even to a call that holds it
    return t1, t2, gil_probe(chunked(call, arrays, outs, 1))


def cases(names, n, dtype, rng):
    """(label, call(*inputs, outs), inputs, number of outputs)."""
    out = []
    for name in names:
        act = REG.ACTIVATIONS[name]
        axis = getattr(act, "kind", "elementwise") == "axis"
        shape = (n // 1024, 1024) if axis else (n,)
        x = M.placed_empty(n, dtype, 0).reshape(shape)
        g = M.placed_empty(n, dtype, 1).reshape(shape)
        x[...] = rng.standard_normal(shape) * 3
        g[...] = rng.standard_normal(shape)
        ps = params_of(name)
        f = getattr(fastact, name)
        z = x if act.backward_from == "input" else f(x, *ps)
        modes = getattr(act, "modes", REG.MODES)
        for mode in modes:
            out.append((f"{name} forward {mode}",
                        lambda x, o, f=f, mode=mode, ps=ps: f(x, *ps, out=o[0], mode=mode),
                        [x], 1))
        b = getattr(fastact, name + REG.API_SUFFIX["backward"])
        out.append((f"{name} backward", lambda g, z, o, b=b, ps=ps: b(g, z, *ps, out=o[0]),
                    [g, z], 1))
        fb = getattr(fastact, name + REG.API_SUFFIX["fused"])
        for mode in modes:
            out.append((f"{name} fused {mode}",
                        lambda x, g, o, fb=fb, mode=mode, ps=ps: fb(x, g, *ps, out=o, mode=mode),
                        [x, g], 2))
    # controls: what the machine gives two threads (np.sin, NumPy's own loop,
    # releases the GIL) and what a call holding the GIL looks like (the builtin
    # sum over a range of a quarter of the chunk's length: C code under the GIL)
    x = rng.standard_normal(n).astype(dtype)
    out.append(("np.copyto (memory limit)", lambda x, o: np.copyto(o[0], x), [x], 1))
    out.append(("np.sin (control: releases the GIL)", lambda x, o: np.sin(x, out=o[0]), [x], 1))
    out.append(("sum(range(n/4)) (control: holds it)", lambda x, o: sum(range(x.size // 4)),
                [x], 1))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=16 * 2**20)
    ap.add_argument("--dtype", default="float32", choices=("float16", "float32", "float64"))
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--chunks", type=int, default=8)
    ap.add_argument("--functions", nargs="*", default=list(REG.PUBLIC)
                    if hasattr(REG, "PUBLIC") else list(REG.ACTIVATIONS))
    ap.add_argument("--json")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(0)
    isa = fastact._impl.get_isa() if fastact.backend == "compiled" else "-"
    print(f"fastact {fastact.__version__} backend {fastact.backend} ISA {isa}; "
          f"n = {args.n:,} {args.dtype}; {args.chunks} chunks; median of {args.repeat}")
    try:
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
    except OSError:
        load = "?"
    print(f"load average (1 min) at the start: {load}")
    print(f"{'function':36s} {'1 thread ms':>12s} {'2 threads ms':>13s} {'speedup':>8s} "
          f"{'GIL free':>9s}")
    rows = []
    for label, call, inputs, nout in cases(args.functions, args.n, args.dtype, rng):
        outs = tuple(M.placed_empty(inputs[0].size, inputs[0].dtype, slot).reshape(inputs[0].shape)
                     for slot in range(2, 2 + nout))  # apart from the inputs (no 4K aliasing)
        t1, t2, free = measure(call, inputs, outs, args.chunks, args.repeat)
        rows.append({"function": label, "t1_s": t1, "t2_s": t2, "speedup": t1 / t2,
                     "gil_free": free})
        print(f"{label:36s} {t1 * 1e3:12.2f} {t2 * 1e3:13.2f} {t1 / t2:8.2f} {free:9.2f}",
              flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"n": args.n, "dtype": args.dtype, "isa": isa, "backend": fastact.backend,
                       "load_average": load,
                       "repeat": args.repeat, "chunks": args.chunks, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
