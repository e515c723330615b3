#!/usr/bin/env python
"""Arrays of more than 2^31 elements through fastact (64-bit indexing).

    python tools/big_array_check.py [--n N] [--function NAME]
                                    [--cases float16:forward float32:forward ...]

Each case fills one array (two for the fused and backward ops) of n = 2^31 + 17
elements with an index-dependent pattern (values in [-20, 20) that differ
between neighbours, a finite grad_output), runs the op over the whole array in
place (out=x, or out=(x, grad_output) / out=grad_output), then checks every
element: the result, chunk by chunk (2^24 elements), must be bit-identical to
the same call on a fresh copy of that chunk's inputs (fastact's results do not
depend on an element's position), and at named positions around 2^31 and at
the very end the result is printed against the float64 reference
(tests/family_reference.py) with the registry's bound.

Why these cases: float16 (4 GiB per array) reaches the kernels through the
loop's float32 stack blocks of 512 elements, so it exercises the loop's 64-bit
offsets, not the kernels' indices; float32 (8 GiB per array) goes straight to
the kernel with n > 2^31, which exercises the kernels' own indexing. The
default cases (float16 forward, float32 forward, float16 fused: 4, 8 and 8 GiB,
one at a time) fit the 24 GiB development machine; float32 fused needs 16 GiB.
Prints the time of each case and the peak resident memory; exits 1 on any
mismatch.
"""
import argparse
import resource
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if (_ROOT / "fastact" / "__init__.py").exists():
    sys.path.insert(0, str(_ROOT))  # the checkout's fastact (built in place), not another
sys.path.insert(0, str(_ROOT / "tests"))  # reference.py

import numpy as np  # noqa: E402

import fastact  # noqa: E402
from fastact import _registry as REG  # noqa: E402

CHUNK = 2**24
REQUIRED_PARAM_VALUE = 0.25


def pattern_x(a, b, dtype):
    i = np.arange(a, b, dtype=np.int64)
    return ((i * 2654435761) % 2**20 * (40.0 / 2**20) - 20.0).astype(dtype)


def pattern_g(a, b, dtype):
    i = np.arange(a, b, dtype=np.int64)
    return (((i * 40503) % 1024 - 512) / 256.0).astype(dtype)


def fill(arr, pattern):
    for a in range(0, arr.size, CHUNK):
        b = min(a + CHUNK, arr.size)
        arr[a:b] = pattern(a, b, arr.dtype)


def peak_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def run_case(name, dtype, op, n):
    dtype = np.dtype(dtype)
    act = REG.ACTIVATIONS[name]
    ps = tuple(REQUIRED_PARAM_VALUE if p.default is None else p.default
               for p in getattr(act, "params", ()))
    f = getattr(fastact, name + REG.API_SUFFIX[op])
    gib = n * dtype.itemsize * (1 if op == "forward" else 2) / 2**30
    print(f"\n{name} {op} {dtype}: n = {n:,} (2^31 {'+' if n >= 2**31 else '-'} "
          f"{abs(n - 2**31):,}), {gib:.1f} GiB, in place", flush=True)

    t0 = time.perf_counter()
    x = np.empty(n, dtype)
    fill(x, pattern_x)
    g = None
    if op != "forward":
        g = np.empty(n, dtype)
        fill(g, pattern_g)
    t_fill = time.perf_counter() - t0

    # the backward reads z: x itself, or the forward's output (computed in place first)
    def z_of(xc):
        return xc if act.backward_from == "input" else getattr(fastact, name)(xc, *ps)

    t0 = time.perf_counter()
    if op == "forward":
        r = f(x, *ps, out=x)
        assert r is x
    elif op == "fused":
        y, gx = f(x, g, *ps, out=(x, g))
        assert y is x and gx is g
    else:
        if act.backward_from == "output":
            getattr(fastact, name)(x, *ps, out=x)
        r = f(g, x, *ps, out=g)
        assert r is g
    t_call = time.perf_counter() - t0

    # every element, chunk by chunk, against the same call on a fresh copy
    t0 = time.perf_counter()
    bad = 0
    for a in range(0, n, CHUNK):
        b = min(a + CHUNK, n)
        xc = pattern_x(a, b, dtype)
        if op == "forward":
            exp = (f(xc, *ps),)
            got = (x[a:b],)
        elif op == "fused":
            exp = f(xc, pattern_g(a, b, dtype), *ps)
            got = (x[a:b], g[a:b])
        else:
            exp = (f(pattern_g(a, b, dtype), z_of(xc), *ps),)
            got = (g[a:b],)
        for e, o in zip(exp, got):
            diff = e.view(f"u{dtype.itemsize}") != o.view(f"u{dtype.itemsize}")
            if diff.any():
                k = int(np.argmax(diff))
                print(f"  MISMATCH in chunk at {a:,}: {int(diff.sum())} elements, first at "
                      f"{a + k:,}: {o[k]!r} vs {e[k]!r}")
                bad += int(diff.sum())
    t_check = time.perf_counter() - t0

    # named positions against the wide reference (tests/family_reference.py)
    try:
        import reference as R
        from family_reference import REFS
        ref = REFS.get(name)
    except ImportError:
        ref = None
    if ref is not None:
        wide = R.wide_type(dtype)
        wps = [np.asarray(p, dtype).astype(wide) for p in ps]
        ref_fn = {"forward": lambda v: ref.forward(v.astype(wide), *wps),
                  "fused": lambda v: ref.grad(v.astype(wide), *wps)}.get(op)
        if op == "backward" and act.backward_from == "input":
            ref_fn = lambda v: ref.grad(v.astype(wide), *wps)  # noqa: E731
    else:
        ref_fn = None
    positions = sorted({p for p in (0, 1, 2**31 - 2, 2**31 - 1, 2**31, 2**31 + 1, n - 17, n - 2,
                                    n - 1) if 0 <= p < n})
    xs = np.concatenate([pattern_x(p, p + 1, dtype) for p in positions])
    out = x if op == "forward" else g
    label = "y" if op == "forward" else "grad_input"
    for p, xv in zip(positions, xs):
        line = f"  [{p:>13,}] x = {float(xv):+.6f}  {label} = {float(out[p]):+.8g}"
        if ref_fn is not None:
            with np.errstate(all="ignore"):
                r = ref_fn(np.array([xv], dtype))[0]
            if op != "forward":
                r = r * float(pattern_g(p, p + 1, dtype)[0])
            line += f"  reference {float(r):+.8g}"
            err = float(R.ulp_error(np.array([out[p]]), np.array([r]), dtype)[0])
            line += f"  ({err:.2f} ulp)"
            if dtype != np.float16:  # float16 has no bound of its own
                b = REG.bound(name, "fused" if op == "backward" else op, "accurate", str(dtype))
                line += f", bound {b.ulp}"
                if b.ulp is not None and err > b.ulp:
                    bad += 1
                    line += "  OUT OF BOUND"
        print(line)
    print(f"  fill {t_fill:.1f} s, call {t_call:.1f} s, check {t_check:.1f} s; "
          f"peak RSS so far {peak_gib():.2f} GiB; {'OK' if not bad else f'{bad} BAD'}",
          flush=True)
    del x, g
    return bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2**31 + 17)
    ap.add_argument("--function", default="sigmoid")
    ap.add_argument("--cases", nargs="*",
                    default=["float16:forward", "float32:forward", "float16:fused"],
                    help="dtype:op pairs, op one of forward, backward, fused")
    args = ap.parse_args(argv)
    isa = fastact._impl.get_isa() if fastact.backend == "compiled" else "-"
    print(f"fastact {fastact.__version__}, backend {fastact.backend}, ISA {isa}")
    t0 = time.perf_counter()
    bad = 0
    for case in args.cases:
        dtype, op = case.split(":")
        bad += run_case(args.function, dtype, op, args.n)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s, peak RSS {peak_gib():.2f} GiB: "
          f"{'all elements OK' if not bad else f'{bad} BAD'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
