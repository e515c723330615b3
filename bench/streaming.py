"""Non-temporal stores on or off (csrc/loops.c): the same call timed with the
streamed path forced (threshold 0) and disabled, alternated in one process, so
that the machine's drift hits both alike. Prints, per case, the median and min
ns/element of each and their ratio (streamed / plain). Passes that do not
stream (csrc/activations.def: the transcendental ones but sigmoid's and tanh's
backward) run the same path in both columns: their ratio shows the noise.

    taskset -c 1 python bench/streaming.py [--size N] [--rounds R] [--only NAME ...]

Needs the compiled backend on x86-64 (the only builds with the streamed path)."""
import argparse
import time

import numpy as np

import fastact
from fastact import _core
from fastact import _measure as M


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1 << 24, help="float32 elements (default 2^24)")
    ap.add_argument("--rounds", type=int, default=15, help="alternations (default 15)")
    ap.add_argument("--only", nargs="+", help="cases to run (default all)")
    args = ap.parse_args()
    if fastact.backend != "compiled" or _core.stream_min_bytes() is None:
        raise SystemExit("streaming.py: no streamed path in this build (compiled backend, x86-64)")
    n = args.size
    # arrays placed as bench.py places them (64-byte aligned, apart in their
    # pages: no 4K aliasing between inputs and outputs)
    x, g = M.timing_inputs(n, np.float32)
    y, gx = M.placed_empty(n, np.float32, 2), M.placed_empty(n, np.float32, 3)
    cases = {
        "np.copyto": lambda: np.copyto(y, x),
        "relu": lambda: fastact.relu(x, out=y),
        "sigmoid": lambda: fastact.sigmoid(x, out=y),
        "sigmoid fast": lambda: fastact.sigmoid(x, out=y, mode="fast"),
        "tanh": lambda: fastact.tanh(x, out=y),
        "silu": lambda: fastact.silu(x, out=y),
        "gelu": lambda: fastact.gelu(x, out=y),
        "softsign": lambda: fastact.softsign(x, out=y),
        "hardswish": lambda: fastact.hardswish(x, out=y),
        "sigmoid_backward": lambda: fastact.sigmoid_backward(g, x, out=gx),
        "relu_backward": lambda: fastact.relu_backward(g, x, out=gx),
        "tanh_backward": lambda: fastact.tanh_backward(g, x, out=gx),
        "sigmoid_fwd_bwd": lambda: fastact.sigmoid_fwd_bwd(x, g, out=(y, gx)),
        "hardswish_fwd_bwd": lambda: fastact.hardswish_fwd_bwd(x, g, out=(y, gx)),
        "silu_backward": lambda: fastact.silu_backward(g, x, out=gx),
        "relu_fwd_bwd": lambda: fastact.relu_fwd_bwd(x, g, out=(y, gx)),
        "tanh_fwd_bwd": lambda: fastact.tanh_fwd_bwd(x, g, out=(y, gx)),
    }
    if args.only:
        cases = {k: cases[k] for k in args.only}

    def per_element(f, reps=3):
        f()
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
        return np.median(ts) / n * 1e9

    res = {k: {"plain": [], "streamed": []} for k in cases}
    old = _core.stream_min_bytes()
    try:
        for _ in range(args.rounds):
            for k, f in cases.items():
                for how, nbytes in (("plain", 1 << 62), ("streamed", 0)):
                    _core.stream_min_bytes(nbytes)
                    res[k][how].append(per_element(f))
    finally:
        _core.stream_min_bytes(old)
    print(f"{n:,} float32, {args.rounds} alternations, ns/element")
    print(f"{'case':18s} {'plain':>7s} {'streamed':>9s} {'ratio':>6s}   {'min plain':>9s} {'streamed':>9s} {'ratio':>6s}")
    for k, r in res.items():
        p, s = np.median(r["plain"]), np.median(r["streamed"])
        pm, sm = min(r["plain"]), min(r["streamed"])
        print(f"{k:18s} {p:7.3f} {s:9.3f} {s / p:6.2f}   {pm:9.3f} {sm:9.3f} {sm / pm:6.2f}")


if __name__ == "__main__":
    main()
