"""fastact.plot: the activation figures and the report's speed/accuracy plot,
rendered headless (matplotlib's Agg canvas) and checked as PNG files; and the
clear error when matplotlib is missing. The drawing tests need matplotlib (the
test extra installs it) and are skipped only where it is not installed."""
import importlib.util
import struct
import sys

import numpy as np
import pytest

from fastact import __main__ as report
from fastact import _measure as M
from fastact import plot
from fastact._registry import ACTIVATIONS

needs_mpl = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                               reason="matplotlib not installed (pip install 'fastact[plot]')")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@needs_mpl
def test_activation_grid_png(tmp_path, capsys):
    out = tmp_path / "act.png"
    assert plot.main(["sigmoid", "tanh", "-o", str(out), "--dpi", "80"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    w, h = png_size(out)
    # two panels side by side, 3.0 x 2.5 inches each at 80 dpi
    assert (w, h) == (480, 200)
    # curves, ticks and titles: well above a blank image's few hundred bytes
    assert 8_000 < out.stat().st_size < 2_000_000


@needs_mpl
def test_every_activation_draws(tmp_path):
    out = tmp_path / "all.png"
    plot.activations([], out, dpi=40)                  # no names: the whole registry
    rows = -(-len(ACTIVATIONS) // 4)
    w, h = png_size(out)
    assert w == 40 * 3 * min(4, len(ACTIVATIONS)) and h == 40 * 2.5 * rows


@needs_mpl
def test_main_command_dispatches_plot(tmp_path):
    out = tmp_path / "via_main.png"
    assert report.main(["plot", "relu" if "relu" in ACTIVATIONS else "tanh", "-o", str(out)]) == 0
    png_size(out)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_curves_are_the_function_and_its_slope(name):
    # what the panels draw: the derivative curve is the slope of the function
    # curve (central differences on a 0.01 grid; truncation h^2 f'''/6 < 1e-4
    # for these functions), except next to a kink of a piecewise function
    act = ACTIVATIONS[name]
    x = np.linspace(-6, 6, 1201)
    y, d = plot.curves(act, x)
    assert y.shape == d.shape == x.shape
    slope = (y[2:] - y[:-2]) / (x[2:] - x[:-2])
    close = np.isclose(d[1:-1], slope, rtol=1e-3, atol=1e-4)
    assert close.mean() > 0.99, x[1:-1][~close][:10]


def test_sigmoid_and_tanh_textbook_values():
    x = np.array([-50.0, 0.0, 50.0])
    y, d = plot.curves(ACTIVATIONS["sigmoid"], x)
    np.testing.assert_allclose(y, [0, 0.5, 1], atol=1e-15)
    assert d[1] == 0.25                                # the peak of the derivative
    y, d = plot.curves(ACTIVATIONS["tanh"], x)
    np.testing.assert_allclose(y, [-1, 0, 1], atol=1e-15)
    assert d[1] == 1.0


@needs_mpl
def test_report_plot_png(tmp_path):
    out = tmp_path / "speed.png"
    names = [n for n in ("sigmoid", "tanh") if n in ACTIVATIONS]
    assert report.main(["--quick", "--size", "4096", "--budget", "0.05", "--sweep", "2000",
                        "--functions", *names, "--plot", str(out)]) == 0
    w, h = png_size(out)
    assert w == 100 * 3.2 * len(names) and h == pytest.approx(100 * (2.7 + 0.4), abs=1)
    assert out.stat().st_size > 8_000


@needs_mpl
def test_speed_accuracy_draws_infinite_errors():
    # a peer whose error is inf (inf or NaN where the result is finite) is drawn
    # at the top of its panel; it once made the axis limits infinite and failed
    report_data = {"size": 10, "dtype": "float32", "activations": {"f": {"implementations": {
        "accurate": {"ns_per_element": 0.5, "errors": {"max_ulp_normal": 0.5}},
        "numpy": {"ns_per_element": 2.0, "errors": {"max_ulp_normal": float("inf")}}}}}}
    import io
    buf = io.BytesIO()
    plot.speed_accuracy(report_data, buf)
    assert buf.getvalue()[:8] == PNG_SIGNATURE


@needs_mpl
def test_speed_accuracy_draws_exact_results():
    # an exact implementation (0 ulp) lands on the floor, not off the log axis
    report_data = {"size": 10, "dtype": "float32", "activations": {"f": {"implementations": {
        "accurate": {"ns_per_element": 0.5, "errors": {"max_ulp_normal": 0.0}},
        "numpy": {"ns_per_element": 2.0, "errors": {"max_ulp_normal": 3.0,
                                                      "mismatched_nan": 4}}}}}}
    import io
    buf = io.BytesIO()
    plot.speed_accuracy(report_data, buf)
    assert buf.getvalue()[:8] == PNG_SIGNATURE


def test_missing_matplotlib_is_a_clear_error(monkeypatch, capsys, tmp_path):
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # import matplotlib fails
    with pytest.raises(ImportError, match=r"pip install 'fastact\[plot\]'"):
        plot.require_matplotlib()
    with pytest.raises(SystemExit) as exc:
        plot.main(["sigmoid", "-o", str(tmp_path / "x.png")])
    assert exc.value.code == 2
    assert "matplotlib, which is not installed" in capsys.readouterr().err
    with pytest.raises(SystemExit):             # the report refuses before measuring
        report.main(["--functions", "sigmoid", "--plot", str(tmp_path / "y.png")])
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()


def test_plot_rejects_bad_input(capsys):
    for args, message in ((["no_such_act"], "unknown activation"),
                          (["sigmoid", "--xlim", "2", "1"], "--xlim"),
                          (["sigmoid", "--cols", "0"], "--cols")):
        with pytest.raises(SystemExit) as exc:
            plot.main(args)
        assert exc.value.code == 2 and message in capsys.readouterr().err
    with pytest.raises(ValueError, match="mode"):
        plot.activations(["sigmoid"], "unused.png", mode="exact")


def test_find_activations_keeps_registry_order_of_request():
    names = list(ACTIVATIONS)[:2]
    assert [a.name for a in M.find_activations(names[::-1])] == names[::-1]
