"""Choosing the SIMD path: FASTACT_ISA and FASTACT_PURE_PYTHON at import (in
fresh interpreters), set_isa in-process, show_config reporting the live path,
and every path giving results within the accuracy bounds."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest

import fastact
import reference as R
from conftest import ALL_ISAS, NAMES, SUPPORTED_ISAS, backward, bound, compiled_only, fwd_bwd, \
    forward, needs_compiled, using_isa

pytestmark = [needs_compiled, compiled_only(
    "SIMD dispatch (FASTACT_ISA, set_isa, show_config's SIMD path) exists only in the compiled "
    "backend")]

# The directory holding the fastact these tests import (the installed package, or
# a checkout with the extension built in place), so that subprocesses test it too.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(fastact.__file__)))


def run_python(code, **env_vars):
    """Run code in a fresh interpreter importing the same fastact; (stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTACT_")}
    env["PYTHONPATH"] = PACKAGE_PARENT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_vars)
    p = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(PACKAGE_PARENT),
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{code!r} with {env_vars} failed:\n{p.stderr}"
    return p.stdout, p.stderr


def expected_level(cap):
    """The forced level if this CPU runs it, else the best supported one below it."""
    below = [i for i in ALL_ISAS[: ALL_ISAS.index(cap) + 1] if i in SUPPORTED_ISAS]
    return below[-1]


REPORT = ("import fastact; from fastact import _ufuncs as u; "
          "print(fastact.backend, u.get_isa(), u.best_isa()); fastact.show_config()")


def test_default_level_is_the_best_supported():
    out, _ = run_python(REPORT)
    backend, active, best = out.splitlines()[0].split()
    assert backend == "compiled"
    assert best == SUPPORTED_ISAS[-1]
    assert active == best
    assert f"SIMD path: {best}" in out


@pytest.mark.parametrize("cap", ALL_ISAS)
def test_fastact_isa_caps_the_level(cap):
    out, _ = run_python(REPORT, FASTACT_ISA=cap)
    backend, active, best = out.splitlines()[0].split()
    assert backend == "compiled"
    assert active == expected_level(cap), out
    assert best == SUPPORTED_ISAS[-1]
    assert f"SIMD path: {active}" in out, out
    assert f"FASTACT_ISA={cap}" in out, out


def test_fastact_isa_level_computes_the_same_as_set_isa():
    """A capped process computes what set_isa gives in this one (same kernels)."""
    x = np.linspace(-20, 20, 1001)
    code = ("import numpy as np, fastact, sys; x = np.linspace(-20, 20, 1001); "
            "sys.stdout.write(fastact.sigmoid(x).tobytes().hex())")
    for isa in SUPPORTED_ISAS:
        out, _ = run_python(code, FASTACT_ISA=isa)
        with using_isa(isa):
            assert bytes.fromhex(out) == forward("sigmoid")(x).tobytes(), isa


def test_unknown_fastact_isa_is_reported():
    out, err = run_python(REPORT, FASTACT_ISA="avx9000")
    assert out.splitlines()[0].split()[1] == SUPPORTED_ISAS[-1]
    assert "avx9000" in err, f"nothing reported on stderr: {err!r}"


def test_pure_python_environment_variable():
    code = ("import fastact; print(fastact.backend); "
            "print(type(fastact._impl).__name__, fastact._impl.__name__); fastact.show_config()")
    out, _ = run_python(code, FASTACT_PURE_PYTHON="1")
    lines = out.splitlines()
    assert lines[0] == "python"
    assert lines[1].split()[1] == "fastact._fallback"
    assert "backend: python" in out and "SIMD path" not in out
    out, _ = run_python(code, FASTACT_PURE_PYTHON="0")
    assert out.splitlines()[0] == "compiled"


def test_show_config_reports_the_active_path(isa):
    buf = io.StringIO()
    fastact.show_config(file=buf)
    text = buf.getvalue()
    assert "backend: compiled" in text
    assert f"SIMD path: {isa} " in text, text
    assert f"best on this CPU: {SUPPORTED_ISAS[-1]}" in text
    info = fastact.config()
    assert info["isa"] == isa and info["backend"] == "compiled"
    assert info["isa_supported"] == list(SUPPORTED_ISAS)
    assert set(info["isa_supported"]) <= set(info["isa_compiled"])


def test_isa_table():
    from fastact import _ufuncs
    assert tuple(_ufuncs.ISAS) == ("scalar", "sse2", "avx2", "avx512")
    assert _ufuncs.isa_supported("scalar")
    assert _ufuncs.best_isa() == SUPPORTED_ISAS[-1]
    if os.uname().machine in ("x86_64", "AMD64"):
        assert _ufuncs.isa_supported("sse2"), "SSE2 is the x86-64 baseline"


def test_set_isa_switches_and_restores():
    from fastact import _ufuncs
    start = _ufuncs.get_isa()
    for isa in SUPPORTED_ISAS:
        with using_isa(isa):
            assert _ufuncs.get_isa() == isa
            for other in SUPPORTED_ISAS:
                _ufuncs.set_isa(other)
                assert _ufuncs.get_isa() == other
            _ufuncs.set_isa(isa)
        assert _ufuncs.get_isa() == start


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_every_path_is_accurate_and_they_agree(name, dtype, mode):
    """Each ISA within the bound of the reference, hence within twice the bound of
    each other; the backward (no rounding freedom) identical on all of them."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(50_000) * np.exp2(rng.integers(-20, 7, 50_000))).astype(dtype)
    g = rng.standard_normal(x.size).astype(dtype)
    ref = R.FORWARD[name](x)
    b = bound(name, "forward", mode, dtype)
    y_in = ref.astype(dtype)  # the same cached outputs for every ISA's backward
    results, grads_back = {}, {}
    for isa in SUPPORTED_ISAS:
        with using_isa(isa):
            y = forward(name)(x, mode=mode)
            results[isa] = y
            grads_back[isa] = backward(name)(g, y_in)
            yy, _ = fwd_bwd(name)(x, g, mode=mode)
            assert np.array_equal(yy, y), f"{isa}: fused y differs from forward"
        R.check_bound(x, y, ref, b, dtype, f"{name} {mode} {np.dtype(dtype).name} on {isa}")
    first = SUPPORTED_ISAS[0]
    for isa in SUPPORTED_ISAS[1:]:
        a, c = results[first].astype(ref.dtype), results[isa].astype(ref.dtype)
        if b.ulp is not None:
            diff = np.abs(a - c) / R.ulp_of(ref, dtype)
            assert diff.max() <= 2 * b.ulp, f"{first} vs {isa}: {R.worst(x, diff)}"
        if b.rel is not None:
            normal = R.is_normal_result(ref, dtype)
            diff = np.where(normal, np.abs(a - c) / np.abs(ref), 0)
            assert diff.max() <= 2 * b.rel, f"{first} vs {isa}: {R.worst(x, diff)}"
        if b.abs is not None:
            diff = np.abs(a - c)
            assert diff.max() <= 2 * b.abs, f"{first} vs {isa}: {R.worst(x, diff)}"
        assert np.array_equal(grads_back[first], grads_back[isa]), f"backward {first} vs {isa}"
