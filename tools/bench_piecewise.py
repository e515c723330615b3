#!/usr/bin/env python
"""Speed of the piecewise family against np.copyto, torch and NumPy, one thread.

    python tools/bench_piecewise.py [--sizes 65536,16777216] [--reps 15] [--isas avx512,avx2]

Every candidate of one (dtype, size) is timed round-robin, `reps` rounds, and
the median per candidate is kept, so the machine's drift hits all of them
alike: quote the ratios. Outputs are preallocated where the API takes out=.
The machine may be shared: the minima (ratios in []) are the uncontended
figures. Ratios: forward / copyto (one read, one write) and fused / (2 x copyto), the
memory limit for two arrays read and two written.
"""
import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"
import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fastact  # noqa: E402
from fastact import _ufuncs  # noqa: E402

try:
    import torch
    torch.set_num_threads(1)
    F = torch.nn.functional
    A = torch.ops.aten
except ImportError:
    torch = None

NAMES = ("relu6", "hardtanh", "hardsigmoid", "hardswish", "prelu", "softsign")


def _timeit(fn, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def candidates(name, dt, n, isas):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(n) * 4).astype(dt)
    g = rng.standard_normal(n).astype(dt)
    y, gx, c = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    w = dt(0.25)
    params = {"prelu": (w,)}.get(name, ())
    fwd = getattr(fastact, name)
    fb = getattr(fastact, name + "_fwd_bwd")
    bwd = getattr(fastact, name + "_backward")
    out = {"copyto": (None, lambda: np.copyto(c, x))}
    for isa in isas:
        out[f"fastact fwd [{isa}]"] = (isa, lambda: fwd(x, *params, out=y))
        out[f"fastact fwd_bwd [{isa}]"] = (isa, lambda: fb(x, g, *params, out=(y, gx)))
        out[f"fastact backward [{isa}]"] = (isa, lambda: bwd(g, x, *params, out=gx))
    npx = {
        "relu6": lambda: np.clip(x, 0, 6, out=y),
        "hardtanh": lambda: np.clip(x, -1, 1, out=y),
        "hardsigmoid": lambda: np.divide(np.clip(x + 3, 0, 6, out=y), 6, out=y),
        "hardswish": lambda: np.multiply(x, np.clip(x + 3, 0, 6) / 6, out=y),
        "prelu": lambda: np.where(x > 0, x, x * w),
        "softsign": lambda: np.divide(x, np.abs(x) + 1, out=y),
    }[name]
    out["numpy fwd"] = (None, npx)
    if torch is not None:
        xt, gt, yt, gxt = (torch.from_numpy(a) for a in (x, g, y, gx))
        wt = torch.tensor([0.25], dtype=xt.dtype)
        tf = {
            "relu6": lambda: torch.clamp(xt, 0, 6, out=yt),          # = F.relu6 (hardtanh)
            "hardtanh": lambda: A.hardtanh.out(xt, -1.0, 1.0, out=yt),
            "hardsigmoid": lambda: A.hardsigmoid.out(xt, out=yt),
            "hardswish": lambda: A.hardswish.out(xt, out=yt),
            "prelu": lambda: F.prelu(xt, wt),
            "softsign": lambda: F.softsign(xt),
        }[name]
        tb = {
            "relu6": lambda: A.hardtanh_backward.grad_input(gt, xt, 0.0, 6.0, grad_input=gxt),
            "hardtanh": lambda: A.hardtanh_backward.grad_input(gt, xt, -1.0, 1.0, grad_input=gxt),
            "hardsigmoid": lambda: A.hardsigmoid_backward.grad_input(gt, xt, grad_input=gxt),
            "hardswish": lambda: A.hardswish_backward(gt, xt),
            "prelu": lambda: A._prelu_kernel_backward(gt, xt, wt),
            # torch has no softsign backward kernel: autograd composes it
            "softsign": lambda: gt / (xt.abs() + 1) ** 2,
        }[name]
        out["torch fwd"] = (None, tf)
        out["torch fwd+bwd"] = (None, lambda: (tf(), tb()))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="65536,16777216")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--isas", default="avx512,avx2,sse2,scalar")
    ap.add_argument("--names", default=",".join(NAMES))
    a = ap.parse_args()
    isas = [i for i in a.isas.split(",") if _ufuncs.isa_supported(i)]
    active = _ufuncs.get_isa()
    for dtn in a.dtypes.split(","):
        dt = np.dtype(dtn).type
        for n in (int(s) for s in a.sizes.split(",")):
            inner = max(1, int(2e6 // n))
            for name in a.names.split(","):
                cands = candidates(name, dt, n, isas)
                times = {k: [] for k in cands}
                for _ in range(a.reps):
                    for k, (isa, fn) in cands.items():
                        _ufuncs.set_isa(isa or active)
                        times[k].append(_timeit(fn, inner))
                _ufuncs.set_isa(active)
                med = {k: float(np.median(v)) / n * 1e9 for k, v in times.items()}
                best = {k: float(np.min(v)) / n * 1e9 for k, v in times.items()}
                cp = med["copyto"]
                print(f"\n{dtn} n={n} {name}: copyto {cp:.3f} ns/elt (min {best['copyto']:.3f}); "
                      "medians, then the ratios of the minima in []")
                for k, v in med.items():
                    if k == "copyto":
                        continue
                    lim = 2 * cp if ("bwd" in k and "backward" not in k) else cp
                    limtxt = "2 x copyto" if lim != cp else "copyto"
                    extra = ""
                    if k.startswith("fastact fwd [") or k.startswith("fastact fwd_bwd ["):
                        isa = k[k.index("[") + 1:-1]
                        peer = "torch fwd" if "fwd [" in k else "torch fwd+bwd"
                        if peer in med:
                            extra += f"  torch/this {med[peer] / v:5.2f}"
                        if "fwd [" in k:
                            extra += f"  numpy/this {med['numpy fwd'] / v:5.2f}"
                    blim = lim * best["copyto"] / cp
                    print(f"  {k:28} {v:7.3f} ns/elt  /{limtxt}: {v / lim:5.2f} "
                          f"[{best[k] / blim:5.2f}]{extra}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
