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

/* The same pair without any subnormal arithmetic, for kernels that must not
 * slow down in the far tail (csrc/kernels-inl.h, "Guarded kernels": on Zen 3
 * every operation with a subnormal result costs about 30 cycles per vector,
 * more than a whole sigmoid). hi + lo = 2^b exp(-a) where n >= nmin (for
 * nmin = FA_EXP_NMIN, a <= FA_EXP_SPLIT: all normal, the same bits as
 * exp_neg_pair's); beyond, a normal stand-in (2^n taken at n = nmin) that the
 * caller must not use. If E is not NULL it receives E = 2^(b + FA_EXP_LB)
 * exp(-a) rounded once, normal down to the subnormal limit, for the tail's
 * results (FN(scale_down)). */
FA_INLINE void FN(exp_neg_pair_split)(VT a, int b, ST nmin, VT *hi, VT *lo, VT *E) {
    VT k, n;
    VT t = FN(exp_reduce)(a, &k, &n);
    VT r = V(fma)(V(mul)(t, t), FA_HORNER(t, C(FA_EXP_P)), t);
    VT kc = V(max)(k, S(C(FA_MAGIC) + nmin));
    VT s = V(pow2)(b ? V(add)(kc, S(b)) : kc);
    *hi = V(fma)(s, r, s);
    *lo = V(fma)(s, r, V(sub)(s, *hi));
    if (E) {
        VT sb = V(pow2)(V(add)(k, S(b + C(FA_EXP_LB))));
        *E = V(fma)(sb, r, sb);
    }
}

/* q 2^-LB rounded once to the float grid, subnormals included, for q >= 0 (NaN
 * and inf pass), with no subnormal operand or result in the arithmetic: where
 * q 2^-LB < 2^emin (the smallest normal; `sub` says where, and must not hold
 * where the result is normal), q 2^-LB + 2^emin rounds on the grid the
 * subnormal result has (the binade of 2^emin has the same spacing), and
 * subtracting the bit pattern of 2^emin leaves the subnormal's (zero
 * included); elsewhere it is the product, exact where the result is normal.
 * Callers that know `sub` from x keep the test off the path from q. */
FA_INLINE VT FN(scale_down)(VT q, MT sub) {
    VT c = V(select)(sub, S(C(FA_MINNORM)), S(0));
    return V(sub_bits)(V(fma)(q, S(C(FA_EXP_IB)), c), c);
}
/* the same for q of either sign; a NaN q passes (tests on the bit pattern:
 * no flag) */
FA_INLINE VT FN(scale_down_signed)(VT q) {
    VT sign = V(and)(q, S(-0.0));
    MT sub = V(lt)(V(abs_clamp)(q, S(0), S(INFINITY)), S(C(FA_MINNORM) / C(FA_EXP_IB)));
    return V(select)(V(isnan)(q), q, V(or)(FN(scale_down)(V(xor)(q, sign), sub), sign));
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
