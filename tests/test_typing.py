"""Type information: fastact/__init__.pyi is current, matches the runtime, and lets mypy
check typed code that uses fastact.

The stub is generated from the registry by tools/gen_stubs.py. These tests read the
stub shipped next to the fastact they import (the installed one when the suite runs
on a wheel), so they also check that the wheel ships it and py.typed.
"""
import ast
import difflib
import importlib.util
import inspect
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
from collections import namedtuple
from types import SimpleNamespace

import pytest

import fastact
from fastact import _registry

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.abspath(fastact.__file__))
STUB = os.path.join(PACKAGE, "__init__.pyi")
GENERATOR = os.path.join(os.path.dirname(HERE), "tools", "gen_stubs.py")
EXAMPLE = os.path.join(HERE, "typing_example.py")
EMPTY = inspect.Parameter.empty


def load_generator():
    if not os.path.isfile(GENERATOR):
        pytest.fail(f"{GENERATOR} not found: these tests need tools/gen_stubs.py beside tests/ "
                    "(copy both when running the suite outside the checkout)", pytrace=False)
    spec = importlib.util.spec_from_file_location("gen_stubs", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_stub():
    assert os.path.isfile(STUB), f"no type stub next to the imported fastact: {STUB}"
    with open(STUB, encoding="utf-8") as f:
        return f.read()


def stub_signatures(text):
    """{function name: [(parameter, kind, default or EMPTY)]} and {alias: target}
    from stub source."""
    kinds = inspect.Parameter
    functions, aliases = {}, {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            a = node.args
            params = []
            positional = a.posonlyargs + a.args
            pos_defaults = [EMPTY] * (len(positional) - len(a.defaults)) + a.defaults
            for arg, default in zip(positional, pos_defaults):
                kind = kinds.POSITIONAL_ONLY if arg in a.posonlyargs else kinds.POSITIONAL_OR_KEYWORD
                params.append((arg.arg, kind, default))
            if a.vararg:
                params.append((a.vararg.arg, kinds.VAR_POSITIONAL, EMPTY))
            for arg, default in zip(a.kwonlyargs, a.kw_defaults):
                params.append((arg.arg, kinds.KEYWORD_ONLY, EMPTY if default is None else default))
            if a.kwarg:
                params.append((a.kwarg.arg, kinds.VAR_KEYWORD, EMPTY))
            functions[node.name] = [(n, k, d if d is EMPTY else ast.literal_eval(d))
                                    for n, k, d in params]
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
              and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            aliases[node.targets[0].id] = node.value.id
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "__all__"):
            aliases["__all__"] = ast.literal_eval(node.value)
        elif isinstance(node, ast.ImportFrom) and node.module is None and node.level == 1:
            aliases.setdefault("__submodules__", []).extend(a.name for a in node.names)
    return functions, aliases


def runtime_signature(func):
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


def callers_view(params):
    """What a caller depends on: the name of **kwargs (or *args) is not part of it."""
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [("*" if k in variadic else n, k, d) for n, k, d in params]


def as_text(params):
    """'(x, out=None, *, mode='accurate', **ufunc_kwargs)' for the tuples above."""
    return str(inspect.Signature([inspect.Parameter(n, k, default=d) for n, k, d in params]))


# ---- the stub is current --------------------------------------------------------------

def test_stub_is_generated_from_the_current_registry():
    expected = load_generator().render(_registry)
    committed = read_stub()
    if committed != expected:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), expected.splitlines(True),
                                            "fastact/__init__.pyi", "from the registry", n=1))
        pytest.fail("fastact/__init__.pyi is stale (the registry changed): run "
                    f"`python tools/gen_stubs.py` and commit the result.\n{diff}", pytrace=False)
    assert os.path.isfile(os.path.join(PACKAGE, "py.typed")), \
        "fastact/py.typed is missing next to the imported fastact (PEP 561 marker: package-data)"


def test_stub_matches_the_runtime_signatures():
    """Every public name is in the stub, and each stubbed function has the runtime's
    parameter names, kinds and defaults (so the generator follows the API)."""
    functions, aliases = stub_signatures(read_stub())
    assert set(aliases["__all__"]) == set(fastact.__all__), (
        "stub __all__ and fastact.__all__ differ: only in stub "
        f"{sorted(set(aliases['__all__']) - set(fastact.__all__))}, only at runtime "
        f"{sorted(set(fastact.__all__) - set(aliases['__all__']))}: update tools/gen_stubs.py")
    mismatches = []
    for name, params in functions.items():
        runtime = getattr(fastact, name, None)
        assert runtime is not None, f"the stub declares fastact.{name}, which does not exist"
        if callers_view(runtime_signature(runtime)) != callers_view(params):
            mismatches.append(f"{name}: stub {as_text(params)}, "
                              f"runtime {as_text(runtime_signature(runtime))}")
    assert not mismatches, ("stub and runtime signatures differ (fix tools/gen_stubs.py or the "
                            "runtime, then regenerate):\n" + "\n".join(mismatches))
    for module in aliases.pop("__submodules__", ()):
        assert hasattr(fastact, module), f"the stub declares fastact.{module}, which is not there"
    for alias, target in aliases.items():
        if alias != "__all__":
            assert getattr(fastact, alias) is getattr(fastact, target), f"{alias} is not {target}"


Param = namedtuple("Param", "name default doc")


def _row(name, aliases=(), params=(), backward_from="input", kind="elementwise", variant_of=None):
    return SimpleNamespace(name=name, aliases=aliases, params=params, backward_from=backward_from,
                           kind=kind, variant_of=variant_of, formula=f"{name}(x)")


def test_generator_writes_the_contract_signatures_for_every_kind_of_row():
    """Rows of the shapes the registry is growing into (parameters with and without
    defaults, a variant option, an axis activation, backward from x or from y)."""
    rows = [
        _row("leaky_relu", params=(Param("negative_slope", 0.01, ""),)),
        _row("prelu", params=(Param("weight", None, ""),)),
        _row("gelu"),
        _row("gelu_tanh", variant_of=("gelu", "approximate", "tanh")),
        _row("silu", aliases=("swish",)),
        _row("softmax", backward_from="output", kind="axis"),
    ]
    registry = SimpleNamespace(ACTIVATIONS={r.name: r for r in rows}, MODES=("accurate", "fast"),
                               API_SUFFIX={"forward": "", "backward": "_backward",
                                           "fused": "_fwd_bwd"})
    functions, aliases = stub_signatures(load_generator().render(registry))
    P = inspect.Parameter
    pk, kw, var_kw = P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY, P.VAR_KEYWORD
    mode, kwargs = ("mode", kw, "accurate"), ("ufunc_kwargs", var_kw, EMPTY)
    assert functions["leaky_relu"] == [("x", pk, EMPTY), ("negative_slope", pk, 0.01),
                                       ("out", pk, None), mode, kwargs]
    assert functions["leaky_relu_backward"] == [("grad_output", pk, EMPTY), ("x", pk, EMPTY),
                                                ("negative_slope", pk, 0.01), ("out", pk, None),
                                                kwargs]
    assert functions["prelu_fwd_bwd"] == [("x", pk, EMPTY), ("grad_output", pk, EMPTY),
                                          ("weight", pk, EMPTY), ("out", pk, (None, None)),
                                          mode, kwargs]
    approximate = ("approximate", kw, "none")
    assert functions["gelu"] == [("x", pk, EMPTY), ("out", pk, None), approximate, mode, kwargs]
    assert functions["gelu_backward"] == [("grad_output", pk, EMPTY), ("x", pk, EMPTY),
                                          ("out", pk, None), approximate, kwargs]
    assert "gelu_tanh" not in functions and "gelu_tanh" not in aliases["__all__"]
    assert aliases["swish"] == "silu" and "swish" in aliases["__all__"]
    assert functions["softmax"] == [("x", pk, EMPTY), ("axis", pk, -1), ("out", pk, None), mode]
    assert functions["softmax_backward"] == [("grad_output", pk, EMPTY), ("output", pk, EMPTY),
                                             ("axis", pk, -1), ("out", pk, None)]
    rows.append(_row("odd", variant_of=("gelu", "unknown_option", "x")))
    registry.ACTIVATIONS["odd"] = rows[-1]
    with pytest.raises(ValueError, match="unknown_option"):
        load_generator().render(registry)


# ---- mypy on a typed example ----------------------------------------------------------

def _site_dirs():
    dirs = set(site.getsitepackages()) | {sysconfig.get_paths()["purelib"],
                                          sysconfig.get_paths()["platlib"]}
    if site.ENABLE_USER_SITE:
        dirs.add(site.getusersitepackages())
    return {os.path.realpath(d) for d in dirs}


MYPY_CONFIG = """\
[mypy]
strict = True
warn_unused_ignores = True
# fastact's modules are not annotated (the stub is the typed surface): their own errors
# are not the example's, as for an installed package; the stub's are (the exact
# section outranks the wildcard, which also matches fastact itself)
[mypy-fastact.*]
ignore_errors = True
[mypy-fastact]
ignore_errors = False
"""
ERROR_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): error: (?P<msg>.*)$")


def test_mypy_accepts_typed_use_and_flags_wrong_use(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it is in fastact's test extra: pip install '.[test]')")
    example = tmp_path / "typing_example.py"
    shutil.copy(EXAMPLE, example)
    (tmp_path / "mypy.ini").write_text(MYPY_CONFIG)
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    parent = os.path.realpath(os.path.dirname(PACKAGE))
    if parent not in _site_dirs():
        # a checkout (fastact imported from the source tree): point mypy at it. An
        # installed fastact is found the way users' mypy finds it, through py.typed.
        env["MYPYPATH"] = parent
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(tmp_path / "mypy.ini"),
           "--cache-dir", str(tmp_path / "cache"), "--hide-error-context", "--no-pretty",
           "--show-absolute-path", str(example)]
    p = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode in (0, 1), f"mypy failed to run ({p.returncode}):\n{p.stdout}{p.stderr}"

    with open(EXAMPLE, encoding="utf-8") as f:
        expected = {i: line.split("# mypy-error:", 1)[1].strip()
                    for i, line in enumerate(f, 1) if "# mypy-error:" in line}
    assert len(expected) >= 5, "typing_example.py lost its wrong-usage lines"
    found, unexpected = {}, []
    for line in p.stdout.splitlines():
        m = ERROR_LINE.match(line)
        if not m:
            continue
        if os.path.realpath(m["path"]) == str(example.resolve()) and int(m["line"]) in expected:
            found.setdefault(int(m["line"]), []).append(m["msg"])
        else:
            unexpected.append(line)
    assert not unexpected, ("mypy flagged code that should type-check (the correct usage, or "
                            "the stub itself):\n" + "\n".join(unexpected))
    missed = [f"line {n}: expected an error containing {frag!r}, got {found.get(n)}"
              for n, frag in expected.items() if not any(frag in msg for msg in found.get(n, []))]
    assert not missed, "mypy accepted wrong usage:\n" + "\n".join(missed) + "\n" + p.stdout


def test_typed_example_runs():
    """The correct usage mypy checks is also valid at runtime."""
    spec = importlib.util.spec_from_file_location("typing_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = module.correct_usage()
    assert x.dtype.name == "float32"
