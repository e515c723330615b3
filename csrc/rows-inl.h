/* Row kernels of softmax and log_softmax (fastact/_axis.py): one call per block of
 * rows, each row nrows x n contiguous elements (row r starts at r*n), every pass
 * over a row done while it is in cache. Included by kernels-inl.h once per dtype
 * after the element-wise math (act/all-inl.h), so it uses the same vocabulary
 * (VT, V(op), FN(name), ...) and the same exponential as the exp_shifted kernel.
 *
 * Per row (forward): P1 the maximum m and the minimum (NaN lanes noted, not
 * compared); a row holding a NaN, a +inf, or only -inf gives all NaN (torch).
 * P2 e = exp(x - m) with x - m as an exact pair, as exp_shifted (act/softmax-inl.h):
 * where the row spans at most FA_ROWS_SPAN (every term normal, no -inf) the
 * reduced body (no clamps, NaN or -inf selects; the same bits for normal results);
 * otherwise exp_shifted's own body. P3 the normalisation:
 *   softmax      y = e * (1/s), the reciprocal of the pair s corrected to about
 *                half an ulp (no division per element; accurate mode)
 *   log_softmax  y = (x - m) - log1p(t), t the sum of the terms other than one
 *                maximum's (exactly 1): the dominant element keeps its relative
 *                accuracy. t = (ties - 1) + sum of the terms with x < m.
 * Sums. Accurate mode: compensated in the array's dtype: each lane keeps s + c,
 * s += v by TwoSum and the rounding error into c (Ogita-Rump-Oishi's Sum2 per
 * lane), the lanes then added the same way in a fixed order (float32: widened
 * to float64 and added there, FN(racc_total2)): the pair is good to
 * about u^2 * n relative for the positive terms here (better than float64
 * accumulation of float32 terms, and than NumPy's pairwise float64 sum), at one
 * TwoSum (6 additions) per vector. Fast mode: plain sums in the dtype, each
 * lane's folded every 64 terms into a compensated total (FN(racc)).
 * A row's result depends only on the row and its length (never on the rows
 * around it, the blocking, the alignment or the layout the caller copied from);
 * across ISAs it differs by the lane count of the sums and the FMA.
 *
 * Backward from the output (no mode: accurate sums):
 *   softmax      gx = y * (g - sum(g * y))      (torch's order; products rounded)
 *   log_softmax  gx = g - exp(y) * sum(g)       (exp(y) for y <= 0 by the
 *                narrow-row exponential where min(y) >= -SPAN, else the pair
 *                exponential; a row holding a NaN or a positive y goes through libm)
 * Fused: the forward, then the gradient from its pieces while the row is in cache:
 *   softmax      as the backward on the y just computed
 *   log_softmax  gx = g - e * (sum(g) / (1 + t))   (e / (1 + t) = exp(y) unrounded)
 *
 * Aliasing: forward y may be x; backward gx may be g or y (element for element);
 * fused outputs must not overlap the inputs (the caller gives scratch arrays).
 */
#include <math.h>

#ifndef FA_ROWS_CONSTANTS
#define FA_ROWS_CONSTANTS
/* rows whose max - min is at most SPAN: every exp(x - max) is a normal number
 * (exp(-87.3) and exp(-708.4) are the limits), x - max cannot overflow */
#define FA_ROWS_SPAN_f32 86.0f
#define FA_ROWS_SPAN_f64 700.0
#define FA_ROWS_BLOCK 16         /* plain-mode sums: terms per lane between folds */
#endif

#define FA_ROWS_MOR FA_CAT(FA_CAT(m, FA_D), _or)

/* A lane accumulator. Compensated mode: the sum s and its running error c.
 * Plain mode: the terms go into b with one addition each, and every
 * FA_ROWS_BLOCK of them b is folded into s + c by TwoSum: each lane's plain sum
 * stays short whatever the row's length (a row of 131,072 float32 terms summed
 * plain lane by lane measured 4.4e-5 relative error; blocked, the error is that
 * of a 64-term sum), for one TwoSum per 64 vectors. A zero-initialised
 * accumulator is empty. */
typedef struct {
    VT s, c, b;
    int k;
} FN(racc);

FA_INLINE void FN(racc_fold)(FN(racc) *a) {
    VT lo;
    a->s = FN(two_sum)(a->s, a->b, &lo);
    a->c = V(add)(a->c, lo);
    a->b = S(0);
    a->k = 0;
}

FA_INLINE void FN(racc_add)(FN(racc) *a, VT v, int comp) {
    if (comp) {
        VT lo;
        a->s = FN(two_sum)(a->s, v, &lo);
        a->c = V(add)(a->c, lo);
    } else {
        a->b = V(add)(a->b, v);
        if (++a->k == FA_ROWS_BLOCK) FN(racc_fold)(a);
    }
}

/* a + b exactly as hi + *lo (scalar TwoSum) */
FA_INLINE ST FN(rows_two_sum)(ST a, ST b, ST *lo) {
    ST s = a + b, bv = s - a;
    *lo = (a - (s - bv)) + (b - bv);
    return s;
}

FA_INLINE int FN(rows_finite)(ST v) { return v <= C(FA_MAXF) && v >= -C(FA_MAXF); }

/* The total of two accumulators as a pair hi + *lo (plain mode: their open
 * blocks folded first): the vectors added (TwoSum), then the lanes in a fixed
 * tree (lane k with lane k + w, w = NL/2 ... 1), kept in vector registers by a
 * butterfly (V(xlane); lane 0 holds the tree's result) (*lo = 0 when hi is not
 * finite: an inf stays an inf, not the NaN its TwoSum error would be). */
#if !FA_IS_F64
/* float32: every lane of the sums and of their errors widened to float64
 * (exactly) and added there plainly, the sums apart from the errors (an inf
 * among the sums gives that inf, not the NaN of its TwoSum error), then
 * rounded back to a pair. The float64 additions' errors (about 2^-53 of the
 * total each) are as small as the float32 TwoSum tree's below, and the
 * dependency chain is shorter: on short rows it is on every row's critical path
 * (softmax on rows of 16, AVX-512, 14% faster: see the commit). */
FA_INLINE ST FN(racc_total2)(FN(racc) a, FN(racc) b, int comp, ST *lo) {
    if (!comp) {
        FN(racc_fold)(&a);
        FN(racc_fold)(&b);
    }
    vf64 s0, s1, s2, s3, c0, c1;
    vf32_widen(a.s, &s0, &s1);
    vf32_widen(b.s, &s2, &s3);
    vf32_widen(V(add)(a.c, b.c), &c0, &c1);
    vf64 s = vf64_add(vf64_add(s0, s2), vf64_add(s1, s3)), c = vf64_add(c0, c1);
    for (int w = FA_N_f64 / 2; w >= 1; w /= 2) {
        s = vf64_add(s, vf64_xlane(s, w));
        c = vf64_add(c, vf64_xlane(c, w));
    }
    double ds = vf64_lane0(s);
    if (!(ds <= C(FA_MAXF) && ds >= -C(FA_MAXF))) { /* inf, NaN, or beyond the float range */
        *lo = 0;
        return (ST)ds;
    }
    double d = ds + vf64_lane0(c);
    ST hi = (ST)d;
    *lo = (ST)(d - (double)hi);
    return hi;
}
#else
FA_INLINE ST FN(racc_total2)(FN(racc) a, FN(racc) b, int comp, ST *lo) {
    if (!comp) {
        FN(racc_fold)(&a);
        FN(racc_fold)(&b);
    }
    VT e, s = FN(two_sum)(a.s, b.s, &e);
    VT c = V(add)(V(add)(a.c, b.c), e);
    for (int w = NL / 2; w >= 1; w /= 2) {
        s = FN(two_sum)(s, V(xlane)(s, w), &e);
        c = V(add)(c, V(add)(V(xlane)(c, w), e));
    }
    ST s0 = V(lane0)(s);
    if (!FN(rows_finite)(s0)) {
        *lo = 0;
        return s0;
    }
    return FN(rows_two_sum)(s0, V(lane0)(c), lo);
}
#endif

/* the lanes of v (NaN-free) added in the tree above: exact for the small
 * integers of the tie counts */
FA_INLINE ST FN(rows_hsum)(VT v) {
    for (int w = NL / 2; w >= 1; w /= 2) v = V(add)(v, V(xlane)(v, w));
    return V(lane0)(v);
}

/* The first cnt (< NL) values at p, the other lanes fill. */
FA_INLINE VT FN(rows_pad)(const ST *p, ptrdiff_t cnt, ST fill) {
    ST b[NL];
    for (int k = 0; k < NL; ++k) b[k] = k < cnt ? p[k] : fill;
    return V(loadu)(b);
}

/* max (min) of the lanes of v (NaN-free), by the butterfly; on ties (+-0)
 * the lane-0 side of each pair wins, whatever the order of max's operands */
FA_INLINE ST FN(rows_hmax)(VT v, int min) {
    for (int w = NL / 2; w >= 1; w /= 2)
        v = min ? V(min)(V(xlane)(v, w), v) : V(max)(V(xlane)(v, w), v);
    return V(lane0)(v);
}

FA_INLINE void FN(rows_fill)(ST *y, ptrdiff_t n, ST v) {
    for (ptrdiff_t i = 0; i < n; ++i) y[i] = v;
}

/* P1: max and min of x (two vector chains each); returns 1 for a row that is
 * all NaN by torch's rule (a NaN, a +inf, or max = -inf): a NaN lane is taken as
 * +inf (never compared). With g: also the sum of g, as a pair. */
FA_INLINE int FN(rows_maxmin)(const ST *x, ptrdiff_t n, ST *mx, ST *mn, const ST *g, int comp,
                              ST *sg, ST *sgl) {
    VT ninf = S(-INFINITY), pinf = S(INFINITY), zero = S(0);
    VT max0 = ninf, max1 = ninf, min0 = pinf, min1 = pinf;
    FN(racc) a0 = {zero, zero, zero, 0}, a1 = {zero, zero, zero, 0};
    ptrdiff_t i = 0;
    for (; i + 2 * NL <= n; i += 2 * NL) {
        VT u = V(loadu)(x + i), w = V(loadu)(x + i + NL);
        u = V(select)(V(isnan)(u), pinf, u);
        w = V(select)(V(isnan)(w), pinf, w);
        max0 = V(max)(max0, u);
        max1 = V(max)(max1, w);
        min0 = V(min)(min0, u);
        min1 = V(min)(min1, w);
        if (g) {
            FN(racc_add)(&a0, V(loadu)(g + i), comp);
            FN(racc_add)(&a1, V(loadu)(g + i + NL), comp);
        }
    }
    for (; i < n; i += NL) {
        ptrdiff_t cnt = n - i < NL ? n - i : NL;
        VT u = cnt == NL ? V(loadu)(x + i) : FN(rows_pad)(x + i, cnt, x[0]);
        u = V(select)(V(isnan)(u), pinf, u);
        max0 = V(max)(max0, u);
        min0 = V(min)(min0, u);
        if (g) FN(racc_add)(&a0, V(load_tail)(g + i, cnt), comp);
    }
    if (g) *sg = FN(racc_total2)(a0, a1, comp, sgl);
    ST m = FN(rows_hmax)(V(max)(max0, max1), 0);
    *mx = m;
    *mn = FN(rows_hmax)(V(min)(min0, min1), 1);
    return !FN(rows_finite)(m);
}

/* Every x - m of the row within SPAN (x - max clamped as exp_shifted_diff does,
 * so it cannot overflow; rounding is monotone, so the test is safe). */
FA_INLINE int FN(rows_narrow)(ST m, ST mn) {
    ST lo = m < 0 ? -C(FA_MAXF) : -C(FA_EXPSH_LO);
    return (mn < lo ? lo : mn) - m >= -C(FA_ROWS_SPAN);
}

/* exp(x - m), x <= m NaN-free. narrow: the row's span is within SPAN. */
FA_INLINE VT FN(rows_exp)(VT x, VT vm, VT vnm, int narrow, int fast) {
    if (narrow) return FN(exp_shifted_narrow)(x, vnm, fast);
    return fast ? FN(exp_shifted_fwd_fast)(x, &vm) : FN(exp_shifted_fwd_acc)(x, &vm);
}

/* One vector of P2 (below): e stored, the term added, ties counted. */
FA_INLINE void FN(rows_exp_step)(const ST *x, ST *e, VT vm, VT vnm, int narrow, int fast,
                                 int comp, int logm, int store, FN(racc) *acc, VT *ties) {
    VT xv = V(loadu)(x);
    VT ev = FN(rows_exp)(xv, vm, vnm, narrow, fast);
    if (store) V(storeu)(e, ev);
    if (logm) {
        MT below = V(lt)(xv, vm);
        ev = V(select)(below, ev, S(0));
        *ties = V(add)(*ties, V(select)(below, S(0), S(1)));
    }
    FN(racc_add)(acc, ev, comp);
}

/* P2: e = exp(x - m) over the row, stored to e (if not NULL) and summed:
 * softmax (logm 0) every term; log_softmax (logm 1) the terms with x < m, and
 * the number of the others (ties with the maximum) in *ties. Two accumulators
 * (even and odd vectors), the tail into the second. */
FA_INLINE ST FN(rows_exp_pass)(const ST *x, ST *e, ptrdiff_t n, ST m, int narrow, int fast,
                               int comp, int logm, int store, ST *lo, ST *ties) {
    VT vm = S(m), vnm = S(-m), zero = S(0);
    FN(racc) a0 = {zero, zero, zero, 0}, a1 = {zero, zero, zero, 0};
    VT t0 = zero;
    ptrdiff_t i = 0;
    for (; i + 2 * NL <= n; i += 2 * NL) {
        FN(rows_exp_step)(x + i, e + i, vm, vnm, narrow, fast, comp, logm, store, &a0, &t0);
        FN(rows_exp_step)(x + i + NL, e + i + NL, vm, vnm, narrow, fast, comp, logm, store, &a1,
                          &t0);
    }
    if (i + NL <= n) {
        FN(rows_exp_step)(x + i, e + i, vm, vnm, narrow, fast, comp, logm, store, &a0, &t0);
        i += NL;
    }
    ST pad = 0;
    if (i < n) {
        ptrdiff_t cnt = n - i;
        VT xv = FN(rows_pad)(x + i, cnt, m); /* pads: x = m, a tie */
        VT ev = FN(rows_exp)(xv, vm, vnm, narrow, fast);
        if (logm) {
            MT below = V(lt)(xv, vm);
            if (store) V(store_tail)(e + i, ev, cnt);
            ev = V(select)(below, ev, zero);
            t0 = V(add)(t0, V(select)(below, zero, S(1)));
            pad = (ST)(NL - cnt);
        } else {
            V(store_tail)(e + i, ev, cnt);
            ev = V(load_tail)(e + i, cnt); /* the pads as 0 */
        }
        FN(racc_add)(&a1, ev, comp);
    }
    if (logm) {
        *ties = FN(rows_hsum)(t0) - pad;
    }
    return FN(racc_total2)(a0, a1, comp, lo);
}

/* 1/(sh + sl) as a vector: accurate mode to about half an ulp (the residual of
 * the quotient of the high part, exact, corrected for the low part). */
FA_INLINE VT FN(rows_inv)(ST sh, ST sl, int comp) {
    ST q = (ST)1 / sh;
    if (!comp) return S(q);
    VT vq = S(q);
    VT r = V(sub)(FN(residual)(S(1), vq, S(sh)), V(mul)(S(sl), vq));
    return V(fma)(vq, r, vq);
}

/* log1p(th + tl), th >= 0 (a pair, |tl| <= ulp(th)), broadcast. float32: in
 * float64 from t = th + tl (within 2^-53 of it), rounded once: libm's log of 1 + t
 * (whose rounding costs at most 2^-53 / t of the result, below 2^-33 from t = 2^-20
 * on), and below 2^-20 the series t - t^2/2 + t^3/3 (remainder below 2^-62 of t),
 * which keeps the relative accuracy of a tiny t (the dominant element's y =
 * -log1p(t)). One scalar log per row costs less than the vector pair log1p below,
 * and glibc's log1p is slower than its log (log_softmax on rows of 16: see the commit).
 * float64: up to 1, the pair log1p of math/log1p-inl.h; above, libm's log of 1 + t
 * (>= log 2: an absolute error of half an ulp is all that matters). */
FA_INLINE VT FN(rows_log1p)(ST th, ST tl) {
#if !FA_IS_F64
    double t = (double)th + (double)tl;
    return S((ST)(t < 0x1p-20 ? t * (1 - t * (0.5 - t / 3)) : log(1 + t)));
#else
    if (th <= 1) {
        VT lh, ll;
        FN(log1p_pair01)(S(th), S(tl), &lh, &ll);
        return V(add)(lh, ll);
    }
    ST ul, uh = FN(rows_two_sum)(1, th, &ul);
    ul += tl;
    return S(log(uh) + ul / uh);
#endif
}

/* sum over the row of g * y (products rounded, as torch), as a pair */
FA_INLINE ST FN(rows_dot)(const ST *g, const ST *y, ptrdiff_t n, int comp, ST *lo) {
    VT zero = S(0);
    FN(racc) a0 = {zero, zero, zero, 0}, a1 = {zero, zero, zero, 0};
    ptrdiff_t i = 0;
    for (; i + 2 * NL <= n; i += 2 * NL) {
        FN(racc_add)(&a0, V(mul)(V(loadu)(g + i), V(loadu)(y + i)), comp);
        FN(racc_add)(&a1, V(mul)(V(loadu)(g + i + NL), V(loadu)(y + i + NL)), comp);
    }
    for (; i < n; i += NL) {
        ptrdiff_t cnt = n - i < NL ? n - i : NL;
        FN(racc_add)(&a0, V(mul)(V(load_tail)(g + i, cnt), V(load_tail)(y + i, cnt)), comp);
    }
    return FN(racc_total2)(a0, a1, comp, lo);
}

/* gx = y * (g - d) */
FA_INLINE void FN(rows_softmax_grad)(const ST *g, const ST *y, ST *gx, ptrdiff_t n, ST d) {
    VT vd = S(d);
    ptrdiff_t i = 0;
    for (; i + NL <= n; i += NL)
        V(storeu)(gx + i, V(mul)(V(loadu)(y + i), V(sub)(V(loadu)(g + i), vd)));
    if (i < n)
        V(store_tail)(gx + i,
                      V(mul)(V(load_tail)(y + i, n - i), V(sub)(V(load_tail)(g + i, n - i), vd)),
                      n - i);
}

/* One softmax row: forward (g NULL) or fused. */
FA_INLINE void FN(rows_softmax_row)(const ST *x, const ST *g, ST *y, ST *gx, ptrdiff_t n,
                                    int fast) {
    int comp = !fast;
    ST m, mn, s, sl;
    if (FN(rows_maxmin)(x, n, &m, &mn, NULL, 0, NULL, NULL)) {
        FN(rows_fill)(y, n, (ST)NAN);
        if (gx) FN(rows_fill)(gx, n, (ST)NAN);
        return;
    }
    if (FN(rows_narrow)(m, mn))
        s = FN(rows_exp_pass)(x, y, n, m, 1, fast, comp, 0, 1, &sl, NULL);
    else
        s = FN(rows_exp_pass)(x, y, n, m, 0, fast, comp, 0, 1, &sl, NULL);
    VT inv = FN(rows_inv)(s, sl, comp);
    ptrdiff_t i = 0;
    for (; i + NL <= n; i += NL) V(storeu)(y + i, V(mul)(V(loadu)(y + i), inv));
    if (i < n) V(store_tail)(y + i, V(mul)(V(load_tail)(y + i, n - i), inv), n - i);
    if (g) {
        ST dl, d = FN(rows_dot)(g, y, n, comp, &dl);
        FN(rows_softmax_grad)(g, y, gx, n, d + dl);
    }
}

/* One log_softmax row: forward (g NULL) or fused (e kept in y until P3). */
FA_INLINE void FN(rows_log_softmax_row)(const ST *x, const ST *g, ST *y, ST *gx, ptrdiff_t n,
                                        int fast) {
    int comp = !fast;
    ST m, mn, tl, ties, sg = 0, sgl = 0;
    /* sum(g) compensated in both modes: the gradient's g - e sum(g) / (1 + t)
     * cancels, and plain sums on the few lanes of scalar/SSE2 measured 8.7e-6 of
     * the row scale on rows of 4096 (compensated: the cost of a load-bound pass) */
    if (FN(rows_maxmin)(x, n, &m, &mn, g, 1, &sg, &sgl)) {
        FN(rows_fill)(y, n, (ST)NAN);
        if (gx) FN(rows_fill)(gx, n, (ST)NAN);
        return;
    }
    /* fast mode keeps the accurate exponential where a term may be subnormal
     * (the fast one flushes them, and they can make up all of t), and for
     * float64 (the fast one's 3e-13 would exceed the 1e-14 bound) */
    int narrow = FN(rows_narrow)(m, mn), f = fast && !FA_IS_F64;
    ST t = narrow ? (g ? FN(rows_exp_pass)(x, y, n, m, 1, f, comp, 1, 1, &tl, &ties)
                       : FN(rows_exp_pass)(x, y, n, m, 1, f, comp, 1, 0, &tl, &ties))
                  : FN(rows_exp_pass)(x, y, n, m, 0, 0, comp, 1, g != NULL, &tl, &ties);
    ST tl2, th = FN(rows_two_sum)(ties - 1, t, &tl2);
    tl += tl2;
    VT vls = FN(rows_log1p)(th, tl), vm = S(m);
    if (!g) {
        ptrdiff_t i = 0;
        for (; i + NL <= n; i += NL)
            V(storeu)(y + i, V(sub)(V(sub)(V(loadu)(x + i), vm), vls));
        if (i < n)
            V(store_tail)(y + i, V(sub)(V(sub)(V(load_tail)(x + i, n - i), vm), vls), n - i);
        return;
    }
    ST ul, uh = FN(rows_two_sum)(1, th, &ul);
    VT inv = FN(rows_inv)(uh, ul + tl, comp);
    VT vc = V(mul)(S(sg + sgl), inv);
    ptrdiff_t i = 0;
    for (; i + NL <= n; i += NL) {
        VT ev = V(loadu)(y + i);
        V(storeu)(y + i, V(sub)(V(sub)(V(loadu)(x + i), vm), vls));
        V(storeu)(gx + i, V(fnma)(ev, vc, V(loadu)(g + i)));
    }
    if (i < n) {
        ptrdiff_t cnt = n - i;
        VT ev = V(load_tail)(y + i, cnt);
        V(store_tail)(y + i, V(sub)(V(sub)(V(load_tail)(x + i, cnt), vm), vls), cnt);
        V(store_tail)(gx + i, V(fnma)(ev, vc, V(load_tail)(g + i, cnt)), cnt);
    }
}

/* Backward rows (from the output y). */
FA_INLINE void FN(rows_softmax_bwd_row)(const ST *g, const ST *y, ST *gx, ptrdiff_t n) {
    ST dl, d = FN(rows_dot)(g, y, n, 1, &dl);
    FN(rows_softmax_grad)(g, y, gx, n, d + dl);
}

/* gx = g - exp(y) * sg over a row of y <= 0. narrow (min(y) >= -SPAN, the usual
 * case): the narrow-row exponential, exp(y - 0) rounded once (within 0.85 ulp,
 * no clamps); else the pair exponential, rounded. */
FA_INLINE void FN(rows_lsm_bwd_loop)(const ST *g, const ST *y, ST *gx, ptrdiff_t n, VT vsg,
                                     int narrow) {
    ptrdiff_t i = 0;
    for (; i < n; i += NL) {
        ptrdiff_t cnt = n - i < NL ? n - i : NL;
        VT yv = cnt == NL ? V(loadu)(y + i) : V(load_tail)(y + i, cnt);
        VT gv = cnt == NL ? V(loadu)(g + i) : V(load_tail)(g + i, cnt);
        VT ev;
        if (narrow) {
            ev = FN(exp_shifted_narrow)(yv, S(0), 0);
        } else {
            VT hi, lo;
            FN(exp_neg_pair)(V(abs_clamp)(yv, S(0), S(C(FA_EXPSH_XMAX))), 1, 0, &hi, &lo);
            ev = V(add)(hi, lo);
        }
        VT r = V(fnma)(ev, vsg, gv);
        if (cnt == NL)
            V(storeu)(gx + i, r);
        else
            V(store_tail)(gx + i, r, cnt);
    }
}

FA_INLINE void FN(rows_log_softmax_bwd_row)(const ST *g, const ST *y, ST *gx, ptrdiff_t n) {
    ST ymax, ymin, sgl = 0, sg = 0;
    /* y's maximum (for the check below) and sum(g) in one pass */
    int bad = FN(rows_maxmin)(y, n, &ymax, &ymin, g, 1, &sg, &sgl);
    if (bad || ymax > 0) { /* not the output of a log_softmax: libm's exp */
        for (ptrdiff_t i = 0; i < n; ++i) gx[i] = g[i] - (ST)exp(y[i]) * (sg + sgl);
        return;
    }
    VT vsg = S(sg + sgl);
    if (ymin >= -C(FA_ROWS_SPAN))
        FN(rows_lsm_bwd_loop)(g, y, gx, n, vsg, 1);
    else
        FN(rows_lsm_bwd_loop)(g, y, gx, n, vsg, 0);
}

/* The table's kernels: args = inputs then outputs (FWD x, y; BWD g, y, gx;
 * FUSED x, g, y, gx), nrows rows of n elements each. */
#define FA_ROWS_DEFINE(name)                                                               \
    static void FN(name##_rk_fwd_acc)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {         \
        for (ptrdiff_t r = 0; r < nr; ++r)                                                 \
            FN(rows_##name##_row)((const ST *)a[0] + r * n, NULL, (ST *)a[1] + r * n, NULL, n, 0); \
    }                                                                                      \
    static void FN(name##_rk_fwd_fast)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {        \
        for (ptrdiff_t r = 0; r < nr; ++r)                                                 \
            FN(rows_##name##_row)((const ST *)a[0] + r * n, NULL, (ST *)a[1] + r * n, NULL, n, 1); \
    }                                                                                      \
    static void FN(name##_rk_bwd)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {             \
        for (ptrdiff_t r = 0; r < nr; ++r)                                                 \
            FN(rows_##name##_bwd_row)((const ST *)a[0] + r * n, (const ST *)a[1] + r * n,  \
                                      (ST *)a[2] + r * n, n);                              \
    }                                                                                      \
    static void FN(name##_rk_fused_acc)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {       \
        for (ptrdiff_t r = 0; r < nr; ++r)                                                 \
            FN(rows_##name##_row)((const ST *)a[0] + r * n, (const ST *)a[1] + r * n,      \
                                  (ST *)a[2] + r * n, (ST *)a[3] + r * n, n, 0);           \
    }                                                                                      \
    static void FN(name##_rk_fused_fast)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {      \
        for (ptrdiff_t r = 0; r < nr; ++r)                                                 \
            FN(rows_##name##_row)((const ST *)a[0] + r * n, (const ST *)a[1] + r * n,      \
                                  (ST *)a[2] + r * n, (ST *)a[3] + r * n, n, 1);           \
    }

FA_ROWS_DEFINE(softmax)
FA_ROWS_DEFINE(log_softmax)
#undef FA_ROWS_DEFINE
#undef FA_ROWS_MOR
