"""Special values: signed zeros, infinities, NaN, subnormals, huge magnitudes,
the registry's probe points, the range of the outputs, subnormal results and
floating-point flags, on both backends (every ISA of the compiled one) and in
every mode."""
import warnings

import numpy as np
import pytest

import fastact
import reference as R
from conftest import NAMES, backward, bound, fwd_bwd, forward, isas, using_isa

pytestmark = pytest.mark.usefixtures("backend")

DTYPES = [np.float16, np.float32, np.float64]
DTYPE_IDS = ["float16", "float32", "float64"]
dtype_param = pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
dtype_param_32_64 = pytest.mark.parametrize("dtype", DTYPES[1:], ids=DTYPE_IDS[1:])


def specials(dtype, finite_only=False):
    """Every kind of special value of `dtype`, both signs."""
    fi = np.finfo(dtype)
    mags = [0.0, fi.smallest_subnormal, fi.smallest_normal * 0.5, fi.smallest_normal,
            fi.eps, 0.5, 1.0, 2.0, 20.0, 100.0, 1000.0, fi.max / 2, fi.max]
    if not finite_only:
        mags += [np.inf, np.nan]
    mags = np.array(mags, dtype=dtype)
    return np.concatenate([mags, -mags])


def all_ops(name, mode):
    """(label, callable on x and a grad_output g) for every op of an activation.
    The backward gets outputs in the activation's range, computed from x."""
    f, b, fb = forward(name), backward(name), fwd_bwd(name)
    return [
        ("forward", lambda x, g: (f(x, mode=mode),)),
        ("backward", lambda x, g: (b(g, f(x, mode=mode)),)),
        ("fused", lambda x, g: fb(x, g, mode=mode)),
    ]


# ---- zeros, infinities, NaN ------------------------------------------------------

def on_path(isa):
    """The code path a result came from, for messages."""
    return f"on {isa}" if isa is not None else f"on the {fastact.backend} backend"


def _check_against_reference(name, op, mode, x, got, isa):
    """got (forward, or the gradient with grad_output 1) within the registry bound;
    float16 (no bound of its own): equal to the backend's wider result rounded
    once, float32 in the compiled kernels, float64 in the fallback."""
    what = f"{name} {op} {mode} {got.dtype} {on_path(isa)}"
    if got.dtype == np.float16:
        wide = x.astype(np.float32 if fastact.backend == "compiled" else np.float64)
        if op == "forward":
            expected = forward(name)(wide, mode=mode)
        else:
            expected = fwd_bwd(name)(wide, np.ones_like(wide), mode=mode)[1]
        expected = expected.astype(np.float16)
        assert np.array_equal(got, expected, equal_nan=True), f"{what}: {got!r} vs {expected!r}"
        return
    ref = (R.FORWARD if op == "forward" else R.GRAD)[name](x)
    R.check_bound(x, got, ref, bound(name, op, mode, got.dtype), got.dtype, what)


def check_exact_or_bound(name, op, mode, x, got, exact, isa):
    """At special points accurate mode returns the exact value (the correctly
    rounded one, sign of zero included); fast mode stays within its bound."""
    exact = np.broadcast_to(np.asarray(exact, got.dtype), got.shape)
    if mode == "accurate":
        same = (got == exact) & (np.signbit(got) == np.signbit(exact))
        assert same.all(), (f"{name} {op} accurate {got.dtype} {on_path(isa)} at x = {x!r}: "
                            f"got {got!r}, expected {exact!r}")
    else:
        _check_against_reference(name, op, mode, x, got, isa)


@dtype_param
def test_signed_zero(dtype, isa, mode):
    x = np.array([0.0, -0.0], dtype)
    check_exact_or_bound("sigmoid", "forward", mode, x, forward("sigmoid")(x, mode=mode),
                         [0.5, 0.5], isa)
    t = forward("tanh")(x, mode=mode)
    # tanh is odd: the sign of zero is kept in both modes
    assert t[0] == 0 and not np.signbit(t[0]), f"tanh(+0.0) = {t[0]!r}"
    assert t[1] == 0 and np.signbit(t[1]), f"tanh(-0.0) = {t[1]!r}, expected -0.0"
    ty, tg = fwd_bwd("tanh")(x, np.ones_like(x), mode=mode)
    assert np.signbit(ty[1]) and not np.signbit(ty[0]), f"tanh_fwd_bwd y at +-0: {ty!r}"
    assert (tg == 1).all(), f"tanh'(+-0) = {tg!r}"
    _, sg = fwd_bwd("sigmoid")(x, np.ones_like(x), mode=mode)
    check_exact_or_bound("sigmoid", "fused", mode, x, sg, [0.25, 0.25], isa)


@dtype_param
def test_infinities(dtype, isa, mode):
    x = np.array([np.inf, -np.inf], dtype)
    limits = {"sigmoid": [1.0, 0.0], "tanh": [1.0, -1.0]}
    for name in NAMES:
        y = forward(name)(x, mode=mode)
        check_exact_or_bound(name, "forward", mode, x, y, limits[name], isa)
        lo, hi = R.RANGE[name]
        assert ((y >= lo) & (y <= hi)).all(), f"{name}(+-inf) = {y!r}"
        yf, g = fwd_bwd(name)(x, np.ones_like(x), mode=mode)
        assert np.array_equal(yf, y), f"{name}_fwd_bwd y at +-inf: {yf!r} vs {y!r}"
        check_exact_or_bound(name, "fused", mode, x, g, [0.0, 0.0], isa)
    assert not np.signbit(forward("sigmoid")(x, mode=mode)[1]), "sigmoid(-inf) is -0.0"


def test_fast_mode_reaches_the_limits_at_infinity(backend):
    """Within the relative bound is not enough at +-inf: the limit is representable,
    and a gradient that never vanishes is visible to users."""
    wrong = []
    for isa in isas(backend):
        with using_isa(isa):
            for dtype in (np.float32, np.float64):
                x = np.array([np.inf, -np.inf], dtype)
                for name, lim in (("sigmoid", [1.0, 0.0]), ("tanh", [1.0, -1.0])):
                    y, g = fwd_bwd(name)(x, np.ones_like(x), mode="fast")
                    yf = forward(name)(x, mode="fast")
                    if not (np.array_equal(yf, lim) and np.array_equal(y, lim) and (g == 0).all()):
                        wrong.append(f"{name} fast {np.dtype(dtype).name} {on_path(isa)}: "
                                     f"y = {[float(v).hex() for v in yf]}, gradient {g!r}")
    assert not wrong, "\n".join(wrong)


@dtype_param
@pytest.mark.parametrize("name", NAMES)
def test_nan_in_nan_out(name, dtype, isa, mode):
    """NaN in any input gives NaN in every output it reaches, for every op."""
    vals = specials(dtype, finite_only=True)
    nan = np.full(vals.size, np.nan, dtype)
    ones = np.ones_like(vals)
    y = forward(name)(nan, mode=mode)
    assert np.isnan(y).all(), f"{name}(NaN) = {y!r}"
    y, g = fwd_bwd(name)(nan, ones, mode=mode)
    assert np.isnan(y).all() and np.isnan(g).all(), f"fwd_bwd(NaN, 1) = {y!r}, {g!r}"
    with np.errstate(all="ignore"):  # finite specials: max * derivative may overflow, etc.
        y, g = fwd_bwd(name)(vals, nan, mode=mode)
    assert not np.isnan(y).any(), f"fwd_bwd(x, NaN) y = {y!r} for x = {vals!r}"
    assert np.isnan(g).all(), f"fwd_bwd(x, NaN) gradient = {g!r} for x = {vals!r}"
    out = forward(name)(vals, mode=mode)
    assert np.isnan(backward(name)(nan, out)).all()
    assert np.isnan(backward(name)(ones, nan)).all()


@dtype_param_32_64
@pytest.mark.parametrize("name", NAMES)
def test_quiet_nan_payload_is_kept(name, dtype, isa, mode):
    """The forward returns the input NaN itself (sign and payload), as the kernels
    document (csrc/act/sigmoid_tanh-inl.h)."""
    if dtype == np.float32:
        bits = np.array([0x7FC00000, 0xFFC00000, 0x7FC12345, 0xFFFFFFFF], np.uint32)
    else:
        bits = np.array([0x7FF8000000000000, 0xFFF8000000000000, 0x7FF8000000012345,
                         0xFFFFFFFFFFFFFFFF], np.uint64)
    x = bits.view(dtype)
    y = forward(name)(x, mode=mode)
    assert (y.view(bits.dtype) == bits).all(), (
        f"{name} {mode}: NaN bits {[hex(b) for b in bits]} -> "
        f"{[hex(b) for b in y.view(bits.dtype)]}")


@dtype_param_32_64
@pytest.mark.parametrize("name", NAMES)
def test_signalling_nan_raises_nothing_and_comes_out_quiet(name, dtype, isa, mode):
    """A signalling NaN in x raises no floating-point flag (the NaN tests work on
    bit patterns) and every output is the same NaN with the quiet bit set."""
    if dtype == np.float32:
        bits = np.array([0x7F800001, 0xFF812345, 0x7FBFFFFF], np.uint32)
        quiet = np.uint32(0x00400000)
    else:
        bits = np.array([0x7FF0000000000001, 0xFFF0000100000000, 0x7FF7FFFFFFFFFFFF], np.uint64)
        quiet = np.uint64(0x0008000000000000)
    x = bits.view(dtype)
    with np.errstate(all="raise"):
        y = forward(name)(x, mode=mode)
        yf, g = fwd_bwd(name)(x, np.ones_like(x), mode=mode)
    for what, out in (("forward", y), ("fused y", yf), ("fused gradient", g)):
        assert (out.view(bits.dtype) == (bits | quiet)).all(), (
            f"{name} {mode} {what}: {[hex(b) for b in bits]} -> "
            f"{[hex(b) for b in out.view(bits.dtype)]}")


# ---- subnormal and huge inputs -----------------------------------------------------

@dtype_param_32_64
@pytest.mark.parametrize("name", NAMES)
def test_subnormal_inputs(name, dtype, isa, mode):
    fi = np.finfo(dtype)
    mags = np.array([fi.smallest_subnormal, fi.smallest_subnormal * 3, fi.smallest_normal / 3,
                     fi.smallest_normal - fi.smallest_subnormal], dtype)
    x = np.concatenate([mags, -mags])
    y = forward(name)(x, mode=mode)
    _, g = fwd_bwd(name)(x, np.ones_like(x), mode=mode)
    if name == "sigmoid":
        # 1/(1 + e^-x) and its derivative are 1/2 and 1/4 to far better than half an ulp
        check_exact_or_bound(name, "forward", mode, x, y, 0.5, isa)
        check_exact_or_bound(name, "fused", mode, x, g, 0.25, isa)
        return
    assert (np.signbit(y) == np.signbit(x)).all(), f"tanh({x!r}) = {y!r}: sign"
    # 1 - y^2 with y subnormal is 1 after rounding, whatever the mode
    assert (g == 1).all(), f"tanh'({x!r}) = {g!r}"
    if mode == "accurate":
        # tanh(x) = x - x^3/3: x itself is the correctly rounded result
        assert np.array_equal(y, x), f"tanh({x!r}) = {y!r}"
    else:
        # the relative bound does not cover subnormal results: allow it plus the one
        # rounding to the subnormal grid
        b = bound(name, "forward", mode, dtype)
        tol = b.rel * np.abs(x.astype(np.float64)) + float(fi.smallest_subnormal)
        err = np.abs(y.astype(np.float64) - x)
        assert (err <= tol).all(), f"tanh fast({x!r}) = {y!r}"


@dtype_param
def test_huge_magnitudes(dtype, isa, mode):
    fi = np.finfo(dtype)
    extra = [1e30, 1e300] if dtype == np.float64 else [1e30] if dtype == np.float32 else []
    mags = np.unique(np.array([1e4, 6e4, fi.max / 2, fi.max] + extra, dtype))
    x = np.concatenate([mags, -mags])
    limits = {"sigmoid": (x > 0).astype(dtype), "tanh": np.sign(x)}
    for name in NAMES:
        y = forward(name)(x, mode=mode)
        check_exact_or_bound(name, "forward", mode, x, y, limits[name], isa)
        yf, g = fwd_bwd(name)(x, np.ones_like(x), mode=mode)
        assert np.array_equal(yf, y)
        check_exact_or_bound(name, "fused", mode, x, g, 0.0, isa)


# ---- the registry's probe points ---------------------------------------------------

def _probe_points(name, dtype):
    """Each registry probe, its negative and the neighbouring floats."""
    from fastact._registry import ACTIVATIONS
    p = np.array(ACTIVATIONS[name].probes, dtype)
    assert p.size > 0
    p = np.concatenate([p, -p])
    return np.unique(np.concatenate([p, np.nextafter(p, dtype(np.inf)),
                                     np.nextafter(p, dtype(-np.inf))]))


@dtype_param_32_64
@pytest.mark.parametrize("name", NAMES)
def test_registry_probes_forward(name, dtype, isa, mode):
    x = _probe_points(name, dtype)
    _check_against_reference(name, "forward", mode, x, forward(name)(x, mode=mode), isa)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["accurate", "fast"])
@pytest.mark.parametrize("name", NAMES)
def test_registry_probes_gradient(name, mode, dtype, backend):
    """The fused gradient at the probes, on every ISA (or the fallback), within the
    registry bound."""
    x = _probe_points(name, np.dtype(dtype).type)
    for isa in isas(backend):
        with using_isa(isa):
            _, g = fwd_bwd(name)(x, np.ones_like(x), mode=mode)
            _check_against_reference(name, "fused", mode, x, g, isa)


# ---- outputs stay in range -----------------------------------------------------------

def _range_inputs(dtype):
    """Every 4093rd bit pattern plus every float around the saturation points."""
    if dtype == np.float32:
        bits = np.arange(0, 2**32, 4093, dtype=np.uint64).astype(np.uint32)
        sweep = bits.view(np.float32)
        dense = np.arange(np.float32(4).view(np.uint32), np.float32(120).view(np.uint32), 7,
                          dtype=np.uint32).view(np.float32)
    else:
        rng = np.random.default_rng(3)
        sweep = rng.integers(0, 2**64, 2**20, dtype=np.uint64).view(np.float64)
        dense = np.linspace(4, 800, 2**20)
    x = np.concatenate([sweep, dense, -dense])
    return x[~np.isnan(x)]


@dtype_param_32_64
@pytest.mark.parametrize("name", NAMES)
def test_outputs_stay_in_range(name, dtype, isa, mode):
    x = _range_inputs(dtype)
    lo, hi = R.RANGE[name]
    y = forward(name)(x, mode=mode)
    bad = (y < lo) | (y > hi) | np.isnan(y)
    assert not bad.any(), f"{name} {mode}: {y[bad][:5]!r} at x = {x[bad][:5]!r}"
    yf, g = fwd_bwd(name)(x, np.ones_like(x), mode=mode)
    assert not ((yf < lo) | (yf > hi)).any()
    # the derivative is in [0, 1/4] (sigmoid) or [0, 1] (tanh), up to its error bound
    gmax = 0.25 if name == "sigmoid" else 1.0
    b = bound(name, "fused", mode, dtype)
    slack = (b.rel or 0) + (b.ulp or 0) * float(np.finfo(dtype).eps) + (b.abs or 0) / gmax
    bad = (g < 0) | (g > gmax * (1 + slack)) | np.isnan(g)
    assert not bad.any(), f"{name}' {mode}: {g[bad][:5]!r} at x = {x[bad][:5]!r}"


# ---- subnormal results -----------------------------------------------------------------

def _sigmoid_subnormal_inputs(dtype):
    if dtype == np.float32:
        # every float32 in [-103, -87.4]
        a = np.float32(-87.4).view(np.uint32)
        b = np.float32(-103).view(np.uint32)
        return np.arange(a, b + 1, dtype=np.uint32).view(np.float32)
    return np.linspace(-745.1, -708.4, 400_001)


@dtype_param_32_64
def test_sigmoid_accurate_subnormal_results(dtype, isa):
    """sigmoid(x) for x in [-103, -87.4] (float32; [-745.1, -708.4] float64) is a
    subnormal number: accurate mode rounds it once, it does not flush it."""
    x = _sigmoid_subnormal_inputs(dtype)
    y = forward("sigmoid")(x)
    ref = R.sigmoid(x)
    assert (ref < np.finfo(dtype).smallest_normal).all()
    b = bound("sigmoid", "forward", "accurate", dtype)
    err = R.ulp_error(y, ref, dtype)
    assert err.max() <= b.ulp, f"sigmoid {on_path(isa)}: {R.worst(x, err, y, ref, 'ulp error')}"
    nonzero = ref >= np.finfo(dtype).smallest_subnormal
    assert (y[nonzero] > 0).all(), f"flushed to 0 at x = {x[nonzero & (y == 0)][:5]!r}"


# Exact values, in units of the smallest subnormal, from
#   python -c "import mpmath as m; m.mp.prec = 200; \
#              [print(x, 1 / (1 + m.exp(-m.mpf(x))) / m.mpf(2)**-149) for x in (-90, -100, -103)]"
#   -> 584744.2806, 26.5473, 1.3217
#   python -c "import mpmath as m; m.mp.prec = 200; print(1 / (1 + m.exp(745)) / m.mpf(2)**-1074)"
#   -> 0.5713
SIGMOID_SUBNORMAL_ANCHORS = [
    (np.float32, -90.0, 584744.28057969855),
    (np.float32, -100.0, 26.547349267333049),
    (np.float32, -103.0, 1.3217146929582733),
    (np.float64, -745.0, 0.57125014747105417),
]


@pytest.mark.parametrize("dtype,x,units", SIGMOID_SUBNORMAL_ANCHORS)
def test_sigmoid_subnormal_anchors(dtype, x, units, isa):
    """Independent of reference.py: mpmath values computed once, see the command."""
    tiny = float(np.finfo(dtype).smallest_subnormal)
    y = forward("sigmoid")(np.array([x], dtype))[0]
    b = bound("sigmoid", "forward", "accurate", dtype)
    err = abs(float(y) / tiny - units)
    assert err <= b.ulp, f"sigmoid({x}) = {y!r} = {float(y) / tiny} * {tiny}, exact {units}"


# ---- floating-point flags ---------------------------------------------------------------

@dtype_param
@pytest.mark.parametrize("name", NAMES)
def test_no_floating_point_warnings(name, dtype, isa, mode):
    """Every op on every special value: no flag but (allowed) underflow, no warning.
    grad_output stays finite (plus NaN): inf * 0 is an invalid operation in IEEE
    arithmetic for the backward formula as for numpy's own multiply."""
    from fastact._registry import ACTIVATIONS
    probes = np.array(ACTIVATIONS[name].probes, dtype)
    x = np.concatenate([specials(dtype), probes, -probes])
    g = np.resize(np.concatenate([specials(dtype, finite_only=True), [np.nan]]).astype(dtype),
                  x.size)
    big = np.abs(g) > 1e4  # a product with a huge grad_output may overflow legitimately
    g[big] = np.sign(g[big])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            for label, op in all_ops(name, mode):
                try:
                    op(x, g)
                except (FloatingPointError, RuntimeWarning) as exc:
                    pytest.fail(f"{name} {label} {mode} {on_path(isa)} raised {exc!r} for "
                                f"x = {x!r}, grad_output = {g!r}")


@dtype_param
@pytest.mark.parametrize("name", NAMES)
def test_positive_huge_inputs_raise_no_underflow(name, dtype, isa, mode):
    """Results at or next to 1: no underflow flag (inputs are clamped before the exp)."""
    x = np.array([30.0, 100.0, 1e30 if dtype != np.float16 else 6e4], dtype)
    with np.errstate(all="raise"):
        y = forward(name)(x, mode=mode)
    _check_against_reference(name, "forward", mode, x, y, isa)


def _flagged(f, x, limit=5000):
    """The inputs of x (sorted) for which f raises FloatingPointError on its own,
    looked for block by block, only after f(x) raised; at most about `limit`."""
    found = []
    for block in np.array_split(x, max(1, x.size // 4096)):
        try:
            f(block)
        except FloatingPointError:
            for v in block:
                try:
                    f(np.array([v]))
                except FloatingPointError:
                    found.append(v)
            if len(found) >= limit:
                break
    return np.array(found)


def _describe(bad):
    if bad.size == 0:
        return "no single input raises alone"
    return (f"{bad.size} inputs (search stops near 5000), from {bad.min()!r} to "
            f"{bad.max()!r}, e.g. {bad[bad.size // 2]!r}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["accurate", "fast"])
@pytest.mark.parametrize("name", NAMES)
def test_no_underflow_where_results_are_normal(name, mode, dtype, backend):
    """fastact.h: kernels raise no flag "except underflow where the true result is
    subnormal" (and so does the fallback, fastact/_fallback.py). The forward on
    every ISA, over a sweep where the reference result is a normal number (or an
    exact 0 from x = 0)."""
    if dtype == "float32":
        x = R.float32_sweep(step=509)
        fi = np.finfo(np.float32)
        edges = np.array([1, 1.0001, 1.5, 2, 4], np.float32) * fi.smallest_normal
        x = np.concatenate([x, edges, -edges])
    else:
        x = np.concatenate([np.linspace(-800, 800, 400_001), np.exp2(np.arange(-1022, 10.0)),
                            -np.exp2(np.arange(-1022, 10.0))])
    ref = R.FORWARD[name](x)
    x = np.sort(x[(np.abs(ref) >= np.finfo(dtype).smallest_normal) | (x == 0)])
    f = forward(name)
    failures = []
    for isa in isas(backend):
        with using_isa(isa), np.errstate(all="raise"):
            try:
                f(x, mode=mode)
            except FloatingPointError as exc:
                bad = _flagged(lambda v: f(v, mode=mode), x)
                failures.append(f"{on_path(isa)}: {exc}: {_describe(bad)}")
    assert not failures, f"{name} {mode} {dtype}:\n" + "\n".join(failures)
