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
