"""Measure the exp family's errors (elu, selu, celu, softplus, log_sigmoid) on
every ISA this CPU runs and on the fallback, for the registry's `why` texts.

    python tools/measure_expfam.py [--step 127] [--n64 1000000] [--names ...]

float32: every `step`-th bit pattern of all 2^32 (finite), the smallest
subnormals, and 2*10^6 uniform values in [-110, 110], against the float64
references of tests/family_reference.py (the test suite's, written apart from
the kernels). float64: --n64 samples (tests/reference.float64_samples plus
uniform [-110, 110]) against the same formulas in long double. Forward and the
fused gradient with grad_output = 1, each parameter set of the references.
Prints max ulp (subnormal results included) and max relative error where the
result is normal, worst input, per (name, op, mode, dtype, ISA).
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, ROOT)

import fastact  # noqa: E402
import reference as R  # noqa: E402
from family_reference import REFS  # noqa: E402
from fastact import _fallback  # noqa: E402

NAMES = ("elu", "selu", "celu", "softplus", "log_sigmoid")


def inputs32(step):
    x = R.float32_sweep(step)
    rng = np.random.default_rng(0)
    return np.concatenate([x, rng.uniform(-110, 110, 2_000_000).astype(np.float32)])


def inputs64(n):
    rng = np.random.default_rng(1)
    return np.concatenate([R.float64_samples(n // 2), rng.uniform(-110, 110, n - n // 2)])


def refs(name, ps, x):
    wide = R.wide_type(x.dtype)
    w = x.astype(wide)
    p = [np.asarray(v, x.dtype).astype(wide) for v in ps]
    with np.errstate(all="ignore"):
        f, g = REFS[name].forward(w, *p), REFS[name].grad(w, *p)
    fi = np.finfo(x.dtype)
    top = wide(fi.max) * (1 + wide(fi.eps) / 4)
    f = np.where(np.abs(f) >= top, np.copysign(np.inf, f), f)
    g = np.where(np.abs(g) >= top, np.copysign(np.inf, g), g)
    return f, g


def stats(x, got, ref, dtype):
    ulp = R.ulp_error(got, ref, dtype)
    rel = np.where(R.is_normal_result(ref, dtype), R.rel_error(got, ref), 0)
    i = int(np.argmax(ulp))
    return float(ulp.max()), float(rel.max()), x[i]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--step", type=int, default=127)
    ap.add_argument("--n64", type=int, default=1_000_000)
    ap.add_argument("--names", nargs="*", default=NAMES)
    ap.add_argument("--isas", nargs="*", default=None)
    args = ap.parse_args()
    from fastact import _ufuncs
    isas = args.isas or [i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i)] + ["fallback"]
    xs = {"float32": inputs32(args.step), "float64": inputs64(args.n64)}
    for name in args.names:
        for ps in REFS[name].params:
            for dt, x in xs.items():
                f, g = refs(name, ps, x)
                ones = np.ones_like(x)
                pv = [x.dtype.type(v) for v in ps]
                for isa in isas:
                    for mode in ("accurate", "fast"):
                        if isa == "fallback":
                            fn = _fallback.get_ufunc(name, "fused", mode)
                        else:
                            _ufuncs.set_isa(isa)
                            fn = _ufuncs.get_ufunc(name, "fused", mode)
                        with np.errstate(all="ignore"):
                            y, gx = fn(x, ones, *pv)
                        fu, fr, fx = stats(x, y, f, x.dtype)
                        gu, gr, gxw = stats(x, gx, g, x.dtype)
                        print(f"{name:11s} {str(ps):14s} {dt} {isa:8s} {mode:8s} "
                              f"fwd {fu:8.3f} ulp {fr:9.2e} rel (x={float(fx):.9g})  "
                              f"grad {gu:8.3f} ulp {gr:9.2e} rel (x={float(gxw):.9g})", flush=True)


if __name__ == "__main__":
    main()
