/* expm1(u) on vectors, written once for every target and dtype.
 *
 * u = n ln2 + t, n = round(u/ln2) clamped below at KMIN (where the result is -1
 * to the last bit anyway), t = th + tl with th = u - n LN2_HI exact (Cody-Waite,
 * as in math/exp-inl.h) and tl = ul - n LN2_LO the low part. With s = 2^n:
 *     expm1(u) = (s - 1) + s th + s (q + tl (1 + th + q)),  q = th^2 P(th)
 * where s - 1 and s th are exact (|n| <= -KMIN), their sum is carried as an
 * exact pair (Fast2Sum: |s - 1| >= |s th| whenever n != 0, and s - 1 = 0 when
 * n = 0), and the small terms are rounded once. So the cancellation of e^u
 * against 1 (up to 3.4x near |u| = ln2/2) never meets a rounded value, and
 * near 0 the result is th + th^2 P(th) with P fitted to the relative error of
 * expm1 itself (an exp polynomial's absolute error would swamp expm1 ~ u).
 * P: float32 degree 5 (tools/fit_expfam.py: max rel err 2.4e-9 = 0.04 * 2^-24
 * on |t| <= 0.35), float64 the Taylor series to t^13 (remainder < 1.3e-17 =
 * 0.12 * 2^-53 relative). Fast mode: float32 degree 4 (1.8e-8), float64 Taylor
 * to t^10 (7e-13), and the result rounded as fma(s, th + q, s - 1), no pairs.
 * Range: FA_EXPM1_XMIN <= uh <= FA_EXPM1_XMAX (callers clamp); the result is
 * -1 exactly below -17.33 (float32) / -37.43 (float64), so XMIN loses nothing.
 */
#ifndef FA_MATH_EXPM1_CONSTANTS
#define FA_MATH_EXPM1_CONSTANTS
#define FA_EXPM1_KMIN_f32 (-24.0f) /* s - 1 exact down to 2^-24 - 1 */
#define FA_EXPM1_KMIN_f64 (-53.0)
#define FA_EXPM1_XMIN_f32 (-17.5f)
#define FA_EXPM1_XMIN_f64 (-40.0)
#define FA_EXPM1_XMAX_f32 88.0f /* s = 2^n stays finite */
#define FA_EXPM1_XMAX_f64 709.0
static const float FA_EXPM1_P_f32[] = {0x1p-1f, 0x1.555554p-3f, 0x1.5554aap-5f,
                                       0x1.11118ep-7f, 0x1.6d78e6p-10f, 0x1.a0332ep-13f};
static const float FA_EXPM1F_P_f32[] = {0x1.fffffep-2f, 0x1.5554aap-3f, 0x1.55568p-5f,
                                        0x1.122d0cp-7f, 0x1.6beb2cp-10f};
static const double FA_EXPM1_P_f64[] = {
    1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
    1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};
static const double FA_EXPM1F_P_f64[] = {1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
                                         1.0 / 5040, 1.0 / 40320, 1.0 / 362880,
                                         1.0 / 3628800};
#endif

/* n (as k = n + MAGIC, clamped at KMIN), th exact and tl, for u = uh + ul. */
FA_INLINE VT FN(expm1_reduce)(VT uh, VT ul, VT *k, VT *tl) {
    *k = V(max)(V(fma)(uh, S(C(FA_LOG2E)), S(C(FA_MAGIC))),
                S(C(FA_MAGIC) + C(FA_EXPM1_KMIN)));
    VT n = V(sub)(*k, S(C(FA_MAGIC)));
    *tl = V(fnma)(n, S(C(FA_LN2_LO)), ul);
    return V(fnma)(n, S(C(FA_LN2_HI)), uh); /* exact */
}

/* expm1(uh + ul) = yh + yl (unevaluated; |yl| within an ulp or so of yh's),
 * |ul| <= ulp(uh). */
FA_INLINE void FN(expm1_pair)(VT uh, VT ul, VT *yh, VT *yl) {
    VT k, tl;
    VT th = FN(expm1_reduce)(uh, ul, &k, &tl);
    VT q = V(mul)(V(mul)(th, th), FA_HORNER(th, C(FA_EXPM1_P)));
    VT p = V(add)(th, q);
    VT s = V(pow2)(k);
    VT a = V(sub)(s, S(1)); /* exact */
    VT b = V(mul)(s, th);   /* exact */
    VT h = V(add)(a, b);
    VT l = V(add)(V(sub)(a, h), b);
    *yh = h;
    *yl = V(fma)(s, V(add)(q, V(fma)(tl, p, tl)), l);
}

/* Fast mode: expm1(uh + ul) rounded about once more. */
FA_INLINE VT FN(expm1_fast)(VT uh, VT ul) {
    VT k, tl;
    VT th = FN(expm1_reduce)(uh, ul, &k, &tl);
    VT t = V(add)(th, tl);
    VT s = V(pow2)(k);
    return V(fma)(s, V(fma)(V(mul)(t, t), FA_HORNER(t, C(FA_EXPM1F_P)), t), V(sub)(s, S(1)));
}
