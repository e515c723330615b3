/* exp on vectors, written once for every target and dtype (see kernels-inl.h).
 *
 * exp(z), z <= 0: z = n*ln2 + t with n = round(z/ln2) (a magic-number add),
 * t = (z - n*LN2_HI) - n*LN2_LO (Cody-Waite: the first step is exact on every
 * target, with or without FMA), e^t = 1 + r with r = t + t^2*P(t), and 2^n is
 * built from the integer bits of the magic sum. The accurate form keeps
 * 1 + r as an unevaluated pair (hi + lo, Fast2Sum) so that the final rounding
 * of the polynomial does not reach the activation; the scaling by 2^n is exact
 * for normal results and rounds once for subnormal ones (vscalef, or two exact
 * half steps on targets without it), so nothing ever flushes to zero.
 */

/* k = n + MAGIC (see constants.h); returns t. */
FA_INLINE VT FN(exp_reduce)(VT z, VT *k, VT *n) {
    *k = V(fma)(z, S(C(FA_LOG2E)), S(C(FA_MAGIC)));
    *n = V(sub)(*k, S(C(FA_MAGIC)));
    VT t = V(fma)(*n, S(-C(FA_LN2_HI)), z);
    return V(fma)(*n, S(-C(FA_LN2_LO)), t);
}

FA_INLINE VT FN(horner)(VT t, const ST *c, int len) {
    VT p = S(c[len - 1]);
    for (int i = len - 2; i >= 0; --i) p = V(fma)(p, t, S(c[i]));
    return p;
}
#define FA_HORNER(t, coeffs) FN(horner)(t, coeffs, (int)(sizeof(coeffs) / sizeof(coeffs[0])))

/* p * 2^n for integer-valued n in [-2*bias, 0]: one rounding, correct subnormals. */
FA_INLINE VT FN(ldexp_full)(VT p, VT n) {
#if FA_HAS_SCALEF
    return V(scalef)(p, n);
#else
    VT k1 = V(fma)(n, S(0.5), S(C(FA_MAGIC))); /* n1 = round(n/2) */
    VT k2 = V(add)(V(sub)(n, V(sub)(k1, S(C(FA_MAGIC)))), S(C(FA_MAGIC)));
    return V(mul)(V(mul)(p, V(pow2)(k1)), V(pow2)(k2));
#endif
}

/* exp(z) = hi + lo for z in [ZMIN, 0] (|lo| <= ulp(hi)/2). full: results may be
 * subnormal (z < -87.3 for float32); otherwise z must keep the result normal. */
FA_INLINE void FN(exp_pair)(VT z, int full, VT *hi, VT *lo) {
    VT k, n;
    VT t = FN(exp_reduce)(z, &k, &n);
    VT r = V(fma)(V(mul)(t, t), FA_HORNER(t, C(FA_EXP_P)), t);
    VT ph = V(add)(S(1), r);
    VT pl = V(add)(V(sub)(S(1), ph), r); /* exact: |r| < 1 */
    if (full) {
        *hi = FN(ldexp_full)(ph, n);
        *lo = FN(ldexp_full)(pl, n);
    } else {
        VT s = V(pow2)(k);
        *hi = V(mul)(ph, s);
        *lo = V(mul)(pl, s);
    }
}

/* Fast mode: exp(z) rounded once more, for z >= FA_EXPF_ZMIN; results whose n
 * would be below the normal range come out as 0 (pow2 of a zero exponent field). */
FA_INLINE VT FN(exp_fast)(VT z) {
    VT k, n;
    VT t = FN(exp_reduce)(z, &k, &n);
    VT p = V(fma)(V(mul)(t, t), FA_HORNER(t, C(FA_EXPF_P)), V(add)(t, S(1)));
    return V(mul)(p, V(pow2)(k));
}
