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


# ---- the gated family (silu, mish, gelu, gelu_tanh): x * gate(x) ----
# x0: the zero of silu', where 1 + x + e^x = 0, as hi + lo (mpmath:
# -1.2784645427610737951...); E0 = e^x0 = -1 - x0.
_SILU_X0 = (float.fromhex("-0x1.474973c84120bp+0"), float.fromhex("-0x1.f8d74bc9ac154p-54"))
_SILU_E0 = float.fromhex("0x1.1d25cf210482ep-2")


def _pairs():
    from . import _fallback as f  # its pair arithmetic (imported when first used)
    return f


def _two_sum(a, b):
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


# expm1(d) = d + d^2 P(d), Taylor to 1/14!: remainder below 2^-60 |d| on |d| <= 1/4
_EM1_P = tuple(1.0 / __import__("math").factorial(k) for k in range(14, 1, -1))


def _silu_parts(x):
    """e = exp(-|x|) as (hi + lo) 2^m, 1 + e as a pair, x clamped."""
    f = _pairs()
    ax = np.minimum(np.abs(x), 800.0)
    hi, lo, m = f._exp_neg(ax, f._F64)
    dh, dl = f._one_plus(*f._scaled(hi, lo, m))
    return f, hi, lo, m, dh, dl, np.clip(x, -800.0, 50.0)


def _silu(x):
    """x / (1 + e) for x >= 0, x e / (1 + e) below, e = exp(-|x|): numerator
    and quotient as pairs, rounded once (subnormal results included)."""
    f, hi, lo, m, dh, dl, xm = _silu_parts(x)
    neg = x < 0
    xn = np.where(neg, xm, 0.0)
    nh = xn * hi
    nl = f._product_error(xn, hi, nh) + xn * lo
    qh, ql = f._div_pair(np.where(neg, nh, xm), np.where(neg, nl, 0.0), dh, dl)
    y = f._ldexp(qh, ql, np.where(neg, m, 0), f._F64)
    return np.where(x > 50.0, x, np.where(np.isinf(x), -0.0, y))


def _silu_grad(x):
    """N / (1 + e)^2, N = (1 + e) + x e for x >= 0 and e (1 + x + e) below,
    e = exp(-|x|), all as pairs; 1 + x + e from d = x - x0 near the zero x0 of
    silu' (-x0 d + E0 (expm1(d) - d), no cancellation)."""
    f, hi, lo, m, dh, dl, xm = _silu_parts(x)
    neg = x < 0
    # x >= 0 (e is normal there)
    xp = np.where(neg, 0.0, xm)
    eh, el = f._scaled(hi, lo, m)
    ph = xp * eh
    nph, c = _two_sum(dh, ph)
    npl = c + dl + f._product_error(xp, eh, ph) + xp * el
    # x < 0: G = (1 + x) + e
    xn = np.where(neg, xm, 0.0)
    sh, sl = _two_sum(1.0, xn)
    gh, c = _two_sum(sh, eh)
    gl = c + sl + el
    u = xn - _SILU_X0[0]
    win = np.abs(u) < 0.25
    u = np.where(win, u, 0.0)
    d = u - _SILU_X0[1]
    dl_ = (u - d) - _SILU_X0[1]
    th = -_SILU_X0[0] * d
    tl = (f._product_error(-_SILU_X0[0], d, th) - _SILU_X0[0] * dl_ - _SILU_X0[1] * d
          + _SILU_E0 * d * d * np.polyval(_EM1_P, d))
    wh, wl = _two_sum(th, tl)
    gh, gl = np.where(win, wh, gh), np.where(win, wl, gl)
    hn, ln = np.where(neg, hi, 0.0), np.where(neg, lo, 0.0)
    qh = hn * gh
    ql = f._product_error(hn, gh, qh) + hn * gl + ln * gh
    ah, al = f._div_pair(np.where(neg, qh, nph), np.where(neg, ql, npl), dh, dl)
    ah, al = f._div_pair(ah, al, dh, dl)
    return np.where(np.isinf(x), np.where(x > 0, 1.0, 0.0),
                    f._ldexp(ah, al, np.where(neg, m, 0), f._F64))


FAMILY = {
    "relu": (_relu, _relu_grad, _relu_backward),
    "leaky_relu": (_leaky_relu, _leaky_relu_grad),
    "silu": (_silu, _silu_grad),
}
