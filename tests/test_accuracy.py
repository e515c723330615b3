"""Accuracy of the compiled kernels against wide references, per ISA and mode.

float32: a strided sweep of bit patterns (every 251st of the 2^32, about 1.7e7
finite values, every binade of both signs) against float64 math. float64:
random samples over all magnitudes against long double, plus mpmath spot checks
that also validate the references. Tolerances are the registry's measured
bounds; every failure message names the worst input and its error.
"""
import functools
import math

import numpy as np
import pytest

import reference as R
from conftest import NAMES, SUPPORTED_ISAS, backward, bound, compiled_only, fwd_bwd, forward, \
    needs_compiled, using_isa

pytestmark = [needs_compiled, compiled_only(
    "the compiled kernels' accuracy per ISA against the registry's bounds (float16 checked as"
    " the float32 result rounded once); the fallback's accuracy, held to 0.5-0.6 ulp, is"
    " tested in test_fallback.py")]

# the exponential inside each derivative: e^-|x| (sigmoid), e^-2|x| (tanh)
EXP_SCALE = {"sigmoid": 1.0, "tanh": 2.0}


def exp_subnormal_from(name, dtype):
    """|x| above which the exponential inside name'(x) is subnormal in `dtype`."""
    return -math.log(float(np.finfo(dtype).smallest_normal)) / EXP_SCALE[name]


# ---- cached inputs and references ----------------------------------------------

def _frozen(a):
    a.setflags(write=False)
    return a


@functools.lru_cache(maxsize=None)
def sweep32():
    return _frozen(R.float32_sweep())


@functools.lru_cache(maxsize=None)
def ref32(name, kind):
    """(reference, 1/ulp of the reference, reference is a normal float32) over the
    sweep; kind is "forward" or "grad"."""
    fn = R.FORWARD[name] if kind == "forward" else R.GRAD[name]
    ref = fn(sweep32())
    return (_frozen(ref), _frozen(1 / R.ulp_of(ref, np.float32)),
            _frozen(R.is_normal_result(ref, np.float32)))


@functools.lru_cache(maxsize=None)
def region32(name, region):
    """Indices of the sweep in a region of the derivative: "normal_exp" (the
    exponential inside it is a normal float32: includes the tails where y (1 - y)
    and 1 - y^2 would cancel) or "subnormal_exp" (the far tails)."""
    inside = np.abs(sweep32()) < exp_subnormal_from(name, np.float32)
    return _frozen(np.flatnonzero(inside if region == "normal_exp" else ~inside))


F64_N = 120_000


@functools.lru_cache(maxsize=None)
def samples64():
    return _frozen(R.float64_samples(F64_N, seed=2024))


@functools.lru_cache(maxsize=None)
def ref64(name, kind):
    fn = R.FORWARD[name] if kind == "forward" else R.GRAD[name]
    return _frozen(fn(samples64()))


@pytest.fixture(scope="module", autouse=True)
def _free_caches():
    yield
    for f in (sweep32, ref32, region32, samples64, ref64):
        f.cache_clear()


needs_longdouble = pytest.mark.skipif(
    not R.LONGDOUBLE_IS_WIDE, reason="np.longdouble is not wider than float64 here")


# ---- float32 forward -------------------------------------------------------------

def test_sweep_covers_every_binade():
    x = sweep32()
    assert x.size >= 2**24
    exps = np.unique(np.frexp(np.abs(x[x != 0]))[1])
    assert exps.size == 254 + 23  # every normal and every subnormal binade
    assert (x < 0).any() and (x > 0).any()


@pytest.mark.parametrize("name", NAMES)
def test_forward_float32_sweep(name, isa, mode):
    x = sweep32()
    ref, inv_ulp, normal = ref32(name, "forward")
    y = forward(name)(x, mode=mode)
    assert y.dtype == np.float32
    b = bound(name, "forward", mode, np.float32)
    if mode == "accurate":
        assert b.ulp is not None, "accurate mode must have an ulp bound"
    R.check_bound(x, y, ref, b, np.float32, f"{name} {mode} on {isa}", inv_ulp, normal)


@pytest.mark.parametrize("name", NAMES)
def test_fused_output_equals_forward(name, isa, mode):
    """The y of fwd_bwd is bit-identical to the forward of the same mode."""
    x = sweep32()
    y, _ = fwd_bwd(name)(x, np.ones_like(x), mode=mode)
    y_fwd = forward(name)(x, mode=mode)
    same = (y.view(np.uint32) == y_fwd.view(np.uint32))
    assert same.all(), (f"{name}_fwd_bwd {mode} on {isa}: y differs from {name} at "
                        f"x = {x[~same][:5]!r}: {y[~same][:5]!r} vs {y_fwd[~same][:5]!r}")


# ---- float32 fused gradient --------------------------------------------------------

def _fused_region_params():
    out = []
    for name in NAMES:
        for region in ("normal_exp", "subnormal_exp"):
            out.append(pytest.param(name, region, id=f"{name}-{region}"))
    return out


@pytest.mark.parametrize("name,region", _fused_region_params())
def test_fused_gradient_float32_sweep(name, region, isa):
    """grad_output = 1: grad_input against name'(x) computed from x, accurate mode,
    within the registry's ulp bound, subnormal gradients included."""
    idx = region32(name, region)
    x = sweep32()[idx]
    ref, inv_ulp, _ = ref32(name, "grad")
    ref, inv_ulp = ref[idx], inv_ulp[idx]
    _, g = fwd_bwd(name)(x, np.ones_like(x), mode="accurate")
    b = bound(name, "fused", "accurate", np.float32)
    assert b.ulp is not None
    R.check_bound(x, g, ref, b, np.float32, f"{name}_fwd_bwd accurate on {isa}", inv_ulp)


def _with_bound(op, mode, dtype):
    """The activations whose registry entry gives a figure to check (some fast
    gradients only describe their error in words)."""
    return [n for n in NAMES if R.has_figure(bound(n, op, mode, dtype))]


@pytest.mark.parametrize("name", _with_bound("fused", "fast", np.float32))
def test_fused_gradient_fast_float32_sweep(name, isa):
    """Fast mode gradient within the registry's bounds (relative or absolute)."""
    b = bound(name, "fused", "fast", np.float32)
    x = sweep32()
    ref, inv_ulp, normal = ref32(name, "grad")
    _, g = fwd_bwd(name)(x, np.ones_like(x), mode="fast")
    R.check_bound(x, g, ref, b, np.float32, f"{name}_fwd_bwd fast on {isa}", inv_ulp, normal)


def _random_grad_output(n, dtype, seed):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(n) * np.exp2(rng.integers(-8, 9, n))
    return g.astype(dtype)


@pytest.mark.parametrize("region", ["normal_exp", "subnormal_exp"])
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_gradient_random_grad_output(dtype, name, region):
    """Random grad_output: grad_input against grad_output * name'(x) (exact product
    in the wide type), accurate mode, on every ISA; where name'(x) is subnormal,
    beyond the rounding of the derivative to the subnormal grid."""
    if dtype == "float32":
        x = sweep32()[region32(name, region)][::4]
        ref_d = R.GRAD[name](x)
    else:
        if not R.LONGDOUBLE_IS_WIDE:
            pytest.skip("np.longdouble is not wider than float64 here")
        x = samples64()
        inside = np.abs(x) < exp_subnormal_from(name, np.float64)
        x = x[inside if region == "normal_exp" else ~inside]
        ref_d = R.GRAD[name](x)
    g = _random_grad_output(x.size, dtype, seed=7)
    ref = ref_d * g.astype(ref_d.dtype)
    b = bound(name, "fused", "accurate", dtype)
    # Where name'(x) itself is subnormal the registry's contract is that it is
    # rounded to the subnormal grid (error up to b.ulp subnormal steps) before the
    # product with grad_output: the allowed error there is |grad_output| times
    # that, plus the product's own rounding, expressed in ulps of the result.
    tiny = float(np.finfo(dtype).smallest_subnormal)
    slack = np.abs(g.astype(ref_d.dtype)) * tiny * b.ulp if region == "subnormal_exp" else 0
    for isa in SUPPORTED_ISAS:
        with using_isa(isa):
            _, gx = fwd_bwd(name)(x, g, mode="accurate")
        excess = np.maximum(np.abs(gx.astype(ref_d.dtype) - ref) - slack, 0)
        err = R.ulp_error(ref + np.sign(gx.astype(ref_d.dtype) - ref) * excess, ref, dtype)
        i = int(np.argmax(err))
        assert err[i] <= b.ulp, (
            f"{name}_fwd_bwd accurate {dtype} on {isa}: {err[i]:.4g} ulp > bound {b.ulp} at "
            f"x = {x[i]!r}, grad_output = {g[i]!r}: got {gx[i]!r}, reference {ref[i]!r}")


# ---- float64 ----------------------------------------------------------------------

@needs_longdouble
def test_float64_samples_cover_magnitudes():
    x = samples64()
    assert x.size >= 10**5
    mags = np.frexp(np.abs(x))[1]
    assert mags.min() < -1000 and mags.max() > 1000
    assert (np.abs(x) > 745).any() and ((np.abs(x) > 1) & (np.abs(x) < 40)).sum() > 10**4


@needs_longdouble
@pytest.mark.parametrize("name", NAMES)
def test_forward_float64(name, isa, mode):
    x = samples64()
    y = forward(name)(x, mode=mode)
    assert y.dtype == np.float64
    R.check_bound(x, y, ref64(name, "forward"), bound(name, "forward", mode, np.float64),
                np.float64, f"{name} {mode} float64 on {isa}")


@needs_longdouble
@pytest.mark.parametrize("name,region", _fused_region_params())
def test_fused_gradient_float64(name, region, isa):
    x = samples64()
    inside = np.abs(x) < exp_subnormal_from(name, np.float64)
    sel = inside if region == "normal_exp" else ~inside
    if region == "subnormal_exp":
        # the samples are sparse there: add a dense walk through the transition
        lo = exp_subnormal_from(name, np.float64)
        dense = np.linspace(lo, lo + 40 / EXP_SCALE[name], 40_001)
        xs = np.concatenate([x[sel], dense, -dense])
    else:
        xs = x[sel]
    ref = R.GRAD[name](xs)
    y, g = fwd_bwd(name)(xs, np.ones_like(xs), mode="accurate")
    R.check_bound(xs, g, ref, bound(name, "fused", "accurate", np.float64), np.float64,
                f"{name}_fwd_bwd accurate float64 on {isa}")
    same = y.view(np.uint64) == forward(name)(xs).view(np.uint64)
    assert same.all(), f"fused y differs from forward at x = {xs[~same][:5]!r}"


@needs_longdouble
@pytest.mark.parametrize("name", _with_bound("fused", "fast", np.float64))
def test_fused_gradient_fast_float64(name, isa):
    b = bound(name, "fused", "fast", np.float64)
    x = samples64()
    _, g = fwd_bwd(name)(x, np.ones_like(x), mode="fast")
    R.check_bound(x, g, ref64(name, "grad"), b, np.float64,
                  f"{name}_fwd_bwd fast float64 on {isa}")


# ---- mpmath spot checks ------------------------------------------------------------

MP_POINTS = 150  # per activation


@functools.lru_cache(maxsize=None)
def mp_points(name):
    """float64 points and mpmath values of name and name' there (160-bit mpmath)."""
    pytest.importorskip("mpmath")
    rng = np.random.default_rng(99)
    probes = _probe_points(name)
    k = MP_POINTS - probes.size
    x = np.concatenate([np.exp2(rng.uniform(-30, 9.5, k)) * rng.choice([-1.0, 1.0], k), probes])
    fwd = [R.mp_forward(name, v) for v in x]
    grad = [R.mp_grad(name, v) for v in x]
    return x, fwd, grad


def _probe_points(name):
    from fastact._registry import ACTIVATIONS
    p = np.array(ACTIVATIONS[name].probes, dtype=np.float64)
    return np.concatenate([p, -p, np.nextafter(p, np.inf), np.nextafter(p, -np.inf)])


@needs_longdouble
@pytest.mark.parametrize("name", NAMES)
def test_references_agree_with_mpmath(name):
    """The references themselves: long double (for float64 results) and float64
    math (for float32 results) within a few ulps of their own type of mpmath
    (plus the wide type's own subnormal spacing, for results that tiny)."""
    x, fwd, grad = mp_points(name)
    exact64 = {"forward": fwd, "grad": grad}
    mp_fn = {"forward": R.mp_forward, "grad": R.mp_grad}
    ref_fn = {"forward": R.FORWARD[name], "grad": R.GRAD[name]}
    for kind in ("forward", "grad"):
        for dtype in (np.float64, np.float32):
            xs = x.astype(dtype)
            exact = exact64[kind] if dtype == np.float64 else [mp_fn[kind](name, v) for v in xs]
            ref = ref_fn[kind](xs)
            assert ref.dtype == R.wide_type(dtype)
            info = np.finfo(ref.dtype)
            for v, r, e in zip(xs, ref, exact):
                err = abs(_mpf_exact(r) - e)
                tol = 16 * float(info.eps) * abs(e) + _mpf_exact(info.smallest_subnormal)
                assert err <= tol, (f"{name} {kind} reference for {np.dtype(dtype).name} at "
                                    f"x = {v!r}: {r!r} vs mpmath {e}, error {float(err):.3g} > "
                                    f"{float(tol):.3g}")


def _mpf_exact(r):
    """A float64 or long double as an mpf, exactly: its mantissa scaled to an
    integer (64 bits hold any long double mantissa) and its exponent."""
    mp = R._mp()
    m, e = np.frexp(np.longdouble(r))
    return mp.ldexp(int(np.ldexp(m, 64)), int(e) - 64)


@pytest.mark.parametrize("name", NAMES)
def test_float64_against_mpmath(name, isa):
    """Library float64 results against mpmath directly (no wide-type reference)."""
    x, fwd, grad = mp_points(name)
    y = forward(name)(x)
    yy, g = fwd_bwd(name)(x, np.ones_like(x))
    b_fwd = bound(name, "forward", "accurate", np.float64)
    b_grad = bound(name, "fused", "accurate", np.float64)
    limit = exp_subnormal_from(name, np.float64)
    for i, v in enumerate(x):
        e = R.mp_ulp_error(y[i], fwd[i], np.float64)
        assert e <= b_fwd.ulp, (f"{name}({v!r}) on {isa}: got {y[i]!r}, mpmath {fwd[i]}, "
                                f"{e:.4g} ulp > {b_fwd.ulp}")
        if abs(v) < limit:
            e = R.mp_ulp_error(g[i], grad[i], np.float64)
            assert e <= b_grad.ulp, (f"{name}'({v!r}) on {isa}: got {g[i]!r}, mpmath {grad[i]}, "
                                     f"{e:.4g} ulp > {b_grad.ulp}")


# ---- backward: no rounding freedom ---------------------------------------------------

def backward_formula(name, g, y):
    """The documented operation order, evaluated by numpy in the arrays' dtype."""
    if name == "sigmoid":
        return (g * (1 - y)) * y
    return g * (1 - y * y)


@functools.lru_cache(maxsize=None)
def backward_inputs(name, dtype, g_exp=30):
    """(grad_output, output) pairs: outputs as the forward produces them, uniform
    ones over the range and its ends; grad_output over 2^+-g_exp."""
    rng = np.random.default_rng(5)
    n = 200_003
    lo, hi = R.RANGE[name]
    x = (rng.standard_normal(n) * np.exp2(rng.integers(-20, 7, n))).astype(dtype)
    y = np.concatenate([forward(name)(x), rng.uniform(lo, hi, n).astype(dtype),
                        np.array([lo, hi, 0, -0.0, 0.5], dtype)])
    g = rng.standard_normal(y.size) * np.exp2(rng.integers(-g_exp, g_exp + 1, y.size))
    return _frozen(g.astype(dtype)), _frozen(y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_backward_is_the_formula_bit_for_bit(name, dtype, isa):
    g, y = backward_inputs(name, dtype)
    with np.errstate(under="ignore"):
        expected = backward_formula(name, g, y)
        got = backward(name)(g, y)
    assert got.dtype == dtype
    bits = np.uint32 if dtype == np.float32 else np.uint64
    diff = got.view(bits) != expected.view(bits)
    assert not diff.any(), (
        f"{name}_backward {np.dtype(dtype).name} on {isa}: {diff.sum()} elements differ from "
        f"the formula, first at grad_output = {g[diff][0]!r}, output = {y[diff][0]!r}: "
        f"got {got[diff][0]!r}, formula {expected[diff][0]!r}")


@pytest.mark.parametrize("name", NAMES)
def test_backward_float16_is_the_float32_formula_rounded_once(name, isa):
    g32, y32 = backward_inputs(name, np.float32, g_exp=10)
    g = g32.astype(np.float16)
    y = y32.astype(np.float16)
    with np.errstate(under="ignore"):
        expected = backward_formula(name, g.astype(np.float32), y.astype(np.float32))
        expected = expected.astype(np.float16)
        got = backward(name)(g, y)
    assert got.dtype == np.float16
    diff = got.view(np.uint16) != expected.view(np.uint16)
    diff &= ~(np.isnan(got) & np.isnan(expected))
    assert not diff.any(), (f"{name}_backward float16 on {isa}: first difference at "
                            f"grad_output = {g[diff][0]!r}, output = {y[diff][0]!r}: "
                            f"got {got[diff][0]!r}, expected {expected[diff][0]!r}")
