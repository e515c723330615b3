"""prelu's weight gradient (fastact._prelu.prelu_weight_grad) against an
independent NumPy formula (always) and torch's autograd (when torch is
importable), for torch's channel convention (weight of shape (C,) on axis 1,
passed here as (C, 1, 1)), channels-last, a single shared weight, and NaN."""
import numpy as np
import pytest

import fastact
from fastact._prelu import prelu_weight_grad

CASES = [  # (x shape, fastact weight shape, torch weight shape or None)
    ((4, 3, 5, 6), (3, 1, 1), (3,)),      # NCHW, per channel
    ((4, 3, 7), (3, 1), (3,)),            # NCL
    ((2, 5, 3), (3,), None),              # channels-last
    ((4, 3, 5, 6), (1,), (1,)),           # one shared weight
    ((4, 3, 5, 6), (), None),             # a scalar weight
    ((6,), (2, 6), None),                 # weight broadcast beyond x
]


def _data(xshape, wshape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(xshape).astype(dtype)
    x.flat[::7] = 0.0                     # x == 0 contributes 0
    w = rng.uniform(-1, 1, wshape).astype(dtype)
    full = np.broadcast_shapes(xshape, wshape)
    g = rng.standard_normal(full).astype(dtype)
    return x, w, g


def _independent(g, x, w):
    """The chain rule written out one weight element at a time, in float64:
    for each weight index, the sum over the x elements it multiplies."""
    g = np.asarray(g, np.float64)
    x = np.asarray(x, np.float64)
    full = np.broadcast_shapes(g.shape, x.shape, np.shape(w))
    gb, xb = np.broadcast_to(g, full), np.broadcast_to(x, full)
    # which weight element each output element uses: broadcast an index array
    idx = np.broadcast_to(np.arange(np.size(w)).reshape(np.shape(w)), full)
    out = np.zeros(np.size(w))
    for k in range(np.size(w)):
        sel = idx == k
        xs, gs = xb[sel], gb[sel]
        out[k] = np.sum(np.where(xs > 0, 0.0, xs * gs))
    return out.reshape(np.shape(w))


@pytest.mark.parametrize("xshape,wshape,tshape", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_independent_formula(xshape, wshape, tshape, dtype):
    x, w, g = _data(xshape, wshape, dtype)
    got = prelu_weight_grad(g, x, w)
    assert got.shape == np.shape(w) and got.dtype == dtype
    ref = _independent(g, x, w)
    n = np.prod(np.broadcast_shapes(xshape, wshape)) / max(np.size(w), 1)
    tol = 4 * np.finfo(dtype).eps * np.sqrt(n) * np.abs(ref).max() + 1e-30
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol)


@pytest.mark.parametrize("xshape,wshape,tshape", [c for c in CASES if c[2] is not None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_torch_autograd(xshape, wshape, tshape, dtype):
    torch = pytest.importorskip("torch")
    x, w, g = _data(xshape, wshape, dtype)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    wt = torch.from_numpy(w.reshape(tshape).copy()).requires_grad_(True)
    y = torch.nn.functional.prelu(xt, wt)
    y.backward(torch.from_numpy(g))
    # the forward and input gradient too, with the documented channel convention
    np.testing.assert_array_equal(fastact.prelu(x, w), y.detach().numpy())
    np.testing.assert_array_equal(fastact.prelu_backward(g, x, w), xt.grad.numpy())
    got = prelu_weight_grad(g, x, w).reshape(tshape)
    ref = wt.grad.numpy()
    n = np.prod(xshape) / max(np.size(w), 1)
    tol = 4 * np.finfo(dtype).eps * np.sqrt(n) * np.abs(ref).max()
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol)


def test_nan_and_infinite_grad():
    x = np.array([[-1.0, 2.0, np.nan], [0.0, 3.0, -2.0]], np.float32)
    w = np.array([0.5, 0.5, 0.5], np.float32)
    g = np.array([[1.0, np.inf, 1.0], [1.0, np.inf, 1.0]], np.float32)
    with np.errstate(all="raise"):
        gw = prelu_weight_grad(g, x, w)
    # x > 0 contributes 0 even with g = inf; a NaN x contributes NaN (torch)
    assert gw[0] == -1.0 and gw[1] == 0.0 and np.isnan(gw[2])


def test_float16_accumulates_in_float32():
    x, w, g = _data((8, 3, 4), (3, 1), np.float16)
    got = prelu_weight_grad(g, x, w)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, _independent(g, x, w), rtol=1e-5, atol=1e-5)
