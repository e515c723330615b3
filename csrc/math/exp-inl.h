/* exp(-a), a >= 0, on vectors, written once for every target and dtype.
 *
 * -a = n*ln2 + t with n = round(-a/ln2) (a magic-number add), t = -(a + n*LN2_HI)
 * - n*LN2_LO (Cody-Waite: the first step is exact on every target, with or
 * without FMA), e^t = 1 + r with r = t + t^2*P(t), and s = 2^n built from the
 * integer bits of the magic sum. The accurate form returns s*(1 + r) as an
 * unevaluated pair hi + lo: hi = fma(s, r, s) and lo = fma(s, r, s - hi), its
 * rounding error, so the rounding of the exponential does not reach the
 * activation. For results that may be subnormal ("full" range), s comes from
 * vscalef where the target has it (one rounding, exact subnormals), otherwise
 * as two normal halves s1*s2 (the second multiply rounds once more, only in the
 * subnormal range). Nothing flushes to zero.
 */

/* t, and k = n + MAGIC (see constants.h), n as a float. */
FA_INLINE VT FN(exp_reduce)(VT a, VT *k, VT *n) {
    *k = V(fma)(a, S(-C(FA_LOG2E)), S(C(FA_MAGIC)));
    *n = V(sub)(*k, S(C(FA_MAGIC)));
    VT t = V(fnms)(*n, S(C(FA_LN2_HI)), a); /* -(n*LN2_HI) - a: exact */
    return V(fma)(*n, S(-C(FA_LN2_LO)), t);
}

FA_INLINE VT FN(horner)(VT t, const ST *c, int len) {
    VT p = S(c[len - 1]);
    for (int i = len - 2; i >= 0; --i) p = V(fma)(p, t, S(c[i]));
    return p;
}
#define FA_HORNER(t, coeffs) FN(horner)(t, coeffs, (int)(sizeof(coeffs) / sizeof(coeffs[0])))

/* The same polynomial by Estrin's scheme (t2 = t*t, given: callers often have it):
 * pairs c[2j] + c[2j+1] t, then pairs of those with t^2, t^4, ...: about log2(len)
 * FMAs deep instead of Horner's len - 1, which is what bounds these kernels' speed
 * (csrc/kernels-inl.h). The powers t^2, t^4 round, so where a polynomial's
 * terms do not fall off fast the error can grow: each user measures its bounds
 * (kept Horner: the accurate exp in this file, whose float64 tests sat at 1.01
 * ulp against a bound of 1 with Estrin). len <= 32; a constant, so the loops unroll. */
FA_INLINE VT FN(estrin)(VT t, VT t2, const ST *c, int len) {
    VT a[16];
    int m = 0;
    for (int i = 0; i < len; i += 2, ++m)
        a[m] = i + 1 < len ? V(fma)(S(c[i + 1]), t, S(c[i])) : S(c[i]);
    VT x = t2;
    while (m > 1) {
        int h = 0;
        for (int j = 0; j < m; j += 2, ++h) a[h] = j + 1 < m ? V(fma)(a[j + 1], x, a[j]) : a[j];
        m = h;
        if (m > 1) x = V(mul)(x, x);
    }
    return a[0];
}
#define FA_ESTRIN(t, t2, coeffs) FN(estrin)(t, t2, coeffs, (int)(sizeof(coeffs) / sizeof(coeffs[0])))

/* 2^b * exp(-a) = hi + lo, |lo| <= ulp(hi)/2, b = 0 or a small positive
 * integer (scaling inside the exponent keeps 4 e^-a from underflowing before
 * e^-a does). full: a up to the subnormal limit (about 104 for float32);
 * otherwise a must keep the result normal. */
FA_INLINE void FN(exp_neg_pair)(VT a, int full, int b, VT *hi, VT *lo) {
    VT k, n;
    VT t = FN(exp_reduce)(a, &k, &n);
    VT r = V(fma)(V(mul)(t, t), FA_HORNER(t, C(FA_EXP_P)), t);
    VT s, s2 = S(1);
    if (!full) {
        s = V(pow2)(b ? V(add)(k, S(b)) : k);
    } else {
#if FA_HAS_SCALEF
        s = V(scalef)(S(1 << b), n);
#else
        VT k1 = V(fma)(n, S(0.5), S(C(FA_MAGIC))); /* n1 = round(n/2), n2 = n + b - n1 */
        s = V(pow2)(k1);
        s2 = V(pow2)(V(add)(V(sub)(n, V(sub)(k1, S(C(FA_MAGIC)))), S(C(FA_MAGIC) + b)));
#endif
    }
    VT h = V(fma)(s, r, s);
    VT l = V(fma)(s, r, V(sub)(s, h));
    if (full && !FA_HAS_SCALEF) {
        h = V(mul)(h, s2);
        l = V(mul)(l, s2);
    }
    *hi = h;
    *lo = l;
}

/* Fast mode: exp(-a) as one rounded value, for a <= FA_EXPF_XMAX; results whose
 * n falls below the normal range come out as 0 (2^n built with exponent field 0). */
FA_INLINE VT FN(exp_neg_fast)(VT a) {
    VT k, n;
    VT t = FN(exp_reduce)(a, &k, &n);
    VT s = V(pow2)(k);
    VT r = V(fma)(V(mul)(t, t), FA_HORNER(t, C(FA_EXPF_P)), t);
    return V(fma)(s, r, s);
}
