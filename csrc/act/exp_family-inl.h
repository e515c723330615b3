/* The exponential family: elu, selu, celu, softplus, log_sigmoid (torch's
 * definitions and kink values; backward from the input).
 *
 *   elu(x) = x for x > 0, else alpha expm1(x);      elu' = 1, else alpha e^x
 *   selu(x) = scale elu(x, alpha) with Klambauer et al.'s (2017) constants
 *   celu(x) = x for x > 0, else alpha expm1(x/alpha);  celu' = 1, else e^(x/alpha)
 *   softplus(x) = x where beta x > threshold, else log1p(e^(beta x)) / beta;
 *       softplus' = 1 there, else sigmoid(beta x)
 *   log_sigmoid(x) = min(x, 0) - log1p(e^-|x|);     log_sigmoid' = sigmoid(-x)
 * The x > 0 / beta x > threshold branches are the strict ones, as torch's:
 * elu'(0) = alpha, selu'(0) = scale alpha, celu'(0) = 1, softplus at exactly the
 * threshold takes the log1p branch. elu(-0) = -0 as torch.
 *
 * Accurate mode. expm1 as a pair (math/expm1-inl.h) times the parameter with one
 * rounding (fma(alpha, yh, alpha yl)); selu's scale and scale*alpha are
 * double-length constants, so selu is rounded once too. The derivatives alpha
 * e^x use the full-range exp pair of math/exp-inl.h (subnormal results
 * rounded once). celu's x/alpha is carried as a pair (the quotient and its exact
 * residual), so alpha != 1 costs no accuracy. softplus and log_sigmoid:
 * max(u, 0) + log1p(e^-|u|), u = beta x as an exact pair, e^-|u| as a pair,
 * log1p as a pair (math/log1p-inl.h), the sum as an exact pair (Fast2Sum of the
 * larger and the smaller term), then divided by beta with a corrected quotient:
 * nothing overflows at any magnitude and results below the normal range
 * (softplus(-100) = 3.7e-44) are rounded once. The gradient sigmoid(u) is the
 * corrected quotient of math/div-inl.h, exactly as sigmoid's.
 * Fast mode: expm1 and exp rounded as one value each (subnormal derivatives
 * flush to 0), log1p from one rounded quotient.
 * Tiny x (|x| < 2^-40 / 2^-100) gives alpha x directly (expm1(x) = x there),
 * keeping -0. NaN x gives that NaN in both outputs; +-inf the limits.
 * Measured errors: see fastact/_registry.py.
 */
#ifndef FA_ACT_EXP_FAMILY_CONSTANTS
#define FA_ACT_EXP_FAMILY_CONSTANTS
/* selu constants (Klambauer et al., 2017) as hi + lo pairs:
 * scale = 1.0507009873554804934193349852946, alpha = 1.6732632423543772848170429916717 */
#define FA_SELU_SCALE_H_f32 0x1.0cfabcp+0f /* rounded down: both parts positive, */
#define FA_SELU_SCALE_L_f32 0x1.6a9114p-24f  /* so scale * inf is inf, not NaN */
#define FA_SELU_SCALE_F_f32 0x1.0cfabep+0f   /* scale rounded (the derivative) */
#define FA_SELU_SCALE_F_f64 FA_SELU_SCALE_H_f64
#define FA_SELU_SCALE_H_f64 0x1.0cfabd6a91132p+0
#define FA_SELU_SCALE_L_f64 0x1.6fc7d272f2695p-55
#define FA_SELU_SA_H_f32 0x1.c212ccp+0f /* scale * alpha */
#define FA_SELU_SA_L_f32 0x1.903c0cp-26f
#define FA_SELU_SA_H_f64 0x1.c212cc640f031p+0
#define FA_SELU_SA_L_f64 0x1.05161b045a1fep-56
#define FA_EF_TINY_f32 0x1p-40f
#define FA_EF_TINY_f64 0x1p-100
#define FA_EF_EXP_XMAX_f32 104.0f /* e^-104 < 2^-150: rounds to 0 */
#define FA_EF_EXP_XMAX_f64 746.0
#define FA_EF_FLT_MAX_f32 0x1.fffffep+127f
#define FA_EF_FLT_MAX_f64 0x1.fffffffffffffp+1023
#define FA_EF_MIN_NORMAL_f32 0x1p-126f
#define FA_EF_MIN_NORMAL_f64 0x1p-1022
#define FA_MASK_OR FA_CAT(FA_CAT(m, FA_D), _or)
#endif

/* a - q*d exactly (math/div-inl.h). Without FMA that takes Dekker's splitting,
 * which would overflow for |q| near the float max: those lanes give 0 (where
 * they occur the correction is below the result's last bit or unused). */
FA_INLINE VT FN(ef_residual)(VT a, VT q, VT d) {
#if FA_HAS_FMA
    return FN(residual)(a, q, d);
#else
    MT ok = V(lt)(V(andnot)(S(-0.0), q), S(0x1p100));
    return FN(residual)(V(select)(ok, a, S(0)), V(select)(ok, q, S(0)), d);
#endif
}

/* Fast mode: c * e^xn, xn <= 0, from e^xn * 2^64 (normal down to xn = -131 and
 * -752) times c * 2^-64: where c e^xn is a normal number it is not flushed
 * because e^xn alone would be subnormal. */
FA_INLINE VT FN(cexp_neg_fast)(VT xn, VT c) {
    VT k, n;
    VT t = FN(exp_reduce)(V(abs_clamp)(xn, S(0), S(C(FA_EF_EXP_XMAX))), &k, &n);
    VT sc = V(pow2)(V(add)(k, S(64)));
    VT e = V(fma)(sc, V(fma)(V(mul)(t, t), FA_HORNER(t, C(FA_EXPF_P)), t), sc);
    return V(mul)(e, V(mul)(c, S(0x1p-64)));
}

/* A parameter we divide by: below the normal range (0 included: the lanes
 * past the end of a per-element parameter array read as 0) it becomes 1, so no
 * division raises a flag. alpha = 0 and beta = 0 are outside the functions'
 * domains (torch rejects celu's alpha = 0); their results are unspecified. */
FA_INLINE VT FN(ef_divisor)(VT a) {
    return V(select)(V(lt)(V(andnot)(S(-0.0), a), S(C(FA_EF_MIN_NORMAL))), S(1), a);
}

/* ---- elu, selu ---- */

/* c * expm1(x) for NaN-free x <= 0 lanes (others: 0), c = ch + cl. */
FA_INLINE VT FN(cexpm1_neg)(VT xn, VT ch, VT cl) {
    VT yh, yl;
    FN(expm1_pair)(V(max)(xn, S(C(FA_EXPM1_XMIN))), S(0), &yh, &yl);
    VT y = V(fma)(ch, yh, V(fma)(cl, yh, V(mul)(ch, yl)));
    VT xt = V(max)(xn, S(-C(FA_EF_TINY))); /* the tiny lanes; bounded elsewhere */
    VT tiny = V(fma)(xt, ch, V(mul)(xt, cl));
    return V(select)(V(lt)(xn, S(-C(FA_EF_TINY))), y, tiny);
}

/* c * e^xn for xn <= 0, full range: 2^8 e^xn as a pair, times c with one
 * rounding, then the exact scaling by 2^-8: the pair and the product stay
 * normal where c e^xn is, so near the bottom of the normal range (where an
 * ulp is the subnormal spacing) no low part is rounded to that grid first. */
FA_INLINE VT FN(cexp_neg)(VT xn, VT ch, VT cl) {
    VT eh, el;
    FN(exp_neg_pair)(V(abs_clamp)(xn, S(0), S(C(FA_EF_EXP_XMAX))), 1, 8, &eh, &el);
    return V(mul)(V(fma)(ch, eh, V(fma)(cl, eh, V(mul)(ch, el))), S(0x1p-8));
}

FA_INLINE VT FN(elu_fwd_acc)(VT x, const VT *p) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT y = FN(cexpm1_neg)(V(select)(pos, S(0), xc), p[0], S(0));
    return FN(nan_through)(x, V(select)(pos, xc, y));
}
FA_INLINE VT FN(elu_bwd)(VT g, VT x, const VT *p) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT d = FN(cexp_neg)(V(select)(pos, S(0), xc), p[0], S(0));
    return V(mul)(g, FN(nan_through)(x, V(select)(pos, S(1), d)));
}
FA_INLINE void FN(elu_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    *y = FN(elu_fwd_acc)(x, p);
    *gx = FN(elu_bwd)(g, x, p);
}
FA_INLINE VT FN(elu_fwd_fast)(VT x, const VT *p) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT xn = V(max)(V(select)(pos, S(0), xc), S(C(FA_EXPM1_XMIN)));
    VT y = V(mul)(p[0], FN(expm1_fast)(xn, S(0)));
    return FN(nan_through)(x, V(select)(pos, xc, y));
}
FA_INLINE void FN(elu_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT xn = V(select)(pos, S(0), xc);
    VT ym = V(mul)(p[0], FN(expm1_fast)(V(max)(xn, S(C(FA_EXPM1_XMIN))), S(0)));
    VT d = FN(cexp_neg_fast)(xn, p[0]);
    *y = FN(nan_through)(x, V(select)(pos, xc, ym));
    *gx = V(mul)(g, FN(nan_through)(x, V(select)(pos, S(1), d)));
}

FA_INLINE VT FN(selu_fwd_acc)(VT x, const VT *p) {
    (void)p;
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT xp = V(select)(pos, xc, S(0)), xn = V(select)(pos, S(0), xc);
    VT yp = V(fma)(xp, S(C(FA_SELU_SCALE_H)), V(mul)(xp, S(C(FA_SELU_SCALE_L))));
    VT yn = FN(cexpm1_neg)(xn, S(C(FA_SELU_SA_H)), S(C(FA_SELU_SA_L)));
    return FN(nan_through)(x, V(select)(pos, yp, yn));
}
FA_INLINE VT FN(selu_bwd)(VT g, VT x, const VT *p) {
    (void)p;
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT d = FN(cexp_neg)(V(select)(pos, S(0), xc), S(C(FA_SELU_SA_H)), S(C(FA_SELU_SA_L)));
    return V(mul)(g, FN(nan_through)(x, V(select)(pos, S(C(FA_SELU_SCALE_F)), d)));
}
FA_INLINE void FN(selu_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    *y = FN(selu_fwd_acc)(x, p);
    *gx = FN(selu_bwd)(g, x, p);
}
FA_INLINE VT FN(selu_fwd_fast)(VT x, const VT *p) {
    (void)p;
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT xn = V(max)(V(select)(pos, S(0), xc), S(C(FA_EXPM1_XMIN)));
    VT yn = V(mul)(S(C(FA_SELU_SA_H)), FN(expm1_fast)(xn, S(0)));
    VT yp = V(mul)(V(select)(pos, xc, S(0)), S(C(FA_SELU_SCALE_F)));
    return FN(nan_through)(x, V(select)(pos, yp, yn));
}
FA_INLINE void FN(selu_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT xn = V(select)(pos, S(0), xc);
    VT d = FN(cexp_neg_fast)(xn, S(C(FA_SELU_SA_H)));
    *y = FN(selu_fwd_fast)(x, p);
    *gx = V(mul)(g, FN(nan_through)(x, V(select)(pos, S(C(FA_SELU_SCALE_F)), d)));
}

/* ---- celu ---- */

/* u = x/alpha = uh + ul for the x <= 0 lanes (0 elsewhere), with x first
 * clamped so |u| stays within the exp ranges (no overflow for any alpha). */
FA_INLINE VT FN(celu_u)(VT xn, VT alpha, VT *ul) {
    VT aa = V(andnot)(S(-0.0), alpha);
    MT aneg = V(signmask)(alpha);
    VT lim = V(mul)(V(min)(aa, S(C(FA_EF_FLT_MAX) / 1024)),
                    V(select)(aneg, S(C(FA_EXPM1_XMAX)), S(C(FA_EF_EXP_XMAX))));
    VT xl = V(max)(xn, V(sub)(S(0), lim));
    alpha = FN(ef_divisor)(alpha);
    VT ra = FN(recip)(alpha); /* any close 1/alpha: the pair below is exact */
    VT uh = V(mul)(xl, ra);
    *ul = V(mul)(FN(ef_residual)(xl, uh, alpha), ra);
    return uh;
}

FA_INLINE void FN(celu_acc)(VT x, VT g, const VT *p, VT *y, VT *gx, int fwd, int bwd) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT xn = V(select)(pos, S(0), xc);
    VT ul, uh = FN(celu_u)(xn, p[0], &ul);
    MT big = V(lt)(S(C(FA_EF_TINY)), V(andnot)(S(-0.0), uh));
    VT yh = S(0), yl = S(0);
    /* the backward uses expm1 only for e^u = 1 + expm1(u) where u > 0, that is
     * alpha < 0: alone, it skips it unless a lane's alpha is negative (a test
     * of the parameter per vector; elsewhere d takes dneg, equal at u = 0).
     * Zen 3, AVX2, float32 backward: 34.1 -> 28.6 cycles per 8 with alpha > 0,
     * 34.1 -> 42.9 with alpha < 0 (the branch splits the two interleaved
     * vectors' schedules); tools/kernel_cycles.c -p 1:20 / -p -1:20 celu. */
    if (fwd || FA_CAT(MT, _any)(V(signmask)(p[0])))
        FN(expm1_pair)(V(max)(uh, S(C(FA_EXPM1_XMIN))), ul, &yh, &yl);
    if (fwd) {
        VT yn = V(select)(big, V(fma)(p[0], yh, V(mul)(p[0], yl)), xn);
        *y = FN(nan_through)(x, V(select)(pos, xc, yn));
    }
    if (bwd) {
        VT eh, el;
        FN(exp_neg_pair)(V(abs_clamp)(uh, S(0), S(C(FA_EF_EXP_XMAX))), 1, 8, &eh, &el);
        VT dneg = V(mul)(V(add)(eh, V(fma)(eh, ul, el)), S(0x1p-8)); /* as cexp_neg */
        VT dpos = V(add)(V(add)(S(1), yh), yl); /* e^u for u > 0 (alpha < 0) */
        VT d = V(select)(V(signmask)(uh), dneg, dpos);
        *gx = V(mul)(g, FN(nan_through)(x, V(select)(pos, S(1), d)));
    }
}
FA_INLINE VT FN(celu_fwd_acc)(VT x, const VT *p) {
    VT y;
    FN(celu_acc)(x, S(0), p, &y, NULL, 1, 0);
    return y;
}
FA_INLINE VT FN(celu_bwd)(VT g, VT x, const VT *p) {
    VT gx;
    FN(celu_acc)(x, g, p, NULL, &gx, 0, 1);
    return gx;
}
FA_INLINE void FN(celu_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    FN(celu_acc)(x, g, p, y, gx, 1, 1);
}
FA_INLINE void FN(celu_fast)(VT x, VT g, const VT *p, VT *y, VT *gx, int bwd) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    VT xn = V(select)(pos, S(0), xc);
    VT ul, uh = FN(celu_u)(xn, p[0], &ul);
    VT em1 = FN(expm1_fast)(V(max)(uh, S(C(FA_EXPM1_XMIN))), ul);
    *y = FN(nan_through)(x, V(select)(pos, xc, V(mul)(p[0], em1)));
    if (bwd) {
        VT e = FN(cexp_neg_fast)(uh, S(1));
        VT d = V(select)(V(signmask)(uh), V(fma)(e, ul, e), V(add)(S(1), em1));
        *gx = V(mul)(g, FN(nan_through)(x, V(select)(pos, S(1), d)));
    }
}
FA_INLINE VT FN(celu_fwd_fast)(VT x, const VT *p) {
    VT y;
    FN(celu_fast)(x, S(0), p, &y, NULL, 0);
    return y;
}
FA_INLINE void FN(celu_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    FN(celu_fast)(x, g, p, y, gx, 1);
}

/* ---- softplus, log_sigmoid ---- */

/* softplus_1(u) = max(u, 0) + log1p(e^-|u|) = yh + yl for u = uh + ul (NaN-free),
 * and the pieces of sigmoid(u): e^-|u| = eh + el, neg = u < 0. */
typedef struct { VT yh, yl, eh, el; MT neg; } FN(sp_parts);

FA_INLINE FN(sp_parts) FN(softplus_core)(VT uh, VT ul) {
    FN(sp_parts) s;
    s.neg = V(signmask)(uh);
    /* |u| floored at TINY: below it the results round as at u = 0 (softplus to log 2,
     * sigmoid(u) to 1/2), and the pair's low part stays normal (a subnormal one made
     * log1p_pair01's products subnormal: 1.5x slower on Zen 4) */
    FN(exp_neg_pair)(V(abs_clamp)(uh, S(C(FA_TINY)), S(C(FA_EF_EXP_XMAX))), 1, 0, &s.eh, &s.el);
    s.el = V(fma)(s.eh, V(select)(s.neg, ul, V(sub)(S(0), ul)), s.el);
    VT lh, ll;
    FN(log1p_pair01)(s.eh, s.el, &lh, &ll);
    /* u above 2^100 (inf included) gives u: the pair arithmetic stays finite */
    MT huge = V(lt)(S(0x1p100), uh);
    VT m = V(select)(s.neg, S(0), V(min)(uh, S(0x1p100))), ml = V(select)(s.neg, S(0), ul);
    VT big = V(max)(m, lh), small = V(min)(m, lh);
    VT yh = V(add)(big, small);
    VT yl = V(add)(V(add)(V(sub)(big, yh), small), V(add)(ll, ml));
    s.yh = V(select)(huge, uh, yh);
    s.yl = V(select)(huge, S(0), yl);
    return s;
}

/* sigmoid(u) from the parts: 1/(1+e) for u >= 0, e/(1+e) below */
FA_INLINE VT FN(sp_sigmoid)(FN(sp_parts) s) {
    VT dh = V(add)(S(1), s.eh);
    VT dl = V(add)(V(add)(V(sub)(S(1), dh), s.eh), s.el);
    VT nh = V(select)(s.neg, s.eh, S(1)), nl = V(select)(s.neg, s.el, S(0));
    return FN(div_pair)(nh, nl, dh, dl, FN(recip_div)(dh));
}

/* u = beta x as an exact pair, on x clamped to |x| <= B (|beta| B < the float
 * max); lanes where beta x > threshold, or where x was clamped and beta x is
 * positive, give x.
 * unit (a constant): beta = 1 in every lane, torch's default. Then u = x, and
 * the callers skip the division by beta: the bits are those of the general
 * path there (1 * x is exact, its low part 0, the quotient by 1 exact with
 * rb = 1), for fewer operations. The kernels test a broadcast beta once per
 * call (FN(softplus_is_unit), kernels-inl.h's specialised kernels); an array
 * of betas takes the general path. */
typedef struct { VT uh, ul, rb, beta; MT take_x; } FN(sp_input);

/* the lanes where beta is not exactly 1 (on the bit patterns: no flag for NaN) */
FA_INLINE MT FN(sp_beta_not_one)(VT beta) {
    VT d = V(xor)(beta, S(1));
    return FA_MASK_OR(V(abs_gt)(d, S(0)), V(signmask)(d));
}
FA_INLINE int FN(softplus_is_unit)(const VT *p) {
    return !FA_CAT(MT, _any)(FN(sp_beta_not_one)(p[0]));
}

FA_INLINE FN(sp_input) FN(softplus_input)(VT xc, const VT *p, int unit) {
    FN(sp_input) in;
    if (unit) {
        in.beta = in.rb = S(1);
        in.uh = xc;
        in.ul = S(0);
        in.take_x = V(lt)(p[1], xc); /* unclamped: softplus_1 of a huge x is x */
        return in;
    }
    in.beta = FN(ef_divisor)(p[0]);
    /* close to 1/beta: the corrected quotient and the clamp tolerate it; exactly
     * 1 for beta = 1 (the unit path's bits) */
    in.rb = V(select)(FN(sp_beta_not_one)(in.beta), FN(recip)(in.beta), S(1));
    VT lim = V(mul)(S(C(FA_EF_FLT_MAX)),
                    V(min)(V(mul)(V(andnot)(S(-0.0), in.rb), S(1 - 0x1p-20)), S(1)));
    VT xs = V(max)(V(min)(xc, lim), V(sub)(S(0), lim));
    in.uh = V(mul)(p[0], xs);
    in.ul = V(sub)(S(0), FN(ef_residual)(in.uh, xs, p[0]));
    VT xb = V(xor)(xc, V(and)(p[0], S(-0.0))); /* sign of beta x */
    in.take_x = FA_MASK_OR(V(lt)(p[1], in.uh), V(lt)(lim, xb));
    return in;
}

FA_INLINE void FN(softplus_acc_body)(VT x, VT g, const VT *p, VT *y, VT *gx, int fwd, int bwd,
                                     int unit) {
    VT xc = FN(nan_clean)(x);
    FN(sp_input) in = FN(softplus_input)(xc, p, unit);
    FN(sp_parts) s = FN(softplus_core)(in.uh, in.ul);
    if (fwd && unit) {
        *y = FN(nan_through)(x, V(select)(in.take_x, xc, V(add)(s.yh, s.yl)));
    } else if (fwd) {
        /* the lanes that return x divide a zero: softplus_1(u) / beta of a huge u
         * could overflow there (u = 0.9 x, times 1/0.9 > 1) and flag it */
        VT yh = V(select)(in.take_x, S(0), s.yh), yl = V(select)(in.take_x, S(0), s.yl);
        VT q = V(mul)(yh, in.rb);
        VT r = V(add)(FN(ef_residual)(yh, q, in.beta), yl);
        *y = FN(nan_through)(x, V(select)(in.take_x, xc, V(fma)(r, in.rb, q)));
    }
    if (bwd) {
        VT d = V(select)(in.take_x, S(1), FN(sp_sigmoid)(s));
        *gx = V(mul)(g, FN(nan_through)(x, d));
    }
}

/* the five bodies, general (U = 0) and for beta = 1 (U = 1, the kernels'
 * FN(<body>_special), chosen once per call: kernels-inl.h) */
#define FA_SP_BODIES(U, sfx)                                                               \
    FA_INLINE VT FN(softplus_fwd_acc##sfx)(VT x, const VT *p) {                            \
        VT y;                                                                              \
        FN(softplus_acc_body)(x, S(0), p, &y, NULL, 1, 0, U);                              \
        return y;                                                                          \
    }                                                                                      \
    FA_INLINE VT FN(softplus_bwd##sfx)(VT g, VT x, const VT *p) {                          \
        VT gx;                                                                             \
        FN(softplus_acc_body)(x, g, p, NULL, &gx, 0, 1, U);                                \
        return gx;                                                                         \
    }                                                                                      \
    FA_INLINE void FN(softplus_fused_acc##sfx)(VT x, VT g, const VT *p, VT *y, VT *gx) {   \
        FN(softplus_acc_body)(x, g, p, y, gx, 1, 1, U);                                    \
    }                                                                                      \
    FA_INLINE VT FN(softplus_fwd_fast##sfx)(VT x, const VT *p) {                           \
        VT y;                                                                              \
        FN(softplus_fast_body)(x, S(0), p, &y, NULL, 0, U);                                \
        return y;                                                                          \
    }                                                                                      \
    FA_INLINE void FN(softplus_fused_fast##sfx)(VT x, VT g, const VT *p, VT *y, VT *gx) {  \
        FN(softplus_fast_body)(x, g, p, y, gx, 1, U);                                      \
    }
#define FA_SP_IS_SPECIAL(b)                                                                \
    FA_INLINE int FN(b##_is_special)(const VT *p) { return FN(softplus_is_unit)(p); }

/* fast: softplus_1(u) and sigmoid(u) from one rounded e^-|u| */
FA_INLINE VT FN(softplus_fast_core)(VT uh, VT ul, VT *sig) {
    MT neg = V(signmask)(uh);
    VT e = FN(exp_neg_fast)(V(abs_clamp)(uh, S(0), S(C(FA_EXPF_XMAX))));
    e = V(fma)(e, V(select)(neg, ul, V(sub)(S(0), ul)), e);
    if (sig) { /* the corrected quotient: sigmoid at the kinks rounded as the accurate one */
        VT dh = V(add)(S(1), e);
        VT dl = V(add)(V(sub)(S(1), dh), e);
        *sig = FN(div_pair)(V(select)(neg, e, S(1)), S(0), dh, dl, FN(recip_div)(dh));
    }
    return V(add)(V(add)(V(select)(neg, S(0), uh), V(select)(neg, S(0), ul)),
                  FN(log1p_fast01)(e));
}
FA_INLINE void FN(softplus_fast_body)(VT x, VT g, const VT *p, VT *y, VT *gx, int bwd, int unit) {
    VT xc = FN(nan_clean)(x);
    FN(sp_input) in = FN(softplus_input)(xc, p, unit);
    VT sig;
    VT v = FN(softplus_fast_core)(in.uh, in.ul, bwd ? &sig : NULL);
    if (!unit) v = V(mul)(v, in.rb);
    /* far below 0, softplus = e^u / beta: from 2^64 e^u, so a normal result is
     * not lost where e^u alone would flush */
    VT t = FN(cexp_neg_fast)(V(select)(V(signmask)(in.uh), in.uh, S(0)), in.rb);
    v = V(select)(V(lt)(in.uh, S(-40)), unit ? t : V(fma)(t, in.ul, t), v);
    *y = FN(nan_through)(x, V(select)(in.take_x, xc, v));
    if (bwd) *gx = V(mul)(g, FN(nan_through)(x, V(select)(in.take_x, S(1), sig)));
}
FA_SP_BODIES(0, )
FA_SP_BODIES(1, _special)
FA_SP_IS_SPECIAL(softplus_fwd_acc)
FA_SP_IS_SPECIAL(softplus_bwd)
FA_SP_IS_SPECIAL(softplus_fused_acc)
FA_SP_IS_SPECIAL(softplus_fwd_fast)
FA_SP_IS_SPECIAL(softplus_fused_fast)
#undef FA_SP_BODIES
#undef FA_SP_IS_SPECIAL
#define FA_SPECIAL_softplus_fwd_acc FA_SPECIALISED
#define FA_SPECIAL_softplus_bwd FA_SPECIALISED
#define FA_SPECIAL_softplus_fused_acc FA_SPECIALISED
#define FA_SPECIAL_softplus_fwd_fast FA_SPECIALISED
#define FA_SPECIAL_softplus_fused_fast FA_SPECIALISED

/* log_sigmoid(x) = -softplus_1(-x); gradient sigmoid(-x) */
FA_INLINE void FN(log_sigmoid_acc)(VT x, VT g, VT *y, VT *gx, int fwd, int bwd) {
    VT u = V(sub)(S(0), FN(nan_clean)(x));
    FN(sp_parts) s = FN(softplus_core)(u, S(0));
    if (fwd) *y = FN(nan_through)(x, V(sub)(S(0), V(add)(s.yh, s.yl)));
    if (bwd) *gx = V(mul)(g, FN(nan_through)(x, FN(sp_sigmoid)(s)));
}
FA_INLINE VT FN(log_sigmoid_fwd_acc)(VT x, const VT *p) {
    VT y;
    (void)p;
    FN(log_sigmoid_acc)(x, S(0), &y, NULL, 1, 0);
    return y;
}
FA_INLINE VT FN(log_sigmoid_bwd)(VT g, VT x, const VT *p) {
    VT gx;
    (void)p;
    FN(log_sigmoid_acc)(x, g, NULL, &gx, 0, 1);
    return gx;
}
FA_INLINE void FN(log_sigmoid_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    (void)p;
    FN(log_sigmoid_acc)(x, g, y, gx, 1, 1);
}
FA_INLINE void FN(log_sigmoid_fast)(VT x, VT g, VT *y, VT *gx, int bwd) {
    VT sig;
    VT v = FN(softplus_fast_core)(V(sub)(S(0), FN(nan_clean)(x)), S(0), bwd ? &sig : NULL);
    *y = FN(nan_through)(x, V(sub)(S(0), v));
    if (bwd) *gx = V(mul)(g, FN(nan_through)(x, sig));
}
FA_INLINE VT FN(log_sigmoid_fwd_fast)(VT x, const VT *p) {
    VT y;
    (void)p;
    FN(log_sigmoid_fast)(x, S(0), &y, NULL, 0);
    return y;
}
FA_INLINE void FN(log_sigmoid_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    (void)p;
    FN(log_sigmoid_fast)(x, g, y, gx, 1);
}
