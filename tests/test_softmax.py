"""softmax and log_softmax along an axis (fastact/_axis.py) and their internal
kernel exp_shifted, on every ISA this CPU runs and on the fallback (`isa`):
against the independent wide-type references of tests/softmax_reference.py
(tolerances: the registry's measured bounds), stability on huge and infinite
values, torch's NaN / inf semantics, axes, 0-d and empty input, float16, out=,
finite differences of the backward, and agreement with torch when importable.
"""
import functools
import warnings

import numpy as np
import pytest

import fastact
import reference as R
import softmax_reference as SR
from conftest import bound

NAMES = ("softmax", "log_softmax")
DTYPES = ("float32", "float64")

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def fn(name, op="forward"):
    return getattr(fastact, name + fastact._registry.API_SUFFIX[op])


@functools.lru_cache(maxsize=None)
def _cases(dtype):
    return SR.cases(dtype, budget=3000)


def _grad_like(x, seed=5):
    return np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)


# ---- the kernel ------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_shifted_kernel(isa, mode, dtype):
    """exp(x - shift) for x <= shift against the wide type: accurate within 1 ulp
    (measured 0.99 float32, 0.97 float64), up to 1.32 ulp where the pair's low
    part is itself subnormal (results below 2^-100 / 2^-970, and subnormal
    results: 1.17 float32); fast within its relative bound where the result is
    normal; -inf gives 0, NaN gives NaN, x > shift is taken as shift; no
    floating-point warning."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(1)
    k = fastact._impl.get_ufunc("exp_shifted", "forward", mode)
    fi = np.finfo(dtype)
    for s in (0.0, 1.5, -3.0, 1e4, -1e4, float(fi.max), -float(fi.max), 2.0 ** -130):
        s = dtype.type(s)
        d = np.concatenate([rng.exponential(20, 20000), rng.uniform(0, 800, 2000),
                            np.exp2(rng.uniform(-60, 130, 2000))])
        with np.errstate(over="ignore"):
            x = (s - d.astype(dtype)).astype(dtype)
        x = np.concatenate([x, np.array([s, -np.inf, -fi.max, np.nan], dtype)])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise", under="ignore"):
                y = k(x, s)
        w = x.astype(R.wide_type(dtype))
        ws = w.dtype.type(s)
        with np.errstate(all="ignore"):
            h = w - ws  # long double holds 64 bits: x - shift as an exact pair there too
            bb = h - w
            lo = (w - (h - bb)) + (-ws - bb)
            ref = np.exp(h) * (1 + np.where(np.isfinite(lo), lo, 0))
        ok = ~np.isnan(x)
        assert np.isnan(y[~ok]).all()
        what = f"exp_shifted {mode} {dtype} shift={s} on {isa or 'fallback'}"
        if mode == "accurate":
            err = R.ulp_error(y[ok], ref[ok], dtype)
            tiny = np.abs(ref[ok]) < (2.0 ** -100 if dtype == np.float32 else 2.0 ** -970)
            assert err[~tiny].max() <= 1.0, f"{what}: {R.worst(x[ok], err, y[ok], ref[ok], 'ulp')}"
            assert err.max() <= 1.4, f"{what}: {R.worst(x[ok], err, y[ok], ref[ok], 'ulp')}"
        else:
            normal = R.is_normal_result(ref[ok], dtype)
            rel = np.where(normal, R.rel_error(y[ok], ref[ok]), 0)
            lim = 2e-7 if dtype == np.float32 else 4e-13
            assert rel.max() <= lim, f"{what}: {R.worst(x[ok], rel, y[ok], ref[ok], 'rel')}"
    big = np.array([5.0, 1e30, np.inf], dtype)
    np.testing.assert_array_equal(k(big, dtype.type(1)), np.ones(3, dtype))


# ---- accuracy against the references ------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_and_fused_against_reference(name, dtype, isa, mode):
    dtype = np.dtype(dtype)
    if dtype == np.float64 and not R.LONGDOUBLE_IS_WIDE:
        pytest.skip("np.longdouble is not wider than float64 here")
    bf, bg = bound(name, "forward", mode, dtype), bound(name, "fused", mode, dtype)
    for x, axis in _cases(dtype):
        g = _grad_like(x)
        what = f"{name} {mode} {dtype} {x.shape} axis={axis} on {isa or 'fallback'}"
        with np.errstate(over="ignore"):  # log_softmax of rows spanning > max: -inf, true overflow
            y = fn(name)(x, axis, mode=mode)
            y2, gx = fn(name, "fused")(x, g, axis, mode=mode)
        np.testing.assert_array_equal(y2, y, err_msg=f"{what}: fused y differs from the forward")
        ref = SR.FORWARD[name](x, axis)
        ok = np.isfinite(ref)
        assert np.array_equal(y[~ok], ref[~ok].astype(dtype)), what
        R.check_bound(x[ok], y[ok], ref[ok], bf, dtype, what)
        gref, scale = SR.GRAD[name](x, g, axis)
        if bg.ulp is not None:
            err = SR.scaled_error(gx, gref, scale, dtype)[ok]
            assert err.max() <= bg.ulp, f"{what}: gradient {err.max()} ulp of the row scale"
        if bg.abs is not None:
            with np.errstate(all="ignore"):
                err = (np.abs(gx.astype(gref.dtype) - gref) / scale)[ok]
            assert err.max() <= bg.abs, f"{what}: gradient {err.max()} of the row scale"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_against_reference(name, dtype, isa):
    """The backward from the (rounded) output, against torch's formula evaluated
    in the wide type on that same output; tolerance: the fused bound."""
    dtype = np.dtype(dtype)
    b = bound(name, "fused", "accurate", dtype)
    for x, axis in _cases(dtype)[::3]:
        g = _grad_like(x)
        with np.errstate(over="ignore"):
            y = fn(name)(x, axis)
        if not np.isfinite(y).all():
            continue
        gx = fn(name, "backward")(g, y, axis)
        yw, gw = SR.wide(y), SR.wide(g)
        if name == "softmax":
            d = np.sum(gw * yw, axis=axis, keepdims=True)
            ref = yw * (gw - d)
            scale = np.max(np.maximum(np.abs(yw * gw), np.abs(yw * d)), axis=axis, keepdims=True)
        else:
            sg = np.sum(gw, axis=axis, keepdims=True)
            p = np.exp(yw)
            ref = gw - p * sg
            scale = np.max(np.maximum(np.abs(gw), np.abs(p * sg)), axis=axis, keepdims=True)
        err = SR.scaled_error(gx, ref, np.broadcast_to(scale, ref.shape), dtype)
        assert err.max() <= b.ulp, f"{name}_backward {dtype} {x.shape} axis={axis}: {err.max()}"


# ---- stability, special values ---------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_huge_values_are_stable(name, dtype, isa, mode):
    """Rows of values near the float limit, of both signs, mixed: finite results,
    no warning (except log_softmax's own true overflow to -inf, when a row spans
    more than the largest float), softmax sums to 1 within its bound."""
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    big = float(fi.max) / 3 if dtype == np.float32 else 1e300
    rng = np.random.default_rng(2)
    rows = [np.full(8, big), np.full(8, -big), np.array([big, -big] * 4),
            np.array([big, big * (1 - 4 * float(fi.eps)), 0, -big, 1, -1, big / 2, 3.0]),
            rng.uniform(-1, 1, 8) * big, np.array([1e38, -1e38, 1e38, 1, 2, 3, -1e38, 0.5]),
            rng.standard_normal(8) * 1e4]
    x = np.array(rows).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            y = fn(name)(x, mode=mode)
            if name == "softmax":
                _, gx = fn(name, "fused")(x, _grad_like(x), mode=mode)
                assert np.isfinite(gx).all()
        spans = np.max(x.astype(np.float64), -1) - np.min(x.astype(np.float64), -1) <= float(fi.max)
        assert np.isfinite(y[spans]).all()
    if name == "softmax":
        b = bound(name, "forward", mode, dtype)
        tol = (b.ulp or 0) * float(fi.eps) + (b.rel or 0)
        s = y.astype(np.float64).sum(-1)
        assert np.abs(s - 1).max() <= tol * 1.01 + float(fi.eps) / 2, s
    same = np.log(1 / 8) if name == "log_softmax" else 1 / 8
    np.testing.assert_array_equal(fn(name)(x[:2], mode=mode), np.full((2, 8), same, dtype))
    if name == "softmax":
        np.testing.assert_array_equal(y[2], np.array([0.25, 0] * 4, dtype))


SPECIAL_ROWS = [
    [-np.inf, -np.inf, -np.inf],   # all -inf: NaN (torch)
    [np.inf, 1.0, 2.0],            # a +inf: NaN
    [np.inf, np.inf, 0.0],
    [np.nan, 1.0, 2.0],            # a NaN: NaN
    [-np.inf, 0.0, 1.0],           # -inf: exp 0 / log -inf
    [-np.inf, 5.0, -np.inf],
    [0.0, -0.0, 0.0],
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nan_and_inf_rows(name, dtype, isa, mode):
    x = np.array(SPECIAL_ROWS, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            y = fn(name)(x, mode=mode)
            y2, gx = fn(name, "fused")(x, np.ones_like(x), mode=mode)
    assert y.dtype == x.dtype
    assert np.isnan(y[:4]).all() and np.isnan(gx[:4]).all()
    if name == "softmax":
        np.testing.assert_allclose(y[4], [0, 1 / (1 + np.e), 1 / (1 + 1 / np.e)], rtol=1e-3)
        np.testing.assert_array_equal(y[5], [0, 1, 0])
    else:
        assert y[4, 0] == -np.inf and y[5, 0] == -np.inf and y[5, 1] == 0
    np.testing.assert_array_equal(y2, y)
    if torch is not None:
        t = getattr(torch, name)(torch.from_numpy(x.astype(np.float32)), -1).numpy()
        np.testing.assert_array_equal(np.isnan(y), np.isnan(t))
        np.testing.assert_allclose(y.astype(np.float32), t, rtol=2e-3, atol=0)


# ---- shapes, axes, dtypes, out= ------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_every_axis(name, isa):
    x = np.random.default_rng(4).standard_normal((3, 4, 5)).astype(np.float32)
    g = _grad_like(x)
    for axis in range(-3, 3):
        last = np.moveaxis(x, axis, -1).copy()
        want = np.moveaxis(fn(name)(last), -1, axis)
        np.testing.assert_array_equal(fn(name)(x, axis), want)
        np.testing.assert_array_equal(fn(name)(x, axis=axis), want)
        y, gx = fn(name, "fused")(x, g, axis)
        _, gl = fn(name, "fused")(last, np.moveaxis(g, axis, -1).copy())
        np.testing.assert_array_equal(y, want)
        np.testing.assert_allclose(gx, np.moveaxis(gl, -1, axis), rtol=1e-6, atol=1e-7)
    for bad in (3, -4, 10):
        with pytest.raises(ValueError, match="axis"):
            fn(name)(x, bad)
        with pytest.raises(np.exceptions.AxisError):
            fn(name, "backward")(g, x, bad)
    with pytest.raises(TypeError, match="axis"):
        fn(name)(x, 1.0)


@pytest.mark.parametrize("name", NAMES)
def test_zero_d_empty_float16_integers(name, isa):
    one = 0.0 if name == "log_softmax" else 1.0
    for v in (np.float32(3), np.float64(-2), np.array(7.0)):
        for axis in (0, -1):
            r = fn(name)(v, axis)
            assert np.ndim(r) == 0 and r == one and r.dtype == np.asarray(v).dtype
        with pytest.raises(ValueError):
            fn(name)(v, 1)
    y, gx = fn(name, "fused")(np.float32(3), np.float32(2))
    assert y == one and gx == 0
    for shape, axis in (((0,), 0), ((0, 3), 1), ((3, 0), 1), ((3, 0), 0), ((2, 0, 4), -1)):
        e = np.zeros(shape, np.float32)
        assert fn(name)(e, axis).shape == shape
        y, gx = fn(name, "fused")(e, e, axis)
        assert y.shape == gx.shape == shape
        assert fn(name, "backward")(e, e, axis).shape == shape
    x = np.random.default_rng(0).standard_normal((5, 9)).astype(np.float16)
    y = fn(name)(x)
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y, fn(name)(x.astype(np.float32)).astype(np.float16))
    assert fn(name)(np.arange(4)).dtype == np.float64
    assert fn(name)(np.arange(4, dtype=np.int16)).dtype == np.float32
    np.testing.assert_array_equal(fn(name)([1.0, 2.0]), fn(name)(np.array([1.0, 2.0])))
    for bad in (np.array(["a"]), np.array([1 + 1j]), np.array([1.0], np.longdouble), None, "x"):
        with pytest.raises(TypeError):
            fn(name)(bad)
    with pytest.raises(ValueError, match="mode"):
        fn(name)(x, mode="exact")


@pytest.mark.parametrize("name", NAMES)
def test_out(name, isa):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((40, 33)).astype(np.float32)
    g = _grad_like(x)
    want = fn(name)(x)
    wy, wg = fn(name, "fused")(x, g)
    out = np.empty_like(x)
    assert fn(name)(x, -1, out) is out
    np.testing.assert_array_equal(out, want)
    xi = x.copy()
    assert fn(name)(xi, out=xi) is xi
    np.testing.assert_array_equal(xi, want)
    o64 = np.empty(x.shape)
    fn(name)(x, out=o64)
    np.testing.assert_array_equal(o64, want.astype(np.float64))
    strided = np.empty((40, 66), np.float32)[:, ::2]
    fn(name)(x, out=strided)
    np.testing.assert_array_equal(strided, want)
    for o, exc in ((np.empty((40, 32), np.float32), ValueError),
                   (np.empty(x.shape, int), TypeError),
                   ([0.0] * 33, TypeError)):
        with pytest.raises(exc):
            fn(name)(x, out=o)
    # fused: out pairs, in place on x and on grad_output, either way round
    for ya, ga in (("x", "g"), ("g", "x"), (None, "g"), ("x", None)):
        xs, gs = x.copy(), g.copy()
        pick = {"x": xs, "g": gs, None: None}
        y, gx = fn(name, "fused")(xs, gs, -1, (pick[ya], pick[ga]))
        np.testing.assert_array_equal(y, wy)
        np.testing.assert_array_equal(gx, wg)
    with pytest.raises(TypeError):
        fn(name, "fused")(x, g, out=np.empty_like(x))
    with pytest.raises(ValueError):
        fn(name, "fused")(x, g, out=(out, out))
    # backward in place on grad_output and on output
    gb = fn(name, "backward")(g, want)
    for which in ("g", "y"):
        gs, ys = g.copy(), want.copy()
        r = fn(name, "backward")(gs, ys, -1, gs if which == "g" else ys)
        np.testing.assert_array_equal(r, gb)
    with pytest.raises(ValueError):
        fn(name, "backward")(g[:, :5], want)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_fast_path_same_bits_as_general_path(name, dtype, isa, mode):
    """The common call (contiguous rows, last axis, no out or a matching one)
    skips _Ctx (fastact/_axis.py): it must give the general path's bits. The
    general path is forced by an axis of another integer type and by outputs
    it must treat specially (a strided out; an out overlapping x with an
    offset, which needs a scratch array)."""
    rng = np.random.default_rng(8)
    f, b, fb = fn(name), fn(name, "backward"), fn(name, "fused")
    for shape in ((16, 64), (1000,), (3, 4, 17), (1,)):
        x = (rng.standard_normal(shape) * 4).astype(dtype)
        g = _grad_like(x)
        ax = np.int64(len(shape) - 1)  # not an int: the general path
        y = f(x, mode=mode)
        np.testing.assert_array_equal(y, f(x, ax, mode=mode))
        gb = b(g, y)
        np.testing.assert_array_equal(gb, b(g, y, ax))
        yf, gf = fb(x, g, mode=mode)
        yg, gg = fb(x, g, ax, mode=mode)
        np.testing.assert_array_equal(yf, yg)
        np.testing.assert_array_equal(gf, gg)
        np.testing.assert_array_equal(yf, y)
        out = np.empty_like(x)
        assert f(x, -1, out, mode=mode) is out
        np.testing.assert_array_equal(out, y)
        assert b(g, y, -1, out) is out
        np.testing.assert_array_equal(out, gb)
        pair = (np.empty_like(x), np.empty_like(x))
        r = fb(x, g, -1, pair, mode=mode)
        assert r[0] is pair[0] and r[1] is pair[1]
        np.testing.assert_array_equal(pair[0], yf)
        np.testing.assert_array_equal(pair[1], gf)
        # an out overlapping x at an offset: computed aside, then copied
        buf = np.concatenate([x.reshape(-1), np.zeros(1, dtype)])
        xo, oo = buf[:-1].reshape(shape), buf[1:].reshape(shape)
        f(xo, -1, oo, mode=mode)
        np.testing.assert_array_equal(oo, y)


@pytest.mark.parametrize("name", NAMES)
def test_blocking_does_not_change_results(name, isa, mode, monkeypatch):
    """Arrays above the block size are processed in blocks of whole rows (along
    another axis): the results equal those computed in one block."""
    from fastact import _axis
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((600, 700)) * 5).astype(np.float32)
    g = _grad_like(x)
    for axis in (0, 1):
        assert len(_axis._blocks(x.shape, axis)) > 1
        y, gx = fn(name, "fused")(x, g, axis, mode=mode)
        yb = fn(name, "backward")(g, y, axis)
        np.testing.assert_array_equal(y, fn(name)(x, axis, mode=mode))
        with monkeypatch.context() as m:
            m.setattr(_axis, "_BLOCK", 10**9)
            assert len(_axis._blocks(x.shape, axis)) == 1
            y1, gx1 = fn(name, "fused")(x, g, axis, mode=mode)
            yb1 = fn(name, "backward")(g, y, axis)
        np.testing.assert_array_equal(y, y1)
        np.testing.assert_array_equal(gx, gx1)
        np.testing.assert_array_equal(yb, yb1)


# ---- gradients ---------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_backward_by_finite_differences(name, isa):
    """<g, f(x + h v)> - <g, f(x - h v)> over 2h against <gx, v> (float64,
    central differences: error O(h^2) + rounding/h, h = 1e-5)."""
    rng = np.random.default_rng(9)
    for shape, axis in (((4, 7), -1), ((5, 3, 6), 1), ((9,), 0)):
        x = rng.standard_normal(shape) * 3
        g = rng.standard_normal(shape)
        v = rng.standard_normal(shape)
        h = 1e-5
        fd = (np.sum(g * fn(name)(x + h * v, axis))
              - np.sum(g * fn(name)(x - h * v, axis))) / (2 * h)
        y, gx = fn(name, "fused")(x, g, axis)
        gb = fn(name, "backward")(g, y, axis)
        assert abs(np.sum(gx * v) - fd) <= 1e-7 * (1 + abs(fd)), (shape, axis)
        assert abs(np.sum(gb * v) - fd) <= 1e-7 * (1 + abs(fd)), (shape, axis)


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_agrees_with_torch(name, dtype, isa):
    """Forward, backward (torch._softmax_backward_data / _log_softmax_backward_data)
    and the fused gradient (torch autograd) within a few ulps of torch's."""
    rng = np.random.default_rng(10)
    tol = 4e-6 if dtype == "float32" else 1e-13
    for shape, axis in (((64, 100), -1), ((20, 30, 7), 1), ((3, 1000), 0)):
        x = (rng.standard_normal(shape) * 4).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        tx = torch.from_numpy(x).requires_grad_(True)
        ty = getattr(torch, name)(tx, axis)
        ty.backward(torch.from_numpy(g))
        y, gx = fn(name, "fused")(x, g, axis)
        scale = np.abs(ty.detach().numpy()).max(axis=axis, keepdims=True)
        assert np.all(np.abs(y - ty.detach().numpy()) <= tol * np.maximum(scale, 1e-30)), name
        gt = tx.grad.numpy()
        gscale = np.abs(gt).max(axis=axis, keepdims=True) + np.abs(g).max(axis=axis, keepdims=True)
        assert np.all(np.abs(gx - gt) <= tol * gscale)
        gb = fn(name, "backward")(g, ty.detach().numpy(), axis)
        assert np.all(np.abs(gb - gt) <= tol * gscale)


def test_signatures_and_docs():
    import inspect
    for name in NAMES:
        assert str(inspect.signature(fn(name))) == "(x, axis=-1, out=None, *, mode='accurate')"
        assert str(inspect.signature(fn(name, "backward"))) == \
            "(grad_output, output, axis=-1, out=None)"
        assert str(inspect.signature(fn(name, "fused"))) == \
            "(x, grad_output, axis=-1, out=(None, None), *, mode='accurate')"
        assert fastact.ACTIVATIONS[name].formula in fn(name).__doc__


# ---- the C row kernel (csrc/rows-inl.h), straight -------------------------------

def _rows_isas():
    from conftest import COMPILED, SUPPORTED_ISAS
    return SUPPORTED_ISAS if COMPILED else ()


def _run(name, op, mode, ins, isa):
    from fastact import _ufuncs
    outs = [np.empty_like(ins[0]) for _ in range(2 if op == "fused" else 1)]
    _ufuncs.rows(name, op, mode, tuple(ins) + tuple(outs), isa)
    return outs


def _tail_rows(dtype, rng):
    """Rows of every length 1..100 and a few longer ones (every tail of every
    vector width, both accumulators), values of scale 0.1 to 30 (narrow rows) and
    some spanning more than the narrow path's 86 (float32) / 700 (float64)."""
    out = []
    for n in list(range(1, 101)) + [127, 255, 1000, 4099]:
        for scale in (0.1, 3.0, 30.0, 400.0 if dtype == np.float64 else 40.0):
            out.append((rng.standard_normal((3, n)) * scale).astype(dtype))
    return out


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_row_kernel_every_length_against_reference(name, dtype):
    """The row kernel on every ISA, every row length 1..100 and longer: forward
    and fused within the registry bounds against the wide reference (as
    test_forward_and_fused_against_reference), fused y identical to the forward,
    and within the bounds of the NumPy-pass path (the fallback's code, on the
    compiled exp_shifted kernel): the two differ by at most both bounds."""
    from fastact import _axis, _ufuncs
    dtype = np.dtype(dtype)
    if dtype == np.float64 and not R.LONGDOUBLE_IS_WIDE:
        pytest.skip("np.longdouble is not wider than float64 here")
    old = dict(zip(("forward", "backward", "fused"),
                   _axis.make_api(fastact.ACTIVATIONS[name], _ufuncs.get_ufunc)))
    rng = np.random.default_rng(11)
    rows = _tail_rows(dtype, rng)
    for mode in ("accurate", "fast"):
        bf, bg = bound(name, "forward", mode, dtype), bound(name, "fused", mode, dtype)
        for isa in _rows_isas():
            for x in rows:
                g = _grad_like(x)
                what = f"rows {name} {mode} {dtype} n={x.shape[1]} on {isa}"
                with np.errstate(over="ignore"):
                    (y,) = _run(name, "forward", mode, [x], isa)
                    y2, gx = _run(name, "fused", mode, [x, g], isa)
                    yo = old["forward"](x, mode=mode)
                np.testing.assert_array_equal(y2, y, err_msg=what)
                ref = SR.FORWARD[name](x, -1)
                ok = np.isfinite(ref)
                R.check_bound(x[ok], y[ok], ref[ok], bf, dtype, what)
                R.check_bound(x[ok], yo[ok], ref[ok], bf, dtype, what + " (NumPy path)")
                gref, scale = SR.GRAD[name](x, g, -1)
                if bg.ulp is not None:
                    err = SR.scaled_error(gx, gref, scale, dtype)[ok]
                    assert err.max() <= bg.ulp, f"{what}: gradient {err.max()} ulp"
                if bg.abs is not None:
                    err = (np.abs(gx.astype(gref.dtype) - gref) / scale)[ok]
                    assert err.max() <= bg.abs, f"{what}: gradient {err.max()}"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_row_kernel_special_rows_every_position(name, dtype):
    """NaN, +inf and all -inf rows give all NaN wherever the special value sits
    (vector body or tail, every row length to 19); -inf elsewhere gives 0 / -inf;
    rows of huge, tiny and subnormal magnitudes (the general, non-narrow path)
    stay within the bounds; no floating-point warning from the public functions."""
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    rng = np.random.default_rng(12)
    b = bound(name, "forward", "accurate", dtype)
    for isa in _rows_isas():
        for n in range(1, 20):
            base = rng.standard_normal(n).astype(dtype)
            for pos in range(n):
                for v in (np.nan, np.inf):
                    x = base.copy()
                    x[pos] = v
                    for mode in ("accurate", "fast"):
                        y, gx = _run(name, "fused", mode, [x[None], x[None]], isa)
                        assert np.isnan(y).all() and np.isnan(gx).all(), (isa, n, pos, v)
                x = base.copy()
                x[pos] = -np.inf
                (y,) = _run(name, "forward", "accurate", [x[None]], isa)
                if n == 1:
                    assert np.isnan(y).all()
                    continue
                assert y[0, pos] == (0 if name == "softmax" else -np.inf), (isa, n, pos)
                keep = np.arange(n) != pos
                (want,) = _run(name, "forward", "accurate", [base[keep][None].copy()], isa)
                np.testing.assert_allclose(y[0, keep], want[0], rtol=4 * float(fi.eps))
            (y,) = _run(name, "forward", "accurate", [np.full((1, n), -np.inf, dtype)], isa)
            assert np.isnan(y).all()
        big = float(fi.max)
        tiny = float(fi.smallest_subnormal)
        rows = [[big, -big, big / 2, 0.0], [-big, -big / 2, -big * 0.999, -1e3],
                [tiny, -tiny, 0.0, tiny * 3], [1e4, 0.0, -1e4, 9999.5],
                [0.0] + [-60.0 if dtype == np.float32 else -600.0] * 40,  # tiny terms: t in the subnormal range
                [0.0] + [-101.0 if dtype == np.float32 else -740.0] * 7]
        for r in rows:
            x = np.array([r], dtype)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with np.errstate(all="raise", under="ignore", over="ignore"):
                    y = fn(name)(x)
            ref = SR.FORWARD[name](x, -1)
            ok = np.isfinite(ref) & (np.abs(ref) <= big)  # log_softmax may truly overflow
            R.check_bound(x[ok], y[ok], ref[ok], b, dtype, f"rows {name} {isa} row {r[:3]}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_of_a_dominant_element(dtype):
    """The row maximum's log_softmax is -log1p(t), t the sum of the other terms,
    which may be tiny: it must keep t's relative accuracy. Rows [0, -d, -d] with d
    from 0.5 to where t is subnormal, across the float32 kernel's switch from the
    series to log(1 + t) in float64 at t = 2^-20 (csrc/rows-inl.h, rows_log1p),
    and through the float64 kernel's pair log1p, every ISA."""
    dtype = np.dtype(dtype)
    d = np.concatenate([np.linspace(0.5, 110.0 if dtype == np.float32 else 760.0, 3001),
                        np.log(2.0) * (20 + np.linspace(-0.5, 1.5, 1001))])  # t near 2^-20
    x = np.stack([np.zeros_like(d), -d, -d], axis=1).astype(dtype)
    ref = SR.FORWARD["log_softmax"](x, -1)
    for isa in _rows_isas():
        for mode in ("accurate", "fast"):
            (y,) = _run("log_softmax", "forward", mode, [x], isa)
            R.check_bound(x, y, ref, bound("log_softmax", "forward", mode, dtype), dtype,
                          f"log_softmax {mode} {dtype} {isa}")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_row_kernel_backward_groups_give_each_rows_bits(name, dtype):
    """The backward takes short rows a vector's width at a time too, on AVX2 and
    AVX-512 (FN(rows_softmax_bwd_group)): each row of a 37-row block gives its own bits,
    whether its group is ordinary or holds one row that needs the row path (a
    sum that overflows, NaN in g or y, for log_softmax a y that is not a
    log_softmax output (positive: libm's exp, which gives inf where the narrow
    exponential would not) or one beyond the narrow span), in place on g and on
    y as well, every length to 33 and around the group limit, every ISA."""
    from fastact import _ufuncs
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(15)
    big = float(np.finfo(dtype).max) / 4
    huge = 100.0 if dtype == np.float32 else 1000.0  # exp overflows
    specials = [None, ("y", 0, np.nan), ("g", slice(None), big), ("g", -1, np.nan)]
    if name == "log_softmax":
        specials += [("y", -1, huge), ("y", 0, -1000.0)]
    for n in list(range(1, 34)) + [64, 65, 255, 256, 257, 513]:
        x = (rng.standard_normal((37, n)) * 3).astype(dtype)
        for isa in _rows_isas():
            (y0,) = _run(name, "forward", "accurate", [x], isa)
            for sp in specials:
                y, g = y0.copy(), _grad_like(x, seed=n)
                if sp is not None:
                    (g if sp[0] == "g" else y)[5, sp[1]] = sp[2]
                with np.errstate(over="ignore", invalid="ignore"):
                    (whole,) = _run(name, "backward", "accurate", [g, y], isa)
                    for r in range(37):
                        (one,) = _run(name, "backward", "accurate", [g[r:r + 1].copy(), y[r:r + 1].copy()], isa)
                        np.testing.assert_array_equal(whole[r:r + 1], one, err_msg=f"{isa} n={n} {sp} row {r}")
                    for k in (0, 1):  # gx in g's place, then in y's
                        ins = [g.copy(), y.copy()]
                        _ufuncs.rows(name, "backward", "accurate", (ins[0], ins[1], ins[k]), isa)
                        np.testing.assert_array_equal(ins[k], whole, err_msg=f"{isa} n={n} in place {k}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_of_equal_values(dtype):
    """Rows of n equal values give -log(n) (t = n - 1 exactly: the row's own log1p,
    in float32 on AVX2 and AVX-512 fa_rows_log1p64 over its whole range of 1 + t
    = m 2^k, elsewhere libm's), within half an ulp plus the 2^-50 of a float64
    log, for n = 1 .. 3000 and powers of two and their neighbours to 2^20, alone
    and in groups, every ISA."""
    dtype = np.dtype(dtype)
    ns = sorted(set(range(1, 3001)) | {2 ** k + d for k in range(12, 21) for d in (-1, 0, 1)})
    for isa in _rows_isas():
        for n in ns:
            rows = 1 if n > 300 else 20  # groups of short rows, and rows alone
            x = np.full((rows, n), 0.75, dtype)
            (y,) = _run("log_softmax", "forward", "accurate", [x], isa)
            want = -np.log(np.float64(n)) if dtype == np.float32 else -np.log(np.longdouble(n))
            got = y.astype(want.dtype)
            ulp = np.spacing(np.abs(dtype.type(want))).astype(want.dtype)
            err = np.abs(got - want) / ulp
            assert err.max() <= 0.5 + 1e-4, (isa, dtype, n, float(err.max()))


@pytest.mark.parametrize("name", NAMES)
def test_row_kernel_bits_independent_of_blocking(name):
    """A row's bits depend only on the row: the same rows run as one block, one
    row per call, or inside a bigger block, and through a transposed layout."""
    rng = np.random.default_rng(13)
    for isa in _rows_isas():
        for dtype in DTYPES:
            x = (rng.standard_normal((37, 45)) * 7).astype(dtype)
            g = _grad_like(x)
            for op, ins in (("forward", [x]), ("fused", [x, g]), ("backward", [g, x])):
                for mode in ("accurate", "fast"):
                    whole = _run(name, op, mode, ins, isa)
                    for r in (0, 5, 36):
                        one = _run(name, op, mode, [a[r:r + 1].copy() for a in ins], isa)
                        for w, o in zip(whole, one):
                            np.testing.assert_array_equal(w[r:r + 1], o, err_msg=f"{op} {isa}")
            from fastact import _ufuncs
            keep = _ufuncs.get_isa()
            _ufuncs.set_isa(isa)
            try:
                yt = fn(name)(np.asfortranarray(x.T), axis=0)
            finally:
                _ufuncs.set_isa(keep)
            np.testing.assert_array_equal(yt.T, _run(name, "forward", "accurate", [x], isa)[0])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_row_kernel_groups_give_each_rows_bits(name, dtype):
    """The forward (and softmax's fused pass) takes short rows a vector's width
    at a time on AVX2 and AVX-512 (csrc/rows-inl.h, FN(rows_softmax_group)): in
    a block of 37 rows, each row gives the bits it gives alone (the fused
    gradient too, also where its sum overflows), whether its group holds only
    ordinary rows (some with a maximum reached as both +0 and -0) or special
    ones (NaN, +inf, all -inf, -inf among finite values, a span beyond the
    narrow path's), at every length to 33, around the vector multiples and the
    group limit (FA_ROWS_GROUP_BYTES), in both modes, on every ISA; through the
    public function, no floating-point warning."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(14)
    wide = 400.0 if dtype == np.float64 else 40.0
    for n in list(range(1, 34)) + [63, 64, 65, 127, 128, 129, 255, 256, 257, 512, 513, 1100]:
        x = (rng.standard_normal((37, n)) * 3).astype(dtype)
        x[2] = -np.abs(x[2])
        x[2, 0], x[2, n // 2] = -0.0, 0.0  # a maximum of 0 reached as -0.0 and +0.0
        x[5] = -np.abs(x[5])
        x[5, n - 1], x[5, 0] = -0.0, 0.0
        x[9] = -np.abs(x[9])
        x[9, :] = np.where(np.arange(n) % 2 == 0, -0.0, x[9])  # -0.0 ties only
        x[17, n // 3] = np.nan
        x[20, n - 1] = np.inf
        x[22] = -np.inf
        x[25] *= wide  # beyond the narrow span when n > 1
        x[28, 0] = -np.inf
        x[30] *= 1e-30
        g = _grad_like(x, seed=n)
        g[12, 0] = np.inf  # softmax's fused: a gradient sum that is not finite
        for mode in ("accurate", "fast"):
            for isa in _rows_isas():
                (whole,) = _run(name, "forward", mode, [x], isa)
                fused = _run(name, "fused", mode, [x, g], isa)
                np.testing.assert_array_equal(fused[0], whole, err_msg=f"{isa} {mode} n={n} fused y")
                for r in range(37):
                    (one,) = _run(name, "forward", mode, [x[r:r + 1].copy()], isa)
                    np.testing.assert_array_equal(
                        np.signbit(whole[r:r + 1]), np.signbit(one), err_msg=f"{isa} {mode} n={n} row {r}")
                    np.testing.assert_array_equal(whole[r:r + 1], one,
                                                  err_msg=f"{isa} {mode} n={n} row {r}")
                    with np.errstate(over="ignore", invalid="ignore"):
                        one_gx = _run(name, "fused", mode, [x[r:r + 1].copy(), g[r:r + 1].copy()], isa)[1]
                    np.testing.assert_array_equal(fused[1][r:r + 1], one_gx,
                                                  err_msg=f"{isa} {mode} n={n} row {r} fused gx")
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with np.errstate(all="raise", under="ignore"):
                    y = fn(name)(x, mode=mode)
            from fastact import _ufuncs
            np.testing.assert_array_equal(y, _run(name, "forward", mode, [x], _ufuncs.get_isa())[0])


def test_row_kernel_log_softmax_backward_any_output():
    """log_softmax's backward takes any array as the output: rows holding a
    positive value or a NaN (not a log_softmax result) go through libm's exp and
    give g - exp(y) sum(g) as NumPy does; valid rows use the kernel's exp."""
    rng = np.random.default_rng(14)
    for isa in _rows_isas():
        for dtype in DTYPES:
            y = -np.abs(rng.standard_normal((6, 21))).astype(dtype)
            y[1, 3] = 0.5
            y[2, 20] = np.nan
            y[3, 0] = -np.inf
            g = _grad_like(y)
            (gx,) = _run("log_softmax", "backward", "accurate", [g, y], isa)
            with np.errstate(invalid="ignore"):
                want = g - np.exp(y.astype(np.float64)) * g.astype(np.float64).sum(-1, keepdims=True)
            np.testing.assert_array_equal(np.isnan(gx), np.isnan(want))  # only y's NaN
            ok = ~np.isnan(want)
            # sum(g) good to an ulp, exp(y) within 1 ulp, one FMA: a few ulps of the row's scale
            tol = 8 * float(np.finfo(dtype).eps) * np.abs(want[ok]).max()
            np.testing.assert_allclose(gx[ok], want[ok], rtol=0, atol=tol)


def test_row_kernel_bad_arguments():
    from conftest import COMPILED
    if not COMPILED:
        pytest.skip("compiled backend not loaded")
    from fastact import _ufuncs
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="unknown function"):
        _ufuncs.rows("tanh", "forward", "accurate", (x, x))
    with pytest.raises(ValueError, match="op"):
        _ufuncs.rows("softmax", "sideways", "accurate", (x, x))
    with pytest.raises(TypeError, match="takes 2 arrays"):
        _ufuncs.rows("softmax", "forward", "accurate", (x,))
    with pytest.raises(ValueError, match="C-contiguous"):
        _ufuncs.rows("softmax", "forward", "accurate", (x.T, np.zeros((3, 2), np.float32)))
    with pytest.raises(TypeError, match="dtype"):
        _ufuncs.rows("softmax", "forward", "accurate", (x, np.zeros((2, 3))))
    with pytest.raises(ValueError, match="shape"):
        _ufuncs.rows("softmax", "forward", "accurate", (x, np.zeros((2, 4), np.float32)))
    # aliasing: exactly an input is fine for forward/backward, never for fused;
    # any other overlap is refused
    buf = np.zeros(7, np.float32)
    a, b = buf[:6].reshape(2, 3), buf[1:].reshape(2, 3)
    with pytest.raises(ValueError, match="overlaps"):
        _ufuncs.rows("softmax", "forward", "accurate", (a, b))
    _ufuncs.rows("softmax", "forward", "accurate", (a, a))
    _ufuncs.rows("softmax", "backward", "accurate", (a, x, a))
    with pytest.raises(ValueError, match="overlaps"):
        _ufuncs.rows("softmax", "fused", "accurate", (a, x, a, np.zeros_like(x)))
    with pytest.raises(ValueError, match="overlaps"):
        _ufuncs.rows("softmax", "fused", "accurate", (x, x, a, b))
