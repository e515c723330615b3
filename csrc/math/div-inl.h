/* Quotients near correctly rounded, for operands carried as pairs.
 *
 * r ~ 1/dh from the reciprocal estimate (FN(recip_div)); q0 = ah * r; then one
 * correction from the exact residual ah - q0*dh (an FMA, or Dekker's product on
 * targets without FMA) plus the low parts: q = q0 + (ah - q0*dh + al - q0*dl) * r.
 * The correction's relative error is that of r, so the quotient's is about its
 * square: with r good to 2^-14 the result is within 0.5 ulp + 2^-4 ulp of
 * (ah + al) / (dh + dl). No division instruction: on the AVX-512 machine
 * measured here this made the fused passes 15% faster (the divider is the
 * slowest unit) and the forward passes no slower.
 */

/* a - q*d, exactly rounded once. */
FA_INLINE VT FN(residual)(VT a, VT q, VT d) {
#if FA_HAS_FMA
    return V(fnma)(q, d, a);
#else
    VT p = V(mul)(q, d);
    VT cq = V(mul)(q, S(C(FA_SPLIT))), cd = V(mul)(d, S(C(FA_SPLIT)));
    VT qh = V(sub)(cq, V(sub)(cq, q)), ql = V(sub)(q, qh);
    VT dh = V(sub)(cd, V(sub)(cd, d)), dl = V(sub)(d, dh);
    VT err = V(add)(V(add)(V(add)(V(sub)(V(mul)(qh, dh), p), V(mul)(qh, dl)), V(mul)(ql, dh)),
                    V(mul)(ql, dl));
    return V(sub)(V(sub)(a, p), err); /* a - p is exact (Sterbenz: p ~ a) */
#endif
}

/* a*b - p exactly, for p = fl(a*b): one FMA (fms), or minus Dekker's residual
 * (the operands must then stay far from overflow). fms(a, b, p) and
 * 0 - (p - a*b) are the same bits (both exact, and x - x is +0 either way):
 * the fms spares the subtraction. */
FA_INLINE VT FN(prod_err)(VT a, VT b, VT p) {
#if FA_HAS_FMA
    return V(fms)(a, b, p);
#else
    return V(sub)(S(0), FN(residual)(p, a, b));
#endif
}

/* (ah + al) / (dh + dl) with dh in [1, 4]; rd = FN(recip_div)(dh), shared by callers.
 * If lo is not NULL, the quotient before its rounding is q + *lo (returned in q). */
FA_INLINE VT FN(div_pair_unrounded)(VT ah, VT al, VT dh, VT dl, VT rd, VT *q, VT *lo) {
    *q = V(mul)(ah, rd);
    VT rho = V(add)(FN(residual)(ah, *q, dh), V(fnma)(*q, dl, al));
    if (lo) *lo = V(mul)(rho, rd);
    return V(fma)(rho, rd, *q);
}
FA_INLINE VT FN(div_pair)(VT ah, VT al, VT dh, VT dl, VT rd) {
    VT q;
    return FN(div_pair_unrounded)(ah, al, dh, dl, rd, &q, NULL);
}

/* 1/(dh + dl): div_pair with the numerator 1 (the estimate rd corrected once
 * from the exact residual). If lo is not NULL, rd + *lo is the quotient before
 * its rounding. */
FA_INLINE VT FN(recip_pair)(VT dh, VT dl, VT rd, VT *lo) {
    VT rho = V(fnma)(rd, dl, FN(residual)(S(1), rd, dh));
    if (lo) *lo = V(mul)(rho, rd);
    return V(fma)(rho, rd, rd);
}

/* (ah + al)(bh + bl) with one rounding, for low parts far below their high
 * parts (al may be 0): FMAs, or without FMA the exact product ah bh (Dekker)
 * plus the small terms, so that it still rounds once. */
FA_INLINE VT FN(mul_pairs)(VT ah, VT al, VT bh, VT bl) {
#if FA_HAS_FMA
    return V(fma)(ah, bh, V(fma)(ah, bl, V(mul)(al, bh)));
#else
    VT p = V(mul)(ah, bh);
    return V(add)(p, V(add)(FN(prod_err)(ah, bh, p), V(add)(V(mul)(ah, bl), V(mul)(al, bh))));
#endif
}

FA_INLINE VT FN(newton)(VT d, VT r, int steps) {
    for (int i = 0; i < steps; ++i) r = V(fma)(r, V(fnma)(d, r, S(1)), r);
    return r;
}

/* 1/d to about 1 ulp: the estimate and enough Newton steps. */
FA_INLINE VT FN(recip)(VT d) { return FN(newton)(d, V(rcp)(d), C(FA_RCP_STEPS)); }

/* 1/d for the fast modes: float32 takes one Newton step from any estimate of at
 * least 11 bits (relative error below 2^-21, their bounds are 1e-6), float64
 * all of FA_RCP_STEPS (bounds 1e-12) */
#define FA_RCP_FAST_STEPS_f32 (FA_RCP_STEPS_f32 < 1 ? FA_RCP_STEPS_f32 : 1)
#define FA_RCP_FAST_STEPS_f64 FA_RCP_STEPS_f64
FA_INLINE VT FN(recip_fast)(VT d) { return FN(newton)(d, V(rcp)(d), C(FA_RCP_FAST_STEPS)); }

/* 1/d rounded once by the divider, or, where the divider is slow (FA_DIV_SLOW:
 * AVX-512), FN(recip): within about 1 ulp instead of half. For a reciprocal that
 * a residual correction follows (the correction does not care which). On the
 * Intel Xeon measured (AVX-512, ns/element at 65,536 float32, best of 3) it took
 * softsign's forward from 0.231 to 0.211 and gelu's from 0.927 to 0.896; the fast
 * modes' divisions (gelu, silu, mish) stay: there it measured 2-8% slower. */
FA_INLINE VT FN(recip_near)(VT d) {
#if FA_DIV_SLOW
    return FN(recip)(d);
#else
    return V(div)(S(1), d);
#endif
}

/* 1/d good enough for div_pair, whose correction squares its error: 2^-14
 * (vrcp14) is enough for float32, a 12-bit estimate needs one Newton step.
 * float64 takes the divider where it is not slow: on Zen 3 (AVX2) its latency
 * beat the float32 estimate and two steps by 10-25% in sigmoid, silu, softplus
 * (float32 measured mixed: not taken). */
FA_INLINE VT FN(recip_div)(VT d) {
#if FA_IS_F64 && !FA_DIV_SLOW
    return V(div)(S(1), d);
#else
    return FN(newton)(d, V(rcp)(d), C(FA_RCP_DIV_STEPS));
#endif
}

/* (eh + el) / (dh + dl)^2 as one corrected quotient, dh in [1, 2]: the square
 * is carried as a pair (its exact rounding error plus the cross term 2 dh dl),
 * so a derivative such as e / (1 + e)^2 is rounded about once, not three times. */
FA_INLINE VT FN(div_pair_by_square)(VT eh, VT el, VT dh, VT dl) {
    VT sh = V(mul)(dh, dh);
    VT sl = V(fma)(V(add)(dh, dh), dl, FN(prod_err)(dh, dh, sh));
    return FN(div_pair)(eh, el, sh, sl, FN(recip_div)(sh));
}
