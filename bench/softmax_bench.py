"""softmax / log_softmax timings: fastact vs torch (1 thread) vs the NumPy
expression vs np.copyto, float32/float64; medians, interleaved. Run from the
checkout root: python3 bench/softmax_bench.py [--quick]"""
import os
import sys
import time

for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[v] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402

import fastact  # noqa: E402
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
    quick = "--quick" in sys.argv
    isas = [i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i)] if "--isas" in sys.argv else [_ufuncs.get_isa()]
    shapes = [(1024, 64), (64, 1024), (16384, 1024)]
    dtypes = ["float32"] if quick else ["float32", "float64"]
    rng = np.random.default_rng(0)
    for dt in dtypes:
        for shape in shapes:
            x = rng.standard_normal(shape).astype(dt)
            g = rng.standard_normal(shape).astype(dt)
            out = np.empty_like(x)
            reps = 7 if x.size > 1e6 else 200
            cands = {"copyto": lambda: np.copyto(out, x)}
            for isa in isas:
                for mode in ("accurate", "fast"):
                    cands[f"fa.softmax {mode} {isa}"] = (
                        lambda m=mode, i=isa: (_ufuncs.set_isa(i), fastact.softmax(x, -1, out, mode=m)))
                    cands[f"fa.log_softmax {mode} {isa}"] = (
                        lambda m=mode, i=isa: (_ufuncs.set_isa(i), fastact.log_softmax(x, -1, out, mode=m)))
                cands[f"fa.softmax_fwd_bwd {isa}"] = lambda i=isa: (_ufuncs.set_isa(i), fastact.softmax_fwd_bwd(x, g))
                cands[f"fa.softmax_backward {isa}"] = lambda i=isa: (_ufuncs.set_isa(i), fastact.softmax_backward(g, x))
            cands["numpy softmax"] = lambda: np_softmax(x)
            cands["numpy log_softmax"] = lambda: np_log_softmax(x)
            if torch is not None:
                tx, tg = torch.from_numpy(x), torch.from_numpy(g)
                tout = torch.from_numpy(out)
                cands["torch softmax"] = lambda: torch.softmax(tx, -1, out=tout) if False else torch.softmax(tx, -1)
                cands["torch log_softmax"] = lambda: torch.log_softmax(tx, -1)
                ty = torch.softmax(tx, -1)
                cands["torch softmax_backward"] = lambda: torch._softmax_backward_data(tg, ty, -1, tx.dtype)
                cands["torch softmax fwd+bwd"] = lambda: torch._softmax_backward_data(
                    tg, torch.softmax(tx, -1), -1, tx.dtype)
            res = {k: [] for k in cands}
            for _ in range(3):  # interleave
                for k, f in cands.items():
                    f()
                    res[k] += timeit(f, reps)
            med = {k: float(np.median(v)) for k, v in res.items()}
            print(f"\n{dt} {shape} ({x.size} elements), median us, ratio peer/fastact")
            base = {"softmax": med.get("torch softmax"), "log_softmax": med.get("torch log_softmax")}
            for k, v in med.items():
                extra = ""
                for op in ("log_softmax", "softmax"):
                    if k.startswith(f"fa.{op} "):
                        tt = base[op]
                        npv = med[f"numpy {op}"]
                        extra = (f"  torch/fa {tt / v:.2f}x" if tt else "") + f"  numpy/fa {npv / v:.2f}x" + \
                            f"  fa/copyto {v / med['copyto']:.2f}x"
                        break
                print(f"  {k:34s} {v * 1e6:10.1f}{extra}")
            _ufuncs.set_isa(_ufuncs.best_isa())


if __name__ == "__main__":
    main()
