"""The pure-NumPy math of the activation family (everything but sigmoid and
tanh, whose pair-precision math lives in _fallback.py), for the fallback backend.

FAMILY[name] = (forward(x, *params), grad(x, *params)[, backward(g, x, *params)]):
float64 arrays in (x free of NaN: the loop puts NaN lanes back), float64
arrays out: f(x), f'(x) and, where it is not the IEEE product g * f'(x), the
gradient (the select-based kernels give 0 wherever f' is 0, even for g = inf
or NaN, as torch's threshold_backward does). The loop (_fallback._make_family_loop) rounds each result once to the
loop dtype, so float16/float32 results are correctly rounded wherever the
float64 formula is good to ~2^-29 relative; float64 results carry the
formula's own few-ulp error (bounds in _registry.py, tests in tests/test_family.py).
Kink values follow torch (documented in the registry's `kinks`).
"""
import numpy as np


def _relu(x):
    return np.where(x > 0, x, 0.0)


def _relu_grad(x):
    return np.where(x > 0, 1.0, 0.0)


def _relu_backward(g, x):
    return np.where(x > 0, g, 0.0)


def _leaky_relu(x, slope):
    return np.where(x > 0, x, np.where(x > 0, 0.0, x) * slope)


def _leaky_relu_grad(x, slope):
    return np.where(x > 0, 1.0, slope)


def _clamp(x, lo, hi):
    """torch's clamp: min(max(x, lo), hi), a -0.0 inside the range kept"""
    t = np.where(x < lo, lo, x)
    return np.where(hi < t, hi, t)


def _inside(x, lo, hi):
    return (lo < x) & (x < hi)


def _relu6(x):
    return _clamp(x, 0.0, 6.0)


def _relu6_grad(x):
    return np.where(_inside(x, 0.0, 6.0), 1.0, 0.0)


def _relu6_backward(g, x):
    return np.where(_inside(x, 0.0, 6.0), g, 0.0)


def _nan_params(v, *ps):
    """NaN where a parameter is NaN (hardtanh's bounds, as torch)"""
    bad = np.zeros(np.shape(v), bool)
    for p in ps:
        bad = bad | np.isnan(p)
    return np.where(bad, np.nan, v)


def _hardtanh(x, lo, hi):
    return _nan_params(_clamp(x, lo, hi), lo, hi)


def _hardtanh_grad(x, lo, hi):
    return _nan_params(np.where(_inside(x, lo, hi), 1.0, 0.0), lo, hi)


def _hardtanh_backward(g, x, lo, hi):
    return _nan_params(np.where(_inside(x, lo, hi), g, 0.0), lo, hi)


def _hardsigmoid(x):
    return _clamp(x + 3.0, 0.0, 6.0) / 6.0


def _hardsigmoid_grad(x):
    return np.where(_inside(x, -3.0, 3.0), 1.0 / 6.0, 0.0)


def _hardsigmoid_backward(g, x):
    return np.where(_inside(x, -3.0, 3.0), g / 6.0, 0.0)


# hardswish and softsign: the middle formulas in long double (80-bit on x86-64
# Linux), so float64 results are rounded about once too; where long double is
# float64 they carry the formula's few roundings.
_LD = np.longdouble


def _hardswish(x):
    xm = np.clip(x, -3.0, 3.0).astype(_LD)
    mid = (xm * (xm + 3) / 6).astype(np.float64)
    mid = np.copysign(mid, x)  # -0.0 and tiny negatives keep their sign
    return np.where(x <= -3.0, -0.0, np.where(x >= 3.0, x, mid))


def _hardswish_grad(x):
    xm = np.clip(x, -3.0, 3.0).astype(_LD)
    mid = ((2 * xm + 3) / 6).astype(np.float64)
    return np.where(x <= -3.0, 0.0, np.where(x >= 3.0, 1.0, mid))


def _hardswish_backward(g, x):
    return np.where(x <= -3.0, 0.0, g * np.where(x >= 3.0, 1.0, _hardswish_grad(x)))


_SOFTSIGN_XMAX = 2.0**540  # beyond: y is +-1 and f' is 0 in float64


def _softsign(x):
    w = np.clip(x, -_SOFTSIGN_XMAX, _SOFTSIGN_XMAX).astype(_LD)
    return (w / (1 + np.abs(w))).astype(np.float64)


def _softsign_grad(x):
    t = 1 / (1 + np.abs(np.clip(x, -_SOFTSIGN_XMAX, _SOFTSIGN_XMAX).astype(_LD)))
    return (t * t).astype(np.float64)
def _exp_shifted(x, shift):
    """exp(x - shift) for x <= shift (larger x is taken as shift, as the C
    kernel does): x - shift as an exact pair d + dl (TwoSum), exp(d)(1 + dl)."""
    x = np.minimum(x, shift)
    d = x - shift
    b = d - x
    dl = (x - (d - b)) + (-shift - b)
    e = np.exp(d)
    return e + e * np.where(np.isfinite(dl), dl, 0.0)


FAMILY = {
    "relu": (_relu, _relu_grad, _relu_backward),
    "leaky_relu": (_leaky_relu, _leaky_relu_grad),
    "prelu": (_leaky_relu, _leaky_relu_grad),
    "relu6": (_relu6, _relu6_grad, _relu6_backward),
    "hardtanh": (_hardtanh, _hardtanh_grad, _hardtanh_backward),
    "hardsigmoid": (_hardsigmoid, _hardsigmoid_grad, _hardsigmoid_backward),
    "hardswish": (_hardswish, _hardswish_grad, _hardswish_backward),
    "softsign": (_softsign, _softsign_grad),
    "exp_shifted": (_exp_shifted, _exp_shifted),  # internal: softmax's step
}


# ---- the exponential family (elu, selu, celu, softplus, log_sigmoid) ----
# float64 NumPy formulas with the arguments carried as exact pairs where a
# rounding would be amplified: x / alpha (celu) and beta * x (softplus) as a
# rounded value plus its exact error (Dekker), so e.g. softplus(-700) keeps
# full relative accuracy; sigmoid(u) as a corrected quotient. Each float64
# result carries np.expm1 / np.log1p's error plus a rounding or two (bounds in
# _registry.py); float32 results are rounded once from these.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SA = 1.7580993408473768  # scale * alpha, correctly rounded
_SPLIT = 134217729.0  # 2^27 + 1


def _product_error(a, b, p):
    """a*b - p exactly for p = fl(a*b) (Dekker; no overflow below 2^995)."""
    def split(v):
        c = _SPLIT * v
        hi = c - (c - v)
        return hi, v - hi
    ah, al = split(a)
    bh, bl = split(b)
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _elu_grad(x, alpha):
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def _selu(x):
    return np.where(x > 0, _SELU_SCALE * x, _SELU_SA * np.expm1(np.minimum(x, 0.0)))


def _selu_grad(x):
    return np.where(x > 0, _SELU_SCALE, _SELU_SA * np.exp(np.minimum(x, 0.0)))


def _celu_u(x, alpha):
    """x / alpha = uh + ul for x <= 0 (0 elsewhere), |uh| clamped where e^uh is 0."""
    xn = np.maximum(np.minimum(x, 0.0), -800.0 * np.abs(alpha))
    uh = xn / alpha
    big = np.abs(uh) > 1e300
    p = uh * alpha
    ul = np.where(big, 0.0, ((xn - p) - _product_error(np.where(big, 0.0, uh), alpha, p)) / alpha)
    return uh, ul


def _celu(x, alpha):
    uh, ul = _celu_u(x, alpha)
    return np.where(x > 0, x, alpha * (np.expm1(uh) + np.exp(uh) * ul))


def _celu_grad(x, alpha):
    uh, ul = _celu_u(x, alpha)
    e = np.exp(uh)
    return np.where(x > 0, 1.0, e + e * ul)


def _sigmoid_pair(u, ul):
    """sigmoid(u + ul) as one corrected quotient: 1/(1+e) or e/(1+e), e = e^-|u|."""
    e = np.exp(-np.abs(u))
    e = np.where(u > 0, e - e * ul, e + e * ul)  # e^-|u + ul|, |ul| <= ulp(u)
    d = 1.0 + e
    dl = (1.0 - d) + e
    n = np.where(u >= 0, 1.0, e)
    q = n / d
    p = q * d
    r = ((n - p) - _product_error(q, d, p)) - q * dl
    return q + r / d


def _softplus_u(x, beta, dtype):
    uh = beta * x
    ok = np.abs(uh) < 1e300
    ul = np.where(ok, _product_error(np.where(ok, beta, 0.0), np.where(ok, x, 0.0), uh), 0.0)
    narrow = np.float64 if dtype == np.float64 else np.float32
    ur = beta.astype(narrow) * x.astype(narrow)   # torch compares beta * x in the loop dtype
    return uh, ul, ur


def _softplus1(uh, ul):
    """max(u, 0) + log1p(e^-|u|) for u = uh + ul."""
    e = np.exp(-np.abs(uh))
    e = np.where(uh > 0, e - e * ul, e + e * ul)
    return np.where(uh > 0, uh + (ul + np.log1p(e)), np.log1p(e))


def _softplus(x, beta, threshold, dtype=np.float64):
    uh, ul, ur = _softplus_u(x, beta, dtype)
    lin = (ur > threshold) | (np.isinf(ur) & (ur > 0) & np.isfinite(x))
    return np.where(lin, x, _softplus1(uh, ul) / beta)


def _softplus_grad(x, beta, threshold, dtype=np.float64):
    uh, ul, ur = _softplus_u(x, beta, dtype)
    lin = (ur > threshold) | (np.isinf(ur) & (ur > 0) & np.isfinite(x))
    return np.where(lin, 1.0, _sigmoid_pair(uh, ul))


_softplus.wants_dtype = _softplus_grad.wants_dtype = True


def _log_sigmoid(x):
    return -_softplus1(-x, 0.0)


def _log_sigmoid_grad(x):
    return _sigmoid_pair(-x, 0.0)


FAMILY.update({
    "elu": (_elu, _elu_grad),
    "selu": (_selu, _selu_grad),
    "celu": (_celu, _celu_grad),
    "softplus": (_softplus, _softplus_grad),
    "log_sigmoid": (_log_sigmoid, _log_sigmoid_grad),
})
