/* sigmoid and tanh: forward, backward from the output, fused forward+backward.
 *
 * sigmoid(x) = 1 / (1 + e^-x);  sigmoid'(x) = y (1 - y) = e / (1 + e)^2, e = e^-|x|
 * tanh(x) = (1 - e2) / (1 + e2) for x >= 0, e2 = e^-2|x|;  tanh'(x) = 1 - y^2
 *
 * Accurate mode.
 *   float32 where 32-entry lookups are cheap (FA_UNIFORM_LUT below): sigmoid (with
 *   FMA: AVX-512), and tanh's fused derivative, take table polynomials for |x| <= 16;
 *   the forms below serve beyond that, and everywhere else.
 *   sigmoid, |x| <= 70 (float64 80): E = exp(-x) as a pair (math/exp-inl.h),
 *   D = 1 + E as a pair (Fast2Sum), y = 1/D by a corrected reciprocal
 *   (math/div-inl.h): no cancellation, and for x < 0 the large E keeps its
 *   relative accuracy through the quotient, so one form serves both signs (no
 *   numerator, no select: 34 -> 26 vector operations per AVX-512 vector). The
 *   fused gradient is (1/D)(E/D), both quotients left unrounded as pairs and
 *   multiplied with one rounding: full relative accuracy in both tails. The
 *   far tails (|x| > 70 in float32, 29.5 for tanh's fused pass), where results
 *   reach the subnormals
 *   (x < -87.3), are computed apart without any subnormal arithmetic, which
 *   would cost a slowdown of 2-3x on Zen 3 (see "The far tail" below and
 *   kernels-inl.h).
 *   tanh, float32: interval polynomials whose coefficients are looked up
 *   (FN(tanh_lut) below; 32 intervals, 8 on AVX2; by four loads on SSE2).
 *   float64: |x| < T: the Cephes rational x + x^3 P(x^2)/Q(x^2), S. Moshier,
 *   Cephes Math Library, tanh.c, max rel err 4.9e-18 on [0, 0.625] measured with
 *   mpmath; |x| >= T: y = 1 - 2a, a = e2 / (1 + e2) as above, so
 *   y >= 0.5 and the rounding of a is damped. Both dtypes: tanh' = 1 - y^2 below T (y < 0.56,
 *   no cancellation) and 4 e2 / (1 + e2)^2 above it, with 4 e2 computed
 *   directly (the exponent carries the 4) so it reaches the subnormal range exactly.
 *   tanh's inputs are clamped where the result is exactly the float limit (1.0
 *   above 9.01 / 19.06) so that no spurious underflow is raised; the fused pass
 *   clamps far later since the derivative keeps decaying. sigmoid needs no
 *   clamp up to |x| = 70 / 80 (E = e^-x stays normal, its pair too).
 * Fast mode.
 *   sigmoid: exp with a degree-5 polynomial rounded to one value, 1/d by the
 *   reciprocal estimate and one Newton step in float32 (FN(recip_fast)), e/(1 + e)
 *   and 1 - e/(1 + e); subnormal results flush to 0.
 *   tanh, float32 where 32-entry lookups are cheap (AVX-512, scalar): the accurate
 *   forward (its tables of degree 5, with the clamps that their error needs, were
 *   only 7% faster on AVX-512). Elsewhere (AVX2, SSE2, float64): x P(x^2) / Q(x^2),
 *   P and Q of degree 4 (max rel err 6.0e-8 on [0, 9.125]), exactly 1 from 9.010914
 *   on; on AVX2 (Zen 3, kernel_cycles, five runs) 0.68-0.76 ns/element against
 *   the 8-interval table's 0.87-0.97, whose nine lookups share a pipe with the
 *   FMAs there. 1/Q keeps FN(recip)'s full Newton steps: with one, the fused
 *   pass's 1 - y^2 came within 20% of its bound.
 *   Fused derivative 1 - y^2 (absolute error up to 9.0e-7 near saturation over
 *   every float32, SSE2; 7.3e-7 AVX2; where the accurate mode keeps relative
 *   accuracy).
 * Special values: NaN in gives that NaN out, quieted (NaN lanes are found on the
 * bit pattern and clamped by integer ops, so even signalling NaNs raise no flag);
 * +-inf give the exact limits; tanh keeps the sign of -0.0.
 * Backward from the output follows torch's operation order exactly:
 * (g * (1 - y)) * y and g * (1 - y * y), so it is the same on every ISA.
 * Measured errors: see fastact/_registry.py (python -m fastact.verify).
 */
#ifndef FA_ACT_SIGMOID_TANH_CONSTANTS
#define FA_ACT_SIGMOID_TANH_CONSTANTS
#include "tables.h"
#define FA_TANH_LUT_MIN_f32 0x1p-12f  /* below: tanh(x) == x in float32 */
#define FA_TINY_f32 0x1p-40f          /* below: sigmoid = 0.5 exactly, tanh = x */
#define FA_TINY_f64 0x1p-100
#define FA_SIG_XMAX_f32 104.0f        /* e^-104 < 2^-150: sigmoid(-x) and sigmoid' are 0 */
#define FA_SIG_XMAX_f64 746.0
/* the accurate passes' tail (sigmoid_plain): beyond, sigmoid rounds as e^-|x| (x < 0)
 * or 1, sigmoid' as e^-|x|. float64 stops at 80, where 1 + e^80 = 5.5e34 is still in
 * float32's range (where SSE2 and AVX2 took float64 reciprocal estimates in float32;
 * they now divide, math/div-inl.h) */
#define FA_SIG_SPLIT_f32 70.0f
#define FA_SIG_SPLIT_f64 80.0
#define FA_EXPF_XMAX_f32 87.9f        /* fast exp: n >= -127, 2^-127 builds as 0 */
#define FA_EXPF_XMAX_f64 709.0
/* tanh's fused pass: its far tail, and the stand-in's 2^n (e^-59 = 2^-85.1) */
#define FA_TANH_SPLIT_f32 29.5f
#define FA_TANH_SPLIT_f64 300.0
#define FA_TANH_NMIN_f32 -86.0f
#define FA_TANH_NMIN_f64 -866.0
#define FA_TANH_T_f32 0.5625f
#define FA_TANH_T_f64 0.625
#define FA_TANH_XMAX_f32 9.125f       /* tanh(x) == 1.0 for x > 9.01 */
#define FA_TANH_XMAX_f64 19.5         /* and for x > 19.06 */
#define FA_TANH_FUSED_XMAX_f32 53.0f  /* 4 e^-106 < 2^-150: tanh' is 0 */
#define FA_TANH_FUSED_XMAX_f64 374.0
#define FA_TANH_SAT_f32 0x1.205968p+3f /* 9.010914: first float whose tanh rounds to 1 */
#define FA_TANH_SAT_f64 0x1.30fc1931f09cap+4 /* 19.0615 */
static const double FA_TANH_P_f64[] = {-1.61468768441708447952E3, -9.92877231001918586564E1,
                                       -9.64399179425052238628E-1};
static const double FA_TANH_Q_f64[] = {4.84406305325125486048E3, 2.23548839060100448583E3,
                                       1.12811678491632931402E2, 1.0};
/* Fast tanh rational, float32 fit (tools/fit.py), also used for float64 fast mode. */
#define FA_TANHF_P_COEFFS 0x1p+0, 0x1.11dfdep-3, 0x1.c8e3fp-9, 0x1.57102p-16, 0x1.c3367p-27
#define FA_TANHF_Q_COEFFS 0x1p+0, 0x1.de4538p-2, 0x1.a75ba6p-6, 0x1.56d87ap-12, 0x1.9c9ac4p-21
static const float FA_TANHF_P_f32[] = {FA_TANHF_P_COEFFS}, FA_TANHF_Q_f32[] = {FA_TANHF_Q_COEFFS};
static const double FA_TANHF_P_f64[] = {FA_TANHF_P_COEFFS}, FA_TANHF_Q_f64[] = {FA_TANHF_Q_COEFFS};
#endif


/* ---- the uniform tables (tables.h) ---- */

/* |x| > split, without a floating-point flag for any NaN: NaN lanes count as
 * tail, and the _tail bodies pass them through */
FA_INLINE MT FN(beyond_split)(VT x, VT split) { return V(abs_gt)(x, split); }

/* Float32 where 32-entry lookups are cheap (FA_HAS_LUT32: AVX-512 in registers,
 * SSE2 by four loads, scalar by one): sigmoid, and tanh's fused derivative, take a
 * polynomial from a table on 32 intervals of width 1/2 over [0, 16], found from
 * the bits of |x| + 16 (tools/fit.py, UNIFORM_TABLES): f(MID + t) ~ C0 + C1 t +
 * ... + C7 t^7, t = |x| - MID exact (both within a factor 2, or t's rounding
 * below 2^-26 where f' is small), MID a Gal point as in tanh_lut. Lanes beyond
 * 16 and NaN are the guarded bodies' tail (kernels-inl.h). */
#define FA_UNIFORM_LUT (!FA_IS_F64 && FA_HAS_LUT32)
#define FA_UNIFORM_LUT_END 16.0f
#if FA_UNIFORM_LUT
FA_INLINE MT FN(uniform_lut_is_tail)(VT x) { return FN(beyond_split)(x, S(FA_UNIFORM_LUT_END)); }
/* lo (when given, with FMA): the last step's rounding error, r t + C0 - result;
 * c0 - y is exact (Sterbenz) where |r t| <= c0 / 2, as on the sigmoid table (0.37
 * at most), not on sech^2's (0.84), which asks for no lo */
FA_INLINE VT FN(uniform_poly)(const float *mid, const float *const *c, VT ax, VT *lo) {
    VT ai = V(min)(V(add)(ax, S(FA_UNIFORM_LUT_END)), S(0x1.fffffep+4f)); /* 16: the last */
    VT t = V(sub)(ax, V(lut32)(mid, ai, 18));
    VT r = V(lut32)(c[7], ai, 18);
    for (int k = 6; k >= 1; --k) r = V(fma)(r, t, V(lut32)(c[k], ai, 18));
    VT c0 = V(lut32)(c[0], ai, 18), y = V(fma)(r, t, c0);
    if (lo) *lo = V(fma)(r, t, V(sub)(c0, y));
    return y;
}
#define FA_UNIFORM_POLY(T, ax, lo)                                                       \
    FN(uniform_poly)(FA_##T##_MID,                                                       \
                     (const float *const[]){FA_##T##_C0, FA_##T##_C1, FA_##T##_C2, FA_##T##_C3, \
                                            FA_##T##_C4, FA_##T##_C5, FA_##T##_C6, FA_##T##_C7}, \
                     ax, lo)
#endif


/* ---- sigmoid ---- */


/* The far tail, |x| > FA_SIG_SPLIT, is computed apart, without subnormal
 * arithmetic (math/exp-inl.h, FN(exp_neg_pair_split)): there sigmoid(x) =
 * e (1 - e) (x < 0) and sigmoid'(x) = e (1 - 2 e) both round as e = e^-|x|,
 * taken from E = 2^LB e scaled down once (FN(scale_down)). Two bodies per pass
 * (kernels-inl.h, "Guarded kernels"): the plain one (sigmoid_plain below), for
 * |x| <= SPLIT, and _tail, right beyond it and for NaN; mixed blocks take each
 * lane from the one that is right for it. */
FA_INLINE VT FN(sigmoid_tail_E)(VT x) {
    VT eh, el, E;
    FN(exp_neg_pair_split)(V(abs_clamp)(x, S(C(FA_TINY)), S(C(FA_SIG_XMAX))), 0, C(FA_EXP_NMIN),
                           &eh, &el, &E);
    return E;
}

/* sigmoid in the tail (x < -SPLIT): e, subnormal below x = -87.34 / -708.40
 * (sigmoid(x) < 2^emin from -87.3365 / -708.3964 on: lanes in between round
 * their subnormal directly, which is right, if slower) */
#define FA_SIG_SUB_f32 -87.34f
#define FA_SIG_SUB_f64 -708.40
FA_INLINE VT FN(sigmoid_tail_y)(VT x, VT E) {
    return FN(scale_down)(E, FN(beyond_split)(x, S(-C(FA_SIG_SUB))));
}

/* The accurate passes' body for |x| <= FA_SIG_SPLIT (the guard sends larger |x|
 * and NaN to the _tail bodies): y = 1 / (1 + E) with E = e^-x for either sign
 * (E <= e^80 stays far from overflow), as a pair eh + el; D = 1 + E as a pair
 * (Fast2Sum, the larger operand first); y = 1/D by the estimate and one
 * correction (math/div-inl.h, FN(recip_pair)). No numerator and no sign select:
 * for x < 0 the quotient by the large D keeps E's relative accuracy, as e/(1+e)
 * did. |x| < TINY is taken as 0 (exactly 0.5; keeps t^2 off the subnormals). */
typedef struct { VT y, ylo, eh, el, dh, dl, rd, xs; } FN(sig_plain);

FA_INLINE FN(sig_plain) FN(sigmoid_plain)(VT x, int want_lo) {
    FN(sig_plain) s;
    s.xs = V(select)(V(abs_gt)(x, S(C(FA_TINY))), x, S(0)); /* x, |x| < TINY as 0 */
    FN(exp_neg_pair)(s.xs, 0, 0, &s.eh, &s.el);
    VT big = V(max)(s.eh, S(1)), small = V(min)(s.eh, S(1));
    s.dh = V(add)(big, small);
    s.dl = V(add)(V(add)(V(sub)(big, s.dh), small), s.el);
    s.rd = FN(recip_div)(s.dh);
    s.y = FN(recip_pair)(s.dh, s.dl, s.rd, want_lo ? &s.ylo : NULL);
    return s;
}

/* both accurate passes: the tail is |x| > SPLIT or NaN; there sigmoid' rounds as
 * e, and y as e (x < 0) or 1 */
FA_INLINE MT FN(sigmoid_acc_is_tail)(VT x) { return FN(beyond_split)(x, S(C(FA_SIG_SPLIT))); }
FA_INLINE VT FN(sigmoid_tail_y_signed)(VT x, VT E) {
    return FN(nan_through)(x, V(select)(V(signmask)(x), FN(sigmoid_tail_y)(x, E), S(1)));
}

FA_INLINE MT FN(sigmoid_fwd_exp_is_tail)(VT x) { return FN(sigmoid_acc_is_tail)(x); }
FA_INLINE VT FN(sigmoid_fwd_exp)(VT x, const VT *p) { return FN(sigmoid_plain)(x, 0).y; }
FA_INLINE VT FN(sigmoid_fwd_exp_tail)(VT x, const VT *p) {
    return FN(sigmoid_tail_y_signed)(x, FN(sigmoid_tail_E)(x));
}

/* sigmoid' = w y with w = E / D = sigmoid(-x) and y = 1 / D, both quotients
 * left unrounded as pairs (wh + wl, rd + ylo), multiplied with one rounding
 * (without FMA: (wh + wl) / D, as one corrected quotient): about half an ulp
 * beyond E's own error, where y (1 - y) would cancel */
FA_INLINE MT FN(sigmoid_fused_exp_is_tail)(VT x) { return FN(sigmoid_acc_is_tail)(x); }
FA_INLINE void FN(sigmoid_fused_exp)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    FN(sig_plain) s = FN(sigmoid_plain)(x, 1);
    VT wh, wl;
    FN(div_pair_unrounded)(s.eh, s.el, s.dh, s.dl, s.rd, &wh, &wl);
    *y = s.y;
#if FA_HAS_FMA
    *gx = V(mul)(g, V(fma)(wh, s.rd, V(fma)(wh, s.ylo, V(mul)(wl, s.rd))));
#else /* that product would round twice: the quotient (wh + wl) / D instead */
    *gx = V(mul)(g, FN(div_pair)(wh, wl, s.dh, s.dl, s.rd));
#endif
}
FA_INLINE void FN(sigmoid_fused_exp_tail)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT E = FN(sigmoid_tail_E)(x);
    *y = FN(sigmoid_tail_y_signed)(x, E);
    *gx = FN(nan_through)(x, FN(scale_down_signed)(V(mul)(g, E)));
}

#if FA_UNIFORM_LUT && FA_HAS_FMA
/* float32 where 32-entry lookups are cheap and FMA rounds the polynomial's steps
 * once (without it, SSE2 and the scalar path measured 1.03 ulp forward, 2.02
 * fused): v = sigmoid(-|x|) from its table for |x| <= 16 (fit 0.035 * 2^-24, Gal
 * points), y = v for x < 0 and 1 - v above (v <= 1/2, so 1 - v rounds once and
 * v's error counts half), sigmoid' = v (1 - v) from v unrounded (vh + vl, the
 * polynomial's last rounding error) and 1 - vh as uh + ul (exact), rounded once:
 * rounding v first cost up to 1.1 ulp of the derivative where v (1 - v) falls a
 * binade below v (1.63 ulp in all). Full relative accuracy in both tails from one
 * table polynomial, no exponential and no quotient. |x| > 16 and
 * NaN take the exp form's bodies above (guarded: FA_MIXED_BODY). |x| below 2^-40
 * is taken as that (sigmoid = 1/2 exactly), keeping subnormals out of the
 * arithmetic. */
FA_INLINE VT FN(sigmoid_lut)(VT x, VT *d) {
    VT vl, ax = V(abs_clamp)(x, S(C(FA_TINY)), S(FA_UNIFORM_LUT_END));
    VT v = FA_UNIFORM_POLY(SIGMOID_LUT, ax, d ? &vl : NULL);
    VT u = V(sub)(S(1), v);
    if (d) {
        VT ul = V(sub)(V(sub)(S(1), u), v); /* 1 - v = u + ul exactly */
        /* v (1 - v) = v u + v ul + vl (1 - 2v), the last two terms tiny */
        *d = V(fma)(v, u, V(fma)(vl, V(fnma)(S(2), v, S(1)), V(mul)(v, ul)));
    }
    return V(select)(V(signmask)(x), v, u);
}
FA_INLINE MT FN(sigmoid_fwd_acc_is_tail)(VT x) { return FN(uniform_lut_is_tail)(x); }
FA_INLINE VT FN(sigmoid_fwd_acc)(VT x, const VT *p) {
    return FN(sigmoid_lut)(x, NULL);
}
FA_MIXED_BODY_FWD(sigmoid_fwd_acc_tail, sigmoid_fwd_exp)
#define FA_TAIL_GUARD_sigmoid_fwd_acc FA_TAILED(sigmoid_fwd_exp)
FA_INLINE MT FN(sigmoid_fused_acc_is_tail)(VT x) { return FN(uniform_lut_is_tail)(x); }
FA_INLINE void FN(sigmoid_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT d;
    *y = FN(sigmoid_lut)(x, &d);
    *gx = V(mul)(g, d);
}
FA_MIXED_BODY_FUSED(sigmoid_fused_acc_tail, sigmoid_fused_exp)
#define FA_TAIL_GUARD_sigmoid_fused_acc FA_TAILED(sigmoid_fused_exp)
#else
FA_GUARDED_ALIAS_FWD(sigmoid_fwd_acc, sigmoid_fwd_exp)
FA_GUARDED_ALIAS_FUSED(sigmoid_fused_acc, sigmoid_fused_exp)
#endif
#define FA_GUARD_sigmoid_fwd_acc FA_GUARDED
#define FA_GUARD_sigmoid_fused_acc FA_GUARDED

FA_INLINE VT FN(sigmoid_fast_core)(VT x, VT *w) {
    MT neg = V(signmask)(x);
    VT e = FN(exp_neg_fast)(V(abs_clamp)(x, S(C(FA_TINY)), S(C(FA_EXPF_XMAX))));
    VT r = FN(recip_fast)(V(add)(S(1), e));
    VT er = V(mul)(e, r); /* sigmoid(-|x|) = e/(1 + e) */
    /* sigmoid(|x|) as 1 - e/(1 + e) (one rounding with FMA), not as 1/(1 + e):
     * the reciprocal's error (one Newton step on SSE2 and AVX2, float32) is then
     * scaled by e/(1 + e) <= 1/2, and e < 2^-25 gives exactly 1 (sigmoid(+inf) =
     * 1) with no test of its own */
    VT om = V(fnma)(e, r, S(1));
    *w = V(select)(neg, om, er);
    return FN(nan_through)(x, V(select)(neg, er, om));
}

FA_INLINE VT FN(sigmoid_fwd_fast)(VT x, const VT *p) {
    VT w;
    return FN(sigmoid_fast_core)(x, &w);
}

FA_INLINE void FN(sigmoid_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT w;
    *y = FN(sigmoid_fast_core)(x, &w);
    *gx = V(mul)(g, V(mul)(*y, w));
}

FA_INLINE VT FN(sigmoid_bwd)(VT g, VT y, const VT *p) {
    return V(mul)(V(mul)(g, V(sub)(S(1), y)), y);
}

/* ---- tanh ---- */

/* tanh(ax) for 0 <= ax < T (ax >= TINY keeps every product normal). */
#if FA_IS_F64
FA_INLINE VT FN(tanh_small)(VT ax) {
    VT s = V(mul)(ax, ax);
    VT q = V(div)(FA_HORNER(s, C(FA_TANH_P)), FA_HORNER(s, C(FA_TANH_Q)));
    return V(fma)(V(mul)(ax, s), q, ax);
}
#endif

typedef struct { VT y, eh, el, dh, dl, E; MT small; } FN(tanh_parts);

/* fused: 0 for the forward (|x| <= 9.125, nothing tiny); 1 for the fused
 * pass, whose e2 goes down to the subnormal limit (beyond |x| = FA_TANH_SPLIT,
 * below, a stand-in, as in sigmoid_tail_E); 2 for that and E = 2^LB 4 e2 (the
 * fused pass's tail bodies). */
FA_INLINE FN(tanh_parts) FN(tanh_core)(VT x, VT xmax, int fused) {
    FN(tanh_parts) s;
    VT ax = V(abs_clamp)(x, S(0), xmax);
    s.small = V(lt)(ax, S(C(FA_TANH_T)));
    /* E = 4 e2 = 4 e^-2|x| as a pair; e2 = E/4 (exact scaling where it matters:
     * once it is not, 1 + e2 rounds to 1 anyway) */
    /* the floor keeps subnormal |x| out of this sum (same bits: it rounds to T there) */
    VT a = V(add)(V(max)(ax, S(C(FA_TINY))), V(max)(ax, S(C(FA_TANH_T))));
    if (fused)
        FN(exp_neg_pair_split)(a, 2, C(FA_TANH_NMIN), &s.eh, &s.el, fused == 2 ? &s.E : NULL);
    else
        FN(exp_neg_pair)(a, 0, 2, &s.eh, &s.el);
    VT e2h = V(mul)(S(0.25), s.eh), e2l = V(mul)(S(0.25), s.el);
    s.dh = V(add)(S(1), e2h);
    s.dl = V(add)(V(add)(V(sub)(S(1), s.dh), e2h), e2l);
#if FA_IS_F64 /* float32 takes y from its tables (tanh_lut) */
    VT ys = V(select)(V(lt)(ax, S(C(FA_TINY))), ax,
                      FN(tanh_small)(V(min)(V(max)(ax, S(C(FA_TINY))), S(C(FA_TANH_T)))));
    VT a4 = FN(div_pair)(s.eh, s.el, s.dh, s.dl, FN(recip_div)(s.dh)); /* 4e2/(1+e2) = 2(1-y) */
    VT yl = V(fnma)(S(0.5), a4, S(1)); /* exact product, one rounding */
    VT y = V(or)(V(select)(s.small, ys, yl), V(and)(x, S(-0.0)));
    s.y = FN(nan_through)(x, y);
#endif
    return s;
}

/* Table-driven float32 tanh where lookups are cheap (FA_HAS_LUT32): on the
 * interval of |x| from tools/fit.py (two per binade), y = B + t (C1 + t (C2 +
 * ... C7)) with t = |x| - MID exact (MID and |x| within a factor 2) and B = C0.
 * MID is a float whose tanh lies within a few millionths of an ulp of the float
 * C0 (S. Gal's "accurate tables"; 0.17 ulp on [2^-12, 1.5 2^-12), where
 * tanh(x) = x - x^3/3 has no such point), so the result is within 0.5 ulp + the
 * fit (0.33 * 2^-24 on that first interval, 0.1 * 2^-24 elsewhere) + the rounding
 * of C1 + ... times t (a fraction of an ulp), one rounding at the end. Tables held
 * in registers, intervals from the float's exponent and top mantissa bits: the
 * layout of Intel SVML's high-accuracy tanh and of NumPy's AVX-512 tanh;
 * coefficients our own. With 8-entry lookups only (FA_HAS_LUT8, AVX2: one vpermps
 * each, from memory) the interval comes from v = |x| + 0.5 clamped below 8, so
 * that 8 intervals cover [0, 9.125]; on the first, MID = C0 = 0 and B = t (D = 1),
 * which keeps the leading term exact (fit 0.26 * 2^-24 at most). */
#if !FA_IS_F64
#if !FA_HAS_LUT32 && !FA_HAS_LUT8
#error "float32 tanh needs table lookups: FA_HAS_LUT32 or FA_HAS_LUT8 (csrc/vec/README.md)"
#endif
#if FA_HAS_LUT32
#define FA_TANH_LOOKUP(col, a) V(lut32)(FA_TANH_LUT_##col, a, 22)
#else
#define FA_TANH_LOOKUP(col, a) V(lut8)(FA_TANH_LUT8_##col, a, 22)
#endif
/* one array per coefficient: a 2-D table (rows of a [9][32] array) kept GCC from
 * pairing the scalar path's two iterations into SSE (2.7 -> 4.5 ns/element) */
FA_INLINE VT FN(tanh_lut)(VT x) {
    VT sign = V(and)(x, S(-0.0));
    /* the floor keeps subnormals out of the arithmetic; below it y = x */
    VT ax = V(abs_clamp)(x, S(FA_TANH_LUT_MIN_f32), S(C(FA_TANH_XMAX)));
#if FA_HAS_LUT32
    VT ai = ax;
#else
    VT ai = V(min)(V(add)(ax, S(0.5f)), S(0x1.fffffep+2f));
#endif
    VT t = V(sub)(ax, FA_TANH_LOOKUP(MID, ai));
    VT c = FA_TANH_LOOKUP(C7, ai);
    c = V(fma)(c, t, FA_TANH_LOOKUP(C6, ai));
    c = V(fma)(c, t, FA_TANH_LOOKUP(C5, ai));
    c = V(fma)(c, t, FA_TANH_LOOKUP(C4, ai));
    c = V(fma)(c, t, FA_TANH_LOOKUP(C3, ai));
    c = V(fma)(c, t, FA_TANH_LOOKUP(C2, ai));
    c = V(fma)(c, t, FA_TANH_LOOKUP(C1, ai));
#if FA_HAS_LUT32
    VT b = FA_TANH_LOOKUP(C0, ai);
#else
    VT b = V(fma)(FA_TANH_LOOKUP(D, ai), t, FA_TANH_LOOKUP(C0, ai)); /* t or C0, exactly */
#endif
    VT y = V(fma)(c, t, b);
    y = V(select)(V(abs_gt)(x, S(0x1.fffffep-13f)), y, V(andnot)(S(-0.0), x));
    return FN(nan_through)(x, V(or)(y, sign));
}
#undef FA_TANH_LOOKUP
#endif

FA_INLINE VT FN(tanh_fwd_acc)(VT x, const VT *p) {
#if !FA_IS_F64
    return FN(tanh_lut)(x);
#else
    return FN(tanh_core)(x, S(C(FA_TANH_XMAX)), 0).y;
#endif
}

/* The fused pass from the exponential, for every |x|: y as the forward's, tanh'
 * = 1 - y^2 below T (no cancellation there) and 4 e2 / (1 + e2)^2 above, with
 * e2 = e^-2|x| as a pair. Its far tail, |x| > FA_TANH_SPLIT (tanh_core): there
 * tanh(x) = +-1 and tanh'(x) rounds as 4 e2, from E. Lower than FA_EXP_SPLIT /
 * 2: the plain pass slows down from |x| = 30 on (Zen 3). */
FA_INLINE MT FN(tanh_fused_exp_is_tail)(VT x) { return FN(beyond_split)(x, S(C(FA_TANH_SPLIT))); }
FA_INLINE void FN(tanh_fused_exp)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    FN(tanh_parts) s = FN(tanh_core)(x, S(C(FA_TANH_FUSED_XMAX)), 1);
#if !FA_IS_F64
    s.y = FN(tanh_lut)(x); /* the forward's y: the core leaves y to the tables */
#endif
    VT d = V(select)(s.small, V(fnma)(s.y, s.y, S(1)),
                     FN(div_pair_by_square)(s.eh, s.el, s.dh, s.dl));
    *y = s.y;
    *gx = V(mul)(g, FN(nan_through)(x, d));
}
FA_INLINE void FN(tanh_fused_exp_tail)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT E = FN(tanh_core)(x, S(C(FA_TANH_FUSED_XMAX)), 2).E;
    *y = FN(nan_through)(x, V(or)(S(1), V(and)(x, S(-0.0))));
    *gx = FN(nan_through)(x, FN(scale_down_signed)(V(mul)(g, E)));
}

#if FA_UNIFORM_LUT
/* float32 where 32-entry lookups are cheap: tanh' = sech^2 from a table of its
 * own for |x| <= 16 (fit 0.12 * 2^-24, Gal points), y from the forward's tables:
 * two table polynomials and no exponential, no quotient pair, no cancellation of
 * 1 - y^2. |x| > 16 and NaN take the exp pass above (guarded: FA_MIXED_BODY),
 * whose own tail starts at FA_TANH_SPLIT. */
FA_INLINE MT FN(tanh_fused_acc_is_tail)(VT x) { return FN(uniform_lut_is_tail)(x); }
FA_INLINE void FN(tanh_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    /* the floor keeps subnormal |x| out of the arithmetic (same bits: t rounds to -MID) */
    VT d = FA_UNIFORM_POLY(SECH2_LUT, V(abs_clamp)(x, S(C(FA_TINY)), S(FA_UNIFORM_LUT_END)), NULL);
    *y = FN(tanh_lut)(x);
    *gx = V(mul)(g, d);
}
FA_MIXED_BODY_FUSED(tanh_fused_acc_tail, tanh_fused_exp)
#define FA_TAIL_GUARD_tanh_fused_acc FA_TAILED(tanh_fused_exp)
#else
FA_GUARDED_ALIAS_FUSED(tanh_fused_acc, tanh_fused_exp)
#endif
#define FA_GUARD_tanh_fused_acc FA_GUARDED

FA_INLINE VT FN(tanh_fwd_fast)(VT x, const VT *p) {
#if !FA_IS_F64 && FA_HAS_LUT32 && !FA_LUT32_GATHER
    return FN(tanh_lut)(x); /* a cheaper table (degree 5) gained only 7% */
#else
    VT sign = V(and)(x, S(-0.0));
    VT ax = V(abs_clamp)(x, S(0), S(C(FA_TANH_XMAX)));
    VT axs = V(max)(ax, S(C(FA_TINY)));
    VT s = V(mul)(axs, axs);
    VT q = FN(recip)(FA_HORNER(s, C(FA_TANHF_Q)));
    VT y = V(min)(V(mul)(V(mul)(axs, FA_HORNER(s, C(FA_TANHF_P))), q), S(1));
    y = V(select)(V(lt)(ax, S(C(FA_TINY))), ax, y);          /* tanh(x) == x */
    y = V(select)(V(lt)(ax, S(C(FA_TANH_SAT))), y, S(1)); /* the float result is 1 */
    return FN(nan_through)(x, V(or)(y, sign));
#endif
}

FA_INLINE void FN(tanh_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    *y = FN(tanh_fwd_fast)(x, p);
    *gx = V(mul)(g, V(fnma)(*y, *y, S(1)));
}

FA_INLINE VT FN(tanh_bwd)(VT g, VT y, const VT *p) {
    return V(mul)(g, V(sub)(S(1), V(mul)(y, y)));
}
