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
}
