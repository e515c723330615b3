"""Bad input fails with a TypeError or ValueError whose message names the problem,
never a crash, and leaves a given output untouched (its bytes are compared).

Generic over the registry: every row of fastact._registry.ACTIVATIONS (public
functions and the variants reached through an option, e.g. gelu's
approximate="tanh"), each op, with the activation's parameters at their
defaults (0.25 for a required one, e.g. prelu's weight); each parameter is also
given bad values of its own. On both backends, through the public functions
(ISA names: the compiled backend only). The exception types are NumPy's own
ufuncs' for the element-wise rows (np.tanh is the model); the axis rows
(softmax, log_softmax) are not ufuncs and may raise either of the two.

What "names the problem" means here, per kind of failure (the compiled
backend's messages are NumPy's):
- an input of a dtype no loop takes: the function's name and the word "type"
  (NumPy: "ufunc 'sigmoid' not supported for the input types ...", which does
  not say which dtype; the fallback also names it);
- out of the wrong dtype: out's dtype; wrong shape: out's shape; read-only:
  "read-only";
- an unknown mode: every valid mode and the bad value;
- a parameter of the wrong shape: its shape; a required parameter left out:
  its name; where= of the wrong dtype or shape: that dtype or shape; an
  unknown keyword or casting rule: the bad name.
"""
import numpy as np
import pytest

import fastact
from conftest import compiled_only
from fastact import _registry as REG
from fastact._registry import MODES

pytestmark = pytest.mark.usefixtures("backend")

ACTS = REG.ACTIVATIONS
ROWS = tuple(ACTS)
REQUIRED_PARAM_VALUE = 0.25  # for parameters without a default (prelu's weight)


def kind(row):
    return getattr(ACTS[row], "kind", "elementwise")


ELEMENTWISE = tuple(r for r in ROWS if kind(r) == "elementwise")


def params_of(row):
    return tuple(getattr(ACTS[row], "params", ()))


def default_params(row):
    return [REQUIRED_PARAM_VALUE if p.default is None else p.default for p in params_of(row)]


def public_call(row):
    """(public function name, extra keywords) that reach the row."""
    v = getattr(ACTS[row], "variant_of", None)
    return (row, {}) if v is None else (v[0], {v[1]: v[2]})


def function(row, op):
    public, extra = public_call(row)
    fn = getattr(fastact, public + REG.API_SUFFIX[op])
    return fn, extra


def expected(row, exc):
    """The exception a bad call must raise: NumPy's for ufunc-backed rows; either
    TypeError or ValueError for the axis rows."""
    return exc if kind(row) == "elementwise" else (TypeError, ValueError)


BAD_INPUTS = {
    "object": lambda: np.array([1.0, 2.0, 3.0], dtype=object),
    "complex": lambda: np.array([1 + 1j, 2, 3]),
    "str": lambda: np.array(["a", "b", "c"]),
    "bytes": lambda: np.array([b"a", b"b", b"c"]),
    "datetime": lambda: np.array(["2020-01-01", "2020-01-02", "2020-01-03"], "datetime64[D]"),
    "timedelta": lambda: np.array([1, 2, 3], "timedelta64[s]"),
    "long double": lambda: np.ones(3, np.longdouble),
    "list of str": lambda: ["a", "b", "c"],
    "None": lambda: None,
}

SENTINEL = -123.25


def prefilled(n=3, dtype=np.float64):
    return np.full(n, SENTINEL, dtype)


def untouched(*outs):
    """Every byte of each out is still the sentinel's."""
    return all(o.tobytes() == np.full(o.shape, SENTINEL, o.dtype).tobytes() for o in outs)


def calls(row, mode, params=None):
    """(label, call(bad, outs), number of outputs) for each op, with the bad value in
    each data-input slot; the activation's parameters after the data."""
    ps = default_params(row) if params is None else params
    (f, fx), (b, bx), (fb, fbx) = (function(row, op) for op in REG.OPS)
    ok = np.ones(3)
    return [
        ("forward", lambda v, o: f(v, *ps, out=o[0], mode=mode, **fx), 1),
        ("backward grad_output", lambda v, o: b(v, ok * 0.5, *ps, out=o[0], **bx), 1),
        ("backward z", lambda v, o: b(ok, v, *ps, out=o[0], **bx), 1),
        ("fused x", lambda v, o: fb(v, ok, *ps, out=o, mode=mode, **fbx), 2),
        ("fused grad_output", lambda v, o: fb(ok, v, *ps, out=o, mode=mode, **fbx), 2),
    ]


def dtype_names(dt):
    dt = np.dtype(dt)
    return {str(dt), dt.str, dt.name}


def assert_names(info, *options, what=""):
    """The exception message contains one of `options` (case-insensitive)."""
    msg = str(info.value)
    low = msg.lower().replace(" ", "")
    assert any(o.lower().replace(" ", "") in low for o in options), (
        f"{what}: the message does not name the problem (expected one of {options}): {msg!r}")


# ---- bad inputs -------------------------------------------------------------------------

@pytest.mark.parametrize("kind_", list(BAD_INPUTS))
@pytest.mark.parametrize("row", ROWS)
def test_unsupported_input_types_raise_type_error(row, kind_, mode):
    public, _ = public_call(row)
    for label, call, nout in calls(row, mode):
        outs = tuple(prefilled() for _ in range(nout))
        with pytest.raises(expected(row, TypeError)) as info:
            call(BAD_INPUTS[kind_](), outs)
        assert_names(info, "type", what=f"{row} {label}, {kind_} input")
        if kind(row) == "elementwise":
            assert_names(info, public, what=f"{row} {label}, {kind_} input")
        assert untouched(*outs), f"{row} {label}: out written before the {kind_} TypeError"


@pytest.mark.parametrize("row", [r for r in ROWS if kind(r) == "elementwise"])
def test_unsupported_dtype_is_named(row, backend):
    """The TypeError names the dtype that has no loop, on both backends (the
    compiled ufuncs' own message names none: the public functions reword it)."""
    (f, fx), _, _ = (function(row, op) for op in REG.OPS)
    for bad, names in ((np.array([1 + 2j]), ("complex128",)),
                       (np.array(["a"]), ("<U1", "str")),
                       (np.array(["2020-01-01"], "datetime64[D]"), ("datetime64",))):
        with pytest.raises(TypeError) as info:
            f(bad, *default_params(row), **fx)
        assert_names(info, *names, what=f"{row} on {backend}")


@pytest.mark.parametrize("row", ROWS)
def test_ragged_lists_raise_value_error(row, mode):
    for label, call, nout in calls(row, mode):
        outs = tuple(prefilled() for _ in range(nout))
        with pytest.raises(ValueError) as info:
            call([[1.0], [1.0, 2.0], [3.0]], outs)
        assert_names(info, "shape", "sequence", what=f"{row} {label}, ragged list")
        assert untouched(*outs), f"{row} {label}: out written before the ragged-list error"


# ---- bad out ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4,), (1,), (3, 1), (2, 2)], ids=str)
@pytest.mark.parametrize("row", ROWS)
def test_out_of_wrong_shape_raises_value_error(row, shape, mode):
    x = np.linspace(-3, 3, 3)
    for label, call, nout in calls(row, mode):
        outs = tuple(np.full(shape, SENTINEL) for _ in range(nout))
        with pytest.raises(expected(row, ValueError)) as info:
            call(x, outs)
        assert_names(info, str(shape).replace(" ", ""), what=f"{row} {label}, out of shape {shape}")
        assert untouched(*outs), f"{row} {label}: wrong-shape out written"
    # a pair with one good and one wrong-shaped array: neither is written
    fb, extra = function(row, "fused")
    good, bad = prefilled(3), np.full(shape, SENTINEL)
    with pytest.raises(expected(row, ValueError)):
        fb(x, np.ones(3), *default_params(row), out=(good, bad), mode=mode, **extra)
    assert untouched(good, bad)


@pytest.mark.parametrize("row", ROWS)
def test_read_only_out_raises_value_error(row, mode):
    x = np.linspace(-3, 3, 3)
    for label, call, nout in calls(row, mode):
        outs = tuple(prefilled() for _ in range(nout))
        outs[-1].setflags(write=False)
        with pytest.raises(expected(row, ValueError)) as info:
            call(x, outs)
        assert_names(info, "read-only", "readonly", "not writeable", what=f"{row} {label}")
        assert untouched(*outs), f"{row} {label}: read-only out (or its partner) written"


@pytest.mark.parametrize("out_dtype", [np.int32, np.bool_, "datetime64[s]", "timedelta64[s]"],
                         ids=["int32", "bool", "datetime64", "timedelta64"])
@pytest.mark.parametrize("row", ROWS)
def test_out_of_wrong_dtype_raises_type_error(row, out_dtype, mode):
    x = np.linspace(-3, 3, 3)
    blank = np.zeros(3, out_dtype)
    for label, call, nout in calls(row, mode):
        outs = tuple(prefilled() for _ in range(nout - 1)) + (blank.copy(),)
        with pytest.raises(expected(row, TypeError)) as info:
            call(x, outs)
        assert_names(info, *dtype_names(out_dtype), what=f"{row} {label}, out of {out_dtype}")
        assert outs[-1].tobytes() == blank.tobytes() and untouched(*outs[:-1]), (
            f"{row} {label}: {out_dtype} out (or its partner) written")


@pytest.mark.parametrize("row", ROWS)
def test_out_that_is_not_an_array_raises_type_error(row, mode):
    fn, extra = function(row, "forward")
    for bad in ([0.0, 0.0, 0.0], 1.5, "out"):
        with pytest.raises(TypeError):
            fn(np.ones(3), *default_params(row), out=bad, mode=mode, **extra)


@pytest.mark.parametrize("row", ROWS)
def test_fused_out_must_be_a_pair(row):
    fb, extra = function(row, "fused")
    ps = default_params(row)
    out = prefilled()
    with pytest.raises((TypeError, ValueError)):
        fb(np.ones(3), np.ones(3), *ps, out=out, **extra)
    assert untouched(out)
    with pytest.raises((TypeError, ValueError)):
        fb(np.ones(3), np.ones(3), *ps, out=(out,), **extra)
    assert untouched(out)
    with pytest.raises((TypeError, ValueError)):
        fb(np.ones(3), np.ones(3), *ps, out=(out, prefilled(), prefilled()), **extra)
    assert untouched(out)


# ---- modes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad_mode", ["exact", "FAST", "", None, 1, "accurate "])
@pytest.mark.parametrize("row", ROWS)
def test_unknown_mode_raises_value_error_naming_the_modes(row, bad_mode):
    ps = default_params(row)
    for op in ("forward", "fused"):
        fn, extra = function(row, op)
        args = (np.ones(3),) if op == "forward" else (np.ones(3), np.ones(3))
        out = prefilled()
        kwargs = {"out": out} if op == "forward" else {"out": (out, prefilled())}
        with pytest.raises(ValueError) as info:
            fn(*args, *ps, mode=bad_mode, **kwargs, **extra)
        msg = str(info.value)
        assert all(m in msg for m in MODES), f"message does not name the modes: {msg!r}"
        assert repr(bad_mode) in msg, f"message does not show the bad value: {msg!r}"
        assert untouched(out)


@pytest.mark.parametrize("row", ROWS)
def test_mode_is_keyword_only(row):
    fn, extra = function(row, "forward")
    with pytest.raises(TypeError):
        fn(np.ones(3), *default_params(row), None, "fast", **extra)


# ---- parameters (activations that have them; they land with issue #3) ----------------------------

PARAM_CASES = [pytest.param(row, i, id=f"{row}-{p.name}")
               for row in ROWS for i, p in enumerate(params_of(row))]
if not PARAM_CASES:
    PARAM_CASES = [pytest.param(None, None, marks=pytest.mark.skip(
        reason="no activation in the registry has parameters yet (they land with #3)"))]

BAD_PARAMS = {
    "str": lambda n: "abc",
    "None": lambda n: None,
    "complex": lambda n: 1 + 2j,
    "object array": lambda n: np.full(n, 0.5, dtype=object),
    "str array": lambda n: np.array(["a"] * n),
    "datetime array": lambda n: np.zeros(n, "datetime64[s]"),
    "list of str": lambda n: ["a"] * n,
}


REQUIRED_CASES = [pytest.param(row, i, id=f"{row}-{p.name}")
                  for row in ROWS for i, p in enumerate(params_of(row)) if p.default is None]
if not REQUIRED_CASES:
    REQUIRED_CASES = [pytest.param(None, None, marks=pytest.mark.skip(
        reason="no activation in the registry has a required parameter yet (prelu, #3)"))]


def _with_param(row, i, value):
    ps = default_params(row)
    ps[i] = value
    return ps


@pytest.mark.parametrize("row,i", PARAM_CASES)
def test_parameter_of_wrong_type_raises_type_error(row, i, mode):
    name = params_of(row)[i].name
    for bad, make in BAD_PARAMS.items():
        for label, call, nout in calls(row, mode, _with_param(row, i, make(3))):
            outs = tuple(prefilled() for _ in range(nout))
            with pytest.raises(TypeError) as info:
                call(np.linspace(-3, 3, 3), outs)
            assert_names(info, "type", name, what=f"{row} {label}, {name} as {bad}")
            assert untouched(*outs), f"{row} {label}: out written before the bad {name} ({bad})"


@pytest.mark.parametrize("row,i", PARAM_CASES)
def test_parameter_of_wrong_shape_raises_value_error(row, i, mode):
    name = params_of(row)[i].name
    for shape in [(4,), (2, 4), (3, 2)]:
        value = np.full(shape, default_params(row)[i])
        for label, call, nout in calls(row, mode, _with_param(row, i, value)):
            outs = tuple(prefilled() for _ in range(nout))
            with pytest.raises(ValueError) as info:
                call(np.linspace(-3, 3, 3), outs)
            assert_names(info, str(shape).replace(" ", ""), name,
                         what=f"{row} {label}, {name} of shape {shape}")
            assert untouched(*outs), f"{row} {label}: out written before the {shape} {name}"


@pytest.mark.parametrize("row,i", REQUIRED_CASES)
def test_required_parameter_left_out_raises_type_error_naming_it(row, i):
    p = params_of(row)[i]
    ps = default_params(row)[:i]  # the ones before it; it and the rest left out
    fn, extra = function(row, "forward")
    with pytest.raises(TypeError) as info:
        fn(np.ones(3), *ps, **extra)
    assert_names(info, p.name, what=f"{row} without {p.name}")


# ---- other ufunc keywords (element-wise rows) ---------------------------------------------------

@pytest.mark.parametrize("row", ELEMENTWISE)
def test_bad_ufunc_keywords_raise_and_leave_out_untouched(row):
    fn, extra = function(row, "forward")
    ps = default_params(row)
    x = np.linspace(-3, 3, 3)
    cases = [
        ("where of strings", dict(where=np.array(["a", "b", "c"])), TypeError, ("<U1", "str")),
        ("where of floats", dict(where=np.ones(3)), TypeError, ("float64",)),
        ("where of the wrong shape", dict(where=np.ones(4, bool)), ValueError, ("(4,)",)),
        ("dtype without a loop", dict(dtype=np.int32), TypeError, ("loop",)),
        ("unknown casting rule", dict(casting="bogus"), ValueError, ("bogus",)),
        ("unknown keyword", dict(bogus_keyword=1), TypeError, ("bogus_keyword",)),
    ]
    for label, kw, exc, names in cases:
        out = prefilled()
        with pytest.raises(exc) as info:
            fn(x, *ps, out=out, **kw, **extra)
        assert_names(info, *names, what=f"{row}, {label}")
        assert untouched(out), f"{row}: out written despite the {label}"


# ---- ISA names (compiled backend) --------------------------------------------------------------

@compiled_only("ISA switching: the fallback has no ISAs")
def test_set_isa_rejects_unknown_names():
    from fastact import _ufuncs
    before = _ufuncs.get_isa()
    for bad in ("nonsense", "AVX2", "", "avx512f"):
        with pytest.raises(ValueError) as info:
            _ufuncs.set_isa(bad)
        assert repr(bad) in str(info.value)
        assert _ufuncs.get_isa() == before
    with pytest.raises(ValueError):
        _ufuncs.isa_supported("nonsense")


@compiled_only("ISA switching: the fallback has no ISAs")
def test_set_isa_rejects_levels_this_cpu_lacks():
    from fastact import _ufuncs
    missing = [i for i in _ufuncs.ISAS if not _ufuncs.isa_supported(i)]
    if not missing:
        pytest.skip("this CPU runs every compiled ISA")
    before = _ufuncs.get_isa()
    for isa in missing:
        with pytest.raises(ValueError):
            _ufuncs.set_isa(isa)
        assert _ufuncs.get_isa() == before


def test_errors_leave_the_backend_usable():
    """After each kind of failure above, the same function still works and
    earlier results are intact (more in test_memory.py)."""
    for row in ROWS:
        fn, extra = function(row, "forward")
        ps = default_params(row)
        before = fn(np.linspace(-2, 2, 5), *ps, **extra)
        kept = before.copy()
        for bad in (np.array(["x"]), None, np.ones(3, complex)):
            with pytest.raises((TypeError, ValueError)):
                fn(bad, *ps, **extra)
        with pytest.raises(ValueError):
            fn(np.ones(3), *ps, out=np.empty(4), **extra)
        after = fn(np.linspace(-2, 2, 5), *ps, **extra)
        assert after.tobytes() == kept.tobytes() == before.tobytes(), row
