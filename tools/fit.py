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


LUT_DEG = 7


def sech2(x):
    """tanh'(x) = sech(x)^2 = 1 - tanh(x)^2, without the cancellation"""
    return 1 / np.cosh(x) ** 2


def gal_mid(lo, hi, f=np.tanh):
    """The float32 m in [lo, hi) nearest the centre whose f(m) is nearest a float32
    (S. Gal's accurate tables): C0 = f(m) rounded is then exact to a few
    millionths of an ulp, so the kernel needs no low part for it. Searched over
    the middle quarter of the interval first, wider where that finds nothing within
    2^-10 ulp (at 2^-12 tanh(x) = x - x^3/3 sits 0.17-1.1 ulp below x)."""
    for span in (1 / 8, 1 / 4, 3 / 8, 0.499):
        c = (lo + hi) / 2
        ends = np.array([c - (hi - lo) * span, c + (hi - lo) * span], dtype=np.float32)
        i0, i1 = ends.view(np.int32)
        m = np.arange(i0, i1 + 1, dtype=np.int32).view(np.float32).astype(np.float64)
        y = f(m)
        y32 = y.astype(np.float32)
        r = np.abs(y - y32) / np.spacing(y32).astype(np.float64)
        k = int(np.argmin(r))
        if r[k] < 2.0**-10:
            break
    return float(m[k]), float(y32[k]), float(r[k])


def fit_interval(lo, hi, deg=LUT_DEG, through_zero=False, pad=0.0, f=np.tanh):
    """f(MID + t) ~ B + C1 t + ... + C_deg t^deg on [lo - pad, hi + pad) (tanh's
    table, the uniform tables: any f), relative error, with MID = gal_mid and B = C0 = f(MID) rounded; or, through_zero
    (lo = 0), MID = C0 = 0 and B = t, which keeps the leading term exact. The
    coefficients are rounded to float32 one at a time, the later ones refitted after
    each (the rounding of C1 t alone would cost about 0.1 ulp). Returns [MID, C0,
    C1, ...], the max relative error of the rounded coefficients, and C0's own error
    in ulp."""
    if through_zero:
        m, c0, c0err = 0.0, 0.0, 0.0
    else:
        m, c0, c0err = gal_mid(lo, hi, f)
    x = cheb_grid(max(lo - pad, 0.0), hi + pad, 4000)
    x = x[x > 0]
    t = x - m
    f = f(x)
    V = np.vander(t, deg + 1, increasing=True)
    c = [c0]
    for k in range(1, deg + 1):
        known = V[:, :k] @ np.array(c) + (t if through_zero else 0)
        rest = lawson(V[:, k:], f - known, 1 / f, iters=150)
        c.append(float(np.float32(rest[0])))
    approx = V @ np.array(c) + (t if through_zero else 0)
    return [m] + c, np.max(np.abs(approx / f - 1)), c0err


# The 8-entry table (FA_HAS_LUT8) covers [0, 9.125]: its interval is found from v =
# |x| + 0.5 rounded, clamped below 8 (two per binade of v, so the intervals of |x|
# below), and v's rounding can pick a neighbour for |x| within an ulp of v of a
# boundary: the fits extend that far.
TANH_LUT8_INTERVALS = [(0, 0.25), (0.25, 0.5), (0.5, 1), (1, 1.5), (1.5, 2.5), (2.5, 3.5),
                       (3.5, 5.5), (5.5, 9.125)]


def lut_index(v, bits, shift=22):
    """the lane of a float32 v in a table of 2^bits entries: (bits(v) >> shift) & (2^bits - 1)"""
    return int(np.array([v], dtype=np.float32).view(np.int32)[0] >> shift) & ((1 << bits) - 1)


def sigmoid_neg(x):
    """sigmoid(-x) = 1 / (1 + e^x), for x >= 0"""
    return 1 / (1 + np.exp(x))


# Uniform tables, where lookups are cheap (FA_HAS_LUT32): f on 32 intervals of
# width 1/2 over [0, 16) numbered (bits(|x| + 16) >> 18) & 31, for functions that
# decay like e^-c|x| (tanh' = sech^2 in tanh's fused pass; sigmoid(-|x|), from
# which sigmoid and its derivative follow): a polynomial keeps its relative
# accuracy only over a bounded width (a binade, as tanh's, would be 2 wide at
# 4..6). |x| + 16 rounds to 2^-19, which can pick the next interval for |x| that
# close below a boundary: the fits extend that far.
UNIFORM_LUT_WIDTH, UNIFORM_LUT_END = 0.5, 16.0
UNIFORM_TABLES = (("SECH2_LUT", sech2, "tanh' = sech^2"), ("SIGMOID_LUT", sigmoid_neg, "sigmoid(-|x|)"))


def fit_uniform_table(f, deg=LUT_DEG):
    """f on the 32 intervals above: rows [MID, C0, C1...], max error, C0's"""
    rows = [None] * 32
    worst, worst_c0 = 0.0, 0.0
    for k in range(32):
        lo, hi = k * UNIFORM_LUT_WIDTH, (k + 1) * UNIFORM_LUT_WIDTH
        idx = lut_index(lo + UNIFORM_LUT_END, 5, 18)
        assert rows[idx] is None and idx == k
        rows[idx], err, c0err = fit_interval(lo, hi, deg, pad=2.0**-19, f=f)
        worst, worst_c0 = max(worst, err), max(worst_c0, c0err)
    return np.array(rows), worst, worst_c0


def fit_tanh_table(deg=LUT_DEG):
    """tanh on [2^-12, 9.125] in 32 intervals, two per binade, so that the
    interval of |x| is (bits(|x|) >> 22) & 31; and on [0, 9.125] in the 8 of
    TANH_LUT8_INTERVALS. Returns the rows ([MID, C0, C1...]; the 8-entry table's
    with D after C0: 1 where B = t, else 0), max errors and C0's."""
    rows = [None] * 32
    worst, worst_c0 = 0.0, 0.0
    for e in range(-12, 4):
        for j in range(2):
            lo = 2.0**e * (1 + j / 2)
            hi = min(2.0**e * (1 + (j + 1) / 2), 9.125)
            idx = lut_index(lo, 5)
            if lo >= 9.125:  # never reached: |x| is clamped to 9.125
                rows[idx] = [lo, 1.0] + [0.0] * deg
                continue
            rows[idx], err, c0err = fit_interval(lo, hi, deg)
            worst, worst_c0 = max(worst, err), max(worst_c0, c0err)
    rows8 = [None] * 8
    worst8 = 0.0
    for lo, hi in TANH_LUT8_INTERVALS:
        r, err, c0err = fit_interval(lo, hi, deg, through_zero=lo == 0, pad=2.0**-18)
        idx = lut_index(min(lo + 0.5, 8.0 - 2.0**-21), 3)
        assert rows8[idx] is None and idx == lut_index(min(hi + 0.5, 8.0) - 2.0**-21, 3)
        rows8[idx] = r[:2] + [1.0 if lo == 0 else 0.0] + r[2:]
        worst8, worst_c0 = max(worst8, err), max(worst_c0, c0err)
    return np.array(rows), np.array(rows8), worst, worst_c0, worst8


def tables_header():
    rows, rows8, worst, worst_c0, worst8 = fit_tanh_table()
    out = ["/* Generated by `python tools/fit.py --tables > csrc/act/tables.h`: the",
           " * coefficient tables of the float32 kernels that look up their polynomials.",
           " * FA_TANH_LUT_*: tanh(MID + t) ~ B + C1 t + ... + C%d t^%d, B = C0 = tanh(MID)" % (
               LUT_DEG, LUT_DEG),
           " * rounded, on the interval of |x| numbered (bits(|x|) >> 22) & 31 (two per binade,",
           " * 2^-12 <= |x| < 16); MID a float in it whose tanh is within %.2g ulp of C0 (at" % worst_c0,
           " * most 2^-10 ulp from 1.5 * 2^-12 on); max rel error of the rounded coefficients",
           " * %.3g (%.3f * 2^-24). FA_TANH_LUT8_*: 8 intervals of [0, 9.125] numbered" % (
               worst, worst / 2**-24),
           " * (bits(min(|x| + 0.5, 8^-)) >> 22) & 7 (tools/fit.py, TANH_LUT8_INTERVALS); on",
           " * the first MID = C0 = 0 and B = t (D = 1); max rel error %.3f * 2^-24." % (
               worst8 / 2**-24),
           " * Uniform tables (tools/fit.py, UNIFORM_TABLES), alike on 32 intervals of width %g" % (
               UNIFORM_LUT_WIDTH),
           " * over [0, %g) numbered (bits(|x| + %g) >> 18) & 31:" % (UNIFORM_LUT_END, UNIFORM_LUT_END)]
    tables = [("TANH_LUT", rows, 32, 64), ("TANH_LUT8", rows8, 8, 32)]
    for prefix, f, what in UNIFORM_TABLES:
        rows_u, worst_u, worst_c0_u = fit_uniform_table(f)
        out.append(" *   FA_%s_*: %s, C0 within %.2g ulp of f(MID), max rel error %.3f * 2^-24" % (
            prefix, what, worst_c0_u, worst_u / 2**-24))
        tables.append((prefix, rows_u, 32, 64))
    out[-1] += " */"
    out += ["#ifndef FA_TABLES_H", "#define FA_TABLES_H"]
    names = ["MID", "C0"] + [f"C{k}" for k in range(1, LUT_DEG + 1)]
    names8 = ["MID", "C0", "D"] + names[2:]
    for prefix, tab, n, align in tables:
        for k, name in enumerate(names8 if n == 8 else names):
            vals = ", ".join(hexf(v) for v in tab[:, k])
            out.append(f"static const float FA_{prefix}_{name}[{n}] "
                       f"__attribute__((aligned({align}))) = {{{vals}}};")
    out.append("#endif")
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    if "--tables" in sys.argv:
        print(tables_header())
        sys.exit(0)
    hw = 0.3466 * 1.01  # |t| <= ln2/2, widened for targets without FMA
    for deg in (5, 6):
        c, e = fit_exp(deg, hw)
        show(f"exp degree {deg}, P = c2..c{deg}", c, e)
    for dp, dq in ((4, 4),):
        p, q, e = fit_tanh_rational(dp, dq, 9.125)
        show(f"tanh rational P{dp}/Q{dq} in x^2 on [0, 9.125]: P", p, e)
        show("   Q", q, e)
