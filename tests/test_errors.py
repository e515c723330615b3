"""Bad inputs fail with the exception numpy's own ufuncs raise, and leave a
given output untouched; bad modes and ISA names are refused clearly. On both
backends, through the public functions (ISA names: the compiled one only)."""
import numpy as np
import pytest

import fastact
from conftest import NAMES, backward, compiled_only, fwd_bwd, forward
from fastact._registry import MODES

pytestmark = pytest.mark.usefixtures("backend")

BAD_INPUTS = {
    "object": lambda: np.array([1.0, 2.0, 3.0], dtype=object),
    "complex": lambda: np.array([1 + 1j, 2, 3]),
    "str": lambda: np.array(["a", "b", "c"]),
    "bytes": lambda: np.array([b"a", b"b", b"c"]),
    "datetime": lambda: np.array(["2020-01-01", "2020-01-02", "2020-01-03"], "datetime64[D]"),
    "timedelta": lambda: np.array([1, 2, 3], "timedelta64[s]"),
    "list of str": lambda: ["a", "b", "c"],
    "None": lambda: None,
}

SENTINEL = -123.25


def prefilled(n=3, dtype=np.float64):
    return np.full(n, SENTINEL, dtype)


def untouched(*outs):
    return all((o == SENTINEL).all() for o in outs)


def calls(name, mode):
    """(label, call(bad, out)) for each op, with the bad value in each input slot."""
    f, b, fb = forward(name), backward(name), fwd_bwd(name)
    ok = np.ones(3)
    return [
        ("forward", lambda v, o: f(v, out=o[0], mode=mode), 1),
        ("backward grad_output", lambda v, o: b(v, ok * 0.5, out=o[0]), 1),
        ("backward output", lambda v, o: b(ok, v, out=o[0]), 1),
        ("fused x", lambda v, o: fb(v, ok, out=o, mode=mode), 2),
        ("fused grad_output", lambda v, o: fb(ok, v, out=o, mode=mode), 2),
    ]


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
@pytest.mark.parametrize("name", NAMES)
def test_unsupported_input_types_raise_type_error(name, kind, mode):
    for label, call, nout in calls(name, mode):
        outs = tuple(prefilled() for _ in range(nout))
        with pytest.raises(TypeError):
            call(BAD_INPUTS[kind](), outs)
        assert untouched(*outs), f"{label}: out written before the {kind} TypeError"


@pytest.mark.parametrize("name", NAMES)
def test_out_of_wrong_shape_raises_value_error(name, mode):
    x = np.linspace(-3, 3, 3)
    for label, call, nout in calls(name, mode):
        outs = tuple(prefilled(4) for _ in range(nout))
        with pytest.raises(ValueError):
            call(x, outs)
        assert untouched(*outs), f"{label}: wrong-shape out written"
    # a pair with one good and one wrong-shaped array: neither is written
    good, bad = prefilled(3), prefilled(5)
    with pytest.raises(ValueError):
        fwd_bwd(name)(x, np.ones(3), out=(good, bad), mode=mode)
    assert untouched(good, bad)


@pytest.mark.parametrize("name", NAMES)
def test_read_only_out_raises_value_error(name, mode):
    x = np.linspace(-3, 3, 3)
    for label, call, nout in calls(name, mode):
        outs = tuple(prefilled() for _ in range(nout))
        outs[-1].setflags(write=False)
        with pytest.raises(ValueError):
            call(x, outs)
        assert untouched(*outs), f"{label}: read-only out (or its partner) written"


@pytest.mark.parametrize("name", NAMES)
def test_integer_out_raises_type_error(name, mode):
    x = np.linspace(-3, 3, 3)
    for label, call, nout in calls(name, mode):
        outs = tuple(prefilled() for _ in range(nout - 1)) + (np.full(3, -7, np.int32),)
        with pytest.raises(TypeError):
            call(x, outs)
        assert (outs[-1] == -7).all() and untouched(*outs[:-1]), f"{label}: int32 out written"


@pytest.mark.parametrize("name", NAMES)
def test_fused_out_must_be_a_pair(name):
    out = prefilled()
    with pytest.raises((TypeError, ValueError)):
        fwd_bwd(name)(np.ones(3), np.ones(3), out=out)
    assert untouched(out)
    with pytest.raises((TypeError, ValueError)):
        fwd_bwd(name)(np.ones(3), np.ones(3), out=(out,))
    assert untouched(out)


@pytest.mark.parametrize("bad_mode", ["exact", "FAST", "", None, 1, "accurate "])
@pytest.mark.parametrize("name", NAMES)
def test_unknown_mode_raises_value_error_naming_the_modes(name, bad_mode):
    for f, args in ((forward(name), (np.ones(3),)), (fwd_bwd(name), (np.ones(3), np.ones(3)))):
        out = prefilled()
        kwargs = {"out": out} if f is forward(name) else {"out": (out, prefilled())}
        with pytest.raises(ValueError) as info:
            f(*args, mode=bad_mode, **kwargs)
        msg = str(info.value)
        assert all(m in msg for m in MODES), f"message does not name the modes: {msg!r}"
        assert repr(bad_mode) in msg, f"message does not show the bad value: {msg!r}"
        assert untouched(out)


@pytest.mark.parametrize("name", NAMES)
def test_mode_is_keyword_only(name):
    with pytest.raises(TypeError):
        forward(name)(np.ones(3), None, "fast")


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
    """After every kind of failure above, a normal call still works."""
    with pytest.raises(TypeError):
        fastact.sigmoid(np.array(["x"]))
    y = fastact.sigmoid(np.zeros(3))
    assert (y == 0.5).all()
