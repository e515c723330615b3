/* x86-64 baseline: SSE2, no FMA, masks are full-width lane vectors. */
#ifndef FA_VEC_SSE2_H
#define FA_VEC_SSE2_H
#include "x86-common.h"

#define FA_HAS_FMA 0
/* Newton steps after vD_rcp for a full-precision reciprocal (fast mode) */
#define FA_RCP_STEPS_f32 2
#define FA_RCP_STEPS_f64 3
/* ... enough for a correction term in math/div-inl.h (error squared) */
#define FA_RCP_DIV_STEPS_f32 1
#define FA_RCP_DIV_STEPS_f64 2
#define FA_HAS_SCALEF 0
#define FA_DIV_SLOW 0
#define FA_HAS_LUT32 1 /* four loads per lookup: cheaper than a pair exp, dearer than a rational */
#define FA_LUT32_GATHER 1
#define FA_HAS_LUT8 0
#define FA_N_f32 4
#define FA_N_f64 2
typedef __m128 vf32;
typedef __m128 mf32;
typedef __m128d vf64;
typedef __m128d mf64;

FA_X86_COMMON(f32, float, __m128, _mm, ps)
FA_X86_COMMON(f64, double, __m128d, _mm, pd)
FA_BUFFER_TAIL(f32, float, __m128, 4)
FA_BUFFER_TAIL(f64, double, __m128d, 2)

/* tab[(bits(a) >> shift) & 31] per lane, by four scalar loads (no lane permute in SSE2) */
FA_INLINE vf32 vf32_lut32(const float *tab, vf32 a, int shift) {
    __m128i i = _mm_and_si128(_mm_srli_epi32(_mm_castps_si128(a), shift), _mm_set1_epi32(31));
    int i0 = _mm_cvtsi128_si32(i), i1 = _mm_cvtsi128_si32(_mm_shuffle_epi32(i, 1)),
        i2 = _mm_cvtsi128_si32(_mm_shuffle_epi32(i, 2)), i3 = _mm_cvtsi128_si32(_mm_shuffle_epi32(i, 3));
    return _mm_setr_ps(tab[i0], tab[i1], tab[i2], tab[i3]);
}
FA_INLINE vf32 vf32_fma(vf32 a, vf32 b, vf32 c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
FA_INLINE vf32 vf32_fnma(vf32 a, vf32 b, vf32 c) { return _mm_sub_ps(c, _mm_mul_ps(a, b)); }
FA_INLINE vf64 vf64_fma(vf64 a, vf64 b, vf64 c) { return _mm_add_pd(_mm_mul_pd(a, b), c); }
FA_INLINE vf64 vf64_fnma(vf64 a, vf64 b, vf64 c) { return _mm_sub_pd(c, _mm_mul_pd(a, b)); }
FA_INLINE vf32 vf32_fms(vf32 a, vf32 b, vf32 c) { return _mm_sub_ps(_mm_mul_ps(a, b), c); }
FA_INLINE vf64 vf64_fms(vf64 a, vf64 b, vf64 c) { return _mm_sub_pd(_mm_mul_pd(a, b), c); }
FA_INLINE vf32 vf32_fnms(vf32 a, vf32 b, vf32 c) {
    return _mm_sub_ps(_mm_setzero_ps(), _mm_add_ps(_mm_mul_ps(a, b), c));
}
FA_INLINE vf64 vf64_fnms(vf64 a, vf64 b, vf64 c) {
    return _mm_sub_pd(_mm_setzero_pd(), _mm_add_pd(_mm_mul_pd(a, b), c));
}

/* cmplt signals on NaN, so lt is only used on NaN-free data. isnan compares
 * bit patterns with integer ops, so even signalling NaNs raise no flag; float64
 * has no 64-bit integer compare in SSE2: its high and low words are compared
 * separately (NaN: high > 0x7ff00000, or equal with a nonzero low word). */
FA_INLINE mf32 vf32_isnan(vf32 a) {
    __m128i ax = _mm_castps_si128(_mm_andnot_ps(_mm_set1_ps(-0.0f), a));
    return _mm_castsi128_ps(_mm_cmpgt_epi32(ax, _mm_set1_epi32(0x7f800000)));
}
FA_INLINE mf64 vf64_isnan(vf64 a) {
    __m128i ax = _mm_castpd_si128(_mm_andnot_pd(_mm_set1_pd(-0.0), a));
    __m128i inf = _mm_set1_epi32(0x7ff00000);
    __m128i gt = _mm_shuffle_epi32(_mm_cmpgt_epi32(ax, inf), _MM_SHUFFLE(3, 3, 1, 1));
    __m128i eq = _mm_shuffle_epi32(_mm_cmpeq_epi32(ax, inf), _MM_SHUFFLE(3, 3, 1, 1));
    __m128i lo0 = _mm_shuffle_epi32(_mm_cmpeq_epi32(ax, _mm_setzero_si128()), _MM_SHUFFLE(2, 2, 0, 0));
    return _mm_castsi128_pd(_mm_or_si128(gt, _mm_andnot_si128(lo0, eq)));
}
FA_INLINE vf32 vf32_quiet(vf32 a) { return _mm_or_ps(a, _mm_castsi128_ps(_mm_set1_epi32(0x400000))); }
FA_INLINE vf64 vf64_quiet(vf64 a) {
    return _mm_or_pd(a, _mm_castsi128_pd(_mm_set1_epi64x(0x8000000000000)));
}
FA_INLINE mf32 vf32_lt(vf32 a, vf32 b) { return _mm_cmplt_ps(a, b); }
FA_INLINE mf64 vf64_lt(vf64 a, vf64 b) { return _mm_cmplt_pd(a, b); }
FA_INLINE mf32 vf32_signmask(vf32 a) {
    return _mm_castsi128_ps(_mm_srai_epi32(_mm_castps_si128(a), 31));
}
FA_INLINE mf64 vf64_signmask(vf64 a) {
    __m128i s = _mm_srai_epi32(_mm_castpd_si128(a), 31);
    return _mm_castsi128_pd(_mm_shuffle_epi32(s, _MM_SHUFFLE(3, 3, 1, 1)));
}
FA_INLINE vf32 vf32_select(mf32 m, vf32 t, vf32 f) {
    return _mm_or_ps(_mm_and_ps(m, t), _mm_andnot_ps(m, f));
}
FA_INLINE vf64 vf64_select(mf64 m, vf64 t, vf64 f) {
    return _mm_or_pd(_mm_and_pd(m, t), _mm_andnot_pd(m, f));
}
/* min(max(|a|, lo), hi), NaN lanes to 0 first (min/max signal on NaN). */
FA_INLINE vf32 vf32_abs_clamp(vf32 a, vf32 lo, vf32 hi) {
    vf32 ax = _mm_andnot_ps(_mm_or_ps(_mm_set1_ps(-0.0f), vf32_isnan(a)), a);
    return _mm_min_ps(_mm_max_ps(ax, lo), hi);
}
FA_INLINE vf64 vf64_abs_clamp(vf64 a, vf64 lo, vf64 hi) {
    vf64 ax = _mm_andnot_pd(_mm_or_pd(_mm_set1_pd(-0.0), vf64_isnan(a)), a);
    return _mm_min_pd(_mm_max_pd(ax, lo), hi);
}
FA_INLINE mf32 mf32_or(mf32 a, mf32 b) { return _mm_or_ps(a, b); }
FA_INLINE mf64 mf64_or(mf64 a, mf64 b) { return _mm_or_pd(a, b); }
/* |a| > c (c >= 0) on the bit patterns: no flag, NaN lanes true (SSE2 has no
 * 64-bit integer compare: float64 compares the NaN-free |a|, then adds NaN) */
FA_INLINE mf32 vf32_abs_gt(vf32 a, vf32 c) {
    __m128i ax = _mm_castps_si128(_mm_andnot_ps(_mm_set1_ps(-0.0f), a));
    return _mm_castsi128_ps(_mm_cmpgt_epi32(ax, _mm_castps_si128(c)));
}
FA_INLINE mf64 vf64_abs_gt(vf64 a, vf64 c) {
    mf64 nan = vf64_isnan(a);
    return _mm_or_pd(nan, _mm_cmplt_pd(c, _mm_andnot_pd(_mm_or_pd(_mm_set1_pd(-0.0), nan), a)));
}
FA_X86_VECTOR_MASKS(f32, __m128, _mm, ps, 128, 32, 0xf)
FA_X86_VECTOR_MASKS(f64, __m128d, _mm, pd, 128, 64, 0x3)

FA_INLINE vf32 vf32_pow2(vf32 k) {
    return _mm_castsi128_ps(_mm_slli_epi32(_mm_castps_si128(k), 23));
}
FA_INLINE vf64 vf64_pow2(vf64 k) {
    return _mm_castsi128_pd(_mm_slli_epi64(_mm_castpd_si128(k), 52));
}
FA_INLINE vf32 vf32_rcp(vf32 a) { return _mm_rcp_ps(a); }
FA_INLINE vf64 vf64_rcp(vf64 a) {
    /* via float: only used on values well inside float's range */
    return _mm_cvtps_pd(_mm_rcp_ps(_mm_cvtpd_ps(a)));
}
/* lane k <- lane k ^ w (w = 1 or 2; a constant once inlined), and lane 0 */
FA_INLINE vf32 vf32_xlane(vf32 v, int w) {
    return w == 2 ? _mm_shuffle_ps(v, v, 0x4E) : _mm_shuffle_ps(v, v, 0xB1);
}
FA_INLINE vf64 vf64_xlane(vf64 v, int w) { (void)w; return _mm_shuffle_pd(v, v, 1); }
FA_INLINE float vf32_lane0(vf32 v) { return _mm_cvtss_f32(v); }
FA_INLINE double vf64_lane0(vf64 v) { return _mm_cvtsd_f64(v); }
FA_INLINE void vf32_widen(vf32 v, vf64 *lo, vf64 *hi) {
    *lo = _mm_cvtps_pd(v);
    *hi = _mm_cvtps_pd(_mm_movehl_ps(v, v));
}
#endif
