"""Shared fixtures for the tests of fastact's compiled core.

`isa` runs a test once per SIMD level this CPU supports (switched in-process
with fastact._ufuncs.set_isa, restored afterwards); `mode` once per mode.
Set FASTACT_REQUIRE_COMPILED=1 (CI does) to turn a silent fallback to the
pure-Python backend into a failure of every test.
"""
import contextlib
import os
import sys

import numpy as np
import pytest

import fastact
from fastact._registry import ACTIVATIONS, MODES

sys.path.insert(0, os.path.dirname(__file__))  # tests/reference.py, imported as `reference`

COMPILED = fastact.backend == "compiled"
if COMPILED:
    from fastact import _ufuncs

    ALL_ISAS = tuple(_ufuncs.ISAS)
    SUPPORTED_ISAS = tuple(i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i))
else:
    _ufuncs = None
    ALL_ISAS = SUPPORTED_ISAS = ()

NAMES = tuple(ACTIVATIONS)

# With FASTACT_REQUIRE_COMPILED=1 nothing is skipped for want of the compiled
# backend: every test runs into the session check below and fails.
REQUIRE_COMPILED = os.environ.get("FASTACT_REQUIRE_COMPILED", "") == "1"
needs_compiled = pytest.mark.skipif(not COMPILED and not REQUIRE_COMPILED,
                                    reason="compiled backend not loaded")


@pytest.fixture(autouse=True, scope="session")
def _require_compiled_backend():
    """With FASTACT_REQUIRE_COMPILED=1, a pure-Python backend is an error of
    every test, not a quiet skip of the compiled-core tests."""
    if REQUIRE_COMPILED and fastact.backend != "compiled":
        pytest.fail(f"FASTACT_REQUIRE_COMPILED=1 but fastact.backend is {fastact.backend!r}: "
                    "the compiled extension did not load (or FASTACT_PURE_PYTHON is set)",
                    pytrace=False)


@contextlib.contextmanager
def using_isa(name):
    """Run the block with every fastact ufunc on ISA `name`, then restore."""
    previous = _ufuncs.get_isa()
    _ufuncs.set_isa(name)
    try:
        yield name
    finally:
        _ufuncs.set_isa(previous)


def _isa_params():
    if not SUPPORTED_ISAS:
        if REQUIRE_COMPILED:
            return [None]  # fails in _require_compiled_backend
        return [pytest.param(None, marks=pytest.mark.skip(reason="compiled backend not loaded"))]
    return list(SUPPORTED_ISAS)


@pytest.fixture(params=_isa_params())
def isa(request):
    """Each SIMD level this CPU supports, active for the duration of the test."""
    with using_isa(request.param):
        assert _ufuncs.get_isa() == request.param
        yield request.param


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


@pytest.fixture(params=NAMES)
def name(request):
    return request.param


def bound(name, op, mode, dtype):
    """The registry's measured error bound: the only source of test tolerances."""
    return ACTIVATIONS[name].bounds[(op, mode, np.dtype(dtype).name)]


def ufunc(name, op, mode="accurate"):
    return _ufuncs.UFUNCS[(name, op, mode)]


def forward(name):
    return getattr(fastact, name)


def backward(name):
    return getattr(fastact, f"{name}_backward")


def fwd_bwd(name):
    return getattr(fastact, f"{name}_fwd_bwd")
