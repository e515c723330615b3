"""Timing and accuracy helpers shared by `python -m fastact`, fastact.verify and
bench/bench.py, so each figure is measured one way only.

Timing: median seconds per call over repeated samples (see `time_call`).
Accuracy: the error of a result against a reference computed in a wider type
(float64 for float32 results, np.longdouble for float64 ones, mpmath when asked),
in ulps of the result type, absolute, and relative where the exact result is a
normal number (see `ErrorStats`).

Everything here is driven by fastact._registry.ACTIVATIONS, read through
act_params / act_modes / act_kind / public_call so a row that lacks a field
gets the contract's value for it. What the registry does not hold is here,
keyed by activation name: REFERENCES (f and f' in a wide type, written not to
cancel), NUMPY_FORWARD / NUMPY_BACKWARD (what a careful NumPy user writes, used
where the registry's numpy_expr does not evaluate as written, and for the
gradient), NUMEXPR_FORWARD and TORCH_BACKWARD (the peers' calls). A name
missing from a table loses that figure only: an activation without a reference
has its forward checked against its NumPy expression in the wide type, and no
gradient check.
"""
import gc
import os
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

from ._registry import ACTIVATIONS, API_SUFFIX, MODES

# bench/bench.py sets the same variables before NumPy loads
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


# --------------------------------------------------------------------------
# references
#
# f and f' of each activation, computed in the (wider) type of x: float64 for
# float32 results, np.longdouble for float64 ones. Each is written so that it
# does not cancel where the result is small (e/(1+e) rather than 1 - 1/(1+e),
# erfc rather than 1 + erf, expm1 rather than exp - 1): the reference must be
# accurate to well under one ulp of the result type everywhere, or the error
# figures would measure the reference. Parameters are keywords with torch's
# defaults. Derivatives at a kink take torch's convention (relu'(0) = 0: the
# gradient is passed only where the function is strictly on its sloped side).
# NumPy has no erf: gelu's Phi is computed here (_ncdf). Where a closed form
# cannot be made good enough in long double (a derivative's zero, gelu_tanh's
# far tail), the float64 references come from mpmath (Reference.mp_*_where).

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
GELU_TANH_C = "0.044715"               # torch's tanh form: sqrt(2/pi) (x + c x^3), c decimal


def _c(x, v):
    """The constant v in x's type (long double constants keep their digits)."""
    return np.asarray(x).dtype.type(v) if isinstance(v, str) else v


def _expit(x):
    e = np.exp(-np.abs(x))            # never overflows
    r = 1 / (1 + e)
    return np.where(x >= 0, r, e * r)  # 1/(1+e) for x >= 0, e/(1+e) below


def _sigmoid_grad_ref(x):
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    return e * r * r                   # e/(1+e)^2: no cancellation near the tails


def _tanh_grad_ref(x):
    e2 = np.exp(-2 * np.abs(x))
    r = 1 / (1 + e2)
    return 4 * e2 * r * r              # 4 e2/(1+e2)^2 = 1 - tanh(x)^2, without cancelling


def _softplus(x):
    return np.logaddexp(0, x)          # max(x, 0) + log1p(e^-|x|)


_INV_SQRT2 = "0.70710678118654752440084436210484903928"
_INV_SQRT2PI = "0.39894228040143267793994605993438186848"
_INV_SQRTPI = "0.56418958354775628694807945156077258584"
_SQRT_2_OVER_PI = "0.79788456080286535587989211986876373695"


def _gauss(x):
    """exp(-x^2/2) in x's type, x^2 not rounded. x holds values of the result
    type: a float32 squared is exact in float64; a float64 is split (Veltkamp,
    2^27 + 1) into hi + lo of 26 and 27 bits, whose products hi^2, hi lo and lo^2
    are exact in long double's 64 bits, and exp of each is taken apart."""
    x = np.asarray(x)
    if x.dtype.itemsize <= 8:
        return np.exp(-0.5 * x * x)
    x64 = np.clip(x, -1e3, 1e3).astype(np.float64)   # exp(-x^2/2) is 0 well before 1e3
    c = x64 * 134217729.0
    hi = c - (c - x64)
    lo = (x64 - hi).astype(x.dtype)
    hi = hi.astype(x.dtype)
    return np.exp(-0.5 * hi * hi) * np.exp(-hi * lo) * np.exp(-0.5 * lo * lo)


def _ncdf(x):
    """The normal CDF Phi(x) = erfc(-x/sqrt 2)/2 in x's type (float64 or long
    double) to a few units of its last place, NumPy having no erf of its own.
    For t = -|x| and z = |x|/sqrt 2: Phi(t) = (1 - erf z)/2 for z < 1, with
    erf z = 2/sqrt(pi) e^(-z^2) sum_n 2^n z^(2n+1)/(2n+1)!! (positive terms;
    1 - erf z >= 0.157 loses under 3 bits); for z >= 1, e^(-z^2) erfcx(z)/2 with
    erfcx(z) = 1/sqrt(pi) / (z + (1/2)/(z + (2/2)/(z + (3/2)/(z + ...)))), the
    continued fraction of Abramowitz & Stegun 7.1.14 (400 levels reach long
    double's precision at z = 1, 100 beyond z = 2: checked against mpmath).
    Phi(x) = 1 - Phi(-x) for x > 0."""
    x = np.asarray(x)
    one = x.dtype.type(1)
    z = np.abs(x) * _c(x, _INV_SQRT2)
    g = _gauss(x)                                     # e^(-z^2)
    small = z < 1
    zs = np.where(small, z, 0)
    term, total = zs, zs
    for n in range(1, 23):                            # z < 1: the terms fall below 2^-70 by n = 22
        term = term * 2 * zs * zs / (2 * n + 1)
        total = total + term
    below = (one - 2 * _c(x, _INV_SQRTPI) * g * total) / 2
    zl = np.where(small, 2, z)
    t = np.zeros_like(zl)
    near = zl < 2                                     # the levels past 100 only for z < 2
    zn, tn = zl[near], t[near]
    for k in range(400, 100, -1):
        tn = (x.dtype.type(k) / 2) / (zn + tn)
    t[near] = tn
    for k in range(100, 0, -1):
        t = (x.dtype.type(k) / 2) / (zl + t)
    tail = g * _c(x, _INV_SQRTPI) / (zl + t) / 2
    lower = np.where(small, below, tail)              # Phi(-|x|)
    return np.where(x > 0, one - lower, lower)


def _gelu(x, approximate="none"):
    if approximate == "tanh":
        u = _c(x, _SQRT_2_OVER_PI) * (x + _c(x, GELU_TANH_C) * x * x * x)
        return x * _expit(2 * u)       # 0.5 (1 + tanh u) = sigmoid(2u): no cancellation
    return x * _ncdf(x)


def _gelu_grad(x, approximate="none"):
    if approximate == "tanh":
        k, c = _c(x, _SQRT_2_OVER_PI), _c(x, GELU_TANH_C)
        u = k * (x + c * x * x * x)
        s, sn = _expit(2 * u), _expit(-2 * u)          # (1 + tanh u)/2 and (1 - tanh u)/2
        return s + 2 * x * s * sn * k * (1 + 3 * c * x * x)
    return _ncdf(x) + x * _gauss(x) * _c(x, _INV_SQRT2PI)


def _silu_grad(x):
    s = _expit(x)
    return s + x * s * _expit(-x)       # s (1 + x (1 - s)), 1 - s not cancelled


def _mish(x):
    return x * np.tanh(_softplus(x))


def _mish_grad(x):
    sp = _softplus(x)
    t = np.tanh(sp)
    sech2 = 1 / np.cosh(sp) ** 2        # cosh overflows to inf for huge x: sech2 = 0
    return t + x * sech2 * _expit(x)


def _softplus_ref(x, beta=1.0, threshold=20.0):
    bx = beta * x
    return np.where(bx > threshold, x, _softplus(bx) / beta)


def _softplus_grad(x, beta=1.0, threshold=20.0):
    bx = beta * x
    return np.where(bx > threshold, 1, _expit(bx))


def _elu(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return scale * np.where(x > 0, x, alpha * np.expm1(x * input_scale))


def _elu_grad(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return scale * np.where(x > 0, 1, alpha * input_scale * np.exp(x * input_scale))


def _hardsigmoid(x):
    return np.clip((x + 3) / 6, 0, 1)  # x/6 + 0.5 would cancel near -3; x + 3 is exact there


def _hardswish_grad(x):
    # (2x + 3)/6 = x/3 + 1/2 without cancelling near -1.5 (2x + 3 is exact there);
    # torch's ends: 0 at -3, 1 at 3
    return np.where(x <= -3, 0, np.where(x < 3, (2 * x + 3) / 6, 1))


def _between(x, lo, hi):
    """1 where lo < x < hi (the gradient of a clamp), else 0, in x's type."""
    return ((x > lo) & (x < hi)).astype(np.asarray(x).dtype)


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    """(x - m) - log1p(t), t the sum of exp(x - m) over the terms below the max
    (each maximum contributes exactly 1): log of the full sum would round away
    t < 2^-53 and make the largest result exactly 0 instead of -t."""
    s = x - np.max(x, axis=axis, keepdims=True)
    top = s == 0
    t = (np.sum(np.where(top, 0, np.exp(s)), axis=axis, keepdims=True)
         + (np.sum(top, axis=axis, keepdims=True) - 1))
    return s - np.log1p(t)


def _mp_sigmoid(mp, x):
    return 1 / (1 + mp.exp(-x))


def _mp_sigmoid_grad(mp, x):
    e = mp.exp(-abs(x))
    return e / (1 + e) ** 2


def _mp_tanh_grad(mp, x):
    return mp.sech(x) ** 2


def _mp_gelu_tanh_s(mp, x):
    k, c = mp.sqrt(2 / mp.pi), mp.mpf(GELU_TANH_C)
    return k, c, 1 / (1 + mp.exp(-2 * k * (x + c * x ** 3)))     # (1 + tanh u)/2


def _mp_gelu_tanh(mp, x):
    return x * _mp_gelu_tanh_s(mp, x)[2]


def _mp_gelu_tanh_grad(mp, x):
    k, c, s = _mp_gelu_tanh_s(mp, x)
    return s + 2 * x * s * (1 - s) * k * (1 + 3 * c * x * x)


def _mp_silu_grad(mp, x):
    s = _mp_sigmoid(mp, x)
    return s * (1 + x * (1 - s))


def _mp_mish(mp, x):
    return x * mp.tanh(mp.log1p(mp.exp(x)))


def _mp_mish_grad(mp, x):
    t = mp.tanh(mp.log1p(mp.exp(x)))
    return t + x * (1 - t * t) * _mp_sigmoid(mp, x)


def _near(x0, radius=0.1):
    """The mask |x - x0| < radius: where a derivative crosses zero at x0 its
    closed form cancels even in long double (an absolute error of a few 2^-64
    on a result near 0; 0.1 keeps what is left below 0.05 float64 ulp)."""
    return lambda x: np.abs(x - x0) < radius


@dataclass(frozen=True)
class Reference:
    forward: object            # f(x, **params) on a float64 or longdouble array, in that type
    derivative: object = None  # f'(x, **params), same; None for the axis ones (a Jacobian)
    mp_forward: object = None  # f(mp, mpf) with mpmath, or None
    mp_derivative: object = None
    # Masks of x (long double) where the closed form is not good to well under a
    # float64 ulp in long double: there the float64 results' reference is
    # mp_forward / mp_derivative at 160 bits, when mpmath is installed.
    mp_forward_where: object = None
    mp_derivative_where: object = None


# keyed by registry name; gelu_tanh is gelu's approximate="tanh" row
REFERENCES = {
    "sigmoid": Reference(_expit, _sigmoid_grad_ref, _mp_sigmoid, _mp_sigmoid_grad),
    "tanh": Reference(np.tanh, _tanh_grad_ref, lambda mp, x: mp.tanh(x), _mp_tanh_grad),
    "relu": Reference(lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(x.dtype)),
    "relu6": Reference(lambda x: np.clip(x, 0, 6), lambda x: _between(x, 0, 6)),
    "leaky_relu": Reference(
        lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
        lambda x, negative_slope=0.01: np.where(x > 0, 1, negative_slope)),
    "prelu": Reference(lambda x, weight: np.where(x > 0, x, x * weight),
                       lambda x, weight: np.where(x > 0, 1, weight)),
    "elu": Reference(lambda x, alpha=1.0: _elu(x, alpha),
                     lambda x, alpha=1.0: _elu_grad(x, alpha)),
    "selu": Reference(lambda x: _elu(x, _c(x, "1.6732632423543772848170429916717"),
                                     _c(x, "1.0507009873554804934193349852946")),
                      lambda x: _elu_grad(x, _c(x, "1.6732632423543772848170429916717"),
                                          _c(x, "1.0507009873554804934193349852946"))),
    "celu": Reference(lambda x, alpha=1.0: _elu(x, alpha, 1.0, 1 / alpha),
                      lambda x, alpha=1.0: _elu_grad(x, alpha, 1.0, 1 / alpha)),
    "gelu": Reference(_gelu, _gelu_grad,
                      lambda mp, x: x * mp.ncdf(x), lambda mp, x: mp.ncdf(x) + x * mp.npdf(x),
                      mp_derivative_where=_near(-0.75179162426122)),
    # long double rounds 2u (up to ~750 where x sigmoid(2u) is a float64) by a few
    # 2^-64 * 750: up to an ulp of the tail's float64 results
    "gelu_tanh": Reference(lambda x: _gelu(x, "tanh"), lambda x: _gelu_grad(x, "tanh"),
                           _mp_gelu_tanh, _mp_gelu_tanh_grad,
                           mp_forward_where=lambda x: (x < -4) & (x > -23),
                           mp_derivative_where=lambda x: (((x < -4) & (x > -23))
                                                          | _near(-0.7524614220710163)(x))),
    "silu": Reference(lambda x: x * _expit(x), _silu_grad,
                      lambda mp, x: x * _mp_sigmoid(mp, x), _mp_silu_grad,
                      mp_derivative_where=_near(-1.2784645427610738)),
    "mish": Reference(_mish, _mish_grad, _mp_mish, _mp_mish_grad,
                      mp_derivative_where=_near(-1.1924312145154952)),
    "softplus": Reference(_softplus_ref, _softplus_grad),
    "log_sigmoid": Reference(lambda x: -_softplus(-x), lambda x: _expit(-x)),
    "softsign": Reference(lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "hardsigmoid": Reference(_hardsigmoid, lambda x: _between(x, -3, 3) / 6),
    "hardswish": Reference(lambda x: x * _hardsigmoid(x), _hardswish_grad),
    "hardtanh": Reference(lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val),
                          lambda x, min_val=-1.0, max_val=1.0: _between(x, min_val, max_val)),
    "softmax": Reference(_softmax),
    "log_softmax": Reference(_log_softmax),
}


def narrow_dtype(wide):
    """The result type whose references are computed in `wide` (the inverse of
    wide_dtype): float32 for float64, float64 for long double."""
    wide = np.dtype(wide)
    if wide == np.float64:
        return np.dtype(np.float32)
    if wide == np.longdouble and wide.itemsize > 8:
        return np.dtype(np.float64)
    return wide


def _reference_params(act, x, params):
    # by default the parameters as the narrow computation receives them: a
    # float32 result's reference uses float32(0.01), a float64 one's 0.01
    return params_as(act, narrow_dtype(np.asarray(x).dtype)) if params is None else params


def _limits_at_inf(f, x, y):
    """y = f(x) with each NaN at an infinite x replaced by f's limit there. The
    formulas meet inf * 0 or inf / inf at +-inf (silu at -inf, softsign at +inf,
    most derivatives at +inf) where the function has a limit (-0, 1, ...); every
    activation here reaches its limit in the wide type long before
    sqrt(max finite) (exp(-x) underflows past x = 1.2e4 in long double), and the
    formulas stay free of overflow-made indeterminate forms there (x^3 may
    overflow to inf, 2x does not). A NaN that remains is reported as one. Only
    for the activations without parameters: with a parameter, inf * 0 is
    torch's answer too (leaky_relu(-inf) with slope 0 is NaN there)."""
    pending = np.isinf(x) & np.isnan(y)
    if not pending.any():
        return y
    big = np.sqrt(np.finfo(x.dtype).max)
    y = np.array(y, copy=True)
    y[pending] = np.asarray(f(np.where(x[pending] > 0, big, -big).astype(x.dtype)))
    return y


def mp_exact(mp, f, x):
    """f(mp, x) for each value of x at 160 bits, as long double (through a
    25-digit string: the 64-bit mantissa is kept)."""
    with mp.workprec(160), warnings.catch_warnings():
        # a value below long double's range becomes 0; NumPy warns of "overflow"
        warnings.filterwarnings("ignore", "overflow encountered in conversion from string")
        return np.array([np.longdouble(mp.nstr(f(mp, mp.mpf(float(v))), 25)) for v in x],
                        dtype=np.longdouble)


def _refine_with_mpmath(f, where, x, y):
    """y with mpmath's f at the inputs `where` selects, for float64 results (x
    long double); y as it is when mpmath is not installed or nothing is selected."""
    if f is None or where is None or x.dtype != np.longdouble or x.dtype.itemsize <= 8:
        return y
    mask = where(x)
    if not mask.any():
        return y
    try:
        import mpmath
    except ImportError:
        return y
    y = np.array(y, copy=True)
    y[mask] = mp_exact(mpmath, f, x[mask])
    return y


def forward_reference(act, x, params=None):
    """f(x) computed in x's (wider) type, with no floating-point warnings. The
    parameters are the measuring values (param_values) rounded to the result
    type x's type is the reference of (narrow_dtype: float32 for a float64 x),
    unless `params` is given. An activation missing from REFERENCES falls back
    to its NumPy expression evaluated in the wide type."""
    p = _reference_params(act, x, params)
    with np.errstate(all="ignore"):
        ref = REFERENCES.get(act.name)
        f = ref.forward if ref is not None else numpy_expr(act)
        y = np.asarray(f(x, **p), dtype=x.dtype)
        if not p and act_kind(act) == "elementwise":
            y = _limits_at_inf(lambda v: np.asarray(f(v, **p), dtype=x.dtype), x, y)
        if ref is not None and not p:
            y = _refine_with_mpmath(ref.mp_forward, ref.mp_forward_where, x, y)
        return y


def derivative_reference(act, x, params=None):
    """f'(x) in x's type (NaN where x is NaN), parameters as forward_reference
    takes them, or None when REFERENCES has no derivative for it."""
    ref = REFERENCES.get(act.name)
    if ref is None or ref.derivative is None:
        return None
    p = _reference_params(act, x, params)
    with np.errstate(all="ignore"):
        d = np.asarray(ref.derivative(x, **p), dtype=x.dtype)
        if not p:
            d = _limits_at_inf(lambda v: np.asarray(ref.derivative(v), dtype=x.dtype), x, d)
            d = _refine_with_mpmath(ref.mp_derivative, ref.mp_derivative_where, x, d)
        return np.where(np.isnan(x), x, d)    # the piecewise ones compare NaN as False


def wide_dtype(dtype):
    """The type references are computed in for results of `dtype`."""
    return np.dtype(np.float64) if np.dtype(dtype).itemsize < 8 else np.dtype(np.longdouble)


def wide_name(dtype):
    """How reports name a reference type: float64, or long double with its precision."""
    dtype = np.dtype(dtype)
    if dtype == np.longdouble and dtype.itemsize > 8:
        return f"long double ({np.finfo(dtype).nmant + 1}-bit mantissa)"
    return dtype.name


def fmt_value(v, dtype):
    """A value with the digits that tell `dtype` results apart."""
    return f"{float(v):.9g}" if np.dtype(dtype).itemsize <= 4 else f"{float(v):.17g}"


# --------------------------------------------------------------------------
# inputs

def float_sweep_chunk(dtype, count, start, stop):
    """Values start..stop-1 of a sweep of `count` bit patterns of `dtype`
    (float32 or float64) spread evenly over the whole integer representation, so
    every binade of both signs is hit (with subnormals, +-0, +-inf and NaNs).
    With `count` equal to the number of patterns (2^32 for float32) it is every
    one of them; otherwise the low bits of each stride step are varied so the
    mantissa tails differ too."""
    dtype = np.dtype(dtype)
    utype = np.uint32 if dtype.itemsize == 4 else np.uint64
    stride = (1 << (8 * dtype.itemsize)) // count
    i = np.arange(start, stop, dtype=np.uint64)
    if stride > 1:
        jitter = (i * np.uint64(2654435761)) % np.uint64(stride)
        i *= np.uint64(stride)
        i += jitter
    return i.astype(utype).view(dtype)


def float_sweep(dtype, count, chunk=1 << 17):
    """The sweep of float_sweep_chunk, `chunk` values at a time."""
    count = min(int(count), 1 << (8 * np.dtype(dtype).itemsize))
    for start in range(0, count, chunk):
        yield float_sweep_chunk(dtype, count, start, min(start + chunk, count))


def probe_points(act, dtype, spread=4):
    """The registry's probes of `act`, both signs, and `spread` neighbours each side."""
    dtype = np.dtype(dtype)
    pts = []
    for p in act.probes:
        for s in (p, -p):
            v = dtype.type(s)
            lo = hi = v
            pts.append(v)
            for _ in range(spread):
                lo = np.nextafter(lo, dtype.type(-np.inf))
                hi = np.nextafter(hi, dtype.type(np.inf))
                pts += [lo, hi]
    pts += [dtype.type(v) for v in (0.0, -0.0, np.inf, -np.inf, np.nan)]
    return np.array(pts, dtype=dtype)


def placed_empty(n, dtype, slot):
    """An empty 1-d array whose data starts `slot` * 576 bytes past a 4 KiB
    boundary (mod 4096). Timed arrays get distinct slots: when an input and an
    output start at nearly the same offset in their pages, loads and stores
    falsely alias ("4K aliasing") and a copy can run 10-20x slower (measured
    here: np.copyto of 65,536 float32 at 0.11 ns/element with the arrays 64 bytes
    apart in their pages, 1.4-2.6 with them 16 bytes apart). malloc places large
    arrays at one offset, so without this the memory-limit reference and
    every figure depended on the luck of allocation."""
    itemsize = np.dtype(dtype).itemsize
    buf = np.empty(n * itemsize + 4096, np.uint8)
    start = (slot * 576 - buf.ctypes.data) % 4096
    return buf[start:start + n * itemsize].view(dtype)


def timing_inputs(n, dtype, seed=1):
    """The arrays the speed figures are measured on: x standard normal times 3
    (both signs, mostly in the curved part, some saturated) and grad_output
    standard normal, both of `dtype`, placed in slots 0 and 1 (placed_empty;
    outputs take slots 2 and up)."""
    rng = np.random.default_rng(seed)
    x, g = placed_empty(n, dtype, 0), placed_empty(n, dtype, 1)
    x[...] = rng.standard_normal(n) * 3
    g[...] = rng.standard_normal(n)
    return x, g


def float64_samples(count, seed=20261123):
    """`count` float64 inputs: a quarter strided over all bit patterns, a quarter
    with |x| log-uniform in [2^-40, 2^10], half uniform in [-40, 40]."""
    rng = np.random.default_rng(seed)
    q = count // 4
    strided = np.concatenate(list(float_sweep(np.float64, q)))
    logu = np.exp2(rng.uniform(-40, 10, q)) * rng.choice([-1.0, 1.0], q)
    unif = rng.uniform(-40, 40, count - 2 * q)
    return np.concatenate([strided, logu, unif])


# --------------------------------------------------------------------------
# error measurement

@dataclass
class ErrorStats:
    """Max errors of a result of `dtype` against a reference, mergeable by chunk.
    The worst input of each figure is kept with the result and the reference."""
    dtype: str
    count: int = 0
    mismatched_nan: int = 0      # NaN where the reference is not, or the reverse
    max_ulp: float = 0.0         # all results; below the smallest normal, in subnormal ulps
    max_ulp_normal: float = 0.0  # where the exact result is a normal number
    max_abs: float = 0.0
    max_rel: float = 0.0         # where the exact result is a normal number
    worst_ulp: tuple = None      # (x, got, ref) where each figure is worst
    worst_ulp_normal: tuple = None
    worst_abs: tuple = None
    worst_rel: tuple = None

    FIGURES = ("ulp", "ulp_normal", "abs", "rel")

    def add(self, x, got, ref):
        """Fold in one chunk: x the inputs, got the results, ref the reference
        values in a wider type."""
        x, got, ref = (np.asarray(a).ravel() for a in (x, got, ref))
        self.count += got.size
        if got.size == 0:
            return self
        with np.errstate(all="ignore"):          # signalling NaNs, inf - inf
            self._add(x, got, ref)
        return self

    def _add(self, x, got, ref):
        info = np.finfo(self.dtype)
        # an exact result beyond the largest float rounds to inf: that is its
        # correctly rounded value (selu of 3e38, say), not an infinite error
        top = ref.dtype.type(info.max) * (1 + ref.dtype.type(info.eps) / 4)
        ref = np.where(np.abs(ref) >= top, np.copysign(np.inf, ref), ref)
        diff = np.subtract(got, ref, dtype=ref.dtype)
        np.abs(diff, out=diff)
        if np.isnan(diff).any():                      # a NaN, or inf - inf
            bad = np.flatnonzero(np.isnan(diff))
            g, r = got[bad], ref[bad]
            same = (g == r) | (np.isnan(g) & np.isnan(r))
            diff[bad] = np.where(same, 0, np.inf)
            self.mismatched_nan += int(np.count_nonzero(~same))
        # ulp of the result type at ref: 2^(E - nmant) for |ref| in [2^E, 2^(E+1)),
        # and the smallest subnormal for |ref| below the smallest normal.
        _, e = np.frexp(ref)                          # |ref| = m 2^e, 1/2 <= m < 1
        np.subtract(info.nmant + 1, e, out=e)
        ulp_err = np.ldexp(diff, e)
        aref = np.abs(ref)
        normal = aref >= info.tiny
        odd = None if normal.all() else np.flatnonzero(~normal)
        if odd is not None:
            ulp_err[odd] = diff[odd] / info.smallest_subnormal
        self._keep("ulp", ulp_err, x, got, ref)
        if odd is not None:
            ulp_err[odd] = 0
        self._keep("ulp_normal", ulp_err, x, got, ref)
        self._keep("abs", diff, x, got, ref)
        rel = np.divide(diff, aref, out=aref)         # relative error, normal results only
        if odd is not None:
            rel[odd] = 0
        self._keep("rel", rel, x, got, ref)

    def _keep(self, what, err, x, got, ref):
        i = int(np.argmax(err))
        e = float(err[i])
        if e > getattr(self, "max_" + what) or getattr(self, "worst_" + what) is None:
            setattr(self, "max_" + what, e)
            setattr(self, "worst_" + what, (x[i].item(), got[i].item(), ref[i].item()))

    def merge(self, other):
        self.count += other.count
        self.mismatched_nan += other.mismatched_nan
        for what in self.FIGURES:
            theirs = getattr(other, "worst_" + what)
            if theirs is None:
                continue
            if (getattr(self, "worst_" + what) is None
                    or getattr(other, "max_" + what) > getattr(self, "max_" + what)):
                setattr(self, "max_" + what, getattr(other, "max_" + what))
                setattr(self, "worst_" + what, theirs)
        return self

    def within(self, bound):
        """True/False against a registry Bound, None if the bound states no figure."""
        if bound is None or (bound.ulp is None and bound.rel is None and bound.abs is None):
            return None
        ok = self.mismatched_nan == 0
        if bound.ulp is not None:
            ok &= self.max_ulp <= bound.ulp
        if bound.rel is not None:
            ok &= self.max_rel <= bound.rel
        if bound.abs is not None:
            ok &= self.max_abs <= bound.abs
        return bool(ok)

    def as_dict(self):
        d = {k: v for k, v in self.__dict__.items()}
        for what in self.FIGURES:
            w = d.pop("worst_" + what)
            d["worst_" + what] = None if w is None else dict(
                zip(("x", "got", "ref"), (fmt_float(v) for v in w)))
        return d


def fmt_float(v):
    """A float for reports and JSON: the shortest repr that round-trips."""
    return repr(float(v))


# --------------------------------------------------------------------------
# the registry, read generically (fields a row may not have yet get the values
# the contract gives them)

# values used to measure a parameter the registry leaves required (no default)
MEASURE_VALUES = {("prelu", "weight"): 0.25}


def act_params(act):
    """The registry's Param rows of `act` (name, default, doc), in call order."""
    return tuple(getattr(act, "params", ()) or ())


def param_values(act):
    """{name: value} of `act`'s parameters at their defaults, or at the value in
    MEASURE_VALUES for one the registry leaves required (prelu's weight 0.25)."""
    out = {}
    for p in act_params(act):
        v = p.default
        if v is None:
            v = MEASURE_VALUES.get((act.name, p.name))
            if v is None:
                raise ValueError(f"{act.name}: parameter {p.name!r} has no default and no "
                                 "value in fastact._measure.MEASURE_VALUES")
        out[p.name] = v
    return out


def params_as(act, dtype):
    """param_values rounded to `dtype`, as the computation in that dtype receives
    them (float32 x times the Python float 0.01 multiplies by float32(0.01) in
    fastact, NumPy and torch alike): the reference of a float32 result uses
    these, so a correctly rounded x * float32(0.01) is 0.5 ulp, not 0.84."""
    dt = np.dtype(dtype)
    return {k: float(dt.type(v)) for k, v in param_values(act).items()}


def act_modes(act):
    """The modes that compute differently for `act` (("accurate",) for the exact ones)."""
    return tuple(getattr(act, "modes", MODES) or MODES)


def act_kind(act):
    """'elementwise' or 'axis' (softmax, log_softmax: along the last axis)."""
    return getattr(act, "kind", "elementwise") or "elementwise"


def public_call(act):
    """(public function name, extra keywords) that reach `act`: its own name, or
    for a variant row (gelu_tanh) the public function with its option set."""
    var = getattr(act, "variant_of", None)
    if var:
        pub, option, value = var
        return pub, {option: value}
    return act.name, {}


def display_name(act):
    pub, extra = public_call(act)
    if not extra:
        return act.name
    return f"{pub}({', '.join(f'{k}={v!r}' for k, v in extra.items())})"


def fastact_op(act, op, mode="accurate", params=None):
    """A callable running fastact's `op` ("forward", "backward", "fused") of `act`
    with its parameters bound: forward f(x, out=None), backward f(g, z, out=None)
    (z = y or x as the registry's backward_from says), fused f(x, g, out=None)
    with out a pair."""
    import fastact
    pub, extra = public_call(act)
    func = getattr(fastact, pub + API_SUFFIX[op])
    pv = tuple((param_values(act) if params is None else params).values())
    kw = dict(extra)
    if op != "backward":
        kw["mode"] = mode

    def call(*arrays, out=None):
        if out is None:
            return func(*arrays, *pv, **kw)
        return func(*arrays, *pv, out=out, **kw)

    def bind(*arrays, out=None):
        """A no-argument callable running op on these arrays: one Python frame
        around the public call, as a Peer's bind (what the timers call), written
        as a user would (the default mode not spelled out)."""
        args = (*arrays, *pv)
        okw = {k: v for k, v in kw.items() if (k, v) != ("mode", MODES[0])}
        if okw:
            if out is not None:
                okw["out"] = out
            return lambda: func(*args, **okw)
        return (lambda: func(*args)) if out is None else (lambda: func(*args, out=out))
    call.bind = bind
    return call


def shaped(act, n):
    """The shape an array of about n elements is measured in: flat for the
    element-wise activations; for the axis ones (softmax) rows of the last axis,
    (1024, n/1024) from 2^16 elements up and (n/64, 64) below."""
    if act_kind(act) != "axis":
        return (n,)
    cols = n // 1024 if n >= 1 << 16 else 64
    return (max(1, n // cols), cols) if n >= cols else (1, n)


def find_activations(names=None):
    """Registry rows by name or alias (swish -> silu), or all of them; an unknown
    name is a ValueError listing the known ones."""
    if not names:
        return list(ACTIVATIONS.values())
    alias = {a: act for act in ACTIVATIONS.values() for a in getattr(act, "aliases", ())}
    out, unknown = [], []
    for n in names:
        act = ACTIVATIONS.get(n) or alias.get(n)
        if act is None:
            unknown.append(n)
        elif act not in out:
            out.append(act)
    if unknown:
        raise ValueError(f"unknown activation(s) {', '.join(unknown)}; "
                         f"known: {', '.join(ACTIVATIONS)}")
    return out


activations = find_activations


# --------------------------------------------------------------------------
# peers: what a careful user writes instead of fastact

def _numpy_namespace():
    ns = {"np": np, "math": __import__("math")}
    try:
        import scipy.special
        ns.update(scipy=__import__("scipy"), special=scipy.special, erf=scipy.special.erf,
                  erfc=scipy.special.erfc, expit=scipy.special.expit)
    except ImportError:
        pass
    return ns


def _expr_function(text, act, args=("x",)):
    """Compile an expression of `args` and the parameters of `act` (or
    'a = ...; expr' statements ending in one) into f(*args, **params)."""
    names = list(args) + [p.name for p in act_params(act)]
    *stmts, last = [s.strip() for s in text.split(";")]
    body = "".join(f"    {s}\n" for s in stmts) + f"    return {last}\n"
    ns = _numpy_namespace()
    exec(compile(f"def f({', '.join(names)}):\n{body}",  # noqa: S102 (our own tables)
                 f"<{act.name}: {text}>", "exec"), ns)
    return ns["f"]


# The NumPy (and SciPy) a careful user writes, for the rows whose registry
# numpy_expr does not evaluate as written (a missing import, or statements).
# Forward in x, backward from z = y or x as the registry's backward_from says;
# parameters by their registry names.
NUMPY_FORWARD = {
    "sigmoid": "1 / (1 + np.exp(-x))",
    "tanh": "np.tanh(x)",
    "relu": "np.maximum(x, 0)",
    "relu6": "np.clip(x, 0, 6)",
    "leaky_relu": "np.where(x > 0, x, x * negative_slope)",
    "prelu": "np.where(x > 0, x, x * weight)",
    "elu": "np.where(x > 0, x, alpha * np.expm1(x))",
    "selu": f"{SELU_SCALE!r} * np.where(x > 0, x, {SELU_ALPHA!r} * np.expm1(x))",
    "celu": "np.where(x > 0, x, alpha * np.expm1(x / alpha))",
    "gelu": "x * 0.5 * (1 + erf(x / np.sqrt(2)))",
    "gelu_tanh": "0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))",
    "silu": "x * expit(x)",
    "mish": "x * np.tanh(np.logaddexp(0, x))",
    "softplus": "np.where(beta * x > threshold, x, np.logaddexp(0, beta * x) / beta)",
    "log_sigmoid": "-np.logaddexp(0, -x)",
    "softsign": "x / (1 + np.abs(x))",
    "hardsigmoid": "np.clip(x / 6 + 0.5, 0, 1)",
    "hardswish": "x * np.clip(x / 6 + 0.5, 0, 1)",
    "hardtanh": "np.clip(x, min_val, max_val)",
    "softmax": "e = np.exp(x - x.max(-1, keepdims=True)); e / e.sum(-1, keepdims=True)",
    "log_softmax": "s = x - x.max(-1, keepdims=True); "
                   "s - np.log(np.exp(s).sum(-1, keepdims=True))",
}

NUMPY_BACKWARD = {   # g: grad_output; y: the forward's output, x: its input
    "sigmoid": "g * y * (1 - y)",
    "tanh": "g * (1 - y * y)",
    "relu": "g * (x > 0)",
    "relu6": "g * ((x > 0) & (x < 6))",
    "leaky_relu": "g * np.where(x > 0, 1, negative_slope)",
    "prelu": "g * np.where(x > 0, 1, weight)",
    "elu": "g * np.where(x > 0, 1, alpha * np.exp(x))",
    "selu": f"g * {SELU_SCALE!r} * np.where(x > 0, 1, {SELU_ALPHA!r} * np.exp(x))",
    "celu": "g * np.where(x > 0, 1, np.exp(x / alpha))",
    "gelu": "g * (0.5 * (1 + erf(x / np.sqrt(2))) + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi))",
    "gelu_tanh": "k = np.sqrt(2 / np.pi); t = np.tanh(k * (x + 0.044715 * x**3)); "
                 "g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))",
    "silu": "s = expit(x); g * s * (1 + x * (1 - s))",
    "mish": "t = np.tanh(np.logaddexp(0, x)); g * (t + x * (1 - t * t) * expit(x))",
    "softplus": "g * np.where(beta * x > threshold, 1, expit(beta * x))",
    "log_sigmoid": "g * expit(-x)",
    "softsign": "g / (1 + np.abs(x)) ** 2",
    "hardsigmoid": "g * ((x > -3) & (x < 3)) / 6",
    "hardswish": "g * np.where(x <= -3, 0, np.where(x < 3, x / 3 + 0.5, 1))",
    "hardtanh": "g * ((x > min_val) & (x < max_val))",
    "softmax": "y * (g - (g * y).sum(-1, keepdims=True))",
    "log_softmax": "g - np.exp(y) * g.sum(-1, keepdims=True)",
}


@dataclass(frozen=True)
class Peer:
    """One implementation of one op that is not fastact: its label, its library
    ("numpy", "scipy", "torch", "numexpr"), fn(*arrays, out=None) returning the
    result as a NumPy array of the arrays' dtype (out used where the library
    takes one), and bind(*arrays, out=None) -> a no-argument callable running it
    on those arrays with any conversion done beforehand (what the timers call)."""
    label: str
    library: str
    fn: object
    bind_fn: object = None

    def bind(self, *arrays, out=None):
        if self.bind_fn is not None:
            return self.bind_fn(*arrays, out=out)
        fn = self.fn
        return lambda: fn(*arrays, out=out)


def _probe_ok(fn, *arrays):
    try:
        with np.errstate(all="ignore"):
            fn(*arrays)
        return True
    except Exception:          # noqa: BLE001 (a peer that cannot run is dropped)
        return False


def _probe_arrays(act, n=256):
    x = np.linspace(-5, 5, n).reshape(shaped(act, n))
    return x, np.ones_like(x)


def numpy_forward(act):
    """The NumPy expression of f as a Peer (label = the expression), or None:
    the registry's numpy_expr when it evaluates as written, else NUMPY_FORWARD's."""
    p = param_values(act)
    x, _ = _probe_arrays(act)
    for text in (act.numpy_expr, NUMPY_FORWARD.get(act.name)):
        if not text:
            continue
        try:
            f = _expr_function(text, act)
        except SyntaxError:
            continue
        if _probe_ok(lambda x: f(x, **p), x):
            return Peer(text, "numpy", lambda x, out=None, f=f: f(x, **p))
    return None


def numpy_expr(act):
    """f(x, **params) of the activation's NumPy expression: the registry's
    numpy_expr when it evaluates as written, else NUMPY_FORWARD's (ValueError if
    neither does). Parameters default to their measuring values."""
    peer = numpy_forward(act)
    if peer is None:
        raise ValueError(f"{act.name}: no NumPy expression that evaluates here")
    f = _expr_function(peer.label, act)
    defaults = param_values(act)
    return lambda x, **p: f(x, **{**defaults, **p})


def numpy_backward(act):
    """The hand-written NumPy gradient as a Peer f(g, z) (z = y or x as the
    registry's backward_from says), or None."""
    text = NUMPY_BACKWARD.get(act.name)
    if text is None:
        return None
    z = "y" if act.backward_from == "output" else "x"
    try:
        b = _expr_function(text, act, ("g", z))
    except SyntaxError:
        return None
    p = param_values(act)
    x, g = _probe_arrays(act)
    if not _probe_ok(lambda g, z: b(g, z, **p), g, x):
        return None
    return Peer(text, "numpy", lambda g, z, out=None: b(g, z, **p))


def scipy_forward(special, act):
    """scipy.special's function of the activation's name or an alias (sigmoid ->
    expit, log_sigmoid -> log_expit, softmax), as a Peer, or None. Only at
    default parameters (scipy's functions take none)."""
    if special is None or act_params(act) or public_call(act)[1]:
        return None
    for name in (act.name,) + tuple(getattr(act, "aliases", ())):
        f = getattr(special, name, None)
        if f is None:
            continue
        if isinstance(f, np.ufunc):
            return Peer(f"scipy.special.{name}", "scipy", lambda x, out=None, f=f: f(x, out=out))
        if act_kind(act) == "axis" and callable(f):
            return Peer(f"scipy.special.{name}(x, axis=-1)", "scipy",
                        lambda x, out=None, f=f: f(x, axis=-1))
    return None


def scipy_function(special, act):
    """The scipy.special ufunc of the same name or alias, or None (kept for callers
    that want the ufunc itself)."""
    peer = scipy_forward(special, act)
    if peer is None or act_kind(act) == "axis":
        return None
    return getattr(special, peer.label.split(".")[-1])


# numexpr (no erf, no reductions: gelu, softmax and log_softmax have none).
# Every float constant is a named local of x's dtype, so float32 stays float32.
NUMEXPR_FORWARD = {
    "sigmoid": "1 / (1 + exp(-x))",
    "tanh": "tanh(x)",
    "relu": "where(x > 0, x, 0)",
    "relu6": "where(x < 0, 0, where(x > 6, 6, x))",
    "leaky_relu": "where(x > 0, x, x * negative_slope)",
    "prelu": "where(x > 0, x, x * weight)",
    "elu": "where(x > 0, x, alpha * expm1(x))",
    "selu": "selu_scale * where(x > 0, x, selu_alpha * expm1(x))",
    "celu": "where(x > 0, x, alpha * expm1(x / alpha))",
    "gelu_tanh": "half * x * (1 + tanh(sqrt_2_over_pi * (x + gelu_c * x * x * x)))",
    "silu": "x / (1 + exp(-x))",
    "mish": "x * tanh(log1p(exp(x)))",
    "softplus": "where(beta * x > threshold, x, log1p(exp(beta * x)) / beta)",
    "log_sigmoid": "where(x < 0, x - log1p(exp(x)), -log1p(exp(-x)))",
    "softsign": "x / (1 + abs(x))",
    "hardsigmoid": "where(x <= -3, 0, where(x >= 3, 1, x / 6 + half))",
    "hardswish": "x * where(x <= -3, 0, where(x >= 3, 1, x / 6 + half))",
    "hardtanh": "where(x < min_val, min_val, where(x > max_val, max_val, x))",
}
_NUMEXPR_CONSTANTS = {"half": 0.5, "selu_scale": SELU_SCALE, "selu_alpha": SELU_ALPHA,
                      "sqrt_2_over_pi": float(np.sqrt(2 / np.pi)), "gelu_c": float(GELU_TANH_C)}


def numexpr_forward(ne, act):
    """numexpr.evaluate of NUMEXPR_FORWARD's expression as a Peer (out= used), or
    None when numexpr is missing, has no expression for it, or changes the dtype."""
    text = NUMEXPR_FORWARD.get(act.name)
    if ne is None or text is None:
        return None
    p = param_values(act)

    def fn(x, out=None):
        local = {k: x.dtype.type(v) for k, v in {**_NUMEXPR_CONSTANTS, **p}.items()}
        local["x"] = x
        return ne.evaluate(text, local_dict=local, global_dict={}, out=out)

    def bind(x, out=None):
        local = {k: x.dtype.type(v) for k, v in {**_NUMEXPR_CONSTANTS, **p}.items()}
        local["x"] = x
        return lambda: ne.evaluate(text, local_dict=local, global_dict={}, out=out)

    for dt in (np.float32, np.float64):
        x = _probe_arrays(act)[0].astype(dt)
        try:
            with np.errstate(all="ignore"):
                if fn(x).dtype != dt:
                    return None
        except Exception:     # noqa: BLE001 (an expression numexpr rejects: no peer)
            return None
    return Peer(f"numexpr {text}", "numexpr", fn, bind)


# torch's backward kernels, called as torch.ops.aten.<op>(grad_output, ...) with
# z = the forward's output or input (the registry's backward_from); checked once
# against autograd before use (a mismatch falls back to autograd).
TORCH_BACKWARD = {
    "sigmoid": ("sigmoid_backward", lambda g, z, p: (g, z)),
    "tanh": ("tanh_backward", lambda g, z, p: (g, z)),
    "relu": ("threshold_backward", lambda g, z, p: (g, z, 0)),
    "relu6": ("hardtanh_backward", lambda g, z, p: (g, z, 0.0, 6.0)),
    "leaky_relu": ("leaky_relu_backward", lambda g, z, p: (g, z, p["negative_slope"], False)),
    "elu": ("elu_backward", lambda g, z, p: (g, p["alpha"], 1.0, 1.0, False, z)),
    "celu": ("elu_backward", lambda g, z, p: (g, p["alpha"], 1.0, 1 / p["alpha"], False, z)),
    "selu": ("elu_backward", lambda g, z, p: (g, SELU_ALPHA, SELU_SCALE, 1.0, False, z)),
    "silu": ("silu_backward", lambda g, z, p: (g, z)),
    "mish": ("mish_backward", lambda g, z, p: (g, z)),
    "softplus": ("softplus_backward", lambda g, z, p: (g, z, p["beta"], p["threshold"])),
    "hardsigmoid": ("hardsigmoid_backward", lambda g, z, p: (g, z)),
    "hardswish": ("hardswish_backward", lambda g, z, p: (g, z)),
    "hardtanh": ("hardtanh_backward", lambda g, z, p: (g, z, p["min_val"], p["max_val"])),
    "gelu": ("gelu_backward", lambda g, z, p: (g, z)),
    "gelu_tanh": ("gelu_backward", lambda g, z, p: (g, z)),
    "softmax": ("_softmax_backward_data", lambda g, z, p: (g, z, -1, g.dtype)),
    "log_softmax": ("_log_softmax_backward_data", lambda g, z, p: (g, z, -1, g.dtype)),
}


class TorchPeers:
    """torch's forward, backward and forward+backward of one activation, as Peers
    on NumPy arrays (tensors shared with them through torch.from_numpy).

    forward: torch.ops.aten.<torch_name>.out (no allocation) where it exists and
    agrees with torch.nn.functional.<torch_name>, else the functional (which
    allocates its result). backward: the aten kernel of TORCH_BACKWARD (its
    grad_input= / out= overload where there is one), else autograd
    (torch.autograd.grad on a graph built once). fused: forward then backward,
    or autograd's forward+backward when the backward is autograd's."""

    def __init__(self, torch, act):
        self.torch, self.act = torch, act
        F = torch.nn.functional
        self.name = act.torch_name
        self.functional = getattr(F, self.name, None) or getattr(torch, self.name, None)
        if self.functional is None:
            raise LookupError(f"torch has no {self.name}")
        p = dict(param_values(act))
        p.update(public_call(act)[1])          # gelu_tanh: approximate="tanh"
        if act_kind(act) == "axis":
            p["dim"] = -1
        self.params = p
        self.kernel_params = {k: v for k, v in p.items() if k != "dim"}
        self._check()

    def _tensor_params(self, dtype):
        t = self.torch
        return {k: (t.full((1,), v, dtype=dtype) if k == "weight" else v)
                for k, v in self.params.items()}

    def _f(self, xt):
        return self.functional(xt, **self._tensor_params(xt.dtype))

    def _check(self):
        t, act = self.torch, self.act
        x, g = _probe_arrays(act)
        xt, gt = t.from_numpy(x), t.from_numpy(g)
        want = self._f(xt)
        # forward with out=
        self.out_op = None
        packet = getattr(t.ops.aten, self.name, None)
        op = getattr(packet, "out", None) if packet is not None and "weight" not in self.params \
            and act_kind(act) != "axis" else None
        if op is not None:
            try:
                yt = t.empty_like(xt)
                op(xt, **self.kernel_params, out=yt)
                if t.allclose(yt, want, rtol=1e-12, atol=0, equal_nan=True):
                    self.out_op = op
            except Exception:    # noqa: BLE001 (no usable out= overload: allocate)
                pass
        # backward kernel
        xr = xt.clone().requires_grad_()
        (ref,) = t.autograd.grad(self._f(xr), xr, gt)
        self.bwd = None
        entry = TORCH_BACKWARD.get(act.name)
        if entry is not None and hasattr(t.ops.aten, entry[0]):
            packet = getattr(t.ops.aten, entry[0])
            extra = {"approximate": self.params["approximate"]} if "approximate" in self.params else {}
            z = want if act.backward_from == "output" else xt
            try:
                got = packet(*entry[1](gt, z, self.params), **extra)
                if t.allclose(got, ref, rtol=1e-12, atol=1e-300, equal_nan=True):
                    out_kw = None
                    for ov in ("grad_input", "out"):
                        if ov not in packet.overloads():
                            continue
                        op = getattr(packet, ov)
                        names = [a.name for a in op._schema.arguments
                                 if a.alias_info is not None and a.alias_info.is_write]
                        if len(names) == 1:
                            buf = t.empty_like(ref)
                            op(*entry[1](gt, z, self.params), **extra, **{names[0]: buf})
                            if t.allclose(buf, ref, rtol=1e-12, atol=1e-300, equal_nan=True):
                                out_kw = (op, names[0])
                        break
                    self.bwd = (packet, entry[1], extra, out_kw)
            except Exception:    # noqa: BLE001 (falls back to autograd)
                pass

    # -- labels
    @property
    def forward_label(self):
        return f"torch {'aten.' + self.name + '.out' if self.out_op else 'F.' + self.name}"

    @property
    def backward_label(self):
        return f"torch aten.{TORCH_BACKWARD[self.act.name][0]}" if self.bwd else \
            "torch autograd backward"

    # -- peers
    def forward(self):
        t = self

        def bind(x, out=None):
            xt = t.torch.from_numpy(x)
            if t.out_op is not None and out is not None:
                yt = t.torch.from_numpy(out)
                return lambda: t.out_op(xt, **t.kernel_params, out=yt)
            return lambda: t._f(xt)

        def fn(x, out=None):
            return t._f(t.torch.from_numpy(x)).numpy()
        return Peer(self.forward_label, "torch", fn, bind)

    def backward(self):
        """The backward Peer f(g, z), or None (a from-output row with no kernel:
        autograd would need x)."""
        t = self
        if t.bwd is None and t.act.backward_from == "output":
            return None

        def bind(g, z, out=None):
            gt, zt = t.torch.from_numpy(g), t.torch.from_numpy(z)
            if t.bwd is not None:
                packet, args, extra, out_kw = t.bwd
                a = args(gt, zt, t.params)
                if out_kw is not None and out is not None:
                    op, name = out_kw
                    ot = t.torch.from_numpy(out)
                    return lambda: op(*a, **extra, **{name: ot})
                return lambda: packet(*a, **extra)
            xr = zt.clone().requires_grad_()         # z is x: backward from the input
            y = t._f(xr)
            return lambda: t.torch.autograd.grad(y, xr, gt, retain_graph=True)[0]

        def fn(g, z, out=None):
            return bind(g, z)().numpy()
        return Peer(self.backward_label, "torch", fn, bind)

    def fused(self):
        t = self

        def bind(x, g, out=None):
            xt, gt = t.torch.from_numpy(x), t.torch.from_numpy(g)
            if t.bwd is None:
                def auto():
                    xr = xt.detach().requires_grad_()
                    y = t._f(xr)
                    (gx,) = t.torch.autograd.grad(y, xr, gt)
                    return y.detach(), gx
                return auto
            packet, args, extra, out_kw = t.bwd
            yt_out = None if out is None else t.torch.from_numpy(out[0])
            gxt = None if out is None else t.torch.from_numpy(out[1])

            def both():
                if t.out_op is not None and yt_out is not None:
                    t.out_op(xt, **t.kernel_params, out=yt_out)
                    yt = yt_out
                else:
                    yt = t._f(xt)
                a = args(gt, yt if t.act.backward_from == "output" else xt, t.params)
                if out_kw is not None and gxt is not None:
                    op, name = out_kw
                    return yt, op(*a, **extra, **{name: gxt})
                return yt, packet(*a, **extra)
            return both

        def fn(x, g, out=None):
            y, gx = bind(x, g)()
            return y.numpy(), gx.numpy()
        label = (f"torch {self.forward_label.split(' ', 1)[1]} + "
                 f"{self.backward_label.split(' ', 1)[1]}"
                 if self.bwd else "torch autograd forward + backward")
        return Peer(label, "torch", fn, bind)


def torch_peers(torch, act):
    """TorchPeers of `act`, or None when torch is missing or lacks the function."""
    if torch is None or not getattr(act, "torch_name", None):
        return None
    try:
        return TorchPeers(torch, act)
    except (LookupError, TypeError, RuntimeError, ValueError):
        return None


def torch_functions(torch, act):
    """(forward, backward) of torch for `act`: torch.<torch_name> and
    aten.<torch_name>_backward's out= overload, or None where missing (the
    interface of the first report; TorchPeers is the general one)."""
    if torch is None or not act.torch_name:
        return None, None
    fwd = getattr(torch, act.torch_name, None)
    bwd = getattr(torch.ops.aten, act.torch_name + "_backward", None)
    if bwd is not None:
        bwd = getattr(bwd, "grad_input", None)
    return fwd, bwd


# --------------------------------------------------------------------------
# timing

@dataclass
class Timing:
    seconds: float      # median per call
    samples: int
    calls_per_sample: int
    q1: float = None    # first and third quartiles of the samples, seconds per call:
    q3: float = None    # the spread bench/compare.py judges changes against

    def ns_per(self, n):
        return self.seconds / n * 1e9


def time_call(fn, min_time=0.2, min_samples=3, sample_time=0.002, max_samples=5000):
    """Median time of one call of fn(), in seconds.

    One warm-up call (pages in the outputs, loads the code), then samples: the
    first of one call, the others of `k` back-to-back calls each, k chosen so a
    sample lasts about `sample_time` (calls of a microsecond are timed in
    bulk); samples are taken until there are `min_samples` of them and
    `min_time` seconds have passed. The garbage collector is off meanwhile."""
    fn()
    samples = []
    k = 1
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        while len(samples) < max_samples:
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            t1 = time.perf_counter()
            samples.append((t1 - t0) / k)
            if len(samples) == 1:
                k = max(1, int(sample_time / max(samples[0], 1e-9)))
            if len(samples) >= min_samples and t1 - start >= min_time:
                break
    finally:
        if was_enabled:
            gc.enable()
    q1, med, q3 = np.percentile(samples, [25, 50, 75])
    return Timing(float(med), len(samples), k, float(q1), float(q3))


def keep_freed_memory():
    """Ask glibc to keep freed memory instead of returning it to the system.

    The error sweeps allocate and free temporaries of a few hundred KB per
    chunk; by default glibc maps and unmaps each one, and every page touched
    again is a page fault (about 2 us each in a VM: it doubled the run time of
    the sweeps). For the command-line tools only; a no-op off glibc."""
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    ok = mallopt(m_mmap_threshold, 32 << 20)      # the largest glibc accepts
    ok &= mallopt(m_trim_threshold, 256 << 20)
    return bool(ok)


def single_thread():
    """Ask every library that could thread to use one thread: the environment
    variables (read by libraries imported after this) and torch if loaded."""
    for var in THREAD_VARS:
        os.environ[var] = "1"
    os.environ["NUMEXPR_NUM_THREADS"] = "1"
    set_peer_threads({k: sys.modules.get(k) for k in ("torch", "numexpr")}, 1)


# --------------------------------------------------------------------------
# peers

def load_peers(threads=1):
    """The optional peers that import here: {'scipy': scipy.special, 'torch':
    torch, 'numexpr': numexpr}, None for each missing, and a one-line note for
    each one missing. torch and numexpr are set to `threads` threads."""
    peers, notes = {}, []
    for key, module, extra in (("scipy", "scipy.special", ""),
                               ("torch", "torch", " (pip install torch)"),
                               ("numexpr", "numexpr", " (pip install numexpr)")):
        try:
            mod = __import__(module, fromlist=["_"])
        except ImportError:
            peers[key] = None
            notes.append(f"{key} not installed: its column is dropped{extra}")
            continue
        peers[key] = mod
    set_peer_threads(peers, threads)
    return peers, notes


def set_peer_threads(peers, n):
    """Let torch's and numexpr's own thread pools use n threads."""
    if peers.get("torch") is not None:
        peers["torch"].set_num_threads(n)
    if peers.get("numexpr") is not None:
        peers["numexpr"].set_num_threads(n)

def machine_info(peers=None, threads=1):
    """What a report says about where it ran: CPU, cores, fastact's config
    (backend, SIMD path, supported ones, compiler), versions, the threads the
    figures use and the thread settings of the libraries."""
    import platform

    import fastact

    info = {"cpu": fastact.config()["cpu"], "machine": platform.machine(),
            "logical_cpus": os.cpu_count(), "fastact": fastact.config(),
            "versions": versions(peers), "threads": threads,
            "thread_env": {v: os.environ.get(v) for v in THREAD_VARS + ("NUMEXPR_NUM_THREADS",)}}
    torch = (peers or {}).get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
    return info


def machine_lines(info):
    """machine_info as the few lines the reports open with."""
    cfg = info["fastact"]
    lines = [f"fastact {cfg['version']}: {cfg['backend']} backend"
             + (f", SIMD path {cfg['isa']} (best here {cfg['best_isa']}; supported: "
                f"{', '.join(cfg['isa_supported'])})" if cfg["backend"] == "compiled" else "")]
    th = info.get("threads", 1)
    lines.append(f"machine: {info['cpu']}, {info['machine']}, {info['logical_cpus']} logical "
                 f"CPUs; timed on {'one thread' if th == 1 else f'{th} threads'}"
                 " (fastact never threads by itself)")
    lines.append(", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    return lines


def versions(peers=None):
    """Versions of python, numpy and the peers, for reports and JSON."""
    import platform
    v = {"python": platform.python_version(), "numpy": np.__version__}
    for name, mod in (peers or {}).items():
        if mod is not None:
            top = sys.modules[mod.__name__.split(".")[0]]
            v[name] = getattr(top, "__version__", "?")
    return v


# --------------------------------------------------------------------------
# progress

class Progress:
    """A plain-text progress bar on stderr, no dependency:

        [##########..........]  50%  12.3 s  timing gelu numpy

    On a terminal it rewrites its line (close() erases it); otherwise (a log, a
    pipe) it writes a line at most every `every` seconds, so logs stay short."""

    def __init__(self, total, every=10.0, stream=None, width=24):
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every
        self.bar = width
        self.start = self.last = time.monotonic()
        self.width = 0

    def step(self, text="", n=1):
        self.done += n
        self.show(text)

    def line(self, text=""):
        frac = min(1.0, self.done / self.total) if self.total else 1.0
        full = int(round(frac * self.bar))
        return (f"[{'#' * full}{'.' * (self.bar - full)}] {100 * frac:3.0f}%  "
                f"{time.monotonic() - self.start:5.1f} s  {text}")

    def show(self, text=""):
        now = time.monotonic()
        line = self.line(text)
        if self.tty:
            pad = max(0, self.width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self.width = len(line)
            self.stream.flush()
        elif now - self.last >= self.every:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last = now

    def close(self):
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
        self.width = 0


def split_names(values):
    """argparse helper: ['a,b', 'c'] -> ['a', 'b', 'c']."""
    out = []
    for v in values or ():
        out += [s for s in v.split(",") if s]
    return out
