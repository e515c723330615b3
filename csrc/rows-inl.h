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
 * Short rows (forward, backward and softmax's fused pass, on targets of 8 lanes
 * or more): FA_N rows at a time (FN(rows_softmax_group) ...), each pass over
 * every row of the group before the next, and the lane trees of the maxima,
 * minima, tie counts and totals, the narrow-span test, softmax's reciprocal and
 * log_softmax's log computed for the group at once in vectors, with the bits
 * each row gets alone; a group holding a row that needs the row path is taken
 * row by row.
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
/* short rows are taken FA_N at a time (FN(rows_group_vec)) while that many
 * rows of the arrays read twice fit in this many bytes (in L1 between passes),
 * on targets of 8 lanes or more: on SSE2 (4 and 2) groups took up to 1.15x
 * (float64) and 1.37x (float32 fast mode, rows of 256 to 1,024) as long as
 * rows one by one, for 0.75-0.89x on rows of 16 to 64 */
#define FA_ROWS_GROUP_BYTES 16384
#define FA_ROWS_GROUPS (NL >= 8)
/* 1 in the lanes whose index has bit w set, w = 1, 2, 4, 8 */
#define FA_LB(w)                                                                           \
    {!!(0 & (w)), !!(1 & (w)), !!(2 & (w)), !!(3 & (w)), !!(4 & (w)), !!(5 & (w)),         \
     !!(6 & (w)), !!(7 & (w)), !!(8 & (w)), !!(9 & (w)), !!(10 & (w)), !!(11 & (w)),       \
     !!(12 & (w)), !!(13 & (w)), !!(14 & (w)), !!(15 & (w))}
static const float FA_ROWS_LANEBIT_f32[4][16] = {FA_LB(1), FA_LB(2), FA_LB(4), FA_LB(8)};
static const double FA_ROWS_LANEBIT_f64[4][16] = {FA_LB(1), FA_LB(2), FA_LB(4), FA_LB(8)};
#undef FA_LB
FA_INLINE int fa_rows_log2(int w) { return w >= 8 ? 3 : w >= 4 ? 2 : w >= 2 ? 1 : 0; }
FA_INLINE mf32 fa_rows_lanebit_f32(int w) {
    return vf32_lt(vf32_set1(0.5f), vf32_loadu(FA_ROWS_LANEBIT_f32[fa_rows_log2(w)]));
}
FA_INLINE mf64 fa_rows_lanebit_f64(int w) {
    return vf64_lt(vf64_set1(0.5), vf64_loadu(FA_ROWS_LANEBIT_f64[fa_rows_log2(w)]));
}

/* log1p(t) in float64 for 0 <= t < 2^1000, to a few ulps of float64 (for
 * float32 results), lane by lane: below 2^-20 the series t - t^2/2 + t^3/3
 * (remainder below 2^-62 of t: a tiny t keeps its relative accuracy); above,
 * log(1 + t) with 1 + t = m 2^k, m in [sqrt(1/2), sqrt 2): k ln2 + log1p(f),
 * f = m - 1 exact, log1p(f) = 2 atanh(s) = 2s + s^3 Q(s^2) with s = f / (2 + f),
 * |s| < 0.172, Q of math/log1p-inl.h (the series 2/(2j+1) to s^23, remainder
 * below 2^-56 of the result). The rounding of 1 + t costs at most 2^-53 / t
 * of the result, below 2^-33 from t = 2^-20 on. */
#if FA_N_f32 >= 8 /* float32 rows' FA_ROWS_GROUPS: its only user */
static FA_NOINLINE vf64 fa_rows_log1p64(vf64 t) {
    vf64 one = vf64_set1(1.0), k, m = vf64_frexp(vf64_add(one, t), &k);
    mf64 big = vf64_lt(vf64_set1(0x1.6a09e667f3bcdp+0), m); /* sqrt 2 */
    m = vf64_select(big, vf64_mul(m, vf64_set1(0.5)), m);
    k = vf64_select(big, vf64_add(k, one), k);
    vf64 f = vf64_sub(m, one);
    vf64 sv = vf64_div(f, vf64_add(vf64_set1(2.0), f)), s2 = vf64_mul(sv, sv);
    int nq = (int)(sizeof(FA_ATANH_Q_f64) / sizeof(FA_ATANH_Q_f64[0]));
    vf64 q = vf64_set1(FA_ATANH_Q_f64[nq - 1]);
    for (int j = nq - 2; j >= 0; --j) q = vf64_fma(q, s2, vf64_set1(FA_ATANH_Q_f64[j]));
    vf64 lg = vf64_add(vf64_fma(k, vf64_set1(FA_LN2H_f64), vf64_add(sv, sv)),
                       vf64_fma(k, vf64_set1(FA_LN2L_f64), vf64_mul(vf64_mul(sv, s2), q)));
    vf64 series = vf64_mul(t, vf64_sub(one, vf64_mul(t, vf64_sub(vf64_set1(0.5),
                                                                  vf64_div(t, vf64_set1(3.0))))));
    return vf64_select(vf64_lt(t, vf64_set1(0x1p-20)), series, lg);
}
#endif
#endif

#define FA_ROWS_MOR FA_CAT(FA_CAT(m, FA_D), _or)
#define FA_ROWS_MANY FA_CAT(FA_CAT(m, FA_D), _any)

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

/* The total of two accumulators as a pair hi + *lo, in three steps shared by
 * a row's own total (FN(racc_total2)) and a group's (FN(rtree_group)):
 * FN(racc_pre) adds the two accumulators' vectors (plain mode: their open
 * blocks folded first) into tree vectors s and c; FN(rtree_step) is one step
 * of the lane tree (lane k with lane k + w, w = N/2 ... 1, a butterfly kept in
 * vector registers (V(xlane)): lane 0 holds the tree's result); FN(racc_tail)
 * rounds lane 0's s and c to the pair (*lo = 0 when the total is not finite:
 * an inf stays an inf, not the NaN its TwoSum error would be).
 * float32: every lane of the sums and of their errors widened to float64
 * (exactly) and added there plainly, the sums apart from the errors (an inf
 * among the sums gives that inf, not the NaN of its TwoSum error), then
 * rounded back to a pair. The float64 additions' errors (about 2^-53 of the
 * total each) are as small as the float32 TwoSum tree's below, and the
 * dependency chain is shorter: on short rows it is on every row's critical path
 * (softmax on rows of 16, AVX-512, 14% faster: see the commit).
 * float64: the vectors and then the lanes added by TwoSum, the errors beside. */
typedef struct {
    vf64 s, c; /* float64 for both dtypes: float32's widened */
} FN(rtree);

FA_INLINE FN(rtree) FN(racc_pre)(FN(racc) a, FN(racc) b, int comp) {
    FN(rtree) t;
    if (!comp) {
        FN(racc_fold)(&a);
        FN(racc_fold)(&b);
    }
#if !FA_IS_F64
    vf64 s0, s1, s2, s3, c0, c1;
    vf32_widen(a.s, &s0, &s1);
    vf32_widen(b.s, &s2, &s3);
    vf32_widen(V(add)(a.c, b.c), &c0, &c1);
    t.s = vf64_add(vf64_add(s0, s2), vf64_add(s1, s3));
    t.c = vf64_add(c0, c1);
#else
    VT e;
    t.s = FN(two_sum)(a.s, b.s, &e);
    t.c = V(add)(V(add)(a.c, b.c), e);
#endif
    return t;
}

FA_INLINE void FN(rtree_step)(FN(rtree) *t, int w) {
#if !FA_IS_F64
    t->s = vf64_add(t->s, vf64_xlane(t->s, w));
    t->c = vf64_add(t->c, vf64_xlane(t->c, w));
#else
    VT e;
    t->s = FN(two_sum)(t->s, V(xlane)(t->s, w), &e);
    t->c = V(add)(t->c, V(add)(V(xlane)(t->c, w), e));
#endif
}

FA_INLINE ST FN(racc_tail)(double s0, double c0, ST *lo) {
#if !FA_IS_F64
    if (!(s0 <= C(FA_MAXF) && s0 >= -C(FA_MAXF))) { /* inf, NaN, or beyond the float range */
        *lo = 0;
        return (ST)s0;
    }
    double d = s0 + c0;
    ST hi = (ST)d;
    *lo = (ST)(d - (double)hi);
    return hi;
#else
    if (!FN(rows_finite)(s0)) {
        *lo = 0;
        return s0;
    }
    return FN(rows_two_sum)(s0, c0, lo);
#endif
}

FA_INLINE ST FN(racc_total2)(FN(racc) a, FN(racc) b, int comp, ST *lo) {
    FN(rtree) t = FN(racc_pre)(a, b, comp);
    for (int w = FA_N_f64 / 2; w >= 1; w /= 2) FN(rtree_step)(&t, w);
    return FN(racc_tail)(vf64_lane0(t.s), vf64_lane0(t.c), lo);
}

/* Group reductions (short rows, FA_N at a time): v[r] is row r's vector; after
 * the steps, lane r of v[0] holds, bit for bit, what lane 0 of row r's own tree
 * holds. Step w: every live vector takes its tree step, then v[i] (i < w) and
 * v[i + w] merge: v[i] keeps its lanes whose index has bit w clear, and the
 * others take v[i + w]'s values moved over by w (V(xlane)), so each row's values
 * keep their place relative to its lane 0 and every later step pairs them as
 * the row's own tree does (float64's compensated steps are not symmetric in
 * the two lanes they join). Row r ends in lane r. About 7 operations per row
 * in all, as many as a row's own tree on AVX-512 before its extraction, but no
 * chain of them per row and no scalar steps after. */
#define FA_ROWS_GROUP(v, nl, STEP, MERGE)                                                  \
    for (int w_ = (nl) / 2; w_ >= 1; w_ /= 2) {                                            \
        for (int i_ = 0; i_ < 2 * w_; ++i_) STEP(v, i_, w_);                               \
        for (int i_ = 0; i_ < w_; ++i_) MERGE(v, i_, w_);                                  \
    }

#define FA_RTREE_STEP(v, i, w) FN(rtree_step)(&(v)[i], w)
#define FA_RTREE_MERGE(v, i, w)                                                            \
    do {                                                                                   \
        mf64 mk_ = fa_rows_lanebit_f64(w);                                                 \
        (v)[i].s = vf64_select(mk_, vf64_xlane((v)[(i) + (w)].s, w), (v)[i].s);            \
        (v)[i].c = vf64_select(mk_, vf64_xlane((v)[(i) + (w)].c, w), (v)[i].c);            \
    } while (0)

/* One step of the lane trees of vectors: sums (op 0) and, on NaN-free data,
 * maxima (1) and minima (2), where on ties (+-0) the lane-0 side of each pair
 * wins, whatever the order of max's operands. */
FA_INLINE VT FN(rows_hstep)(VT v, int w, int op) {
    VT u = V(xlane)(v, w);
    return op == 0 ? V(add)(v, u) : op == 1 ? V(max)(u, v) : V(min)(u, v);
}

/* Row r's tree of v[r] for FA_N rows at once: lane r of the result. */
#define FA_HSTEP(v, i, w) ((v)[i] = FN(rows_hstep)((v)[i], w, op))
#define FA_HMERGE(v, i, w)                                                                 \
    ((v)[i] = V(select)(FA_CAT(fa_rows_lanebit_, FA_D)(w), V(xlane)((v)[(i) + (w)], w), (v)[i]))
FA_INLINE VT FN(rows_group_vec)(VT *v, int op) {
    FA_ROWS_GROUP(v, NL, FA_HSTEP, FA_HMERGE)
    return v[0];
}
#undef FA_HSTEP
#undef FA_HMERGE

#if FA_ROWS_GROUPS
/* The totals of the group's FA_N rows from their tree vectors t[0 .. FA_N-1],
 * as *hi + *lo (lane r: row r), the same bits as FN(racc_total2) on each row.
 * Returns 0 if a total is not finite (racc_tail's other branch, which the
 * group leaves to the rows one by one). */
FA_INLINE int FN(rtree_group)(FN(rtree) *t, VT *hi, VT *lo) {
#if !FA_IS_F64
    vf64 d[2], h0, h1; /* float32: two groups of FA_N_f64 rows in float64 */
    for (int k = 0; k < 2; ++k) {
        FN(rtree) *u = t + k * FA_N_f64;
        FA_ROWS_GROUP(u, FA_N_f64, FA_RTREE_STEP, FA_RTREE_MERGE)
        if (mf64_any(vf64_abs_gt(u[0].s, vf64_set1(C(FA_MAXF))))) return 0;
        d[k] = vf64_add(u[0].s, u[0].c);
    }
    *hi = vf32_narrow(d[0], d[1]);
    vf32_widen(*hi, &h0, &h1);
    *lo = vf32_narrow(vf64_sub(d[0], h0), vf64_sub(d[1], h1));
#else
    FA_ROWS_GROUP(t, NL, FA_RTREE_STEP, FA_RTREE_MERGE)
    if (FA_ROWS_MANY(V(abs_gt)(t[0].s, S(C(FA_MAXF))))) return 0;
    *hi = FN(two_sum)(t[0].s, t[0].c, lo);
#endif
    return 1;
}
#endif

/* the lanes of v (NaN-free) added in the tree above: exact for the small
 * integers of the tie counts */
FA_INLINE ST FN(rows_hsum)(VT v) {
    for (int w = NL / 2; w >= 1; w /= 2) v = FN(rows_hstep)(v, w, 0);
    return V(lane0)(v);
}

/* The first cnt (< NL) values at p, the other lanes fill. */
FA_INLINE VT FN(rows_pad)(const ST *p, ptrdiff_t cnt, ST fill) {
    ST b[NL];
    for (int k = 0; k < NL; ++k) b[k] = k < cnt ? p[k] : fill;
    return V(loadu)(b);
}

/* max (min) of the lanes of v (NaN-free), by the butterfly */
FA_INLINE ST FN(rows_hmax)(VT v, int min) {
    for (int w = NL / 2; w >= 1; w /= 2) v = FN(rows_hstep)(v, w, min ? 2 : 1);
    return V(lane0)(v);
}

FA_INLINE void FN(rows_fill)(ST *y, ptrdiff_t n, ST v) {
    for (ptrdiff_t i = 0; i < n; ++i) y[i] = v;
}

/* P1: max and min of x (two vector chains each); returns 1 for a row that is
 * all NaN by torch's rule (a NaN, a +inf, or max = -inf): a NaN lane is taken as
 * +inf (never compared). With g: also the sum of g, as a pair. FN(rows_maxmin_v)
 * is its vector part (the lanes' maxima and minima; g's sums in ga0, ga1). */
FA_INLINE void FN(rows_maxmin_v)(const ST *x, ptrdiff_t n, VT *vmax, VT *vmin, const ST *g,
                                 int comp, FN(racc) *ga0, FN(racc) *ga1) {
    VT ninf = S(-INFINITY), pinf = S(INFINITY);
    VT max0 = ninf, max1 = ninf, min0 = pinf, min1 = pinf;
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
            FN(racc_add)(ga0, V(loadu)(g + i), comp);
            FN(racc_add)(ga1, V(loadu)(g + i + NL), comp);
        }
    }
    for (; i < n; i += NL) {
        ptrdiff_t cnt = n - i < NL ? n - i : NL;
        VT u = cnt == NL ? V(loadu)(x + i) : FN(rows_pad)(x + i, cnt, x[0]);
        u = V(select)(V(isnan)(u), pinf, u);
        max0 = V(max)(max0, u);
        min0 = V(min)(min0, u);
        if (g) FN(racc_add)(ga0, V(load_tail)(g + i, cnt), comp);
    }
    *vmax = V(max)(max0, max1);
    *vmin = V(min)(min0, min1);
}
FA_INLINE int FN(rows_maxmin)(const ST *x, ptrdiff_t n, ST *mx, ST *mn, const ST *g, int comp,
                              ST *sg, ST *sgl) {
    VT zero = S(0), vmax, vmin;
    FN(racc) a0 = {zero, zero, zero, 0}, a1 = {zero, zero, zero, 0};
    FN(rows_maxmin_v)(x, n, &vmax, &vmin, g, comp, &a0, &a1);
    if (g) *sg = FN(racc_total2)(a0, a1, comp, sgl);
    ST m = FN(rows_hmax)(vmax, 0);
    *mx = m;
    *mn = FN(rows_hmax)(vmin, 1);
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
 * (even and odd vectors), the tail into the second. FN(rows_exp_acc) is its
 * vector part: the accumulators, the ties' lane counts and the pads among them. */
FA_INLINE void FN(rows_exp_acc)(const ST *x, ST *e, ptrdiff_t n, ST m, int narrow, int fast,
                                int comp, int logm, int store, FN(racc) *a0, FN(racc) *a1,
                                VT *ties, ST *padc) {
    VT vm = S(m), vnm = S(-m), zero = S(0);
    FN(racc) z = {zero, zero, zero, 0};
    VT t0 = zero;
    *a0 = z;
    *a1 = z;
    ptrdiff_t i = 0;
    for (; i + 2 * NL <= n; i += 2 * NL) {
        FN(rows_exp_step)(x + i, e + i, vm, vnm, narrow, fast, comp, logm, store, a0, &t0);
        FN(rows_exp_step)(x + i + NL, e + i + NL, vm, vnm, narrow, fast, comp, logm, store, a1,
                          &t0);
    }
    if (i + NL <= n) {
        FN(rows_exp_step)(x + i, e + i, vm, vnm, narrow, fast, comp, logm, store, a0, &t0);
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
        FN(racc_add)(a1, ev, comp);
    }
    *ties = t0;
    *padc = pad;
}
FA_INLINE ST FN(rows_exp_pass)(const ST *x, ST *e, ptrdiff_t n, ST m, int narrow, int fast,
                               int comp, int logm, int store, ST *lo, ST *ties) {
    FN(racc) a0, a1;
    VT t0;
    ST pad;
    FN(rows_exp_acc)(x, e, n, m, narrow, fast, comp, logm, store, &a0, &a1, &t0, &pad);
    if (logm) *ties = FN(rows_hsum)(t0) - pad;
    return FN(racc_total2)(a0, a1, comp, lo);
}

/* 1/(sh + sl), lane by lane (a row's broadcast, or a group's lanes): accurate
 * mode to about half an ulp (the residual of the quotient of the high part,
 * exact, corrected for the low part). */
FA_INLINE VT FN(rows_inv)(VT sh, VT sl, int comp) {
    VT q = V(div)(S(1), sh);
    if (!comp) return q;
    return V(fma)(q, V(sub)(FN(residual)(S(1), q, sh), V(mul)(sl, q)), q);
}

/* log1p(th + tl), th >= 0 (a pair, |tl| <= ulp(th)), broadcast. float32: in
 * float64 from t = th + tl (within 2^-53 of it), rounded once, keeping the
 * relative accuracy of a tiny t (the dominant element's y = -log1p(t)). Where
 * rows go in groups (FA_ROWS_GROUPS): fa_rows_log1p64, on one lane here and on
 * a group's lanes at once in FN(rows_log_softmax_group) (FN(rows_log1p_v)), with
 * the same bits; it replaced libm's log per row, the largest of a short row's
 * costs there (see the commit). Elsewhere libm's log of 1 + t (the same
 * series below 2^-20): one row at a time, the vector log's chain of float64
 * divisions and steps (no FMA on SSE2) took 1.12-1.38x as long on rows of 16
 * to 64.
 * float64: up to 1, the pair log1p of math/log1p-inl.h; above, libm's log of 1 + t
 * (>= log 2: an absolute error of half an ulp is all that matters). */
FA_INLINE VT FN(rows_log1p)(ST th, ST tl) {
#if !FA_IS_F64 && FA_ROWS_GROUPS
    return S((ST)vf64_lane0(fa_rows_log1p64(vf64_set1((double)th + (double)tl))));
#elif !FA_IS_F64
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

#if !FA_IS_F64 && FA_ROWS_GROUPS
/* FN(rows_log1p) of every lane of th + tl */
FA_INLINE VT FN(rows_log1p_v)(VT th, VT tl) {
    vf64 h0, h1, l0, l1;
    vf32_widen(th, &h0, &h1);
    vf32_widen(tl, &l0, &l1);
    return vf32_narrow(fa_rows_log1p64(vf64_add(h0, l0)), fa_rows_log1p64(vf64_add(h1, l1)));
}
#endif

/* sum over the row of g * y (products rounded, as torch), as a pair */
FA_INLINE void FN(rows_dot_acc)(const ST *g, const ST *y, ptrdiff_t n, int comp, FN(racc) *a0,
                                FN(racc) *a1) {
    VT zero = S(0);
    FN(racc) z = {zero, zero, zero, 0};
    *a0 = z;
    *a1 = z;
    ptrdiff_t i = 0;
    for (; i + 2 * NL <= n; i += 2 * NL) {
        FN(racc_add)(a0, V(mul)(V(loadu)(g + i), V(loadu)(y + i)), comp);
        FN(racc_add)(a1, V(mul)(V(loadu)(g + i + NL), V(loadu)(y + i + NL)), comp);
    }
    for (; i < n; i += NL) {
        ptrdiff_t cnt = n - i < NL ? n - i : NL;
        FN(racc_add)(a0, V(mul)(V(load_tail)(g + i, cnt), V(load_tail)(y + i, cnt)), comp);
    }
}
FA_INLINE ST FN(rows_dot)(const ST *g, const ST *y, ptrdiff_t n, int comp, ST *lo) {
    FN(racc) a0, a1;
    FN(rows_dot_acc)(g, y, n, comp, &a0, &a1);
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

/* softmax's gradient of a row from its y: gx = y * (g - sum(g * y)) */
FA_INLINE void FN(rows_softmax_dot_grad)(const ST *g, const ST *y, ST *gx, ptrdiff_t n, int comp) {
    ST dl, d = FN(rows_dot)(g, y, n, comp, &dl);
    FN(rows_softmax_grad)(g, y, gx, n, d + dl);
}

/* P3 of softmax: y = e * inv, e in y */
FA_INLINE void FN(rows_scale)(ST *y, ptrdiff_t n, VT inv) {
    ptrdiff_t i = 0;
    for (; i + NL <= n; i += NL) V(storeu)(y + i, V(mul)(V(loadu)(y + i), inv));
    if (i < n) V(store_tail)(y + i, V(mul)(V(load_tail)(y + i, n - i), inv), n - i);
}

/* P3 of log_softmax's forward: y = (x - m) - l */
FA_INLINE void FN(rows_lsm_out)(const ST *x, ST *y, ptrdiff_t n, VT vm, VT vls) {
    ptrdiff_t i = 0;
    for (; i + NL <= n; i += NL) V(storeu)(y + i, V(sub)(V(sub)(V(loadu)(x + i), vm), vls));
    if (i < n) V(store_tail)(y + i, V(sub)(V(sub)(V(load_tail)(x + i, n - i), vm), vls), n - i);
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
    FN(rows_scale)(y, n, FN(rows_inv)(S(s), S(sl), comp));
    if (g) FN(rows_softmax_dot_grad)(g, y, gx, n, comp);
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
        FN(rows_lsm_out)(x, y, n, vm, vls);
        return;
    }
    ST ul, uh = FN(rows_two_sum)(1, th, &ul);
    VT inv = FN(rows_inv)(S(uh), S(ul + tl), comp);
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

/* The forward of short rows, FA_N rows at a time: P1 of every row, then the
 * group's maxima and minima at once (FN(rows_group_vec)), P2 of every row, the
 * group's totals at once (FN(rtree_group)), P3 of every row. A row's own lane
 * trees and the extraction of their results, which are most of a short row's
 * cost (softmax on rows of 16: 30 ns a row, 17 without the totals' tree, AVX-512,
 * tools/rows_cycles.c), run once for the group, with each row's bits.
 * FN(rows_group_p1) returns 0 if a row is special (a maximum that is not finite,
 * or a span beyond SPAN): the group then returns 0 having written nothing, and
 * the caller takes its rows one by one. */
#if FA_ROWS_GROUPS
FA_INLINE int FN(rows_group_p1)(const ST *x, ptrdiff_t n, VT *m) {
    VT vx[NL], vn[NL];
    for (int r = 0; r < NL; ++r)
        FN(rows_maxmin_v)(x + r * n, n, &vx[r], &vn[r], NULL, 0, NULL, NULL);
    *m = FN(rows_group_vec)(vx, 1);
    VT mn = FN(rows_group_vec)(vn, 2);
    /* FN(rows_finite) (on the bits: no flag from a NaN or inf), then
     * FN(rows_narrow) on finite maxima, lane by lane */
    if (FA_ROWS_MANY(V(abs_gt)(*m, S(C(FA_MAXF))))) return 0;
    VT lo = V(select)(V(lt)(*m, S(0)), S(-C(FA_MAXF)), S(-C(FA_EXPSH_LO)));
    VT span = V(sub)(V(select)(V(lt)(mn, lo), lo, mn), *m);
    return !FA_ROWS_MANY(V(lt)(span, S(-C(FA_ROWS_SPAN))));
}

static FA_NOINLINE int FN(rows_softmax_group)(const ST *x, ST *y, ptrdiff_t n, int fast) {
    int comp = !fast;
    ST m[NL], inv[NL];
    VT vm, sl = S(0);
    FN(rtree) t[NL];
    if (!FN(rows_group_p1)(x, n, &vm)) return 0;
    V(storeu)(m, vm);
    for (int r = 0; r < NL; ++r) {
        FN(racc) a0, a1;
        VT t0;
        ST pad;
        FN(rows_exp_acc)(x + r * n, y + r * n, n, m[r], 1, fast, comp, 0, 1, &a0, &a1, &t0, &pad);
        t[r] = FN(racc_pre)(a0, a1, comp);
    }
    VT s = S(1);
    /* finite (at most n terms, each at most 1): never 0 here, where y may
     * already hold e in x's place */
    (void)FN(rtree_group)(t, &s, &sl);
    V(storeu)(inv, FN(rows_inv)(s, sl, comp));
    for (int r = 0; r < NL; ++r) FN(rows_scale)(y + r * n, n, S(inv[r]));
    return 1;
}

static FA_NOINLINE int FN(rows_log_softmax_group)(const ST *x, ST *y, ptrdiff_t n, int fast) {
    int comp = !fast, f = fast && !FA_IS_F64; /* as FN(rows_log_softmax_row) */
    ST m[NL], pad[NL];
    VT vm, tv[NL], lo = S(0), lo2;
    FN(rtree) t[NL];
    if (!FN(rows_group_p1)(x, n, &vm)) return 0;
    V(storeu)(m, vm);
    for (int r = 0; r < NL; ++r) {
        FN(racc) a0, a1;
        FN(rows_exp_acc)(x + r * n, y + r * n, n, m[r], 1, f, comp, 1, 0, &a0, &a1, &tv[r], &pad[r]);
        t[r] = FN(racc_pre)(a0, a1, comp);
    }
    VT ties = V(sub)(FN(rows_group_vec)(tv, 0), V(loadu)(pad));
    VT hi = S(0);
    (void)FN(rtree_group)(t, &hi, &lo); /* finite, as in FN(rows_softmax_group) */
    VT vth = FN(two_sum)(V(sub)(ties, S(1)), hi, &lo2);
#if !FA_IS_F64
    ST ls[NL];
    V(storeu)(ls, FN(rows_log1p_v)(vth, V(add)(lo, lo2)));
    for (int r = 0; r < NL; ++r) FN(rows_lsm_out)(x + r * n, y + r * n, n, S(m[r]), S(ls[r]));
#else
    ST th[NL], tl[NL];
    V(storeu)(th, vth);
    V(storeu)(tl, V(add)(lo, lo2));
    for (int r = 0; r < NL; ++r)
        FN(rows_lsm_out)(x + r * n, y + r * n, n, S(m[r]), FN(rows_log1p)(th[r], tl[r]));
#endif
    return 1;
}
#endif

/* Backward rows (from the output y). */
FA_INLINE void FN(rows_softmax_bwd_row)(const ST *g, const ST *y, ST *gx, ptrdiff_t n) {
    FN(rows_softmax_dot_grad)(g, y, gx, n, 1);
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

#if FA_ROWS_GROUPS
/* The backward of short rows, FA_N at a time as the forward: softmax's sums of
 * g * y, log_softmax's maxima and minima of y and sums of g, for the group at
 * once; 0 (nothing written) if a row needs its own path: a total that is not
 * finite, or for log_softmax a y that is not a log_softmax output or not narrow. */
static FA_NOINLINE int FN(rows_softmax_bwd_group)(const ST *g, const ST *y, ST *gx, ptrdiff_t n,
                                                   int comp) {
    ST d[NL];
    VT hi, lo;
    FN(rtree) t[NL];
    for (int r = 0; r < NL; ++r) {
        FN(racc) a0, a1;
        FN(rows_dot_acc)(g + r * n, y + r * n, n, comp, &a0, &a1);
        t[r] = FN(racc_pre)(a0, a1, comp);
    }
    if (!FN(rtree_group)(t, &hi, &lo)) return 0;
    V(storeu)(d, V(add)(hi, lo));
    for (int r = 0; r < NL; ++r) FN(rows_softmax_grad)(g + r * n, y + r * n, gx + r * n, n, d[r]);
    return 1;
}

/* softmax's fused pass: the forward's group, then the gradient's sums for the
 * group (plain in fast mode, as a row's own); where a sum is not finite, the
 * gradients go row by row on the y already there. */
static FA_NOINLINE int FN(rows_softmax_fused_group)(const ST *x, const ST *g, ST *y, ST *gx,
                                                    ptrdiff_t n, int fast) {
    if (!FN(rows_softmax_group)(x, y, n, fast)) return 0;
    if (!FN(rows_softmax_bwd_group)(g, y, gx, n, !fast))
        for (int r = 0; r < NL; ++r)
            FN(rows_softmax_dot_grad)(g + r * n, y + r * n, gx + r * n, n, !fast);
    return 1;
}

static FA_NOINLINE int FN(rows_log_softmax_bwd_group)(const ST *g, const ST *y, ST *gx, ptrdiff_t n) {
    ST sg[NL];
    VT vx[NL], vn[NL], hi, lo, zero = S(0);
    FN(rtree) t[NL];
    for (int r = 0; r < NL; ++r) {
        FN(racc) a0 = {zero, zero, zero, 0}, a1 = {zero, zero, zero, 0};
        FN(rows_maxmin_v)(y + r * n, n, &vx[r], &vn[r], g + r * n, 1, &a0, &a1);
        t[r] = FN(racc_pre)(a0, a1, 1);
    }
    VT m = FN(rows_group_vec)(vx, 1), mn = FN(rows_group_vec)(vn, 2);
    /* FN(rows_log_softmax_bwd_row)'s tests, lane by lane: bad, ymax > 0, not narrow */
    if (FA_ROWS_MANY(V(abs_gt)(m, S(C(FA_MAXF))))) return 0;
    if (FA_ROWS_MANY(FA_ROWS_MOR(V(lt)(zero, m), V(lt)(mn, S(-C(FA_ROWS_SPAN))))))
        return 0;
    if (!FN(rtree_group)(t, &hi, &lo)) return 0;
    V(storeu)(sg, V(add)(hi, lo));
    for (int r = 0; r < NL; ++r)
        FN(rows_lsm_bwd_loop)(g + r * n, y + r * n, gx + r * n, n, S(sg[r]), 1);
    return 1;
}
#endif

/* nr rows: FA_N at a time while that many rows of each of the NA arrays read
 * twice fit in FA_ROWS_GROUP_BYTES (GROUP, a call on the rows from r, returning
 * 0 if they must go one by one), then one by one (ROW, a call on row k); only
 * targets of 8 lanes or more (FA_ROWS_GROUPS) have groups. The backward reads g
 * and y twice:
 * counted as one array, softmax's backward on rows of 256 (AVX-512, float32,
 * groups of 64 KiB) took 1.16x as long as row by row. */
#if FA_ROWS_GROUPS
#define FA_ROWS_RUN(NA, GROUP, ROW)                                                        \
    ptrdiff_t r = 0, k;                                                                    \
    if (n <= FA_ROWS_GROUP_BYTES / ((NA) * NL * (ptrdiff_t)sizeof(ST)))                    \
        for (; r + NL <= nr; r += NL)                                                      \
            if (!(GROUP))                                                                  \
                for (k = r; k < r + NL; ++k) ROW;                                          \
    for (k = r; k < nr; ++k) ROW;
#else
#define FA_ROWS_RUN(NA, GROUP, ROW)                                                        \
    for (ptrdiff_t k = 0; k < nr; ++k) ROW;
#endif
FA_INLINE void FN(rows_softmax_fwd)(const ST *x, ST *y, ptrdiff_t nr, ptrdiff_t n, int fast) {
    FA_ROWS_RUN(1, FN(rows_softmax_group)(x + r * n, y + r * n, n, fast),
                FN(rows_softmax_row)(x + k * n, NULL, y + k * n, NULL, n, fast))
}
FA_INLINE void FN(rows_log_softmax_fwd)(const ST *x, ST *y, ptrdiff_t nr, ptrdiff_t n, int fast) {
    FA_ROWS_RUN(1, FN(rows_log_softmax_group)(x + r * n, y + r * n, n, fast),
                FN(rows_log_softmax_row)(x + k * n, NULL, y + k * n, NULL, n, fast))
}
FA_INLINE void FN(rows_softmax_bwd)(const ST *g, const ST *y, ST *gx, ptrdiff_t nr, ptrdiff_t n) {
    FA_ROWS_RUN(2, FN(rows_softmax_bwd_group)(g + r * n, y + r * n, gx + r * n, n, 1),
                FN(rows_softmax_bwd_row)(g + k * n, y + k * n, gx + k * n, n))
}
FA_INLINE void FN(rows_log_softmax_bwd)(const ST *g, const ST *y, ST *gx, ptrdiff_t nr,
                                        ptrdiff_t n) {
    FA_ROWS_RUN(2, FN(rows_log_softmax_bwd_group)(g + r * n, y + r * n, gx + r * n, n),
                FN(rows_log_softmax_bwd_row)(g + k * n, y + k * n, gx + k * n, n))
}
FA_INLINE void FN(rows_softmax_fused)(const ST *x, const ST *g, ST *y, ST *gx, ptrdiff_t nr,
                                      ptrdiff_t n, int fast) {
    FA_ROWS_RUN(2, FN(rows_softmax_fused_group)(x + r * n, g + r * n, y + r * n, gx + r * n, n, fast),
                FN(rows_softmax_row)(x + k * n, g + k * n, y + k * n, gx + k * n, n, fast))
}
/* (log_softmax's fused rows go one by one) */
FA_INLINE void FN(rows_log_softmax_fused)(const ST *x, const ST *g, ST *y, ST *gx, ptrdiff_t nr,
                                          ptrdiff_t n, int fast) {
    for (ptrdiff_t k = 0; k < nr; ++k)
        FN(rows_log_softmax_row)(x + k * n, g + k * n, y + k * n, gx + k * n, n, fast);
}
#undef FA_ROWS_RUN

/* The table's kernels: args = inputs then outputs (FWD x, y; BWD g, y, gx;
 * FUSED x, g, y, gx), nrows rows of n elements each. */
#define FA_ROWS_DEFINE(name)                                                               \
    static void FN(name##_rk_fwd_acc)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {         \
        FN(rows_##name##_fwd)((const ST *)a[0], (ST *)a[1], nr, n, 0);                     \
    }                                                                                      \
    static void FN(name##_rk_fwd_fast)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {        \
        FN(rows_##name##_fwd)((const ST *)a[0], (ST *)a[1], nr, n, 1);                     \
    }                                                                                      \
    static void FN(name##_rk_bwd)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {             \
        FN(rows_##name##_bwd)((const ST *)a[0], (const ST *)a[1], (ST *)a[2], nr, n);      \
    }                                                                                      \
    static void FN(name##_rk_fused_acc)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {       \
        FN(rows_##name##_fused)((const ST *)a[0], (const ST *)a[1], (ST *)a[2], (ST *)a[3], nr, n, 0); \
    }                                                                                      \
    static void FN(name##_rk_fused_fast)(void *const *a, ptrdiff_t nr, ptrdiff_t n) {      \
        FN(rows_##name##_fused)((const ST *)a[0], (const ST *)a[1], (ST *)a[2], (ST *)a[3], nr, n, 1); \
    }

FA_ROWS_DEFINE(softmax)
FA_ROWS_DEFINE(log_softmax)
#undef FA_ROWS_DEFINE
#undef FA_ROWS_MOR
#undef FA_ROWS_MANY
#undef FA_ROWS_GROUP
#undef FA_RTREE_STEP
#undef FA_RTREE_MERGE
