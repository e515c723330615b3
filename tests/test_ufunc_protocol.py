"""The public functions behave like numpy ufuncs (np.tanh is the model):
broadcasting, out= and in-place use, where=, dtype resolution, 0-d, empty and
Python inputs, every memory layout, __array_ufunc__ dispatch; and the results
do not depend on the length, the offset, the layout or in-place use. On both
backends (every ISA of the compiled one), through the public functions."""
import sys

import numpy as np
import pytest

import fastact
from conftest import NAMES, backward, compiled_only, fwd_bwd, forward, ufunc
from fastact._registry import MODES, OPS

pytestmark = pytest.mark.usefixtures("backend")

FLOATS = [np.float16, np.float32, np.float64]
FLOAT_IDS = ["float16", "float32", "float64"]


def values(n, dtype=np.float64, seed=0):
    """n varied values: most magnitudes, both signs, and the special ones."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n) * np.exp2(rng.integers(-12, 8, n))
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-30, 20.0, -100.0]
    v[: min(n, len(special))] = special[: min(n, len(special))]
    rng.shuffle(v)
    return v.astype(dtype)


def grads(n, dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n).astype(dtype)


def outputs(name, n, dtype=np.float64):
    return forward(name)(values(n, dtype, seed=2))


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool((a.view(f"u{a.itemsize}") == b.view(f"u{b.itemsize}")).all())


def assert_same_bits(got, expected, what):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (
        f"{what}: {got.dtype}{got.shape} vs {expected.dtype}{expected.shape}")
    diff = got.view(f"u{got.itemsize}") != expected.view(f"u{expected.itemsize}")
    assert not diff.any(), (f"{what}: {diff.sum()} elements differ, first at index "
                            f"{np.argwhere(diff)[0].tolist()}: {got[diff][0]!r} vs "
                            f"{expected[diff][0]!r}")


# every public entry point as (label, call on arrays, number of array inputs)
def entry_points(name, mode):
    f, b, fb = forward(name), backward(name), fwd_bwd(name)
    return [
        ("forward", lambda *a, **k: f(*a, mode=mode, **k), 1),
        ("backward", lambda *a, **k: b(*a, **k), 2),
        ("fused", lambda *a, **k: fb(*a, mode=mode, **k), 2),
    ]


def inputs_for(label, name, n, dtype):
    if label == "forward":
        return (values(n, dtype),)
    if label == "backward":
        return grads(n, dtype), outputs(name, n, dtype)
    return values(n, dtype), grads(n, dtype)


def as_tuple(r):
    return r if isinstance(r, tuple) else (r,)


# ---- the ufunc objects ------------------------------------------------------------------

@compiled_only("the fallback's stand-ins are not np.ufunc instances (their nin, nout, types "
               "and names are checked in test_fallback.py)")
def test_every_op_is_a_numpy_ufunc():
    from fastact import _ufuncs
    expected_args = {"forward": (1, 1), "backward": (2, 1), "fused": (2, 2)}
    for name in NAMES:
        for op in OPS:
            for mode in MODES:
                u = _ufuncs.UFUNCS[(name, op, mode)]
                assert isinstance(u, np.ufunc), (name, op, mode, type(u))
                assert (u.nin, u.nout) == expected_args[op]
                assert u.types == [("e" * u.nin) + "->" + "e" * u.nout,
                                   ("f" * u.nin) + "->" + "f" * u.nout,
                                   ("d" * u.nin) + "->" + "d" * u.nout]
                assert name in u.__name__
                assert ("fast" in u.__name__) == (mode == "fast" and op != "backward")


@pytest.mark.parametrize("name", NAMES)
def test_public_functions_call_the_ufuncs(name, mode):
    x, g = values(100), grads(100)
    y = forward(name)(x, mode=mode)
    assert_same_bits(y, ufunc(name, "forward", mode)(x), "forward")
    assert_same_bits(backward(name)(g, y), ufunc(name, "backward")(g, y), "backward")
    for a, b in zip(fwd_bwd(name)(x, g, mode=mode), ufunc(name, "fused", mode)(x, g)):
        assert_same_bits(a, b, "fused")


@compiled_only("the fallback's fast mode runs the accurate formulas (far inside the fast "
               "bounds), so its results equal accurate mode's")
@pytest.mark.parametrize("name", NAMES)
def test_fast_mode_is_not_the_accurate_mode(name):
    x = values(100)
    assert not same_bits(forward(name)(x, mode="fast"), forward(name)(x, mode="accurate")), (
        "fast mode = accurate")


def test_alias_is_the_same_function():
    from fastact._registry import ACTIVATIONS
    aliases = [(a, n) for n, act in ACTIVATIONS.items() for a in act.aliases]
    assert ("expit", "sigmoid") in aliases
    for alias, name in aliases:
        assert getattr(fastact, alias) is forward(name)


# ---- broadcasting, out=, where= ------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_broadcasting_two_inputs(name, mode, isa):
    g = grads(7)[:, None]
    y = outputs(name, 5)[None, :]
    x = values(5)[None, :]
    r = backward(name)(g, y)
    assert r.shape == (7, 5)
    assert_same_bits(r, backward(name)(*np.broadcast_arrays(g, y)), "backward broadcast")
    assert_same_bits(backward(name)(g, 0.5)[:, 0], backward(name)(g[:, 0], np.full(7, 0.5)),
                     "backward with a scalar output")
    ry, rg = fwd_bwd(name)(x, g, mode=mode)
    bx, bg = (np.ascontiguousarray(a) for a in np.broadcast_arrays(x, g))
    ey, eg = fwd_bwd(name)(bx, bg, mode=mode)
    assert_same_bits(ry, ey, "fused y broadcast")
    assert_same_bits(rg, eg, "fused gradient broadcast")
    with pytest.raises(ValueError):
        backward(name)(grads(3), outputs(name, 4))


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_out_and_in_place(name, dtype, mode, isa):
    x = values(50, dtype)
    expected = forward(name)(x, mode=mode)
    out = np.empty_like(x)
    r = forward(name)(x, out, mode=mode)
    assert r is out
    assert_same_bits(out, expected, "out= positional")
    out2 = np.empty_like(x)
    assert forward(name)(x, out=out2, mode=mode) is out2
    assert forward(name)(x, out=(out2,), mode=mode) is out2
    assert_same_bits(out2, expected, "out=")
    xi = x.copy()
    assert forward(name)(xi, out=xi, mode=mode) is xi
    assert_same_bits(xi, expected, "out=x in place")

    g = grads(50, dtype)
    ey, eg = fwd_bwd(name)(x, g, mode=mode)
    oy, og = np.empty_like(x), np.empty_like(x)
    ry, rg = fwd_bwd(name)(x, g, out=(oy, og), mode=mode)
    assert ry is oy and rg is og
    assert_same_bits(oy, ey, "fused out y")
    assert_same_bits(og, eg, "fused out gradient")
    # in place: y over x and the gradient over grad_output
    xi, gi = x.copy(), g.copy()
    ry, rg = fwd_bwd(name)(xi, gi, out=(xi, gi), mode=mode)
    assert ry is xi and rg is gi
    assert_same_bits(xi, ey, "fused y in place")
    assert_same_bits(gi, eg, "fused gradient in place")
    # one of the pair given
    og = np.empty_like(x)
    ry, rg = fwd_bwd(name)(x, g, out=(None, og), mode=mode)
    assert rg is og
    assert_same_bits(ry, ey, "fused y with out=(None, g)")

    y = forward(name)(x, mode=mode)
    eb = backward(name)(g, y)
    gi = g.copy()
    assert backward(name)(gi, y, out=gi) is gi
    assert_same_bits(gi, eb, "backward in place over grad_output")
    yi = y.copy()
    assert backward(name)(g, yi, out=yi) is yi
    assert_same_bits(yi, eb, "backward in place over output")


@pytest.mark.parametrize("name", NAMES)
def test_where(name, mode, isa):
    x = values(40)
    mask = np.arange(40) % 3 == 0
    out = np.full(40, -7.0)
    r = forward(name)(x, out=out, where=mask, mode=mode)
    assert r is out
    assert (out[~mask] == -7.0).all(), "where=False positions were written"
    assert_same_bits(out[mask], forward(name)(x[mask], mode=mode), "where=True positions")
    g = grads(40)
    oy, og = np.full(40, -7.0), np.full(40, -8.0)
    fwd_bwd(name)(x, g, out=(oy, og), where=mask, mode=mode)
    assert (oy[~mask] == -7.0).all() and (og[~mask] == -8.0).all()
    ey, eg = fwd_bwd(name)(x[mask], g[mask], mode=mode)
    assert_same_bits(oy[mask], ey, "fused where y")
    assert_same_bits(og[mask], eg, "fused where gradient")


# ---- dtypes and kinds of input -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_dtype_preserved(name, dtype, mode):
    x = values(20, dtype)
    assert forward(name)(x, mode=mode).dtype == dtype
    g = grads(20, dtype)
    assert backward(name)(g, forward(name)(x, mode=mode)).dtype == dtype
    y, gx = fwd_bwd(name)(x, g, mode=mode)
    assert y.dtype == dtype and gx.dtype == dtype


@compiled_only("the compiled kernels compute float16 in float32 and round once (so float16 "
               "is double-rounded); the fallback computes it in float64")
@pytest.mark.parametrize("name", NAMES)
def test_float16_is_the_float32_result_rounded_once(name, mode, isa):
    """Every float16 value: computed in float32, rounded to float16 once."""
    x = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    g = np.resize(grads(997, np.float16), x.size)
    # the signaling NaN patterns raise "invalid" in any arithmetic, as IEEE requires
    with np.errstate(invalid="ignore"):
        got = forward(name)(x, mode=mode)
        expected = forward(name)(x.astype(np.float32), mode=mode).astype(np.float16)
        y16, g16 = fwd_bwd(name)(x, g, mode=mode)
        y32, g32 = fwd_bwd(name)(x.astype(np.float32), g.astype(np.float32), mode=mode)
    assert np.array_equal(got, expected, equal_nan=True), "float16 forward"
    assert (np.isnan(got) == np.isnan(x)).all()
    assert np.array_equal(y16, y32.astype(np.float16), equal_nan=True), "float16 fused y"
    assert np.array_equal(g16, g32.astype(np.float16), equal_nan=True), "float16 fused gradient"


@compiled_only("the float16 conversions under test are the compiled loop's (csrc/loops.c, "
               "vectorized with F16C in csrc/kernels-inl.h); the fallback casts with NumPy")
def test_float16_conversions_are_ieee_on_every_layout(isa):
    """The loop's float16 <-> float32 conversions (vector F16C ones on the AVX
    targets, one value at a time elsewhere) are IEEE's, on contiguous and
    strided data and on every partial group of a block. Widening: hardtanh with
    infinite bounds returns every float16 bit pattern unchanged (a NaN quieted,
    its payload kept), and raises no flag, signalling NaNs included. Narrowing:
    a product of two float16 values is exact in float32, so leaky_relu's
    float16 result must be NumPy's correctly rounded cast of it: ties to even,
    subnormals, and overflow to inf (with the overflow flag)."""
    bits = np.arange(2**16, dtype=np.uint32).astype(np.uint16)
    x = bits.view(np.float16)
    nan = (bits & 0x7fff) > 0x7c00
    expected = np.where(nan, bits | 0x0200, bits)
    lo, hi = np.float16(-np.inf), np.float16(np.inf)
    for n in (1, 7, 8, 9, 513, 2**16):
        for step in (1, 3, -1):
            xs = x[:n][::step]
            out = np.zeros(3 * xs.size, np.float16)[::3]
            with np.errstate(all="raise"):  # signalling NaNs too: no flag
                got = fastact.hardtanh(xs, lo, hi).view(np.uint16)
                fastact.hardtanh(xs, lo, hi, out=out)
            assert same_bits(got, expected[:n][::step]), (n, step)
            assert same_bits(out.view(np.uint16), expected[:n][::step]), (n, step, "strided out")
    with np.errstate(all="raise"):  # the plain path (no parameter) runs the same loop
        r = fastact.relu(x).view(np.uint16)
    assert same_bits(r[nan], expected[nan])
    neg = x[(bits >= 0x8000) & ~nan & (bits != 0xfc00)]  # every finite negative float16
    for slope in (0.099975586, 0.5, 1.5, 3.0, 1000.0, 2.0**-14):
        s = np.float16(slope)
        with np.errstate(over="ignore"):
            want = (neg.astype(np.float32) * np.float32(s)).astype(np.float16)
            got = fastact.leaky_relu(neg, s)
        assert same_bits(got, want), slope
    with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
        fastact.leaky_relu(np.full(9, -60000.0, np.float16), np.float16(2.0))


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32,
                                   np.int64, np.uint64])
@pytest.mark.parametrize("name", NAMES)
def test_integers_resolve_like_np_tanh(name, dtype, mode):
    x = np.array([0, 1, 2, 3], dtype=dtype)
    r = forward(name)(x, mode=mode)
    assert r.dtype == np.tanh(x).dtype
    assert_same_bits(r, forward(name)(x.astype(r.dtype), mode=mode), f"{dtype.__name__} input")
    g = np.ones(4, dtype)
    y, gx = fwd_bwd(name)(x, g, mode=mode)
    # two integer inputs resolve as for np.arctan2 (the same e/f/d loops)
    assert y.dtype == gx.dtype == np.arctan2(x, g).dtype
    assert backward(name)(g, x).dtype == np.arctan2(g, x).dtype


@pytest.mark.parametrize("name", NAMES)
def test_zero_dim_and_scalars(name, mode):
    f = forward(name)
    for x in (np.float32(0.5), np.array(0.5, np.float32), np.float64(-2.0), np.array(3.0)):
        r = f(x, mode=mode)
        e = np.tanh(x)
        assert type(r) is type(e) and np.shape(r) == () and r.dtype == e.dtype
        assert_same_bits(np.asarray(r), f(np.asarray(x).reshape(1), mode=mode)[0], "0-d")
    for x in (0.5, -3, True):
        r = f(x, mode=mode)
        assert type(r) is type(np.tanh(x)), (x, type(r))
        assert_same_bits(np.asarray(r), f(np.array([x]).astype(np.asarray(r).dtype),
                                          mode=mode)[0], "Python scalar")
    y, g = fwd_bwd(name)(0.5, 1.0, mode=mode)
    assert isinstance(y, np.float64) and isinstance(g, np.float64)
    assert isinstance(backward(name)(1.0, 0.5), np.float64)


@pytest.mark.parametrize("name", NAMES)
def test_lists_and_empty(name, mode):
    f = forward(name)
    r = f([0.5, -1.0, 2.0], mode=mode)
    assert isinstance(r, np.ndarray) and r.dtype == np.float64
    assert_same_bits(r, f(np.array([0.5, -1.0, 2.0]), mode=mode), "list")
    r = f([[1, 2], [3, 4]], mode=mode)
    assert r.shape == (2, 2) and r.dtype == np.float64
    for shape in ((0,), (3, 0), (0, 4, 2)):
        for dtype in FLOATS:
            e = np.empty(shape, dtype)
            assert f(e, mode=mode).shape == shape and f(e, mode=mode).dtype == dtype
            y, g = fwd_bwd(name)(e, e, mode=mode)
            assert y.shape == g.shape == shape
            assert backward(name)(e, e).shape == shape


# ---- memory layouts ------------------------------------------------------------------------------

def layouts(base):
    """(label, view) pairs of `base` (1-D, length >= 64) in non-contiguous layouts."""
    dtype = base.dtype
    two_d = base[:64].reshape(8, 8)
    raw = np.zeros(base.size * dtype.itemsize + 1, np.uint8)
    unaligned = raw[1:].view(dtype)
    unaligned[:] = base
    swapped = base.astype(dtype.newbyteorder())
    return [
        ("stride 2", base[::2]),
        ("stride 3", base[1::3]),
        ("negative stride", base[::-1]),
        ("negative stride -3", base[::-3]),
        ("2-D transposed", two_d.T),
        ("2-D column slice", two_d[:, 1:7]),
        ("2-D row step", two_d[::2, ::-1]),
        ("unaligned (byte offset 1)", unaligned),
        ("non-native byte order", swapped),
    ]


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_layouts_equal_contiguous(name, dtype, mode, isa):
    base = values(1500, dtype)
    gbase = grads(1500, dtype)
    ybase = outputs(name, 1500, dtype)
    for (label, x), (_, g), (_, y) in zip(layouts(base), layouts(gbase), layouts(ybase)):
        xc, gc, yc = (np.ascontiguousarray(a, dtype=dtype) for a in (x, g, y))
        assert_same_bits(forward(name)(x, mode=mode), forward(name)(xc, mode=mode),
                         f"forward, {label}")
        assert_same_bits(backward(name)(g, y), backward(name)(gc, yc), f"backward, {label}")
        for a, b in zip(fwd_bwd(name)(x, g, mode=mode), fwd_bwd(name)(xc, gc, mode=mode)):
            assert_same_bits(a, b, f"fused, {label}")
        # strided output too
        out = np.full(xc.size * 2, np.nan, dtype)[::2].reshape(x.shape) if x.ndim == 1 else None
        if out is not None:
            forward(name)(x, out=out, mode=mode)
            assert_same_bits(out, forward(name)(xc, mode=mode), f"strided out, {label}")


def test_unaligned_view_really_is_unaligned():
    raw = np.zeros(4 * 10 + 1, np.uint8)
    v = raw[1:].view(np.float32)
    assert not v.flags.aligned


# ---- results do not depend on length, offset or in-place use -------------------------------------

LENGTHS = list(range(71)) + [127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 1023, 1025, 4099]
OFFSETS = (0, 1, 3, 7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_bit_identical_whatever_length_and_offset(name, dtype, mode, isa):
    """Each element equals the one computed in a long array: the vector body, the
    masked tail, every alignment, in place, and the strided block path."""
    n_total = max(LENGTHS) + max(OFFSETS)
    x, g = values(n_total, dtype, seed=11), grads(n_total, dtype, seed=12)
    y_out = forward(name)(values(n_total, dtype, seed=13), mode=mode)
    full_f = forward(name)(x, mode=mode)
    full_b = backward(name)(g, y_out)
    full_y, full_g = fwd_bwd(name)(x, g, mode=mode)
    for n in LENGTHS:
        for o in OFFSETS:
            s = slice(o, o + n)
            what = f"length {n}, offset {o}"
            assert_same_bits(forward(name)(x[s], mode=mode), full_f[s], f"forward {what}")
            xi = x[s].copy()
            forward(name)(xi, out=xi, mode=mode)
            assert_same_bits(xi, full_f[s], f"forward in place {what}")
            assert_same_bits(backward(name)(g[s], y_out[s]), full_b[s], f"backward {what}")
            yy, gg = fwd_bwd(name)(x[s], g[s], mode=mode)
            assert_same_bits(yy, full_y[s], f"fused y {what}")
            assert_same_bits(gg, full_g[s], f"fused gradient {what}")
        if n in (0, 1, 70, 513, 1025):
            # through the strided (gathered) path
            big = np.repeat(x[:n], 2)[::2]
            assert_same_bits(forward(name)(big, mode=mode), full_f[:n], f"strided, length {n}")


def far_tail_values(dtype, seed):
    """Values across the far tails where the C kernels switch bodies per block
    (csrc/kernels-inl.h, "Guarded kernels": sigmoid below -70, its fused pass and
    tanh's beyond |x| = 70 and 29.5; 600 and 300 in float64), with their edges,
    the subnormal-result boundaries, ordinary values and the special ones."""
    rng = np.random.default_rng(seed)
    edges = [70.0, 59.0, 35.0, 29.5, 87.34, 87.3365, 103.97, 104.0, 600.0, 300.0, 708.4, 745.0, 746.0]
    e = np.array(edges)
    near = np.concatenate([e, np.nextafter(e, 0), np.nextafter(e, np.inf)])
    v = np.concatenate([
        rng.uniform(-800, 800, 1500), rng.uniform(-130, 130, 1500), rng.uniform(-40, 40, 1000),
        near, -near, [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-40, -1e-310]])
    return v.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_bit_identical_whatever_the_neighbours(name, dtype, mode, isa):
    """A value's result does not depend on the values around it: the same values
    sorted (blocks of far-tail values only, blocks without any), shuffled (mixed
    blocks) and one at a time give the same bits, forward and fused."""
    x = far_tail_values(dtype, seed=21)
    g = grads(x.size, dtype, seed=22)
    rng = np.random.default_rng(23)
    want_f = np.array([forward(name)(x[i:i + 1], mode=mode)[0] for i in range(x.size)])
    want_y, want_g = map(np.array, zip(*[
        [v[0] for v in fwd_bwd(name)(x[i:i + 1], g[i:i + 1], mode=mode)] for i in range(x.size)]))
    with np.errstate(invalid="ignore"):  # argsort puts NaN last; no arithmetic here
        orders = {"sorted": np.argsort(x), "reversed": np.argsort(x)[::-1],
                  "by magnitude": np.argsort(np.abs(x)), "shuffled": rng.permutation(x.size)}
    for what, o in orders.items():
        assert_same_bits(forward(name)(x[o], mode=mode), want_f[o], f"forward, {what}")
        yy, gg = fwd_bwd(name)(x[o], g[o], mode=mode)
        assert_same_bits(yy, want_y[o], f"fused y, {what}")
        assert_same_bits(gg, want_g[o], f"fused gradient, {what}")


# ---- __array_ufunc__ dispatch -------------------------------------------------------------

class Recorder:
    """A minimal array-like that takes over every ufunc call and records it."""

    def __init__(self, data):
        self.data = np.asarray(data)
        self.calls = []

    def __array_ufunc__(self, uf, method, *inputs, **kwargs):
        self.calls.append((uf, method, inputs, kwargs))
        return "recorded"


@pytest.mark.parametrize("name", NAMES)
def test_array_ufunc_dispatch_reaches_custom_classes(name, mode):
    r = Recorder([1.0, 2.0])
    assert forward(name)(r, mode=mode) == "recorded"
    uf, method, inputs, kwargs = r.calls[-1]
    assert uf is ufunc(name, "forward", mode) and method == "__call__" and inputs[0] is r

    g = np.ones(2)
    assert backward(name)(g, r) == "recorded"
    uf, _, inputs, _ = r.calls[-1]
    assert uf is ufunc(name, "backward") and inputs[1] is r and inputs[0] is g

    out = (np.empty(2), np.empty(2))
    assert fwd_bwd(name)(r, g, out=out, mode=mode) == "recorded"
    uf, _, inputs, kwargs = r.calls[-1]
    assert uf is ufunc(name, "fused", mode)
    assert kwargs["out"][0] is out[0] and kwargs["out"][1] is out[1]
    assert len(r.calls) == 3


def test_public_functions_run_on_the_backend_under_test(backend):
    """The `backend` fixture really changes what the public functions call."""
    module = {"compiled": "fastact._ufuncs", "python": "fastact._fallback"}[backend]
    assert fastact.backend == backend and fastact._impl.__name__ == module
    r = Recorder([1.0])
    fastact.sigmoid(r)
    assert r.calls[-1][0] is sys.modules[module].get_ufunc("sigmoid", "forward", "accurate")


def test_dask_arrays():
    da = pytest.importorskip("dask.array")
    x = values(100).reshape(10, 10)
    d = da.from_array(x, chunks=5)
    for name in NAMES:
        r = forward(name)(d)
        assert isinstance(r, da.Array)
        assert_same_bits(r.compute(), forward(name)(x), f"dask {name}")
        g = grads(100).reshape(10, 10)
        y = forward(name)(x)
        rb = backward(name)(da.from_array(g, chunks=5), y)
        assert isinstance(rb, da.Array)
        assert_same_bits(rb.compute(), backward(name)(g, y), f"dask {name}_backward")


def test_xarray_dataarrays():
    xr = pytest.importorskip("xarray")
    x = values(12).reshape(3, 4)
    a = xr.DataArray(x, dims=("a", "b"), attrs={"units": "1"})
    for name in NAMES:
        r = forward(name)(a)
        assert isinstance(r, xr.DataArray) and r.dims == ("a", "b")
        assert_same_bits(r.values, forward(name)(x), f"xarray {name}")
