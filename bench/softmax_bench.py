"""softmax / log_softmax timings: fastact vs torch (1 thread) vs the NumPy
expression vs np.copyto, float32/float64; medians, interleaved; the arrays at
distinct offsets mod 4 KiB (fastact._measure.placed_empty). Run from the
checkout root: python3 bench/softmax_bench.py [--quick] [--isas: every ISA]"""
import os
import sys
import time

for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[v] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402

import fastact  # noqa: E402
from fastact import _measure as M  # noqa: E402
from fastact import _ufuncs  # noqa: E402

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None


def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_log_softmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def timeit(fn, reps):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return ts


def main():
    """Per shape: R interleaved rounds; in each, every candidate's median over a
    few calls; ratios taken within a round, then the median over rounds (the
    machine is shared: absolute times drift between rounds)."""
    quick = "--quick" in sys.argv
    all_isas = "--isas" in sys.argv
    rounds = 5 if quick else 9
    shapes = [(1024, 64), (64, 1024), (16384, 1024)]
    dtypes = ["float32"] if quick else ["float32", "float64"]
    rng = np.random.default_rng(0)
    best = _ufuncs.get_isa()
    isas = [i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i)] if all_isas else [best]
    for dt in dtypes:
        for shape in shapes:
            # every timed array at its own offset mod 4 KiB (placed_empty: with an
            # input and an output at one page offset, loads and stores falsely
            # alias and even np.copyto runs 10-20x slower)
            n = int(np.prod(shape))
            x, g, out, sm, lsm, fy, fg = (M.placed_empty(n, dt, k).reshape(shape) for k in range(7))
            x[...] = rng.standard_normal(shape)
            g[...] = rng.standard_normal(shape)
            fastact.softmax(x, -1, sm)  # outputs for the backward
            fastact.log_softmax(x, -1, lsm)
            reps = 3 if x.size > 1e6 else 40
            cands = {"copyto": lambda: np.copyto(out, x)}
            for isa in isas:
                sfx = f" {isa}" if all_isas else ""
                for mode in ("accurate", "fast"):
                    for op in ("softmax", "log_softmax"):
                        cands[f"fa.{op} {mode}{sfx}"] = (
                            lambda m=mode, i=isa, f=getattr(fastact, op):
                            (_ufuncs.set_isa(i), f(x, -1, out, mode=m)))
                    for op in ("softmax", "log_softmax"):
                        cands[f"fa.{op}_fwd_bwd {mode}{sfx}"] = (
                            lambda m=mode, i=isa, f=getattr(fastact, op + "_fwd_bwd"):
                            (_ufuncs.set_isa(i), f(x, g, -1, (fy, fg), mode=m)))
                cands[f"fa.softmax_backward{sfx}"] = (
                    lambda i=isa: (_ufuncs.set_isa(i), fastact.softmax_backward(g, sm, -1, out)))
                cands[f"fa.log_softmax_backward{sfx}"] = (
                    lambda i=isa: (_ufuncs.set_isa(i), fastact.log_softmax_backward(g, lsm, -1, out)))
            cands["numpy softmax"] = lambda: np_softmax(x)
            cands["numpy log_softmax"] = lambda: np_log_softmax(x)
            if torch is not None:
                tx, tg = torch.from_numpy(x), torch.from_numpy(g)
                ty = torch.from_numpy(sm)  # placed; the values of torch's within an ulp or so
                cands["torch softmax"] = lambda: torch.softmax(tx, -1)
                cands["torch log_softmax"] = lambda: torch.log_softmax(tx, -1)
                cands["torch softmax_backward"] = (
                    lambda: torch._softmax_backward_data(tg, ty, -1, tx.dtype))
                cands["torch softmax fwd+bwd"] = lambda: torch._softmax_backward_data(
                    tg, torch.softmax(tx, -1), -1, tx.dtype)
                tl = torch.from_numpy(lsm)
                cands["torch log_softmax_backward"] = (
                    lambda: torch._log_softmax_backward_data(tg, tl, -1, tx.dtype))
                cands["torch log_softmax fwd+bwd"] = lambda: torch._log_softmax_backward_data(
                    tg, torch.log_softmax(tx, -1), -1, tx.dtype)
            per_round = []
            for _ in range(rounds):
                med = {}
                for k, f in cands.items():
                    f()
                    med[k] = float(np.median(timeit(f, reps)))
                per_round.append(med)
            _ufuncs.set_isa(best)
            print(f"\n{dt} {shape} ({x.size} elements): median over {rounds} interleaved rounds")
            print(f"  {'':34s} {'us':>9s}  {'torch/fa':>8s} {'numpy/fa':>8s} {'fa/copyto':>9s}")

            def ratio(a, b):
                return float(np.median([r[a] / r[b] for r in per_round]))
            for k in cands:
                us = float(np.median([r[k] for r in per_round])) * 1e6
                cols = ["", "", ""]
                if k.startswith("fa."):
                    op = k.split()[0][3:]
                    peer = {"softmax": "softmax", "log_softmax": "log_softmax",
                            "softmax_fwd_bwd": "softmax fwd+bwd",
                            "log_softmax_fwd_bwd": "log_softmax fwd+bwd",
                            "softmax_backward": "softmax_backward",
                            "log_softmax_backward": "log_softmax_backward"}[op]
                    if f"torch {peer}" in cands:
                        cols[0] = f"{ratio('torch ' + peer, k):.2f}x"
                    if f"numpy {peer}" in cands:
                        cols[1] = f"{ratio('numpy ' + peer, k):.2f}x"
                    cols[2] = f"{ratio(k, 'copyto'):.1f}x"
                print(f"  {k:34s} {us:9.1f}  {cols[0]:>8s} {cols[1]:>8s} {cols[2]:>9s}", flush=True)


if __name__ == "__main__":
    main()
