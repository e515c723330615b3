"""Every element-wise activation of the registry, forward, backward and fused,
against the independent references of tests/family_reference.py, on every
ISA this CPU runs and on the fallback (the `isa` fixture).

Tolerances are the registry's measured bounds (fastact._registry), the only
source of test tolerances; the finite-difference check has its own, stated
where it is used. sigmoid and tanh are also held to their bounds over far
larger sweeps in test_accuracy.py.
"""
import functools
import hashlib
import math

import numpy as np
import pytest

import fastact
import reference as R
from conftest import bound
from family_reference import REFS
from fastact._registry import ACTIVATIONS, ELEMENTWISE, MODES

ROWS = tuple(n for n in ELEMENTWISE)


def test_every_row_has_a_reference():
    assert set(REFS) >= set(ROWS), f"no reference for {sorted(set(ROWS) - set(REFS))}"


def _call(name, op, mode, *args, **kw):
    return fastact._impl.get_ufunc(name, op, mode)(*args, **kw)


@functools.lru_cache(maxsize=None)
def inputs(name, dtype):
    """Random values where the activations bend, wide log-spaced magnitudes from
    the subnormals to the largest finite float, the registry's probes and kinks
    with their neighbours; both signs; finite."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(7)
    fi = np.finfo(dtype)
    lo = math.log2(float(fi.smallest_subnormal))
    hi = math.log2(float(fi.max))
    n = 40_000
    mags = np.concatenate([np.abs(rng.standard_normal(n)) * 3, rng.uniform(0, 30, n),
                           rng.uniform(0, 120, n // 4), np.exp2(rng.uniform(lo, hi, n))])
    x = (mags * rng.choice([-1.0, 1.0], mags.size)).astype(dtype)
    act = ACTIVATIONS[name]
    points = [p for p in act.probes] + [-p for p in act.probes] + list(REFS[name].kink_points)
    x = np.concatenate([x, R.neighbours(points, dtype), np.array([0.0, -0.0], dtype)])
    return x[np.isfinite(x)]


def _wide(x):
    return x.astype(R.wide_type(x.dtype))


def _params(name, ps, dtype):
    return tuple(dtype.type(p) for p in ps)


_REF_CACHE = {}


def _ref(fn, x, ps):
    """fn in the wide type; results beyond the largest float of x's dtype (that
    round to inf there) become inf, the correctly rounded result. Remembered per
    (fn, x, parameters), read-only: the same reference serves every ISA and mode
    (gelu_tanh's evaluates thousands of points in mpmath, about 6 s a call)."""
    key = (fn, x.dtype.str, hashlib.sha256(x.tobytes()).digest(), tuple(float(p) for p in ps))
    if key not in _REF_CACHE:
        r = _ref_uncached(fn, x, ps)
        r.setflags(write=False)
        _REF_CACHE[key] = r
    return _REF_CACHE[key]


@pytest.fixture(scope="module", autouse=True)
def _forget_references():
    """the cache holds a few hundred MB by the end of this module: not beyond it"""
    yield
    _REF_CACHE.clear()


def _ref_uncached(fn, x, ps):
    with np.errstate(all="ignore"):
        r = np.asarray(fn(_wide(x), *[_wide(np.asarray(p, x.dtype)) for p in ps]))
        fi = np.finfo(x.dtype)
        top = r.dtype.type(fi.max) * (1 + r.dtype.type(fi.eps) / 4)  # max + half an ulp
        return np.where(np.abs(r) >= top, np.copysign(np.inf, r), r)


PARAM_CASES = [(n, i) for n in ROWS for i in range(len(REFS.get(n, REFS["relu"]).params))]


@pytest.mark.parametrize("name,case", PARAM_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_and_fused_against_reference(name, case, dtype, isa, mode):
    ref = REFS[name]
    dtype = np.dtype(dtype)
    if dtype == np.float64 and not ref.wide64:
        pytest.skip("covered by test_float64_against_mpmath (no long double formula)")
    if dtype == np.float64 and not R.LONGDOUBLE_IS_WIDE:
        pytest.skip("np.longdouble is not wider than float64 here")
    x = inputs(name, dtype)
    ps = _params(name, ref.params[case], dtype)
    with np.errstate(over="ignore"):  # results beyond the float range are inf, flagged
        y = _call(name, "forward", mode, x, *ps)
        y2, gx = _call(name, "fused", mode, x, np.ones_like(x), *ps)
    yref = _ref(ref.forward, x, ps)
    what = f"{name}{ps} {mode} {dtype} on {isa or 'fallback'}"
    R.check_bound(x, y, yref, bound(name, "forward", mode, dtype), dtype, what)
    np.testing.assert_array_equal(y2, y, err_msg=f"{what}: fused y differs from the forward")
    gref = _ref(ref.grad, x, ps)
    R.check_bound(x, gx, gref, bound(name, "fused", mode, dtype), dtype, what + " gradient")


@pytest.mark.parametrize("name", [n for n in ROWS if ACTIVATIONS[n].backward_from == "input"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backward_is_the_fused_gradient(name, dtype, isa):
    """<name>_backward(g, x) computes exactly the fused pass's gradient."""
    dtype = np.dtype(dtype)
    x = inputs(name, dtype)
    g = np.random.default_rng(1).standard_normal(x.size).astype(dtype)
    for ps in REFS[name].params:
        ps = _params(name, ps, dtype)
        with np.errstate(over="ignore"):
            gx = _call(name, "backward", "accurate", g, x, *ps)
            _, gf = _call(name, "fused", "accurate", x, g, *ps)
        np.testing.assert_array_equal(gx, gf, err_msg=f"{name}{ps} {dtype}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_celu_backward_with_negative_alpha(dtype, isa):
    """celu's backward computes expm1 only where a lane's alpha is negative
    (csrc/act/exp_family-inl.h): with alpha < 0, and with per-element alphas of
    both signs side by side, it must still be the fused gradient bit for bit,
    and e^(x/alpha) (x <= 0, so x/alpha >= 0) to a few ulp of float64."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(5)
    x = np.concatenate([-np.abs(rng.standard_normal(3000)) * 4, rng.uniform(-40, 0, 1000),
                        [0.0, -0.0, 1.0]]).astype(dtype)
    g = rng.standard_normal(x.size).astype(dtype)
    mixed = rng.choice([-0.5, 1.0, -2.0, 0.3], x.size).astype(dtype)
    for alpha in (dtype.type(-0.5), dtype.type(-3.0), mixed):
        with np.errstate(over="ignore"):
            gx = _call("celu", "backward", "accurate", g, x, alpha)
            _, gf = _call("celu", "fused", "accurate", x, g, alpha)
        np.testing.assert_array_equal(gx, gf, err_msg=f"alpha {alpha} {dtype}")
    with np.errstate(over="ignore"):
        d = _call("celu", "backward", "accurate", np.ones_like(x), x, dtype.type(-0.5))
        want = np.where(x > 0, 1.0, np.exp(x.astype(np.float64) / -0.5))
    finite = np.isfinite(want) & (np.abs(want) < np.finfo(dtype).max)
    # 4 ulp: x/alpha is carried as a pair and e^u's pair is rounded once (the
    # registry's celu bound is 1-2 ulp; this checks the branch, not the bound)
    np.testing.assert_allclose(d[finite], want[finite], rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("name", ROWS)
def test_finite_differences(name, isa):
    """The fused gradient agrees with a central difference of the float64
    forward. With h = 2^-20, the difference's truncation error is about
    h^2 |f'''| / 6 and its rounding error about 2 eps |f| / h: both below 1e-9
    relative for these smooth functions on |x| <= 30 (gelu's Gaussian tail has
    |f''' / f'| ~ x^2, which h = 2^-20 max(1, |x|) would not keep small), so 1e-7 relative
    (plus the rounding noise, absolute, for f' near 0) is ample. Accurate mode
    only: a fast forward's 1e-7-class error divided by h swamps the difference
    (the fast gradients are checked against the reference instead)."""
    mode = "accurate"
    ref = REFS[name]
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal(3000) * 3, rng.uniform(-30, 30, 1000)])
    for k in ref.kink_points:
        x = x[np.abs(x - k) > 1e-3]
    h = np.full_like(x, 2.0**-20)
    for ps in ref.params:
        up = _call(name, "forward", mode, x + h, *ps)
        dn = _call(name, "forward", mode, x - h, *ps)
        fd = (up - dn) / ((x + h) - (x - h))
        _, gx = _call(name, "fused", mode, x, np.ones_like(x), *ps)
        # the difference's rounding error, a few eps |f| / h, is the absolute slack
        # (plus the subnormal spacing / h where the forward values are subnormal)
        fi = np.finfo(np.float64)
        noise = (4 * fi.eps * (np.abs(up) + np.abs(dn)) + 2 * fi.smallest_subnormal) / (2 * h)
        err = np.abs(fd - gx) - 1e-7 * np.abs(gx) - noise
        assert err.max() <= 0, f"{name}{ps} {mode}: {R.worst(x, err, gx, fd, 'excess')}"


@pytest.mark.parametrize("name", [n for n in ROWS if REFS[n].kinks])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_values_at_the_kinks(name, dtype, isa, mode):
    """f and f' at the kinks are torch's (registry `kinks` text), exactly,
    the sign of a zero result included."""
    dtype = np.dtype(dtype)
    for x0, ps, y0, d0 in REFS[name].kinks:
        x = np.array([x0], dtype)
        ps = _params(name, ps, dtype)
        y, gx = _call(name, "fused", mode, x, np.ones_like(x), *ps)
        # a zero result has torch's sign (relu(-0.0) = +0.0, relu6(-0.0) = -0.0)
        assert y0 != 0 or np.signbit(y[0]) == np.signbit(y0), f"{name}({x0}) = {y[0]}, not {y0}"
        assert y[0] == dtype.type(y0), f"{name}({x0}, {ps}) = {y[0]}, expected {y0}"
        assert gx[0] == dtype.type(d0), f"{name}'({x0}, {ps}) = {gx[0]}, expected {d0}"
        assert _call(name, "backward", "accurate", np.ones_like(x), x, *ps)[0] == dtype.type(d0) \
            or ACTIVATIONS[name].backward_from == "output"


@pytest.mark.parametrize("name", ROWS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_values(name, dtype, isa, mode):
    """+-0, +-inf, subnormals and the largest floats give the reference's value
    (limits included) within the bound; NaN gives NaN in both outputs."""
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    x = np.array([0.0, -0.0, np.inf, -np.inf, fi.smallest_subnormal, -fi.smallest_subnormal,
                  fi.smallest_normal, -fi.smallest_normal, fi.max, -fi.max], dtype)
    ref = REFS[name]
    for ps in ref.params:
        ps = _params(name, ps, dtype)
        with np.errstate(over="ignore"):
            y, gx = _call(name, "fused", mode, x, np.ones_like(x), *ps)
        what = f"{name}{ps} {mode} {dtype} special values"
        if dtype == np.float64 and not ref.wide64:
            yref = np.array([float(ref.mp_forward(float(v), *ps)) for v in x])
            gref = np.array([float(ref.mp_grad(float(v), *ps)) for v in x])
        else:
            yref, gref = _ref(ref.forward, x, ps), _ref(ref.grad, x, ps)
        R.check_bound(x, y, yref, bound(name, "forward", mode, dtype), dtype, what)
        R.check_bound(x, gx, gref, bound(name, "fused", mode, dtype), dtype, what + " gradient")
        n = np.array([np.nan, -np.nan], dtype)
        yn, gn = _call(name, "fused", mode, n, np.ones_like(n), *ps)
        assert np.isnan(yn).all() and np.isnan(gn).all(), what


@pytest.mark.parametrize("name", ROWS)
def test_no_floating_point_warnings_where_the_result_is_finite(name, isa, mode):
    """Finite x whose reference result is finite gives finite results and
    raises no flag (np.errstate(all="raise")), at any magnitude."""
    ref = REFS[name]
    for dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        x = inputs(name, dtype)
        for ps in ref.params:
            ps = _params(name, ps, dtype)
            if dtype == np.float64 and not ref.wide64:
                keep = np.abs(x) < 1e300  # the mpmath formulas are not evaluated here
            else:
                keep = np.isfinite(_ref(ref.forward, x, ps)) & np.isfinite(_ref(ref.grad, x, ps))
            xs = x[keep]
            with np.errstate(all="raise"):
                y, gx = _call(name, "fused", mode, xs, np.ones_like(xs), *ps)
                y1 = _call(name, "forward", mode, xs, *ps)
            assert np.isfinite(y).all() and np.isfinite(gx).all() and np.isfinite(y1).all(), \
                f"{name}{ps} {mode} {dtype}: {R.worst(xs, ~np.isfinite(y) | ~np.isfinite(gx))}"


@pytest.mark.parametrize("name", [n for n in ROWS if ACTIVATIONS[n].params])
def test_parameter_arrays_match_scalars(name, isa, mode):
    """Parameters given per element (the kernels that load them per lane) give
    what one call per parameter value gives; broadcasting works both ways."""
    ref = REFS[name]
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(1031) * 4).astype(np.float32)   # not a multiple of any width
    sets = ref.params
    idx = rng.integers(0, len(sets), x.size)
    arrays = [np.array([sets[i][k] for i in idx], np.float32) for k in range(len(sets[0]))]
    y, gx = _call(name, "fused", mode, x, np.ones_like(x), *arrays)
    for i, ps in enumerate(sets):
        m = idx == i
        ys, gs = _call(name, "fused", mode, x[m], np.ones_like(x[m]), *[np.float32(p) for p in ps])
        np.testing.assert_array_equal(y[m], ys)
        np.testing.assert_array_equal(gx[m], gs)
    # a column of parameter values broadcast along rows (prelu's channels)
    x2 = x[:1030].reshape(10, 103)
    col = np.array([sets[i % len(sets)][0] for i in range(10)], np.float32)[:, None]
    rest = [np.float32(v) for v in sets[0][1:]]
    y2 = _call(name, "forward", mode, x2, col, *rest)
    for r in range(10):
        np.testing.assert_array_equal(y2[r], _call(name, "forward", mode, x2[r], col[r, 0], *rest))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_unit_beta_kernels_match_the_general_path(dtype, isa, mode):
    """softplus with a broadcast beta = 1 (torch's default) runs kernels of its
    own (csrc/kernels-inl.h, specialised kernels: no beta x, no division); a
    per-element beta always takes the general path. Both must give the same
    bits, at the special values and the thresholds too (the fallback: the
    same property, of its one path)."""
    x = inputs("softplus", dtype)
    x = np.concatenate([x, -x, np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 20.0, -40.0,
                                          np.nextafter(20.0, 30.0)], dtype)])
    g = np.linspace(-2, 2, x.size).astype(dtype)
    for threshold in (20.0, 1.0, -5.0):
        t = np.asarray(threshold, dtype)
        one, ones = np.asarray(1.0, dtype), np.ones_like(x)
        y_u, gx_u = _call("softplus", "fused", mode, x, g, one, t)
        y_a, gx_a = _call("softplus", "fused", mode, x, g, ones, t)
        np.testing.assert_array_equal(y_u, y_a)
        np.testing.assert_array_equal(gx_u, gx_a)
        np.testing.assert_array_equal(_call("softplus", "forward", mode, x, one, t),
                                      _call("softplus", "forward", mode, x, ones, t))
        np.testing.assert_array_equal(_call("softplus", "backward", mode, g, x, one, t),
                                      _call("softplus", "backward", mode, g, x, ones, t))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hardtanh_nan_bounds(dtype, isa):
    """A NaN bound gives a NaN result and gradient (torch's too) in exactly the
    lanes it reaches, broadcast or per element, without a flag; a NaN x gives
    its own NaN. The kernels handle a NaN bound apart from the clamp (min/max
    would raise invalid on it), in one select for both bounds."""
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(37) * 2).astype(dtype)
    x[5] = np.nan
    g = np.ones_like(x)
    nan = np.array(np.nan, dtype)
    with np.errstate(all="raise"):
        for lo, hi in ((nan, 1.0), (-1.0, nan), (nan, nan)):
            y, gx = fastact.hardtanh_fwd_bwd(x, g, lo, hi)
            assert np.isnan(y).all() and np.isnan(gx).all(), (lo, hi)
            assert np.isnan(fastact.hardtanh_backward(g, x, lo, hi)).all()
        lo = np.full_like(x, -1.0)
        hi = np.full_like(x, 0.5)
        lo[::3] = np.nan
        hi[1::4] = np.nan
        y, gx = fastact.hardtanh_fwd_bwd(x, g, lo, hi)
    hit = np.isnan(lo) | np.isnan(hi) | np.isnan(x)
    np.testing.assert_array_equal(np.isnan(y), hit)
    np.testing.assert_array_equal(np.isnan(gx), hit)
    ys, gs = fastact.hardtanh_fwd_bwd(x[~hit], g[~hit], -1.0, 0.5)
    np.testing.assert_array_equal(y[~hit], ys)
    np.testing.assert_array_equal(gx[~hit], gs)


@pytest.mark.parametrize("name", ROWS)
def test_float16_goes_through_float32(name, isa, mode):
    """float16 in, float16 out: within the float32 bound plus one float16
    rounding (0.5 ulp of float16, and a double rounding of at most 2^-13
    relative more) of the float64 reference."""
    x = np.concatenate([np.linspace(-20, 20, 4001), [0.0, -0.0]]).astype(np.float16)
    ref = REFS[name]
    for ps in ref.params:
        y = _call(name, "forward", mode, x, *ps)
        assert y.dtype == np.float16
        # the float16 loop takes the parameters as float16 too
        yref = _ref(ref.forward, x.astype(np.float32), [np.float32(np.float16(p)) for p in ps])
        err = R.ulp_error(y, yref, np.float16)
        b = bound(name, "forward", mode, np.float32)
        slack = 0.5 + 0.01 + (b.ulp or 0) * 2.0**-13 + (b.rel or 0) * 2**11 + (b.abs or 0) * 2**24
        assert err.max() <= slack, f"{name}{ps} {mode}: {R.worst(x, err, y, yref, 'ulp')}"


def _mp_samples():
    rng = np.random.default_rng(11)
    return np.concatenate([rng.standard_normal(600) * 3, rng.uniform(-40, 40, 300),
                           np.exp2(rng.uniform(-60, 9, 100)) * rng.choice([-1, 1], 100)])


@pytest.mark.parametrize("name", [n for n in ROWS if not REFS[n].wide64])
def test_float64_against_mpmath(name, isa, mode):
    """float64 results of rows without a long double reference formula, against
    mpmath at 160 bits on 1000 samples."""
    pytest.importorskip("mpmath")
    ref = REFS[name]
    x = _mp_samples()
    for ps in ref.params:
        y, gx = _call(name, "fused", mode, x, np.ones_like(x), *ps)
        yref = np.array([ref.mp_forward(v, *ps) for v in x], dtype=object)
        gref = np.array([ref.mp_grad(v, *ps) for v in x], dtype=object)
        for got, exact, op in ((y, yref, "forward"), (gx, gref, "fused")):
            b = bound(name, op, mode, np.float64)
            ulp = np.array([R.mp_ulp_error(g, e, np.float64) for g, e in zip(got, exact)])
            # relative error where the exact result is a normal float (the Bound's meaning)
            tiny = np.finfo(np.float64).tiny
            rel = np.array([float(abs((R._mp().mpf(float(g)) - e) / e)) if abs(e) >= tiny else 0.0
                            for g, e in zip(got, exact)])
            if b.ulp is not None:
                assert ulp.max() <= b.ulp, f"{name}{ps} {mode} {op}: {R.worst(x, ulp, got)}"
            if b.rel is not None:
                assert rel.max() <= b.rel, f"{name}{ps} {mode} {op}: {R.worst(x, rel, got)}"


@pytest.mark.parametrize("name", ROWS)
def test_float16_infinities_raise_no_flag(name, isa):
    """inf in a float16 array (x or grad_output) goes through the float32
    widening and the rounding back without an overflow flag (a regression: the
    narrowing once flagged every infinity as an overflow)."""
    x = np.array([np.inf, -np.inf, 1.0, -1.0], np.float16)
    g = np.array([1.0, 1.0, np.inf, -np.inf], np.float16)
    ps = REFS[name].params[0]
    with np.errstate(all="raise"):
        y, gx = _call(name, "fused", "accurate", x, g, *ps)
    assert y.dtype == gx.dtype == np.float16
