"""Shared fixtures for the tests of fastact's two backends.

`backend` runs a test once on each backend: "compiled" (fastact._ufuncs) and
"python" (the pure-NumPy fallback, fastact._fallback), by pointing
fastact._impl, which the public functions dispatch to, at that module for the
duration of the test (fastact.backend follows; both are restored afterwards).
`isa` also takes a backend: a test that requests it runs once per SIMD level
this CPU supports on the compiled backend (switched in-process with
fastact._ufuncs.set_isa, restored afterwards) and once on the fallback, which
has no ISAs (`isa` is then None). Tests that loop over the ISAs themselves use
`isas(backend)`. `mode` runs a test once per mode.

A test (or module) that checks behaviour only the compiled backend has carries
`compiled_only(reason)`: it gets the compiled backend alone. The fallback's own
accuracy and protocol tests are in test_fallback.py.

Set FASTACT_REQUIRE_COMPILED=1 (CI does) to turn a silent fallback to the
pure-Python backend into a failure of every test; without it the compiled
parametrizations are skipped when the extension is not loaded and the fallback
ones still run.
"""
import contextlib
import os
import sys

import numpy as np
import pytest

import fastact
from fastact import _fallback
from fastact._registry import ACTIVATIONS, MODES

sys.path.insert(0, os.path.dirname(__file__))  # tests/reference.py, imported as `reference`

LOADED_BACKEND = fastact.backend  # what fastact chose at import; tests switch it
COMPILED = LOADED_BACKEND == "compiled"
if COMPILED:
    from fastact import _ufuncs

    ALL_ISAS = tuple(_ufuncs.ISAS)
    SUPPORTED_ISAS = tuple(i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i))
else:
    _ufuncs = None
    ALL_ISAS = SUPPORTED_ISAS = ()

# The activations whose backward reads the output (sigmoid, tanh): the core test
# files (test_accuracy, test_special_values, test_ufunc_protocol, test_fallback...)
# hold them to their ulp bounds in detail. test_family.py covers every
# activation of the registry, these two included, with the generic checks.
NAMES = tuple(n for n, a in ACTIVATIONS.items()
              if a.kind == "elementwise" and a.backward_from == "output")

# With FASTACT_REQUIRE_COMPILED=1 nothing is skipped for want of the compiled
# backend: every test runs into the session check below and fails.
REQUIRE_COMPILED = os.environ.get("FASTACT_REQUIRE_COMPILED", "") == "1"
needs_compiled = pytest.mark.skipif(not COMPILED and not REQUIRE_COMPILED,
                                    reason="compiled backend not loaded")


@pytest.fixture(autouse=True, scope="session")
def _require_compiled_backend():
    """With FASTACT_REQUIRE_COMPILED=1, a pure-Python backend is an error of
    every test, not a quiet skip of the compiled-core tests."""
    if REQUIRE_COMPILED and not COMPILED:
        pytest.fail(f"FASTACT_REQUIRE_COMPILED=1 but fastact.backend is {LOADED_BACKEND!r}: "
                    "the compiled extension did not load (or FASTACT_PURE_PYTHON is set)",
                    pytrace=False)


def compiled_only(reason):
    """Mark a test (or a module, via pytestmark) as checking behaviour only the
    compiled backend has: its `backend` / `isa` parametrization is the compiled
    backend alone. `reason` says what the fallback lacks or does otherwise."""
    if not reason:
        raise ValueError("compiled_only needs a reason")
    return pytest.mark.compiled_only(reason=reason)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "compiled_only(reason): runs on the compiled backend only (see conftest.py)")


BACKENDS = {"compiled": _ufuncs, "python": _fallback}


@contextlib.contextmanager
def using_backend(name):
    """Run the block with the public functions dispatching to backend `name`
    ("compiled" or "python"), then restore the previous one."""
    module = BACKENDS[name]
    if module is None:
        pytest.fail("the compiled backend is not loaded", pytrace=False)
    previous = fastact.backend, fastact._impl
    fastact.backend, fastact._impl = name, module
    try:
        yield name
    finally:
        fastact.backend, fastact._impl = previous


@contextlib.contextmanager
def using_isa(name):
    """Run the block with every fastact ufunc on ISA `name`, then restore.
    None (the fallback, which has no ISAs) switches nothing."""
    if name is None:
        assert fastact._impl is _fallback, "isa None is the fallback's, not the compiled one's"
        yield None
        return
    previous = _ufuncs.get_isa()
    _ufuncs.set_isa(name)
    try:
        yield name
    finally:
        _ufuncs.set_isa(previous)


def isas(backend):
    """The ISAs a test that loops over them runs on, for `backend`: every one
    this CPU supports (compiled), or one pass with None (the fallback)."""
    return SUPPORTED_ISAS if backend == "compiled" else (None,)


def _compiled_marks():
    # With FASTACT_REQUIRE_COMPILED=1 nothing is skipped: the test fails in
    # _require_compiled_backend instead.
    if COMPILED or REQUIRE_COMPILED:
        return ()
    return (pytest.mark.skip(reason="compiled backend not loaded"),)


def pytest_generate_tests(metafunc):
    """Parametrize `backend` (and `isa` with it, so that the fallback runs once,
    not once per ISA) for every test that uses either."""
    if "backend" not in metafunc.fixturenames:  # the closure: `isa` requests `backend`
        return
    only_compiled = metafunc.definition.get_closest_marker("compiled_only") is not None
    marks = _compiled_marks()
    if "isa" in metafunc.fixturenames:
        names = ("backend", "isa")
        compiled = [pytest.param("compiled", i, id=i, marks=marks)
                    for i in (SUPPORTED_ISAS or [None])]
        python = [pytest.param("python", None, id="python")]
    else:
        names = "backend"
        compiled = [pytest.param("compiled", id="compiled", marks=marks)]
        python = [pytest.param("python", id="python")]
    metafunc.parametrize(names, compiled + ([] if only_compiled else python), indirect=True)


@pytest.fixture
def backend(request):
    """The backend, "compiled" or "python", that the public functions dispatch
    to for the duration of the test (parametrized in pytest_generate_tests)."""
    with using_backend(request.param):
        yield request.param


@pytest.fixture
def isa(request, backend):
    """Each SIMD level this CPU supports, active for the duration of the test,
    on the compiled backend; None on the fallback."""
    with using_isa(request.param):
        if request.param is not None:
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
    """The ufunc (or the fallback's stand-in) behind a public function, on the
    backend in use."""
    return fastact._impl.get_ufunc(name, op, mode)


def forward(name):
    return getattr(fastact, name)


def backward(name):
    return getattr(fastact, f"{name}_backward")


def fwd_bwd(name):
    return getattr(fastact, f"{name}_fwd_bwd")
