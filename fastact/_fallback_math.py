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


# gelu: Q(a) = erfc(a / sqrt 2) / 2 = e^(-a^2/2) t P(2t - 1), t = 1/(1 + a/2), and
# gelu's J(a) = t P - a / sqrt(2 pi) = (a - a0) W(a - a0) near its zero a0: the
# float64 coefficients of csrc/math/erf-inl.h (tools/fit_erf.py), lowest degree first.
_ERFC_P = tuple(float.fromhex(c) for c in (
    "0x1.5845dcad2a54ep-2", "0x1.535bafa73c584p-3", "0x1.d7d0e2393ebb6p-7",
    "-0x1.2ccbfbf0c6579p-6", "-0x1.ec6870ba4540cp-13", "0x1.b8b937f7c0f55p-9",
    "-0x1.ff79b9e8f81e2p-11", "-0x1.9ba0c62cbe5ecp-12", "0x1.b1b0c54373be7p-12",
    "-0x1.b217e46c6f23dp-14", "-0x1.e540932d6a723p-15", "0x1.0d982f2cf04ecp-14",
    "-0x1.825548be52035p-16", "-0x1.44fd0ff672d9fp-18", "0x1.6c2b8bdcaa896p-17",
    "-0x1.a55ad89dcf0aap-18", "0x1.0ee9e43d0068dp-20", "0x1.7a49b7fdde611p-20",
    "-0x1.8a7d56f5639c5p-20", "0x1.7e07aa6f2542cp-21", "-0x1.b5f4e190891c4p-24",
    "-0x1.a5b2897dc814fp-23", "0x1.2c0128badd3c0p-22", "-0x1.6eaee52d31310p-23",
    "-0x1.261ea3f30d43cp-26", "0x1.8cab2d578e211p-24", "-0x1.682913e987c6ep-25",
    "-0x1.0f727e36bda35p-27", "0x1.7f9851dfc6c8bp-27", "-0x1.52ba3a2a30b4dp-29",
))
_GELU_W = tuple(float.fromhex(c) for c in (
    "-0x1.25126c1543190p-1", "0x1.5b297ebb9a527p-4", "-0x1.2bad2862a3fdep-5",
    "0x1.d507ae5ca7841p-7", "-0x1.526fe74d6ca88p-8", "0x1.c7c0250a470a4p-10",
    "-0x1.20e423711be9cp-11", "0x1.5b28587c55a09p-13", "-0x1.8d96b37d397a4p-15",
    "0x1.b3e40113c2e94p-17", "-0x1.cb25c717e26fbp-19", "0x1.d2205e3c828bfp-21",
    "-0x1.c947b58bd9905p-23", "0x1.b27e4e3593610p-25", "-0x1.90a8c8f288123p-27",
    "0x1.6729f32b08330p-29", "-0x1.39883d24f3cdap-31", "0x1.0e4303c9a86adp-33",
    "-0x1.c0f3ef4c46642p-36",
))
_GELU_A0 = (float.fromhex("0x1.80ead197f00b4p-1"), float.fromhex("-0x1.13e74c58cada8p-56"))


def _horner(c, v):
    p = np.full_like(v, c[-1])
    for ci in c[-2::-1]:
        p = p * v + ci
    return p


def _gelu_parts(x):
    """a = |x| (clamped), E = e^(-a^2/2) scaled by 2^-s (hi, lo, s: exponent
    kept apart so tails stay exact), K = t P(2t - 1) as a pair."""
    f = _pairs()
    a = np.minimum(np.abs(x), 40.0)
    h = a * a
    l = f._product_error(a, a, h)
    eh, el, m = f._exp_neg(0.5 * h, f._F64)
    el = el - eh * 0.5 * l
    d, dl = _two_sum(1.0, 0.5 * a)
    th = 1.0 / d
    tl = th * (f._residual(1.0, th, d) - th * dl)
    p = _horner(_ERFC_P, 2.0 * th - 1.0)
    kh = th * p
    kl = f._product_error(th, p, kh) + tl * p  # the dK/dt term beyond t's rounding is below 2^-60
    return f, a, eh, el, m, kh, kl


def _gelu(x):
    f, a, eh, el, m, kh, kl = _gelu_parts(x)
    qh = eh * kh
    ql = f._product_error(eh, kh, qh) + eh * kl + el * kh
    neg = x < 0
    ph = a * qh
    yn = f._ldexp(-ph, -(f._product_error(a, qh, ph) + a * ql), m, f._F64)
    uh, ul = f._scaled(qh, ql, m)
    oh = 1.0 - uh
    ol = ((1.0 - oh) - uh) - ul
    yp = a * oh + a * ol
    y = np.where(neg, yn, yp)
    return np.where(np.isinf(x), np.where(x > 0, x, -0.0), np.where(a >= 40.0, np.where(neg, -0.0, x), y))


def _gelu_grad(x):
    f, a, eh, el, m, kh, kl = _gelu_parts(x)
    c = (0.3989422804014327, -2.49232720227773e-17)  # 1/sqrt(2 pi) = hi + lo
    ph = a * c[0]
    pl = f._product_error(a, c[0], ph) + a * c[1]
    jh, e = _two_sum(kh, -ph)
    jl = e + (kl - pl)
    u = a - _GELU_A0[0]
    win = np.abs(u) < 0.25
    u = np.where(win, u, 0.0)
    dh = u - _GELU_A0[1]
    dl = (u - dh) - _GELU_A0[1]
    w = _horner(_GELU_W, dh)
    wh = dh * w
    jh = np.where(win, wh, jh)
    jl = np.where(win, f._product_error(dh, w, wh) + dl * w, jl)
    gh = eh * jh
    gl = f._product_error(eh, jh, gh) + eh * jl + el * jh
    neg = x < 0
    uh, ul = f._scaled(gh, gl, m)
    oh = 1.0 - uh
    ol = ((1.0 - oh) - uh) - ul
    d = np.where(neg, f._ldexp(gh, gl, m, f._F64), oh + ol)
    return np.where(np.isinf(x), np.where(x > 0, 1.0, 0.0), d)


# gelu_tanh = x sigmoid(z), z = A x + B x^3, A = 2 sqrt(2/pi), B = 0.044715 A (hi, lo);
# z' = A + 3B x^2; the zero a1 of the derivative's factor (x = -a1) and the
# W of csrc/act/gated-inl.h (tools/fit_erf.py)
_GT_A = (float.fromhex("0x1.9884533d43651p+0"), float.fromhex("-0x1.cbc0d30ebfd15p-54"))
_GT_B = (float.fromhex("0x1.2444f2a4d8b4bp-4"), float.fromhex("-0x1.6c843a29d1c70p-61"))
_GT_B3 = (float.fromhex("0x1.b6676bf7450f0p-3"), float.fromhex("0x1.bba7351828aabp-57"))
_GT_A1 = (float.fromhex("0x1.81429f9e97e4dp-1"), float.fromhex("-0x1.4f523ed77dbdcp-55"))
_GT_W = tuple(float.fromhex(c) for c in (
    "-0x1.3af6cd05624f6p+1", "-0x1.993cd34bf4f0bp-4", "-0x1.9a0ef5cdf30cdp-2",
    "0x1.3720c65c91b86p-4", "-0x1.f37b831f961d5p-6", "0x1.721f46cff80e5p-7",
    "-0x1.e3b48390927c3p-9", "0x1.2e3c21a8287b7p-10", "-0x1.75d4710a624d2p-12",
    "0x1.b04c8bbfae9cep-14", "-0x1.d7291623778e0p-16", "0x1.fec32728d3dfap-18",
    "-0x1.0d4d58aac69a4p-19", "0x1.0c9eb1f67c9dep-21", "-0x1.07b36b482b8b8p-23",
    "0x1.0138cc5794292p-25", "-0x1.e0db19438d352p-28", "0x1.bc2f74f4eac5fp-30",
    "-0x1.945c2fa03691fp-32",
))


def _gt_parts(x):
    f = _pairs()
    neg = x < 0
    a = np.minimum(np.abs(x), np.where(neg, 22.0, 13.0))
    h = a * a
    l = f._product_error(a, a, h)

    def poly(c):  # A + c (h + l) as a pair
        bh = c[0] * h
        bl = f._product_error(c[0], h, bh) + c[0] * l + c[1] * h
        s, e = _two_sum(_GT_A[0], bh)
        return s, e + _GT_A[1] + bl
    wh, wl = poly(_GT_B)
    zh = a * wh
    zl = f._product_error(a, wh, zh) + a * wl
    hi, lo, m = f._exp_neg(zh, f._F64)
    lo = lo - hi * zl
    dh, dl = f._one_plus(*f._scaled(hi, lo, m))
    return f, neg, a, poly, hi, lo, m, dh, dl


def _gelu_tanh(x):
    f, neg, a, _, hi, lo, m, dh, dl = _gt_parts(x)
    xn = np.where(neg, -a, 0.0)
    nh = xn * hi
    nl = f._product_error(xn, hi, nh) + xn * lo
    qh, ql = f._div_pair(np.where(neg, nh, a), np.where(neg, nl, 0.0), dh, dl)
    y = f._ldexp(qh, ql, np.where(neg, m, 0), f._F64)
    return np.where(~neg & (a >= 13.0), x, np.where(np.isinf(x), -0.0, y))


def _gelu_tanh_grad(x):
    f, neg, a, poly, hi, lo, m, dh, dl = _gt_parts(x)
    eh, el = f._scaled(hi, lo, m)
    ph, pl = poly(_GT_B3)
    mh = a * ph
    ml = f._product_error(a, ph, mh) + a * pl
    rh = mh * eh
    rl = f._product_error(mh, eh, rh) + mh * el + ml * eh
    nph, e = _two_sum(dh, rh)
    npl = e + dl + rl
    gh, e = _two_sum(dh, -mh)
    gl = e + dl - ml
    u = a - _GT_A1[0]
    win = neg & (np.abs(u) < 0.25)
    u = np.where(win, u, 0.0)
    d = u - _GT_A1[1]
    dl_ = (u - d) - _GT_A1[1]
    w = _horner(_GT_W, d)
    wh = d * w
    gh = np.where(win, wh, gh)
    gl = np.where(win, f._product_error(d, w, wh) + dl_ * w, gl)
    hn, ln = np.where(neg, hi, 0.0), np.where(neg, lo, 0.0)
    qh = hn * gh
    ql = f._product_error(hn, gh, qh) + hn * gl + ln * gh
    ah, al = f._div_pair(np.where(neg, qh, nph), np.where(neg, ql, npl), dh, dl)
    ah, al = f._div_pair(ah, al, dh, dl)
    d = f._ldexp(ah, al, np.where(neg, m, 0), f._F64)
    return np.where(~neg & (a >= 13.0), 1.0, np.where(np.isinf(x), 0.0, d))


# mish = x N / D with e = exp(-|x|): N = 1 + 2e, D = N + 2e^2 (x >= 0), N = e (2 + e),
# D = 2 + N (x < 0); mish' = M / (D^2 (1 + e)) (csrc/act/gated-inl.h), the factor
# G of M for x = -a < 0 from (a - a0) W(a - a0) near its zero a0
_MISH_W = tuple(float.fromhex(c) for c in (
    "-0x1.0b49110dfe496p+3", "0x1.3943b0f83d7a7p+2", "-0x1.aaf8a20c7610bp+1",
    "0x1.c8f4734c51c23p+0", "-0x1.a9df112c99fe1p-1", "0x1.67ad7b3d99a79p-2",
    "-0x1.17c2310313a3dp-3", "0x1.94ed0144b3de0p-5", "-0x1.130d15cb5e13cp-6",
    "0x1.6117ef1beefc6p-8", "-0x1.ae2727c3062c9p-10", "0x1.f25594615ae03p-12",
    "-0x1.12b4a7242fd8bp-13", "0x1.20418c4ce8b77p-15", "-0x1.1fe65e213a106p-17",
    "0x1.11ba61e7de25fp-19", "-0x1.efd0ad12ffa8cp-22", "0x1.b1378f4e6571bp-24",
    "-0x1.646eea5daa7d9p-26",
))
_MISH_A0 = (float.fromhex("0x1.31432c0d12d84p+0"), float.fromhex("0x1.bf319154da210p-55"))


def _mish_parts(x):
    """In np.longdouble (64-bit mantissa on x86: the sums below then carry 11
    bits beyond float64; where longdouble is float64 the float64 results lose a
    few ulps)."""
    x = x.astype(np.longdouble)
    neg = x < 0
    a = np.minimum(np.abs(x), np.where(neg, 800.0, 30.0))
    e = np.exp(-a)
    n = np.where(neg, e * (2 + e), 1 + 2 * e)
    d = np.where(neg, 2 + n, n + 2 * e * e)
    return x, neg, a, e, n, d


def _mish(x):
    x, neg, a, e, n, d = _mish_parts(x)
    y = np.where(neg, -a * e * (2 + e), a * n) / d
    y = np.where(np.isinf(x), np.where(x > 0, x, -0.0), np.where(~neg & (a >= 30.0), x, y))
    return y.astype(np.float64)


def _mish_grad(x):
    x, neg, a, e, n, d = _mish_parts(x)
    mp_ = n * d * (1 + e) + 4 * a * e * e * (n + e * e)
    g = (2 + e) * (1 + e) * d - 4 * a * (1 + n)
    u = a - _MISH_A0[0]
    win = neg & (np.abs(u) < 0.25)
    dd = np.where(win, u, 0.0) - _MISH_A0[1]
    g = np.where(win, dd * _horner(_MISH_W, dd), g)
    r = np.where(neg, e * g, mp_) / (d * d * (1 + e))
    r = np.where(np.isinf(x), np.where(x > 0, 1.0, 0.0), np.where(~neg & (a >= 30.0), 1.0, r))
    return r.astype(np.float64)


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
    "silu": (_silu, _silu_grad),
    "gelu": (_gelu, _gelu_grad),
    "gelu_tanh": (_gelu_tanh, _gelu_tanh_grad),
    "mish": (_mish, _mish_grad),
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
