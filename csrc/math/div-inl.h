/* Quotients near correctly rounded, for operands carried as pairs.
 *
 * q0 = ah / dh (IEEE division), then one correction from the exact residual
 * ah - q0*dh (an FMA, or Dekker's product on targets without FMA) plus the low
 * parts: q = q0 + (ah - q0*dh + al - q0*dl) * rcp(dh). The correction is below
 * one ulp of q0, so an 11-bit reciprocal estimate is plenty; the result is
 * within 0.5 ulp + 2^-20 ulp of (ah + al) / (dh + dl).
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

/* (ah + al) / (dh + dl) with dh in [1, 4]; rd = V(rcp)(dh), shared by callers. */
FA_INLINE VT FN(div_pair)(VT ah, VT al, VT dh, VT dl, VT rd) {
    VT q = V(div)(ah, dh);
    VT rho = V(add)(FN(residual)(ah, q, dh), V(fnma)(q, dl, al));
    return V(fma)(rho, rd, q);
}

/* 1/d to about 1 ulp from the estimate by Newton steps (fast mode). */
FA_INLINE VT FN(recip_fast)(VT d) {
    VT r = V(rcp)(d);
    for (int i = 0; i < C(FA_RCP_STEPS); ++i) r = V(fma)(r, V(fnma)(d, r, S(1)), r);
    return r;
}
