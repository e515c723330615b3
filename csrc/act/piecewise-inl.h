/* The piecewise family: relu, leaky_relu, prelu, relu6, hardtanh,
 * hardsigmoid, hardswish, and the rational softsign.
 *
 * Exact (one mode): relu, leaky_relu, prelu, relu6 and hardtanh return x, a
 * product of x by a parameter, or a constant, each rounded once. hardsigmoid
 * rounds twice, as torch does ((x + 3) then / 6). hardswish and softsign are
 * computed with error-free transformations (Fast2Sum, exact products) and one
 * corrected quotient, so each result is within about half an ulp (measured
 * figures in fastact/_registry.py). Values at the kinks follow torch's CPU
 * kernels: relu'(0) = 0, leaky_relu'(0) = prelu'(0) = the slope (the x > 0
 * branch is the strict one), hardtanh'/relu6' are 0 at and beyond the bounds,
 * hardsigmoid' = 1/6 strictly inside (-3, 3), hardswish' = 0 for x <= -3 and 1
 * for x >= 3. NaN x gives that NaN (quieted) as the output and as the
 * gradient. p[k] is the k-th parameter (a broadcast scalar or per element).
 * Only the branch a lane takes may raise a flag: products are formed on zeros
 * in the other lanes (a select after the fact would still flag an overflow),
 * and the middle branches of hardsigmoid/hardswish run on x clamped to [-3, 3].
 */

/* ---- relu: max(x, 0); relu' = 1 for x > 0, else 0 ---- */
FA_INLINE VT FN(relu_fwd_acc)(VT x, const VT *p) {
    (void)p;
    return FN(nan_through)(x, V(select)(FN(positive)(FN(nan_clean)(x)), x, S(0)));
}
FA_INLINE VT FN(relu_bwd)(VT g, VT x, const VT *p) {
    (void)p;
    return FN(nan_through)(x, V(select)(FN(positive)(FN(nan_clean)(x)), g, S(0)));
}
FA_INLINE void FN(relu_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    MT pos = FN(positive)(FN(nan_clean)(x));
    (void)p;
    *y = FN(nan_through)(x, V(select)(pos, x, S(0)));
    *gx = FN(nan_through)(x, V(select)(pos, g, S(0)));
}
FA_NO_FAST_MODE(relu)

/* ---- leaky_relu: x for x > 0, else negative_slope * x ---- */
/* The product is formed on the lanes that use it only (the others multiply a
 * zero), so a large x or g on the positive side raises no overflow flag. */
FA_INLINE VT FN(leaky_relu_fwd_acc)(VT x, const VT *p) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    return FN(nan_through)(x, V(select)(pos, xc, V(mul)(V(select)(pos, S(0), xc), p[0])));
}
FA_INLINE VT FN(leaky_relu_bwd)(VT g, VT x, const VT *p) {
    MT pos = FN(positive)(FN(nan_clean)(x));
    return FN(nan_through)(x, V(select)(pos, g, V(mul)(V(select)(pos, S(0), g), p[0])));
}
FA_INLINE void FN(leaky_relu_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    *y = FN(nan_through)(x, V(select)(pos, xc, V(mul)(V(select)(pos, S(0), xc), p[0])));
    *gx = FN(nan_through)(x, V(select)(pos, g, V(mul)(V(select)(pos, S(0), g), p[0])));
}
FA_NO_FAST_MODE(leaky_relu)

/* ---- prelu: leaky_relu with a required, usually per-channel, weight ---- */
FA_INLINE VT FN(prelu_fwd_acc)(VT x, const VT *p) { return FN(leaky_relu_fwd_acc)(x, p); }
FA_INLINE VT FN(prelu_bwd)(VT g, VT x, const VT *p) { return FN(leaky_relu_bwd)(g, x, p); }
FA_INLINE void FN(prelu_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    FN(leaky_relu_fused_acc)(x, g, p, y, gx);
}
FA_NO_FAST_MODE(prelu)

/* ---- constants of relu6 .. softsign ---- */
#ifndef FA_ACT_PIECEWISE_CONSTANTS
#define FA_ACT_PIECEWISE_CONSTANTS
#define FA_SIXTH_f32 0x1.555556p-3f /* 1/6 rounded */
#define FA_SIXTH_f64 0x1.5555555555555p-3
/* softsign: above this |x| the float result is exactly +-1 and (1/(1+|x|))^2
 * is below half the smallest subnormal, so |x| (and inf) is clamped there */
#define FA_SOFTSIGN_XMAX_f32 0x1p76f
#define FA_SOFTSIGN_XMAX_f64 0x1p540
/* softsign': below TSMALL, 2 th tl (and th^2's split products) near the
 * subnormals, so th is scaled by SCALE and the result by UNSCALE = SCALE^-2 */
#define FA_SOFTSIGN_TSMALL_f32 0x1p-48f
#define FA_SOFTSIGN_SCALE_f32 0x1p48f
#define FA_SOFTSIGN_UNSCALE_f32 0x1p-96f
#define FA_SOFTSIGN_TSMALL_f64 0x1p-480
#define FA_SOFTSIGN_SCALE_f64 0x1p480
#define FA_SOFTSIGN_UNSCALE_f64 0x1p-960
#endif

/* ---- the clamp family: relu6, hardtanh, hardsigmoid share these two ---- */
/* torch's clamp, min(max(xc, lo), hi) (lo > hi gives hi), on NaN-free data:
 * V(max)(a, b) is a > b ? a : b and V(min)(a, b) is a < b ? a : b on every
 * target (x86's maxps/minps, and vec/scalar.h), so with lo and hi first a
 * -0.0 inside the range stays -0.0, as in torch; one instruction each where a
 * compare and a select took two. */
FA_INLINE VT FN(clamp)(VT xc, VT lo, VT hi) { return V(min)(hi, V(max)(lo, xc)); }
/* v where lo < xc < hi (strictly: torch's hardtanh_backward), else 0 */
FA_INLINE VT FN(inside)(VT xc, VT lo, VT hi, VT v) {
    return V(select)(V(lt)(lo, xc), V(select)(V(lt)(xc, hi), v, S(0)), S(0));
}

/* relu6 and hardtanh: y = clamp(x, lo, hi), f' = 1 strictly inside.
 * BOUNDS(p, &lo, &hi) gives the bounds, NaN-free; NANP(p, v) puts NaN
 * parameters into v. */
#define FA_CLAMP_ACT(name, BOUNDS, NANP)                                                   \
    FA_INLINE VT FN(name##_fwd_acc)(VT x, const VT *p) {                                  \
        VT lo, hi;                                                                         \
        BOUNDS(p, &lo, &hi);                                                               \
        return FN(nan_through)(x, NANP(p, FN(clamp)(FN(nan_clean)(x), lo, hi)));           \
    }                                                                                      \
    FA_INLINE VT FN(name##_bwd)(VT g, VT x, const VT *p) {                                 \
        VT lo, hi;                                                                         \
        BOUNDS(p, &lo, &hi);                                                               \
        return FN(nan_through)(x, NANP(p, FN(inside)(FN(nan_clean)(x), lo, hi, g)));       \
    }                                                                                      \
    FA_INLINE void FN(name##_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {          \
        *y = FN(name##_fwd_acc)(x, p);                                                     \
        *gx = FN(name##_bwd)(g, x, p);                                                     \
    }                                                                                      \
    FA_NO_FAST_MODE(name)

#define FA_NO_NANP(p, v) (v)
/* ---- relu6 = hardtanh(x, 0, 6): relu6'(0) = relu6'(6) = 0; relu6(-0.0) = -0.0 (torch) */
FA_INLINE void FN(relu6_bounds)(const VT *p, VT *lo, VT *hi) {
    (void)p;
    *lo = S(0);
    *hi = S(6);
}
FA_CLAMP_ACT(relu6, FN(relu6_bounds), FA_NO_NANP)

/* ---- hardtanh(x, min_val, max_val): a NaN bound gives NaN (as torch) ---- */
FA_INLINE void FN(hardtanh_bounds)(const VT *p, VT *lo, VT *hi) {
    *lo = FN(nan_clean)(p[0]);
    *hi = FN(nan_clean)(p[1]);
}
/* v, or the first NaN bound (quieted): one select per vector when the bounds
 * are broadcast (the rest is then loop-invariant) */
FA_INLINE VT FN(hardtanh_nanp)(const VT *p, VT v) {
    MT any = FA_CAT(MT, _or)(V(isnan)(p[0]), V(isnan)(p[1]));
    return V(select)(any, FN(nan_through)(p[0], V(quiet)(p[1])), v);
}
FA_CLAMP_ACT(hardtanh, FN(hardtanh_bounds), FN(hardtanh_nanp))

/* (h + l) / 6 to about half an ulp: q = h RN(1/6), then the exact residual
 * h - 6q plus l, times RN(1/6), corrects it (the correction's own relative
 * error, that of RN(1/6), is squared away). */
FA_INLINE VT FN(div6)(VT h, VT l) {
    VT q = V(mul)(h, S(C(FA_SIXTH)));
    return V(fma)(V(add)(FN(residual)(h, q, S(6)), l), S(C(FA_SIXTH)), q);
}

/* ---- hardsigmoid = clamp(x + 3, 0, 6) / 6, torch's two roundings ---- */
/* x + 3 is exact for x in [-6, -1.5] and rounds once elsewhere; the quotient
 * by 6 is a true division (correctly rounded), so the result is bit-identical
 * to torch's CPU kernel. The gradient is g * RN(1/6) for -3 < x < 3 (compared
 * on x, not on x + 3, which rounds to 6 just below 3), torch's product.
 * q = c RN(1/6) corrected by the exact residual c - 6q (FN(div6) below) gives the
 * same bits by Markstein's theorem: used where the divider is slow (AVX-512:
 * 0.161 -> 0.096 ns/element at 65,536 float32 on an Intel Xeon), not on AVX2,
 * where it was slower (3.8 against 3.4 cycles per 8 floats on Zen 3, best of 8). */
FA_INLINE VT FN(hardsigmoid_fwd_acc)(VT x, const VT *p) {
    (void)p;
    VT c = FN(clamp)(V(add)(FN(nan_clean)(x), S(3)), S(0), S(6));
#if FA_DIV_SLOW /* the same bits (Markstein), without the divider */
    return FN(nan_through)(x, FN(div6)(c, S(0)));
#else
    return FN(nan_through)(x, V(div)(c, S(6)));
#endif
}
FA_INLINE VT FN(hardsigmoid_bwd)(VT g, VT x, const VT *p) {
    (void)p;
    VT d = FN(inside)(FN(nan_clean)(x), S(-3), S(3), V(mul)(g, S(C(FA_SIXTH))));
    return FN(nan_through)(x, d);
}
FA_INLINE void FN(hardsigmoid_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    *y = FN(hardsigmoid_fwd_acc)(x, p);
    *gx = FN(hardsigmoid_bwd)(g, x, p);
}
FA_NO_FAST_MODE(hardsigmoid)

/* ---- hardswish: 0 for x <= -3, x for x >= 3, x (x + 3) / 6 between ---- */
/* x (x + 3) / 6 on xm in [-3, 3]: x + 3 = s + e exactly (Fast2Sum, 3 >= |xm|),
 * xm s = ph + pl exactly, so the numerator ph + (pl + xm e) carries the rounding
 * errors into the corrected quotient. The sign of xm is put back so that -0.0
 * and tiny negatives give -0.0 as torch does. */
FA_INLINE VT FN(hardswish_mid)(VT xm) {
    VT s = V(add)(xm, S(3));
    VT e = V(sub)(xm, V(sub)(s, S(3)));
    VT ph = V(mul)(xm, s);
    VT pl = V(fma)(xm, e, FN(prod_err)(xm, s, ph));
    return V(or)(FN(div6)(ph, pl), V(and)(xm, S(-0.0)));
}

/* f'(x) = (2x + 3) / 6 on xm in [-3, 3]: 2x + 3 = s + e exactly (TwoSum), one
 * corrected quotient, so the derivative keeps its relative accuracy near its
 * zero at x = -1.5 (torch's x/3 + 0.5 cancels there). */
FA_INLINE VT FN(hardswish_mid_grad)(VT xm) {
    VT a = V(add)(xm, xm);
    VT s = V(add)(a, S(3));
    VT bb = V(sub)(s, a);
    VT e = V(add)(V(sub)(a, V(sub)(s, bb)), V(sub)(S(3), bb));
    return FN(div6)(s, e);
}

FA_INLINE VT FN(hardswish_fwd_acc)(VT x, const VT *p) {
    VT xc = FN(nan_clean)(x);
    VT xm = V(min)(V(max)(xc, S(-3)), S(3));
    VT y = V(select)(V(lt)(xc, S(3)), FN(hardswish_mid)(xm), xc);
    (void)p;
    /* x <= -3: -0.0 (torch's x * 0 / 6; -inf gives -0.0, torch NaN) */
    return FN(nan_through)(x, V(select)(V(lt)(S(-3), xc), y, S(-0.0)));
}
/* g f'(x): 0 for x <= -3 and g for x >= 3 (torch 2.13's autograd at +-3, on
 * every length); the product is formed with 1 in the x >= 3 lanes, so a
 * large g raises no overflow flag where the result is g itself. */
FA_INLINE VT FN(hardswish_bwd)(VT g, VT x, const VT *p) {
    VT xc = FN(nan_clean)(x);
    VT xm = V(min)(V(max)(xc, S(-3)), S(3));
    VT d = V(mul)(g, V(select)(V(lt)(xc, S(3)), FN(hardswish_mid_grad)(xm), S(1)));
    (void)p;
    return FN(nan_through)(x, V(select)(V(lt)(S(-3), xc), d, S(0)));
}
FA_INLINE void FN(hardswish_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    *y = FN(hardswish_fwd_acc)(x, p);
    *gx = FN(hardswish_bwd)(g, x, p);
}
FA_NO_FAST_MODE(hardswish)

/* ---- softsign = x / (1 + |x|); softsign' = 1 / (1 + |x|)^2 ---- */
/* d = 1 + |x| = dh + dl exactly (Fast2Sum), t = 1/d = th + tl with th = 1/dh
 * (one division) and tl from the exact residual 1 - th dh (Markstein), so
 * y = x (th + tl) and f' = th^2 + 2 th tl (th^2 as an exact pair) are each
 * rounded about once: the
 * gradient never forms (1 + |x|)^2 (no overflow) and reaches the subnormal
 * range with one rounding. |x| is clamped at XMAX, where y is exactly +-1 and
 * f' is 0, so inf gives +-1 and 0 (torch returns NaN there). */
FA_INLINE VT FN(softsign_core)(VT x, VT *xs, VT *th, VT *tl) {
    VT ax = V(abs_clamp)(x, S(0), S(C(FA_SOFTSIGN_XMAX)));
    VT big = V(max)(ax, S(1)), small = V(min)(ax, S(1));
    VT dh = V(add)(big, small);
    VT dl = V(sub)(small, V(sub)(dh, big));
    *xs = V(or)(ax, V(and)(x, S(-0.0)));
    *th = FN(recip_near)(dh);
    *tl = V(mul)(*th, V(fnma)(*th, dl, FN(residual)(S(1), *th, dh)));
    /* x th as an exact pair too, so that targets without FMA also round once */
    VT ph = V(mul)(*xs, *th);
    VT lo = V(fma)(*xs, *tl, FN(prod_err)(*xs, *th, ph));
    /* the sign of x put back: -0.0 gives -0.0 (ph + lo would give +0.0) */
    return FN(nan_through)(x, V(or)(V(add)(ph, lo), V(and)(x, S(-0.0))));
}
/* th^2 + 2 th tl, rounded once. Near and below the normal range 2 th tl
 * (and, without FMA, the split products of th^2) would underflow, so th and tl
 * are first scaled by SCALE there (exact) and the sum by UNSCALE = SCALE^-2
 * (exact while the result is normal, one more rounding onto the subnormal grid
 * below it: 0.75 ulp measured there). The sum: fma(th, th, 2 th tl) with FMA,
 * else th^2 as an exact pair from Dekker's products plus 2 th tl. */
FA_INLINE VT FN(softsign_grad)(VT th, VT tl) {
    MT tiny = V(lt)(th, S(C(FA_SOFTSIGN_TSMALL)));
    VT k = V(select)(tiny, S(C(FA_SOFTSIGN_SCALE)), S(1));
    th = V(mul)(th, k);
    tl = V(mul)(tl, k);
#if FA_HAS_FMA
    VT d = V(fma)(th, th, V(mul)(V(add)(th, th), tl));
#else
    VT h = V(mul)(th, th);
    VT d = V(add)(h, V(fma)(V(add)(th, th), tl, FN(prod_err)(th, th, h)));
#endif
    return V(mul)(d, V(select)(tiny, S(C(FA_SOFTSIGN_UNSCALE)), S(1)));
}
FA_INLINE VT FN(softsign_fwd_acc)(VT x, const VT *p) {
    VT xs, th, tl;
    (void)p;
    return FN(softsign_core)(x, &xs, &th, &tl);
}
FA_INLINE VT FN(softsign_bwd)(VT g, VT x, const VT *p) {
    VT xs, th, tl;
    (void)p;
    FN(softsign_core)(x, &xs, &th, &tl);
    return FN(nan_through)(x, V(mul)(g, FN(softsign_grad)(th, tl)));
}
FA_INLINE void FN(softsign_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT xs, th, tl;
    (void)p;
    *y = FN(softsign_core)(x, &xs, &th, &tl);
    *gx = FN(nan_through)(x, V(mul)(g, FN(softsign_grad)(th, tl)));
}
FA_NO_FAST_MODE(softsign)
