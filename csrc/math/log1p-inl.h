/* log1p(e) for 0 <= e <= 1 given as a pair e = eh + el (e.g. exp(-|x|) from
 * math/exp-inl.h), on vectors, written once for every target and dtype.
 *
 * log(1 + e) = 2 atanh(z) + K with
 *     e < 0.5:  z = e / (2 + e),        K = 0      (z in [0, 0.2))
 *     e >= 0.5: z = (e - 1) / (3 + e),  K = ln2    (z in [-1/7, 0]; e - 1 exact)
 * The denominator is an exact pair (Fast2Sum), z = z0 + zc with z0 = n * r
 * (r ~ 1/d from the reciprocal estimate, math/div-inl.h) and zc the residual
 * correction, so z is good to the square of r's error; 2 atanh(z) = 2z +
 * z^3 Q(z^2), and K + 2 z0 is an exact pair (Fast2Sum: ln2 > 2/7), so the
 * result H + L has only the small terms rounded. Q: float32 degree 2
 * (tools/fit_expfam.py: max rel err 3.5e-9 = 0.06 * 2^-24 on |z| <= 0.2),
 * float64 the Taylor series 2/(2k+1) to z^23 (remainder < 1.8e-17). For e <
 * TINY (2^-30 / 2^-60) log1p(e) = e to the last bit and e itself is returned
 * (tiny and subnormal e never enter the quotient). Fast mode: one rounded
 * quotient, float64 series to z^17 (4e-13), no pairs.
 */
#ifndef FA_MATH_LOG1P_CONSTANTS
#define FA_MATH_LOG1P_CONSTANTS
#define FA_LOG1P_TINY_f32 0x1p-30f
#define FA_LOG1P_TINY_f64 0x1p-60
#define FA_LN2H_f32 0x1.62e43p-1f /* ln2 = LN2H + LN2L to 2^-48 / 2^-108 */
#define FA_LN2L_f32 (-0x1.05c61p-29f)
#define FA_LN2H_f64 0x1.62e42fefa39efp-1
#define FA_LN2L_f64 0x1.abc9e3b39803fp-56
static const float FA_ATANH_Q_f32[] = {0x1.5555bap-1f, 0x1.9926a4p-2f, 0x1.374328p-2f};
static const double FA_ATANH_Q_f64[] = {2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11, 2.0 / 13,
                                        2.0 / 15, 2.0 / 17, 2.0 / 19, 2.0 / 21, 2.0 / 23};
static const double FA_ATANHF_Q_f64[] = {2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11,
                                         2.0 / 13, 2.0 / 15, 2.0 / 17};
#endif

/* log1p(eh + el) = lh + ll (unevaluated), 0 <= eh <= 1, |el| <= ulp(eh). */
FA_INLINE void FN(log1p_pair01)(VT eh, VT el, VT *lh, VT *ll) {
    MT lo = V(lt)(eh, S(0.5));
    VT nh = V(select)(lo, eh, V(sub)(eh, S(1))); /* exact (Sterbenz) */
    VT c = V(select)(lo, S(2), S(3));
    VT dh = V(add)(c, eh);
    VT dl = V(add)(V(add)(V(sub)(c, dh), eh), el);
    VT r = FN(recip_div)(dh);
    VT z = V(mul)(nh, r);
    VT zc = V(mul)(V(add)(FN(residual)(nh, z, dh), V(fnma)(z, dl, el)), r);
    /* the polynomial on the corrected quotient: z alone carries r's error
     * (2^-14 with AVX-512's vrcp14 and no Newton step), which z^3 Q(z^2) would
     * pass on at about 1/75 of the result's size (13 float32 ulp measured) */
    VT zf = V(add)(z, zc);
    VT z2 = V(mul)(zf, zf);
    VT poly = V(mul)(V(mul)(zf, z2), FA_HORNER(z2, C(FA_ATANH_Q)));
    VT kh = V(select)(lo, S(0), S(C(FA_LN2H))), kl = V(select)(lo, S(0), S(C(FA_LN2L)));
    VT t = V(add)(z, z);
    VT h = V(add)(kh, t);
    VT l = V(add)(V(sub)(kh, h), t);
    l = V(add)(l, V(add)(kl, V(fma)(S(2), zc, poly)));
    MT tiny = V(lt)(eh, S(C(FA_LOG1P_TINY)));
    *lh = V(select)(tiny, eh, h);
    *ll = V(select)(tiny, el, l);
}

/* Fast mode: log1p(e), 0 <= e <= 1, one value. */
FA_INLINE VT FN(log1p_fast01)(VT e) {
    MT lo = V(lt)(e, S(0.5));
    VT n = V(select)(lo, e, V(sub)(e, S(1)));
    VT z = V(mul)(n, FN(recip)(V(add)(V(select)(lo, S(2), S(3)), e)));
    VT z2 = V(mul)(z, z);
#if FA_IS_F64
    VT q = FA_HORNER(z2, C(FA_ATANHF_Q));
#else
    VT q = FA_HORNER(z2, C(FA_ATANH_Q));
#endif
    VT y = V(fma)(V(mul)(z, z2), q, V(add)(z, z));
    return V(add)(V(select)(lo, S(0), S(C(FA_LN2H))), y);
}
