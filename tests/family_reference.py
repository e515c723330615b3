"""Independent references for the activation family, one entry per registry row.

Each Ref gives f and f' as closed-form formulas evaluated in a wider type than
the result (float64 for float32 results, np.longdouble for float64 results:
80-bit on x86-64 Linux), written from the textbook definitions, not from the
library's algorithms. Formulas are arranged so they neither overflow nor cancel
in the wide type (e.g. softplus as max(x, 0) + log1p(exp(-|x|))). Where NumPy
has no long double function (erf), `wide64` is False and the float64 tests use
mpmath at 160 bits on fewer samples instead (`mp_forward` / `mp_grad`).

params: parameter sets the tests run with (the registry defaults first).
kinks: (x, params, y, dy) exact values where f is not differentiable, as torch
defines them (the registry's `kinks` text says the same in words).
fd_away: finite differences skip |x - k| < fd_away for each kink k.
"""
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np


@dataclass(frozen=True)
class Ref:
    forward: object            # (w, *params) -> f(x), w in the wide type
    grad: object               # (w, *params) -> f'(x)
    params: tuple = ((),)
    kinks: tuple = ()
    kink_points: tuple = ()    # x values of the kinks (for finite differences)
    wide64: bool = True        # the formulas work on np.longdouble
    mp_forward: object = None  # (mpf, *params) -> mpf, for float64 where wide64 is False
    mp_grad: object = None
    extra: dict = field(default_factory=dict)


def _where(c, a, b):
    return np.where(c, a, b)


def _one(w):
    return np.ones_like(w)


def _zero(w):
    return np.zeros_like(w)


def _relu(w):
    return _where(w > 0, w, _zero(w))


def _relu_grad(w):
    return _where(w > 0, _one(w), _zero(w))


def _leaky(w, s):
    return _where(w > 0, w, w * s)


def _leaky_grad(w, s):
    return _where(w > 0, _one(w), s * _one(w))


def _sigmoid(w):
    e = np.exp(-np.abs(w))
    return np.where(w >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_grad(w):
    e = np.exp(-np.abs(w))
    return e / ((1 + e) * (1 + e))


def _tanh_grad(w):
    e2 = np.exp(-2 * np.abs(w))
    return 4 * e2 / ((1 + e2) * (1 + e2))


def _relu6(w):
    return np.minimum(np.maximum(w, 0), 6)


def _box_grad(w, lo, hi):
    """1 strictly between lo and hi, 0 at and beyond them (torch's hardtanh_backward)"""
    return _where((w > lo) & (w < hi), _one(w), _zero(w))


def _hardtanh(w, lo, hi):
    return np.minimum(np.maximum(w, lo), hi)


def _hardsigmoid(w):
    return np.minimum(np.maximum(w + 3, 0), 6) / 6


def _hardswish(w):
    # x * relu6(x + 3) / 6: below -3 the factor is 0, above 3 it is 6
    return _where(w <= -3, _zero(w), _where(w >= 3, w, w * (w + 3) / 6))


def _hardswish_grad(w):
    # d/dx x (x + 3) / 6 = (2x + 3) / 6; torch: 0 at -3, 1 at 3
    return _where(w <= -3, _zero(w), _where(w >= 3, _one(w), (2 * w + 3) / 6))


def _softsign(w):
    return _where(np.isinf(w), np.sign(w), w / (1 + np.abs(w)))


def _softsign_grad(w):
    d = 1 + np.abs(w)
    return 1 / d / d
# ---- the exponential family, from the textbook definitions ----
def _wide_const(w, text):
    return w.dtype.type(text) if w.dtype == np.longdouble else w.dtype.type(float(text))


_SELU_A = "1.6732632423543772848170429916717"
_SELU_S = "1.0507009873554804934193349852946"


def _elu(w, a):
    return _where(w > 0, w, a * np.expm1(np.minimum(w, 0)))


def _elu_grad(w, a):
    return _where(w > 0, _one(w), a * np.exp(np.minimum(w, 0)))


def _selu(w):
    a, s = _wide_const(w, _SELU_A), _wide_const(w, _SELU_S)
    return s * _elu(w, a)


def _selu_grad(w):
    a, s = _wide_const(w, _SELU_A), _wide_const(w, _SELU_S)
    return s * _elu_grad(w, a)


def _celu(w, a):
    return np.maximum(w, 0) + np.minimum(0, a * np.expm1(np.minimum(w, 0) / a))


def _celu_grad(w, a):
    return _where(w > 0, _one(w), np.exp(np.minimum(w, 0) / a))


def _softplus_linear(w, b, t):
    """torch compares beta * x rounded to the data's dtype with the threshold:
    float32 data arrives here as float64, float64 data as long double."""
    narrow = np.float32 if w.dtype == np.float64 else np.float64
    with np.errstate(over="ignore"):
        return np.asarray(b).astype(narrow) * w.astype(narrow) > t


def _softplus(w, b, t):
    u = b * w  # exact in the wide type for float32 / float64 operands
    return _where(_softplus_linear(w, b, t), w,
                  (np.maximum(u, 0) + np.log1p(np.exp(-np.abs(u)))) / b)


def _softplus_grad(w, b, t):
    return _where(_softplus_linear(w, b, t), _one(w), _sigmoid(b * w))


def _log_sigmoid(w):
    return np.minimum(w, 0) - np.log1p(np.exp(-np.abs(w)))


def _log_sigmoid_grad(w):
    return _sigmoid(-w)


_SELU_SA = float(Fraction(_SELU_S) * Fraction(_SELU_A))  # correctly rounded
_SP20 = (20.000000002061153, 0.9999999979388464)  # log1p(e^20), sigmoid(20) in float64
def _limits(w, y, at_pos_inf, at_neg_inf):
    """y with the limits at +-inf (the formulas give inf * 0 there)."""
    return np.where(np.isinf(w), np.where(w > 0, at_pos_inf, at_neg_inf), y)


def _mp_near(w, fn, center, radius):
    """fn(x) by mpmath (80 digits) where |w - center| < radius: near a zero of
    a derivative the closed form cancels even in the wide type."""
    near = np.abs(w - center) < radius
    if not near.any():
        return None, near
    import mpmath
    with mpmath.workdps(80):
        # the inputs are float32 or float64 values, exact as Python floats
        vals = [fn(mpmath.mpf(float(v))) for v in w[near]]
    return np.array([float(v) if w.dtype != np.longdouble else np.longdouble(mpmath.nstr(v, 30))
                     for v in vals], w.dtype), near


def _silu(w):
    return _limits(w, w * _sigmoid(w), w, -_zero(w))


def _mp_silu_grad(x):
    import mpmath
    s = 1 / (1 + mpmath.exp(-x))
    return s * (1 + x * (1 - s))


def _silu_grad(w):
    s = _sigmoid(w)
    d = _limits(w, s * (1 + w * (1 - s)), _one(w), _zero(w))
    vals, near = _mp_near(w, _mp_silu_grad, -1.2784645427610738, 0.05)
    if vals is not None:
        d = d.copy()
        d[near] = vals
    return d


def _erfc(w):
    """erfc in float64 (for float32 results; NumPy has no erf)."""
    from scipy.special import erfc
    return erfc(w)


_INV_SQRT2 = 0.70710678118654752440
_INV_SQRT2PI = 0.39894228040143267794


def _gelu(w):
    return _limits(w, w * 0.5 * _erfc(-w * _INV_SQRT2), w, -_zero(w))


def _gelu_grad(w):
    phi = np.exp(-0.5 * w * w) * _INV_SQRT2PI
    return _limits(w, 0.5 * _erfc(-w * _INV_SQRT2) + w * phi, _one(w), _zero(w))


def _mp_gelu(x):
    import mpmath
    with mpmath.workdps(50):
        x = mpmath.mpf(x)
        if abs(x) > 60:  # beyond: x itself, or a result far below the subnormals
            return x if x > 0 else mpmath.mpf(0)
        return +(x * mpmath.ncdf(x))


def _mp_gelu_grad(x):
    import mpmath
    with mpmath.workdps(50):
        x = mpmath.mpf(x)
        if abs(x) > 60:
            return mpmath.mpf(1) if x > 0 else mpmath.mpf(0)
        return +(mpmath.ncdf(x) + x * mpmath.npdf(x))


_GT_K = 0.79788456080286535587989211986876373695  # sqrt(2/pi)
_GT_C = 0.044715


def _gt_wide_consts(w):
    if w.dtype == np.longdouble:
        return (np.longdouble("0.79788456080286535587989211986876373695"),
                np.longdouble("0.044715"))
    return _GT_K, _GT_C


def _mp_gt(x, grad):
    import mpmath
    with mpmath.workdps(50):
        x = mpmath.mpf(x)
        k, c = mpmath.sqrt(2 / mpmath.pi), mpmath.mpf("0.044715")
        u = k * (x + c * x**3)
        s = 1 / (1 + mpmath.exp(-2 * u))  # (1 + tanh u) / 2
        if not grad:
            return +(x * s)
        return +(s + 2 * x * s * (1 - s) * k * (1 + 3 * c * x * x))


def _gelu_tanh(w):
    """x (1 + tanh u) / 2 with (1 + tanh u) / 2 = sigmoid(2u) (no cancellation for
    x << 0). In long double the rounding of 2u (|2u| up to ~800) would cost the
    float64 tail an ulp: mpmath there."""
    k, c = _gt_wide_consts(w)
    y = _limits(w, w * _sigmoid(2 * k * (w + c * w**3)), w, -_zero(w))
    if w.dtype == np.longdouble:
        far = (np.abs(w) > 4) & (np.abs(w) < 30)
        if far.any():
            y = y.copy()
            y[far] = np.array([np.longdouble(__import__("mpmath").nstr(_mp_gt(float(v), False), 25))
                               for v in w[far]])
    return y


def _gelu_tanh_grad(w):
    k, c = _gt_wide_consts(w)
    s = _sigmoid(2 * k * (w + c * w**3))
    d = _limits(w, s + 2 * w * s * (1 - s) * k * (1 + 3 * c * w * w), _one(w), _zero(w))
    far = (np.abs(w) > 4) & (np.abs(w) < 30) if w.dtype == np.longdouble else np.zeros(w.shape, bool)
    near = (np.abs(w + 0.7524614220710163) < 0.05) | far
    if near.any():
        import mpmath
        d = d.copy()
        d[near] = np.array([np.longdouble(mpmath.nstr(_mp_gt(float(v), True), 25))
                            if w.dtype == np.longdouble else float(_mp_gt(float(v), True))
                            for v in w[near]], w.dtype)
    return d


def _softplus_plain(w):
    return np.maximum(w, 0) + np.log1p(np.exp(-np.abs(w)))


def _mish(w):
    return _limits(w, w * np.tanh(_softplus_plain(w)), w, -_zero(w))


def _mp_mish_grad(x):
    import mpmath
    t = mpmath.tanh(mpmath.log1p(mpmath.exp(x)))
    return t + x / (1 + mpmath.exp(-x)) * (1 - t * t)


def _mish_grad(w):
    t = np.tanh(_softplus_plain(w))
    d = _limits(w, t + w * _sigmoid(w) * (1 - t * t), _one(w), _zero(w))
    vals, near = _mp_near(w, _mp_mish_grad, -1.1924312145154952, 0.05)
    if vals is not None:
        d = d.copy()
        d[near] = vals
    return d


REFS = {
    "sigmoid": Ref(_sigmoid, _sigmoid_grad),
    "tanh": Ref(np.tanh, _tanh_grad),
    "relu": Ref(_relu, _relu_grad, kinks=((0.0, (), 0.0, 0.0), (-0.0, (), 0.0, 0.0)),
                kink_points=(0.0,)),
    "leaky_relu": Ref(_leaky, _leaky_grad, params=((0.01,), (0.2,), (-1.5,)),
                      kinks=((0.0, (0.01,), 0.0, 0.01), (0.0, (0.2,), 0.0, 0.2)),
                      kink_points=(0.0,)),
    "prelu": Ref(_leaky, _leaky_grad, params=((0.25,), (0.01,), (-1.5,), (2.0,)),
                 kinks=((0.0, (0.25,), 0.0, 0.25), (-0.0, (0.25,), -0.0, 0.25)),
                 kink_points=(0.0,)),
    "relu6": Ref(_relu6, lambda w: _box_grad(w, 0, 6),
                 kinks=((0.0, (), 0.0, 0.0), (-0.0, (), -0.0, 0.0), (6.0, (), 6.0, 0.0),
                        (3.0, (), 3.0, 1.0)),
                 kink_points=(0.0, 6.0)),
    "hardtanh": Ref(_hardtanh, _box_grad, params=((-1.0, 1.0), (0.0, 6.0), (-2.5, 0.5)),
                    kinks=((-1.0, (-1.0, 1.0), -1.0, 0.0), (1.0, (-1.0, 1.0), 1.0, 0.0),
                           (-0.0, (-1.0, 1.0), -0.0, 1.0), (0.5, (-2.5, 0.5), 0.5, 0.0)),
                    kink_points=(-1.0, 1.0, 0.0, 6.0, -2.5, 0.5)),
    "hardsigmoid": Ref(_hardsigmoid, lambda w: _box_grad(w, -3, 3) / 6,
                       kinks=((-3.0, (), 0.0, 0.0), (3.0, (), 1.0, 0.0), (0.0, (), 0.5, 1 / 6)),
                       kink_points=(-3.0, 3.0)),
    "hardswish": Ref(_hardswish, _hardswish_grad,
                     kinks=((-3.0, (), -0.0, 0.0), (3.0, (), 3.0, 1.0), (-1.5, (), -0.375, 0.0),
                            (-0.0, (), -0.0, 0.5), (0.0, (), 0.0, 0.5)),
                     kink_points=(-3.0, 3.0)),
    "softsign": Ref(_softsign, _softsign_grad,
                    kinks=((-0.0, (), -0.0, 1.0), (1.0, (), 0.5, 0.25))),
    "elu": Ref(_elu, _elu_grad, params=((1.0,), (1.3,), (0.5,)),
               kinks=((0.0, (1.0,), 0.0, 1.0), (0.0, (1.3,), 0.0, 1.3)), kink_points=(0.0,)),
    "selu": Ref(_selu, _selu_grad, kinks=((0.0, (), 0.0, _SELU_SA),), kink_points=(0.0,)),
    "celu": Ref(_celu, _celu_grad, params=((1.0,), (1.3,), (0.25,)),
                kinks=((0.0, (1.0,), 0.0, 1.0), (0.0, (1.3,), 0.0, 1.0)), kink_points=(0.0,)),
    "softplus": Ref(_softplus, _softplus_grad,
                    params=((1.0, 20.0), (2.0, 20.0), (0.7, 5.0), (3.0, float("inf"))),
                    kinks=((20.0, (1.0, 20.0)) + _SP20, (10.0, (2.0, 20.0), _SP20[0] / 2, _SP20[1])),
                    kink_points=(20.0, 10.0, 5.0 / 0.7)),
    "log_sigmoid": Ref(_log_sigmoid, _log_sigmoid_grad),
    "silu": Ref(_silu, _silu_grad),
    "gelu": Ref(_gelu, _gelu_grad, wide64=False, mp_forward=_mp_gelu, mp_grad=_mp_gelu_grad),
    "gelu_tanh": Ref(_gelu_tanh, _gelu_tanh_grad),
    "mish": Ref(_mish, _mish_grad),
}
