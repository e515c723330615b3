"""Time the exp family against torch.nn.functional, NumPy and np.copyto, one
thread, interleaved rounds, medians (ns/element).

    python tools/bench_expfam.py [--sizes 65536 16777216] [--rounds 7] [--isas ...]
"""
import argparse
import os
import sys
import time

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import fastact  # noqa: E402
from fastact import _ufuncs  # noqa: E402

torch.set_num_threads(1)

NUMPY = {
    "elu": lambda x: np.where(x > 0, x, 1.0 * np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "celu": lambda x: np.where(x > 0, x, 1.0 * np.expm1(x / 1.0)),
    "softplus": lambda x: np.logaddexp(0, x),
    "log_sigmoid": lambda x: -np.logaddexp(0, -x),
}
TORCH = {"elu": F.elu, "selu": F.selu, "celu": F.celu, "softplus": F.softplus,
         "log_sigmoid": F.logsigmoid}


def timeit(fn, n, min_time=0.05):
    fn()
    reps, t = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        t = time.perf_counter() - t0
        if t >= min_time:
            return t / reps / n * 1e9
        reps *= 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", type=int, default=[65536, 16777216])
    ap.add_argument("--dtypes", nargs="*", default=["float32", "float64"])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--names", nargs="*", default=list(NUMPY))
    ap.add_argument("--isas", nargs="*", default=None)
    args = ap.parse_args()
    active = _ufuncs.get_isa()
    isas = args.isas or [i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i)]
    for dt in args.dtypes:
        for n in args.sizes:
            x = (np.random.default_rng(0).standard_normal(n) * 3).astype(dt)
            g = np.ones_like(x)
            y, gx = np.empty_like(x), np.empty_like(x)
            xt, yt = torch.from_numpy(x), torch.from_numpy(y)
            rows = {"np.copyto": lambda: np.copyto(y, x)}
            for name in args.names:
                fwd, fb = getattr(fastact, name), getattr(fastact, name + "_fwd_bwd")
                for isa in (isas if n <= 65536 and dt == "float32" else [active]):
                    for mode in ("accurate", "fast"):
                        def f(fwd=fwd, mode=mode, isa=isa):
                            _ufuncs.set_isa(isa)
                            fwd(x, out=y, mode=mode)
                        rows[f"{name} fastact {mode} [{isa}]"] = f
                for mode in ("accurate", "fast"):
                    rows[f"{name} fastact fwd_bwd {mode} [{active}]"] = \
                        lambda fb=fb, mode=mode: (_ufuncs.set_isa(active), fb(x, g, out=(y, gx), mode=mode))
                rows[f"{name} torch"] = lambda t=TORCH[name]: t(xt)
                if n <= 65536:
                    rows[f"{name} numpy"] = lambda e=NUMPY[name]: e(x)
            res = {k: [] for k in rows}
            with np.errstate(all="ignore"):
                for _ in range(args.rounds):
                    for k, fn in rows.items():
                        res[k].append(timeit(fn, n, 0.03 if n <= 65536 else 0.3))
            _ufuncs.set_isa(active)
            med = {k: float(np.median(v)) for k, v in res.items()}
            print(f"\n== {dt} n={n} (median of {args.rounds} interleaved rounds, ns/element)")
            cp = med["np.copyto"]
            print(f"  {'np.copyto':44s} {cp:8.3f}")
            for name in args.names:
                acc = med[f"{name} fastact accurate [{active}]"]
                for k, v in med.items():
                    if k.startswith(name + " "):
                        extra = ""
                        if "fastact" not in k:
                            extra = f"  {v / acc:6.2f}x fastact accurate"
                        print(f"  {k:44s} {v:8.3f}  ({v / cp:5.2f}x copy){extra}")


if __name__ == "__main__":
    main()
