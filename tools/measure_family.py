"""Measure the error of family activations, per ISA, mode and dtype.

    python tools/measure_family.py silu [mish ...] [--stride 256] [--n64 100000]

float32: every `stride`-th float32 bit pattern (finite), against the float64
reference of tests/family_reference.py; float64: n64 samples (normal, uniform
and log-spaced magnitudes, both signs) against its long double reference, or
mpmath (rows with wide64=False, on fewer samples). Prints the max ulp error
(subnormal results included), the max relative error where the result is
normal and the max absolute error, forward and fused gradient (grad_output=1).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import fastact  # noqa: E402
import reference as R  # noqa: E402
from family_reference import REFS  # noqa: E402


def f32_inputs(stride):
    b = np.arange(0, 2**32, stride, dtype=np.uint64).astype(np.uint32)
    x = b.view(np.float32)
    return x[np.isfinite(x)]


def f64_inputs(n):
    rng = np.random.default_rng(2026)
    m = np.concatenate([np.abs(rng.standard_normal(n // 4)) * 3, rng.uniform(0, 40, n // 4),
                        rng.uniform(0, 800, n // 4), np.exp2(rng.uniform(-1074, 1023, n // 4))])
    return m * rng.choice([-1.0, 1.0], m.size)


def errors(got, ref, dtype):
    ulp = R.ulp_error(got, ref, dtype)
    normal = R.is_normal_result(ref, dtype)
    rel = np.where(normal, R.rel_error(got, ref), 0)
    with np.errstate(all="ignore"):
        ab = np.abs(got.astype(ref.dtype) - ref)
    ab = np.where(np.isnan(ab), 0, ab)
    return ulp, rel, ab


def wide_ref(fn, x, ps):
    w = x.astype(R.wide_type(x.dtype))
    with np.errstate(all="ignore"):
        r = np.asarray(fn(w, *[np.asarray(p, w.dtype) for p in ps]))
    fi = np.finfo(x.dtype)
    top = r.dtype.type(fi.max) * (1 + r.dtype.type(fi.eps) / 4)
    return np.where(np.abs(r) >= top, np.copysign(np.inf, r), r)


def mp_ref(fn, x, ps):
    import mpmath
    with mpmath.workdps(60):
        return np.array([np.longdouble(mpmath.nstr(fn(mpmath.mpf(float(v)), *ps), 25))
                         for v in x])


def report(name, x, dtype, isa, mode, ps, yref, gref):
    call = fastact._impl.get_ufunc
    with np.errstate(all="ignore"):
        y = call(name, "forward", mode)(x, *ps)
        _, g = call(name, "fused", mode)(x, np.ones_like(x), *ps)
    for op, got, ref in (("forward", y, yref), ("fused", g, gref)):
        ulp, rel, ab = errors(got, ref, dtype)
        k = int(np.argmax(ulp))
        print(f"{name:10s} {op:8s} {mode:9s} {dtype.name:8s} {isa or 'fallback':9s} "
              f"ulp {ulp.max():9.4g} (x={float(x[k]):.9g})  rel {rel.max():9.3g}  "
              f"abs {ab.max():9.3g}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="+")
    ap.add_argument("--stride", type=int, default=256)
    ap.add_argument("--n64", type=int, default=100_000)
    ap.add_argument("--isas", default=None)
    ap.add_argument("--fallback", action="store_true")
    ap.add_argument("--dtypes", default="float32,float64")
    a = ap.parse_args()
    from fastact import _fallback, _ufuncs
    isas = a.isas.split(",") if a.isas else [i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i)]
    for name in a.names:
        ref = REFS[name]
        ps = ref.params[0]
        for dtname in a.dtypes.split(","):
            dtype = np.dtype(dtname)
            if dtype == np.float32:
                x = f32_inputs(a.stride)
                yref, gref = wide_ref(ref.forward, x, ps), wide_ref(ref.grad, x, ps)
            elif ref.wide64:
                x = f64_inputs(a.n64)
                yref, gref = wide_ref(ref.forward, x, ps), wide_ref(ref.grad, x, ps)
            else:
                x = f64_inputs(a.n64)
                yref, gref = mp_ref(ref.mp_forward, x, ps), mp_ref(ref.mp_grad, x, ps)
            ps_t = tuple(dtype.type(p) for p in ps)
            for isa in isas + ([None] if a.fallback else []):
                if isa is None:
                    fastact._impl = _fallback
                else:
                    fastact._impl = _ufuncs
                    _ufuncs.set_isa(isa)
                for mode in ("accurate", "fast"):
                    report(name, x, dtype, isa, mode, ps_t, yref, gref)
            fastact._impl = _ufuncs


if __name__ == "__main__":
    main()
