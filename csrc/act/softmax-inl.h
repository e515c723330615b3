/* exp_shifted(x, shift) = exp(x - shift): the element-wise kernel of softmax and
 * log_softmax (fastact/_axis.py), with shift the row maximum, so x <= shift.
 * An internal row of activations.def (not public): one parameter, normally read
 * once per row (NumPy broadcasting gives it stride 0 along the axis).
 *
 * Accurate mode. d = x - shift is formed exactly as a pair dh + dl (Knuth's
 * TwoSum: the plain difference is exact by Sterbenz only when x is within a
 * factor 2 of shift, and a rounded d = -80 would put 80 * 2^-24 of relative
 * error on the exponential). exp(dh) comes as a pair hi + lo from
 * math/exp-inl.h (FN(exp_neg_pair), subnormal results exact to one rounding),
 * and exp(dh + dl) = hi + (lo + hi*dl) up to dl^2/2 <= 2^-37 relative (|dh| <=
 * 104 in float32, 2^-88 in float64), rounded once. Measured (tests/test_softmax.py,
 * scalar/SSE2/AVX2, 10^6 samples against long double with the same exact pair):
 * 0.99 ulp float32, 0.97 ulp float64; up to 1.32 ulp where the pair's low part
 * is itself subnormal (results below about 2^-100 / 2^-970; float32 subnormal
 * results 1.17 ulp) -- the precision of the pair, not of the reduction.
 * Fast mode. The same exact pair; exp(dh) by the fast polynomial rounded to one
 * value (FN(exp_neg_fast)), times (1 + dl): 2.7 ulp (2.1e-7 relative) float32,
 * 3.0e-13 relative float64; results below 2^-126 (2^-1022) flush to 0.
 * Domain: shift finite (fastact/_axis.py sends 0 for rows whose maximum is not
 * finite and makes those rows NaN itself). x = -inf gives 0, NaN x gives that
 * NaN, and x > shift (never sent by softmax) is taken as x = shift (result 1).
 * For shift >= 0, x is first raised to at least -LO: any x below already gives
 * exp(x - shift) = 0, and x - shift can then no longer overflow
 * (-3e38 - 3e38 would raise an overflow flag for a result that is 0).
 * Backward and fused (for the table; softmax does not use them): the derivative
 * of exp(x - shift) in x is the output itself, gx = g * y.
 */
#ifndef FA_ACT_SOFTMAX_CONSTANTS
#define FA_ACT_SOFTMAX_CONSTANTS
#define FA_EXPSH_XMAX_f32 104.0f      /* exp(-104) < 2^-150: rounds to 0 */
#define FA_EXPSH_XMAX_f64 746.0       /* exp(-746) < 2^-1075 */
#define FA_EXPSH_FAST_XMAX_f32 87.9f  /* fast exp: n >= -127, 2^-127 builds as 0 */
#define FA_EXPSH_FAST_XMAX_f64 709.0
#define FA_EXPSH_LO_f32 128.0f        /* x below -LO with shift >= 0: result 0 */
#define FA_EXPSH_LO_f64 1024.0
#define FA_MAXF_f32 0x1.fffffep127f
#define FA_MAXF_f64 0x1.fffffffffffffp1023
#endif

/* x - shift = dh + dl exactly, dh <= 0 finite; x NaN-free, s finite. x is
 * raised to at least -LO (shift >= 0) or -MAX (shift < 0, where x - shift cannot
 * overflow): -inf never enters the arithmetic (-inf - -inf would raise invalid),
 * and the caller zeroes the lanes where x = -inf (FN(exp_shifted_minf)). */
FA_INLINE void FN(exp_shifted_diff)(VT x, VT s, VT *dh, VT *dl) {
    VT lo = V(select)(V(lt)(s, S(0)), S(-C(FA_MAXF)), S(-C(FA_EXPSH_LO)));
    VT xc = V(min)(V(max)(x, lo), s);
    VT ns = V(sub)(S(0), s);
    VT h = V(add)(xc, ns);
    VT bv = V(sub)(h, xc);            /* TwoSum (Knuth): no assumption on |xc| vs |s| */
    VT av = V(sub)(h, bv);
    *dl = V(add)(V(sub)(xc, av), V(sub)(ns, bv));
    *dh = h;
}

/* y, with 0 where x = -inf (x NaN-free) */
FA_INLINE VT FN(exp_shifted_minf)(VT x, VT y) {
    return V(select)(V(lt)(x, S(-C(FA_MAXF))), S(0), y);
}

FA_INLINE VT FN(exp_shifted_fwd_acc)(VT x, const VT *p) {
    VT dh, dl, hi, lo, xc = FN(nan_clean)(x);
    FN(exp_shifted_diff)(xc, p[0], &dh, &dl);
    FN(exp_neg_pair)(V(abs_clamp)(dh, S(0), S(C(FA_EXPSH_XMAX))), 1, 0, &hi, &lo);
    dl = V(select)(V(lt)(dh, S(-C(FA_EXPSH_XMAX))), S(0), dl); /* clamped: keep 0 */
    return FN(nan_through)(x, FN(exp_shifted_minf)(xc, V(add)(hi, V(fma)(hi, dl, lo))));
}

FA_INLINE VT FN(exp_shifted_fwd_fast)(VT x, const VT *p) {
    VT dh, dl, xc = FN(nan_clean)(x);
    FN(exp_shifted_diff)(xc, p[0], &dh, &dl);
    VT e = FN(exp_neg_fast)(V(abs_clamp)(dh, S(0), S(C(FA_EXPSH_FAST_XMAX))));
    dl = V(select)(V(lt)(dh, S(-C(FA_EXPSH_FAST_XMAX))), S(0), dl);
    return FN(nan_through)(x, FN(exp_shifted_minf)(xc, V(fma)(e, dl, e)));
}

FA_INLINE VT FN(exp_shifted_bwd)(VT g, VT y, const VT *p) {
    (void)p;
    return V(mul)(g, y);
}

FA_INLINE void FN(exp_shifted_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    *y = FN(exp_shifted_fwd_acc)(x, p);
    *gx = V(mul)(g, *y);
}

FA_INLINE void FN(exp_shifted_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    *y = FN(exp_shifted_fwd_fast)(x, p);
    *gx = V(mul)(g, *y);
}


/* exp(x - m) for the row kernels (csrc/rows-inl.h) on rows whose span is narrow:
 * m finite, every x NaN-free with -SPAN <= x - m <= 0 (FA_ROWS_SPAN), so the
 * result is normal, nothing overflows and nothing needs a clamp or a select.
 * x - m = dh + dl exactly (TwoSum, as exp_shifted_diff); n = round(dh/ln2) and
 * the Cody-Waite step dh - n*LN2_HI (exact), then dl is folded into the reduced
 * argument t = (dh - n*LN2_HI) + (dl - n*LN2_LO) (|t| <= 0.35: the added rounding
 * is at most 0.35 ulp of the result), e^t = 1 + r with r = t + t^2 P(t), P by
 * Estrin's scheme (a chain of about 4 FMAs for float64's 12 terms, not 11), and the
 * result 2^n (1 + r) rounded once by one FMA: no pair, a shorter chain than
 * exp_shifted's (which rounds hi + (lo + hi*dl)). fast: the fast polynomial.
 * Measured in tests/test_softmax.py through the softmax and log_softmax bounds. */
FA_INLINE VT FN(exp_shifted_narrow)(VT x, VT nm, int fast) {
    VT dh = V(add)(x, nm);
    VT bv = V(sub)(dh, x);
    VT dl = V(add)(V(sub)(x, V(sub)(dh, bv)), V(sub)(nm, bv));
    VT k = V(fma)(dh, S(C(FA_LOG2E)), S(C(FA_MAGIC)));
    VT n = V(sub)(k, S(C(FA_MAGIC)));
    VT th = V(fnma)(n, S(C(FA_LN2_HI)), dh);
    /* dl - n*LN2_LO beside th (exact): one addition off the chain */
    VT t = V(add)(th, V(fnma)(n, S(C(FA_LN2_LO)), dl));
    VT t2 = V(mul)(t, t);
    VT p = fast ? FA_ESTRIN(t, t2, C(FA_EXPF_P)) : FA_ESTRIN(t, t2, C(FA_EXP_P));
    VT r = V(fma)(t2, p, t);
    VT s = V(pow2)(k);
    return V(fma)(s, r, s);
}
