/* AVX2 + FMA. Masks are lane vectors; select (blendv) reads only the sign bit. */
#ifndef FA_VEC_AVX2_H
#define FA_VEC_AVX2_H
#include "x86-common.h"

#define FA_HAS_FMA 1
/* Newton steps after vD_rcp for a full-precision reciprocal (fast mode) */
#define FA_RCP_STEPS_f32 2
#define FA_RCP_STEPS_f64 3
/* ... enough for a correction term in math/div-inl.h (error squared) */
#define FA_RCP_DIV_STEPS_f32 1
#define FA_RCP_DIV_STEPS_f64 2
#define FA_HAS_SCALEF 0
#define FA_DIV_SLOW 0
#define FA_HAS_LUT32 0 /* two permutes and a blend per lookup */
#define FA_HAS_LUT8 1  /* one permute (vpermps), the table read from memory */
#define FA_LUT32_GATHER 0
#define FA_N_f32 8
#define FA_N_f64 4
typedef __m256 vf32;
typedef __m256 mf32;
typedef __m256d vf64;
typedef __m256d mf64;

FA_X86_COMMON(f32, float, __m256, _mm256, ps)
FA_X86_COMMON(f64, double, __m256d, _mm256, pd)
FA_BUFFER_TAIL(f32, float, __m256, 8)
FA_BUFFER_TAIL(f64, double, __m256d, 4)

FA_INLINE vf32 vf32_fma(vf32 a, vf32 b, vf32 c) { return _mm256_fmadd_ps(a, b, c); }
FA_INLINE vf32 vf32_fnma(vf32 a, vf32 b, vf32 c) { return _mm256_fnmadd_ps(a, b, c); }
FA_INLINE vf64 vf64_fma(vf64 a, vf64 b, vf64 c) { return _mm256_fmadd_pd(a, b, c); }
FA_INLINE vf64 vf64_fnma(vf64 a, vf64 b, vf64 c) { return _mm256_fnmadd_pd(a, b, c); }
FA_INLINE vf32 vf32_fms(vf32 a, vf32 b, vf32 c) { return _mm256_fmsub_ps(a, b, c); }
FA_INLINE vf64 vf64_fms(vf64 a, vf64 b, vf64 c) { return _mm256_fmsub_pd(a, b, c); }
FA_INLINE vf32 vf32_fnms(vf32 a, vf32 b, vf32 c) { return _mm256_fnmsub_ps(a, b, c); }
FA_INLINE vf64 vf64_fnms(vf64 a, vf64 b, vf64 c) { return _mm256_fnmsub_pd(a, b, c); }

/* NaN tests on the bit patterns: quiet even for signalling NaNs */
FA_INLINE mf32 vf32_isnan(vf32 a) {
    __m256i ax = _mm256_castps_si256(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(ax, _mm256_set1_epi32(0x7f800000)));
}
FA_INLINE mf64 vf64_isnan(vf64 a) {
    __m256i ax = _mm256_castpd_si256(_mm256_andnot_pd(_mm256_set1_pd(-0.0), a));
    return _mm256_castsi256_pd(_mm256_cmpgt_epi64(ax, _mm256_set1_epi64x(0x7ff0000000000000)));
}
FA_INLINE vf32 vf32_quiet(vf32 a) {
    return _mm256_or_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x400000)));
}
FA_INLINE vf64 vf64_quiet(vf64 a) {
    return _mm256_or_pd(a, _mm256_castsi256_pd(_mm256_set1_epi64x(0x8000000000000)));
}
FA_INLINE mf32 vf32_lt(vf32 a, vf32 b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
FA_INLINE mf64 vf64_lt(vf64 a, vf64 b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
FA_INLINE mf32 vf32_signmask(vf32 a) { return a; }
FA_INLINE mf64 vf64_signmask(vf64 a) { return a; }
FA_INLINE vf32 vf32_select(mf32 m, vf32 t, vf32 f) { return _mm256_blendv_ps(f, t, m); }
FA_INLINE vf64 vf64_select(mf64 m, vf64 t, vf64 f) { return _mm256_blendv_pd(f, t, m); }
/* min(max(|a|, lo), hi) on the bit patterns: integer ops raise no flag on NaN
 * (a NaN's pattern is above every finite one, so it clamps to hi). float64 has
 * no 64-bit integer min in AVX2: NaN lanes go to 0 before the float min/max. */
FA_INLINE vf32 vf32_abs_clamp(vf32 a, vf32 lo, vf32 hi) {
    __m256i ax = _mm256_castps_si256(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a));
    ax = _mm256_max_epi32(ax, _mm256_castps_si256(lo));
    return _mm256_castsi256_ps(_mm256_min_epi32(ax, _mm256_castps_si256(hi)));
}
FA_INLINE vf64 vf64_abs_clamp(vf64 a, vf64 lo, vf64 hi) {
    vf64 m = _mm256_or_pd(_mm256_set1_pd(-0.0), vf64_isnan(a));
    return _mm256_min_pd(_mm256_max_pd(_mm256_andnot_pd(m, a), lo), hi);
}
FA_INLINE mf32 mf32_or(mf32 a, mf32 b) { return _mm256_or_ps(a, b); }
FA_INLINE mf64 mf64_or(mf64 a, mf64 b) { return _mm256_or_pd(a, b); }
/* |a| > c (c >= 0) on the bit patterns: no flag, NaN lanes true */
FA_INLINE mf32 vf32_abs_gt(vf32 a, vf32 c) {
    __m256i ax = _mm256_castps_si256(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(ax, _mm256_castps_si256(c)));
}
FA_INLINE mf64 vf64_abs_gt(vf64 a, vf64 c) {
    __m256i ax = _mm256_castpd_si256(_mm256_andnot_pd(_mm256_set1_pd(-0.0), a));
    return _mm256_castsi256_pd(_mm256_cmpgt_epi64(ax, _mm256_castpd_si256(c)));
}
FA_X86_VECTOR_MASKS(f32, __m256, _mm256, ps, 256, 32, 0xff)
FA_X86_VECTOR_MASKS(f64, __m256d, _mm256, pd, 256, 64, 0xf)

FA_INLINE vf32 vf32_pow2(vf32 k) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(k), 23));
}
FA_INLINE vf64 vf64_pow2(vf64 k) {
    return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(k), 52));
}
/* tab[(bits(a) >> shift) & 7] per lane */
FA_INLINE vf32 vf32_lut8(const float *tab, vf32 a, int shift) {
    __m256i i = _mm256_srli_epi32(_mm256_castps_si256(a), shift);
    return _mm256_permutevar8x32_ps(_mm256_loadu_ps(tab), i);
}
FA_INLINE vf32 vf32_rcp(vf32 a) { return _mm256_rcp_ps(a); }
FA_INLINE vf64 vf64_rcp(vf64 a) {
    /* via float: only used on values well inside float's range */
    return _mm256_cvtps_pd(_mm_rcp_ps(_mm256_cvtpd_ps(a)));
}
/* lane k <- lane k ^ w (w = 1, 2 or 4; a constant once inlined), and lane 0 */
FA_INLINE vf32 vf32_xlane(vf32 v, int w) {
    return w == 4   ? _mm256_permute2f128_ps(v, v, 1)
           : w == 2 ? _mm256_permute_ps(v, 0x4E)
                    : _mm256_permute_ps(v, 0xB1);
}
FA_INLINE vf64 vf64_xlane(vf64 v, int w) {
    return w == 2 ? _mm256_permute2f128_pd(v, v, 1) : _mm256_permute_pd(v, 0x5);
}
FA_INLINE float vf32_lane0(vf32 v) { return _mm256_cvtss_f32(v); }
FA_INLINE double vf64_lane0(vf64 v) { return _mm256_cvtsd_f64(v); }
FA_INLINE void vf32_widen(vf32 v, vf64 *lo, vf64 *hi) {
    *lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    *hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}
/* vf32_widen's inverse: lo's lanes then hi's, each rounded to float32 */
FA_INLINE vf32 vf32_narrow(vf64 lo, vf64 hi) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi), 1);
}
/* v = m 2^k, m in [1, 2) returned, k (an integer, as a float64) in *k; v positive and normal */
FA_INLINE vf64 vf64_frexp(vf64 v, vf64 *k) {
    const __m256d two52 = _mm256_set1_pd(0x1p52); /* its bits: the biased exponent's place below */
    __m256i e = _mm256_srli_epi64(_mm256_castpd_si256(v), 52);
    *k = _mm256_sub_pd(_mm256_or_pd(_mm256_castsi256_pd(e), two52), _mm256_set1_pd(0x1p52 + 1023));
    return _mm256_or_pd(_mm256_and_pd(v, _mm256_castsi256_pd(_mm256_set1_epi64x(0xfffffffffffffLL))),
                        _mm256_set1_pd(1.0));
}
#endif
