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
    "exp_shifted": (_exp_shifted, _exp_shifted),  # internal: softmax's step
}
