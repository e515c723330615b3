"""The worked examples (examples/xor.py, examples/logistic_regression.py)
converge with their fixed seeds, and their fastact and plain-NumPy versions
agree. Run on both backends (the examples call fastact's public API, which the
`backend` fixture points at the compiled module or the fallback)."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def load(name):
    spec = importlib.util.spec_from_file_location(f"fastact_example_{name}",
                                                  os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


xor = load("xor")
logistic_regression = load("logistic_regression")

# How far the fastact and NumPy loss curves may drift apart, relative to the loss.
# Each step, fastact's sigmoid (<= 1 ulp) and NumPy's 1/(1+np.exp(-x)) (a few
# ulps) differ by about an ulp on a third of the elements, and so do the two
# derivative formulas; the difference enters the weights and is carried from
# epoch to epoch. XOR, 2000 epochs of 4 rows, seeds 0-5: worst 7.2e-15 in
# float64 (32 ulps, about the sqrt(2000) ~ 45 of a random walk of 1-ulp steps)
# and 4.2e-6 in float32 (35 float32 ulps). The tolerances below are 100x (float64)
# and 25x (float32) that, and still 10^4 times smaller than the loss moves in
# one epoch early in training, so a wrong derivative could not hide in them.
XOR_RTOL = {"float64": 1e-12, "float32": 1e-4}
# Logistic regression averages the 1-ulp differences of the sigmoid over every
# row before they reach the weights, so the curves stay within an ulp or two:
# worst 3.1e-16 (float64) and 1.8e-7 (float32) relative, 100,000 x 10 and 100
# epochs. Tolerances: 100x and 50x that.
LOGREG_RTOL = {"float64": 3e-14, "float32": 1e-5}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_xor_converges_and_versions_agree(dtype, backend, capsys):
    # seed 0 first goes below 0.01 at epoch 633 (float64 and float32 alike), 0.0053 at 800
    results = xor.main(["--epochs", "800", "--every", "1", "--dtype", dtype])
    a, b = results["fastact"], results["numpy"]
    assert a["losses"][-1] < 0.01 and b["losses"][-1] < 0.01, (a["losses"][-1], b["losses"][-1])
    assert a["losses"][0] > 0.2                     # it did learn: the start is far from 0.01
    np.testing.assert_allclose(a["losses"], b["losses"], rtol=XOR_RTOL[dtype], atol=0)
    # XOR itself: each of the four rows on the right side of 0.5
    assert np.array_equal(a["predictions"] > 0.5, [False, True, True, False]), a["predictions"]
    out = capsys.readouterr().out
    assert "loss fastact" in out and "loss numpy" in out and "time per epoch" in out
    assert len([line for line in out.splitlines() if line.strip()[:1].isdigit()]) == 800


def test_xor_repeat_keeps_the_loss(backend):
    """Tiling the 4 rows changes the arrays' size, not the problem: the same
    losses up to the rounding of the longer sums (a few ulps per epoch)."""
    one = xor.train("fastact", epochs=50, every=1)
    tiled = xor.train("fastact", epochs=50, every=1, repeat=64)
    np.testing.assert_allclose(tiled["losses"], one["losses"], rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_logistic_regression_converges_and_versions_agree(dtype, backend, capsys):
    # 20,000 rows and 60 epochs: the loss is within 6e-5 of its minimum by epoch 50
    results = logistic_regression.main(["--samples", "20000", "--epochs", "60", "--every", "1",
                                        "--dtype", dtype])
    a, b = results["fastact"], results["numpy"]
    np.testing.assert_allclose(a["losses"], b["losses"], rtol=LOGREG_RTOL[dtype], atol=0)
    assert a["accuracy"] == b["accuracy"]
    # Converged: the maximum-likelihood fit is better on its own training set than
    # the weights that generated the labels, and gradient descent gets there
    # (it passes them at epoch 40 here); it classifies as well as they do, to
    # within 1% of the rows.
    assert a["losses"][-1] < results["true_loss"], (a["losses"][-1], results["true_loss"])
    assert a["accuracy"] >= results["true_accuracy"] - 0.01
    # The generating model gets 83% right on this set (w* of norm 3.0 for seed 0:
    # about 17% of the labels are drawn against the odds) and the majority class
    # is 55%; 0.8 fails a model that did not learn.
    assert a["accuracy"] > 0.8
    assert np.all(np.diff(a["losses"]) <= 1e-12)          # gradient descent never went up
    assert "training accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("script", ["xor.py", "logistic_regression.py"])
def test_examples_run_as_scripts(script, tmp_path):
    """`python examples/<script>` works as written, also from another directory
    in a checkout where fastact is not installed."""
    args = {"xor.py": ["--epochs", "20"], "logistic_regression.py": ["--samples", "500",
                                                                     "--epochs", "5"]}[script]
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)] + args, cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "time per epoch" in r.stdout
