"""Fit the float32 polynomials of csrc/math/expm1-inl.h and csrc/math/log1p-inl.h.

    python tools/fit_expfam.py

Same method as tools/fit.py (Lawson's iteratively reweighted least squares on a
Chebyshev grid, in float64, coefficients rounded to float32); each fit prints the
max relative error of the rounded coefficients, evaluated in float64, which the
kernel comments quote. The float64 kernels use Taylor coefficients (1/k! and
2/(2k+1)), which need no fit.

  expm1(t) ~ t + t^2 P(t) on |t| <= ln2/2 * 1.01, relative error of expm1 (not of
      exp: near 0 expm1 is ~t and an exp fit's absolute error would swamp it)
  2 atanh(z) = log((1+z)/(1-z)) ~ 2z + z^3 Q(z^2) on |z| <= 0.2 * 1.01
      (z = e/(2+e) for e < 0.5, (e-1)/(3+e) for e in [0.5, 1]: log1p(e) = 2 atanh(z) [+ ln2])
"""
import numpy as np

from fit import cheb_grid, lawson, show


def fit_expm1(deg_p, half_width):
    t = cheb_grid(-half_width, half_width)
    t = t[np.abs(t) > 1e-6]
    f = np.expm1(t)
    basis = np.vander(t, deg_p + 1, increasing=True)
    c = lawson(basis, (f - t) / t**2, t**2 / f)
    c32 = c.astype(np.float32).astype(np.float64)
    return c32, np.max(np.abs((t + t**2 * (basis @ c32)) / f - 1))


def fit_atanh(deg_q, zmax):
    z = cheb_grid(-zmax, zmax)
    z = z[np.abs(z) > 1e-5]
    f = 2 * np.arctanh(z)
    basis = np.vander(z * z, deg_q + 1, increasing=True)
    c = lawson(basis, (f - 2 * z) / z**3, z**3 / f)
    c32 = c.astype(np.float32).astype(np.float64)
    return c32, np.max(np.abs((2 * z + z**3 * (basis @ c32)) / f - 1))


if __name__ == "__main__":
    hw = 0.3466 * 1.01
    for deg in (3, 4, 5):
        c, e = fit_expm1(deg, hw)
        show(f"expm1, P degree {deg} on |t| <= {hw:.4f}", c, e)
    zm = 0.2 * 1.01
    for deg in (1, 2, 3):
        c, e = fit_atanh(deg, zm)
        show(f"2 atanh, Q degree {deg} in z^2 on |z| <= {zm:.4f}", c, e)
