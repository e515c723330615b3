"""The plain-call path of the compiled backend (fastact/_core.pyx: Direct and
plain_first): a public call on contiguous arrays of one float dtype and shape,
parameters at their defaults, skips the ufunc machinery. It must give the
ufunc's results bit for bit, return the arrays the ufunc would, and hand every
other call (overlap, layouts, dtypes, subclasses, bad outputs) back to the
ufunc untouched."""
import warnings

import numpy as np
import pytest

import fastact
from conftest import compiled_only
from fastact._registry import ACTIVATIONS, API_SUFFIX, MODES

pytestmark = [pytest.mark.usefixtures("backend"),
              compiled_only("the fallback has no plain-call path: its public functions "
                            "call its NumPy stand-ins directly")]

FLOATS = (np.float32, np.float64)


def direct_keys():
    from fastact import _ufuncs
    return sorted(_ufuncs.DIRECT)


def public(name, op):
    return getattr(fastact, name + API_SUFFIX[op])


def inputs(name, op, shape, dtype, seed=0):
    """Data for op: forward x; backward (grad_output, x or the output); fused (x, grad_output)."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    x.flat[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-39][:x.size]
    g = rng.standard_normal(shape).astype(dtype)
    if op == "forward":
        return (x,)
    if op == "backward":
        z = fastact.__dict__[name](x) if ACTIVATIONS[name].backward_from == "output" else x
        return g, z
    return x, g


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and bool(
        (a.view(f"u{a.itemsize}") == b.view(f"u{b.itemsize}")).all())


def test_the_plain_path_exists_for_every_default_call():
    """Every public element-wise activation whose parameters all have defaults
    (not prelu) has it, for each op and mode; the rows an option selects
    (gelu_tanh) do not: gelu(x, approximate="tanh") takes the full path."""
    from fastact import _ufuncs
    for name, act in ACTIVATIONS.items():
        if act.kind != "elementwise":
            continue
        expected = not act.variant_of and all(p.default is not None for p in act.params)
        for op in API_SUFFIX:
            for mode in MODES:
                assert ((name, op, mode) in _ufuncs.DIRECT) == expected, (name, op, mode)
    x = np.linspace(-4, 4, 64, dtype=np.float32)
    tanh_row = _ufuncs.UFUNCS[("gelu_tanh", "forward", "accurate")]
    assert same_bits(fastact.gelu(x, approximate="tanh"), tanh_row(x))
    assert not same_bits(fastact.gelu(x), tanh_row(x))


@pytest.mark.parametrize("dtype", FLOATS + (np.float16,), ids=["float32", "float64", "float16"])
@pytest.mark.parametrize("shape", [(1,), (37,), (5, 3, 4), (1100,)])
def test_plain_calls_equal_the_ufunc(shape, dtype):
    """float16 too (computed in float32, as the ufunc's float16 loop)."""
    from fastact import _ufuncs
    for name, op, mode in direct_keys():
        d, uf = _ufuncs.DIRECT[(name, op, mode)], _ufuncs.UFUNCS[(name, op, mode)]
        args = inputs(name, op, shape, dtype)
        params = [p.default for p in ACTIVATIONS[name].params]
        expected = uf(*args, *params)
        got = d(*args)
        assert got is not NotImplemented, (name, op, mode, shape, dtype)
        pairs = zip(got, expected) if op == "fused" else [(got, expected)]
        for r, e in pairs:
            assert same_bits(r, e), (name, op, mode, shape, dtype)
        # the public function takes the same path and gives the same bits
        kw = {} if op == "backward" else {"mode": mode}
        pub = public(name, op)(*args, **kw)
        for r, e in zip(pub if op == "fused" else (pub,), expected if op == "fused" else (expected,)):
            assert same_bits(r, e), ("public", name, op, mode, shape, dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
def test_outputs_given_and_in_place(dtype):
    from fastact import _ufuncs
    for name, op, mode in direct_keys():
        uf = _ufuncs.UFUNCS[(name, op, mode)]
        params = [p.default for p in ACTIVATIONS[name].params]
        args = inputs(name, op, (33,), dtype, seed=3)
        expected = uf(*args, *params)
        expected = expected if op == "fused" else (expected,)
        kw = {} if op == "backward" else {"mode": mode}
        f = public(name, op)
        outs = tuple(np.empty_like(args[0]) for _ in expected)
        r = f(*args, out=outs if op == "fused" else outs[0], **kw)
        for o, got, e in zip(outs, r if op == "fused" else (r,), expected):
            assert got is o and same_bits(o, e), (name, op, mode, "out=")
        # every output exactly over an input of the same position
        ins = tuple(a.copy() for a in args)
        outs = ins[:len(expected)] if op != "backward" else (ins[0],)
        r = f(*ins, out=outs if op == "fused" else outs[0], **kw)
        for o, got, e in zip(outs, r if op == "fused" else (r,), expected):
            assert got is o and same_bits(o, e), (name, op, mode, "in place")


def test_partial_overlap_is_computed_as_if_the_input_were_copied():
    """An output overlapping an input other than element for element is left to
    the ufunc, which copies: the result is as if the input were read first."""
    for name, op, mode in direct_keys():
        if op != "forward":
            continue
        buf = inputs(name, "forward", (65,), np.float32, seed=5)[0]
        expected = fastact.__dict__[name](buf[:-1].copy(), mode=mode)
        x, out = buf[:-1], buf[1:]
        fastact.__dict__[name](x, out=out, mode=mode)
        assert same_bits(out, expected), (name, mode)
    # fused: y overlapping grad_output by half
    x = inputs("sigmoid", "fused", (64,), np.float64, seed=6)[0]
    gbuf = np.random.default_rng(7).standard_normal(96)
    g = gbuf[:64]
    ey, eg = fastact.sigmoid_fwd_bwd(x, g.copy())
    y, gx = gbuf[32:], np.empty(64)
    fastact.sigmoid_fwd_bwd(x, g, out=(y, gx))
    assert same_bits(gx, eg) and same_bits(y, ey)


def test_float16_parameters_rounded_as_numpy_does():
    """With float16 data NumPy rounds a Python-float parameter to float16 once,
    from the double (ties to even, subnormals, -0.0, NaN); the plain path does
    the same in C (csrc/loops.c: fa_double_to_half). leaky_relu(-1, v) is
    -float16(v) exactly, so it shows the rounding itself; values that round to
    inf are declined. Then whole calls with parameters equal the ufunc's."""
    from fastact import _ufuncs
    d = _ufuncs.DIRECT[("leaky_relu", "forward", "accurate")]
    rng = np.random.default_rng(11)
    vals = list(np.exp2(rng.uniform(-30, 17, 3000)) * rng.choice([-1, 1], 3000))
    for k in range(-25, 17):  # every binade: the midpoints between float16 values and their neighbours
        for m in range(0, 1024, 37):
            b = 2.0**k * (1 + m / 1024)
            t = b * (1 + 2.0**-11) if k >= -14 else b + 2.0**-25
            vals += [t, np.nextafter(t, 0), np.nextafter(t, np.inf)]
    vals += [0.0, -0.0, 65504.0, 65519.99, 65520.0, 2.0**-25, 3 * 2.0**-25, 1e-300, np.nan]
    x = -np.ones(9, np.float16)
    declined = 0
    with np.errstate(over="ignore"):
        for v in map(float, vals):
            want = -np.float16(v)
            got = d(x, None, None, (v,))
            if got is NotImplemented:
                declined += 1
                assert np.isinf(want), v
                continue
            if np.isnan(want):
                assert np.isnan(got).all()
            else:
                assert same_bits(got, np.full(9, want)), (v, got[0], want)
    assert 0 < declined < len(vals) // 4
    x = inputs("elu", "forward", (1100,), np.float16, seed=4)[0]
    g = np.random.default_rng(3).standard_normal(1100).astype(np.float16)
    for name, ps in (("leaky_relu", (0.01,)), ("leaky_relu", (1 / 3,)), ("elu", (0.7,)),
                     ("hardtanh", (-0.3, 2.5)), ("softplus", (1.7, 5.0)), ("celu", (2.2,))):
        for op in API_SUFFIX:
            args = (x,) if op == "forward" else (x, g) if op == "fused" else (g, x)
            for mode in (MODES if op != "backward" else ("accurate",)):
                key = (name, op, mode)
                got = _ufuncs.DIRECT[key](*args, params=ps)
                expected = _ufuncs.UFUNCS[key](*args, *ps)
                assert got is not NotImplemented, key
                for r, e in zip(got if op == "fused" else (got,),
                                expected if op == "fused" else (expected,)):
                    assert same_bits(r, e), (key, ps)


def test_declines_what_it_cannot_do():
    from fastact import _ufuncs
    d = _ufuncs.DIRECT[("sigmoid", "forward", "accurate")]
    f2 = _ufuncs.DIRECT[("sigmoid", "fused", "accurate")]
    b = _ufuncs.DIRECT[("sigmoid", "backward", "accurate")]
    lr = _ufuncs.DIRECT[("leaky_relu", "forward", "accurate")]
    x = np.linspace(-3, 3, 24, dtype=np.float32)
    ro = np.empty_like(x)
    ro.flags.writeable = False

    class Sub(np.ndarray):
        pass

    declined = {
        "list": (d, ([1.0, 2.0],)),
        "0-d": (d, (np.array(1.0, np.float32),)),
        "float16, a parameter beyond float16": (lr, (x.astype(np.float16), None, None, (7e4,))),
        "int": (d, (np.arange(4),)),
        "strided": (d, (x[::2],)),
        "fortran 2-d": (d, (np.asfortranarray(x.reshape(4, 6)),)),
        "big-endian": (d, (x.astype(">f4"),)),
        "subclass": (d, (x.view(Sub),)),
        "out read-only": (d, (x, None, ro)),
        "out wrong dtype": (d, (x, None, np.empty(24))),
        "out wrong shape": (d, (x, None, np.empty(23, np.float32))),
        "out tuple (single)": (d, (x, None, (np.empty_like(x),))),
        "out strided": (d, (x, None, np.empty(48, np.float32)[::2])),
        "broadcast": (b, (x, x[:1])),
        "mixed dtypes": (b, (x, x.astype(np.float64))),
        "fused outputs the same array": (f2, (x, x.copy(), (np.empty_like(x),) * 2)),
        "fused out not a pair": (f2, (x, x.copy(), np.empty_like(x))),
    }
    for what, (fn, args) in declined.items():
        before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        assert fn(*args) is NotImplemented, what
        for a, a0 in zip(args, before):
            if isinstance(a, np.ndarray):
                assert same_bits(a, a0), (what, "an argument was written")
    # the public function then takes the ufunc, with its errors and nothing written
    with pytest.raises(ValueError, match="read-only"):
        fastact.sigmoid(x, out=ro)
    assert fastact.sigmoid(x.view(Sub)).__class__ is Sub


@pytest.mark.parametrize("action", ["ignore", "warn", "raise", "call"])
def test_flags_reported_as_numpy_does(action):
    """The kernels raise no flag (csrc/fastact.h); were one raised, the plain
    path reports it under np.errstate like the ufunc. _report_flags is that step."""
    from fastact import _core
    seen = []
    with np.errstate(over=action, call=lambda kind, flags: seen.append((kind, flags))):
        if action == "raise":
            with pytest.raises(FloatingPointError, match="overflow encountered in sigmoid"):
                _core._report_flags("sigmoid", 0, 1, 0)
        elif action == "warn":
            with pytest.warns(RuntimeWarning, match="overflow encountered in sigmoid"):
                _core._report_flags("sigmoid", 0, 1, 0)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                _core._report_flags("sigmoid", 0, 1, 0)
    assert seen == ([("overflow", 2)] if action == "call" else [])


def test_flag_bookkeeping_across_calls():
    """The loop clears only the underflow its correction terms raised, and the
    plain path clears earlier flags only when some are set (both test first:
    clearing is the slow part). Call after call, on the plain path and on the
    ufunc: no spurious underflow where the results are normal, and a real
    overflow (float16 narrowing of a gradient beyond 65504) still reported."""
    x = np.full(64, -50.0, np.float32)  # log_sigmoid(-50) = -50; its low parts underflow
    x16, g16 = np.ones(16, np.float16), np.full(16, 65504, np.float16)  # selu' = 1.05 there
    for call in ("plain", "ufunc", "plain", "plain", "ufunc"):
        xs = x if call == "plain" else x[::1].reshape(8, 8).T  # a strided view: the ufunc
        with np.errstate(all="raise"):
            y = fastact.log_sigmoid(xs)
        assert (y == -50).all()
        a, g = (x16, g16) if call == "plain" else (x16[::-1], g16[::-1])
        with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
            fastact.selu_fwd_bwd(a, g)
        with np.errstate(all="raise"):
            fastact.relu(a)  # nothing left over from the call before


def test_gil_released_on_long_arrays_results_unchanged():
    """Above _NOGIL_MIN elements the loop runs without the GIL: same bits."""
    from fastact import _ufuncs
    x = np.random.default_rng(9).standard_normal(50_000).astype(np.float32) * 30
    for mode in MODES:
        assert same_bits(fastact.sigmoid(x, mode=mode), _ufuncs.UFUNCS[("sigmoid", "forward", mode)](x))


def test_parameters_given_take_the_plain_path_with_the_ufunc_bits():
    """Parameters given as Python floats or ints, by position or keyword, with
    out by position or keyword, run on the plain path; the same values through
    the ufunc give the same bits. Other parameter types take the full path."""
    from fastact import _ufuncs
    x = inputs("elu", "forward", (300,), np.float32, seed=11)[0]
    g = np.random.default_rng(12).standard_normal(300).astype(np.float32)
    for name in ("leaky_relu", "elu", "celu", "softplus", "hardtanh"):
        act = ACTIVATIONS[name]
        vals = tuple(p.default * 1.5 + (0 if isinstance(p.default, float) else 1) + 0.25
                     for p in act.params)
        if name == "hardtanh":
            vals = (-2, 3)  # ints
        d = _ufuncs.DIRECT[(name, "forward", "accurate")]
        expected = _ufuncs.UFUNCS[(name, "forward", "accurate")](x, *vals)
        assert same_bits(d(x, None, None, vals), expected), name
        f = getattr(fastact, name)
        assert same_bits(f(x, *vals), expected), (name, "positional")
        assert same_bits(f(x, **{p.name: v for p, v in zip(act.params, vals)}), expected), (
            name, "keywords")
        out = np.empty_like(x)
        assert f(x, *vals, out) is out and same_bits(out, expected), (name, "out positional")
        out = np.empty_like(x)
        assert f(x, *vals, out=out) is out and same_bits(out, expected), (name, "out keyword")
        eg = _ufuncs.UFUNCS[(name, "fused", "accurate")](x, g, *vals)
        r = getattr(fastact, name + "_fwd_bwd")(x, g, *vals)
        assert same_bits(r[0], eg[0]) and same_bits(r[1], eg[1]), (name, "fused")
        eb = _ufuncs.UFUNCS[(name, "backward", "accurate")](g, x, *vals)
        assert same_bits(getattr(fastact, name + "_backward")(g, x, *vals), eb), (name, "backward")
    d = _ufuncs.DIRECT[("leaky_relu", "forward", "accurate")]
    for other in (np.longdouble(0.2), np.int64(2), np.array(0.2), True, 1e39, 2 ** 60, "0.2"):
        assert d(x, None, None, (other,)) is NotImplemented, other
    with pytest.raises(TypeError, match="multiple values"):
        fastact.leaky_relu(x, 0.2, negative_slope=0.3)
    with pytest.raises(TypeError):
        fastact.leaky_relu(x, 0.2, None, None)


@pytest.mark.parametrize("dtype", FLOATS + (np.float16,), ids=["float32", "float64", "float16"])
def test_numpy_float_scalar_parameters_take_the_plain_path(dtype):
    """A parameter given as a NumPy float16/32/64 scalar (an np.float32 slope)
    runs on the plain path too, with the bits the ufunc gives for that value
    cast to the data's dtype (what the binder passes it), in every op."""
    from fastact import _ufuncs
    x = inputs("elu", "forward", (300,), dtype, seed=13)[0]
    g = np.random.default_rng(14).standard_normal(300).astype(dtype)
    for name, base in (("leaky_relu", (0.1,)), ("elu", (0.7,)), ("hardtanh", (-0.3, 2.5)),
                       ("softplus", (1.7, 5.0))):
        for st in (np.float16, np.float32, np.float64):
            ps = tuple(st(v) for v in base)
            for op in API_SUFFIX:
                args = (x,) if op == "forward" else (g, x) if op == "backward" else (x, g)
                key = (name, op, "accurate")
                got = _ufuncs.DIRECT[key](*args, params=ps)
                assert got is not NotImplemented, (key, st)
                expected = _ufuncs.UFUNCS[key](*args, *(np.asarray(p).astype(dtype) for p in ps))
                pub = public(name, op)(*args, *ps)
                for r, e, q in zip(*((v if op == "fused" else (v,)) for v in (got, expected, pub))):
                    assert same_bits(r, e) and same_bits(q, e), (key, st)


@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
def test_given_parameters_in_every_form(dtype):
    """Parameters given as Python numbers (the plain path, prelu's weight too),
    as arrays of x's dtype (straight to the ufunc, past the binder) or in any
    other form (the binder, which casts an array of another dtype to x's): the
    results are those of the ufunc on parameters of x's dtype, of x's dtype."""
    from fastact import _ufuncs
    rng = np.random.default_rng(21)
    x = (rng.standard_normal((4, 3, 5)) * 4).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    d = _ufuncs.PLAIN[("prelu", "forward", "accurate")]
    assert d(x) is NotImplemented                      # no weight: the binder's error
    with pytest.raises(TypeError, match="missing required argument 'weight'"):
        fastact.prelu(x)
    assert same_bits(d(x, None, None, (0.3,)), _ufuncs.UFUNCS[("prelu", "forward", "accurate")](
        x, dtype(0.3)))
    for name in ("prelu", "leaky_relu", "hardtanh", "softplus"):
        act = ACTIVATIONS[name]
        base = [0.3, 2.5][:len(act.params)] if name != "hardtanh" else [-0.5, 1.5]
        forms = {
            "python": base,
            "same dtype, per channel": [np.full((3, 1), v, dtype) for v in base],
            "same dtype, per element": [np.full(x.shape, v, dtype) for v in base],
            "other dtype": [np.full((3, 1), v, np.float64 if dtype == np.float32 else np.float32)
                            for v in base],
            "numpy scalar": [np.float64(v) for v in base],
            "int array": [np.full((3, 1), round(v + 0.6), np.int64) for v in base],
        }
        for form, ps in forms.items():
            cast = [p if type(p) is float else np.asarray(p).astype(dtype) for p in ps]
            for op in API_SUFFIX:
                args = (x,) if op == "forward" else (g, x) if op == "backward" else (x, g)
                key = (name, op, "accurate")
                expected = _ufuncs.UFUNCS[key](*args, *cast)
                got = public(name, op)(*args, *ps)
                for r, e in zip(got if op == "fused" else (got,),
                                expected if op == "fused" else (expected,)):
                    assert r.dtype == dtype and same_bits(r, e), (name, op, form)
