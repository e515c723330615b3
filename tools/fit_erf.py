"""Coefficients of csrc/math/erf-inl.h (the Gaussian tail for gelu) and the
constants of csrc/act/gated-inl.h (gelu_tanh, mish).

    python tools/fit_erf.py

For a >= 0, Q(a) = erfc(a / sqrt 2) / 2 = exp(-a^2/2) K(a). K(a) ~ 1/(a sqrt(2 pi))
as a grows, so it is taken as K = t P(v) with t = 1 / (1 + a/2), v = 2t - 1: t
maps [0, inf) onto (0, 1] and K/t is smooth there (the substitution of Abramowitz &
Stegun 7.1.25-26 and of Numerical Recipes' erfcc, W. H. Press et al.); v centres
the range so the monomial coefficients stay small. P is the Chebyshev
interpolant (mpmath.chebyfit) on the v-range of a in [0, AMAX];
D(t) = dK/dt, to a few digits, serves the first-order correction for the
rounding of t. J(a) = K(a) - a / sqrt(2 pi), the factor of gelu', vanishes at
a0 = 0.7517915241...: near it J = (a - a0) W(a - a0). Each fit prints the max
relative error of the coefficients rounded to the kernel's type, evaluated in
mpmath.
"""
import mpmath as mp

mp.mp.dps = 40
C = 1 / mp.sqrt(2 * mp.pi)


def K(a):
    return mp.exp(a * a / 2) * mp.erfc(a / mp.sqrt(2)) / 2


def J(a):
    return K(a) - a * C


def rnd(v, f32):
    import numpy as np
    return mp.mpf(float(np.float32(float(v)))) if f32 else mp.mpf(float(v))


def hexs(v, f32):
    import numpy as np
    if f32:
        m, e = float(np.float32(float(v))).hex().split("p")
        return m.rstrip("0").rstrip(".") + "p" + e + "f"
    return float(v).hex()


def greedy_round(f, lo, hi, coeffs, keep_c0=True):
    """Round the coefficients (lowest degree first) to float32 one at a time,
    refitting the remaining ones (least squares in relative error) after each
    rounding, so the roundings partly cancel (keep_c0: the constant term is
    left unrounded, for a hi + lo pair). Returns highest degree first."""
    import numpy as np
    lo, hi = float(lo), float(hi)
    v = np.cos(np.pi * (np.arange(4000) + 0.5) / 4000) * (hi - lo) / 2 + (hi + lo) / 2
    fv = np.array([float(f(mp.mpf(float(x)))) for x in v])
    n = len(coeffs)
    fixed = []
    c = np.array(coeffs)
    for i in range(n):
        fixed.append(float(np.float32(c[i])) if i or not keep_c0 else float(c[0]))
        if i + 1 < n:
            base = sum(fixed[k] * v**k for k in range(len(fixed)))
            A = np.stack([v**k for k in range(i + 1, n)], 1) / fv[:, None]
            c[i + 1:] = np.linalg.lstsq(A, (fv - base) / fv, rcond=None)[0]
    return [mp.mpf(x) for x in reversed(fixed)]


def main():
    a0 = mp.findroot(J, 0.75)
    print(f"/* a0 = {mp.nstr(a0, 30)} */")
    for f32, amax, n, nd, nw, w in ((True, 15.0, 16, 6, 10, 0.25), (False, 39.0, 30, 10, 19, 0.25)):
        sfx = "f32" if f32 else "f64"
        tl = 1 / (1 + mp.mpf(amax) / 2)
        P = lambda t: K((1 / t - 1) * 2) / t
        Pv = lambda v: P((v + 1) / 2)
        poly, _ = mp.chebyfit(Pv, [2 * tl - 1, 1], n, error=True)
        c = [rnd(v, f32) for v in poly]
        if f32:
            c = greedy_round(Pv, 2 * tl - 1, 1, [float(v) for v in reversed(poly)])
        err = max(abs(mp.polyval(c, v) / Pv(v) - 1) for v in mp.linspace(2 * tl - 1, 1, 3001))
        print(f"/* FA_ERFC_P_{sfx}: K = t P(2t - 1), t = 1/(1 + a/2), degree {n - 1} for a in "
              f"[0, {amax}], max rel err {mp.nstr(err, 3)} (coefficients rounded) */")
        print(f"static const {'float' if f32 else 'double'} FA_ERFC_P_{sfx}[] = "
              f"{{{', '.join(hexs(v, f32) for v in reversed(c))}}};")
        if f32:  # the constant term's low part, added after the polynomial
            print(f"#define FA_ERFC_P0L_f32 {hexs(c[-1] - rnd(c[-1], True), True)}")
        dK = lambda t: mp.diff(lambda s: s * P(s), t)
        polyd, _ = mp.chebyfit(dK, [tl, 1], nd, error=True)
        cd = [rnd(v, f32) for v in polyd]
        errd = max(abs(mp.polyval(cd, t) / dK(t) - 1) for t in mp.linspace(tl, 1, 301))
        print(f"/* FA_ERFC_D_{sfx}: max rel err {mp.nstr(errd, 3)} */")
        print(f"static const {'float' if f32 else 'double'} FA_ERFC_D_{sfx}[] = "
              f"{{{', '.join(hexs(v, f32) for v in reversed(cd))}}};")
        g = lambda d: mp.diff(J, a0) if d == 0 else J(a0 + d) / d
        polyw, _ = mp.chebyfit(g, [-w, w], nw, error=True)
        cw = [rnd(v, f32) for v in polyw]
        errw = max(abs(mp.polyval(cw, d) / g(d) - 1) for d in mp.linspace(-w, w, 1001))
        print(f"/* FA_GELU_W_{sfx}: degree {nw - 1} on |a - a0| <= {w}, max rel err "
              f"{mp.nstr(errw, 3)} */")
        print(f"static const {'float' if f32 else 'double'} FA_GELU_W_{sfx}[] = "
              f"{{{', '.join(hexs(v, f32) for v in reversed(cw))}}};")
        a0h = rnd(a0, f32)
        print(f"#define FA_GELU_A0H_{sfx} {hexs(a0h, f32)}")
        print(f"#define FA_GELU_A0L_{sfx} {hexs(a0 - a0h, f32)}")
        ch = rnd(C, f32)
        print(f"#define FA_INV_SQRT2PI_H_{sfx} {hexs(ch, f32)}")
        print(f"#define FA_INV_SQRT2PI_L_{sfx} {hexs(C - ch, f32)}")




def print_zero_factor(name, G, root, rname, f32, nw):
    """W with G(a) = (a - root) W(a - root) near a zero of G: a degree nw - 1
    Chebyshev fit on |a - root| <= 1/4 (float32: coefficients rounded greedily,
    the constant term's rounding error as FA_<name>_W0L_f32), printed as
    FA_<name>_W_f32/f64 with its measured relative error."""
    sfx = "f32" if f32 else "f64"
    g = lambda d: mp.diff(G, root) if d == 0 else G(root + d) / d
    polyw, _ = mp.chebyfit(g, [-0.25, 0.25], nw, error=True)
    cw = [rnd(v, f32) for v in polyw]
    if f32:
        cw = greedy_round(g, -0.25, 0.25, [float(v) for v in reversed(polyw)])
        print(f"#define FA_{name}_W0L_f32 {hexs(cw[-1] - rnd(cw[-1], True), True)}")
    errw = max(abs(mp.polyval(cw, d) / g(d) - 1) for d in mp.linspace(-0.25, 0.25, 1001))
    print(f"/* FA_{name}_W_{sfx}: degree {nw - 1} on |a - {rname}| <= 0.25, max rel err "
          f"{mp.nstr(errw, 3)} */")
    print(f"static const {'float' if f32 else 'double'} FA_{name}_W_{sfx}[] = "
          f"{{{', '.join(hexs(v, f32) for v in reversed(cw))}}};")


def gelu_tanh_constants():
    """gelu_tanh(x) = x sigmoid(z), z = A x + B x^3, A = 2 sqrt(2/pi), B = 0.044715 A
    (0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) = x sigmoid(2 sqrt(2/pi) (...))).
    Its derivative's factor G(a) = 1 + exp(-z(a)) - a z'(a) (x = -a < 0) vanishes
    at a1: near it G = (a - a1) W(a - a1)."""
    A = 2 * mp.sqrt(2 / mp.pi)
    B = A * mp.mpf("0.044715")
    z = lambda a: A * a + B * a**3
    dz = lambda a: A + 3 * B * a * a
    G = lambda a: 1 + mp.exp(-z(a)) - a * dz(a)
    a1 = mp.findroot(G, 0.75)
    print(f"/* gelu_tanh: a1 = {mp.nstr(a1, 30)} */")
    for f32, nw in ((True, 10), (False, 19)):
        sfx = "f32" if f32 else "f64"
        for nm, v in (("A", A), ("B", B), ("B3", 3 * B), ("A1", a1)):
            h = rnd(v, f32)
            print(f"#define FA_GELUT_{nm}H_{sfx} {hexs(h, f32)}")
            print(f"#define FA_GELUT_{nm}L_{sfx} {hexs(v - h, f32)}")
        print_zero_factor("GELUT", G, a1, "a1", f32, nw)


def mish_constants():
    """mish'(x) for x = -a < 0 is e G(a) / (D^2 (1 + e)) with e = exp(-a),
    N = e (2 + e), D = 2 + N, G = (2 + e)(1 + e) D - 4 a (1 + N); G vanishes at
    a0: near it G = (a - a0) W(a - a0)."""
    def G(a):
        e = mp.exp(-a)
        n = e * (2 + e)
        return (2 + e) * (1 + e) * (2 + n) - 4 * a * (1 + n)
    a0 = mp.findroot(G, 1.19)
    print(f"/* mish: a0 = {mp.nstr(a0, 30)} */")
    for f32, nw in ((True, 10), (False, 19)):
        sfx = "f32" if f32 else "f64"
        h = rnd(a0, f32)
        print(f"#define FA_MISH_A0H_{sfx} {hexs(h, f32)}")
        print(f"#define FA_MISH_A0L_{sfx} {hexs(a0 - h, f32)}")
        print_zero_factor("MISH", G, a0, "a0", f32, nw)


def fast_constants():
    """The fast mode's K (float32): K = t P(2t - 1) with t = 1 / (1 + c a), c =
    FA_ERFCF_C; c = 5/16 (exact in binary; smaller than 1/2 spreads t over less of (0, 1] for a up to
    13.5 (beyond, gelu(-a) is below the normal range)), and degree 9 fits to
    about 4e-9 before rounding (c = 1/2 needs degree 11 for the same). float64's
    fast mode uses the accurate P (c = 1/2) without the pairs."""
    c, amax, n = mp.mpf("0.3125"), 13.5, 10
    tl = 1 / (1 + amax * c)
    Pv = lambda v: K((2 / (v + 1) - 1) / c) * 2 / (v + 1)
    poly, _ = mp.chebyfit(Pv, [2 * tl - 1, 1], n, error=True)
    cf = greedy_round(Pv, 2 * tl - 1, 1, [float(v) for v in reversed(poly)], keep_c0=False)
    cf = [rnd(v, True) for v in cf]
    err = max(abs(mp.polyval(cf, v) / Pv(v) - 1) for v in mp.linspace(2 * tl - 1, 1, 3001))
    print(f"/* FA_ERFCF_P_f32: K = t P(2t - 1), t = 1/(1 + {mp.nstr(c, 5)} a), degree {n - 1} "
          f"for a in [0, {amax}], max rel err {mp.nstr(err, 3)} (coefficients rounded) */")
    print(f"static const float FA_ERFCF_P_f32[] = {{{', '.join(hexs(v, True) for v in reversed(cf))}}};")


if __name__ == "__main__":
    main()
    gelu_tanh_constants()
    mish_constants()
    fast_constants()
