"""The pure-NumPy backend: the same interface as fastact/_ufuncs.py, no compiler.

``get_ufunc(name, op, mode)`` returns a callable that behaves like the compiled
numpy.ufunc of that (activation, op, mode): positional or keyword ``out`` (a
tuple of arrays or Nones for the fused op; ``out=x`` works in place, overlap
is safe), ``where``, ``dtype``, ``signature``, ``casting``, ``order`` and
``subok``; broadcasting of the inputs, ``where`` and ``out``; 0-d inputs give
numpy scalars; ``__array_wrap__`` of subclasses (np.matrix, masked arrays) and
``__array_ufunc__`` overrides are honoured; unknown keywords raise TypeError.
The loop dtype is the one NumPy picks for np.tanh / np.arctan2, which search
the same float16/float32/float64 loops first (Python scalars are weak, NEP 50):
bool/int8/uint8 -> float16, int16/uint16 -> float32, wider integers -> float64.
Inputs no loop accepts (object, complex, strings, datetimes, void, long
double, None) raise TypeError; nothing is written to ``out`` when any check
fails. Not emulated: the ufunc methods (reduce, accumulate, outer, at).

Built from the registry: one wrapper class (``_FallbackUfunc``) and, per
activation, three small math functions listed in ``_MATH``; the table of
(activation, op, mode) objects comes from _registry.build_ufuncs, as for the
compiled backend.

Precision (measured against long double / float64 references by
tests/test_fallback.py; max error in ulps of the result dtype):
  forward and fused: every input is widened to float64, computed there and
  rounded once. float16/float32: the plain formulas below with np.exp (and
  np.tanh for the tanh forward) in float64 are good to ~2^-50, so the results
  are within 0.5 ulp (+ about 2^-25, next to a rounding midpoint): correctly
  rounded in practice, forward and fused gradient alike. float64 (the same
  formulas, carried as pairs):
    sigmoid: y = 1/(1+e) (x >= 0) or e/(1+e) (x < 0), e = exp(-|x|). exp(-|x|)
      comes as a pair good to 2^-58 (a table of 2^(-j/32) and expm1 of a tiny
      remainder), 1 + e is an exact pair, the quotient is corrected with
      Dekker's exact product. Max 0.52 ulp, subnormal results included.
    tanh: below |x| = 0.125 the Cephes rational (as in the C kernel), above it
      1 - 2 e2/(1+e2), e2 = exp(-2|x|), with the same pairs. Max 0.54 ulp.
      (np.tanh itself measured 1.18 ulp, above the registry's 1-ulp bound.)
  fused gradient: g * f'(x) with f' from x, never from y: sigmoid' =
  e/(1+e)^2, tanh' = 4 e2/(1+e2)^2. Neither formula cancels anywhere, so the
  relative accuracy holds in the tails where y sits at its limits. f' is
  carried as a pair times 2^m and multiplied by g before the scaling, so a
  float64 gradient is rounded once even where f'(x) is subnormal or g is
  huge: max 0.52 ulp.
  backward from the output: exactly (g * (1 - y)) * y and g * (1 - y * y) in
  the loop dtype (float16 in float32, then rounded), the operations of the C
  kernels, so the results are bit-identical to the compiled backend.
  "fast" mode: the accurate formulas above, whose error is far inside every
  fast-mode bound of the registry; the fast ufuncs are separate objects with
  their own names, as in the compiled backend.
  Every element is computed the same way wherever it sits: the float64 math
  runs over cache-sized blocks of a contiguous copy, never over a strided view.

Floating-point flags: none for any x (no overflow, invalid, divide-by-zero);
underflow is never reported (as in the compiled loop). exp(-a) is an exact 0 where
even the largest grad_output times it rounds to 0; float64 results that would
round to 0 are made an exact 0 before any cast or scaling; the internal
products of the corrected quotients run with underflow ignored. The final
products with grad_output follow IEEE as any NumPy product does: g = inf times
a zero derivative gives NaN and the invalid flag, in the backward formula too.
(The fused product is formed before the final rounding, so g = inf gives inf
wherever f'(x) is not 0 in float64, even where f'(x) alone would round to 0 in
the result dtype; the compiled kernels give NaN there.)
"""
import warnings

import numpy as np

from ._fallback_math import FAMILY
from ._registry import ACTIVATIONS, ELEMENTWISE, INTERNAL, build_ufuncs

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_LOOP_DTYPES = (_F16, _F32, _F64)
_CASTINGS = ("no", "equiv", "safe", "same_kind", "unsafe")
_KEYWORDS = frozenset({"out", "where", "casting", "order", "dtype", "subok", "signature", "sig"})

# ---------------------------------------------------------------------------
# float64 building blocks
# ---------------------------------------------------------------------------

_F64_TINY = float(np.finfo(np.float64).tiny)  # smallest normal
_SPLITTER = 134217729.0  # 2^27 + 1: Veltkamp split of a float64 into two 26-bit halves


def _exp_cut(dtype):
    """Argument beyond which exp(-a) is taken as an exact 0: where even the
    largest grad_output times exp(-a) (the fused gradient is at most that)
    rounds to 0 in the loop dtype, with margin. For float16/float32 loops
    exp(-a) is then a normal float64, so the intermediates raise no underflow
    flag; float64 loops carry exp(-a) as mantissa and exponent (_exp_neg)."""
    fi = np.finfo(dtype)
    bits = np.log2(float(fi.max)) + 1 - np.log2(float(fi.smallest_subnormal)) + 6
    return float(bits * _LN2_DEC)


def _exp_table():
    """ln2/32 split for exact products k*hi (k < 2^17), and 2^(-j/32) as pairs,
    from 40-digit decimal arithmetic."""
    import decimal
    ctx = decimal.Context(prec=40)
    ln2 = ctx.ln(decimal.Decimal(2))
    step = ctx.divide(ln2, 32)
    hi = round(float(step) * 2.0**41) / 2.0**41  # 36 significant bits
    lo = float(ctx.subtract(step, decimal.Decimal(hi)))
    t_hi, t_lo = [], []
    for j in range(32):
        t = ctx.exp(ctx.multiply(ln2, decimal.Decimal(-j) / 32))
        t_hi.append(float(t))
        t_lo.append(float(ctx.subtract(t, decimal.Decimal(t_hi[-1]))))
    return float(ln2), 32 / float(ln2), hi, lo, np.array(t_hi), np.array(t_lo)


_LN2_DEC, _INV_STEP, _STEP_HI, _STEP_LO, _T_HI, _T_LO = _exp_table()
_CUT = {dt: _exp_cut(dt) for dt in _LOOP_DTYPES}


def _exp_neg(a, dtype):
    """exp(-a) for a >= 0 (inf allowed, no NaN) as (hi + lo) * 2^m; an exact 0
    where a >= _CUT[dtype].

    float16/float32 loops: np.exp is plenty (lo = 0, m = 0). float64: the pair
    is good to about 2^-58 relative: a = k ln2/32 + r with |r| <= ln2/64 (k ln2/32
    exact as two terms), exp(-a) = 2^-(k//32) * 2^(-(k%32)/32) * (1 + expm1(-r)),
    the table value a pair, so the only rounding that matters is expm1's on a
    value below 0.011. hi + lo is in (0.5, 1]: the scaling by 2^m is left to
    the caller, so that results in the subnormal range are rounded once.
    """
    zero = a >= _CUT[dtype]
    # below 2^-60 exp(-a) rounds to 1; clearing a also keeps subnormal a
    # (from subnormal x) out of the products below
    a = np.where(zero | (a < 2.0**-60), 0.0, a)
    if dtype != _F64:
        return np.where(zero, 0.0, np.exp(-a)), 0.0, 0
    k = np.rint(a * _INV_STEP)
    r = (a - k * _STEP_HI) - k * _STEP_LO
    p = np.expm1(-r)
    j = k.astype(np.int64)
    th, tl = _T_HI[j & 31], _T_LO[j & 31]
    s = th * p
    hi = th + s
    lo = ((th - hi) + s) + (tl + tl * p)
    return np.where(zero, 0.0, hi), np.where(zero, 0.0, lo), -(j >> 5)


def _scaled(hi, lo, m):
    """(hi * 2^m, lo * 2^m), for sums with 1 where subnormal precision is moot."""
    with np.errstate(under="ignore"):
        return np.ldexp(hi, m), np.ldexp(lo, m)


def _ldexp(hi, lo, m, dtype):
    """(hi + lo) * 2^m rounded once (|lo| <= ulp(hi); hi = inf or NaN passes
    through). For float64 loops a result that rounds to 0 is made an exact
    (signed) 0 without going through ldexp, so underflow is flagged only where
    the result is subnormal, and a subnormal result is rounded from hi + lo
    itself rather than from its float64 rounding."""
    v = hi + lo
    if dtype != _F64:
        return np.ldexp(v, m)  # m is 0 or 2 there: exact
    # v = f * 2^e with |f| in [0.5, 1): |v| * 2^m rounds to 0 when it is at
    # most 2^-1075 (a tie at 2^-1075 goes to the even 0)
    f, e = np.frexp(v)
    e = e + m
    zero = ((e < -1074) | ((e == -1074) & (np.abs(f) == 0.5))) & np.isfinite(v)
    m = np.where(zero, 0, m)
    h = np.ldexp(v, m)
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        # what the rounding of v and then of h dropped, rounded onto h's grid
        rest = np.ldexp((v - np.ldexp(h, -m)) + ((hi - v) + lo), m)
        h = np.where(np.abs(h) < _F64_TINY, h + rest, h)
    return np.where(zero, np.copysign(0.0, v), h)


def _one_plus(eh, el):
    """1 + (eh + el), 0 <= eh <= 1, as a pair (Fast2Sum, then the low part)."""
    hi = 1.0 + eh
    return hi, ((1.0 - hi) + eh) + el


def _split(a):
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def _product_error(a, b, p):
    """a*b - p exactly, p = fl(a*b) (Dekker; |a|, |b| < 2^995, no underflow)."""
    ah, al = _split(a)
    bh, bl = _split(b)
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _residual(n, q, d):
    """n - q*d rounded once, for q close to n/d."""
    p = q * d
    return (n - p) - _product_error(q, d, p)  # n - p is exact: p is within a few ulps of n


def _div_pair(nh, nl, dh, dl):
    """(nh + nl) / (dh + dl) as a pair (q, c); q + c is within a few 2^-100 of it.

    dh in [1, 2], |dl| <= ulp(dh), 0 <= nh <= 1. Callers run it with
    underflow ignored: the correction terms of tiny quotients underflow
    harmlessly (q itself carries the result's magnitude).
    """
    q = nh / dh
    return q, (_residual(nh, q, dh) + nl - q * dl) / dh


def _split_input(x):
    """NaN mask, |x| with NaN replaced by 0 (so nothing after it raises flags),
    and the sign bit."""
    nan = np.isnan(x)
    return nan, np.where(nan, 0.0, np.abs(x)), np.signbit(x)


# ---------------------------------------------------------------------------
# the math of each activation. forward(x, dtype) -> y and fused(x, dtype) ->
# (y, qh, ql, m), with f'(x) = (qh + ql) * 2^m, take a float64 array (dtype:
# the loop dtype the results will be rounded to) and return new float64
# arrays (m: integers); backward(g, y) works in the dtype it is given.
# ---------------------------------------------------------------------------

# above this sigmoid(x) is 1.0 in float64 (1 - e^-x rounds to 1 for x > 37.43)
_SIGMOID_ONE = 40.0


def _sigmoid_core(x, dtype, fused):
    """y = 1/(1+e) for x >= 0, e/(1+e) for x < 0, e = exp(-|x|); with fused,
    also sigmoid' = e/(1+e)^2 as (qh, ql, m)."""
    nan, ax, neg = _split_input(x)
    if not fused:
        # where y is exactly 1 skip the exp: a subnormal e there would raise a
        # spurious underflow flag. (The fused pass needs e there; its y is
        # still exactly 1: 1/(1 + e) with e < 2^-57.)
        ax = np.where(~neg & (ax > _SIGMOID_ONE), np.inf, ax)
    hi, lo, m = _exp_neg(ax, dtype)
    if dtype != _F64:
        # float64 carries 29+ bits beyond a float32 result: plain formulas do
        d = 1.0 + hi
        y = np.where(nan, x, np.where(neg, hi, 1.0) / d)
        return y if not fused else (y, np.where(nan, np.nan, hi / (d * d)), 0.0, 0)
    dh, dl = _one_plus(*_scaled(hi, lo, m))
    with np.errstate(under="ignore"):
        qh, ql = _div_pair(np.where(neg, hi, 1.0), np.where(neg, lo, 0.0), dh, dl)
    y = np.where(nan, x, _ldexp(qh, ql, np.where(neg, m, 0), dtype))
    if not fused:
        return y
    with np.errstate(under="ignore"):
        th, tl = _div_pair(hi, lo, dh, dl)
        qh, ql = _div_pair(th, tl, dh, dl)
    return y, np.where(nan, np.nan, qh), np.where(nan, 0.0, ql), m


def _sigmoid_forward(x, dtype):
    return _sigmoid_core(x, dtype, False)


def _sigmoid_fused(x, dtype):
    return _sigmoid_core(x, dtype, True)


def _sigmoid_backward(g, y):
    return (g * (1 - y)) * y


# tanh for |x| < 0.125 in float64: x + x^3 P(x^2) / Q(x^2), the rational of
# S. Moshier's Cephes library (tanh.c, valid to 0.625), the one the C kernel
# uses; there the x^3 term is below 0.6% of x, so its few-ulp error is damped
# away. Below 2^-28 tanh(x) rounds to x.
_TANH_SMALL = 0.125
_TANH_TINY = 2.0**-28
_TANH_P = (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3)
_TANH_Q = (1.0, 1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)


def _tanh_forward(x, dtype):
    """tanh(x). float16/float32 loops: np.tanh in float64 (rounded once later).
    float64: below 0.125 the Cephes rational; above, 1 - 2a with
    a = e2/(1 + e2), e2 = exp(-2|x|), all as pairs (y >= 0.12 there, so the
    pair's 2^-58 relative error stays below 2^-55 of y)."""
    if dtype != _F64:
        return np.where(np.isnan(x), x, np.tanh(x))  # NaN: the input's own bits
    nan, ax, _ = _split_input(x)
    small = ax < _TANH_SMALL
    hi, lo, m = _exp_neg(2.0 * np.clip(ax, _TANH_SMALL, _CUT[dtype]), dtype)
    dh, dl = _one_plus(*_scaled(hi, lo, m))
    xs = np.where(small & (ax >= _TANH_TINY), ax, 0.0)
    s = xs * xs
    with np.errstate(under="ignore"):
        ah, al = _scaled(*_div_pair(hi, lo, dh, dl), m)
        yh = 1.0 - 2.0 * ah
        big = (((1.0 - yh) - 2.0 * ah) - 2.0 * al) + yh
    ys = xs + xs * s * (np.polyval(_TANH_P, s) / np.polyval(_TANH_Q, s))
    y = np.where(small, np.where(ax < _TANH_TINY, ax, ys), big)
    return np.where(nan, x, np.copysign(y, x))


def _tanh_fused(x, dtype):
    """(tanh(x), tanh'(x)), tanh' = 4 e2 / (1 + e2)^2, e2 = exp(-2|x|)."""
    nan, ax, _ = _split_input(x)
    hi, lo, m = _exp_neg(2.0 * np.minimum(ax, _CUT[dtype]), dtype)
    y = _tanh_forward(x, dtype)
    if dtype != _F64:  # plain formula, as for sigmoid
        d = 1.0 + hi
        return y, np.where(nan, np.nan, hi / (d * d)), 0.0, 2
    dh, dl = _one_plus(*_scaled(hi, lo, m))
    with np.errstate(under="ignore"):
        ah, al = _div_pair(hi, lo, dh, dl)
        qh, ql = _div_pair(ah, al, dh, dl)
    return y, np.where(nan, np.nan, qh), np.where(nan, 0.0, ql), m + 2


def _tanh_backward(g, y):
    return g * (1 - y * y)


# name -> (forward, fused, backward)
_MATH = {
    "sigmoid": (_sigmoid_forward, _sigmoid_fused, _sigmoid_backward),
    "tanh": (_tanh_forward, _tanh_fused, _tanh_backward),
}

if set(_MATH) | set(FAMILY) != set(ELEMENTWISE) | set(INTERNAL):
    raise ImportError("fastact: the fallback math (fastact/_fallback.py, _fallback_math.py) and "
                      f"fastact/_registry.py disagree: {sorted(set(_MATH) | set(FAMILY))} vs "
                      f"{sorted(set(ELEMENTWISE) | set(INTERNAL))}")


# ---------------------------------------------------------------------------
# loops: loop-dtype arrays in, loop-dtype arrays out
# ---------------------------------------------------------------------------

_BLOCK = 8192  # elements per pass of the float64 math: its temporaries stay in cache


def _widen(a):
    return np.asarray(a).astype(_F64, copy=False)


def _narrow(v, dtype):
    """Round float64 v once to dtype. Values that round to 0 become an exact
    (signed) 0 first, so the cast raises underflow only for subnormal results."""
    if dtype == _F64:
        return v
    half_min = float(np.finfo(dtype).smallest_subnormal) / 2
    v = np.where(np.abs(v) <= half_min, np.copysign(0.0, v), v)
    with np.errstate(under="ignore"):  # subnormal results go unreported, as in the C loop
        return v.astype(dtype)


def _blockwise(fn, x, out_dtypes):
    """fn (elementwise: a float64 block -> tuple of arrays) over x in blocks of
    _BLOCK elements, results of x's shape in out_dtypes.

    x is walked in memory order (C or F; anything else is copied first), so a
    value's result never depends on where it sits in the array.
    """
    x = np.asarray(x)
    order = "F" if x.flags.f_contiguous and not x.flags.c_contiguous else "C"
    x = np.asarray(x, order=order)
    if x.size <= _BLOCK:
        return fn(x.astype(_F64))
    flat = x.reshape(-1, order=order)
    outs = [np.empty(x.shape, dt, order=order) for dt in out_dtypes]
    flats = [o.reshape(-1, order=order) for o in outs]
    for start in range(0, flat.size, _BLOCK):
        block = slice(start, start + _BLOCK)
        for f, r in zip(flats, fn(flat[block].astype(_F64))):
            f[block] = r
    return outs


def _nan_lanes(x):
    """The NaN lanes of x, found on the bit patterns (so a signalling NaN raises
    no flag), x with them set to 0, and those NaNs with the quiet bit set."""
    x = np.asarray(x)
    u = np.dtype(f"u{x.dtype.itemsize}")
    bits = x.view(u)
    inf = np.array(np.inf, x.dtype).view(u)
    nan = (bits & u.type(np.iinfo(u).max >> 1)) > inf
    quiet = (bits | u.type(1 << (np.finfo(x.dtype).nmant - 1))).view(x.dtype)
    return nan, np.where(nan, np.zeros((), x.dtype), x), quiet


def _nan_through(x, compute):
    """compute(x) on x with NaN lanes zeroed; those lanes of every output get the
    input NaN, quieted, as the compiled kernels do."""
    nan, clean, quiet = _nan_lanes(x)
    outs = compute(clean)
    if nan.any():
        for o in outs:
            np.copyto(o, quiet, where=nan)
    return outs


def _nparams(name):
    return INTERNAL[name] if name in INTERNAL else len(ACTIVATIONS[name].params)


def _make_family_loop(name, op):
    """The loop of an activation of _fallback_math: float64 formulas, each
    result rounded once to the loop dtype; NaN x gives that NaN (quieted) in
    every output, as the compiled kernels do."""
    forward, grad, *rest = FAMILY[name]
    backward = rest[0] if rest else None
    nd = 1 if op == "forward" else 2

    def loop(dtype, *ops):
        ops = np.broadcast_arrays(*ops)
        x = ops[0] if op != "backward" else ops[1]
        nan, clean, quiet = _nan_lanes(x)
        w = clean.astype(_F64)
        p = [a.astype(_F64) for a in ops[nd:]]
        # functions marked `wants_dtype` also get the loop dtype (e.g. softplus
        # compares beta * x rounded to it with the threshold, as torch does)
        kw = {"dtype": dtype} if getattr(forward, "wants_dtype", False) else {}
        with np.errstate(all="ignore"):
            if op == "forward":
                outs = [forward(w, *p, **kw)]
            else:
                g = ops[0] if op == "backward" else ops[1]
                if backward is not None:
                    gx = backward(g.astype(_F64), w, *p, **kw)
                else:
                    gx = g.astype(_F64) * grad(w, *p, **kw)  # the IEEE product, as in C
                outs = [gx] if op == "backward" else [forward(w, *p, **kw), gx]
        outs = [_narrow(o, dtype) for o in outs]
        if nan.any():
            for o in outs:
                np.copyto(o, quiet, where=nan)
        return outs
    return loop


def _make_loop(name, op):
    if name in FAMILY:
        return _make_family_loop(name, op)
    forward, fused, backward = _MATH[name]
    if op == "forward":
        def loop(dtype, x):
            return _nan_through(x, lambda xc: _blockwise(
                lambda b: (_narrow(forward(b, dtype), dtype),), xc, (dtype,)))
    elif op == "backward":
        def loop(dtype, g, y):
            if dtype == _F16:  # like the compiled loop: float16 computed in float32
                return (backward(g.astype(_F32), y.astype(_F32)).astype(_F16),)
            return (np.asarray(backward(g, y)),)
    else:
        def loop(dtype, x, g):
            return _nan_through(x, lambda xc: fused_loop(dtype, xc, g))

        def fused_loop(dtype, x, g):
            def both(b):
                y, qh, ql, m = fused(b, dtype)
                return _narrow(y, dtype), qh, ql, m
            y, qh, ql, m = _blockwise(both, x, (dtype, _F64, _F64, np.int64))
            # g * f'(x), f'(x) = (qh + ql) * 2^m: g * qh exactly as a pair, then
            # one rounding, scaled by 2^m only at the end, so even where f'(x)
            # is subnormal a float64 gradient is rounded once
            g = _widen(g)
            if dtype != _F64:  # float64 has 29+ bits to spare: one product is plenty
                return y, _narrow(g * np.ldexp(qh + ql, m), dtype)
            p = g * qh  # the IEEE product: g = inf with f' = 0 gives NaN, flagged
            with np.errstate(all="ignore"):
                c = _product_error(g, qh, p) + g * ql
                c = np.where(np.isfinite(c), c, 0.0)  # |g| >= 2^995: skip the refinement
            return y, _ldexp(p, c, m, dtype)
    return loop


# ---------------------------------------------------------------------------
# the ufunc emulation
# ---------------------------------------------------------------------------

def _is_weak(obj):
    """Python int/float/complex: "weak" scalars that take the other operands'
    precision (NEP 50). bool and NumPy scalars are not weak."""
    return type(obj) in (int, float, complex)


_NO_OVERRIDE = object()
# NumPy ufuncs whose loop search matches fastact's (see _FallbackUfunc._resolve)
_NUMPY_MODEL = {1: np.tanh, 2: np.arctan2}


def _own_override(obj):
    """The __array_ufunc__ of obj's type when it is not NumPy's own (None
    included: that type refuses ufuncs), else _NO_OVERRIDE."""
    t = type(obj)
    if t is np.ndarray or t in (int, float, complex, bool) or obj is None:
        return _NO_OVERRIDE
    fn = getattr(t, "__array_ufunc__", _NO_OVERRIDE)
    return _NO_OVERRIDE if fn is np.ndarray.__array_ufunc__ else fn


class _FallbackUfunc:
    """A callable that behaves like a numpy.ufunc with float16/float32/float64
    loops (e->e, f->f, d->d and their 2-in / 2-out forms)."""

    identity = None
    signature = None
    ntypes = 3

    def __init__(self, name, op, mode, ufunc_name, doc):
        self.__name__ = ufunc_name
        self.nin = (1 if op == "forward" else 2) + _nparams(name)
        self.nout = 2 if op == "fused" else 1
        self.nargs = self.nin + self.nout
        self.types = [c * self.nin + "->" + c * self.nout for c in "efd"]
        self.activation, self.op, self.mode = name, op, mode
        self.__doc__ = doc
        self._loop = _make_loop(name, op)

    def __repr__(self):
        return f"<fastact fallback ufunc '{self.__name__}'>"

    # -- argument checks ----------------------------------------------------

    def _outs(self, args, kwargs):
        """The nout output operands (None: allocate), from positional or keyword out."""
        n = self.__name__
        pos = args[self.nin:]
        if "out" in kwargs:
            if pos:
                raise TypeError(f"{n}: 'out' given both positionally and as a keyword")
            out = kwargs["out"]
            if out is None:
                outs = (None,) * self.nout
            elif isinstance(out, tuple):
                if len(out) != self.nout:
                    raise ValueError(f"{n}: 'out' must hold exactly {self.nout} entries "
                                     f"(one per output), got {len(out)}")
                outs = out
            elif self.nout == 1:
                outs = (out,)
            else:
                raise TypeError(f"{n}: 'out' must be a tuple of {self.nout} arrays or Nones")
        else:
            outs = tuple(pos) + (None,) * (self.nout - len(pos))
        return outs

    def _check_outs(self, outs):
        for o in outs:
            if o is None:
                continue
            if not isinstance(o, np.ndarray):
                raise TypeError(f"{self.__name__}: out must be a numpy.ndarray or None, "
                                f"not {type(o).__name__}")
            if not o.flags.writeable:
                raise ValueError(f"{self.__name__}: the output array is read-only")

    def _fixed_loop(self, kwargs):
        """The loop dtype pinned by dtype= or signature=/sig=, or None."""
        n = self.__name__
        if "sig" in kwargs and "signature" in kwargs:
            raise TypeError(f"{n}: give 'signature' or its alias 'sig', not both")
        key = "signature" if "signature" in kwargs else "sig"
        if "dtype" in kwargs and key in kwargs:
            raise TypeError(f"{n}: give 'dtype' or 'signature', not both")
        if kwargs.get("dtype") is not None:
            wanted = [np.dtype(kwargs["dtype"])]
        elif kwargs.get(key) is not None:
            spec = kwargs[key]
            if isinstance(spec, str):
                if "->" not in spec:
                    raise TypeError(f"{n}: a signature string looks like "
                                    f"'{'f' * self.nin}->{'f' * self.nout}', got {spec!r}")
                ins, outs = (side.replace(",", "").replace(" ", "")
                             for side in spec.split("->", 1))
                if len(ins) != self.nin or len(outs) != self.nout:
                    raise ValueError(f"{n}: the signature needs {self.nin} type code(s) "
                                     f"before '->' and {self.nout} after, got {spec!r}")
                wanted = [np.dtype(c) for c in ins + outs]
            elif isinstance(spec, tuple):
                if len(spec) == 1:
                    raise TypeError(f"{n}: for one dtype use dtype=, or give a signature tuple "
                                    f"of {self.nargs} entries")
                if len(spec) != self.nargs:
                    raise ValueError(f"{n}: a signature tuple has {self.nargs} entries "
                                     f"(dtype or None), got {len(spec)}")
                wanted = [np.dtype(s) for s in spec if s is not None]
            else:
                raise TypeError(f"{n}: signature must be a string or a tuple, "
                                f"not {type(spec).__name__}")
        else:
            return None
        if not wanted:
            return None
        if any(w != wanted[0] for w in wanted) or wanted[0] not in _LOOP_DTYPES:
            raise TypeError(f"{n}: no loop for {tuple(str(w) for w in wanted)}; the loops "
                            "are float16, float32 and float64, same dtype for every operand")
        return wanted[0]

    def _resolve(self, inputs, fixed, outs, casting):
        """The loop dtype, as NumPy resolves it.

        NumPy itself is asked: np.tanh (one input) and np.arctan2 (two) have
        the same float16/float32/float64 loops, searched first, plus long
        double, complex and object loops that fastact does not have. Called on
        empty arrays of the input dtypes (Python scalars stay Python scalars:
        they are weak, NEP 50), they pick the loop a fastact ufunc picks, or
        one fastact lacks, or raise for the dtype=/casting= rules. (Long
        double, complex and object loops are never tried before the float64
        one, so the choice among fastact's three is NumPy's.)
        """
        n = self.__name__
        # with a NumPy operand, a Python scalar's value plays no part (a zero
        # stands in for it); Python scalars alone take their default dtype,
        # which does depend on the value (an int beyond int64 is an object)
        alone = all(_is_weak(a) for a in inputs)
        probes = [(a if alone else type(a)(0)) if _is_weak(a) else np.empty(0, a.dtype)
                  for a in inputs]
        kinds = ", ".join(f"Python {type(a).__name__}" if _is_weak(a) else str(a.dtype)
                          for a in inputs)
        try:
            with np.errstate(all="ignore"):
                if self.nin > 2:  # NumPy's promotion of all inputs, then the 1-input search
                    probes = [np.empty(0, np.result_type(*probes))]
                loop = _NUMPY_MODEL[len(probes)](*probes, dtype=fixed, casting=casting).dtype
        except TypeError as exc:
            if "cast" not in str(exc):
                loop = None
            else:
                to = f"the {fixed} loop" if fixed is not None else "a float16/float32/float64 loop"
                raise TypeError(f"{n}: inputs of dtype ({kinds}) cannot be cast to {to} with "
                                f"casting={casting!r}") from None
        if loop is None or loop not in _LOOP_DTYPES:
            raise TypeError(
                f"{n} has float16, float32 and float64 loops only; inputs of dtype ({kinds}) "
                + (f"do not fit dtype={fixed}" if fixed is not None else
                   "cannot be cast to any of them safely")
                + " (object, complex, string, bytes, datetime, timedelta, void and long double "
                "inputs are not supported; convert to a real float dtype first)")
        for o in outs:
            if o is not None and not np.can_cast(loop, o.dtype, casting):
                raise TypeError(f"{n}: cannot cast the {loop} result to out of dtype "
                                f"{o.dtype} with casting={casting!r}")
        return loop

    @staticmethod
    def _where_mask(where):
        if isinstance(where, (np.ndarray, np.generic)):
            if not np.can_cast(where.dtype, np.bool_, "safe"):
                raise TypeError(f"where must be boolean, got dtype {where.dtype}")
            mask = np.asarray(where, dtype=np.bool_)
        else:
            mask = np.asarray(np.array(where, dtype=np.bool_))
        if mask.ndim == 0 and mask:
            return None
        return mask

    # -- the call -----------------------------------------------------------

    def __call__(self, *args, **kwargs):
        n = self.__name__
        for k in kwargs:
            if k not in _KEYWORDS:
                raise TypeError(f"{n}() got an unexpected keyword argument {k!r}")
        if not self.nin <= len(args) <= self.nargs:
            raise TypeError(f"{n}() takes from {self.nin} to {self.nargs} positional arguments "
                            f"but {len(args)} were given")
        inputs = args[:self.nin]
        outs = self._outs(args, kwargs)

        overridden = self._dispatch_override(inputs, outs, args, kwargs)
        if overridden is not NotImplemented:
            return overridden

        self._check_outs(outs)
        casting = kwargs.get("casting", "same_kind")
        if not isinstance(casting, str):
            raise TypeError(f"{n}: casting must be a str, not {type(casting).__name__}")
        if casting not in _CASTINGS:
            raise ValueError(f"{n}: casting must be one of {_CASTINGS}, got {casting!r}")
        order = kwargs.get("order", "K")
        order = "K" if order is None else order
        if not isinstance(order, str) or order.upper() not in ("C", "F", "A", "K"):
            raise ValueError(f"{n}: order must be one of 'C', 'F', 'A' or 'K', got {order!r}")
        order = order.upper()
        subok = kwargs.get("subok", True)
        if not isinstance(subok, (bool, np.bool_)):
            raise TypeError(f"{n}: subok must be a bool")
        fixed = self._fixed_loop(kwargs)

        arrays = [a if _is_weak(a) else np.asarray(a) for a in inputs]
        dtype = self._resolve(arrays, fixed, outs, casting)

        where = kwargs.get("where", True)
        mask = None if where is True else self._where_mask(where)
        if mask is not None and "out" not in kwargs and len(args) == self.nin:
            warnings.warn("'where' used without 'out': the masked-out elements of the result "
                          "are uninitialised; pass out=None to say that is intended",
                          UserWarning, stacklevel=2)

        shapes = [np.shape(a) for a in arrays] + [o.shape for o in outs if o is not None]
        if mask is not None:
            shapes.append(mask.shape)
        shape = np.broadcast_shapes(*shapes)
        for o in outs:
            if o is not None and o.shape != shape:
                raise ValueError(f"{n}: out has shape {o.shape} but the operands broadcast "
                                 f"to {shape}")

        # compute everything before writing anything (out may alias an input)
        ops = [a.astype(dtype, copy=False) if not _is_weak(a) else
               np.asarray(a).astype(dtype) if type(a) is complex else np.asarray(a, dtype=dtype)
               for a in arrays]
        # underflow goes unreported, as in the compiled loop (fastact's own
        # correction terms underflow where the result is a normal number)
        with np.errstate(under="ignore"):
            if mask is None:
                results = [np.asarray(r) for r in self._loop(dtype, *ops)]
            else:
                mask = np.broadcast_to(mask, shape)
                results = self._loop(dtype, *(np.broadcast_to(a, shape)[mask] for a in ops))

        layout = [a for a in arrays if isinstance(a, np.ndarray)]
        layout += [o for o in outs if o is not None]
        if mask is not None:
            layout.append(mask)
        final = []
        for o, r in zip(outs, results):
            given = o is not None
            if not given:
                o = self._allocate(shape, dtype, order, layout)
                if mask is None and r.shape == shape and r.strides == o.strides:
                    final.append((False, r))  # the fresh result already has the layout
                    continue
            if mask is None:
                np.copyto(o, r, casting="unsafe")
            else:
                o[mask] = r
            final.append((given, o))
        wrapped = [o if given else self._wrap(o, inputs, args, i, subok)
                   for i, (given, o) in enumerate(final)]
        return wrapped[0] if self.nout == 1 else tuple(wrapped)

    @staticmethod
    def _allocate(shape, dtype, order, layout):
        """An uninitialised result, laid out as a NumPy ufunc lays out its own."""
        if order in ("C", "F") or not any(a.ndim for a in layout):
            return np.empty(shape, dtype, order="F" if order == "F" else "C")
        ops = [a for a in layout if a.ndim]
        it = np.nditer(ops + [None], flags=["zerosize_ok", "refs_ok"],
                       op_flags=[["readonly"]] * len(ops) + [["writeonly", "allocate"]],
                       op_dtypes=[None] * len(ops) + [dtype], order=order)
        out = it.operands[-1]
        if out.shape != shape:  # cannot happen after broadcast_shapes; be safe
            return np.empty(shape, dtype)
        return out

    def _wrap(self, arr, inputs, args, i, subok):
        scalar = arr.ndim == 0
        wrap = None
        if subok:
            best = None
            for a in inputs:
                if type(a) is np.ndarray or _is_weak(a) or isinstance(a, (np.generic, bool)):
                    continue
                w = getattr(a, "__array_wrap__", None)
                if w is None:
                    continue
                prio = getattr(a, "__array_priority__", 0.0)
                if best is None or prio > best:
                    best, wrap = prio, w
        if wrap is None:
            return arr[()] if scalar else arr
        context = (self, args, i)
        try:
            return wrap(arr, context, scalar)
        except TypeError:
            return wrap(arr, context)

    def _dispatch_override(self, inputs, outs, args, kwargs):
        """Hand the call to an operand's __array_ufunc__, as NumPy does."""
        found = []
        for obj in list(inputs) + [o for o in outs if o is not None]:
            fn = _own_override(obj)
            if fn is _NO_OVERRIDE:
                continue
            if fn is None:
                raise TypeError(f"{self.__name__}: operand {type(obj).__name__!r} does not "
                                "support ufuncs (__array_ufunc__ = None)")
            if any(type(f) is type(obj) for f in found):
                continue
            # subclasses are asked before their base classes
            at = next((k for k, f in enumerate(found) if issubclass(type(obj), type(f))),
                      len(found))
            found.insert(at, obj)
        if not found:
            return NotImplemented
        kw = {k: v for k, v in kwargs.items() if k != "out"}
        if any(o is not None for o in outs):
            kw["out"] = tuple(outs)
        for obj in found:
            res = type(obj).__array_ufunc__(obj, self, "__call__", *inputs, **kw)
            if res is not NotImplemented:
                return res
        raise TypeError(f"{self.__name__}: every operand's __array_ufunc__ returned "
                        f"NotImplemented ({', '.join(type(f).__name__ for f in found)})")


UFUNCS = build_ufuncs(_FallbackUfunc, "pure-NumPy stand-in for the ufunc")


def get_ufunc(name, op, mode):
    return UFUNCS[(name, op, mode)]
