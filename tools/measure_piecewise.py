#!/usr/bin/env python
"""Accuracy of the piecewise family (prelu, relu6, hardtanh, hardsigmoid,
hardswish, softsign) on every ISA, against tests/family_reference.py.

    python tools/measure_piecewise.py [--stride 64] [--n64 1000000] [--isas ...] [--names ...]

float32: every `stride`-th bit pattern of all 2^32 (both signs, every binade,
subnormals; NaNs and infinities dropped) plus every float32 in [-8, 8] at
stride/16; float64: n64 samples (strided bit patterns, log-uniform and uniform
magnitudes) against np.longdouble. Forward and the fused gradient with
grad_output = 1, in ulps of the result (subnormal results included), worst input.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import fastact  # noqa: E402
from fastact import _ufuncs  # noqa: E402
from family_reference import REFS  # noqa: E402
import reference as R  # noqa: E402

NAMES = ("prelu", "relu6", "hardtanh", "hardsigmoid", "hardswish", "softsign")


def f32_inputs(stride):
    parts = []
    for lo in range(0, 2**32, 2**28):
        b = np.arange(lo, lo + 2**28, stride, dtype=np.uint64).astype(np.uint32)
        parts.append(b.view(np.float32))
    x = np.concatenate(parts)
    dense = np.arange(0, np.float32(8).view(np.uint32), max(stride // 16, 1), dtype=np.uint32)
    d = dense.view(np.float32)
    x = np.concatenate([x, d, -d])
    return x[np.isfinite(x)]


def f64_inputs(n):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2**63, n // 4, dtype=np.uint64).view(np.float64)
    b = np.exp2(rng.uniform(-1074, 1023, n // 4))
    c = rng.uniform(-10, 10, n // 2)
    x = np.concatenate([a, b, -b, c])
    return x[np.isfinite(x)]


def measure(name, x, isa):
    ref = REFS[name]
    res = {}
    for ps in ref.params:
        ps = tuple(x.dtype.type(p) for p in ps)
        with np.errstate(all="ignore"):
            w = x.astype(R.wide_type(x.dtype))
            pw = [np.asarray(p).astype(w.dtype) for p in ps]
            yref = np.asarray(ref.forward(w, *pw))
            gref = np.asarray(ref.grad(w, *pw))
            f = _ufuncs.get_ufunc(name, "fused", "accurate")
            y, gx = f(x, np.ones_like(x), *ps)
        for op, got, r in (("forward", y, yref), ("fused", gx, gref)):
            e = R.ulp_error(got, r, x.dtype)
            i = int(np.argmax(e))
            key = (op,)
            if key not in res or e[i] > res[key][0]:
                res[key] = (float(e[i]), x[i], ps)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stride", type=int, default=64)
    ap.add_argument("--n64", type=int, default=1_000_000)
    ap.add_argument("--isas", default="scalar,sse2,avx2,avx512")
    ap.add_argument("--names", default=",".join(NAMES))
    a = ap.parse_args()
    x32 = f32_inputs(a.stride)
    x64 = f64_inputs(a.n64)
    print(f"float32: {x32.size} inputs; float64: {x64.size}")
    worst = {}
    for isa in a.isas.split(","):
        if not _ufuncs.isa_supported(isa):
            print(f"{isa}: not supported on this CPU, skipped")
            continue
        _ufuncs.set_isa(isa)
        for name in a.names.split(","):
            for x in (x32, x64):
                for (op,), (e, xi, ps) in measure(name, x, isa).items():
                    print(f"{isa:7} {name:12} {str(x.dtype):8} {op:8} max {e:.4f} ulp "
                          f"at x = {xi!r} {ps}")
                    k = (name, str(x.dtype), op)
                    if k not in worst or e > worst[k][0]:
                        worst[k] = (e, isa, xi)
    print("\nworst over ISAs")
    for (name, dt, op), (e, isa, xi) in sorted(worst.items()):
        print(f"{name:12} {dt:8} {op:8} {e:.4f} ulp ({isa}, x = {xi!r})")


if __name__ == "__main__":
    main()
