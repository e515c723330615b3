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
}
