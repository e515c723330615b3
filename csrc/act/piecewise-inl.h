/* The piecewise-linear family: relu, leaky_relu (relu6, prelu, hardtanh,
 * hardsigmoid and hardswish follow the same pattern).
 *
 * Exact: every result is x, a product of x by a parameter, or a constant, each
 * rounded once, so there is no fast mode. Values at the kinks follow torch's
 * CPU kernels: relu'(0) = 0, leaky_relu'(0) = negative_slope (the x > 0 branch
 * is the strict one). NaN x gives that NaN (quieted) as the output and as the
 * gradient. p[k] is the k-th parameter (a broadcast scalar or per element).
 * Only the branch a lane takes may raise a flag: products are formed on zeros
 * in the other lanes (a select after the fact would still flag an overflow).
 */

/* ---- relu: max(x, 0); relu' = 1 for x > 0, else 0 ---- */
FA_INLINE VT FN(relu_fwd_acc)(VT x, const VT *p) {
    (void)p;
    return FN(nan_through)(x, V(select)(FN(positive)(FN(nan_clean)(x)), x, S(0)));
}
FA_INLINE VT FN(relu_bwd)(VT g, VT x, const VT *p) {
    (void)p;
    return FN(nan_through)(x, V(select)(FN(positive)(FN(nan_clean)(x)), g, S(0)));
}
FA_INLINE void FN(relu_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    MT pos = FN(positive)(FN(nan_clean)(x));
    (void)p;
    *y = FN(nan_through)(x, V(select)(pos, x, S(0)));
    *gx = FN(nan_through)(x, V(select)(pos, g, S(0)));
}
FA_NO_FAST_MODE(relu)

/* ---- leaky_relu: x for x > 0, else negative_slope * x ---- */
/* The product is formed on the lanes that use it only (the others multiply a
 * zero), so a large x or g on the positive side raises no overflow flag. */
FA_INLINE VT FN(leaky_relu_fwd_acc)(VT x, const VT *p) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    return FN(nan_through)(x, V(select)(pos, xc, V(mul)(V(select)(pos, S(0), xc), p[0])));
}
FA_INLINE VT FN(leaky_relu_bwd)(VT g, VT x, const VT *p) {
    MT pos = FN(positive)(FN(nan_clean)(x));
    return FN(nan_through)(x, V(select)(pos, g, V(mul)(V(select)(pos, S(0), g), p[0])));
}
FA_INLINE void FN(leaky_relu_fused_acc)(VT x, VT g, const VT *p, VT *y, VT *gx) {
    VT xc = FN(nan_clean)(x);
    MT pos = FN(positive)(xc);
    *y = FN(nan_through)(x, V(select)(pos, xc, V(mul)(V(select)(pos, S(0), xc), p[0])));
    *gx = FN(nan_through)(x, V(select)(pos, g, V(mul)(V(select)(pos, S(0), g), p[0])));
}
FA_NO_FAST_MODE(leaky_relu)
