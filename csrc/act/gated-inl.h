/* The gated family: silu (swish), mish, gelu (erf) and gelu_tanh, each
 * x * gate(x), with the backward computed from the input x.
 *
 * Common layout. e = exp(-|x|) comes from math/exp-inl.h as a pair carried
 * with the exponent raised by 2^40 (float32) or 2^100 (float64), so that x e^x stays exact to the
 * last (subnormal) result; the numerators are exact products carried as
 * pairs (FN(prod_err)), and the quotients are residual-corrected
 * (math/div-inl.h): each result is rounded about once.
 *
 * The derivatives of silu and mish vanish at one negative x (silu' at
 * x0 = -1.27846, mish' at -1.19186...): there the factor that crosses zero is
 * evaluated from x - x0 (a short series), so even near x0 the gradient keeps
 * relative accuracy instead of an absolute error of the size of eps.
 *
 * Special values: NaN in gives that NaN out (quieted); +-inf give the limits
 * (f(-inf) = -0, f(+inf) = +inf, f'(-inf) = 0, f'(+inf) = 1; torch returns
 * NaN there from inf * 0); +-0 keep their sign (f(-0) = -0, f'(0) = 1/2).
 * The fast modes keep these semantics, round each value once (no pairs, except
 * where an input's rounding is magnified: a^2 in gelu, z in gelu_tanh) and
 * divide once; their relative error is a few 1e-7 where the result is normal,
 * their gradients' absolute error about 2e-7 (relative accuracy is lost only
 * next to the zeros of the derivatives).
 * Measured errors: fastact/_registry.py.
 */
#ifndef FA_ACT_GATED_CONSTANTS
#define FA_ACT_GATED_CONSTANTS
/* e = 2^-B E, E = 2^B e^-|x| (B = 40 / 100 keeps E normal down to the tails) */
#define FA_GATE_LB_f32 40.0f
#define FA_GATE_LB_f64 100.0
#define FA_GATE_IB_f32 0x1p-40f
#define FA_GATE_IB_f64 0x1p-100
/* silu: x e^x < 2^-150 (2^-1075) beyond these, so the result rounds to -0 */
#define FA_SILU_NEG_XMAX_f32 110.0f
#define FA_SILU_NEG_XMAX_f64 753.0
/* x > these: silu(x) == x and silu'(x) == 1 in the float (x e^-x < eps/4) */
#define FA_SILU_POS_XMAX_f32 24.0f
#define FA_SILU_POS_XMAX_f64 45.0
/* the zero of silu' = e^x (1 + x + e^x) / (1 + e^x)^2: 1 + x0 + e^x0 = 0
 * (mpmath: x0 = -1.2784645427610737951...), as hi + lo; E0 = e^x0 = -1 - x0 */
#define FA_SILU_X0H_f32 -0x1.474974p+0f
#define FA_SILU_X0L_f32 0x1.bdf6fap-27f
#define FA_SILU_X0H_f64 -0x1.474973c84120bp+0
#define FA_SILU_X0L_f64 -0x1.f8d74bc9ac154p-54
#define FA_SILU_E0_f32 0x1.1d25dp-2f
#define FA_SILU_E0_f64 0x1.1d25cf210482ep-2
#define FA_GATE_WIN_f32 0.25f         /* |x - x0| below this: the series */
#define FA_GATE_WIN_f64 0.25
/* expm1(d) = d + d^2 P(d), Taylor: remainder |d|^8/8! < 2^-29 |d| (float32),
 * |d|^14/14! < 2^-60 |d| (float64, FA_EXP_P_f64 is 1/2 ... 1/13!) on |d| <= 1/4 */
static const float FA_EM1_P_f32[] = {1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720,
                                     1.0f / 5040};
#define FA_EM1_P_f64 FA_EXP_P_f64
#endif


FA_INLINE VT FN(vabs)(VT a) { return V(andnot)(S(-0.0), a); }

/* a + b as a pair (TwoSum: no ordering needed) */
FA_INLINE VT FN(two_sum)(VT a, VT b, VT *lo) {
    VT s = V(add)(a, b);
    VT bv = V(sub)(s, a);
    *lo = V(add)(V(sub)(a, V(sub)(s, bv)), V(sub)(b, bv));
    return s;
}

#ifndef FA_GATED_BODIES
/* The accurate bodies of a gated activation from its pieces: FN(pre_core)(x)
 * computes the shared parts once, FN(pre_y) the output and FN(pre_d) f'(x)
 * (NaN lanes restored); the backward and fused passes are g * f'(x). */
#define FA_GATED_BODIES(name, pre)                                                         \
    FA_INLINE VT FN(name##_fwd_acc)(VT x, const VT *p) {                                   \
        FN(pre##_parts) s = FN(pre##_core)(x);                                             \
        (void)p;                                                                           \
        return FN(pre##_y)(x, &s);                                                         \
    }                                                                                      \
    FA_INLINE void FN(name##_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {          \
        FN(pre##_parts) s = FN(pre##_core)(x);                                             \
        (void)p;                                                                           \
        *y = FN(pre##_y)(x, &s);                                                           \
        *gx = V(mul)(g, FN(pre##_d)(x, &s));                                               \
    }                                                                                      \
    FA_INLINE VT FN(name##_bwd)(VT g, VT x, const VT *p) {                                 \
        FN(pre##_parts) s = FN(pre##_core)(x);                                             \
        (void)p;                                                                           \
        return V(mul)(g, FN(pre##_d)(x, &s));                                              \
    }
#endif
#include "../math/erf-inl.h"

/* 2^b exp(-a) as a pair (math/exp-inl.h's accurate form, its polynomial by
 * Estrin: mish fused 151 -> 140 cycles per 8 floats on Zen 3, gradients' max
 * error about 0.1 ulp higher), b a float constant that keeps 2^(n + b) normal
 * over the caller's range of a. */
FA_INLINE void FN(exp_neg_pair_up)(VT a, VT b, VT *hi, VT *lo) {
    VT k, n;
    VT t = FN(exp_reduce)(a, &k, &n);
    VT r = V(fma)(V(mul)(t, t), FA_POLY_ESTRIN(t, C(FA_EXP_P)), t);
    VT sc = V(pow2)(V(add)(k, b));
    *hi = V(fma)(sc, r, sc);
    *lo = V(fma)(sc, r, V(sub)(sc, *hi));
}


/* ---- silu: x sigmoid(x) = x / (1 + e) for x >= 0, x e / (1 + e) for x < 0 ----
 * silu'(x) = s (1 + x (1 - s)) = N / (1 + e)^2 with N = (1 + e) + x e for
 * x >= 0 and N = e (1 + x + e) for x < 0: both sums are of like-signed terms,
 * except 1 + x + e, which crosses zero at x0 and is taken there as
 * d + E0 expm1(d), d = x - x0 (all terms of one sign). */
typedef struct { VT a, Eh, El, dh, dl, xm, xn, sc; MT neg; } FN(silu_parts);

FA_INLINE FN(silu_parts) FN(silu_core)(VT x) {
    FN(silu_parts) s;
    s.neg = V(signmask)(x);
    s.a = V(abs_clamp)(x, S(0),
                       V(select)(s.neg, S(C(FA_SILU_NEG_XMAX)), S(C(FA_SILU_POS_XMAX))));
    FN(exp_neg_pair_up)(s.a, S(C(FA_GATE_LB)), &s.Eh, &s.El);
    VT eh = V(mul)(s.Eh, S(C(FA_GATE_IB))), el = V(mul)(s.El, S(C(FA_GATE_IB)));
    s.dh = V(add)(S(1), eh);
    s.dl = V(add)(V(add)(V(sub)(S(1), s.dh), eh), el); /* Fast2Sum, 1 >= eh */
    s.xm = V(or)(s.a, V(and)(x, S(-0.0))); /* x clamped to [-NEG_XMAX, POS_XMAX] */
    s.xn = V(select)(s.neg, s.xm, S(0));
    s.sc = V(select)(s.neg, S(C(FA_GATE_IB)), S(1));
    return s;
}

/* keep the computed value except for x >= POS_XMAX, where silu(x) = x, silu' = 1 */
FA_INLINE MT FN(silu_keep)(const FN(silu_parts) *s) {
    return FA_CAT(MT, _or)(s->neg, V(lt)(s->a, S(C(FA_SILU_POS_XMAX))));
}

/* x N / (1 + e) 2^-B with N = E = 2^B e for x < 0 and 2^B for x >= 0 (exact
 * products: tiny and subnormal x are scaled into the normal range too) */
FA_INLINE VT FN(silu_y)(VT x, const FN(silu_parts) *s) {
    VT nh = V(select)(s->neg, s->Eh, S(1 / C(FA_GATE_IB))), nl = V(select)(s->neg, s->El, S(0));
    VT ah = V(mul)(s->xm, nh);
    VT al = V(fma)(s->xm, nl, FN(prod_err)(s->xm, nh, ah));
    VT y = V(mul)(FN(div_pair)(ah, al, s->dh, s->dl, FN(recip_div)(s->dh)), S(C(FA_GATE_IB)));
    return FN(nan_through)(x, V(select)(FN(silu_keep)(s), y, x));
}


/* near x0: G = 1 + x + e^x = d + E0 expm1(d) = -x0 d + E0 d^2 P(d), d = x - x0
 * as a pair (x - X0H is exact there; the second term is below 3% of the first),
 * as gh + gl, on the lanes of the returned mask (|x - x0| < WIN; elsewhere d = 0) */
FA_INLINE MT FN(silu_g_window)(VT x, VT *gh, VT *gl) {
    VT u = V(sub)(x, S(C(FA_SILU_X0H)));
    MT win = V(lt)(FN(vabs)(u), S(C(FA_GATE_WIN)));
    u = V(select)(win, u, S(0));
    VT dh = V(sub)(u, S(C(FA_SILU_X0L)));
    VT dl = V(sub)(V(sub)(u, dh), S(C(FA_SILU_X0L))); /* Fast2Sum: u = 0 or |u| > |X0L| */
    VT th = V(mul)(S(-C(FA_SILU_X0H)), dh);
    VT tl = V(fma)(S(-C(FA_SILU_X0H)), dl, V(fma)(S(-C(FA_SILU_X0L)), dh,
                                              FN(prod_err)(S(-C(FA_SILU_X0H)), dh, th)));
    tl = V(fma)(V(mul)(S(C(FA_SILU_E0)), V(mul)(dh, dh)), FA_HORNER(dh, C(FA_EM1_P)), tl);
    *gh = V(add)(th, tl);
    *gl = V(sub)(tl, V(sub)(*gh, th));
    return win;
}

FA_INLINE VT FN(silu_grad)(const FN(silu_parts) *s) {
    VT eh = V(mul)(s->Eh, S(C(FA_GATE_IB))), el = V(mul)(s->El, S(C(FA_GATE_IB)));
    /* x >= 0: N = (1 + e) + x e */
    VT xp = V(select)(s->neg, S(0), s->xm);
    VT ph = V(mul)(xp, eh);
    VT pl = V(fma)(xp, el, FN(prod_err)(xp, eh, ph));
    VT nph = V(add)(s->dh, ph); /* Fast2Sum: dh >= 1 > ph */
    VT npl = V(add)(V(add)(V(sub)(s->dh, nph), ph), V(add)(s->dl, pl));
    /* x < 0: G = 1 + x + e, exact sums (1 + x: Fast2Sum, exact once |x| >= 1/2) */
    VT sh = V(add)(S(1), s->xn);
    VT sl = V(sub)(s->xn, V(sub)(sh, S(1)));
    VT gh = V(add)(sh, eh);
    VT bv = V(sub)(gh, sh);
    VT gl = V(add)(V(add)(V(sub)(sh, V(sub)(gh, bv)), V(sub)(eh, bv)), V(add)(sl, el));
    VT wh, wl;
    MT win = FN(silu_g_window)(s->xn, &wh, &wl);
    gh = V(select)(win, wh, gh);
    gl = V(select)(win, wl, gl);
    /* N = E G (E = 2^B e) */
    VT Eh = V(select)(s->neg, s->Eh, S(0)), El = V(select)(s->neg, s->El, S(0));
    VT qh = V(mul)(Eh, gh);
    VT ql = V(add)(FN(prod_err)(Eh, gh, qh), V(fma)(Eh, gl, V(mul)(El, gh)));
    VT nh = V(select)(s->neg, qh, nph), nl = V(select)(s->neg, ql, npl);
    return V(mul)(FN(div_pair_by_square)(nh, nl, s->dh, s->dl), s->sc);
}

FA_INLINE VT FN(silu_d)(VT x, const FN(silu_parts) *s) {
    return FN(nan_through)(x, V(select)(FN(silu_keep)(s), FN(silu_grad)(s), S(1)));
}

FA_GATED_BODIES(silu_full, silu)

/* The forward and fused passes for |x| <= 70 (float64 80), the guarded driver
 * sending larger |x| and NaN to the full-range bodies above: sigmoid's pieces
 * (sigmoid_tanh-inl.h, FN(sigmoid_plain)): y = x / D with 1/D = rd + ylo
 * unrounded; silu' = (1/D)(1 + x w), w = E/D = sigmoid(-x) as a pair, the sum
 * 1 + x w of an exact product, and near x0 (where it crosses zero) G w with G
 * from the series above (1 + x w = G w there, w = 1/(1 + e^x)). The backward is
 * guarded the same way, so it is the fused gradient bit for bit. */
FA_INLINE VT FN(silu_fwd_acc)(VT x, const VT *p) {
    (void)p;
    FN(sig_plain) s = FN(sigmoid_plain)(x, 1);
    return FN(mul_pairs)(x, S(0), s.rd, s.ylo);
}
FA_INLINE MT FN(silu_fwd_acc_is_tail)(VT x) { return FN(sigmoid_acc_is_tail)(x); }
FA_INLINE VT FN(silu_fwd_acc_tail)(VT x, const VT *p) { return FN(silu_full_fwd_acc)(x, p); }
#define FA_GUARD_silu_fwd_acc FA_GUARDED

/* silu'(x) from sigmoid's pieces */
FA_INLINE VT FN(silu_plain_grad)(VT x, const FN(sig_plain) *s) {
    /* |x| < TINY as 0, as sigmoid_plain takes it (silu' rounds to 1/2 there): a
     * subnormal x would make the products below subnormal (1.3x slower on Zen 4) */
    x = s->xs;
    VT wh, wl;
    FN(div_pair_unrounded)(s->eh, s->el, s->dh, s->dl, s->rd, &wh, &wl);
    /* 1 + x w: x w = ph + pl exactly (to w's pair), then TwoSum with 1 */
    VT ph = V(mul)(x, wh);
    VT pl = V(fma)(x, wl, FN(prod_err)(x, wh, ph));
    VT nl, nh = FN(two_sum)(S(1), ph, &nl);
    nl = V(add)(nl, pl);
    /* near x0: G w */
    VT gh, gl;
    MT win = FN(silu_g_window)(x, &gh, &gl);
    VT qh = V(mul)(gh, wh);
    VT ql = V(fma)(gh, wl, V(fma)(gl, wh, FN(prod_err)(gh, wh, qh)));
    nh = V(select)(win, qh, nh);
    nl = V(select)(win, ql, nl);
    return FN(mul_pairs)(nh, nl, s->rd, s->ylo);
}
FA_INLINE void FN(silu_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    (void)p;
    FN(sig_plain) s = FN(sigmoid_plain)(x, 1);
    *y = FN(mul_pairs)(x, S(0), s.rd, s.ylo);
    *gx = V(mul)(g, FN(silu_plain_grad)(x, &s));
}
FA_INLINE MT FN(silu_fused_acc_is_tail)(VT x) { return FN(sigmoid_acc_is_tail)(x); }
FA_INLINE void FN(silu_fused_acc_tail)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    FN(silu_full_fused_acc)(x, g, p, y, gx);
}
#define FA_GUARD_silu_fused_acc FA_GUARDED
/* the backward: the fused pass's gradient, bit for bit */
FA_INLINE VT FN(silu_bwd)(VT g, VT x, const VT *p) {
    (void)p;
    FN(sig_plain) s = FN(sigmoid_plain)(x, 1);
    return V(mul)(g, FN(silu_plain_grad)(x, &s));
}
FA_INLINE MT FN(silu_bwd_is_tail)(VT x) { return FN(sigmoid_acc_is_tail)(x); }
FA_INLINE VT FN(silu_bwd_tail)(VT g, VT x, const VT *p) { return FN(silu_full_bwd)(g, x, p); }
#define FA_GUARD_silu_bwd FA_GUARDED

/* Fast silu: one rounded exp (degree 5, exponent raised by 2^FA_GATE_FB so the
 * tail stays normal), 1/(1 + e) by one division (on Zen 3 faster than the
 * estimate and two Newton steps: 18.3 against 20.8 cycles per 8 floats). The
 * fast modes of gelu, gelu_tanh and mish below follow the same plan. */
#define FA_GATE_FB_f32 40.0f
#define FA_GATE_FB_f64 100.0
#define FA_GATE_IFB_f32 0x1p-40f
#define FA_GATE_IFB_f64 0x1p-100
FA_INLINE VT FN(exp_neg_fast_scaled)(VT a) {
    VT k, n;
    VT t = FN(exp_reduce)(a, &k, &n);
    VT sc = V(pow2)(V(add)(k, S(C(FA_GATE_FB))));
    VT r = V(fma)(V(mul)(t, t), FA_HORNER(t, C(FA_EXPF_P)), t);
    return V(fma)(sc, r, sc);
}

FA_INLINE VT FN(silu_fast_parts)(VT x, VT *sg, VT *w, VT *xm, MT *keep) {
    MT neg = V(signmask)(x);
    VT a = V(abs_clamp)(x, S(0),
                        V(select)(neg, S(C(FA_SILU_NEG_XMAX)), S(C(FA_SILU_POS_XMAX))));
    VT E = FN(exp_neg_fast_scaled)(a);
    VT r = V(div)(S(1), V(fma)(E, S(C(FA_GATE_IFB)), S(1)));
    VT Er = V(mul)(E, r);
    *xm = V(or)(a, V(and)(x, S(-0.0)));
    *keep = FA_CAT(MT, _or)(neg, V(lt)(a, S(C(FA_SILU_POS_XMAX))));
    /* sg = sigmoid (times 2^FB where x < 0), w = 1 - sigmoid */
    *sg = V(select)(neg, Er, r);
    *w = V(select)(neg, r, V(mul)(Er, S(C(FA_GATE_IFB))));
    return V(select)(neg, S(C(FA_GATE_IFB)), S(1));
}

FA_INLINE VT FN(silu_fwd_fast)(VT x, const VT *p) {
    VT sg, w, xm;
    MT keep;
    VT sc = FN(silu_fast_parts)(x, &sg, &w, &xm, &keep);
    VT y = V(mul)(V(mul)(xm, sg), sc);
    (void)p;
    return FN(nan_through)(x, V(select)(keep, y, x));
}

FA_INLINE void FN(silu_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT sg, w, xm;
    MT keep;
    VT sc = FN(silu_fast_parts)(x, &sg, &w, &xm, &keep);
    VT yy = V(mul)(V(mul)(xm, sg), sc);
    VT d = V(mul)(V(mul)(sg, V(fma)(xm, w, S(1))), sc);
    (void)p;
    *y = FN(nan_through)(x, V(select)(keep, yy, x));
    *gx = V(mul)(g, FN(nan_through)(x, V(select)(keep, d, S(1))));
}

/* ---- gelu (approximate="none"): x Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2 ----
 * With a = |x|, E = exp(-a^2/2), K and J from math/erf-inl.h:
 *   gelu(-a) = -a E K,  gelu(a) = a (1 - E K)
 *   gelu'(-a) = E J,    gelu'(a) = 1 - E J,   J = K - a / sqrt(2 pi)
 * E carried 2^FA_GELU_B up (exact subnormal tails), products as pairs; the
 * x >= 0 side takes 1 - E K and 1 - E J as pairs (E K <= 1/2, |E J| < 1/2). */
#define FA_GELU_AMAX_f32 15.0f  /* a E K, a E J < 2^-151 beyond: gelu(-a) = -0, gelu(a) = a */
#define FA_GELU_AMAX_f64 39.0
#define FA_GELU_B_f32 40.0f
#define FA_GELU_B_f64 80.0
#define FA_GELU_IB_f32 0x1p-40f
#define FA_GELU_IB_f64 0x1p-80

/* a = |x| multiplies (the forward); in float32 E, K and J are taken at af =
 * max(a, TINY), so that no subnormal a enters their arithmetic: it made gelu's
 * backward 2.2-2.5x slower (Zen 3; 1.24-1.28x on Zen 4). Same results: below
 * TINY they round as at 0 (checked on every subnormal). Not in float64, whose
 * results at tiny |x| moved by an ulp either way with it: there K carries an
 * error of about 2^-54 for small a (gelu'(x) = 1/2 - 2^-54, not 1/2, at x =
 * -1e-18 ... -1e-32), which af = TINY = 2^-100 exposes. */
typedef struct { VT a, af, Eh, El, kh, kl; MT neg, small; } FN(gelu_parts);

FA_INLINE FN(gelu_parts) FN(gelu_core)(VT x) {
    FN(gelu_parts) s;
    s.neg = V(signmask)(x);
    s.a = V(abs_clamp)(x, S(0), S(C(FA_GELU_AMAX)));
#if FA_IS_F64
    s.af = s.a;
#else
    s.af = V(max)(s.a, S(C(FA_TINY)));
#endif
    s.small = V(lt)(s.a, S(C(FA_GELU_AMAX)));
    VT h = V(mul)(s.af, s.af);
    VT l = FN(prod_err)(s.af, s.af, h);
    FN(exp_neg_pair_up)(V(mul)(h, S(0.5)), S(C(FA_GELU_B)), &s.Eh, &s.El);
    s.El = V(fnma)(s.Eh, V(mul)(l, S(0.5)), s.El);
    FN(erfc_k)(s.af, &s.kh, &s.kl);
    return s;
}

/* (eh + el) (fh + fl) as a pair */
FA_INLINE VT FN(mul_pair)(VT eh, VT el, VT fh, VT fl, VT *lo) {
    VT ph = V(mul)(eh, fh);
    *lo = V(add)(FN(prod_err)(eh, fh, ph), V(fma)(eh, fl, V(mul)(el, fh)));
    return ph;
}

/* x (1 - (qh + ql) 2^-B) for x >= 0, -a (qh + ql) 2^-B for x < 0 */
FA_INLINE VT FN(gelu_side)(const FN(gelu_parts) *s, VT qh, VT ql, VT mult_pos, VT mult_neg) {
    VT uh = V(mul)(qh, S(C(FA_GELU_IB))), ul = V(mul)(ql, S(C(FA_GELU_IB)));
    VT oh = V(sub)(S(1), uh); /* Fast2Sum: 1 >= |uh| */
    VT ol = V(sub)(V(sub)(V(sub)(S(1), oh), uh), ul);
    VT pp = V(mul)(mult_pos, oh), np_ = V(mul)(mult_neg, qh); /* exact products + low parts */
    VT pos = V(add)(pp, V(fma)(mult_pos, ol, FN(prod_err)(mult_pos, oh, pp)));
    VT neg = V(add)(np_, V(fma)(mult_neg, ql, FN(prod_err)(mult_neg, qh, np_)));
    neg = V(mul)(neg, S(C(FA_GELU_IB)));
    return V(select)(s->neg, neg, pos);
}

FA_INLINE VT FN(gelu_y)(VT x, const FN(gelu_parts) *s) {
    VT ql, qh = FN(mul_pair)(s->Eh, s->El, s->kh, s->kl, &ql);
    VT y = FN(gelu_side)(s, qh, ql, s->a, V(sub)(S(0), s->a));
    y = V(select)(FA_CAT(MT, _or)(s->small, s->neg), y, x); /* x > AMAX: gelu(x) = x */
    return FN(nan_through)(x, y);
}

FA_INLINE VT FN(gelu_d)(VT x, const FN(gelu_parts) *s) {
    VT jh, jl, gl;
    FN(gelu_j)(s->af, s->kh, s->kl, &jh, &jl);
    VT gh = FN(mul_pair)(s->Eh, s->El, jh, jl, &gl);
    /* x < 0: E J;  x >= 0: 1 - E J */
    return FN(nan_through)(x, FN(gelu_side)(s, gh, gl, S(1), S(1)));
}

FA_GATED_BODIES(gelu, gelu)

/* Fast gelu: the same formulas with every value rounded once: a^2 exact (its low
 * part enters E as 1 - l/2: a^2/2 reaches 110 and its rounding would otherwise
 * cost up to 4e-6 of E), E from the fast exp 2^FB up, K from
 * FN(erfc_k_fast), J = K - a / sqrt(2 pi) plainly (absolute error near its
 * zero a0). */
FA_INLINE VT FN(gelu_fast_parts)(VT x, VT *a, VT *q, VT *k) {
    *a = V(abs_clamp)(x, S(0), S(C(FA_GELU_AMAX)));
    VT h = V(mul)(*a, *a);
    VT l = FN(prod_err)(*a, *a, h);
    VT E = FN(exp_neg_fast_scaled)(V(mul)(h, S(0.5)));
    E = V(fnma)(E, V(mul)(l, S(0.5)), E);
    *k = FN(erfc_k_fast)(*a);
    *q = V(mul)(E, *k);
    return E;
}

/* gelu from q = E K 2^FB: -a q 2^-FB (x < 0), a - a q 2^-FB (x >= 0), x beyond AMAX */
FA_INLINE VT FN(gelu_fast_y)(VT x, VT a, VT q) {
    VT yn = V(mul)(V(mul)(V(sub)(S(0), a), q), S(C(FA_GATE_IFB)));
    VT yp = V(fnma)(a, V(mul)(q, S(C(FA_GATE_IFB))), a);
    MT neg = V(signmask)(x);
    VT y = V(select)(neg, yn, yp);
    y = V(select)(FA_CAT(MT, _or)(neg, V(lt)(a, S(C(FA_GELU_AMAX)))), y, x);
    return FN(nan_through)(x, y);
}

FA_INLINE VT FN(gelu_fwd_fast)(VT x, const VT *p) {
    VT a, q, k;
    (void)p;
    FN(gelu_fast_parts)(x, &a, &q, &k);
    return FN(gelu_fast_y)(x, a, q);
}

FA_INLINE void FN(gelu_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT a, q, k;
    (void)p;
    VT E = FN(gelu_fast_parts)(x, &a, &q, &k);
    *y = FN(gelu_fast_y)(x, a, q);
    VT j = V(fnma)(a, S(C(FA_INV_SQRT2PI_H)), k);
    VT ej = V(mul)(V(mul)(E, j), S(C(FA_GATE_IFB)));
    VT d = V(select)(V(signmask)(x), ej, V(sub)(S(1), ej)); /* beyond AMAX: 0 or 1 */
    *gx = V(mul)(g, FN(nan_through)(x, d));
}

/* ---- gelu_tanh (approximate="tanh"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) ----
 * = x sigmoid(z), z = A x + B x^3 (A = 2 sqrt(2/pi), B = 0.044715 A): silu's
 * algorithm with z in place of x. z is carried as a pair (a^2 exact, A and B
 * as hi + lo), since e = exp(-|z|) magnifies z's error by |z| (up to 110).
 *   gelu_tanh'(x) = s (1 + x (1 - s) z'), z' = A + 3 B x^2:
 *   N / (1 + e)^2 with N = (1 + e) + a z' e for x = a >= 0 and N = e G,
 *   G = (1 + e) - a z' for x = -a < 0; G vanishes at a1 = 0.75246: there
 *   G = (a - a1) W(a - a1) (tools/fit_erf.py). */
#ifndef FA_ACT_GELUT_CONSTANTS
#define FA_ACT_GELUT_CONSTANTS
#define FA_GELUT_AH_f32 0x1.988454p+0f
#define FA_GELUT_AL_f32 -0x1.857936p-25f
#define FA_GELUT_BH_f32 0x1.2444f2p-4f
#define FA_GELUT_BL_f32 0x1.49b16ap-29f
#define FA_GELUT_B3H_f32 0x1.b6676cp-3f
#define FA_GELUT_B3L_f32 -0x1.175e2p-32f
#define FA_GELUT_A1H_f32 0x1.8142ap-1f
#define FA_GELUT_A1L_f32 -0x1.85a06cp-27f
#define FA_GELUT_W0L_f32 0x1.f53b52p-24f
/* FA_GELUT_W_f32: degree 9 on |a - a1| <= 0.25, max rel err 3.78e-11 */
static const float FA_GELUT_W_f32[] = {-0x1.3af6cep+1f, -0x1.993cd4p-4f, -0x1.9a0ef6p-2f, 0x1.372132p-4f, -0x1.f37a84p-6f, 0x1.717e22p-7f, -0x1.e4774p-9f, 0x1.8d9b4ep-10f, -0x1.494c1p-12f, -0x1.2a45d8p-9f};
#define FA_GELUT_AH_f64 0x1.9884533d43651p+0
#define FA_GELUT_AL_f64 -0x1.cbc0d30ebfd15p-54
#define FA_GELUT_BH_f64 0x1.2444f2a4d8b4bp-4
#define FA_GELUT_BL_f64 -0x1.6c843a29d1c70p-61
#define FA_GELUT_B3H_f64 0x1.b6676bf7450f0p-3
#define FA_GELUT_B3L_f64 0x1.bba7351828aabp-57
#define FA_GELUT_A1H_f64 0x1.81429f9e97e4dp-1
#define FA_GELUT_A1L_f64 -0x1.4f523ed77dbdcp-55
/* FA_GELUT_W_f64: degree 18 on |a - a1| <= 0.25, max rel err 5.65e-17 */
static const double FA_GELUT_W_f64[] = {-0x1.3af6cd05624f6p+1, -0x1.993cd34bf4f0bp-4, -0x1.9a0ef5cdf30cdp-2, 0x1.3720c65c91b86p-4, -0x1.f37b831f961d5p-6, 0x1.721f46cff80e5p-7, -0x1.e3b48390927c3p-9, 0x1.2e3c21a8287b7p-10, -0x1.75d4710a624d2p-12, 0x1.b04c8bbfae9cep-14, -0x1.d7291623778e0p-16, 0x1.fec32728d3dfap-18, -0x1.0d4d58aac69a4p-19, 0x1.0c9eb1f67c9dep-21, -0x1.07b36b482b8b8p-23, 0x1.0138cc5794292p-25, -0x1.e0db19438d352p-28, 0x1.bc2f74f4eac5fp-30, -0x1.945c2fa03691fp-32};
/* x e^-z < 2^-151 beyond the negative limits (z <= 110 / 774 there, so
 * 2^B e^-z stays normal); above the positive ones gelu_tanh(x) == x and the
 * derivative == 1 in the float */
#define FA_GELUT_NEG_XMAX_f32 10.9f
#define FA_GELUT_NEG_XMAX_f64 21.8
#define FA_GELUT_POS_XMAX_f32 8.0f
#define FA_GELUT_POS_XMAX_f64 12.0
#define FA_GELUT_B_f32 0x1p40f
#define FA_GELUT_B_f64 0x1p100
#define FA_GELUT_IB_f32 0x1p-40f
#define FA_GELUT_IB_f64 0x1p-100
#define FA_GELUT_LB_f32 40.0f
#define FA_GELUT_LB_f64 100.0
#endif


/* (AH + AL) + (CH + CL) (h + l) as a pair, for the constants C = B or 3B */
FA_INLINE VT FN(gelut_poly)(VT h, VT l, ST ch, ST cl, VT *lo) {
    VT bh = V(mul)(S(ch), h);
    VT bl = V(add)(FN(prod_err)(S(ch), h, bh), V(fma)(S(ch), l, V(mul)(S(cl), h)));
    VT e, s = FN(two_sum)(S(C(FA_GELUT_AH)), bh, &e);
    *lo = V(add)(e, V(add)(S(C(FA_GELUT_AL)), bl));
    return s;
}

typedef struct { VT a, xm, h, l, Eh, El, dh, dl; MT neg; } FN(gelut_parts);

FA_INLINE FN(gelut_parts) FN(gelut_core)(VT x) {
    FN(gelut_parts) s;
    s.neg = V(signmask)(x);
    s.a = V(abs_clamp)(x, S(0), V(select)(s.neg, S(C(FA_GELUT_NEG_XMAX)),
                                          S(C(FA_GELUT_POS_XMAX))));
    s.xm = V(or)(s.a, V(and)(x, S(-0.0)));
    s.h = V(mul)(s.a, s.a);
    s.l = FN(prod_err)(s.a, s.a, s.h);
    VT wl, wh = FN(gelut_poly)(s.h, s.l, C(FA_GELUT_BH), C(FA_GELUT_BL), &wl);
    VT zh = V(mul)(s.a, wh);
    VT zl = V(fma)(s.a, wl, FN(prod_err)(s.a, wh, zh));
    FN(exp_neg_pair_up)(zh, S(C(FA_GELUT_LB)), &s.Eh, &s.El);
    s.El = V(fnma)(s.Eh, zl, s.El); /* e^-(zh + zl) = e^-zh (1 - zl) */
    VT eh = V(mul)(s.Eh, S(C(FA_GELUT_IB))), el = V(mul)(s.El, S(C(FA_GELUT_IB)));
    s.dh = V(add)(S(1), eh);
    s.dl = V(add)(V(add)(V(sub)(S(1), s.dh), eh), el);
    return s;
}

/* keep the computed value except for x >= POS_XMAX, where f(x) = x, f'(x) = 1 */
FA_INLINE MT FN(gelut_keep)(const FN(gelut_parts) *s) {
    return FA_CAT(MT, _or)(s->neg, V(lt)(s->a, S(C(FA_GELUT_POS_XMAX))));
}

FA_INLINE VT FN(gelut_y)(VT x, const FN(gelut_parts) *s) {
    VT nh = V(select)(s->neg, s->Eh, S(C(FA_GELUT_B))), nl = V(select)(s->neg, s->El, S(0));
    VT ah = V(mul)(s->xm, nh);
    VT al = V(fma)(s->xm, nl, FN(prod_err)(s->xm, nh, ah));
    VT y = V(mul)(FN(div_pair)(ah, al, s->dh, s->dl, FN(recip_div)(s->dh)), S(C(FA_GELUT_IB)));
    return FN(nan_through)(x, V(select)(FN(gelut_keep)(s), y, x));
}

FA_INLINE VT FN(gelut_d)(VT x, const FN(gelut_parts) *s) {
    VT eh = V(mul)(s->Eh, S(C(FA_GELUT_IB))), el = V(mul)(s->El, S(C(FA_GELUT_IB)));
    VT pl, ph = FN(gelut_poly)(s->h, s->l, C(FA_GELUT_B3H), C(FA_GELUT_B3L), &pl); /* z' */
    VT mh = V(mul)(s->a, ph);
    VT ml = V(fma)(s->a, pl, FN(prod_err)(s->a, ph, mh)); /* a z' */
    /* x >= 0: (1 + e) + a z' e, times 2^B */
    VT rl, rh = FN(mul_pair)(mh, ml, eh, el, &rl);
    VT ne, nph = FN(two_sum)(s->dh, rh, &ne);
    VT npl = V(add)(ne, V(add)(s->dl, rl));
    nph = V(mul)(nph, S(C(FA_GELUT_B)));
    npl = V(mul)(npl, S(C(FA_GELUT_B)));
    /* x < 0: E G, G = (1 + e) - a z', or (a - a1) W(a - a1) near a1 */
    VT ge, gh = FN(two_sum)(s->dh, V(sub)(S(0), mh), &ge);
    VT gl = V(add)(ge, V(sub)(s->dl, ml));
    VT u = V(sub)(s->a, S(C(FA_GELUT_A1H)));
    MT win = V(lt)(FN(vabs)(u), S(0.25));
    u = V(select)(win, u, S(0));
    VT dh = V(sub)(u, S(C(FA_GELUT_A1L)));
    VT dl = V(sub)(V(sub)(u, dh), S(C(FA_GELUT_A1L)));
    VT wl0, w = FN(horner_pair)(dh, C(FA_GELUT_W), (int)(sizeof(C(FA_GELUT_W)) / sizeof(ST)),
                                &wl0);
#if !FA_IS_F64
    wl0 = V(add)(wl0, S(FA_GELUT_W0L_f32));
#endif
    VT wh = V(mul)(dh, w);
    VT wl = V(fma)(dh, wl0, V(fma)(dl, w, FN(prod_err)(dh, w, wh)));
    gh = V(select)(win, wh, gh);
    gl = V(select)(win, wl, gl);
    VT qh = V(select)(s->neg, s->Eh, S(0)), ql = V(select)(s->neg, s->El, S(0));
    VT nnl, nnh = FN(mul_pair)(qh, ql, gh, gl, &nnl);
    VT nh = V(select)(s->neg, nnh, nph), nl = V(select)(s->neg, nnl, npl);
    VT d = V(mul)(FN(div_pair_by_square)(nh, nl, s->dh, s->dl), S(C(FA_GELUT_IB)));
    return FN(nan_through)(x, V(select)(FN(gelut_keep)(s), d, S(1)));
}

FA_GATED_BODIES(gelu_tanh, gelut)

/* Fast gelu_tanh: silu's fast algorithm on z. z stays a pair (zh + zl, as in the
 * accurate mode: its rounding, times |z| up to 88, would cost up to 1e-5 of the
 * negative tail), e = exp(-zh) (1 - zl) from the fast exp 2^FB up, one
 * reciprocal of 1 + e; the derivative s (1 + x (1 - s) z') plainly (absolute
 * error near its zero). */
FA_INLINE VT FN(gelut_fast_parts)(VT x, VT *sg, VT *w, VT *xm, VT *h, MT *keep) {
    MT neg = V(signmask)(x);
    VT a = V(abs_clamp)(x, S(0), V(select)(neg, S(C(FA_GELUT_NEG_XMAX)),
                                           S(C(FA_GELUT_POS_XMAX))));
    *h = V(mul)(a, a);
    VT l = FN(prod_err)(a, a, *h);
    VT wl, wh = FN(gelut_poly)(*h, l, C(FA_GELUT_BH), C(FA_GELUT_BL), &wl);
    VT zh = V(mul)(a, wh);
    VT zl = V(fma)(a, wl, FN(prod_err)(a, wh, zh));
    VT E = FN(exp_neg_fast_scaled)(zh);
    E = V(fnma)(E, zl, E);
    VT r = V(div)(S(1), V(fma)(E, S(C(FA_GATE_IFB)), S(1)));
    VT Er = V(mul)(E, r);
    *xm = V(or)(a, V(and)(x, S(-0.0)));
    *keep = FA_CAT(MT, _or)(neg, V(lt)(a, S(C(FA_GELUT_POS_XMAX))));
    *sg = V(select)(neg, Er, r);
    *w = V(select)(neg, r, V(mul)(Er, S(C(FA_GATE_IFB))));
    return V(select)(neg, S(C(FA_GATE_IFB)), S(1));
}

FA_INLINE VT FN(gelu_tanh_fwd_fast)(VT x, const VT *p) {
    VT sg, w, xm, h;
    MT keep;
    VT sc = FN(gelut_fast_parts)(x, &sg, &w, &xm, &h, &keep);
    (void)p;
    return FN(nan_through)(x, V(select)(keep, V(mul)(V(mul)(xm, sg), sc), x));
}

FA_INLINE void FN(gelu_tanh_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT sg, w, xm, h;
    MT keep;
    VT sc = FN(gelut_fast_parts)(x, &sg, &w, &xm, &h, &keep);
    VT dz = V(fma)(S(C(FA_GELUT_B3H)), h, S(C(FA_GELUT_AH))); /* z' = A + 3 B x^2 */
    VT d = V(mul)(V(mul)(sg, V(fma)(V(mul)(xm, w), dz, S(1))), sc);
    (void)p;
    *y = FN(nan_through)(x, V(select)(keep, V(mul)(V(mul)(xm, sg), sc), x));
    *gx = V(mul)(g, FN(nan_through)(x, V(select)(keep, d, S(1))));
}

/* ---- mish: x tanh(softplus(x)) ----
 * With e = exp(-|x|), tanh(softplus(x)) = N / D:
 *   x >= 0: N = 1 + 2e, D = N + 2e^2;   x < 0: N = e (2 + e), D = 2 + N
 * (from tanh(sp) = n / (n + 2), n = e^x (e^x + 2)): sums of positive terms only,
 * nothing overflows, and for x << 0 mish ~ x e keeps relative accuracy.
 *   mish'(x) = N/D + x sigmoid(x) (1 - (N/D)^2) = M / (D^2 (1 + e)):
 *   x >= 0: M = N D (1 + e) + 4 x e^2 (N + e^2)
 *   x < 0:  M = e G, G = (2 + e)(1 + e) D - 4 a (1 + N), a = -x, which vanishes
 *   at a0 = 1.19243: there G = (a - a0) W(a - a0) (tools/fit_erf.py).
 * Everything as pairs, e carried 2^B up as in silu. */
#ifndef FA_ACT_MISH_CONSTANTS
#define FA_ACT_MISH_CONSTANTS
#define FA_MISH_A0H_f32 0x1.31432cp+0f
#define FA_MISH_A0L_f32 0x1.a25b08p-29f
#define FA_MISH_W0L_f32 0x1.e40294p-22f
/* FA_MISH_W_f32: degree 9 on |a - a0| <= 0.25, max rel err 9.43e-10 */
static const float FA_MISH_W_f32[] = {-0x1.0b4912p+3f, 0x1.3943bp+2f, -0x1.aaf8a2p+1f, 0x1.c8f6c6p+0f, -0x1.a9df26p-1f, 0x1.65effcp-2f, -0x1.17b688p-3f, 0x1.4e583p-4f, -0x1.185b82p-6f, -0x1.a43724p-3f};
#define FA_MISH_A0H_f64 0x1.31432c0d12d84p+0
#define FA_MISH_A0L_f64 0x1.bf319154da210p-55
/* FA_MISH_W_f64: degree 18 on |a - a0| <= 0.25, max rel err 4.52e-17 */
static const double FA_MISH_W_f64[] = {-0x1.0b49110dfe496p+3, 0x1.3943b0f83d7a7p+2, -0x1.aaf8a20c7610bp+1, 0x1.c8f4734c51c23p+0, -0x1.a9df112c99fe1p-1, 0x1.67ad7b3d99a79p-2, -0x1.17c2310313a3dp-3, 0x1.94ed0144b3de0p-5, -0x1.130d15cb5e13cp-6, 0x1.6117ef1beefc6p-8, -0x1.ae2727c3062c9p-10, 0x1.f25594615ae03p-12, -0x1.12b4a7242fd8bp-13, 0x1.20418c4ce8b77p-15, -0x1.1fe65e213a106p-17, 0x1.11ba61e7de25fp-19, -0x1.efd0ad12ffa8cp-22, 0x1.b1378f4e6571bp-24, -0x1.646eea5daa7d9p-26};
/* above: mish(x) == x and mish'(x) == 1 in the float (4 x e^-2x < eps/4) */
#define FA_MISH_POS_XMAX_f32 13.0f
#define FA_MISH_POS_XMAX_f64 22.0
#endif

typedef struct { VT a, xm, Eh, El, eh, el, nh, nl, dh, dl, oh, ol; MT neg; } FN(mish_parts);

FA_INLINE FN(mish_parts) FN(mish_core)(VT x) {
    FN(mish_parts) s;
    s.neg = V(signmask)(x);
    s.a = V(abs_clamp)(x, S(0), V(select)(s.neg, S(C(FA_SILU_NEG_XMAX)),
                                          S(C(FA_MISH_POS_XMAX))));
    s.xm = V(or)(s.a, V(and)(x, S(-0.0)));
    FN(exp_neg_pair_up)(s.a, S(C(FA_GELUT_LB)), &s.Eh, &s.El);
    s.eh = V(mul)(s.Eh, S(C(FA_GELUT_IB)));
    s.el = V(mul)(s.El, S(C(FA_GELUT_IB)));
    /* 1 + e */
    s.oh = V(add)(S(1), s.eh);
    s.ol = V(add)(V(add)(V(sub)(S(1), s.oh), s.eh), s.el);
    /* x >= 0: N = 1 + 2e, D = N + 2e^2 */
    VT e2h = V(add)(s.eh, s.eh), e2l = V(add)(s.el, s.el);
    VT nph = V(add)(S(1), e2h);
    VT npl = V(add)(V(add)(V(sub)(S(1), nph), e2h), e2l);
    VT qh = V(mul)(s.eh, s.eh);
    VT ql = V(fma)(V(add)(s.eh, s.eh), s.el, FN(prod_err)(s.eh, s.eh, qh)); /* e^2 */
    VT de, dph = FN(two_sum)(nph, V(add)(qh, qh), &de);
    VT dpl = V(add)(de, V(add)(npl, V(add)(ql, ql)));
    /* x < 0: N = e (2 + e), D = 2 + N */
    VT sh = V(add)(S(2), s.eh);
    VT sl = V(add)(V(add)(V(sub)(S(2), sh), s.eh), s.el);
    VT nul, nuh = FN(mul_pair)(s.eh, s.el, sh, sl, &nul);
    VT dnh = V(add)(S(2), nuh); /* Fast2Sum: N <= 3 */
    VT dnl = V(add)(V(add)(V(sub)(S(2), dnh), nuh), nul);
    s.nh = V(select)(s.neg, nuh, nph);
    s.nl = V(select)(s.neg, nul, npl);
    s.dh = V(select)(s.neg, dnh, dph);
    s.dl = V(select)(s.neg, dnl, dpl);
    return s;
}

FA_INLINE MT FN(mish_keep)(const FN(mish_parts) *s) {
    return FA_CAT(MT, _or)(s->neg, V(lt)(s->a, S(C(FA_MISH_POS_XMAX))));
}

FA_INLINE VT FN(mish_y)(VT x, const FN(mish_parts) *s) {
    /* numerator N 2^B: for x < 0 from E = 2^B e (exact tails) */
    VT sh = V(add)(S(2), s->eh);
    VT sl = V(add)(V(add)(V(sub)(S(2), sh), s->eh), s->el);
    VT Nl, Nh = FN(mul_pair)(s->Eh, s->El, sh, sl, &Nl);
    Nh = V(select)(s->neg, Nh, V(mul)(s->nh, S(C(FA_GELUT_B))));
    Nl = V(select)(s->neg, Nl, V(mul)(s->nl, S(C(FA_GELUT_B))));
    VT ah = V(mul)(s->xm, Nh);
    VT al = V(fma)(s->xm, Nl, FN(prod_err)(s->xm, Nh, ah));
    VT y = V(mul)(FN(div_pair)(ah, al, s->dh, s->dl, FN(recip_div)(s->dh)), S(C(FA_GELUT_IB)));
    return FN(nan_through)(x, V(select)(FN(mish_keep)(s), y, x));
}

FA_INLINE VT FN(mish_d)(VT x, const FN(mish_parts) *s) {
    VT t, tl;
    /* x >= 0: M = N D (1 + e) + 4 a e^2 (N + e^2) */
    VT ndl, ndh = FN(mul_pair)(s->nh, s->nl, s->dh, s->dl, &ndl);
    VT m1l, m1h = FN(mul_pair)(ndh, ndl, s->oh, s->ol, &m1l);
    VT ql, qh = FN(mul_pair)(s->eh, s->el, s->eh, s->el, &ql); /* e^2 */
    VT ne, neh = FN(two_sum)(s->nh, qh, &ne);
    VT nel = V(add)(ne, V(add)(s->nl, ql));
    VT m2l, m2h = FN(mul_pair)(qh, ql, neh, nel, &m2l);
    VT a4 = V(mul)(s->a, S(4));
    t = V(mul)(a4, m2h);
    tl = V(fma)(a4, m2l, FN(prod_err)(a4, m2h, t));
    VT me, mph = FN(two_sum)(m1h, t, &me);
    VT mpl = V(add)(me, V(add)(m1l, tl));
    /* x < 0: M = E G, G = (2 + e)(1 + e) D - 4 a (1 + N) */
    VT sh = V(add)(S(2), s->eh);
    VT sl = V(add)(V(add)(V(sub)(S(2), sh), s->eh), s->el);
    VT sol, soh = FN(mul_pair)(sh, sl, s->oh, s->ol, &sol);
    VT sdl, sdh = FN(mul_pair)(soh, sol, s->dh, s->dl, &sdl);
    VT oe, onh = FN(two_sum)(S(1), s->nh, &oe);
    VT onl = V(add)(oe, s->nl);
    t = V(mul)(a4, onh);
    tl = V(fma)(a4, onl, FN(prod_err)(a4, onh, t));
    VT ge, gh = FN(two_sum)(sdh, V(sub)(S(0), t), &ge);
    VT gl = V(add)(ge, V(sub)(sdl, tl));
    VT u = V(sub)(s->a, S(C(FA_MISH_A0H)));
    MT win = V(lt)(FN(vabs)(u), S(0.25));
    u = V(select)(win, u, S(0));
    VT dh = V(sub)(u, S(C(FA_MISH_A0L)));
    VT dl = V(sub)(V(sub)(u, dh), S(C(FA_MISH_A0L)));
    VT wl0, w = FN(horner_pair)(dh, C(FA_MISH_W), (int)(sizeof(C(FA_MISH_W)) / sizeof(ST)), &wl0);
#if !FA_IS_F64
    wl0 = V(add)(wl0, S(FA_MISH_W0L_f32));
#endif
    VT wh = V(mul)(dh, w);
    VT wl = V(fma)(dh, wl0, V(fma)(dl, w, FN(prod_err)(dh, w, wh)));
    gh = V(select)(win, wh, gh);
    gl = V(select)(win, wl, gl);
    VT Eh = V(select)(s->neg, s->Eh, S(0)), El = V(select)(s->neg, s->El, S(0));
    VT mnl, mnh = FN(mul_pair)(Eh, El, gh, gl, &mnl);
    VT mh = V(select)(s->neg, mnh, V(mul)(mph, S(C(FA_GELUT_B))));
    VT ml = V(select)(s->neg, mnl, V(mul)(mpl, S(C(FA_GELUT_B))));
    /* / (D^2 (1 + e)) */
    VT d2h = V(mul)(s->dh, s->dh);
    VT d2l = V(fma)(V(add)(s->dh, s->dh), s->dl, FN(prod_err)(s->dh, s->dh, d2h));
    VT wql, wqh = FN(mul_pair)(d2h, d2l, s->oh, s->ol, &wql);
    VT d = V(mul)(FN(div_pair)(mh, ml, wqh, wql, FN(recip_div)(wqh)), S(C(FA_GELUT_IB)));
    return FN(nan_through)(x, V(select)(FN(mish_keep)(s), d, S(1)));
}

FA_GATED_BODIES(mish, mish)

/* Fast mish: the accurate mode's N / D with e from the fast exp 2^FB up (x < 0:
 * N carried 2^FB up, exact tails down to the subnormals as in silu), each value
 * rounded once, one division. The derivative M / W, W = D^2 (1 + e), with
 * M = N D (1 + e) + 4 x e^2 (N + e^2) (x >= 0) or e G, G = (2 + e)(1 + e) D -
 * 4 a (1 + N) (x < 0): no cancellation except G's near its zero (absolute error
 * there). */
FA_INLINE VT FN(mish_fast_parts)(VT x, VT *xm, VT *Ns, VT *Ds, VT *e, VT *sc, MT *keep,
                                  VT *Ep) {
    MT neg = V(signmask)(x);
    VT a = V(abs_clamp)(x, S(0), V(select)(neg, S(C(FA_SILU_NEG_XMAX)),
                                           S(C(FA_MISH_POS_XMAX))));
    VT E = FN(exp_neg_fast_scaled)(a);
    *Ep = E;
    *e = V(mul)(E, S(C(FA_GATE_IFB)));
    VT u = V(add)(S(2), *e);
    VT np_ = V(fma)(*e, S(2), S(1)); /* x >= 0: N = 1 + 2e, D = N + 2e^2 */
    VT dp = V(fma)(V(add)(*e, *e), *e, np_);
    VT dn = V(fma)(*e, u, S(2)); /* x < 0: N = e (2 + e), D = 2 + N */
    *Ns = V(select)(neg, V(mul)(E, u), np_);
    *Ds = V(select)(neg, dn, dp);
    *xm = V(or)(a, V(and)(x, S(-0.0)));
    *keep = FA_CAT(MT, _or)(neg, V(lt)(a, S(C(FA_MISH_POS_XMAX))));
    *sc = V(select)(neg, S(C(FA_GATE_IFB)), S(1));
    return a;
}

FA_INLINE VT FN(mish_fast_y)(VT xm, VT N, VT D, VT sc) {
    return V(mul)(V(div)(V(mul)(xm, N), D), sc);
}

FA_INLINE VT FN(mish_fwd_fast)(VT x, const VT *p) {
    VT xm, N, D, e, sc, E;
    MT keep;
    (void)p;
    FN(mish_fast_parts)(x, &xm, &N, &D, &e, &sc, &keep, &E);
    return FN(nan_through)(x, V(select)(keep, FN(mish_fast_y)(xm, N, D, sc), x));
}

FA_INLINE void FN(mish_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT xm, N, D, e, sc, E;
    MT keep;
    (void)p;
    VT a = FN(mish_fast_parts)(x, &xm, &N, &D, &e, &sc, &keep, &E);
    MT neg = V(signmask)(x);
    VT n = V(mul)(N, V(select)(neg, S(C(FA_GATE_IFB)), S(1))); /* N unscaled */
    VT o = V(add)(S(1), e);
    VT Do = V(mul)(D, o);
    VT r = V(div)(S(1), V(mul)(D, Do)); /* 1 / W */
    VT e2 = V(mul)(e, e);
    VT mp = V(fma)(V(mul)(V(mul)(S(4), a), e2), V(add)(n, e2), V(mul)(n, Do));
    VT G = V(fnma)(V(mul)(S(4), a), V(add)(S(1), n), V(mul)(V(mul)(V(add)(S(2), e), o), D));
    VT m = V(select)(neg, V(mul)(E, G), mp);
    *y = FN(nan_through)(x, V(select)(keep, FN(mish_fast_y)(xm, N, D, sc), x));
    *gx = V(mul)(g, FN(nan_through)(x, V(select)(keep, V(mul)(V(mul)(m, r), sc), S(1))));
}
