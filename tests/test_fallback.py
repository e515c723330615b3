"""The pure-NumPy backend (fastact/_fallback.py), imported directly so that it is
tested whichever backend fastact loaded.

It must behave like the compiled ufuncs: the same dtype resolution (checked
against the compiled ufuncs when they are loaded, and always against NumPy's
own ufuncs with the same loop set: np.tanh for one input, np.arctan2 for two),
the same ufunc protocol (out=, where=, in place, broadcasting, 0-d, empty,
layouts, errors), bit-identical backward passes; and be at least as accurate
as the compiled accurate mode, with no floating-point warnings.

Tolerances, and why:
  float16/float32, forward and fused gradient: 0.5 ulp + 1e-6. The fallback
  computes them in float64 to about 2^-50 relative and rounds once, so only
  values within about 2^-25 ulp of a rounding midpoint can exceed 0.5 ulp, by
  that much; the float64 reference adds ~2^-28 ulp.
  float64: 0.6 ulp. One final rounding (0.5) on top of pair arithmetic good
  to ~2^-57 relative (exp from a 2^-58 pair, corrected quotients), and below
  0.125 the Cephes tanh rational whose few-ulp error is scaled by x^2/3 < 0.006.
  Measured on this file's samples: 0.519 (sigmoid), 0.535 (tanh) forward,
  0.517 / 0.519 fused gradient.
"""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fastact
import reference as R
from conftest import NAMES
from fastact import _fallback
from fastact._registry import ACTIVATIONS, ELEMENTWISE, INTERNAL, MODES, OPS

COMPILED = fastact.backend == "compiled"
if COMPILED:
    from fastact import _ufuncs
needs_compiled = pytest.mark.skipif(not COMPILED, reason="compiled backend not loaded")

FLOATS = [np.float16, np.float32, np.float64]
FLOAT_IDS = ["float16", "float32", "float64"]
# every dtype np.tanh accepts that the fastact loops also take (all but long double)
REAL_DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
               np.int64, np.uint64, np.float16, np.float32, np.float64]
TOL = {np.dtype(np.float16): 0.5 + 1e-6, np.dtype(np.float32): 0.5 + 1e-6,
       np.dtype(np.float64): 0.6}


def fb(name, op, mode="accurate"):
    return _fallback.get_ufunc(name, op, mode)


def cu(name, op, mode="accurate"):
    return _ufuncs.get_ufunc(name, op, mode)


def as_tuple(r):
    return r if isinstance(r, tuple) else (r,)


def assert_same_bits(got, expected, what):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (
        f"{what}: {got.dtype}{got.shape} vs {expected.dtype}{expected.shape}")
    nan = np.isnan(got)
    assert (nan == np.isnan(expected)).all(), f"{what}: NaN in different places"
    diff = (got.view(f"u{got.itemsize}") != expected.view(f"u{expected.itemsize}")) & ~nan
    assert not diff.any(), (f"{what}: {diff.sum()} elements differ, first at "
                            f"{np.argwhere(diff)[0].tolist()}: {got[diff][0]!r} vs "
                            f"{expected[diff][0]!r}")


def special_values(dtype):
    """+-0, +-inf, NaN, subnormals, huge values and the saturation points."""
    fi = np.finfo(dtype)
    v = [0.0, -0.0, np.inf, -np.inf, np.nan, fi.smallest_subnormal, -fi.smallest_subnormal,
         fi.smallest_normal / 3, fi.max, -fi.max, 1e30, -1e30, -87.5, -100.0, -104.0, 104.0,
         17.5, -17.5, 9.0, 19.5, 38.0, -745.2, 373.0, 800.0, -800.0]
    with np.errstate(over="ignore"):
        return np.array(v, dtype=dtype)


def sample(dtype):
    if dtype == np.float16:
        x = np.arange(2**16, dtype=np.uint16).view(np.float16)
    elif dtype == np.float32:
        x = R.float32_sweep(step=4099)
    else:
        x = R.float64_samples(300_000, seed=3)
    return np.concatenate([x[np.isfinite(x)], special_values(dtype)])


def reference_available(dtype):
    if dtype == np.float64 and not R.LONGDOUBLE_IS_WIDE:
        pytest.skip("long double is not wider than float64 here: no float64 reference")


# ---- the interface --------------------------------------------------------------------

def test_every_name_op_and_mode():
    assert set(_fallback.UFUNCS) == {(n, o, m) for n in ELEMENTWISE + tuple(INTERNAL)
                                     for o in OPS for m in MODES}
    for name in NAMES:
        for op in OPS:
            for mode in MODES:
                f = fb(name, op, mode)
                assert (f.nin, f.nout) == {"forward": (1, 1), "backward": (2, 1),
                                           "fused": (2, 2)}[op]
                assert f.types == [c * f.nin + "->" + c * f.nout for c in "efd"]
                if COMPILED:
                    assert f.__name__ == cu(name, op, mode).__name__
        assert fb(name, "backward", "fast") is fb(name, "backward", "accurate")
        assert fb(name, "forward", "fast") is not fb(name, "forward", "accurate")


def test_the_public_api_runs_on_the_fallback():
    code = ("import numpy as np, fastact\n"
            "assert fastact.backend == 'python', fastact.backend\n"
            "y = fastact.sigmoid(np.float32([0, 1]))\n"
            "assert y.dtype == np.float32 and y[0] == 0.5\n"
            "y, g = fastact.tanh_fwd_bwd(np.array([0.0, -0.0]), 1.0, mode='fast')\n"
            "assert g[0] == 1.0 and np.signbit(y[1])\n"
            "assert fastact.sigmoid_backward(2.0, 0.5) == 0.5\n")
    env = dict(os.environ, FASTACT_PURE_PYTHON="1")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


# ---- dtype resolution -----------------------------------------------------------------

def _numpy_model(op):
    """NumPy ufuncs with the same float16/float32/float64 loops (plus long
    double, complex and object ones that real non-long-double inputs never
    reach): np.tanh for one input, np.arctan2 for two."""
    return np.tanh if op == "forward" else np.arctan2


@pytest.mark.parametrize("op", OPS)
def test_dtype_of_each_input_dtype(op):
    for dt in REAL_DTYPES:
        x = np.ones(3, dt)
        args = (x,) if op == "forward" else (x, x)
        got = as_tuple(fb("sigmoid", op)(*args))
        want = _numpy_model(op)(*args).dtype
        assert all(r.dtype == want for r in got), (dt, [r.dtype for r in got], want)
        assert np.tanh(x).dtype == want
        if COMPILED:
            assert [r.dtype for r in as_tuple(cu("sigmoid", op)(*args))] == [want] * len(got)


PY_SCALAR_CASES = [
    (np.ones(2, np.float32), 1.0), (np.ones(2, np.float16), 1), (np.ones(2, np.int8), 1.0),
    (np.ones(2, np.int8), 1), (np.ones(2, np.uint8), np.ones(2, np.int8)),
    (np.ones(2, np.int16), np.float16(1)), (1, 1.0), (True, 1), (True, False),
    (np.float32(1), 2.0), (np.ones(2, np.float16), np.ones(2, np.int16)),
    (np.ones(2, np.float32), np.ones(2, np.float64)), ([1, 2], 0.5), (np.uint64(1), 1),
]


@pytest.mark.parametrize("op", ["backward", "fused"])
def test_dtype_of_mixed_and_python_inputs(op):
    """Python scalars are weak (NEP 50): a float32 array with a Python float
    stays float32; every pair of real dtypes resolves as NumPy does."""
    cases = list(PY_SCALAR_CASES)
    cases += [(np.ones(2, a), np.ones(2, b)) for a in REAL_DTYPES for b in REAL_DTYPES]
    for a, b in cases:
        got = [r.dtype for r in as_tuple(fb("tanh", op)(a, b))]
        want = np.arctan2(a, b).dtype
        assert got == [want] * len(got), (a, b, got, want)
        if COMPILED:
            assert [r.dtype for r in as_tuple(cu("tanh", op)(a, b))] == got, (a, b)
    assert fb("tanh", "backward")(np.ones(2, np.float32), 1.0).dtype == np.float32


def test_dtype_of_python_and_numpy_scalars():
    for v in [1.0, 1, True, np.float32(1), np.int8(1), np.array(1.0, np.float32),
              np.array(1, np.int8), np.uint16(3), [1.0], [[True]], (1, 2)]:
        got = fb("sigmoid", "forward")(v)
        want = np.tanh(v)
        assert type(got) is type(want) and got.dtype == want.dtype, (v, got, want)
        if COMPILED:
            c = cu("sigmoid", "forward")(v)
            assert type(c) is type(got) and c.dtype == got.dtype


# ---- accuracy ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_forward_accuracy_and_range(name, dtype):
    reference_available(dtype)
    x = sample(dtype)
    for mode in MODES:  # fast mode uses the accurate formulas in the fallback
        y = fb(name, "forward", mode)(x)
        assert y.dtype == dtype
        err = R.ulp_error(y, R.FORWARD[name](x), dtype)
        assert err.max() <= TOL[np.dtype(dtype)], (
            f"{name} {mode} {np.dtype(dtype)}: {R.worst(x, err, y, R.FORWARD[name](x), 'ulp')}")
        lo, hi = R.RANGE[name]
        finite = ~np.isnan(x)
        assert ((y[finite] >= lo) & (y[finite] <= hi)).all()
        assert np.isnan(y[~finite]).all()


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_fused_y_is_the_forward_and_gradient_accuracy(name, dtype):
    reference_available(dtype)
    x = sample(dtype)
    rng = np.random.default_rng(4)
    g = (rng.standard_normal(x.size) * np.exp2(rng.integers(-8, 8, x.size))).astype(dtype)
    for mode in MODES:
        y, gx = fb(name, "fused", mode)(x, g)
        assert_same_bits(y, fb(name, "forward", mode)(x), f"{name} {mode} fused y vs forward")
        ref = R.GRAD[name](x) * g.astype(R.wide_type(dtype))
        err = R.ulp_error(gx, ref, dtype)
        assert err.max() <= TOL[np.dtype(dtype)], (
            f"{name} {mode} {np.dtype(dtype)} gradient: {R.worst(x, err, gx, ref, 'ulp')}")
        assert np.isnan(gx[np.isnan(x)]).all()


@pytest.mark.parametrize("name", NAMES)
def test_float64_gradient_with_extreme_grad_output(name):
    """The gradient is scaled by 2^m after the product with g, so a huge g
    times a subnormal derivative is still right (and a tiny g times a huge one)."""
    reference_available(np.float64)
    x = np.array([-740.0, -700.0, 372.0, 360.0, 2.0, 0.0, -30.0, 700.0])
    for gv in (1e300, -1e300, 1e-300, 3e-320):
        g = np.full(x.size, gv)
        gx = fb(name, "fused")(x, g)[1]
        ref = R.GRAD[name](x) * np.longdouble(gv)
        err = R.ulp_error(gx, ref, np.float64)
        assert err.max() <= TOL[np.dtype(np.float64)], R.worst(x, err, gx, ref, "ulp")


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_special_values(name, dtype):
    x = special_values(dtype)
    with np.errstate(all="ignore"):
        y = fb(name, "forward")(x)
        yg, gx = fb(name, "fused")(x, np.ones_like(x))
    pos_inf, neg_inf = np.isposinf(x), np.isneginf(x)
    if name == "sigmoid":
        assert (y[x == 0] == 0.5).all()
        assert (y[pos_inf] == 1).all() and (y[neg_inf] == 0).all()
        assert (gx[x == 0] == 0.25).all()
    else:
        assert (y[x == 0] == 0).all() and (np.signbit(y) == np.signbit(x))[~np.isnan(x)].all()
        assert (y[pos_inf] == 1).all() and (y[neg_inf] == -1).all()
        sub = (x != 0) & (np.abs(x) < np.finfo(dtype).smallest_normal)
        assert (y[sub] == x[sub]).all()
        assert (gx[x == 0] == 1).all()
    assert (gx[np.isinf(x)] == 0).all()
    assert np.isnan(y[np.isnan(x)]).all() and np.isnan(gx[np.isnan(x)]).all()
    # NaN in grad_output gives a NaN gradient whatever x; +-inf gives +-inf
    # where the derivative is not 0, NaN at x = +-inf (inf * 0). (Where the
    # derivative underflows the result dtype but not float64 the product is
    # still inf: it is formed before the rounding.)
    with np.errstate(all="ignore"):
        d = fb(name, "fused")(x, np.ones_like(x))[1]
        for gv in (np.nan, np.inf, -np.inf):
            yg, gx = fb(name, "fused")(x, np.full_like(x, gv))
            assert_same_bits(yg, y, f"{name} fused y with grad_output {gv}")
            nan = np.isnan(gv) | np.isnan(x) | np.isinf(x)
            assert np.isnan(gx[nan]).all(), f"{name} gradient with grad_output {gv}"
            if not np.isnan(gv):
                assert (gx[(d > 0) & ~nan] == gv).all(), f"{name} gradient with {gv}"
    # the forward returns a NaN input itself, sign and payload
    if dtype != np.float16:
        u = np.uint32 if dtype == np.float32 else np.uint64
        bits = np.array([0x7FC12345, 0xFFC00001], u) if dtype == np.float32 else \
            np.array([0x7FF8000000012345, 0xFFF8000000000001], u)
        assert (fb(name, "forward")(bits.view(dtype)).view(u) == bits).all()
        assert (fb(name, "fused")(bits.view(dtype), 1.0)[0].view(u) == bits).all()
    if COMPILED:  # both backends agree on every value with an exact answer
        cy = cu(name, "forward")(x)
        exact = np.isnan(x) | np.isinf(x) | (x == 0) | (np.abs(x) >= 104)
        assert_same_bits(y[exact], cy[exact], f"{name} exact special values vs compiled")


def test_results_do_not_depend_on_position_or_layout():
    """Offsets, strides, block boundaries (_fallback._BLOCK) and memory order
    change no bit of any result."""
    n = 3 * _fallback._BLOCK + 7
    rng = np.random.default_rng(6)
    base = rng.standard_normal(n + 1) * 20
    g = rng.standard_normal(n + 1)
    for name in NAMES:
        for op in ("forward", "fused"):
            f = fb(name, op)
            call = (lambda v, w: as_tuple(f(v))) if op == "forward" else \
                (lambda v, w: as_tuple(f(v, w)))
            ref = call(base[1:], g[1:])
            for label, got in [
                ("offset", call(base.copy()[1:], g[1:])),
                ("one by one", [np.concatenate(p) for p in zip(*[call(base[i:i + 1], g[i:i + 1])
                                                                for i in range(1, 40)])]),
                ("reversed", [r[::-1] for r in call(base[1:][::-1], g[1:][::-1])]),
                ("strided", call(np.repeat(base[1:], 2)[::2], g[1:])),
            ]:
                for a, b in zip(got, ref):
                    assert_same_bits(a, b[:a.size], f"{name} {op} {label}")
            block = _fallback._BLOCK
            for a, b in zip(call(base[block - 3:block + 3], g[block - 3:block + 3]), ref):
                assert_same_bits(a, b[block - 4:block + 2], f"{name} {op} block boundary")
            x2, g2 = base[1:601].reshape(20, 30), g[1:601].reshape(20, 30)
            for a, b in zip(call(np.asfortranarray(x2), np.asfortranarray(g2)), call(x2, g2)):
                assert_same_bits(a, b, f"{name} {op} F order")


# ---- backward -----------------------------------------------------------------------------

def _backward_inputs(dtype):
    rng = np.random.default_rng(7)
    g = rng.standard_normal(4000) * np.exp2(rng.integers(-30, 30, 4000))
    y = np.concatenate([rng.uniform(-1, 1, 3000), rng.standard_normal(1000) * 1e3])
    sp = np.array([0.0, -0.0, 1.0, -1.0, 0.5, np.inf, -np.inf, np.nan, 1e-40, 3e38])
    g[:sp.size], y[-sp.size:] = sp, sp
    with np.errstate(all="ignore"):
        return g.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_backward_is_the_documented_formula(name, dtype):
    g, y = _backward_inputs(dtype)
    w = np.float32 if dtype == np.float16 else dtype
    gw, yw = g.astype(w), y.astype(w)
    with np.errstate(all="ignore"):
        got = fb(name, "backward")(g, y)
        want = (gw * (1 - yw)) * yw if name == "sigmoid" else gw * (1 - yw * yw)
        want = want.astype(dtype)
    assert_same_bits(got, want, f"{name} backward formula")


@needs_compiled
@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_backward_bit_identical_to_compiled(name, dtype):
    g, y = _backward_inputs(dtype)
    with np.errstate(all="ignore"):
        assert_same_bits(fb(name, "backward")(g, y), cu(name, "backward")(g, y),
                         f"{name} backward fallback vs compiled")
        assert_same_bits(fb(name, "backward")(g[:, None], y[None, :50]),
                         cu(name, "backward")(g[:, None], y[None, :50]), "broadcast")


# ---- the ufunc protocol -------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_out_in_place_and_overlap(name):
    x = np.linspace(-30, 30, 101).astype(np.float32)
    g = np.linspace(2, -2, 101).astype(np.float32)
    f, fu, b = fb(name, "forward"), fb(name, "fused"), fb(name, "backward")
    y = f(x)
    out = np.empty_like(x)
    assert f(x, out=out) is out and f(x, out) is out and f(x, out=(out,)) is out
    assert_same_bits(out, y, "out=")
    out64 = np.empty(x.shape)
    assert f(x, out=out64) is out64
    assert_same_bits(out64, y.astype(np.float64), "float32 loop cast into a float64 out")
    xi = x.copy()
    assert f(xi, out=xi) is xi
    assert_same_bits(xi, y, "out=x")
    xr = x.copy()
    f(xr[:-1], out=xr[1:])  # overlapping: read everything before writing
    assert_same_bits(xr[1:], y[:-1], "overlapping out")
    ey, eg = fu(x, g)
    xi, gi = x.copy(), g.copy()
    ry, rg = fu(xi, gi, out=(gi, xi))  # each output over the other input
    assert ry is gi and rg is xi
    assert_same_bits(gi, ey, "fused y over g")
    assert_same_bits(xi, eg, "fused gradient over x")
    og = np.empty_like(x)
    ry, rg = fu(x, g, out=(None, og))
    assert rg is og and ry is not og
    ry, rg = fu(x, g, og)  # positional: the first output only
    assert ry is og
    assert_same_bits(rg, eg, "fused with one positional out")
    gi = g.copy()
    assert b(gi, y, out=gi) is gi
    assert_same_bits(gi, b(g, y), "backward in place")


@pytest.mark.parametrize("name", NAMES)
def test_where(name):
    x = np.linspace(-5, 5, 30)
    mask = np.arange(30) % 3 == 0
    f, fu = fb(name, "forward"), fb(name, "fused")
    out = np.full(30, -7.0)
    assert f(x, out=out, where=mask) is out
    assert (out[~mask] == -7.0).all()
    assert_same_bits(out[mask], f(x[mask]), "where")
    oy, og = np.full(30, -7.0), np.full(30, -8.0)
    fu(x, 2.0, out=(oy, og), where=mask)
    assert (oy[~mask] == -7.0).all() and (og[~mask] == -8.0).all()
    assert_same_bits(og[mask], fu(x[mask], 2.0)[1], "fused where")
    # where broadcasts, also against out; where=False leaves out alone
    out = np.full((2, 30), -7.0)
    f(x, out=out, where=mask[None, :])
    assert (out[:, ~mask] == -7.0).all() and (out[0] == out[1]).all()
    out = np.full(30, -7.0)
    f(x, out=out, where=False)
    assert (out == -7.0).all()
    assert f(x, out=None, where=mask).shape == (30,)  # allocated, masked-out left as they are
    with pytest.warns(UserWarning):
        f(x, where=mask)  # no out at all: numpy warns about uninitialised memory
    with pytest.raises(TypeError):
        f(x, out=np.empty(30), where=np.ones(30))  # where must be boolean


def test_broadcasting_0d_and_empty():
    b, fu, f = fb("sigmoid", "backward"), fb("tanh", "fused"), fb("tanh", "forward")
    g, y = np.linspace(-1, 1, 3)[:, None], np.linspace(0, 1, 4)[None, :]
    r = b(g, y)
    assert r.shape == (3, 4)
    assert_same_bits(r, b(*(np.ascontiguousarray(a) for a in np.broadcast_arrays(g, y))),
                     "broadcast")
    out = np.empty((2, 3))
    f(np.linspace(-1, 1, 3), out=out)
    assert (out[0] == out[1]).all()
    with pytest.raises(ValueError):
        b(np.ones(3), np.ones(4))
    with pytest.raises(ValueError):
        f(np.ones((2, 3)), out=np.empty((1, 3)))  # out never broadcasts
    # 0-d in: a numpy scalar out, as np.tanh gives; an out array is returned as is
    for v in [np.float32(1), np.array(1.0), 1.0, np.float16(-2), np.int16(3)]:
        r = f(v)
        assert type(r) is type(np.tanh(v)) and np.ndim(r) == 0
    ry, rg = fu(np.float32(0.5), 2.0)
    assert type(ry) is np.float32 and type(rg) is np.float32
    o = np.zeros(())
    assert f(np.array(1.0), out=o) is o and o == f(1.0)
    for shape in [(0,), (2, 0), (0, 3, 1)]:
        for dt in FLOATS:
            e = np.empty(shape, dt)
            assert f(e).shape == shape and f(e).dtype == dt
            assert [r.shape for r in fu(e, e)] == [shape, shape]
            assert b(e, e).shape == shape


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_subclasses_and_overrides():
    f, fu = fb("sigmoid", "forward"), fb("sigmoid", "fused")
    m = np.matrix([[0.0, 1.0]])
    assert type(f(m)) is np.matrix and type(f(m, subok=False)) is np.ndarray
    ma = np.ma.array([0.0, 1.0, 2.0], mask=[0, 1, 0])
    r = f(ma)
    assert isinstance(r, np.ma.MaskedArray) and list(r.mask) == [False, True, False]
    ry, rg = fu(ma, 1.0)
    assert list(ry.mask) == list(rg.mask) == [False, True, False]

    class Seen:
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return ufunc, method, inputs, kwargs

    s, o = Seen(), np.empty(1)
    uf, method, inputs, kwargs = fu(1.0, s, out=(None, o))
    assert uf is fu and method == "__call__" and inputs == (1.0, s)
    assert kwargs == {"out": (None, o)}

    class Refuses:
        __array_ufunc__ = None

    with pytest.raises(TypeError):
        f(Refuses())


@pytest.mark.parametrize("name", NAMES)
def test_dtype_signature_casting_and_order(name):
    f, b = fb(name, "forward"), fb(name, "backward")
    x = np.linspace(-2, 2, 12)
    assert f(x, dtype=np.float32).dtype == np.float32
    assert_same_bits(f(x, dtype=np.float32), f(x.astype(np.float32)), "dtype=float32")
    assert f(x, signature=(None, "f4")).dtype == np.float32
    assert b(x, x, signature="ee->e").dtype == np.float16
    assert b(np.ones(3, np.int8), np.ones(3, np.int8), casting="unsafe",
             out=np.empty(3, np.int8)).dtype == np.int8
    for kwargs, exc in [({"dtype": np.int32}, TypeError), ({"dtype": np.longdouble}, TypeError),
                        ({"dtype": np.float32, "casting": "safe"}, TypeError),
                        ({"signature": "f"}, TypeError), ({"signature": "ff->f"}, ValueError),
                        ({"signature": ("f4", "f8")}, TypeError),
                        ({"signature": [None, "f4"]}, TypeError),
                        ({"dtype": "f4", "signature": (None, "f4")}, TypeError),
                        ({"casting": "bad"}, ValueError), ({"casting": None}, TypeError),
                        ({"order": "X"}, ValueError), ({"subok": None}, TypeError),
                        ({"axis": 0}, TypeError), ({"extobj": None}, TypeError)]:
        with pytest.raises(exc):
            f(x, **kwargs)
        if COMPILED:
            with pytest.raises(exc):
                cu(name, "forward")(x, **kwargs)
    with pytest.raises(TypeError):
        f(np.ones(3, np.int8), casting="no")
    a = np.ones((4, 3), order="F")
    for order in "KACF":
        r = f(a, order=order)
        assert r.flags.f_contiguous == (order != "C") and r.flags.c_contiguous == (order == "C")
        if COMPILED:
            for ins in [(a,), (a.T,), (np.ones((2, 3, 4)).transpose(2, 0, 1),)]:
                want = cu(name, "forward")(*ins, order=order).strides
                assert f(*ins, order=order).strides == want, (ins[0].strides, order)


def _outcome(fn, args, kwargs, values=True):
    """What a call gives: the exception kind, or per result its type, dtype,
    shape, strides (and bytes, when the two backends must agree on them)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn(*args, **kwargs)
    except TypeError:
        return "TypeError"
    except ValueError:
        return "ValueError"
    return [(type(q).__name__, q.dtype, np.shape(q), getattr(q, "strides", None),
             np.asarray(q).tobytes() if values else None) for q in as_tuple(r)]


def _protocol_calls():
    """(args, kwargs) covering dtype resolution, casting, dtype=/signature=,
    out=, where=, order=, subok=, layouts and bad arguments."""
    x, i8 = np.linspace(-2, 2, 6), np.arange(6, dtype=np.int8)
    x32 = x.astype(np.float32)
    f2 = np.ones((3, 2), order="F")
    pairs = [(x, x), (x32, 1.0), (i8, 1.0), (i8, 1), (1, 1.0), (True, 1), (x32, x),
             (np.float16(2), i8), ([1, 2], [[0.5], [0.2]]), (f2, f2), (f2, 1.0), (f2.T, np.ones(2)),
             (np.array(1.0), 2), (np.empty((0, 2)), 1.0), (np.uint64(3), -1), (x, 2**70),
             (np.ones(2, np.uint8), -1), (np.zeros(2, "i4,f4"), x[:2]), (x, np.ones(2, "m8[s]"))]
    extra = [{}, {"order": "C"}, {"order": "F"}, {"order": "A"}, {"dtype": np.float32},
             {"dtype": np.float16, "casting": "safe"}, {"casting": "no"}, {"casting": "equiv"},
             {"signature": "dd->d"}, {"signature": (None, None, "f4")}, {"sig": "ff->f"},
             {"dtype": None, "signature": None}, {"subok": False}]
    calls = [(p, k) for p in pairs for k in extra]
    o = np.zeros
    for k in [{"out": o(6, np.float32)}, {"out": o(6, np.int32)}, {"out": o((2, 6))},
              {"out": o(6, np.int32), "casting": "unsafe"}, {"out": o(6, complex)},
              {"out": o(6, bool), "casting": "unsafe"}, {"out": (o(6),)}, {"out": (None,)},
              {"where": x > 0, "out": o(6)}, {"where": [True, False] * 3, "out": o(6)},
              {"where": np.ones(6), "out": o(6)}, {"where": None, "out": o(6)},
              {"where": np.ones((2, 6), bool), "out": o((2, 6))}, {"order": "k"},
              {"out": o(6, np.float16), "casting": "safe"}, {"casting": "Unsafe"}]:
        calls.append(((x, x), k))
    calls += [((x, x, o(6)), {}), ((x, x, None), {}), ((x, x, o(6)), {"out": o(6)})]
    return calls


@needs_compiled
@pytest.mark.parametrize("op", ["backward", "fused"])
def test_protocol_matches_the_compiled_ufuncs(op):
    """Every call gives the same kind of error, or results of the same type,
    dtype, shape and strides (and bits, for the backward) in both backends."""
    for name in NAMES:
        for args, kwargs in _protocol_calls():
            got = _outcome(fb(name, op), args, kwargs, values=op == "backward")
            want = _outcome(cu(name, op), args, kwargs, values=op == "backward")
            assert got == want, (name, op, args, kwargs)
    x = np.linspace(-3, 3, 24)
    for arg in [x, x.astype(np.float32), x.astype(np.int16), 1, 1.0, True, np.float16(2), [1, 2],
                x.reshape(4, 6).T, x.reshape(2, 3, 4).transpose(1, 2, 0), x[::-2], np.uint64(5),
                1j, None, "a", np.array([1, 2], object), np.longdouble(1), 2**70]:
        for kwargs in [{}, {"order": "F"}, {"order": "A"}, {"dtype": np.float32},
                       {"casting": "no"}, {"signature": (None, "f4")}, {"signature": ("f4",)},
                       {"dtype": np.float64, "casting": "unsafe"}, {"subok": False}]:
            got = _outcome(fb("tanh", "forward"), (arg,), kwargs, values=False)
            want = _outcome(cu("tanh", "forward"), (arg,), kwargs, values=False)
            assert got == want, (arg, kwargs)


# ---- bad input -------------------------------------------------------------------------------

BAD_INPUTS = [
    ("object", np.array([1.0, 2.0], dtype=object)), ("complex", np.array([1 + 1j, 2])),
    ("python complex", 1j), ("str", np.array(["a", "b"])), ("bytes", np.array([b"a", b"b"])),
    ("datetime", np.array(["2020-01-01", "2021-01-01"], "M8[D]")),
    ("timedelta", np.array([1, 2], "m8[s]")), ("void", np.zeros(2, "V4")),
    ("structured", np.zeros(2, "i4,f4")), ("list of str", ["a", "b"]), ("None", None),
    ("long double", np.ones(2, np.longdouble)),
]


@pytest.mark.parametrize("label,bad", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_type_error_and_writes_nothing(label, bad):
    for name in NAMES:
        for op in OPS:
            f = fb(name, op)
            calls = [(bad,)] if op == "forward" else [(bad, np.ones(2)), (np.ones(2), bad)]
            for args in calls:
                outs = tuple(np.full(2, 7.0) for _ in range(f.nout))
                with pytest.raises(TypeError) as info:
                    f(*args, out=outs)
                assert "loop" in str(info.value)
                assert all((o == 7.0).all() for o in outs), f"{name} {op} {label} wrote to out"
                if COMPILED:
                    with pytest.raises(TypeError):
                        cu(name, op)(*args)
    with pytest.raises(TypeError):  # a Python int beyond int64 alone: no dtype for it
        fb("sigmoid", "forward")(2**70)


def test_bad_out_raises_and_writes_nothing():
    f, fu = fb("tanh", "forward"), fb("tanh", "fused")
    x = np.ones(3)
    ro = np.full(3, 7.0)
    ro.flags.writeable = False
    keep = np.full(3, 7.0)
    cases = [
        (lambda: f(x, out=np.full(4, 7.0)), ValueError, None),  # wrong shape
        (lambda: f(x, out=ro), ValueError, None),  # read-only
        (lambda: f(x, out=keep_int), TypeError, "keep_int"),  # cannot cast float64 -> int64
        (lambda: f(x, out=[0.0, 0.0, 0.0]), TypeError, None),
        (lambda: f(x, np.empty(3), out=keep), TypeError, "keep"),  # out twice
        (lambda: f(x, out=keep, foo=1), TypeError, "keep"),
        (lambda: fu(x, x, out=keep), TypeError, "keep"),  # fused: out must be a pair
        (lambda: fu(x, x, out=(keep,)), ValueError, "keep"),
        (lambda: fu(x, x, out=(keep, np.full(2, 7.0))), ValueError, "keep"),
        (lambda: fu(x, x, out=(keep, np.full(3, 7, np.int32))), TypeError, "keep"),
        (lambda: fu(x, x, out=(keep, ro)), ValueError, "keep"),
        (lambda: fu(np.ones(3, np.float32), np.ones(3, np.float32),
                    out=(keep, keep32), casting="no"), TypeError, "keep"),
        (lambda: f(np.ones(3, np.int8), out=keep, casting="no"), TypeError, "keep"),
        (lambda: f(), TypeError, None), (lambda: f(x, x, x), TypeError, None),
    ]
    for call, exc, name in cases:
        keep[...] = 7.0
        keep_int = np.full(3, 7, np.int64)  # noqa: F841 (used by a lambda)
        keep32 = np.full(3, 7.0, np.float32)  # noqa: F841
        with pytest.raises(exc):
            call()
        assert (keep == 7.0).all() and (ro == 7.0).all()


# ---- floating-point flags --------------------------------------------------------------------

def _tiny(r, dtype):
    r = np.asarray(r, dtype=np.float64)
    return (r != 0) & (np.abs(r) < np.finfo(dtype).smallest_normal)


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_no_floating_point_warnings(name, dtype):
    """No warning for any special value, with every error made fatal; underflow
    only where the result itself is subnormal."""
    with np.errstate(all="ignore"):
        x = special_values(dtype)
    for mode in MODES:
        f, fu, b = fb(name, "forward", mode), fb(name, "fused", mode), fb(name, "backward")
        for v in x:
            xv = np.array([v], dtype)
            with np.errstate(all="ignore"):
                y, (yg, gx) = f(xv), fu(xv, np.ones_like(xv))
            subnormal = bool(_tiny(y, dtype).any() or _tiny(gx, dtype).any())
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with np.errstate(all="raise", under="ignore" if subnormal else "raise"):
                    f(xv)
                    fu(xv, np.ones_like(xv))
                    fu(xv, np.full_like(xv, 0.5))
                    b(np.ones_like(xv), y)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise", under="ignore"):
                f(x)
                fu(x, np.full_like(x, -3.0))
