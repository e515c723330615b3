"""Fit the polynomial and rational coefficients used by csrc/math and csrc/act.

    python tools/fit.py

Near-minimax fits by Lawson's iteratively reweighted least squares on a dense
Chebyshev grid, in float64 (enough for float32 kernels), then rounded to float32.
Each fit prints its coefficients (as C hex floats) and the max relative error of
the rounded coefficients evaluated in float64, which is what the kernel comments
quote. The float64 kernels use Taylor coefficients 1/k!, which need no fit.
"""
import numpy as np


def cheb_grid(a, b, m=20000):
    k = np.arange(m)
    return (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / m)


def lawson(basis, target, weight, iters=300):
    """min over c of max |weight * (basis @ c - target)|."""
    w = np.ones(len(target))
    c = None
    for _ in range(iters):
        sw = np.sqrt(w)
        A = basis * (sw * weight)[:, None]
        c, *_ = np.linalg.lstsq(A, sw * weight * target, rcond=None)
        err = np.abs(weight * (basis @ c - target))
        w = w * err
        w /= w.sum()
    return c


def hexf(c):
    """A float32 value as a C hex literal, e.g. 0x1.fffffcp-2f."""
    mant, exp = float(np.float32(c)).hex().split("p")
    return mant.rstrip("0").rstrip(".") + "p" + exp + "f"


def fit_exp(deg_total, half_width):
    """exp(t) ~ 1 + t + t^2 * P(t): fit P of degree deg_total-2 in relative error of exp."""
    t = cheb_grid(-half_width, half_width)
    t = t[t != 0]
    f = np.exp(t)
    target = (f - 1 - t) / t**2
    basis = np.vander(t, deg_total - 1, increasing=True)
    c = lawson(basis, target, t**2 / f)
    c32 = c.astype(np.float32).astype(np.float64)
    approx = 1 + t + t**2 * (np.vander(t, deg_total - 1, increasing=True) @ c32)
    return c32, np.max(np.abs(approx / f - 1))


def fit_tanh_odd(deg_q, x_max):
    """tanh(x) ~ x + x^3 * Q(x^2) on [0, x_max], relative error."""
    x = cheb_grid(0, x_max)
    x = x[x > 1e-4]
    f = np.tanh(x)
    s = x * x
    target = (f - x) / x**3
    basis = np.vander(s, deg_q + 1, increasing=True)
    c = lawson(basis, target, x**3 / f)
    c32 = c.astype(np.float32).astype(np.float64)
    approx = x + x**3 * (basis @ c32)
    return c32, np.max(np.abs(approx / f - 1))


def fit_tanh_rational(deg_p, deg_q, x_max, iters=60):
    """tanh(x) ~ x * P(x^2) / Q(x^2) with Q(0) = 1, relative error, by Loeb's
    linearisation (P - f Q, weighted by 1 / (f Q_prev)) with Lawson weights."""
    x = cheb_grid(0, x_max)
    x = x[x > 1e-4]
    f = np.tanh(x)
    s = x * x
    Vp = np.vander(s, deg_p + 1, increasing=True) * x[:, None]
    Vq = np.vander(s, deg_q + 1, increasing=True)
    q_prev = np.ones_like(x)
    w = np.ones_like(x)
    for _ in range(iters):
        # unknowns: p0..p_degp, q1..q_degq (q0 = 1): P - f*(Q-1) = f
        A = np.hstack([Vp, -f[:, None] * Vq[:, 1:]])
        scale = np.sqrt(w) / (f * q_prev)
        c, *_ = np.linalg.lstsq(A * scale[:, None], f * scale, rcond=None)
        p, q = c[: deg_p + 1], np.concatenate([[1.0], c[deg_p + 1 :]])
        q_prev = Vq @ q
        err = np.abs((Vp @ p) / (q_prev * f) - 1)
        w = w * err
        w /= w.sum()
    p32 = p.astype(np.float32).astype(np.float64)
    q32 = q.astype(np.float32).astype(np.float64)
    err = np.max(np.abs((Vp @ p32) / (Vq @ q32) / f - 1))
    return p32, q32, err


def show(name, coeffs, err):
    print(f"{name}: max rel err {err:.3g} ({err / 2**-24:.3f} x 2^-24)")
    print("    " + ", ".join(hexf(c) for c in coeffs))


if __name__ == "__main__":
    hw = 0.3466 * 1.01  # |t| <= ln2/2, widened for targets without FMA
    for deg in (5, 6):
        c, e = fit_exp(deg, hw)
        show(f"exp degree {deg}, P = c2..c{deg}", c, e)
    for deg in (4,):
        c, e = fit_tanh_odd(deg, 0.5625)
        show(f"tanh odd, Q degree {deg} in x^2 on [0, 0.5625]", c, e)
    for dp, dq in ((4, 4),):
        p, q, e = fit_tanh_rational(dp, dq, 9.125)
        show(f"tanh rational P{dp}/Q{dq} in x^2 on [0, 9.125]: P", p, e)
        show("   Q", q, e)
