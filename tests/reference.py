"""Reference values and error measures for the accuracy tests.

References are computed at test time in a wider type than the result:
float64 math for float32 results (53 bits against 24: the reference's own
error is below 1e-8 float32 ulp) and np.longdouble for float64 results. The
tests refuse to run the float64 checks where long double is not wider than
float64 (it is the 80-bit x87 format on x86-64 Linux). mpmath spot checks
validate these references themselves, so that a mistake shared by the library
and the reference formula cannot go unseen.
"""
import functools

import numpy as np

LONGDOUBLE_IS_WIDE = np.finfo(np.longdouble).nmant >= 63

# ulp of a subnormal result / smallest ulp, and mantissa bits, per result dtype
_MIN_ULP_EXP = {np.dtype(np.float32): -149, np.dtype(np.float64): -1074,
                np.dtype(np.float16): -24}
_MANT_BITS = {np.dtype(np.float32): 24, np.dtype(np.float64): 53, np.dtype(np.float16): 11}


def wide_type(dtype):
    """The type the reference for a `dtype` result is computed in."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        return np.longdouble
    return np.float64


def _wide(x):
    x = np.asarray(x)
    return x.astype(wide_type(x.dtype)), x.dtype


# ---- forward references ------------------------------------------------------

def sigmoid(x):
    """sigmoid in the wide type: 1/(1+e) for x >= 0 and e/(1+e) for x < 0 with
    e = exp(-|x|), so nothing overflows or cancels."""
    w, _ = _wide(x)
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(w))
        return np.where(w >= 0, 1 / (1 + e), e / (1 + e))


def tanh(x):
    """tanh in the wide type (libm tanh / tanhl)."""
    w, _ = _wide(x)
    with np.errstate(all="ignore"):
        return np.tanh(w)


# ---- derivative references, computed from x ------------------------------------

def sigmoid_grad(x):
    """sigmoid'(x) = e / (1 + e)^2 with e = exp(-|x|): no cancellation in either tail."""
    w, _ = _wide(x)
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(w))
        return e / ((1 + e) * (1 + e))


def tanh_grad(x):
    """tanh'(x) = 1 / cosh(x)^2 = 4 e2 / (1 + e2)^2 with e2 = exp(-2|x|): cosh never
    overflows and nothing cancels."""
    w, _ = _wide(x)
    with np.errstate(all="ignore"):
        e2 = np.exp(-2 * np.abs(w))
        return 4 * e2 / ((1 + e2) * (1 + e2))


FORWARD = {"sigmoid": sigmoid, "tanh": tanh}
GRAD = {"sigmoid": sigmoid_grad, "tanh": tanh_grad}
# the range of each activation, for the "never leaves its range" checks
RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


# ---- error measures ----------------------------------------------------------

def ulp_of(ref, dtype):
    """One unit in the last place of a `dtype` number of the magnitude of the
    (wide) reference: 2^(e - p) for |ref| in [2^(e-1), 2^e), and the subnormal
    spacing (2^-149 for float32, 2^-1074 for float64) below the normal range,
    including for ref == 0."""
    dtype = np.dtype(dtype)
    ref = np.asarray(ref)
    with np.errstate(all="ignore"):
        _, e = np.frexp(np.abs(ref))
    e = np.maximum(e.astype(np.int64) - _MANT_BITS[dtype], _MIN_ULP_EXP[dtype])
    return np.ldexp(np.ones_like(ref), e.astype(np.int32))


def ulp_error(got, ref, dtype=None):
    """|got - ref| in ulps of the result dtype (float64 array, or long double for
    float64 results). NaN against NaN and equal infinities count as 0, NaN
    against a number as inf."""
    got = np.asarray(got)
    dtype = np.dtype(dtype or got.dtype)
    ref = np.asarray(ref)
    g = got.astype(ref.dtype)
    with np.errstate(all="ignore"):
        err = np.abs(g - ref) / ulp_of(ref, dtype)
    both_nan = np.isnan(g) & np.isnan(ref)
    same_inf = np.isinf(g) & (g == ref)
    err = np.where(both_nan | same_inf, 0, err)
    return np.where(np.isnan(err), np.inf, err)


def rel_error(got, ref):
    """|got - ref| / |ref|, with 0 where both are 0."""
    got = np.asarray(got).astype(np.asarray(ref).dtype)
    with np.errstate(all="ignore"):
        err = np.abs(got - ref) / np.abs(ref)
    err = np.where(got == ref, 0, err)
    return np.where(np.isnan(err), np.inf, err)


def is_normal_result(ref, dtype):
    """Where the reference is a normal number of `dtype` (its smallest normal or above)."""
    return np.abs(ref) >= np.finfo(dtype).smallest_normal


def has_figure(b):
    """Whether a registry Bound states any figure (ulp, relative or absolute)."""
    return any(v is not None for v in (b.ulp, b.rel, getattr(b, "abs", None)))


def check_bound(x, got, ref, b, dtype, what, inv_ulp=None, normal=None):
    """Assert every figure of the registry Bound `b` for `got` against `ref`:
    ulps (subnormal results included), relative error where ref is a normal
    number, absolute error. inv_ulp / normal: precomputed 1/ulp_of(ref) and
    is_normal_result(ref), for large sweeps. The message names the worst input."""
    dtype = np.dtype(dtype)
    assert has_figure(b), f"{what}: the registry gives no figure to check ({b.why})"
    if b.ulp is not None:
        if inv_ulp is None:
            err = ulp_error(got, ref, dtype)
        else:
            err = np.abs(got.astype(ref.dtype) - ref) * inv_ulp
            err[np.isnan(err)] = np.inf
        assert err.max() <= b.ulp, (
            f"{what}: {worst(x, err, got, ref, 'ulp error')} > bound {b.ulp} ulp")
    if b.rel is not None:
        if normal is None:
            normal = is_normal_result(ref, dtype)
        rel = np.where(normal, rel_error(got, ref), 0)
        assert rel.max() <= b.rel, (
            f"{what}: {worst(x, rel, got, ref, 'relative error')} > bound {b.rel} "
            "(normal results)")
    if getattr(b, "abs", None) is not None:
        with np.errstate(invalid="ignore"):
            err = np.abs(got.astype(ref.dtype) - ref)
        err = np.where(np.isnan(err), np.inf, err)
        assert err.max() <= b.abs, (
            f"{what}: {worst(x, err, got, ref, 'absolute error')} > bound {b.abs}")


def worst(x, err, got=None, ref=None, what="error"):
    """A one-line description of the worst element, for assertion messages."""
    x = np.asarray(x).ravel()
    err = np.asarray(err).ravel()
    i = int(np.argmax(err))
    msg = f"max {what} {float(err[i]):.4g} at x = {x[i]!r} ({_hex(x[i])})"
    if got is not None:
        got = np.asarray(got).ravel()
        msg += f": got {got[i]!r} ({_hex(got[i])})"
    if ref is not None:
        msg += f", reference {np.asarray(ref).ravel()[i]!r}"
    return msg


def _hex(v):
    v = np.asarray(v)
    if v.dtype.kind == "f" and v.dtype.itemsize <= 8:
        return float(v).hex()
    return repr(v)


# ---- bit patterns --------------------------------------------------------------

def float32_sweep(step=251, finite=True):
    """float32 values from every `step`-th bit pattern, both signs, every binade
    (a prime step so that every low-order mantissa pattern is hit too), plus
    the 4095 smallest subnormals of each sign, whose binades are narrower than
    the step."""
    strided = np.arange(0, 2**32, step, dtype=np.uint64).astype(np.uint32)
    tiny = np.arange(1, 4096, dtype=np.uint32)
    bits = np.concatenate([strided, tiny, tiny | np.uint32(0x80000000)])
    x = bits.view(np.float32)
    return x[np.isfinite(x)] if finite else x


def neighbours(points, dtype, k=3):
    """Each point and its k float neighbours on each side, in dtype."""
    out = []
    for p in points:
        v = np.array(p, dtype)
        out.append(v)
        lo = hi = v
        for _ in range(k):
            lo, hi = np.nextafter(lo, dtype.type(-np.inf)), np.nextafter(hi, dtype.type(np.inf))
            out += [lo, hi]
    return np.array(out, dtype)


def float64_samples(n, seed=0):
    """n float64 values spread over every magnitude the activations care about:
    log-uniform |x| in [2^-60, 2^10], uniform in the transition and tail
    regions, and a few huge and tiny ones, both signs."""
    rng = np.random.default_rng(seed)
    k = n // 4
    parts = [
        np.exp2(rng.uniform(-60, 10, k)),
        rng.uniform(0, 40, k),
        rng.uniform(0, 800, k),
        np.exp2(rng.uniform(-1074, 1023, n - 3 * k)),
    ]
    mag = np.concatenate(parts)
    return mag * rng.choice([-1.0, 1.0], mag.size)


# ---- mpmath (optional) ---------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _mp():
    import mpmath
    ctx = mpmath.mp.clone()
    ctx.prec = 160
    return ctx


def mp_forward(name, x):
    """name(x) for one float, with mpmath at 160 bits, as an mpf."""
    mp = _mp()
    v = mp.mpf(float(x))
    if name == "sigmoid":
        return 1 / (1 + mp.exp(-v))
    return mp.tanh(v)


def mp_grad(name, x):
    mp = _mp()
    v = mp.mpf(float(x))
    if name == "sigmoid":
        # e / (1 + e)^2: y (1 - y) would cancel even at 160 bits for |x| > 111
        e = mp.exp(-abs(v))
        return e / (1 + e) ** 2
    return 1 / mp.cosh(v) ** 2


def mp_ulp_error(got, exact, dtype):
    """Error of float `got` against the mpf `exact` in ulps of `dtype`."""
    mp = _mp()
    dtype = np.dtype(dtype)
    mag = abs(exact)
    if mag == 0:
        ulp = mp.ldexp(1, _MIN_ULP_EXP[dtype])
    else:
        _, e = mp.frexp(mag)
        ulp = mp.ldexp(1, max(int(e) - _MANT_BITS[dtype], _MIN_ULP_EXP[dtype]))
    return float(abs(mp.mpf(float(got)) - exact) / ulp)
