"""The registry (fastact/_registry.py) is complete, agrees with the C kernel
table, and drives the public API and its docstrings."""
import math

import numpy as np
import pytest

import fastact
from conftest import COMPILED
from fastact._registry import (ACTIVATIONS, ELEMENTWISE, EXACT, INTERNAL, MODES, OPS, PUBLIC,
                               Activation, Bound, Param)

NAMES = tuple(ACTIVATIONS)

BOUNDED_OPS = ("forward", "fused")
DTYPES = ("float32", "float64")


def test_names_equal_the_c_table():
    if not COMPILED:
        pytest.skip("compiled backend not loaded")
    from fastact import _core, _ufuncs
    assert tuple(sorted(_core.ACTIVATIONS)) == tuple(sorted(set(ELEMENTWISE) | set(INTERNAL)))
    assert len(set(_core.ACTIVATIONS)) == len(_core.ACTIVATIONS)
    for n in ELEMENTWISE:
        assert _core.SHAPES[n] == (len(ACTIVATIONS[n].params), len(ACTIVATIONS[n].modes))
    assert set(_ufuncs.UFUNCS) == {(n, op, m) for n in ELEMENTWISE + tuple(INTERNAL)
                                   for op in OPS for m in MODES}


def test_registry_entries_are_well_formed():
    assert MODES == ("accurate", "fast")
    assert OPS == ("forward", "backward", "fused")
    assert fastact.ACTIVATIONS is ACTIVATIONS
    for key, act in ACTIVATIONS.items():
        assert isinstance(act, Activation) and act.name == key
        assert act.formula.startswith(f"{key}(x) = ")
        assert act.derivative.startswith(f"{key}'(x) = ")
        assert act.backward_from in ("output", "input")
        assert act.kind in ("elementwise", "axis")
        assert act.modes in (MODES, EXACT)
        assert act.probes and all(isinstance(p, float) and math.isfinite(p) for p in act.probes)
        assert all(isinstance(p, Param) for p in act.params)
        assert len({p.name for p in act.params}) == len(act.params)
        if act.variant_of is not None:
            public, option, value = act.variant_of
            assert ACTIVATIONS[public].variant_of is None and value != ACTIVATIONS[public].default_option
        for alias in act.aliases:
            assert alias not in ACTIVATIONS


@pytest.mark.parametrize("name", NAMES)
def test_every_op_mode_dtype_has_a_bound(name):
    bounds = ACTIVATIONS[name].bounds
    expected = {(op, mode, dt) for op in BOUNDED_OPS for mode in MODES for dt in DTYPES}
    missing = expected - set(bounds)
    assert not missing, f"{name}: no bound for {sorted(missing)}"
    for key, b in bounds.items():
        assert isinstance(b, Bound), key
        assert isinstance(b.why, str) and len(b.why) > 10, f"{name} {key}: say why"
        figures = [v for v in (b.ulp, b.rel, getattr(b, "abs", None)) if v is not None]
        assert figures, f"{name} {key}: a bound with no figure cannot be tested"
        assert all(0 < v < 1e3 for v in figures), f"{name} {key}: {b}"
        op, mode, _ = key
        if mode == "accurate":
            assert b.ulp is not None, f"{name} {key}: accurate mode is an ulp contract"


@pytest.mark.parametrize("name", NAMES)
def test_accurate_bounds_are_tighter_than_fast(name):
    """An accurate bound in ulps, as relative error, is below the fast one."""
    b = ACTIVATIONS[name].bounds
    for dt in DTYPES:
        acc, fast = b[("forward", "accurate", dt)], b[("forward", "fast", dt)]
        if fast.rel is not None:
            assert acc.ulp * np.finfo(dt).eps < fast.rel, (name, dt)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_functions_exist(name):
    act = ACTIVATIONS[name]
    for attr in (name, f"{name}_backward", f"{name}_fwd_bwd", *act.aliases):
        fn = getattr(fastact, attr, None)
        assert callable(fn), f"fastact.{attr} missing"
        assert attr in fastact.__all__
    assert fastact.__dict__[name].__name__ == name
    assert fastact.__dict__[f"{name}_backward"].__name__ == f"{name}_backward"
    assert fastact.__dict__[f"{name}_fwd_bwd"].__name__ == f"{name}_fwd_bwd"


def _figures(b):
    out = []
    if b.ulp is not None:
        out.append(f"{b.ulp:g} ulp")
    if b.rel is not None:
        out.append(f"{b.rel:g}")
    if getattr(b, "abs", None) is not None:
        out.append(f"{b.abs:g}")
    return out


@pytest.mark.parametrize("name", PUBLIC)
def test_docstrings_carry_formula_and_bounds(name):
    act = ACTIVATIONS[name]
    for p in act.params:
        assert p.name in getattr(fastact, name).__doc__
    fwd = getattr(fastact, name).__doc__
    assert act.formula in fwd
    assert act.derivative in fwd
    for mode in MODES:
        for dt in DTYPES:
            b = act.bounds[("forward", mode, dt)]
            assert f"{mode}, {dt}" in fwd, f"{name}.__doc__ lacks the {mode} {dt} line"
            for fig in _figures(b):
                assert fig in fwd, f"{name}.__doc__ lacks {fig!r} ({mode}, {dt})"
    fused = getattr(fastact, f"{name}_fwd_bwd").__doc__
    assert f"y = {name}(x)" in fused and f"grad_output * {name}'(x)" in fused
    for mode in MODES:
        for dt in DTYPES:
            for fig in _figures(act.bounds[("fused", mode, dt)]):
                assert fig in fused, f"{name}_fwd_bwd.__doc__ lacks {fig!r} ({mode}, {dt})"
    bwd = getattr(fastact, f"{name}_backward").__doc__
    assert act.derivative in bwd


@pytest.mark.parametrize("name", PUBLIC)
def test_signatures_follow_torch_names(name):
    """The parameters are positional-or-keyword after the data, with the
    registry's defaults, as in torch.nn.functional."""
    import inspect
    act = ACTIVATIONS[name]
    sig = inspect.signature(getattr(fastact, name))
    params = list(sig.parameters.values())
    assert params[0].name == "x"
    for p, q in zip(act.params, params[1:]):
        assert q.name == p.name
        assert q.default == (inspect.Parameter.empty if p.default is None else p.default)
    assert "mode" in sig.parameters
    bsig = inspect.signature(getattr(fastact, name + "_backward"))
    assert list(bsig.parameters)[:2] == ["grad_output",
                                         "output" if act.backward_from == "output" else "x"]


def test_docstrings_show_every_bound_figure_kind():
    """A figure the registry states (ulp, relative, absolute) must reach the docs:
    checked on the entries that have each kind."""
    seen = set()
    for name in PUBLIC:
        act = ACTIVATIONS[name]
        for (op, mode, dt), b in act.bounds.items():
            doc = getattr(fastact, name if op == "forward" else f"{name}_fwd_bwd").__doc__
            line = next((ln for ln in doc.splitlines() if ln.strip().startswith(f"{mode}, {dt}:")),
                        None)
            assert line is not None, f"{name} {op}: no line for {mode}, {dt}"
            for kind, fig in (("ulp", b.ulp), ("rel", b.rel), ("abs", getattr(b, "abs", None))):
                if fig is not None:
                    seen.add(kind)
                    assert f"{fig:g}" in line, (
                        f"{name} {op} {mode} {dt}: {kind} {fig} not in {line!r}")
    assert "ulp" in seen and "rel" in seen
