"""The report (`python -m fastact`) and the measurement tables behind it
(fastact/_measure.py): the output's shape and JSON keys, not its timings
(timings are measured and reported, never asserted); the peers' and the
references' formulas against each other and against numerical derivatives.

The report runs in-process with --quick, a 4,096-element array, a timing
budget of 0.05 s and a 4,000-input sweep, on two activations: sigmoid (two
modes, output-based backward) and the first registry row with a parameter (the
generic parameter path), so the whole file stays within a few seconds.
"""
import io
import json
import math
import sys
import types

import numpy as np
import pytest

import fastact
from fastact import __main__ as report
from fastact import _measure as M
from fastact._registry import ACTIVATIONS, MODES

WITH_PARAMS = next((a.name for a in ACTIVATIONS.values() if M.act_params(a)), None)
FUNCTIONS = ["sigmoid"] + ([WITH_PARAMS] if WITH_PARAMS else ["tanh"])
QUICK = ["--quick", "--size", "4096", "--budget", "0.05", "--sweep", "4000"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick report: (stdout, stderr, JSON data)."""
    path = tmp_path_factory.mktemp("report") / "r.json"
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        status = report.main(QUICK + ["--functions", *FUNCTIONS, "--json", str(path)])
    finally:
        sys.stdout, sys.stderr = saved
    assert status == 0
    return out.getvalue(), err.getvalue(), json.loads(path.read_text())


def _table_rows(text, title):
    """The rows of the table under the line starting with `title`: the lines
    after its two header lines, up to the first blank line or footnote."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows = []
    for line in lines[start + 3:]:
        if not line.strip() or line.startswith(("'-'", "ulp:", "*:", "!:")):
            break
        rows.append(line)
    return rows


def test_machine_lines(quick_run):
    out, _, data = quick_run
    cfg = fastact.config()
    assert out.startswith(f"fastact {fastact.__version__}: {cfg['backend']} backend")
    if cfg["backend"] == "compiled":
        assert f"SIMD path {cfg['isa']}" in out
        assert ", ".join(cfg["isa_supported"]) in out
    assert cfg["cpu"] in out and "logical CPUs" in out and "one thread" in out
    assert data["machine"]["threads"] == 1
    assert data["machine"]["fastact"]["backend"] == cfg["backend"]


def test_one_row_per_activation_in_each_table(quick_run):
    out, _, _ = quick_run
    for title in ("Speed:", "Max error"):
        rows = _table_rows(out, title)
        assert [r.split()[0] for r in rows] == FUNCTIONS, (title, rows)


def test_speed_row_has_a_time_per_mode_and_a_speedup_per_peer(quick_run):
    out, _, data = quick_run
    row = _table_rows(out, "Speed:")[0].split()     # sigmoid: accurate, fast, peers, ratios
    peers = [k for k in data["activations"]["sigmoid"]["implementations"] if k not in MODES]
    assert len(row) == 1 + len(MODES) + 2 * len(peers)
    assert all(r.endswith("x") and len(r.split("/")) == len(MODES) for r in row[-len(peers):])


def test_json_keys_and_figures(quick_run):
    _, _, data = quick_run
    assert data["size"] == 4096 and data["dtype"] == "float32"
    assert data["error_inputs_per_function"] == 4000
    assert set(data["activations"]) == set(FUNCTIONS)
    for name, entry in data["activations"].items():
        act = ACTIVATIONS[name]
        assert entry["params"] == M.param_values(act)
        assert entry["modes"] == list(M.act_modes(act))
        assert entry["shape"] == [4096]
        impls = entry["implementations"]
        assert set(M.act_modes(act)) <= set(impls)
        assert "numpy" in impls            # every row has a NumPy expression
        for key, impl in impls.items():
            assert impl["ns_per_element"] > 0
            e = impl["errors"]
            assert e["count"] >= 4000 - 1 and e["max_ulp"] >= e["max_ulp_normal"] >= 0
            assert e["max_abs"] >= 0
            if key not in MODES:
                assert set(impl["fastact_speedup"]) == set(entry["modes"])
                ratio = impl["ns_per_element"] / impls[entry["modes"][0]]["ns_per_element"]
                assert impl["fastact_speedup"][entry["modes"][0]] == pytest.approx(ratio)


def test_fastact_accuracy_in_the_report_within_the_registry_bound(quick_run):
    # the report measures what verify checks: its figure for the accurate
    # forward stays within the registry's ulp bound (the bound's own reason
    # says how it was measured; this sweep is a subset of verify's)
    _, _, data = quick_run
    for name, entry in data["activations"].items():
        b = ACTIVATIONS[name].bounds.get(("forward", "accurate", "float32"))
        if b is not None and b.ulp is not None:
            assert entry["implementations"]["accurate"]["errors"]["max_ulp"] <= b.ulp


def test_progress_goes_to_stderr(quick_run):
    out, err, _ = quick_run
    assert "[" not in out.split("\n")[0]
    assert "%" not in out.replace("100%", "")  # no bar in stdout


def test_progress_bar_format():
    s = io.StringIO()
    p = M.Progress(4, every=0.0, stream=s, width=8)
    p.step("first")
    p.step("second", n=3)
    p.close()
    lines = s.getvalue().splitlines()
    assert lines[0].startswith("[##......]  25%") and lines[0].endswith("first")
    assert lines[1].startswith("[########] 100%")


def test_unknown_function_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        report.main(QUICK + ["--functions", "sigmoid", "no_such_act"])
    assert exc.value.code == 2
    assert "unknown activation(s) no_such_act" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--size", "0"], "--size"), (["--sweep", "0"], "--sweep"), (["--budget", "-1"], "--budget"),
    (["--dtype", "float16"], "invalid choice")])
def test_bad_options(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        report.main(args)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_missing_peer_drops_its_column(monkeypatch, capsys):
    real = M.load_peers

    def without_torch(threads=1):
        peers, notes = real(threads)
        peers["torch"] = None
        return peers, notes + ["torch not installed: its column is dropped"]
    monkeypatch.setattr(M, "load_peers", without_torch)
    assert report.main(QUICK + ["--functions", "sigmoid"]) == 0
    out = capsys.readouterr().out
    assert "note: torch not installed: its column is dropped" in out
    head = out.splitlines()[_find(out, "Speed:") + 2]
    assert "torch" not in head and "numpy" in head


def _find(text, prefix):
    return next(i for i, line in enumerate(text.splitlines()) if line.startswith(prefix))


def test_aliases_select_their_row():
    for act in ACTIVATIONS.values():
        for alias in act.aliases:
            assert M.find_activations([alias]) == [act]


# --------------------------------------------------------------------------
# the tables of _measure.py, checked against each other

# torch's parameter defaults (prelu's weight: the report's measuring value),
# for the rows of the tables whether or not they are in the registry yet
PARAMS = {"leaky_relu": {"negative_slope": 0.01}, "prelu": {"weight": 0.25},
          "elu": {"alpha": 1.0}, "celu": {"alpha": 1.0},
          "softplus": {"beta": 1.0, "threshold": 20.0},
          "hardtanh": {"min_val": -1.0, "max_val": 1.0}}
FROM_OUTPUT = {"sigmoid", "tanh", "softmax", "log_softmax"}
AXIS = {"softmax", "log_softmax"}
# kinks of the piecewise ones, kept out of the finite-difference check
KINKS = {"relu": [0], "relu6": [0, 6], "leaky_relu": [0], "prelu": [0], "elu": [0],
         "selu": [0], "celu": [0], "hardsigmoid": [-3, 3], "hardswish": [-3, 3],
         "hardtanh": [-1, 1], "softplus": [20]}


def _row(name):
    """A registry row if there is one, else a stand-in with the fields the
    tables read (name, params, backward_from, kind)."""
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    P = types.SimpleNamespace
    return P(name=name, aliases=(), numpy_expr="", torch_name=name, variant_of=None,
             backward_from="output" if name in FROM_OUTPUT else "input",
             kind="axis" if name in AXIS else "elementwise",
             params=tuple(P(name=k, default=v) for k, v in PARAMS.get(name, {}).items()))


def test_registry_rows_are_in_every_table():
    for name, act in ACTIVATIONS.items():
        assert name in M.REFERENCES, name
        assert name in M.NUMPY_BACKWARD, name
        assert M.numpy_forward(act) is not None, name
        assert set(M.param_values(act)) == set(PARAMS.get(name, {})), name


def test_registry_params_match_the_tables():
    # the tables name parameters as the registry does (torch's names)
    for name, act in ACTIVATIONS.items():
        if name in PARAMS:
            defaults = {p.name: p.default for p in M.act_params(act)}
            for k, v in PARAMS[name].items():
                assert defaults[k] in (v, None), (name, k)


def _grid(name):
    x = np.linspace(-12, 12, 4801)
    if name in AXIS:
        return x.reshape(-1, 1) * np.linspace(0.5, 1.5, 8)   # rows of 8 along the last axis
    return x


@pytest.mark.parametrize("name", sorted(M.REFERENCES))
def test_numpy_peer_matches_reference(name):
    # The peers are textbook formulas in float64, the references are written
    # not to cancel: on |x| <= 12 they agree within 1e-13 relative (a few
    # float64 roundings, amplified) or 1e-14 absolute: the peers that cancel
    # (gelu's 1 + erf, gelu_tanh's 1 + tanh) lose the relative accuracy of
    # tiny results but stay within a few eps * |x| <= 12 * 2.2e-16 = 2.7e-15.
    act = _row(name)
    x = _grid(name)
    peer = M.numpy_forward(act)
    assert peer is not None
    with np.errstate(all="ignore"):
        got = peer.fn(x)
    ref = M.forward_reference(act, x, PARAMS.get(name, {}))
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", sorted(M.NUMPY_BACKWARD))
def test_numpy_backward_matches_reference(name):
    act = _row(name)
    x = _grid(name)
    g = np.cos(3 * x) + 0.5                          # a grad_output of both signs
    p = PARAMS.get(name, {})
    y = M.forward_reference(act, x, p)
    with np.errstate(all="ignore"):
        got = M.numpy_backward(act).fn(g, y if act.backward_from == "output" else x)
    if name in AXIS:   # Jacobian-vector products of the exact softmax / log_softmax
        s = y if name == "softmax" else np.exp(y)
        want = (s * (g - (g * s).sum(-1, keepdims=True)) if name == "softmax"
                else g - s * g.sum(-1, keepdims=True))
    else:
        want = g * M.derivative_reference(act, x, p)
    # float64 formulas that cancel near the derivative's zeros (gelu, silu, mish
    # near x = -0.75, -1.28, -1.19): 1e-9 absolute covers them
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-9)


@pytest.mark.parametrize("name", sorted(n for n, r in M.REFERENCES.items() if r.derivative))
def test_derivative_reference_is_the_slope(name):
    # central differences of the forward reference with h = 2^-20 in float64:
    # truncation h^2 f'''/6 and rounding eps/h are both below 1e-8 for these
    # functions on |x| <= 12; points within 2h of a kink are left out
    act = _row(name)
    p = PARAMS.get(name, {})
    h = 2.0 ** -20
    x = np.linspace(-12, 12, 2401) + 1 / 7
    for k in KINKS.get(name, []):
        x = x[np.abs(x - k) > 2 * h]
    slope = (M.forward_reference(act, x + h, p) - M.forward_reference(act, x - h, p)) / (2 * h)
    np.testing.assert_allclose(M.derivative_reference(act, x, p), slope, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", sorted(M.NUMEXPR_FORWARD))
def test_numexpr_peer_matches_reference(name):
    ne = pytest.importorskip("numexpr")   # an optional peer: its table needs it
    act = _row(name)
    x = np.linspace(-12, 12, 4801)
    with np.errstate(all="ignore"):
        got = M.numexpr_forward(ne, act).fn(x)
    # the same formulas as NUMPY_FORWARD's, so the same tolerance
    np.testing.assert_allclose(got, M.forward_reference(act, x, PARAMS.get(name, {})),
                               rtol=1e-13, atol=1e-14)


def test_shaped_axis_rows():
    act = _row("softmax")
    assert M.shaped(act, 1 << 20) == (1024, 1024)
    assert M.shaped(act, 4096) == (64, 64)
    assert M.shaped(_row("relu"), 1000) == (1000,)
    assert math.prod(M.shaped(act, 1000)) <= 1000


def test_plan_shares_the_budget():
    impls = {f"a{i}": dict.fromkeys(range(5)) for i in range(20)}
    min_time, sweep = report.plan(impls, quick=False)
    figures = 1 + 20 * 5
    assert min_time * figures <= report.TIMING_BUDGET[False] + 1e-9
    assert sweep * 20 * 5 <= report.SWEEP_BUDGET[False]
    few = report.plan({"a": dict.fromkeys(range(5))}, quick=False)
    assert few[0] == report.MIN_TIME[1] and few[1] == report.SWEEP[1]


def test_error_inputs_of_axis_rows():
    chunks = list(report.error_inputs(_row("softmax"), np.float32, 70_000))
    assert all(c.ndim == 2 and c.shape[1] == 256 and c.dtype == np.float32 for c in chunks)
    scales = np.concatenate([np.abs(c).max(axis=1) for c in chunks])
    assert scales.min() < 0.01 and scales.max() > 100       # flat rows and saturated rows
    flat = list(report.error_inputs(_row("relu"), np.float32, 70_000))
    assert sum(c.size for c in flat) == 70_000 and all(c.ndim == 1 for c in flat)


# --------------------------------------------------------------------------
# bench/compare.py's noise rule, on made-up result files

def _compare_module():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "bench" / "compare.py"
    spec = importlib.util.spec_from_file_location("bench_compare", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _result(label, med, q1, q3, op="forward", impl="fastact"):
    return {"dtype": "float32", "size": 1000, "threads": 1, "function": "f", "op": op,
            "label": label, "mode": "accurate", "isa": None, "impl": impl,
            "seconds_per_call": med, "q1": q1, "q3": q3}


def test_compare_reports_only_changes_beyond_noise():
    compare = _compare_module()
    a = {"results": [_result("moved", 1.0, 0.98, 1.02), _result("noisy", 1.0, 0.8, 1.3),
                     _result("small", 1.0, 0.999, 1.001), _result("slower", 1.0, 0.99, 1.01),
                     _result("np.copyto", 0.5, 0.5, 0.5, op="copy", impl="numpy"),
                     _result("gone", 1.0, 1.0, 1.0)]}
    b = {"results": [_result("moved", 0.5, 0.49, 0.51),     # 2x faster, quartiles apart
                     _result("noisy", 0.7, 0.6, 0.85),      # quartile ranges overlap
                     _result("small", 0.98, 0.979, 0.981),  # apart, but under 5 %
                     _result("slower", 1.5, 1.45, 1.55),
                     _result("np.copyto", 0.25, 0.25, 0.25, op="copy", impl="numpy"),
                     _result("new", 1.0, 1.0, 1.0)]}
    faster, slower, same, only_a, only_b = compare.compare(a, b)
    assert {k[5] for _, k, *_ in faster} == {"moved", "np.copyto"}   # the copy sped up too
    assert [k[5] for _, k, *_ in slower] == ["slower"]
    assert faster[0][0] == pytest.approx(0.5) and slower[0][0] == pytest.approx(1.5)
    assert same == 2 and [k[5] for k in only_a] == ["gone"] and [k[5] for k in only_b] == ["new"]
    # relative to each run's copy (which halved too): "moved" kept pace with it
    faster, slower, *_ = compare.compare(a, b, relative_to_copy=True)
    assert [k[5] for _, k, *_ in faster] == ["np.copyto"]
    assert [k[5] for _, k, *_ in slower][:1] == ["slower"]


def test_timed_arrays_sit_apart_in_their_pages():
    """bench/ and the report time on arrays placed at distinct offsets mod 4 KiB
    (fastact._measure.placed_empty): two arrays at nearly the same offset alias
    in the load/store unit and made np.copyto, the memory-limit reference, 10x slower."""
    from fastact import _measure as M
    x, g = M.timing_inputs(1000, np.float32)
    outs = [M.placed_empty(1000, np.float32, slot) for slot in (2, 3, 4)]
    offsets = [a.ctypes.data % 4096 for a in (x, g, *outs)]
    assert offsets == [slot * 576 % 4096 for slot in range(5)]
    gaps = [(a - b) % 4096 for a in offsets for b in offsets if a != b]
    assert min(gaps) >= 512, offsets
    assert x.dtype == np.float32 and x.shape == (1000,) and np.isfinite(x).all() and x.std() > 1


def test_ncdf_in_long_double_against_mpmath():
    # _ncdf is the verify tool's Phi (NumPy has no erf): the float64 results'
    # gelu reference. Long double must hold it to well under a float64 ulp; the
    # measured worst is 0.008 float64 ulp (2^-52 relative), 0.05 leaves room for
    # the points here. Points in both tails, across the z = 1 and z = 2 seams of
    # its series and continued fraction, and where the result is subnormal.
    mpmath = pytest.importorskip("mpmath")
    x = np.concatenate([np.linspace(-38.4, 8.0, 211), [-1.4142135623730951, -2.8284271247461903,
                                                       -1e-300, 0.0, -0.0, 1e-300]])
    got = M._ncdf(x.astype(np.longdouble))
    with mpmath.workprec(160):
        want = M.mp_exact(mpmath, lambda mp, v: mp.ncdf(v), x)
    rel = np.abs((got - want) / want)
    assert rel.max() < 0.05 * 2.0 ** -52, (x[np.argmax(rel)], rel.max())


@pytest.mark.parametrize("name", ["silu", "gelu", "gelu_tanh", "mish", "softsign", "hardswish"])
def test_references_take_the_limits_at_infinity(name):
    # the formulas meet inf * 0 or inf / inf at +-inf; the references give the
    # limits there (what fastact and torch return), not NaN
    act = _row(name)
    for wide in (np.float64, np.longdouble):
        x = np.array([-np.inf, np.inf, np.nan], dtype=wide)
        y = M.forward_reference(act, x)
        d = M.derivative_reference(act, x)
        assert not np.isnan(y[:2]).any() and not np.isnan(d[:2]).any(), (y, d)
        assert np.isnan(y[2]) and np.isnan(d[2])
        big = np.array([-1e30, 1e30], dtype=wide)     # far into both saturations
        # (softsign' = 1/(1 + |x|)^2 is still 1e-60 there: atol covers it)
        np.testing.assert_allclose(y[:2][np.isfinite(y[:2])],
                                   M.forward_reference(act, big)[np.isfinite(y[:2])], rtol=1e-15)
        np.testing.assert_allclose(d[:2], M.derivative_reference(act, big), rtol=1e-15, atol=1e-50)


@pytest.mark.parametrize("name,x0", [("silu", -1.2784645427610738), ("mish", -1.1924312145154952),
                                     ("gelu", -0.75179162426122),
                                     ("gelu_tanh", -0.7524614220710163)])
def test_float64_derivative_reference_near_its_zero(name, x0):
    # long double cancels where the derivative crosses 0; mpmath takes over there,
    # so the reference keeps its relative accuracy (checked against mpmath here at
    # 160 bits on points whose results are 1e-17 and smaller)
    mpmath = pytest.importorskip("mpmath")
    act = _row(name)
    ref = M.REFERENCES[name]
    x = np.nextafter(x0, np.array([-1.0, 1.0]) * np.inf)
    x = np.concatenate([x, x0 + np.array([-1e-3, 1e-6, 0.05])])
    got = M.derivative_reference(act, x.astype(np.longdouble))
    want = M.mp_exact(mpmath, ref.mp_derivative, x)
    np.testing.assert_allclose(got.astype(float), want.astype(float), rtol=1e-15)
