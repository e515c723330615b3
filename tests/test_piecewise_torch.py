"""The piecewise family against torch 2.x CPU (when importable) and the
semantics torch does not pin down (NaN bounds, min_val > max_val), on every
ISA and the fallback (the `isa` fixture).

Where fastact departs from torch on purpose it is tested as such: NaN x gives
NaN gradients (torch's selects pass grad_output through), hardswish and
softsign are rounded about once (torch: two or three roundings), +-inf give
softsign's limits and hardswish(-inf) = -0.0 (torch: NaN), hardswish is x
itself above 3 (torch's x * 6 / 6 is an ulp off or overflows)."""
import numpy as np
import pytest

import fastact

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _x(dtype):
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.standard_normal(20000) * 4, rng.uniform(-7, 7, 20000),
                        [-6, -3, -1.5, -1, -0.0, 0, 1, 1.5, 3, 6, 1e30, -1e30]]).astype(dtype)
    near = np.concatenate([np.nextafter(x[-12:], dtype(np.inf)),
                           np.nextafter(x[-12:], dtype(-np.inf))])
    return np.concatenate([x, near])


def _torch_grad(fn, x, g, **kw):
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    y = fn(xt, **kw)
    y.backward(torch.from_numpy(g))
    return y.detach().numpy(), xt.grad.numpy()


def _same(a, b):
    """bit-identical, zero signs included"""
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


CASES = [("relu6", F.relu6, {}, {}), ("hardtanh", F.hardtanh, {}, {}),
         ("hardtanh", F.hardtanh, {"min_val": -2.5, "max_val": 0.5}, {}),
         ("hardsigmoid", F.hardsigmoid, {}, {"float64 gradient": True})]


@pytest.mark.parametrize("name,tfn,kw,notes", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bit_identical_to_torch(name, tfn, kw, notes, dtype, isa):
    """relu6, hardtanh, hardsigmoid: forward and gradient bit for bit (torch's
    float64 hardsigmoid gradient multiplies by the float32 1/6: fastact uses
    the float64 one, so there only the forward is identical)."""
    x = _x(dtype)
    g = np.random.default_rng(4).standard_normal(x.size).astype(dtype)
    ty, tg = _torch_grad(tfn, x, g, **kw)
    y, gx = getattr(fastact, name + "_fwd_bwd")(x, g, **kw)
    if isa is None and name == "hardsigmoid":
        # the fallback rounds the float64 formula once: within the 1-ulp bound of torch's
        np.testing.assert_allclose(y, ty, rtol=np.finfo(dtype).eps, atol=0)
        np.testing.assert_allclose(gx, tg, rtol=3.5e-8 if dtype == np.float64 else 2.4e-7)
        return
    _same(y, ty)
    if dtype == np.float64 and notes.get("float64 gradient"):
        np.testing.assert_allclose(gx, tg, rtol=3.5e-8)  # RN32(1/6) is 3e-8 off
        np.testing.assert_array_equal(gx, np.where((x > -3) & (x < 3), g * (1 / 6), 0))
    else:
        _same(gx, tg)


@pytest.mark.parametrize("name", ["hardswish", "softsign"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_close_to_torch(name, dtype, isa):
    """Within torch's own rounding error where torch's result is finite: its
    two or three roundings (4 ulp), and its gradient x / 3 + 1/2, which cancels
    near x = -1.5 (eps absolute); the same zero signs; gradients at and next to
    +-3 are torch's."""
    x = _x(dtype)
    x = x[np.abs(x) < 1e6]
    g = np.ones_like(x)
    ty, tg = _torch_grad(getattr(F, name), x, g)
    y, gx = getattr(fastact, name + "_fwd_bwd")(x, g)
    for a, b in ((y, ty), (gx, tg)):
        tol = 4 * np.spacing(np.abs(b).astype(dtype)) + np.finfo(dtype).eps
        assert (np.abs(a - b) <= tol).all(), x[np.argmax(np.abs(a - b) - tol)]
    zero = y == 0
    np.testing.assert_array_equal(np.signbit(y[zero]), np.signbit(ty[zero]))
    if name == "hardswish":
        k = np.isin(x, [-3, 3])
        assert k.sum() == 2
        np.testing.assert_array_equal(gx[k], tg[k])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prelu_bit_identical_to_torch(dtype, isa):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 9)).astype(dtype)
    x[0, 0, :3] = [0.0, -0.0, 1e-40 if dtype == np.float32 else 1e-310]
    w = rng.uniform(-2, 2, 3).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    y = F.prelu(xt, torch.from_numpy(w))
    y.backward(torch.from_numpy(g))
    fy, fg = fastact.prelu_fwd_bwd(x, g, w.reshape(3, 1))
    _same(fy, y.detach().numpy())
    _same(fg, xt.grad.numpy())


def test_hardtanh_nan_bounds_and_crossed_bounds(isa):
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0, np.nan], np.float32)
    with np.errstate(all="raise"):
        y, gx = fastact.hardtanh_fwd_bwd(x, np.ones_like(x), np.float32(np.nan), 1.0)
        assert np.isnan(y).all() and np.isnan(gx).all()        # torch: NaN too
        y, gx = fastact.hardtanh_fwd_bwd(x, np.ones_like(x), -1.0, np.nan)
        assert np.isnan(y).all() and np.isnan(gx).all()
        # min_val > max_val: torch.clamp's answer, max_val everywhere; gradient 0
        y, gx = fastact.hardtanh_fwd_bwd(x[:5], np.ones(5, np.float32), 1.0, -1.0)
    np.testing.assert_array_equal(y, torch.clamp(torch.from_numpy(x[:5]), 1.0, -1.0).numpy())
    np.testing.assert_array_equal(gx, 0)


def test_deliberate_departures_from_torch(isa):
    inf = np.inf
    x = np.array([-inf, inf, 3e38, -3e38, np.nan], np.float32)
    with np.errstate(all="raise"):
        y, g = fastact.softsign_fwd_bwd(x, np.ones_like(x))
    np.testing.assert_array_equal(y[:4], [-1, 1, 1, -1])
    np.testing.assert_array_equal(g[:4], 0)
    assert np.isnan(y[4]) and np.isnan(g[4])
    with np.errstate(all="raise"):
        y, g = fastact.hardswish_fwd_bwd(x, np.ones_like(x))
    _same(y[:4], np.array([-0.0, inf, 3e38, -0.0], np.float32))
    np.testing.assert_array_equal(g[:4], [0, 1, 1, 0])
    assert np.isnan(y[4]) and np.isnan(g[4])
    for name in ("relu6", "hardtanh", "hardsigmoid", "prelu"):
        args = (np.float32(0.25),) if name == "prelu" else ()
        y, g = getattr(fastact, name + "_fwd_bwd")(np.array([np.nan], np.float32),
                                                   np.ones(1, np.float32), *args)
        assert np.isnan(y[0]) and np.isnan(g[0]), name     # torch's gradient: grad_output
